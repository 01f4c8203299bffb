package chunk

import (
	"context"
	"fmt"
	"testing"

	"github.com/llsum/llsum/infer/tokenizer"
	"github.com/llsum/llsum/infer/tokenizer/tokenizertest"
)

// llamaCounter returns the token count of the Llama 3.1 tokenizer that
// scripts/setup.d/20-tokenizer.sh installs (a failure under CI, a skip
// elsewhere when it is missing).
func llamaCounter(t testing.TB) Counter {
	t.Helper()
	tok, err := tokenizer.Load(tokenizertest.LlamaDir(t))
	if err != nil {
		t.Fatal(err)
	}
	return tok.Count
}

// TestLlamaTokenizerProperties checks the plan's properties with the real
// tokenizer, whose count of a concatenation differs from the sum of its
// parts' counts, on English, Chinese, Japanese, Russian and Arabic text.
func TestLlamaTokenizerProperties(t *testing.T) {
	count := llamaCounter(t)
	for _, name := range []string{"R-FAQ.txt", "ctex-faq.txt", "zhlipsum.txt", "polyglossia-example-japanese.txt",
		"babel-russianb.layout.txt", "arabluatex-al-Jahiz.txt", "chromium-zh-llama.txt"} {
		pages := referencePages(t, name)
		for _, b := range []int{64, 500, 1700} {
			for _, ov := range []int{0, b / 8} {
				opts := Options{Budget: b, Overlap: ov}
				t.Run(fmt.Sprintf("%s/%d/%d", name, b, ov), func(t *testing.T) {
					plan, err := Split(context.Background(), pages, count, opts)
					if err != nil {
						t.Fatal(err)
					}
					checkPlan(t, pages, count, opts, plan)
				})
			}
		}
	}
}

// TestLlamaTokenizerHuge splits the 2,415-page manual for a 2048-token
// window with the real tokenizer.
func TestLlamaTokenizerHuge(t *testing.T) {
	if testing.Short() {
		t.Skip("large document")
	}
	count := llamaCounter(t)
	pages := referencePages(t, "R-fullrefman.txt")
	opts := Options{Budget: 1700}
	plan, err := Split(context.Background(), pages, count, opts)
	if err != nil {
		t.Fatal(err)
	}
	checkPlan(t, pages, count, opts, plan)
	lo, hi := spread(plan)
	t.Logf("%d chunks of %d..%d tokens", len(plan.Chunks), lo, hi)
}
