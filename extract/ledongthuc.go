package extract

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/ledongthuc/pdf"
)

// ledongthucDoc reads a PDF with github.com/ledongthuc/pdf's parser and
// rebuilds the text from positioned glyphs (see layout.go).
type ledongthucDoc struct {
	f        *os.File
	r        *pdf.Reader
	pages    []pdf.Value // the page tree, walked once
	res      []pdf.Value // the Resources each page inherits, resolved in the walk
	boxes    []rect      // each page's crop or media box, inherited ones resolved in the walk
	m        Meta
	fonts    map[string]*fontInfo            // by font object
	fontSets map[string]map[string]*fontInfo // by resource dict, then name
	last     glyphStats                      // of the page last read
	buf      []glyph                         // glyph buffer, reused page after page
	fontRefs map[string]*fontInfo            // by reference ("12 0 R")
	content  []byte                          // content stream buffer, reused page after page
	cols     colScratch                      // column order's buffers, reused page after page
	bud      *budget
	warnings []string
	oc       *optionalContent // nil: no optional content turned off
}

// refIn returns the reference ("12 0 R") that a printed dictionary (as
// pdf.Value.String prints it: "<</F1 12 0 R /F2 …>>") gives for name, or ""
// when its value is not a reference.
func refIn(dict, name string) string {
	i := strings.Index(dict, "/"+name+" ")
	if i < 0 {
		return ""
	}
	rest := dict[i+len(name)+2:]
	end := strings.Index(rest, " R")
	if end < 0 {
		return ""
	}
	f := strings.Fields(rest[:end])
	if len(f) != 2 {
		return ""
	}
	for _, x := range f {
		if strings.Trim(x, "0123456789") != "" {
			return ""
		}
	}
	return rest[:end+2]
}

func openLedongthuc(ctx context.Context, in docInput, password string, bud *budget) (d *ledongthucDoc, err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var ra io.ReaderAt
	var size int64
	var f *os.File
	if in.data != nil {
		ra, size = bytes.NewReader(in.data), int64(len(in.data))
	} else {
		f, err = os.Open(in.path)
		if err != nil {
			return nil, err
		}
		fi, err := f.Stat()
		if err != nil {
			f.Close()
			return nil, err
		}
		ra, size = f, fi.Size()
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w (ledongthuc: %v)", ErrNotPDF, r)
		}
		if err != nil && f != nil {
			f.Close()
		}
	}()
	tried := false
	r, err := pdf.NewReaderEncrypted(ra, size, func() string {
		if tried {
			return ""
		}
		tried = true
		return password
	})
	if err != nil {
		if errors.Is(err, pdf.ErrInvalidPassword) {
			if password == "" {
				return nil, ErrPasswordRequired
			}
			return nil, ErrWrongPassword
		}
		return nil, fmt.Errorf("%w (ledongthuc: %v)", ErrNotPDF, err)
	}
	d = &ledongthucDoc{f: f, r: r, bud: bud, fonts: map[string]*fontInfo{}, fontSets: map[string]map[string]*fontInfo{}, fontRefs: map[string]*fontInfo{}}
	d.oc = readOptionalContent(r)
	root := r.Trailer().Key("Root")
	tree := &pageTree{seen: map[uint32]bool{}}
	top := root.Key("Pages")
	if id, ok := selfRef(top); ok {
		tree.seen[id] = true
	}
	d.walk(ctx, tree, top, pdf.Value{}, rect{}, 0)
	if tree.err != nil {
		return nil, tree.err
	}
	if tree.repeated > 0 {
		d.warnings = append(d.warnings, fmt.Sprintf("page tree: %d repeated references skipped (a /Kids cycle or nodes shared between parents)", tree.repeated))
	}
	if tree.tooDeep > 0 {
		d.warnings = append(d.warnings, fmt.Sprintf("page tree: %d nodes deeper than 64 levels skipped", tree.tooDeep))
	}
	info := r.Trailer().Key("Info")
	d.m = Meta{
		Title:     cleanMeta(info.Key("Title").Text()),
		Author:    cleanMeta(info.Key("Author").Text()),
		Producer:  cleanMeta(info.Key("Producer").Text()),
		PageCount: len(d.pages),
		Encrypted: !r.Trailer().Key("Encrypt").IsNull(),
	}
	return d, nil
}

// pageTree is the state of one walk of a page tree.
type pageTree struct {
	seen     map[uint32]bool // indirect nodes visited, by object number
	nodes    int
	repeated int // references to nodes already visited (cycles, shared /Kids)
	tooDeep  int
	err      error
}

// walk collects the leaves of the page tree in order, with the Resources
// each inherits (so that reading a page does not re-read its ancestors).
// Each indirect node is visited once: a /Kids cycle or a node shared
// between parents (which can describe 2^30 pages in a few kilobytes) is
// read once and the repeats are counted; nodes and pages are charged to
// the budget.
func (d *ledongthucDoc) walk(ctx context.Context, t *pageTree, node, res pdf.Value, box rect, depth int) {
	if t.err != nil || node.IsNull() || ctx.Err() != nil {
		return
	}
	if depth > 64 {
		t.tooDeep++
		return
	}
	t.nodes++
	if t.nodes > maxPageNodes {
		t.err = fmt.Errorf("%w: page tree of more than %d nodes", ErrMemoryBudget, maxPageNodes)
		return
	}
	if err := d.bud.keep(nodeCost, "page tree"); err != nil {
		t.err = err
		return
	}
	if b := nodeBox(node); b != (rect{}) {
		box = b
	}
	kids := node.Key("Kids")
	if node.Key("Type").Name() == "Page" || (kids.IsNull() && !node.Key("Contents").IsNull()) {
		// A page's own Resources are read when the page is: held from
		// here, the parsed dictionaries of a 2,415-page manual weigh MBs.
		d.pages = append(d.pages, node)
		d.res = append(d.res, res)
		d.boxes = append(d.boxes, box)
		return
	}
	if r := node.Key("Resources"); !r.IsNull() {
		res = r
	}
	for i := 0; i < kids.Len() && t.err == nil; i++ {
		if id, ok := refAt(kids, i); ok {
			if t.seen[id] {
				t.repeated++
				continue
			}
			t.seen[id] = true
		}
		d.walk(ctx, t, kids.Index(i), res, box, depth+1)
	}
}

// refAt returns the object number of element i of array a when it is an
// indirect reference. The library does not export references, so this
// reads its representation; when that changes, ok is false and the walk
// relies on its node limit alone.
func refAt(a pdf.Value, i int) (id uint32, ok bool) {
	defer func() {
		if recover() != nil {
			id, ok = 0, false
		}
	}()
	data := reflect.ValueOf(a).FieldByName("data")
	if !data.IsValid() || data.Kind() != reflect.Interface || data.IsNil() {
		return 0, false
	}
	arr := data.Elem()
	if arr.Kind() != reflect.Slice || i >= arr.Len() {
		return 0, false
	}
	el := arr.Index(i)
	if el.Kind() == reflect.Interface {
		el = el.Elem()
	}
	if el.Kind() != reflect.Struct || el.Type().Name() != "objptr" {
		return 0, false
	}
	f := el.FieldByName("id")
	if !f.IsValid() || !f.CanUint() {
		return 0, false
	}
	return uint32(f.Uint()), true
}

// selfRef returns the object number a resolved indirect value was read
// from (for a direct value, that of the object containing it).
func selfRef(v pdf.Value) (id uint32, ok bool) {
	defer func() {
		if recover() != nil {
			id, ok = 0, false
		}
	}()
	f := reflect.ValueOf(v).FieldByName("ptr").FieldByName("id")
	if !f.IsValid() || !f.CanUint() {
		return 0, false
	}
	return uint32(f.Uint()), true
}

func (d *ledongthucDoc) meta() Meta    { return d.m }
func (d *ledongthucDoc) numPages() int { return len(d.pages) }
func (d *ledongthucDoc) close() {
	if d.f != nil {
		d.f.Close()
	}
}

func (d *ledongthucDoc) page(ctx context.Context, i int) (text string, err error) {
	d.last = glyphStats{}
	in := &interp{ctx: ctx, doc: d}
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(error); ok && errors.Is(e, ErrMemoryBudget) {
				err = e
			} else if in.err != nil {
				err = in.err
			} else {
				err = fmt.Errorf("ledongthuc: %v", r)
			}
		}
	}()
	if i < 0 || i >= len(d.pages) {
		return "", fmt.Errorf("no page %d", i+1)
	}
	defer d.bud.endPage()
	pg, res := d.pages[i], d.res[i]
	if r := pg.Key("Resources"); !r.IsNull() {
		res = r
	}
	clip := d.boxes[i]
	// Each page is read once: let its parsed dictionaries go (a few MB
	// on a 2,415-page manual).
	d.pages[i], d.res[i] = pdf.Value{}, pdf.Value{}
	in.glyphs = d.buf[:0]
	in.run(pg.Key("Contents"), res, ident, 0)
	d.buf = in.glyphs[:0] // reused by the next page: layoutText copies the text out
	if in.err != nil {
		return "", in.err
	}
	d.last = in.stats
	return layoutText(in.glyphs, clip, &d.cols), nil
}

// nodeBox returns the crop box, or else the media box, that a page tree
// node sets; the zero rect when it sets no usable one.
func nodeBox(n pdf.Value) rect {
	for _, k := range [...]string{"CropBox", "MediaBox"} {
		a := n.Key(k)
		if a.Len() != 4 {
			continue
		}
		x0, y0, x1, y1 := a.Index(0).Float64(), a.Index(1).Float64(), a.Index(2).Float64(), a.Index(3).Float64()
		r := rect{min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)}
		if r.x1-r.x0 >= 1 && r.y1-r.y0 >= 1 {
			return r
		}
	}
	return rect{}
}

// warns returns the document-level warnings of the open.
func (d *ledongthucDoc) warns() []string { return d.warnings }

// glyphs returns the glyph statistics of the page last read.
func (d *ledongthucDoc) glyphs() *glyphStats { return &d.last }

type matrix [6]float64 // a b c d e f

var ident = matrix{1, 0, 0, 1, 0, 0}

// mul returns m×n (apply m, then n).
func (m matrix) mul(n matrix) matrix {
	return matrix{
		m[0]*n[0] + m[1]*n[2], m[0]*n[1] + m[1]*n[3],
		m[2]*n[0] + m[3]*n[2], m[2]*n[1] + m[3]*n[3],
		m[4]*n[0] + m[5]*n[2] + n[4], m[4]*n[1] + m[5]*n[3] + n[5],
	}
}

// translated is matrix{1, 0, 0, 1, dx, 0}.mul(m), term by term: a move
// of dx along m's x axis (the text matrix after a glyph's advance).
func (m matrix) translated(dx float64) matrix {
	m[4] = dx*m[0] + 0*m[2] + m[4]
	m[5] = dx*m[1] + 0*m[3] + m[5]
	return m
}

// glyph is one decoded character placed on the page.
type glyph struct {
	s       string
	x, y    float64 // baseline start, device space
	w, size float64 // advance and font size, device space
	space   bool    // a space character drawn in the stream
}

// fontInfo is what the interpreter needs of a font.
type fontInfo struct {
	enc     pdf.TextEncoding
	twoByte bool
	widths  map[int]float64
	dw      float64
	spaceW  float64
	narrow  [256]string
	known   [256]bool
	wide    map[int]string
	// toUnicode is the font's ToUnicode map, preferred to enc.
	toUnicode map[int]string
	// utf16 marks a CID font encoded with a predefined Unicode CMap
	// (Uni…-UCS2-H, Uni…-UTF16-V, …): codes are UTF-16BE.
	utf16 bool
	// unmapped says why a CID font's codes have no usable Unicode mapping
	// beyond toUnicode ("" when they have one); such codes decode to U+FFFD.
	unmapped string
	// program reads codes through the embedded TrueType program where
	// the ToUnicode map has nothing, U+FFFD or a private-use character
	// (nil: the encoding is not Identity-H/V, or the program was loaded
	// into programText, nil when the font has none); loaded on first use.
	program     func() *glyphText
	programText *glyphText
	// builtin is a simple font's text by code from its embedded Type 1
	// program's encoding, when the PDF gives no encoding.
	builtin map[int]string
	// symbols reads a symbol font's codes where its ToUnicode map gives
	// them as U+F0xx (symbolfont.go); nil for other fonts.
	symbols map[int]string
	name    string // BaseFont, for warnings
	cjk     bool   // a CJK character collection (Adobe-GB1, -CNS1, -Japan1, -Korea1)
	// picture marks LaTeX's picture-mode fonts, whose glyphs are pieces
	// of lines and circles, not text: they show nothing.
	picture bool
}

func (d *ledongthucDoc) font(fv pdf.Value) *fontInfo {
	key := fv.String()
	if len(key) > 200 {
		key = key[:200]
	}
	if fi, ok := d.fonts[key]; ok {
		return fi
	}
	f := pdf.Font{V: fv}
	fi := &fontInfo{widths: map[int]float64{}, toUnicode: readToUnicode(fv.Key("ToUnicode"))}
	if enc := fv.Key("Encoding"); fi.toUnicode != nil && (enc.IsNull() || enc.Name() == "Identity-H") {
		// The library would read the same ToUnicode CMap again, without
		// bounds; the map above is what decoding uses first anyway.
		fi.enc = nopEncoding{}
	} else {
		fi.enc = f.Encoder()
	}
	fi.name = fv.Key("BaseFont").Name()
	fi.picture = isPictureFont(fi.name)
	if fi.toUnicode != nil {
		fi.symbols = symbolText(symbolFontKind(fi.name))
	}
	if fv.Key("Subtype").Name() == "Type0" {
		fi.twoByte = true
		desc := fv.Key("DescendantFonts").Index(0)
		fi.cidMapping(fv.Key("Encoding"), desc)
		if n := fv.Key("Encoding").Name(); !fi.utf16 && (n == "Identity-H" || n == "Identity-V") {
			bud := d.bud
			fi.program = func() *glyphText { return readGlyphText(desc, bud) }
		}
		fi.dw = 1000
		if dw := desc.Key("DW"); !dw.IsNull() {
			fi.dw = dw.Float64()
		}
		w := desc.Key("W")
		for i := 0; i < w.Len() && i < 1<<16; {
			c := int(w.Index(i).Int64())
			next := w.Index(i + 1)
			// Codes are two bytes: entries beyond 0xFFFF are never used, and
			// skipping them bounds the map.
			if next.Kind() == pdf.Array {
				for j := 0; j < next.Len() && c+j <= 0xFFFF; j++ {
					if c+j >= 0 {
						fi.widths[c+j] = next.Index(j).Float64()
					}
				}
				i += 2
				continue
			}
			last := min(int(next.Int64()), 0xFFFF)
			wd := w.Index(i + 2).Float64()
			for c2 := max(c, 0); c2 <= last; c2++ {
				fi.widths[c2] = wd
			}
			i += 3
		}
	} else {
		first := int(fv.Key("FirstChar").Int64())
		ws := fv.Key("Widths")
		for j := 0; j < ws.Len() && first+j <= 0xFF; j++ {
			fi.widths[first+j] = ws.Index(j).Float64()
		}
		fi.dw = fv.Key("FontDescriptor").Key("MissingWidth").Float64()
		if fi.dw == 0 {
			fi.dw = 500
		}
		// Codes that the ToUnicode map (if any) leaves out mean what the
		// encoding's Differences name them, TeX's names too: dvips writes
		// no ToUnicode entry for cmsy's angle brackets, re-encoded to 3
		// and 4 (read raw, control characters, which sent the page to
		// PDFium) or at cmsy's own 104 and 105 (read raw, fnlineno's
		// "⟨register⟩" came out "hregisteri", as pdftotext and PDFium
		// still read it; MuPDF reads the names). cmex's parenleftbig at 0
		// has no AGL name. ledongthuc itself applies the Differences only
		// without a ToUnicode map, and only AGL names.
		if names := differences(fv.Key("Encoding"), fi.toUnicode); names != nil {
			fi.builtin = glyphNames(names)
		}
		if fi.toUnicode == nil && fv.Key("Encoding").IsNull() {
			// No encoding in the PDF: the font program's own (TeX's fonts).
			if ff := fv.Key("FontDescriptor").Key("FontFile"); ff.Kind() == pdf.Stream {
				if names := type1Encoding(ff); names != nil {
					fi.builtin = glyphNames(names)
				}
			}
		}
		if fi.builtin == nil && fi.toUnicode == nil && fv.Key("Encoding").IsNull() && symbolFontKind(fi.name) == "symbol" {
			// The standard 14 Symbol, not embedded: its built-in encoding.
			fi.builtin = symbolText("symbol")
		}
		if fv.Key("Subtype").Name() == "Type3" {
			// Type 3 widths are in glyph space scaled by FontMatrix.
			fm := fv.Key("FontMatrix")
			if s := fm.Index(0).Float64(); s > 0 {
				for k, v := range fi.widths {
					fi.widths[k] = v * s * 1000
				}
			}
		}
	}
	if fi.enc == nil {
		fi.enc = nopEncoding{}
	}
	if len(fi.widths) == 0 && !fi.twoByte {
		fi.std14Widths()
	}
	fi.spaceW = fi.width(32)
	d.fonts[key] = fi
	if err := d.bud.keep(int64(len(fi.widths)+len(fi.toUnicode))*mapEntryCost, "font tables"); err != nil {
		panic(err)
	}
	return fi
}

// unsubset returns a BaseFont without the six-letter tag of a subset
// ("ABCDEF+Times-Roman": "Times-Roman").
func unsubset(base string) string {
	if i := strings.IndexByte(base, '+'); i == 6 {
		return base[i+1:]
	}
	return base
}

// isPictureFont reports LaTeX's picture-mode fonts (line10, linew10,
// lcircle10, lcirclew10, subset or not): their codes, named a1 … a127
// or read raw as control characters, draw the slopes of lines and the
// quarters of circles of a diagram.
func isPictureFont(base string) bool {
	switch strings.ToLower(unsubset(base)) {
	case "line10", "linew10", "lcircle10", "lcirclew10":
		return true
	}
	return false
}

// cidMapping sets how a CID font's codes become text beyond its ToUnicode
// map: a predefined Unicode CMap decodes them; Identity-H/V and the other
// CMaps leave codes missing from ToUnicode without a mapping.
func (fi *fontInfo) cidMapping(enc, desc pdf.Value) {
	switch o := desc.Key("CIDSystemInfo").Key("Ordering").Text(); o {
	case "GB1", "CNS1", "Japan1", "Japan2", "Korea1", "KR":
		fi.cjk = true
	}
	name := enc.Name()
	switch {
	case enc.Kind() == pdf.Name && strings.HasPrefix(name, "Uni") &&
		(strings.HasSuffix(name, "-UCS2-H") || strings.HasSuffix(name, "-UCS2-V") ||
			strings.HasSuffix(name, "-UTF16-H") || strings.HasSuffix(name, "-UTF16-V")):
		fi.utf16 = true
	case fi.toUnicode != nil:
		fi.unmapped = "code missing from its ToUnicode map"
	case enc.Kind() == pdf.Name && (name == "Identity-H" || name == "Identity-V"):
		fi.unmapped = name + " without a usable ToUnicode map"
	case enc.Kind() == pdf.Name:
		fi.unmapped = "CMap " + name + " without a ToUnicode map"
	default:
		fi.unmapped = "embedded CMap without a ToUnicode map"
	}
}

// missingFont stands in for a font the file lacks (a damaged file whose
// fonts were at its end): codes read as Latin-1, average widths.
var missingFont = &fontInfo{enc: nopEncoding{}, dw: 500, spaceW: 500, name: "(missing)"}

type nopEncoding struct{}

func (nopEncoding) Decode(raw string) string { return raw }

// decode maps one character code to text, memoized: the library's
// encoders re-read the font's tables on every call. ok is false for a code
// of a CID font with no Unicode mapping (decoded as U+FFFD).
func (fi *fontInfo) decode(code int, raw []byte) (s string, ok bool) {
	if s, ok := fi.toUnicode[code]; ok {
		if s == "\uFFFD" || (fi.program != nil || fi.programText != nil) && isPrivateUse(s) {
			// U+FFFD says nothing; a private-use character gives way to
			// the character the font's own cmap gives its glyph.
			if t, ok := fi.fromProgram(code); ok && !isPrivateUse(t) {
				return t, true
			}
		}
		if fi.symbols != nil {
			if t, ok := fromSymbolPUA(s, fi.symbols); ok {
				return t, true
			}
		}
		return s, true
	}
	if fi.twoByte {
		if fi.utf16 {
			return string(rune(code)), true
		}
		if fi.unmapped != "" {
			if t, ok := fi.fromProgram(code); ok {
				return t, true
			}
			return "\uFFFD", false
		}
		if s, ok := fi.wide[code]; ok {
			return s, true
		}
		s := fi.enc.Decode(string(raw))
		if fi.wide == nil {
			fi.wide = map[int]string{}
		}
		fi.wide[code] = s
		return s, true
	}
	if fi.known[code] {
		return fi.narrow[code], true
	}
	if b, ok := fi.builtin[code]; ok {
		fi.narrow[code], fi.known[code] = b, true
		return b, true
	}
	s = fi.enc.Decode(string(raw))
	if r, n := utf8.DecodeRuneInString(s); n == len(s) && r >= 0x80 && r < 0xA0 {
		// A C1 control: the code read as Latin-1; producers mean
		// Windows-1252 there (• – — ‘ ’ “ ” …), as PDFium reads it.
		s = string(cp1252[r-0x80])
	}
	fi.narrow[code], fi.known[code] = s, true
	return s, true
}

// isPrivateUse reports a single character of the Basic Multilingual
// Plane's Private Use Area.
func isPrivateUse(s string) bool {
	r, n := utf8.DecodeRuneInString(s)
	return n == len(s) && r >= 0xE000 && r <= 0xF8FF
}

// fromProgram decodes a CID font's code through its embedded TrueType
// program, reading the program on first use.
func (fi *fontInfo) fromProgram(code int) (string, bool) {
	if fi.program != nil {
		fi.programText, fi.program = fi.program(), nil
	}
	if fi.programText == nil {
		return "", false
	}
	return fi.programText.text(code)
}

// cp1252 is Windows-1252 for 0x80–0x9F (U+FFFD where it has nothing).
var cp1252 = [32]rune{
	'€', '\uFFFD', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\uFFFD', 'Ž', '\uFFFD',
	'\uFFFD', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\uFFFD', 'ž', 'Ÿ',
}

func (fi *fontInfo) width(code int) float64 {
	if w, ok := fi.widths[code]; ok {
		return w
	}
	return fi.dw
}

// textState is the part of the graphics state text showing needs.
type textState struct {
	ctm                     matrix
	tc, tw, th, tl, ts, tfs float64
	font                    *fontInfo
}

type interp struct {
	ctx    context.Context
	doc    *ledongthucDoc
	glyphs []glyph
	stats  glyphStats
	err    error
	ops    int
	forms  int // form XObjects drawn
}

// count adds one shown code to the page's glyph statistics.
func (in *interp) count(f *fontInfo, s string, ok, space bool) {
	st := &in.stats
	if space {
		return
	}
	st.codes++
	if f.cjk {
		st.cjk++
	}
	if !ok {
		st.undecoded++
		if st.badFont == "" {
			st.badFont = f.name + ": " + f.unmapped
		}
		return
	}
	if s == "" {
		st.empty++
		return
	}
	if len(s) == 1 {
		st.runes++
	} else {
		st.runes += utf8.RuneCountInString(s)
	}
}

func (in *interp) run(content pdf.Value, res pdf.Value, base matrix, depth int) {
	if depth > 8 || content.IsNull() {
		return
	}
	g := textState{ctm: base, th: 1}
	var stack []textState
	var tm, tlm matrix
	// Marked content: depth of BDC/BMC … EMC nesting, and the depth at
	// which content turned off began (0: shown).
	var marked, hiddenAt int
	// Fonts are cached per document by the resource dictionary's printed
	// form (its references), so that pages sharing fonts resolve them once,
	// and by their own reference, so that a font met under another
	// resource dictionary is not read again.
	var fontSet map[string]*fontInfo
	var fontKey string
	fontOf := func(name string) *fontInfo {
		if fontSet == nil {
			fontKey = res.Key("Font").String()
			fontSet = in.doc.fontSets[fontKey]
			if fontSet == nil {
				fontSet = map[string]*fontInfo{}
				in.doc.fontSets[fontKey] = fontSet
			}
		}
		if f, ok := fontSet[name]; ok {
			return f
		}
		ref := refIn(fontKey, name)
		if f, ok := in.doc.fontRefs[ref]; ok && ref != "" {
			fontSet[name] = f
			return f
		}
		fv := res.Key("Font").Key(name)
		f := missingFont // lost with the damaged part of a file: codes as Latin-1
		if !fv.IsNull() {
			f = in.doc.font(fv)
		}
		fontSet[name] = f
		if ref != "" {
			in.doc.fontRefs[ref] = f
		}
		return f
	}
	show := func(raw []byte) {
		f := g.font
		if f == nil || in.err != nil {
			return
		}
		step := 1
		if f.twoByte {
			step = 2
		}
		// Within one string only tm's translation moves (by each glyph's
		// advance), so the rendering matrix's linear part, the size and
		// the horizontal scale are the string's; per glyph only its
		// origin is computed, term by term as the full product
		// (Tfs·Th, Ts) × tm × CTM would.
		lin := matrix{g.tfs * g.th, 0, 0, g.tfs, 0, g.ts}.mul(tm).mul(g.ctm)
		size := math.Sqrt(lin[2]*lin[2] + lin[3]*lin[3])
		hscale := math.Sqrt(lin[0]*lin[0] + lin[1]*lin[1])
		mirrored := lin[0] < 0 && math.Abs(lin[1]) < -lin[0]
		c := g.ctm
		for k := 0; k+step <= len(raw); k += step {
			code := int(raw[k])
			if step == 2 {
				code = code<<8 | int(raw[k+1])
			}
			w0 := f.width(code) / 1000
			if f.picture {
				tm = tm.translated((w0*g.tfs + g.tc) * g.th)
				continue
			}
			s, ok := f.decode(code, raw[k:k+step])
			// The glyph's origin: the translation of the full product.
			ox, oy := 0*tm[0]+g.ts*tm[2]+tm[4], 0*tm[1]+g.ts*tm[3]+tm[5]
			x, y := ox*c[0]+oy*c[2]+c[4], ox*c[1]+oy*c[3]+c[5]
			adv := w0 * hscale
			isSpace := strings.TrimSpace(s) == "" && s != ""
			if hiddenAt != 0 {
				s = "" // optional content turned off: advances, shows nothing
			} else {
				in.count(f, s, ok, isSpace)
			}
			if s != "" {
				if mirrored {
					// Mirrored (a negative horizontal scale: the reversed
					// E of the XeTeX logo) or upside down: the glyph runs
					// leftwards from its origin, so its box starts one
					// advance to the left.
					x -= adv
				}
				in.glyphs = append(in.glyphs, glyph{s: s, x: x, y: y, w: adv, size: size, space: isSpace})
				if err := in.doc.bud.hold(glyphCost+int64(len(s)), "text on one page"); err != nil {
					in.fail(err)
					return
				}
			}
			tx := w0*g.tfs + g.tc
			if step == 1 && code == 32 {
				tx += g.tw
			}
			tm = tm.translated(tx * g.th)
		}
	}
	// The stream is read whole into a buffer of the document's, reused
	// page after page; a form reads its own after its caller's.
	// Decoded bytes count against the document's budget (a form drawn
	// again counts again).
	mark := len(in.doc.content)
	var rerr error
	in.doc.content, rerr = readContent(in.doc.content, content, in.doc.bud)
	held := int64(len(in.doc.content) - mark)
	defer func() {
		in.doc.content = in.doc.content[:mark]
		in.doc.bud.release(held)
	}()
	if rerr == nil {
		rerr = in.doc.bud.hold(held, "page content")
	}
	if rerr != nil {
		in.fail(rerr)
		return
	}
	lx := lexer{b: in.doc.content[mark:]}
	defer func() { in.fail(lx.err) }()
	var args []operand
	for {
		opb, a, ok := lx.nextOp(args)
		if !ok {
			break
		}
		args = a
		op := string(opb) // no allocation: compared below, not kept
		if op == "BI" {   // an inline image, skipped whole by nextOp
			args, lx.arr = args[:0], lx.arr[:0]
			continue
		}
		in.ops++
		if in.ops%4096 == 0 && in.err == nil {
			if err := in.ctx.Err(); err != nil {
				in.err = err
			}
		}
		if in.ops > maxOps {
			in.fail(fmt.Errorf("%w: more than %d operators on the page", ErrMemoryBudget, maxOps))
		}
		if in.err != nil {
			return
		}
		num := func(i int) float64 {
			if i < len(args) {
				return args[i].float()
			}
			return 0
		}
		mat := func() matrix {
			return matrix{num(0), num(1), num(2), num(3), num(4), num(5)}
		}
		switch op {
		case "q":
			if len(stack) < 256 {
				stack = append(stack, g)
			}
		case "Q":
			if k := len(stack) - 1; k >= 0 {
				g = stack[k]
				stack = stack[:k]
			}
		case "cm":
			if len(args) == 6 {
				g.ctm = mat().mul(g.ctm)
			}
		case "BT":
			tm, tlm = ident, ident
		case "Tc":
			g.tc = num(0)
		case "Tw":
			g.tw = num(0)
		case "Tz":
			g.th = num(0) / 100
		case "TL":
			g.tl = num(0)
		case "Ts":
			g.ts = num(0)
		case "Tf":
			if len(args) == 2 {
				g.font = fontOf(args[0].name())
				g.tfs = num(1)
			}
		case "Td", "TD":
			if op == "TD" {
				g.tl = -num(1)
			}
			tlm = matrix{1, 0, 0, 1, num(0), num(1)}.mul(tlm)
			tm = tlm
		case "Tm":
			if len(args) == 6 {
				tm, tlm = mat(), mat()
			}
		case "T*":
			tlm = matrix{1, 0, 0, 1, 0, -g.tl}.mul(tlm)
			tm = tlm
		case "Tj":
			if len(args) == 1 {
				show(args[0].str)
			}
		case "'", "\"":
			if op == "\"" && len(args) == 3 {
				g.tw, g.tc = num(0), num(1)
				args = args[2:]
			}
			tlm = matrix{1, 0, 0, 1, 0, -g.tl}.mul(tlm)
			tm = tlm
			if len(args) == 1 {
				show(args[0].str)
			}
		case "TJ":
			if len(args) != 1 {
				break
			}
			for _, x := range args[0].arr {
				switch x.kind {
				case opString:
					show(x.str)
				case opNumber:
					tx := -x.num / 1000 * g.tfs * g.th
					tm = matrix{1, 0, 0, 1, tx, 0}.mul(tm)
				}
			}
		case "BDC", "BMC":
			marked++
			if hiddenAt == 0 && op == "BDC" && len(args) == 2 && in.doc.oc.markedHidden(args[0].name(), args[1].name(), res) {
				hiddenAt = marked
			}
		case "EMC":
			if marked > 0 {
				if marked == hiddenAt {
					hiddenAt = 0
				}
				marked--
			}
		case "Do":
			if len(args) != 1 || hiddenAt != 0 {
				break
			}
			xo := res.Key("XObject").Key(args[0].name())
			if xo.Key("Subtype").Name() != "Form" || in.doc.oc.formHidden(xo) {
				break
			}
			if in.forms++; in.forms > maxFormDraws {
				in.fail(fmt.Errorf("%w: more than %d form drawings on the page", ErrMemoryBudget, maxFormDraws))
				return
			}
			fm := ident
			if m := xo.Key("Matrix"); m.Len() == 6 {
				for i := range fm {
					fm[i] = m.Index(i).Float64()
				}
			}
			r2 := xo.Key("Resources")
			if r2.IsNull() {
				r2 = res
			}
			in.run(xo, r2, fm.mul(g.ctm), depth+1)
		}
		args, lx.arr = args[:0], lx.arr[:0]
	}
}

// fail records the first error that stops the page.
func (in *interp) fail(err error) {
	if err != nil && in.err == nil {
		in.err = err
	}
}
