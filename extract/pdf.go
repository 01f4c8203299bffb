package extract

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/llsum/llsum/internal/errclass"
	"github.com/llsum/llsum/internal/textutil"
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
	// ErrEngineFault: the PDF engine itself failed (PDFium ran out of its
	// memory limit or trapped); its instance is discarded, so that the
	// next document gets a fresh one.
	ErrEngineFault = errors.New("PDFium failed, instance discarded (out of memory or a PDFium fault)")
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
func (e *Extractor) openEngine(ctx context.Context, engine string, in docInput, bud *budget) (pdfSource, error) {
	switch engine {
	case EnginePDFium:
		d, err := e.pdfium.open(ctx, in, e.opts.Password)
		if err != nil {
			return nil, err
		}
		return d, nil
	case EngineLedongthuc:
		return openLedongthuc(ctx, in, e.opts.Password, bud)
	}
	return nil, fmt.Errorf("unknown PDF engine %q (want auto, ledongthuc or pdfium)", engine)
}

// isFinal reports whether an open error is the document's answer whatever the
// engine (so another engine is not tried).
func isFinal(err error) bool {
	return errors.Is(err, ErrPasswordRequired) || errors.Is(err, ErrWrongPassword) || errors.Is(err, ErrMemoryBudget) ||
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
	// One budget for the document, whichever engines read it.
	bud := newBudget(e.memoryBudget())
	if bud.limit > 0 && (primary == EngineLedongthuc || secondary == EngineLedongthuc) {
		if err := objStmGuard(path, bud.limit/objStmShare); err != nil {
			return nil, err
		}
	}
	src, err := e.openEngine(ctx, primary, in, bud)
	var docWarnings []string
	repaired := false
	if err != nil && errors.Is(err, ErrNotPDF) && secondary != "" {
		// Damaged: rebuild the cross-reference from the objects left and
		// keep the fast engine, before handing the whole file to the other
		// (in memory: only when the file fits the budget).
		repaired = true
		if data, rerr := repairPDF(path, bud.limit/2); rerr == nil {
			if s2, err2 := e.openEngine(ctx, primary, docInput{path: path, data: data}, bud); err2 == nil && s2.numPages() > 0 {
				src, err, in.data = s2, nil, data
				docWarnings = append(docWarnings, "damaged PDF: cross-reference rebuilt from the objects found")
			} else if err2 == nil {
				s2.close()
			}
		}
	}
	if err != nil && secondary != "" && !isFinal(err) {
		s2, err2 := e.openEngine(ctx, secondary, in, bud)
		switch {
		case err2 == nil:
			src, err, primary, secondary = s2, nil, secondary, ""
		case isFinal(err2):
			// The other engine knows better (a password it can check).
			err = err2
		}
	}
	if err != nil && errors.Is(err, ErrNotPDF) && !repaired {
		// Damaged: rebuild the cross-reference from the objects left (in
		// memory: only when the file fits the budget).
		if data, rerr := repairPDF(path, bud.limit/2); rerr == nil {
			in.data = data
			if s2, err2 := e.openEngine(ctx, primary, in, bud); err2 == nil {
				src, err = s2, nil
				docWarnings = append(docWarnings, "damaged PDF: cross-reference rebuilt from the objects found")
			}
		}
	}
	if err != nil {
		return nil, err
	}
	defer src.close()
	if w, ok := src.(interface{ warns() []string }); ok {
		docWarnings = append(docWarnings, w.warns()...)
	}

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
			s, err := e.openEngine(ctx, secondary, in, bud)
			if err != nil {
				otherFailed = true
				return "", err
			}
			other = s
		}
		return other.page(ctx, i)
	}

	failed := 0
	cjkDoc := false // CJK text or fonts seen on the pages so far
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
		if errors.Is(perr, ErrMemoryBudget) || errors.Is(perr, ErrEngineFault) {
			return nil, fmt.Errorf("page %d: %w", i+1, perr)
		}
		text := cleanPage(raw)
		q := judge(src, raw, text, perr, cjkDoc)
		tried := "" // the fallback's verdict when it was tried and not used
		if q.reason() != "" && secondary != "" {
			alt, aerr := fallback(i)
			if errors.Is(aerr, ErrEngineFault) {
				otherFailed = true // the instance is gone
			}
			if cerr := ctx.Err(); cerr != nil {
				return nil, cerr
			}
			if errors.Is(aerr, ErrMemoryBudget) {
				return nil, fmt.Errorf("page %d: %w", i+1, aerr)
			}
			altText := cleanPage(alt)
			aq := judge(nil, alt, altText, aerr, cjkDoc || q.cjk)
			switch {
			case aerr == nil && q.soupOnly() && aq.soupOnly() && agree(q.text.soup, aq.text.soup):
				// Both engines read the same accented words: text, not soup.
				q.text.soup, q.text.soupRunes = nil, 0
			case aerr == nil && aq.betterThan(q, altText, text):
				p.Warnings = append(p.Warnings, fmt.Sprintf("%s: %s; used %s", primary, q.reason(), secondary))
				text, perr, p.Engine, q = altText, nil, secondary, aq
			case aerr != nil:
				tried = fmt.Sprintf("; %s failed too: %v", secondary, aerr)
			default:
				tried = fmt.Sprintf("; %s no better: %s", secondary, aq.reason())
			}
		}
		if q.garbled() {
			// No engine decoded this page: leave the garbage out, and say so.
			var dropped int
			text, dropped = dropGarbage(text, q.text)
			dropped += q.text.ctrl // the controls cleanPage removed
			p.Garbled = true
			p.Warnings = append(p.Warnings, fmt.Sprintf(garbledPrefix+"%s: %s%s; %d %s left out",
				p.Engine, q.reason(), tried, dropped, textutil.Plural(dropped, "character", "characters")))
		} else if r := q.reason(); r != "" && perr == nil && strings.TrimSpace(text) != "" {
			p.Warnings = append(p.Warnings, r)
		} else if q.text.bad > 0 {
			// A few scattered glyphs without a Unicode mapping (math
			// delimiters, icons): left out, and said.
			var dropped int
			text, dropped = dropGarbage(text, q.text)
			dropped += q.text.ctrl
			p.Warnings = append(p.Warnings, fmt.Sprintf("%d %s without a Unicode mapping left out",
				dropped, textutil.Plural(dropped, "character", "characters")))
		}
		if q.cjk {
			cjkDoc = true
		}
		p.Text = text
		if err := bud.keep(int64(len(text))+nodeCost, "document text"); err != nil {
			return nil, fmt.Errorf("page %d: %w", i+1, err)
		}
		switch {
		case perr != nil:
			failed++
			p.Warnings = append(p.Warnings, fmt.Sprintf("text extraction failed: %v", perr))
		case strings.TrimSpace(text) == "":
			p.Warnings = append(p.Warnings, "no text on page")
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

// garbledPrefix starts the warning of a page marked Garbled.
const garbledPrefix = "text looks garbled: "

// memoryBudget is the budget of one document: Options.MemoryBudget, or
// DefaultMemoryBudget when that is 0; no limit when it is negative.
func (e *Extractor) memoryBudget() int64 {
	switch b := e.opts.MemoryBudget; {
	case b < 0:
		return 0
	case b == 0:
		return DefaultMemoryBudget
	default:
		return b
	}
}

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
	for l := range strings.SplitSeq(text, "\n") {
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

// mojibake reports text dominated by the Latin-1 punctuation and signs that
// font codes decode to when a font has no usable Unicode mapping (the
// replacement, private-use and control characters are the plausibility
// check's, plausible.go).
func mojibake(text string) bool {
	total, odd := 0, 0
	for _, r := range text {
		if unicode.IsSpace(r) {
			continue
		}
		total++
		switch {
		case r >= 0xA0 && r <= 0xBF, r == 0xD7, r == 0xF7:
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
	if r < 0x0E00 { // below Thai
		return false
	}
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Thai, unicode.Lao, unicode.Khmer, unicode.Myanmar, unicode.Tibetan)
}

// pageQuality is the verdict on one engine's text for one page.
type pageQuality struct {
	poor   string    // poorPage's finding (error, empty, few spaces, …)
	text   textCheck // the text checks' findings
	glyphs string    // the glyph checks' finding (ledongthuc)
	empty  bool      // no text, or an error
	cjk    bool      // the page is CJK (text or fonts)
}

// garbled reports a page whose text failed the garbage checks.
func (q pageQuality) garbled() bool { return !q.empty && (q.text.failed() || q.glyphs != "") }

// judge checks an engine's text for a page; src, when it is the
// ledongthuc engine, adds what its fonts say.
func judge(src pdfSource, raw, text string, err error, cjkDoc bool) pageQuality {
	var q pageQuality
	var gs *glyphStats
	if g, ok := src.(interface{ glyphs() *glyphStats }); ok && err == nil {
		gs = g.glyphs()
	}
	q.text = checkText(raw, text, cjkDoc || (gs != nil && gs.cjk > 0))
	q.cjk = cjkDoc || (gs != nil && gs.cjk > 0) || strings.ContainsFunc(text, isCJK)
	q.glyphs = gs.check()
	q.empty = err != nil || strings.TrimSpace(text) == ""
	q.poor = poorPage(text, err)
	return q
}

// reason says why the page looks wrong, or "" when it looks fine.
func (q pageQuality) reason() string {
	var parts []string
	if q.poor != "" {
		parts = append(parts, q.poor)
	}
	if !q.empty {
		if q.glyphs != "" {
			parts = append(parts, q.glyphs)
		}
		if q.text.failed() {
			parts = append(parts, q.text.reason())
		}
	}
	return strings.Join(parts, "; ")
}

// soupOnly reports a page whose one fault is Latin-1 soup.
func (q pageQuality) soupOnly() bool {
	return q.poor == "" && q.glyphs == "" && q.text.bad < minBadRunes && len(q.text.soup) > 0
}

// betterThan reports whether the fallback's text (q, alt) should replace
// the primary's (p, primary).
func (q pageQuality) betterThan(p pageQuality, alt, primary string) bool {
	switch {
	case strings.TrimSpace(alt) == "":
		return false
	case p.empty:
		return true
	case q.reason() == "":
		return true
	case p.garbled() && !q.garbled():
		return true
	case p.garbled() && q.garbled():
		return garbage(q, alt) < garbage(p, primary)
	}
	return false
}

// garbage is the share of a page's text that the checks object to.
func garbage(q pageQuality, text string) float64 {
	n := utf8.RuneCountInString(text)
	if n == 0 {
		return 1
	}
	g := q.text.bad + q.text.soupRunes
	if q.glyphs != "" && g == 0 {
		g = 1
	}
	return float64(g) / float64(n)
}
