// Package extract turns documents (PDF, plain text, Markdown) into text, page
// by page. It is the first stage of llsum's flow: files → extract → chunk →
// infer → output.
package extract

import (
	"context"
	"time"
)

// Document is a document's extracted text and metadata.
type Document struct {
	// Path is the file the document was read from, as given.
	Path string `json:"path"`
	// Format is "pdf", "text" or "markdown".
	Format string `json:"format"`
	Meta   Meta   `json:"meta"`
	Pages  []Page `json:"pages"`
	// Warnings concern the whole document (per-page ones live on the page).
	Warnings []string `json:"warnings,omitempty"`
}

// Meta is document-level metadata; fields unknown for a format are empty.
type Meta struct {
	Title     string `json:"title,omitempty"`
	Author    string `json:"author,omitempty"`
	Producer  string `json:"producer,omitempty"`
	PageCount int    `json:"page_count"`
	Encrypted bool   `json:"encrypted,omitempty"`
}

// Page is one page of text. Numbers start at 1.
type Page struct {
	Number int    `json:"number"`
	Text   string `json:"text"`
	// Engine names what produced the text ("text", "ledongthuc", "pdfium").
	Engine   string   `json:"engine,omitempty"`
	Warnings []string `json:"warnings,omitempty"`
}

// Options tune extraction. The zero value is usable.
type Options struct {
	// PDFEngine is "auto" (default), "ledongthuc" or "pdfium".
	PDFEngine string
	// Password opens encrypted PDFs that need a user password.
	Password string
	// StripHeaders drops running headers and footers repeated across pages.
	StripHeaders bool
	// Timeout bounds the extraction of one document (0: no limit beyond ctx).
	Timeout time.Duration
}

// Chars returns the number of characters (runes) across all pages.
func (d *Document) Chars() int {
	n := 0
	for _, p := range d.Pages {
		n += len([]rune(p.Text))
	}
	return n
}

// Text joins the pages' text with form feeds, as `llsum extract` prints it.
func (d *Document) Text() string {
	var b []byte
	for i, p := range d.Pages {
		if i > 0 {
			b = append(b, '\f')
		}
		b = append(b, p.Text...)
	}
	return string(b)
}

// Supported reports whether path has an extension llsum reads (.pdf, .txt,
// .md, .markdown; case-insensitive).
func Supported(path string) bool { return formatOf(path) != "" }

// File extracts the document at path. Errors name the file and carry an
// errclass class: per-document for bad input, Skip for documents that have
// nothing to summarize (no text layer), Fatal never.
func File(ctx context.Context, path string, opts Options) (*Document, error) {
	return extractFile(ctx, path, opts)
}
