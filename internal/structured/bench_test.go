package structured_test

import (
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/llsum/llsum/infer/tokenizer"
	"github.com/llsum/llsum/infer/tokenizer/tokenizertest"
	"github.com/llsum/llsum/internal/structured"
)

// Outputs the benchmarks replay token by token: valid answers of the kind a
// model writes for the two example schemas.
var benchOutputs = map[string]string{
	"release-notes": `{"breaking": [{"summary": "The --cache flag was removed; use --cache-dir instead.", "source": "changelog/0.18/issue-4211"}], ` +
		`"features": [{"summary": "Backups can now be compressed with zstd at three levels.", "source": "changelog/0.18/pull-3999"}, ` +
		`{"summary": "The restore command shows progress.", "source": "changelog/0.18/issue-426"}], ` +
		`"fixes": [{"summary": "Fixed a crash when the repository was locked by a stale process.", "source": "changelog/0.18/issue-3890"}]}`,
	"document-brief": `{"title": "Service agreement between Acme GmbH and Example Ltd", "date": "12 March 2024", ` +
		`"parties": ["Acme GmbH", "Example Ltd"], "key_points": ["Acme provides hosting for 24 months at 1,200 EUR per month.", ` +
		`"Either party may terminate with 90 days' notice.", "Liability is capped at the fees of the last 12 months."], ` +
		`"action_items": ["Example Ltd signs by 31 March 2024.", "Acme sends the onboarding plan."]}`,
}

func llamaVocab(b *testing.B) (*tokenizer.Tokenizer, *structured.Vocab) {
	dir := tokenizertest.LlamaDir(b)
	tk, err := tokenizer.Load(filepath.Join(dir, "tokenizer.json"))
	if err != nil {
		b.Fatal(err)
	}
	toks := make([][]byte, tk.VocabSize())
	for id := range toks {
		if !tk.IsSpecial(id) {
			toks[id], _ = tk.AppendDecoded(nil, []int{id}, false)
		}
	}
	eot, _ := tk.TokenID("<|eot_id|>")
	return tk, structured.NewVocab(toks, []int{eot}, 128256)
}

// BenchmarkMaskStep is the host-side cost one constrained decode step adds
// per sequence, with the Llama 3 vocabulary (128,256 tokens): find the
// state's allowed set, set the other logits to -Inf, advance the grammar.
// The mask cache is warm (the same schema was decoded before), as it is
// after the first documents of a run; "cold" reports the first pass.
// Compare with BenchmarkSchemaDecode in infer/onnx (a forward pass).
func BenchmarkMaskStep(b *testing.B) {
	tk, v := llamaVocab(b)
	logits := make([]float32, 128256)
	rng := rand.New(rand.NewPCG(1, 1))
	for i := range logits {
		logits[i] = rng.Float32()
	}
	work := make([]float32, len(logits))
	for _, name := range []string{"release-notes", "document-brief"} {
		s, err := structured.Load(filepath.Join("..", "..", "testdata", "schemas", name+".schema.json"))
		if err != nil {
			b.Fatal(err)
		}
		ids := tk.EncodeOrdinary(benchOutputs[name])
		if err := s.Validate(benchOutputs[name]); err != nil {
			b.Fatal(err)
		}
		ix := structured.NewIndex(s, v)
		replay := func() {
			d, err := ix.NewDecoder(512)
			if err != nil {
				b.Fatal(err)
			}
			for i, id := range ids {
				copy(work, logits)
				d.Mask(work, 512-i)
				if err := d.Accept(id); err != nil {
					b.Fatalf("token %d: %v", i, err)
				}
			}
		}
		start := time.Now()
		replay()
		cold := time.Since(start)
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				replay()
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*len(ids)), "µs/step")
			b.ReportMetric(float64(cold.Microseconds())/float64(len(ids)), "cold-µs/step")
			b.ReportMetric(float64(ix.States()), "states")
		})
		b.Run(name+"/copy-only", func(b *testing.B) {
			// The peer: the logits copy each replay step makes anyway.
			for b.Loop() {
				for range ids {
					copy(work, logits)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*len(ids)), "µs/step")
		})
	}
}
