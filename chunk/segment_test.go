package chunk

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/llsum/llsum/extract"
	"github.com/llsum/llsum/internal/segment"
)

// TestCutsAtSentences: long Hindi and Thai texts (the multilingual test
// documents, repeated without blank lines) and English text full of
// abbreviations are cut where llsum's segmenter starts a sentence: after a
// danda, at a Thai clause space, not after "Dr." or "e.g.". (Before the
// shared segmenter, Hindi and Thai were cut at words.)
func TestCutsAtSentences(t *testing.T) {
	for _, lang := range []string{"hi", "th", "en"} {
		t.Run(lang, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("..", "tests", "multilingual", "testdata", lang+".txt"))
			if err != nil {
				t.Fatal(err)
			}
			if lang == "en" {
				b = []byte("Dr. Smith met Mr. J. R. Jones 3.5 km from the U.S. border, e.g. near the river. " +
					"They talked about No. 10 for an hour. Then Prof. Lee arrived at 5 p.m. with the maps. ")
			}
			// One paragraph: no blank line offers a better cut.
			para := strings.Join(strings.Fields(string(b)), " ")
			text := strings.Repeat(para+" ", 40000/len(para)+1) // about 40 kB
			pages := []extract.Page{{Number: 1, Text: text}}
			count := func(s string) int { return len(s) / 4 }
			opts := Options{Budget: 400, Lang: lang}
			plan, err := Split(context.Background(), pages, count, opts)
			if err != nil {
				t.Fatal(err)
			}
			checkPlan(t, pages, count, opts, plan)
			// A cut falls inside a sentence only when no sentence starts
			// within the cut's window (the budget caps it): most do not.
			starts := segment.Starts(text, lang)
			at := 0
			for _, c := range plan.Chunks[1:] {
				if _, ok := slices.BinarySearch(starts, c.Start); ok {
					at++
				} else {
					t.Logf("chunk %d starts inside a sentence: ...%q|%q...", c.Index, text[max(0, c.Start-40):c.Start], text[c.Start:min(len(text), c.Start+40)])
				}
			}
			t.Logf("%s: %d of %d cuts at a sentence start", lang, at, len(plan.Chunks)-1)
			if share := float64(at) / float64(len(plan.Chunks)-1); share < 0.75 {
				t.Errorf("%d of %d cuts at a sentence start", at, len(plan.Chunks)-1)
			}
		})
	}
}
