package trust

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/llsum/llsum/extract"
	"github.com/llsum/llsum/infer/extractive"
	"github.com/llsum/llsum/internal/testenv"
	sumz "github.com/llsum/llsum/summarize"
)

// TestCorpusExtractive summarizes every readable PDF of the shared corpus
// with the extractive backend, as `llsum run` does (default options), and
// checks the targets: no faithfulness warning on any summary, and
// every multi-chunk document's summary cites pages, all of them inside the
// document and every point of it located.
func TestCorpusExtractive(t *testing.T) {
	dir := testenv.Shared(t, "corpus", "pdf")
	paths, err := filepath.Glob(filepath.Join(dir, "*.pdf"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("corpus: %v", err)
	}
	pages := manifestPages(t, filepath.Join(dir, "MANIFEST.tsv"))
	ex := extract.New(extract.Options{Timeout: 2 * time.Minute})
	s := extractive.New(extractive.Options{})
	multi := 0
	for _, p := range paths {
		name := filepath.Base(p)
		if (testing.Short() || raceEnabled) && pages[name] > 60 {
			continue // the long manuals: in full runs without -race only
		}
		doc, err := ex.File(context.Background(), p)
		if err != nil {
			continue // unreadable on purpose (encrypted, truncated, garbage, empty)
		}
		out, err := sumz.Document(context.Background(), s, doc, sumz.Options{MaxNewTokens: 512, MaxBatch: 32, Citations: true})
		if err != nil {
			continue // no text (image-only)
		}
		rep := Apply(doc, out, Options{Citations: true, Extractive: true})
		for _, w := range rep.Faithfulness {
			t.Errorf("%s: %s in %q", name, w, excerpt(out.Summary, w.Offset))
		}
		// Planted errors in the real summary are all caught, and nothing
		// else is flagged.
		planted := out.Summary + "\nThe budget was €73,914,562.18 on 31 February 2031, says Zorblax Quennington."
		var kinds []string
		for _, w := range Apply(doc, &sumz.Outcome{Summary: planted}, Options{}).Faithfulness {
			kinds = append(kinds, w.Kind+" "+w.Span)
		}
		if strings.Join(kinds, "|") != "amount €73,914,562.18|date 31 February 2031|name Zorblax Quennington" {
			t.Errorf("%s: planted errors gave %q", name, kinds)
		}
		if len(out.Chunks) < 2 {
			continue
		}
		multi++
		cited := 0
		for _, pt := range rep.Citations {
			for _, r := range pt.Pages {
				if r[0] < doc.Pages[0].Number || r[1] > doc.Pages[len(doc.Pages)-1].Number || r[0] > r[1] {
					t.Errorf("%s: citation %v outside pages 1–%d", name, r, len(doc.Pages))
				}
			}
			if len(pt.Pages) > 0 {
				cited++
			}
		}
		if cited == 0 || len(rep.Dropped) > 0 {
			t.Errorf("%s: %d of %d points cited, dropped %v:\n%s", name, cited, len(rep.Citations), rep.Dropped, out.Summary)
		}
		t.Logf("%s: %d pages, %d chunks, %d of %d points cited", name, len(doc.Pages), len(out.Chunks), cited, len(rep.Citations))
	}
	if multi < 5 {
		t.Errorf("only %d multi-chunk documents", multi)
	}
}

// manifestPages reads the page counts of the corpus manifest.
func manifestPages(t *testing.T, path string) map[string]int {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Split(line, "\t")
		if len(f) > 2 {
			out[f[0]], _ = strconv.Atoi(f[2])
		}
	}
	return out
}

func excerpt(s string, at int) string {
	lo, hi := max(0, at-60), min(len(s), at+60)
	return s[lo:hi]
}
