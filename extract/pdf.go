package extract

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/llsum/llsum/internal/errclass"
)

// Engine names, as Options.PDFEngine takes them and Page.Engine reports them.
const (
	EngineAuto       = "auto"
	EngineLedongthuc = "ledongthuc"
	EnginePDFium     = "pdfium"
)

// Errors a PDF can fail with; they are wrapped as "extract PATH: cause".
var (
	// ErrPasswordRequired: the PDF is encrypted and needs a user password.
	ErrPasswordRequired = errors.New("password required (encrypted PDF; give the user password)")
	// ErrWrongPassword: the password given does not open the PDF.
	ErrWrongPassword = errors.New("wrong password for encrypted PDF")
	// ErrNotPDF: the file is not a PDF or too damaged to be read.
	ErrNotPDF = errors.New("not a PDF or damaged beyond repair")
	// ErrTooManyFailedPages: more pages failed than Options.MaxFailedPages
	// allows; the document is reported as failed rather than summarized
	// from fragments.
	ErrTooManyFailedPages = errors.New("too many pages failed")
)

// defaultMaxFailedPages is the share of pages that may fail before the whole
// document does.
const defaultMaxFailedPages = 0.1

// pdfSource is one open PDF in one engine.
type pdfSource interface {
	meta() Meta
	numPages() int
	// page returns the raw text of page i (0-based).
	page(ctx context.Context, i int) (string, error)
	close()
}

// docInput is a document to open: the file at path, or data in its place
// (the repaired bytes of a damaged file).
type docInput struct {
	path string
	data []byte
}

// openEngine opens the document with the named engine.
func (e *Extractor) openEngine(ctx context.Context, engine string, in docInput) (pdfSource, error) {
	switch engine {
	case EnginePDFium:
		d, err := e.pdfium.open(ctx, in, e.opts.Password)
		if err != nil {
			return nil, err
		}
		return d, nil
	case EngineLedongthuc:
		return openLedongthuc(ctx, in, e.opts.Password)
	}
	return nil, fmt.Errorf("unknown PDF engine %q (want auto, ledongthuc or pdfium)", engine)
}

// isFinal reports whether an open error is the document's answer whatever the
// engine (so another engine is not tried).
func isFinal(err error) bool {
	return errors.Is(err, ErrPasswordRequired) || errors.Is(err, ErrWrongPassword) ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

func (e *Extractor) extractPDF(ctx context.Context, path string) (*Document, error) {
	engine := e.opts.PDFEngine
	if engine == "" {
		engine = EngineAuto
	}
	primary, secondary := engine, ""
	if engine == EngineAuto {
		primary, secondary = autoOrder[0], autoOrder[1]
	}
	in := docInput{path: path}
	src, err := e.openEngine(ctx, primary, in)
	if err != nil && secondary != "" && !isFinal(err) {
		s2, err2 := e.openEngine(ctx, secondary, in)
		switch {
		case err2 == nil:
			src, err, primary, secondary = s2, nil, secondary, ""
		case isFinal(err2):
			// The other engine knows better (a password it can check).
			err = err2
		}
	}
	var docWarnings []string
	if err != nil && errors.Is(err, ErrNotPDF) {
		// Damaged: rebuild the cross-reference from the objects left.
		if data, rerr := repairPDF(path); rerr == nil {
			in.data = data
			if s2, err2 := e.openEngine(ctx, primary, in); err2 == nil {
				src, err = s2, nil
				docWarnings = append(docWarnings, "damaged PDF: cross-reference rebuilt from the objects found")
			}
		}
	}
	if err != nil {
		return nil, err
	}
	defer src.close()

	n := src.numPages()
	if n <= 0 {
		return nil, fmt.Errorf("PDF has no pages")
	}
	doc := &Document{Path: path, Format: "pdf", Meta: src.meta(), Warnings: docWarnings}
	doc.Meta.PageCount = n
	doc.Pages = make([]Page, n)

	var other pdfSource // opened on first need
	otherFailed := false
	defer func() {
		if other != nil {
			other.close()
		}
	}()
	fallback := func(i int) (string, error) {
		if secondary == "" || otherFailed {
			return "", errNoFallback
		}
		if other == nil {
			s, err := e.openEngine(ctx, secondary, in)
			if err != nil {
				otherFailed = true
				return "", err
			}
			other = s
		}
		return other.page(ctx, i)
	}

	failed := 0
	for i := 0; i < n; i++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		p := &doc.Pages[i]
		p.Number = i + 1
		p.Engine = primary
		raw, perr := src.page(ctx, i)
		if cerr := ctx.Err(); cerr != nil {
			return nil, cerr
		}
		text := cleanPage(raw)
		if reason := poorPage(text, perr); reason != "" && secondary != "" {
			alt, aerr := fallback(i)
			if cerr := ctx.Err(); cerr != nil {
				return nil, cerr
			}
			altText := cleanPage(alt)
			if aerr == nil && betterPage(altText, text, perr) {
				p.Warnings = append(p.Warnings, fmt.Sprintf("%s: %s; used %s", primary, reason, secondary))
				text, perr, p.Engine = altText, nil, secondary
			}
		}
		if reason := poorPage(text, perr); reason != "" && perr == nil && strings.TrimSpace(text) != "" {
			p.Warnings = append(p.Warnings, fmt.Sprintf("page %d: %s", i+1, reason))
		}
		p.Text = text
		switch {
		case perr != nil:
			failed++
			p.Warnings = append(p.Warnings, fmt.Sprintf("page %d: text extraction failed: %v", i+1, perr))
		case strings.TrimSpace(text) == "":
			p.Warnings = append(p.Warnings, fmt.Sprintf("page %d: no text on page", i+1))
		}
	}
	total := 0
	for _, p := range doc.Pages {
		total += len(strings.TrimSpace(p.Text))
	}
	if failed > 0 && float64(failed) > e.maxFailed()*float64(n) {
		return nil, fmt.Errorf("%w: %d of %d pages could not be read", ErrTooManyFailedPages, failed, n)
	}
	if total == 0 {
		if failed > 0 {
			return nil, fmt.Errorf("no page could be read (%d failed)", failed)
		}
		return nil, errclass.AsSkip(ErrNoText)
	}
	if e.opts.StripHeaders {
		stripRunning(doc.Pages)
	}
	return doc, nil
}

// autoOrder is the engine auto tries first, and its fallback, chosen by
// the corpus measurement (README, "PDF extraction").
var autoOrder = [2]string{EngineLedongthuc, EnginePDFium}

var errNoFallback = errors.New("no fallback engine")

func (e *Extractor) maxFailed() float64 {
	if e.opts.MaxFailedPages > 0 {
		return e.opts.MaxFailedPages
	}
	return defaultMaxFailedPages
}

// poorPage says why an engine's page text looks wrong, or "" when it looks
// fine: an error, no text, or implausibly few spaces for its script.
func poorPage(text string, err error) string {
	if err != nil {
		return "page error"
	}
	if strings.TrimSpace(text) == "" {
		return "empty page"
	}
	if fewSpaces(text) {
		return "implausibly few spaces"
	}
	if brokenLines(text) {
		return "text broken into one-glyph lines"
	}
	if mojibake(text) {
		return "text looks undecoded (no Unicode mapping)"
	}
	return ""
}

// brokenLines reports text where most lines hold a glyph or two: positions
// the layout could not follow.
func brokenLines(text string) bool {
	lines, short := 0, 0
	for _, l := range strings.Split(text, "\n") {
		n := utf8.RuneCountInString(strings.TrimSpace(l))
		if n == 0 {
			continue
		}
		lines++
		if n <= 2 {
			short++
		}
	}
	return lines >= 20 && short*2 > lines
}

// mojibake reports text dominated by the symbols that font codes decode to
// when a font has no usable Unicode mapping (Latin-1 punctuation and signs,
// private-use and replacement characters).
func mojibake(text string) bool {
	total, odd := 0, 0
	for _, r := range text {
		if unicode.IsSpace(r) {
			continue
		}
		total++
		switch {
		case r >= 0xA0 && r <= 0xBF, r == 0xD7, r == 0xF7, r == 0xFFFD,
			unicode.Is(unicode.Co, r), unicode.IsControl(r):
			odd++
		}
	}
	return total >= 50 && odd*10 > total
}

// fewSpaces reports text in a space-separated script with word-length runs
// far longer than words are: the mark of glyphs placed without spaces.
func fewSpaces(text string) bool {
	letters, spaced, runs := 0, 0, 0
	inRun := false
	for _, r := range text {
		switch {
		case unicode.IsLetter(r) && !spacelessScript(r):
			letters++
			spaced++
			if !inRun {
				runs++
				inRun = true
			}
		case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r):
			letters++
		default:
			inRun = false
		}
	}
	if spaced < 200 || spaced*2 < letters {
		return false
	}
	// Average word lengths in space-separated scripts are 4–8 letters.
	return float64(spaced)/float64(runs) > 14
}

func spacelessScript(r rune) bool {
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Thai, unicode.Lao, unicode.Khmer, unicode.Myanmar, unicode.Tibetan)
}

// betterPage reports whether the fallback's text should replace the
// primary's.
func betterPage(alt, primary string, primaryErr error) bool {
	if strings.TrimSpace(alt) == "" {
		return false
	}
	if primaryErr != nil || strings.TrimSpace(primary) == "" {
		return true
	}
	return poorPage(alt, nil) == ""
}
