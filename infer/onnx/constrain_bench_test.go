package onnx

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/llsum/llsum/infer/chat"
	"github.com/llsum/llsum/internal/genmodel"
	"github.com/llsum/llsum/internal/structured"
)

// BenchmarkSchemaDecode measures decode steps of a generated model with the
// Llama 3 vocabulary size (128,256 tokens; 2 layers, hidden 256) at batch 1
// and 8, free and under each example schema, so that a schema's per-step
// overhead reads next to the forward pass it accompanies (the "free" row of
// the same batch, same run). Greedy; the grammar states' masks are cached by
// one untimed run first. Reports decode ms per step (prefill excluded).
func BenchmarkSchemaDecode(b *testing.B) {
	needRuntime(b)
	cfg := genmodel.Tiny()
	cfg.Vocab, cfg.Hidden, cfg.Intermediate = 128256, 256, 512
	dir := filepath.Join(b.TempDir(), "m")
	if err := genmodel.Write(context.Background(), dir, cfg); err != nil {
		b.Fatal(err)
	}
	enc, err := chat.Load(dir)
	if err != nil {
		b.Fatal(err)
	}
	e := openEngine(b, dir, Options{})
	c := &ChatModel{e: e, tok: enc}
	schemas := []*structured.Schema{nil}
	for _, name := range []string{"release-notes", "document-brief"} {
		s, err := structured.Load(filepath.Join("..", "..", "testdata", "schemas", name+".schema.json"))
		if err != nil {
			b.Fatal(err)
		}
		schemas = append(schemas, s)
	}
	const steps = 96
	prompt, err := enc.EncodeChat(nil)
	if err != nil || len(prompt) == 0 {
		prompt = []int{1, 2, 3}
	}
	for _, batch := range []int{1, 8} {
		for _, s := range schemas {
			name := "free"
			if s != nil {
				name = s.Name
			}
			run := func() (ms float64, n int) {
				reqs := make([]GenRequest, batch)
				for i := range reqs {
					ids := append(append([]int(nil), prompt...), 100+i)
					reqs[i] = GenRequest{InputIDs: ids, MaxNewTokens: steps, IgnoreEOS: s == nil}
					if s != nil {
						d, err := c.constraint(s, steps)
						if err != nil {
							b.Fatal(err)
						}
						reqs[i].Mask = d
					}
				}
				res, err := e.Generate(context.Background(), reqs)
				if err != nil {
					b.Fatal(err)
				}
				for _, r := range res {
					n = max(n, len(r.OutputIDs))
				}
				return res[0].DecodeMs, n - 1
			}
			run() // fill the mask cache
			b.Run(name+"/batch="+string(rune('0'+batch)), func(b *testing.B) {
				var ms float64
				var n int
				for b.Loop() {
					m, k := run()
					ms, n = ms+m, n+k
				}
				b.ReportMetric(ms/float64(n), "ms/step")
			})
		}
	}
}
