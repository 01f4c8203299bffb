package extract

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/llsum/llsum/extract/textmetric"
	"github.com/llsum/llsum/internal/errclass"
)

func TestTextFiles(t *testing.T) {
	tests := []struct {
		name, content string
		wantText      string
		wantTitle     string
		wantWarn      bool
		wantErr       error
	}{
		{"a.txt", "\xef\xbb\xbfhello\r\nworld\r\n", "hello\nworld\n", "", false, nil},
		{"b.md", "intro\n# Title here \nbody", "intro\n# Title here \nbody", "Title here", false, nil},
		{"c.txt", "bad \xff byte", "bad ÿ byte", "", true, nil}, // not UTF-8: Windows-1252
		{"d.txt", " \n\t\n", "", "", false, ErrEmpty},
		{"e.markdown", "## not a title\ntext", "## not a title\ntext", "", false, nil},
	}
	ex := New(Options{CacheDir: "-"})
	defer ex.Close()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, tt.name, []byte(tt.content))
			doc, err := ex.File(context.Background(), p)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || !strings.HasPrefix(err.Error(), "extract "+p+": ") {
					t.Fatalf("err = %v, want %v naming the file", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(doc.Pages) != 1 || doc.Pages[0].Text != tt.wantText || doc.Meta.Title != tt.wantTitle {
				t.Errorf("got %+v", doc)
			}
			if (len(doc.Pages[0].Warnings) > 0) != tt.wantWarn {
				t.Errorf("warnings = %q, want some: %v", doc.Pages[0].Warnings, tt.wantWarn)
			}
		})
	}
}

func TestUnsupportedAndMissing(t *testing.T) {
	ex := New(Options{CacheDir: "-"})
	defer ex.Close()
	for _, p := range []string{"/nonexistent/x.pdf", "x.docx", t.TempDir() + "/"} {
		if _, err := ex.File(context.Background(), p); err == nil || !strings.Contains(err.Error(), "extract ") {
			t.Errorf("%s: err = %v", p, err)
		}
	}
}

// TestGeneratedPDF runs both engines on a PDF built here.
func TestGeneratedPDF(t *testing.T) {
	data := makePDF([]string{"Hello PDF world,", "second line with extrac-", "tion joined."}, []string{"Page two (c) text"})
	p := writeFile(t, "gen.pdf", data)
	for _, engine := range []string{EngineAuto, EnginePDFium, EngineLedongthuc} {
		t.Run(engine, func(t *testing.T) {
			doc, err := File(context.Background(), p, Options{PDFEngine: engine})
			if err != nil {
				t.Fatal(err)
			}
			if len(doc.Pages) != 2 || doc.Meta.PageCount != 2 {
				t.Fatalf("pages = %d", len(doc.Pages))
			}
			// PDFium joins the hyphenated line itself; the layout engine
			// keeps the line break after the joined word.
			got := doc.Pages[0].Text
			if !strings.HasPrefix(got, "Hello PDF world,\nsecond line with extraction") || !strings.HasSuffix(got, "joined.") || strings.Count(got, "\n") > 2 {
				t.Errorf("page 1 = %q", got)
			}
			if doc.Pages[1].Text != "Page two (c) text" {
				t.Errorf("page 2 = %q", doc.Pages[1].Text)
			}
			wantEngine := engine
			if engine == EngineAuto {
				wantEngine = autoOrder[0]
			}
			if doc.Pages[0].Engine != wantEngine {
				t.Errorf("engine = %q, want %q", doc.Pages[0].Engine, wantEngine)
			}
		})
	}
}

// TestHostile checks each hostile kind of the corpus gets its outcome.
func TestHostile(t *testing.T) {
	tests := []struct {
		file     string
		password string
		engine   string
		wantErr  string // "" means success
		wantSkip bool
		minPages int
	}{
		{file: "encrypted-aes256-userpw.pdf", wantErr: "password required"},
		{file: "encrypted-aes256-userpw.pdf", password: "wrong", wantErr: "wrong password"},
		{file: "encrypted-aes256-userpw.pdf", password: "user", minPages: 52},
		{file: "encrypted-aes256-userpw.pdf", engine: EngineLedongthuc, wantErr: "not a PDF"},
		{file: "encrypted-empty-pw-aes256.pdf", minPages: 52},
		{file: "encrypted-empty-pw-rc4-128.pdf", minPages: 1},
		{file: "encrypted-empty-pw-rc4-128.pdf", engine: EngineLedongthuc, minPages: 1},
		{file: "image-only-rfaq.pdf", wantErr: "no text layer (scanned document?); OCR is not supported", wantSkip: true},
		{file: "truncated-tail-lo-table.pdf", minPages: 1},
		{file: "truncated-tail-lo-table.pdf", engine: EngineLedongthuc, minPages: 1},
		{file: "truncated-half-R-intro.pdf", minPages: 50},
		{file: "garbage-after-header.pdf", wantErr: "not a PDF or damaged beyond repair"},
		{file: "empty.pdf", wantErr: "empty file"},
	}
	ex := New(Options{Timeout: time.Minute})
	defer ex.Close()
	for _, tt := range tests {
		t.Run(tt.file+"/"+tt.engine+"/"+tt.password, func(t *testing.T) {
			p := corpusPDF(t, tt.file)
			e := ex
			if tt.password != "" || tt.engine != "" {
				e = New(Options{Password: tt.password, PDFEngine: tt.engine, Workers: 1})
				defer e.Close()
			}
			doc, err := e.File(context.Background(), p)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("no error, want %q", tt.wantErr)
				}
				if !strings.HasPrefix(err.Error(), "extract "+p+": ") || !strings.Contains(err.Error(), tt.wantErr) || strings.Contains(err.Error(), "\n") {
					t.Errorf("err = %q, want one line naming the file with %q", err, tt.wantErr)
				}
				if (errclass.Kind(err) == errclass.Skip) != tt.wantSkip {
					t.Errorf("class = %v, want skip %v", errclass.Kind(err), tt.wantSkip)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(doc.Pages) < tt.minPages || doc.Chars() == 0 {
				t.Errorf("pages = %d (want ≥ %d), chars %d", len(doc.Pages), tt.minPages, doc.Chars())
			}
		})
	}
}

// TestQuality scores representative files of each kind against pdftotext.
func TestQuality(t *testing.T) {
	tests := []struct {
		file    string
		engines []string
		minWord float64
	}{
		{"R-FAQ.pdf", []string{EnginePDFium, EngineLedongthuc}, 0.98},
		{"lo-table.pdf", []string{EnginePDFium, EngineLedongthuc}, 0.98},
		{"booktabs.pdf", []string{EnginePDFium, EngineLedongthuc}, 0.95},
		{"chromium-twocol.pdf", []string{EnginePDFium, EngineLedongthuc}, 0.98},
		{"lo-twocol.pdf", []string{EnginePDFium, EngineLedongthuc}, 0.98},
		{"chromium-zh-llama.pdf", []string{EnginePDFium, EngineLedongthuc, EngineAuto}, 0.98},
		{"gs-gri-refcard.pdf", []string{EnginePDFium, EngineAuto}, 0.98},
		{"microtype.pdf", []string{EnginePDFium, EngineAuto}, 0.95},
		{"zhlipsum.pdf", []string{EnginePDFium, EngineLedongthuc}, 0.98},
		{"polyglossia-example-japanese.pdf", []string{EnginePDFium, EngineLedongthuc}, 0.95},
		{"babel-russianb.pdf", []string{EnginePDFium}, 0.98},
		{"c90-thai.pdf", []string{EnginePDFium}, 0.95},
	}
	for _, engine := range []string{EnginePDFium, EngineLedongthuc, EngineAuto} {
		ex := New(Options{PDFEngine: engine})
		defer ex.Close()
		for _, tt := range tests {
			if !contains(tt.engines, engine) {
				continue
			}
			t.Run(engine+"/"+tt.file, func(t *testing.T) {
				doc, err := ex.File(context.Background(), corpusPDF(t, tt.file))
				if err != nil {
					t.Fatal(err)
				}
				s := textmetric.Compare(corpusRef(t, tt.file), doc.Text())
				if s.WordF1 < tt.minWord {
					t.Errorf("word-F1 = %.3f, want ≥ %.2f", s.WordF1, tt.minWord)
				}
				if s.CJKSurvival() < 1 {
					t.Errorf("CJK survival = %.4f (%d of %d)", s.CJKSurvival(), s.CJKKept, s.CJKRef)
				}
			})
		}
	}
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if x == y {
			return true
		}
	}
	return false
}

// TestTimeout stops a long document at the limit, and the engine recovers
// for the next document.
func TestTimeout(t *testing.T) {
	if testing.Short() {
		t.Skip("reads a 1,158-page file")
	}
	big := corpusPDF(t, "octave.pdf")
	for _, engine := range []string{EnginePDFium, EngineLedongthuc} {
		t.Run(engine, func(t *testing.T) {
			// The limit comes from the caller's context here, so that the
			// next document runs without it however slow the machine.
			ex := New(Options{PDFEngine: engine, Workers: 1})
			defer ex.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			start := time.Now()
			_, err := ex.File(ctx, big)
			if !errors.Is(err, context.DeadlineExceeded) || !strings.HasPrefix(err.Error(), "extract "+big+": ") {
				t.Fatalf("err = %v, want the deadline", err)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("stopped after %s", d)
			}
			if _, err := ex.File(context.Background(), corpusPDF(t, "lo-table.pdf")); err != nil {
				t.Errorf("next document after a timeout: %v", err)
			}
		})
	}
	t.Run("Options.Timeout", func(t *testing.T) {
		_, err := File(context.Background(), big, Options{PDFEngine: EngineLedongthuc, Timeout: 200 * time.Millisecond})
		if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "time limit 200ms exceeded") {
			t.Fatalf("err = %v, want the time limit", err)
		}
	})
}

// TestConcurrent shares one Extractor between goroutines (run with -race).
func TestConcurrent(t *testing.T) {
	ex := New(Options{Workers: 2})
	defer ex.Close()
	files := []string{"R-FAQ.pdf", "lo-table.pdf", "chromium-zh-llama.pdf", "lo-twocol.pdf"}
	var wg sync.WaitGroup
	errs := make([]error, len(files))
	for i, f := range files {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = ex.File(context.Background(), corpusPDF(t, f))
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("%s: %v", files[i], err)
		}
	}
}

func TestStripHeaders(t *testing.T) {
	var pages [][]string
	for i := 1; i <= 5; i++ {
		pages = append(pages, []string{"Annual Report 2024", "Body text number one", "unique line " + strings.Repeat("x", i), "Page " + string(rune('0'+i))})
	}
	p := writeFile(t, "h.pdf", makePDF(pages...))
	for _, strip := range []bool{false, true} {
		doc, err := File(context.Background(), p, Options{StripHeaders: strip})
		if err != nil {
			t.Fatal(err)
		}
		text := doc.Pages[2].Text
		has := strings.Contains(text, "Annual Report") || strings.Contains(text, "Page 3")
		if has == strip || !strings.Contains(text, "unique line") {
			t.Errorf("strip=%v: page 3 = %q", strip, text)
		}
	}
}

// TestFailedPages: a document whose pages fail beyond the threshold fails
// as a whole; under it, each failed page carries a warning.
func TestFailedPages(t *testing.T) {
	// 19 of 37 pages in a filter ledongthuc cannot decode.
	var pages [][]string
	for i := 0; i < 37; i++ {
		pages = append(pages, []string{fmt.Sprintf("Page %d of a document whose pages fail.", i+1)})
	}
	p := writeFile(t, "failing.pdf", makePDFHex(func(i int) bool { return i%2 == 0 }, pages...))
	_, err := File(context.Background(), p, Options{PDFEngine: EngineLedongthuc})
	if !errors.Is(err, ErrTooManyFailedPages) || !strings.Contains(err.Error(), "19 of 37 pages") {
		t.Fatalf("err = %v", err)
	}
	doc, err := File(context.Background(), p, Options{PDFEngine: EngineLedongthuc, MaxFailedPages: 0.9})
	if err != nil {
		t.Fatal(err)
	}
	failed := 0
	for _, pg := range doc.Pages {
		for _, w := range pg.Warnings {
			if strings.Contains(w, "text extraction failed") {
				failed++
			}
		}
	}
	if failed != 19 {
		t.Errorf("%d pages warn of a failure, want 19", failed)
	}
	// auto reads those pages with PDFium instead, and says so.
	doc, err = File(context.Background(), p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	fallback := 0
	for _, pg := range doc.Pages {
		if pg.Engine == EnginePDFium && len(pg.Warnings) > 0 {
			fallback++
		}
	}
	if fallback != 19 {
		t.Errorf("%d pages from the fallback engine, want 19", fallback)
	}
}

// TestRepair rebuilds the cross-reference of generated PDFs that lost their
// tail, with both engines.
func TestRepair(t *testing.T) {
	good := makePDF([]string{"Repaired page one"}, []string{"Repaired page two"})
	tests := []struct {
		name string
		data []byte
	}{
		{"no-startxref", good[:len(good)-30]},
		{"no-xref", good[:bytes.LastIndex(good, []byte("xref"))-1]},
		{"bad-offset", bytes.Replace(good, []byte("startxref\n"), []byte("startxref\n9"), 1)},
	}
	for _, tt := range tests {
		for _, engine := range []string{EngineAuto, EngineLedongthuc, EnginePDFium} {
			t.Run(tt.name+"/"+engine, func(t *testing.T) {
				doc, err := File(context.Background(), writeFile(t, "r.pdf", tt.data), Options{PDFEngine: engine})
				if err != nil {
					t.Fatal(err)
				}
				if len(doc.Pages) != 2 || doc.Pages[1].Text != "Repaired page two" {
					t.Errorf("pages = %+v", doc.Pages)
				}
			})
		}
	}
	if _, err := File(context.Background(), writeFile(t, "g.pdf", []byte("%PDF-1.4\nnothing here\n")), Options{}); !errors.Is(err, ErrNotPDF) {
		t.Errorf("garbage: err = %v", err)
	}
}

// TestWriteText: WriteText writes page after page what Text returns (the
// pages joined by form feeds), and stops at the writer's first error.
func TestWriteText(t *testing.T) {
	doc, err := File(context.Background(), corpusPDF(t, "booktabs.pdf"), Options{PDFEngine: EngineLedongthuc})
	if err != nil {
		t.Fatal(err)
	}
	var want strings.Builder
	for i, p := range doc.Pages {
		if i > 0 {
			want.WriteString("\f")
		}
		want.WriteString(p.Text)
	}
	var got bytes.Buffer
	if err := doc.WriteText(&got); err != nil {
		t.Fatal(err)
	}
	if got.String() != want.String() || doc.Text() != want.String() {
		t.Errorf("WriteText wrote %d bytes, Text %d, want %d", got.Len(), len(doc.Text()), want.Len())
	}
	for _, limit := range []int{0, 10, want.Len() - 1} {
		w := &failingWriter{left: limit}
		if err := doc.WriteText(w); !errors.Is(err, errWriterFull) {
			t.Errorf("writer full after %d bytes: err = %v", limit, err)
		}
	}
}

var errWriterFull = errors.New("writer full")

// failingWriter takes left bytes, then fails.
type failingWriter struct{ left int }

func (w *failingWriter) Write(p []byte) (int, error) {
	if len(p) > w.left {
		n := w.left
		w.left = 0
		return n, errWriterFull
	}
	w.left -= len(p)
	return len(p), nil
}

// TestPageResources: a page reads its own Resources when it is read, and
// a page without them those of its ancestors.
func TestPageResources(t *testing.T) {
	pdf := assemblePDF([]string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Count 2 /Kids [4 0 R 6 0 R] /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> >>",
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
		"<< /Type /Page /Parent 2 0 R /Contents 5 0 R >>",
		streamObj("BT /F1 12 Tf 72 720 Td (inherited fonts) Tj ET\n"),
		"<< /Type /Page /Parent 2 0 R /Resources << /Font << /G9 8 0 R >> >> /Contents 7 0 R >>",
		streamObj("BT /G9 12 Tf 72 720 Td (own fonts) Tj ET\n"),
		// Its own font maps o to ø: a font missing from the page would read o.
		"<< /Type /Font /Subtype /Type1 /BaseFont /Times-Roman /Encoding << /BaseEncoding /WinAnsiEncoding /Differences [111 /oslash] >> >>",
	})
	doc, err := File(context.Background(), writeFile(t, "res.pdf", pdf), Options{PDFEngine: EngineLedongthuc})
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Pages) != 2 || doc.Pages[0].Text != "inherited fonts" || doc.Pages[1].Text != "øwn fønts" {
		t.Errorf("pages = %+v", doc.Pages)
	}
}
