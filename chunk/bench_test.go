package chunk

import (
	"context"
	"testing"
)

// BenchmarkSplitHuge splits the 2,415-page reference manual (4.4 MB) for a
// 2048-token window with ApproxTokens, next to its peer: counting the whole
// text once with the same counter, the least an exact chunker must do. The
// ratio of the two is the cost of chunking in counter passes.
//
//	go test -run '^$' -bench SplitHuge -benchtime 5x ./chunk/
func BenchmarkSplitHuge(b *testing.B) {
	pages := referencePages(b, "R-fullrefman.txt")
	text := Join(pages, "")
	b.Run("count-once", func(b *testing.B) {
		b.SetBytes(int64(len(text)))
		for b.Loop() {
			ApproxTokens(text)
		}
	})
	b.Run("split", func(b *testing.B) {
		b.SetBytes(int64(len(text)))
		b.ReportAllocs()
		var chunks int
		for b.Loop() {
			plan, err := Split(context.Background(), pages, ApproxTokens, Options{Budget: 1700})
			if err != nil {
				b.Fatal(err)
			}
			chunks = len(plan.Chunks)
		}
		b.ReportMetric(float64(chunks), "chunks")
	})
}
