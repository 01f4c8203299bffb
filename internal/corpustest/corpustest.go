// Package corpustest loads the shared test corpus (../shared beside the
// module root) for tests: the pdftotext references of the corpus PDFs as
// documents, one page per form feed.
package corpustest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llsum/llsum/extract"
)

// SharedDir returns ../shared beside the module root (the folder with
// go.mod above the test's working folder).
func SharedDir(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(filepath.Dir(dir), "shared")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test folder")
		}
		dir = parent
	}
}

// Reference returns corpus/reference/NAME (pdftotext output, which ends
// every page with a form feed) as a document whose pages are the texts
// between form feeds, numbered from 1.
func Reference(t testing.TB, name string) *extract.Document {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(SharedDir(t), "corpus", "reference", name))
	if err != nil {
		t.Fatalf("shared corpus: %v", err)
	}
	doc := &extract.Document{Path: name, Format: "pdf"}
	for i, p := range strings.Split(string(data), "\f") {
		doc.Pages = append(doc.Pages, extract.Page{Number: i + 1, Text: p})
	}
	doc.Meta.PageCount = len(doc.Pages)
	return doc
}
