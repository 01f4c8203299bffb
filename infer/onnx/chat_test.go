package onnx

import (
	"context"
	"fmt"
	"hash/fnv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/llsum/llsum/infer"
)

// wordTokenizer is a minimal real tokenizer for the tiny test models (which
// ship none): one id per whitespace-separated word (a hash into 3..292), a
// role id before each message and an assistant id at the end, as a chat
// template would.
type wordTokenizer struct{}

func (wordTokenizer) EncodeChat(msgs []infer.Message) ([]int, error) {
	var ids []int
	for _, m := range msgs {
		ids = append(ids, 300+len(m.Role))
		for _, w := range strings.Fields(m.Content) {
			h := fnv.New32a()
			h.Write([]byte(w))
			ids = append(ids, 3+int(h.Sum32()%290))
		}
	}
	return append(ids, 299), nil
}

func (wordTokenizer) Decode(ids []int) (string, error) {
	var parts []string
	for _, id := range ids {
		parts = append(parts, fmt.Sprintf("w%d", id))
	}
	return strings.Join(parts, " "), nil
}

func (w wordTokenizer) AppendText(dst []byte, ids []int) ([]byte, error) {
	for _, id := range ids {
		s, _ := w.Decode([]int{id})
		dst = append(append(dst, ' '), s...)
	}
	return dst, nil
}

func TestChatModelAndSummarizer(t *testing.T) {
	e := openEngine(t, sharedModel(t, "tiny-qwen2-gqa-fp16"), Options{PrefillChunk: 64})
	var cm infer.ChatModel = NewChatModel(e, wordTokenizer{})
	s := infer.NewLLMSummarizer(cm, infer.LLMOptions{})
	docs := []string{"The sun is a star.", "Solar panels turn light into electricity; output depends on the weather."}
	tasks := []infer.Task{{Text: docs[0], MaxNewTokens: 5}, {Text: docs[1], MaxNewTokens: 7, Instruction: "One line."}}
	res, err := s.Summarize(context.Background(), tasks)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if r.Stop == "" || r.CompletionTokens == 0 || r.CompletionTokens > tasks[i].MaxNewTokens || !utf8.ValidString(r.Summary) {
			t.Errorf("task %d: %+v", i, r)
		}
		if want := s.Overhead(tasks[i].Instruction) + s.Tokens(tasks[i].Text); r.PromptTokens != want {
			t.Errorf("task %d: prompt %d tokens, Overhead+Tokens says %d", i, r.PromptTokens, want)
		}
	}
	if got, want := s.Tokens(docs[0]), len(strings.Fields(docs[0])); got != want {
		t.Errorf("Tokens = %d, want %d (one per word)", got, want)
	}
	if info := s.Info(); info.Backend != "onnx" || info.ContextWindow != 128 || info.Identity == "" || info.Device != "cpu" {
		t.Errorf("info %+v", info)
	}
	// Same tasks again: greedy, so the same summaries.
	again, err := s.Summarize(context.Background(), tasks)
	if err != nil {
		t.Fatal(err)
	}
	for i := range res {
		if again[i].Summary != res[i].Summary {
			t.Errorf("task %d not deterministic: %q vs %q", i, res[i].Summary, again[i].Summary)
		}
	}
}

// TestChatPromptIDs: EncodePrompt gives the ids CountTokens counts, and a
// request carrying PromptIDs is generated from them, not re-encoded from
// its Messages: ids of conversation B sent with the messages of A answer
// as B does.
func TestChatPromptIDs(t *testing.T) {
	e := openEngine(t, sharedModel(t, "tiny-qwen2-gqa-fp16"), Options{PrefillChunk: 64})
	cm := NewChatModel(e, wordTokenizer{})
	var _ infer.PromptEncoder = cm
	a := []infer.Message{{Role: infer.RoleUser, Content: "The sun is a star."}}
	b := []infer.Message{{Role: infer.RoleUser, Content: "Solar panels turn light into electricity."}}
	ids, err := cm.EncodePrompt(b)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := cm.CountTokens(b); err != nil || n != len(ids) {
		t.Fatalf("CountTokens = %d, %v; EncodePrompt gave %d ids", n, err, len(ids))
	}
	res, err := cm.Chat(context.Background(), []infer.ChatRequest{
		{Messages: b, MaxNewTokens: 6, IgnoreEOS: true},
		{Messages: a, PromptIDs: ids, MaxNewTokens: 6, IgnoreEOS: true},
		{Messages: a, MaxNewTokens: 6, IgnoreEOS: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res[1].Text != res[0].Text || res[1].PromptTokens != len(ids) {
		t.Errorf("with B's ids: %q (%d prompt tokens), want B's reply %q (%d)", res[1].Text, res[1].PromptTokens, res[0].Text, len(ids))
	}
	if res[2].PromptTokens == len(ids) && res[2].Text == res[0].Text {
		t.Errorf("A without ids answered as B: %+v", res[2])
	}
}
