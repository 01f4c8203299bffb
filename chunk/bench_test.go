package chunk

import (
	"context"
	"testing"
)

// BenchmarkSplitHuge splits the 2,415-page reference manual (4.4 MB) for a
// 2048-token window, next to its peer: counting the whole text once with
// the same counter, the least an exact chunker must do. The ratio of the
// two is the cost of chunking in counter passes. Counters: the real Llama
// 3.1 tokenizer, and ApproxTokens (a cheap one, where the cut search
// itself shows).
//
//	go test -run '^$' -bench SplitHuge -benchtime 3x ./chunk/
func BenchmarkSplitHuge(b *testing.B) {
	pages := referencePages(b, "R-fullrefman.txt")
	text := Join(pages, "")
	for _, c := range []struct {
		name  string
		count Counter
	}{{"llama3", llamaCounter(b)}, {"approx", ApproxTokens}} {
		b.Run(c.name+"/count-once", func(b *testing.B) {
			b.SetBytes(int64(len(text)))
			for b.Loop() {
				c.count(text)
			}
		})
		b.Run(c.name+"/split", func(b *testing.B) {
			b.SetBytes(int64(len(text)))
			b.ReportAllocs()
			var chunks int
			for b.Loop() {
				plan, err := Split(context.Background(), pages, c.count, Options{Budget: 1700})
				if err != nil {
					b.Fatal(err)
				}
				chunks = len(plan.Chunks)
			}
			b.ReportMetric(float64(chunks), "chunks")
		})
	}
}
