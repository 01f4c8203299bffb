package extract

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/llsum/llsum/extract/cjkfixture"
	"github.com/llsum/llsum/internal/hostilepdf"
)

// FuzzExtract feeds arbitrary bytes to the extraction entry point as a PDF:
// it must return (a document or an error naming the file) within the time
// limit and memory budget, never panic or hang. Seeds: testdata/fuzz/FuzzExtract
// plus the generated PDFs below, among them the CID-font fixtures of issue
// 14, so that mutations run through the plausibility check (garbled pages,
// fallback, garbage left out), a page of two columns with line numbers for
// the column order, one with margin notes and a mirrored glyph, and the
// hostile PDFs of issue 13, so that they run through the budget's limits.
func FuzzExtract(f *testing.F) {
	good := makePDF([]string{"Fuzz seed text", "second line"}, []string{"page two"})
	f.Add(good)
	f.Add(good[:len(good)-30])
	f.Add(good[:len(good)/2])
	f.Add(twoColumnPDF()) // through the column order (columns.go)
	// Margin notes (margin.go) and a mirrored glyph.
	f.Add(buildPDF(colFontDict(), nil, []string{marginNotesPage(3) + "q -1 0 0 1 112 600 cm BT /F1 10 Tf 0 0 Td (E) Tj ET Q\n"}))
	for _, d := range []cjkfixture.Defect{cjkfixture.NoToUnicode, cjkfixture.ReplacementToUnicode, cjkfixture.ReplacementUnembedded} {
		b, err := cjkfixture.Build(cjkfixture.Report()[1:3], d)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("%PDF-1.7\n"))
	f.Add([]byte{})
	// The memory limits: content inflating past the budget, a shared and a
	// cyclic page tree, forms drawing forms.
	f.Add(hostilepdf.InflatingContent(24))
	f.Add(hostilepdf.SharedKids(30))
	f.Add(hostilepdf.KidsCycle())
	f.Add(hostilepdf.FormFanout(6, 10))
	f.Add(hostilepdf.ObjStmArray(8))
	f.Add(hostilepdf.InflatingFonts(20, 2))
	dir := f.TempDir()
	ex := New(Options{Timeout: 5 * time.Second, Workers: 1, MemoryBudget: minMemoryBudget})
	f.Cleanup(func() { ex.Close() })
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(dir, "fuzz.pdf")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		doc, err := ex.File(context.Background(), p)
		if d := time.Since(start); d > 15*time.Second {
			t.Fatalf("took %s, beyond the 5s limit", d)
		}
		if err == nil && (doc == nil || len(doc.Pages) == 0) {
			t.Fatal("no error and no pages")
		}
		if err != nil && len(err.Error()) < len("extract "+p) {
			t.Fatalf("error does not name the file: %v", err)
		}
		if err == nil {
			for _, pg := range doc.Pages {
				// A page handed on is plausible, or marked and cleaned.
				if c := checkText(pg.Text, pg.Text, false); c.bad >= minBadRunes {
					t.Fatalf("page %d: garbage handed on (garbled %v): %s", pg.Number, pg.Garbled, c.reason())
				}
				if pg.Garbled && len(pg.Warnings) == 0 {
					t.Fatalf("page %d: garbled without a warning", pg.Number)
				}
			}
		}
	})
}
