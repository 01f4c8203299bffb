package onnx_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/llsum/llsum/infer"
	"github.com/llsum/llsum/infer/onnx"
	"github.com/llsum/llsum/infer/onnx/onnxtest"
	"github.com/llsum/llsum/internal/structured"
)

func loadSchemas(t testing.TB) []*structured.Schema {
	t.Helper()
	var out []*structured.Schema
	for _, name := range []string{"release-notes", "document-brief"} {
		s, err := structured.Load(filepath.Join("..", "..", "testdata", "schemas", name+".schema.json"))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// TestSchemaConstrainedChat: a generated model with random weights writes
// nonsense, but under --schema every answer is valid JSON for the schema,
// greedy and sampled, alone and in a batch, however short the budget.
func TestSchemaConstrainedChat(t *testing.T) {
	m := onnxtest.TinyChatModel(t, onnx.Options{})
	ctx := context.Background()
	for _, s := range loadSchemas(t) {
		var reqs []infer.ChatRequest
		for i, budget := range []int{80, 120, 200, 300} {
			for _, samp := range []infer.Sampling{{}, {Temperature: 1, TopP: 0.95, Seed: int64(i + 1)}, {Temperature: 1.5, Seed: 7, RepetitionPenalty: 1.2}} {
				reqs = append(reqs, infer.ChatRequest{
					Messages:     []infer.Message{{Role: infer.RoleUser, Content: "Summarize release 0.18 of the tool."}},
					MaxNewTokens: budget, Sampling: samp, Schema: s,
				})
			}
		}
		// Batched (all together) and alone (the first three).
		batched, err := m.Chat(ctx, reqs)
		if err != nil {
			t.Fatalf("%s: %v", s.Name, err)
		}
		alone, err := m.Chat(ctx, reqs[:1])
		if err != nil {
			t.Fatalf("%s: %v", s.Name, err)
		}
		if alone[0].Text != batched[0].Text {
			t.Errorf("%s: greedy answer differs batched and alone:\n%s\n%s", s.Name, batched[0].Text, alone[0].Text)
		}
		lengthStops := 0
		for i, r := range batched {
			if err := s.Validate(r.Text); err != nil {
				t.Errorf("%s request %d: %v\n%s", s.Name, i, err, r.Text)
			}
			if r.Stop == infer.StopLength {
				lengthStops++
			}
			if r.CompletionTokens > reqs[i].MaxNewTokens {
				t.Errorf("%d tokens over a budget of %d", r.CompletionTokens, reqs[i].MaxNewTokens)
			}
		}
		t.Logf("%s: %d answers valid, %d stopped by length; e.g. %s", s.Name, len(batched), lengthStops, batched[len(batched)-1].Text)
	}
}

func TestSchemaBudgetTooSmall(t *testing.T) {
	m := onnxtest.TinyChatModel(t, onnx.Options{})
	s := loadSchemas(t)[0]
	_, err := m.Chat(context.Background(), []infer.ChatRequest{{Messages: []infer.Message{{Role: infer.RoleUser, Content: "x"}}, MaxNewTokens: 5, Schema: s}})
	if err == nil {
		t.Fatal("no error for a budget below the shortest valid value")
	}
	t.Log(err)
}

// TestSchemaGreedyBatch: an all-greedy batch under a schema takes the fast
// path (masked argmax, rows in parallel) and gives each row the tokens it
// gets alone.
func TestSchemaGreedyBatch(t *testing.T) {
	m := onnxtest.TinyChatModel(t, onnx.Options{})
	s := loadSchemas(t)[1]
	var reqs []infer.ChatRequest
	for _, p := range []string{"Brief me.", "A contract between two firms.", "Minutes of the board meeting of 3 May.", "x"} {
		reqs = append(reqs, infer.ChatRequest{Messages: []infer.Message{{Role: infer.RoleUser, Content: p}}, MaxNewTokens: 100, Schema: s})
	}
	batched, err := m.Chat(context.Background(), reqs)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range reqs {
		alone, err := m.Chat(context.Background(), []infer.ChatRequest{r})
		if err != nil {
			t.Fatal(err)
		}
		if alone[0].Text != batched[i].Text {
			t.Errorf("request %d: batched %q, alone %q", i, batched[i].Text, alone[0].Text)
		}
		if err := s.Validate(batched[i].Text); err != nil {
			t.Errorf("request %d: %v", i, err)
		}
	}
}
