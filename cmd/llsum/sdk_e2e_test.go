package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	oai "github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/shared"

	"github.com/llsum/llsum/infer/onnx/onnxtest"
	"github.com/llsum/llsum/internal/testenv"
)

// TestOfficialSDKAgainstServe: the official OpenAI Go SDK, as any
// application would use it, against a `llsum serve` process on a generated
// tiny model: models, a plain completion, the same streamed (chunks
// accumulated by the SDK, usage chunk), a stop string, and refused
// parameters surfacing as the SDK's *openai.Error with the status.
func TestOfficialSDKAgainstServe(t *testing.T) {
	model := genTinyModel(t)
	base, _ := startServe(t, model, "--max-batch", "4")
	os.Unsetenv("OPENAI_BASE_URL")
	client := oai.NewClient(option.WithBaseURL(base+"/"), option.WithAPIKey("unused"), option.WithMaxRetries(0))
	ctx := context.Background()

	page, err := client.Models.List(ctx)
	if err != nil || len(page.Data) != 1 || page.Data[0].ID != "tiny" {
		t.Fatalf("models: %+v, %v", page, err)
	}

	// Sampled with a seed, so reproducible: the first seed whose reply
	// holds two printable ASCII characters in a row (the random-weight
	// model emits arbitrary bytes), to take a stop string from.
	seed := int64(0)
	params := func() oai.ChatCompletionNewParams {
		return oai.ChatCompletionNewParams{
			Model:               "tiny",
			Messages:            []oai.ChatCompletionMessageParamUnion{oai.SystemMessage("Be brief."), oai.UserMessage("Tell me about the moon.")},
			MaxCompletionTokens: oai.Int(40),
			Temperature:         oai.Float(1),
			Seed:                oai.Int(seed),
		}
	}
	var plain *oai.ChatCompletion
	stop := ""
	for seed = 1; seed <= 50 && stop == ""; seed++ {
		var err error
		if plain, err = client.Chat.Completions.New(ctx, params()); err != nil {
			t.Fatal(err)
		}
		stop = asciiPair(plain.Choices[0].Message.Content)
	}
	seed--
	if stop == "" {
		t.Fatalf("no seed gives a reply with an ASCII pair; last %q", plain.Choices[0].Message.Content)
	}
	if len(plain.Choices) != 1 || plain.Object != "chat.completion" || plain.Usage.TotalTokens != plain.Usage.PromptTokens+plain.Usage.CompletionTokens ||
		plain.Usage.CompletionTokens == 0 || plain.Usage.CompletionTokens > 40 {
		t.Fatalf("plain completion %+v", plain)
	}
	want := plain.Choices[0].Message.Content
	wantFinish := plain.Choices[0].FinishReason

	p := params()
	p.StreamOptions.IncludeUsage = oai.Bool(true)
	stream := client.Chat.Completions.NewStreaming(ctx, p)
	var acc oai.ChatCompletionAccumulator
	chunks := 0
	var text strings.Builder
	for stream.Next() {
		c := stream.Current()
		acc.AddChunk(c)
		chunks++
		if len(c.Choices) > 0 {
			text.WriteString(c.Choices[0].Delta.Content)
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatalf("stream: %v", err)
	}
	if text.String() != want || len(acc.Choices) != 1 || acc.Choices[0].Message.Content != want || acc.Choices[0].FinishReason != wantFinish {
		t.Errorf("streamed %q (accumulated %+v), want %q (%s)", text.String(), acc.Choices, want, wantFinish)
	}
	if acc.Usage.PromptTokens != plain.Usage.PromptTokens || acc.Usage.CompletionTokens != plain.Usage.CompletionTokens {
		t.Errorf("streamed usage %+v, plain %+v", acc.Usage, plain.Usage)
	}
	if chunks < 3 {
		t.Errorf("%d chunks: no role, content and finish chunks", chunks)
	}

	// A stop string from the middle of the reply cuts it there, streamed
	// or not.
	prefix := want[:strings.Index(want, stop)]
	p = params()
	p.Stop = oai.ChatCompletionNewParamsStopUnion{OfStringArray: []string{"never-generated", stop}}
	stopped, err := client.Chat.Completions.New(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if got := stopped.Choices[0]; got.Message.Content != prefix || got.FinishReason != "stop" {
		t.Errorf("stop %q: %q (%s), want %q (stop)", stop, got.Message.Content, got.FinishReason, prefix)
	}
	p.Stop = oai.ChatCompletionNewParamsStopUnion{OfString: oai.String(stop)}
	stream = client.Chat.Completions.NewStreaming(ctx, p)
	acc = oai.ChatCompletionAccumulator{}
	for stream.Next() {
		acc.AddChunk(stream.Current())
	}
	if err := stream.Err(); err != nil || acc.Choices[0].Message.Content != prefix || acc.Choices[0].FinishReason != "stop" {
		t.Errorf("streamed stop %q: %+v, %v; want %q", stop, acc.Choices, err, prefix)
	}

	// Log probabilities: one per generated token, the sampled token among
	// the likeliest alternatives or below them, streamed the same.
	p = params()
	p.Logprobs, p.TopLogprobs = oai.Bool(true), oai.Int(3)
	withLP, err := client.Chat.Completions.New(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	lps := withLP.Choices[0].Logprobs.Content
	if withLP.Choices[0].Message.Content != want || int64(len(lps)) != plain.Usage.CompletionTokens {
		t.Fatalf("logprobs reply %q with %d entries, want %q and %d", withLP.Choices[0].Message.Content, len(lps), want, plain.Usage.CompletionTokens)
	}
	for i, lp := range lps {
		if lp.Logprob > 0 || len(lp.TopLogprobs) != 3 || lp.TopLogprobs[0].Logprob < lp.TopLogprobs[2].Logprob || lp.Logprob > lp.TopLogprobs[0].Logprob+1e-5 {
			t.Errorf("token %d: %+v", i, lp)
		}
	}
	stream = client.Chat.Completions.NewStreaming(ctx, p)
	var streamedLP []oai.ChatCompletionTokenLogprob
	for stream.Next() {
		if c := stream.Current(); len(c.Choices) > 0 {
			streamedLP = append(streamedLP, c.Choices[0].Logprobs.Content...)
		}
	}
	if err := stream.Err(); err != nil || len(streamedLP) != len(lps) {
		t.Errorf("streamed logprobs: %d entries (%v), want %d", len(streamedLP), err, len(lps))
	}
	for i := range min(len(lps), len(streamedLP)) {
		if streamedLP[i].Token != lps[i].Token || streamedLP[i].Logprob != lps[i].Logprob {
			t.Errorf("streamed logprob %d: %+v, plain %+v", i, streamedLP[i], lps[i])
		}
	}

	// Refusals and errors arrive as *openai.Error with the status.
	for _, tt := range []struct {
		name   string
		edit   func(*oai.ChatCompletionNewParams)
		status int
		has    string
	}{
		{"top_logprobs", func(p *oai.ChatCompletionNewParams) { p.Logprobs, p.TopLogprobs = oai.Bool(true), oai.Int(25) }, 400, "top_logprobs"},
		{"n=2", func(p *oai.ChatCompletionNewParams) { p.N = oai.Int(2) }, 400, "n must be 1"},
		{"tools", func(p *oai.ChatCompletionNewParams) {
			p.Tools = []oai.ChatCompletionToolUnionParam{oai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{Name: "f"})}
		}, 400, "tools"},
		{"response_format", func(p *oai.ChatCompletionNewParams) {
			p.ResponseFormat = oai.ChatCompletionNewParamsResponseFormatUnion{OfJSONObject: &shared.ResponseFormatJSONObjectParam{}}
		}, 400, "response_format"},
		{"unknown model", func(p *oai.ChatCompletionNewParams) { p.Model = "gpt-9" }, 404, "gpt-9"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := params()
			tt.edit(&p)
			_, err := client.Chat.Completions.New(ctx, p)
			var apiErr *oai.Error
			if !errors.As(err, &apiErr) || apiErr.StatusCode != tt.status || !strings.Contains(apiErr.Message, tt.has) {
				t.Fatalf("error %v, want *openai.Error %d naming %q", err, tt.status, tt.has)
			}
			s := client.Chat.Completions.NewStreaming(ctx, p)
			for s.Next() {
				t.Fatal("a refused streaming request yielded a chunk")
			}
			if !errors.As(s.Err(), &apiErr) || apiErr.StatusCode != tt.status {
				t.Fatalf("streaming: error %v, want *openai.Error %d", s.Err(), tt.status)
			}
		})
	}
}

// TestRunOpenAIStreaming: llsum's own openai backend gets the same greedy
// summaries from `llsum serve` with --stream as without.
func TestRunOpenAIStreaming(t *testing.T) {
	model := genTinyModel(t)
	base, _ := startServe(t, model, "--max-batch", "4")
	summaries := func(extra ...string) map[string]string {
		out := filepath.Join(t.TempDir(), "out")
		args := append([]string{"run", "--backend", "openai", "--endpoint", base, "--max-new-tokens", "24", "--format", "json", "--out", out}, extra...)
		r := runLLSum(t, testenv.ModuleRoot(t), append(args, "testdata/docs")...)
		got := map[string]string{}
		for _, d := range readIndex(t, out).Documents {
			var doc struct{ Summary string }
			if d.Status == "ok" {
				raw, err := os.ReadFile(filepath.Join(out, d.Source+".json"))
				if err != nil || json.Unmarshal(raw, &doc) != nil {
					t.Fatalf("%s: %v\n%s", d.Source, err, r.stderr)
				}
			}
			got[d.Source] = d.Status + "\n" + doc.Summary + d.Error
		}
		if !strings.Contains(fmt.Sprint(got), "ok\n") {
			t.Fatalf("no document summarized (%v):\n%s", got, r.stderr)
		}
		return got
	}
	plain, streamed := summaries(), summaries("--stream")
	for src, s := range plain {
		if streamed[src] != s {
			t.Errorf("%s: streamed run gave\n%s\nplain run\n%s", src, streamed[src], s)
		}
	}
}

// asciiPair returns two printable ASCII characters found in s past its
// first character, or "".
func asciiPair(s string) string {
	for i := 1; i+2 <= len(s); i++ {
		if p := s[i : i+2]; p[0] > ' ' && p[0] < 0x7f && p[1] > ' ' && p[1] < 0x7f {
			return p
		}
	}
	return ""
}

// genTinyModel writes a tiny model with `llsum dev gen-model` into a
// temporary folder named "tiny" (the served model's name).
func genTinyModel(t *testing.T) string {
	t.Helper()
	onnxtest.NeedRuntime(t)
	model := filepath.Join(t.TempDir(), "tiny")
	if r := runLLSum(t, ".", "dev", "gen-model", "--out", model); r.code != 0 {
		t.Fatalf("gen-model: %d\n%s", r.code, r.stderr)
	}
	return model
}
