// Package extract turns documents (PDF, plain text, Markdown) into text, page
// by page. It is the first stage of llsum's flow: files → extract → chunk →
// infer → output.
package extract

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"strings"
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
	// Garbled marks a page whose text no engine decoded plausibly
	// (mojibake: undecodable font codes, replacement or private-use
	// characters, Latin-1 soup in CJK text). The garbage is left out of
	// Text and a warning says how much.
	Garbled bool `json:"garbled,omitempty"`
}

// GarbledWarnings returns one line per page marked Garbled, "page N: "
// and its warning, for a run's log: such pages are never silent.
func (d *Document) GarbledWarnings() []string {
	var ws []string
	for _, p := range d.Pages {
		if !p.Garbled {
			continue
		}
		for _, w := range p.Warnings {
			if strings.HasPrefix(w, garbledPrefix) {
				ws = append(ws, fmt.Sprintf("page %d: %s", p.Number, w))
			}
		}
	}
	return ws
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
	// MaxFailedPages is the share of a PDF's pages that may fail (each one
	// then carries a warning) before the whole document fails; 0 means 0.1.
	MaxFailedPages float64
	// CacheDir keeps PDFium's compiled WebAssembly between runs; empty
	// means os.UserCacheDir()/llsum/pdfium, "-" disables the cache.
	CacheDir string
	// MemoryBudget bounds, in bytes, the memory one document's extraction
	// may hold (decoded content, glyphs, page tree, fonts, text, and the
	// linear memory of a PDFium instance); a document over it fails with
	// ErrMemoryBudget. 0 means DefaultMemoryBudget; negative, no limit.
	MemoryBudget int64
	// Workers is the most documents an Extractor reads at once (PDFium
	// instances in its pool); 0 means GOMAXPROCS.
	Workers int
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
	n := 0
	for _, p := range d.Pages {
		n += len(p.Text) + 1
	}
	var b strings.Builder
	b.Grow(n)           // one allocation, no copy: the text of a 2,415-page manual is 4 MB
	_ = d.WriteText(&b) // a strings.Builder does not fail
	return b.String()
}

// WriteText writes to w what Text returns, page by page, without building
// the whole text first (`llsum extract` prints a 2,415-page manual so,
// without a second copy of its 4 MB).
func (d *Document) WriteText(w io.Writer) error {
	for i, p := range d.Pages {
		if i > 0 {
			if _, err := io.WriteString(w, "\f"); err != nil {
				return err
			}
		}
		if _, err := io.WriteString(w, p.Text); err != nil {
			return err
		}
	}
	return nil
}

// Supported reports whether path has an extension llsum reads (.pdf, .txt,
// .md, .markdown; case-insensitive).
func Supported(path string) bool { return formatOf(path) != "" }

// File extracts the document at path. Errors name the file and carry an
// errclass class: per-document for bad input, Skip for documents that have
// nothing to summarize (no text layer), Fatal never.
//
// File starts and stops a PDF engine for each call; to read many documents,
// use an Extractor, which keeps its engines across documents.
func File(ctx context.Context, path string, opts Options) (*Document, error) {
	e := New(opts)
	defer e.Close()
	return e.File(ctx, path)
}

// Extractor reads documents with one set of Options, keeping its PDF engines
// (a pool of PDFium instances) across documents. It is safe for concurrent
// use by up to Options.Workers goroutines at once (more wait their turn).
type Extractor struct {
	opts   Options
	pdfium *pdfiumPool
}

// New returns an Extractor; engines start on first use.
func New(opts Options) *Extractor {
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	cache := opts.CacheDir
	switch cache {
	case "":
		cache = defaultCacheDir()
	case "-":
		cache = ""
	}
	e := &Extractor{opts: opts}
	e.pdfium = newPDFiumPool(cache, workers, e.memoryBudget())
	return e
}

// File extracts the document at path; see the package-level File.
func (e *Extractor) File(ctx context.Context, path string) (*Document, error) {
	return e.extractFile(ctx, path)
}

// Close stops the engines. The Extractor must not be used afterwards.
func (e *Extractor) Close() error {
	e.pdfium.close()
	return nil
}
