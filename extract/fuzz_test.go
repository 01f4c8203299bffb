package extract

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/llsum/llsum/internal/hostilepdf"
)

// FuzzExtract feeds arbitrary bytes to the extraction entry point as a PDF:
// it must return (a document or an error naming the file) within the time
// limit and memory budget, never panic or hang. Seeds: testdata/fuzz/FuzzExtract plus the
// generated PDFs below.
func FuzzExtract(f *testing.F) {
	good := makePDF([]string{"Fuzz seed text", "second line"}, []string{"page two"})
	f.Add(good)
	f.Add(good[:len(good)-30])
	f.Add(good[:len(good)/2])
	f.Add([]byte("%PDF-1.7\n"))
	f.Add([]byte{})
	// The memory limits: content inflating past the budget, a shared and a
	// cyclic page tree, forms drawing forms.
	f.Add(hostilepdf.InflatingContent(24))
	f.Add(hostilepdf.SharedKids(30))
	f.Add(hostilepdf.KidsCycle())
	f.Add(hostilepdf.FormFanout(6, 10))
	f.Add(hostilepdf.ObjStmArray(8))
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
	})
}
