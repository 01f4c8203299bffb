package summarize

import (
	"context"
	"testing"

	"github.com/llsum/llsum/infer"
	"github.com/llsum/llsum/infer/onnx"
	"github.com/llsum/llsum/infer/onnx/onnxtest"
)

// tinyLLM opens a generated tiny Llama model (2 layers, 2,048-token window,
// its own tokenizer) on the ONNX engine, as an LLM summarizer. Without ONNX
// Runtime the test fails under CI and is skipped elsewhere.
func tinyLLM(t *testing.T) infer.Summarizer {
	t.Helper()
	return infer.NewLLMSummarizer(onnxtest.TinyChatModel(t, onnx.Options{}), infer.LLMOptions{})
}

// TestDocumentTinyModel summarizes a 52-page document with a real (tiny,
// random-weight) model on the ONNX engine, its window capped at 1,024
// tokens: every prompt the engine really built (its PromptTokens) plus the
// answer must fit the cap, and the tree must reach one summary.
func TestDocumentTinyModel(t *testing.T) {
	s := record(tinyLLM(t), 1024)
	doc := referenceDoc(t, "R-FAQ.txt")
	out, err := Document(context.Background(), s, doc, Options{ContextWindow: 1024, MaxNewTokens: 24, Style: StyleBullets})
	if err != nil {
		t.Fatal(err)
	}
	if out.ContextWindow != 1024 || len(out.Chunks) < 10 || len(out.Levels) == 0 || out.Summary == "" {
		t.Fatalf("window %d, %d chunks, %d levels, summary %q", out.ContextWindow, len(out.Chunks), len(out.Levels), out.Summary)
	}
	for _, c := range out.Chunks {
		if c.Tokens > out.Budget {
			t.Fatalf("chunk %d: %d tokens over the budget of %d", c.Index, c.Tokens, out.Budget)
		}
	}
	if out.CompletionTokens == 0 || out.PromptTokens < len(out.Chunks)*out.Budget/2 {
		t.Fatalf("tokens: prompt %d, completion %d", out.PromptTokens, out.CompletionTokens)
	}
	checkOutcome(t, s, out, len(doc.Pages))
	var groups []int
	for _, lv := range out.Levels {
		groups = append(groups, len(lv.Groups))
	}
	t.Logf("%d pages: budget %d, %d chunks, reduce levels %v, %d calls, %d prompt and %d completion tokens",
		len(doc.Pages), out.Budget, len(out.Chunks), groups, out.Calls, out.PromptTokens, out.CompletionTokens)
}
