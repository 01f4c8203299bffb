// Package corpustest loads the shared test corpus (../shared beside the
// module root) for tests: the pdftotext references of the corpus PDFs as
// documents, one page per form feed.
package corpustest

import (
	"os"
	"strings"
	"testing"

	"github.com/llsum/llsum/extract"
	"github.com/llsum/llsum/infer/tokenizer/tokenizertest"
)

// Reference returns corpus/reference/NAME (pdftotext output, which ends
// every page with a form feed) as a document whose pages are the texts
// between form feeds, numbered from 1. Missing data fails the test under
// CI and skips it elsewhere.
func Reference(t testing.TB, name string) *extract.Document {
	t.Helper()
	data, err := os.ReadFile(tokenizertest.Shared(t, "corpus", "reference", name))
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
