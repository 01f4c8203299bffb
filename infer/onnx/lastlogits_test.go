package onnx

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/llsum/llsum/internal/genmodel"
)

// Graphs whose logits cover every position (the builder's, optimum's
// without logits_to_keep) are rewritten at open to compute the last
// position's only; they must give the same greedy tokens as the graph run
// as written (FullLogits), batched and alone, with weights inline or in
// external data files beside the graph.
func TestLastLogitsRewrite(t *testing.T) {
	needRuntime(t)
	gen := func(edit func(*genmodel.Config)) func(t *testing.T) string {
		return func(t *testing.T) string {
			d := t.TempDir()
			writeGen(t, d, edit)
			return d
		}
	}
	for _, c := range []struct {
		name  string
		model func(t *testing.T) string
	}{
		{"genai fp32", gen(func(c *genmodel.Config) {})},
		{"genai fp32 external data in two files", gen(func(c *genmodel.Config) { c.ExternalData, c.DataFileBytes = true, 64<<10 })},
		{"genai fp16", gen(func(c *genmodel.Config) { c.DType = genmodel.DTypeFP16 })},
		{"genai int4", gen(func(c *genmodel.Config) { c.DType, c.AccuracyLevel, c.ExternalData = genmodel.DTypeInt4, 4, true })},
		{"genai int4 fp16 I/O", gen(func(c *genmodel.Config) { c.DType, c.IO = genmodel.DTypeInt4, genmodel.DTypeFP16 })},
		{"genai int4 tied", gen(func(c *genmodel.Config) { c.DType, c.TieEmbeddings = genmodel.DTypeInt4, true })},
		{"optimum fp32", gen(func(c *genmodel.Config) { c.Flavour = genmodel.FlavourOptimum })},
		{"tiny-qwen2-gqa-fp16", func(t *testing.T) string { return sharedModel(t, "tiny-qwen2-gqa-fp16") }},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := c.model(t)
			e := openEngine(t, d, Options{PrefillChunk: 4})
			ref := openEngine(t, d, Options{PrefillChunk: 4, FullLogits: true})
			if s := e.Spec(); !s.LastLogits || !s.LogitsRewritten {
				t.Fatalf("rewritten: last %v rewritten %v", s.LastLogits, s.LogitsRewritten)
			}
			if s := ref.Spec(); s.LastLogits || s.LogitsRewritten {
				t.Fatalf("FullLogits: last %v rewritten %v", s.LastLogits, s.LogitsRewritten)
			}
			checkSameTokens(t, e, ref)
		})
	}
}

// The rewrite leaves graphs it does not know alone: they run as written.
func TestLastLogitsRewriteDeclines(t *testing.T) {
	needRuntime(t)
	d := t.TempDir()
	writeGen(t, d, func(c *genmodel.Config) {})
	g := filepath.Join(d, "model.onnx")
	b, err := os.ReadFile(g)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, logits string
	}{
		{"no such output", "nothing"},
		{"produced by an unknown op", "present.0.key"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := lastLogitsGraph(b, c.logits); !errors.Is(err, errNoRewrite) {
				t.Errorf("err %v, want errNoRewrite", err)
			}
		})
	}
	if _, err := lastLogitsGraph(b[:len(b)/2], "logits"); err == nil || errors.Is(err, errNoRewrite) {
		t.Errorf("truncated model: err %v, want a parse error", err)
	}
	// Rewriting a rewritten graph finds the name it would add.
	once, err := lastLogitsGraph(b, "logits")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lastLogitsGraph(once, "logits"); !errors.Is(err, errNoRewrite) {
		t.Errorf("second rewrite: err %v, want errNoRewrite", err)
	}
}

// Graph files with large inline weights are not rewritten (they would be
// held twice in memory while the model opens).
func TestRewriteSize(t *testing.T) {
	d := t.TempDir()
	for _, c := range []struct {
		size int64
		want bool
	}{{100 << 10, true}, {maxRewriteBytes, true}, {maxRewriteBytes + 1, false}} {
		p := filepath.Join(d, "model.onnx")
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Truncate(c.size); err != nil { // sparse
			t.Fatal(err)
		}
		f.Close()
		if got := rewriteSize(p); got != c.want {
			t.Errorf("%d bytes: %v, want %v", c.size, got, c.want)
		}
	}
	if rewriteSize(filepath.Join(d, "missing.onnx")) {
		t.Error("missing file: want false")
	}
}
