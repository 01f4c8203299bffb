package extract

import (
	"math"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Layout reconstruction for the ledongthuc engine: positioned glyphs in
// content-stream order become lines of words.
//
//   - A word break is a horizontal gap wider than wordGap × font size (TeX
//     and most producers position words instead of drawing spaces).
//   - A new line starts where the baseline moves or the pen jumps back.
//   - Consecutive pieces on one baseline (table cells, runs split by font
//     changes) are merged and ordered by x; pieces in other columns are kept
//     in stream order, which producers write column by column.
//   - Lines in right-to-left scripts are put in logical order (glyphs right
//     to left, embedded left-to-right runs kept left to right).

// wordGap is the gap, in ems, that separates words.
const wordGap = 0.15

// segment is a run of glyphs (a subslice of the page's glyphs) on one
// baseline, advancing left to right.
type segment struct {
	glyphs     []glyph
	y, size    float64
	minX, maxX float64
}

// rect is a box in device space; the zero rect clips nothing.
type rect struct{ x0, y0, x1, y1 float64 }

// layoutText lays out the page's glyphs; runs of glyphs wholly outside
// clip (the page's box), which no viewer shows, are left out. sc (nil:
// none) is scratch memory reused page after page.
func layoutText(glyphs []glyph, clip rect, sc *colScratch) string {
	if len(glyphs) == 0 {
		return ""
	}
	segs := marginNotes(clipSegments(splitSegments(glyphs), clip))
	lines := orderColumns(mergeBaselines(segs), sc)
	var b strings.Builder
	b.Grow(len(glyphs) + len(glyphs)/4)
	for i, l := range lines {
		if i > 0 {
			b.WriteByte('\n')
		}
		writeLine(&b, l)
	}
	return b.String()
}

// clipSegments drops, in place, the segments that lie wholly outside
// clip, with a margin of one glyph size for rounding and descenders. A
// line that starts on the page and runs over its edge (a long line of
// code) is kept whole.
func clipSegments(segs []segment, clip rect) []segment {
	if clip == (rect{}) {
		return segs
	}
	out := segs[:0]
	for _, s := range segs {
		m := s.size + 1
		if s.minX > clip.x1+m || s.maxX < clip.x0-m || s.y > clip.y1+m || s.y < clip.y0-m {
			continue
		}
		out = append(out, s)
	}
	return out
}

// splitSegments cuts glyphs into segments. It compacts glyphs in place
// (combining marks join the glyph before them) and the segments share its
// memory.
func splitSegments(glyphs []glyph) []segment {
	var segs []segment
	out := glyphs[:0]
	segStart := 0
	var cur *segment
	closeSeg := func() {
		if cur != nil {
			cur.glyphs = out[segStart:]
			segs = append(segs, *cur)
		}
	}
	var seg segment
	pending := "" // the marks of accents (and \not) drawn before their glyph
	for i, g := range glyphs {
		// An accent drawn as a glyph of its own over a letter (TeX's
		// \accent, before the letter or after it: "L ̈uck" was read for
		// "Lück") and TeX's \not, drawn before the relation it strikes
		// ("i ≠ j" read "i = j"), become combining marks of the glyph they
		// sit over. A slash that strikes nothing (the stroke of plain
		// TeX's \angle) is a slash.
		if m, ok := overlayMark(g.s); ok {
			var prev, next *glyph
			if cur != nil {
				prev = &out[len(out)-1]
			}
			if i+1 < len(glyphs) {
				next = &glyphs[i+1]
			}
			switch overlaid(&g, prev, next) {
			case 1:
				pending += m
				continue
			case -1:
				prev.s += m
				continue
			}
			if g.s == negationSlash {
				g.s = "/"
			}
		}
		if pending != "" && !g.space {
			g.s += pending
			pending = ""
		}
		// Combining marks (Arabic and Hebrew vowels, accents drawn
		// separately) belong to the glyph before them, wherever they sit.
		if cur != nil && isMarks(g.s) {
			out[len(out)-1].s += g.s
			continue
		}
		size := g.size
		if size <= 0 {
			size = 1
		}
		if cur != nil {
			last := out[len(out)-1]
			end := last.x + last.w
			big := max(size, cur.size)
			sameLine := math.Abs(g.y-cur.y) <= 0.4*big
			ltr := g.x >= end-0.6*big && g.x-end < 6*size
			// Right-to-left scripts are drawn glyph after glyph leftwards:
			// this glyph's right edge meets the last one's left edge.
			rtl := (isRTL(firstRune(g.s)) || isRTL(firstRune(last.s))) &&
				g.x+g.w <= last.x+0.6*big && last.x-(g.x+g.w) < 6*size
			if sameLine && (ltr || rtl) {
				out = append(out, g)
				cur.minX = min(cur.minX, g.x)
				cur.maxX = max(cur.maxX, g.x+g.w)
				if size > cur.size {
					// The baseline is the body text's, not that of a
					// superscript (a footnote's mark) drawn first.
					cur.size, cur.y = size, g.y
				}
				continue
			}
		}
		closeSeg()
		segStart = len(out)
		out = append(out, g)
		seg = segment{y: g.y, size: size, minX: g.x, maxX: g.x + g.w}
		cur = &seg
	}
	closeSeg()
	return segs
}

// spacingAccents maps the spacing forms of accents that fonts draw as
// glyphs of their own to their combining marks (not the grave accent,
// U+0060, which is also the backquote of code and of `quotes').
var spacingAccents = map[string]string{
	"\u00B4": "\u0301", "\u00A8": "\u0308", "\u02C6": "\u0302",
	"\u02DC": "\u0303", "\u00AF": "\u0304", "\u02D8": "\u0306", "\u02D9": "\u0307",
	"\u02DA": "\u030A", "\u02DD": "\u030B", "\u02C7": "\u030C", "\u00B8": "\u0327",
	"\u02DB": "\u0328",
}

// overlayMark returns the combining mark of a glyph that may be drawn
// over another: a spacing accent, a combining diacritical mark, TeX's
// \not.
func overlayMark(s string) (string, bool) {
	// Every spacing accent and combining mark (U+00A8-U+036F) is two
	// bytes of UTF-8 led by 0xC2-0xCD: most glyphs are out at once.
	if len(s) != 2 || s[0] < 0xC2 || s[0] > 0xCD {
		return "", false
	}
	if m, ok := spacingAccents[s]; ok {
		return m, true
	}
	if r, n := utf8.DecodeRuneInString(s); n == len(s) && r >= 0x0300 && r <= 0x036F {
		return s, true
	}
	return "", false
}

// overlaid says which glyph the accent or slash g, drawn between prev and
// next (nil: none), sits over: 1 next, -1 prev, 0 neither. An accent sits
// over a glyph near its baseline that it is centred on (the nearer when
// both are) and that the pen moved back to draw, or to draw the accent
// over (TeX kerns back across an accent): a backquote or a caret in
// running text, the pen moving on, is not an accent. \not, of no width,
// sits over the relation that starts where it is.
func overlaid(g, prev, next *glyph) int {
	size := max(g.size, 1)
	mid := g.x + g.w/2
	dist := func(b *glyph) float64 {
		if b == nil || b.space || b.w <= 0 || math.Abs(b.y-g.y) > 0.5*size {
			return -1
		}
		if _, ok := overlayMark(b.s); ok {
			return -1
		}
		if g.w < 0.05*size { // \not: where the relation starts
			if d := math.Abs(g.x - b.x); d <= 0.15*size {
				return d
			}
			return -1
		}
		// Centred on b (a caret after "\^{}" is not).
		if d := math.Abs(mid - (b.x + b.w/2)); d <= 0.25*b.w+0.05*size {
			return d
		}
		return -1
	}
	dn, dp := dist(next), dist(prev)
	if dn >= 0 && next.x >= g.x+max(g.w-0.1*size, 0.05*size) {
		dn = -1 // next is drawn after g, not back over it
	}
	if dp >= 0 && g.x >= prev.x+max(prev.w-0.1*size, 0.05*size) {
		dp = -1
	}
	switch {
	case dn >= 0 && (dp < 0 || dn <= dp):
		return 1
	case dp >= 0:
		return -1
	}
	return 0
}

// mergeBaselines joins runs of consecutive segments that share a baseline
// and do not overlap horizontally.
func mergeBaselines(segs []segment) [][]glyph {
	lines := make([][]glyph, 0, len(segs))
	for i := 0; i < len(segs); {
		line := &segs[i]
		j := i + 1
		for ; j < len(segs); j++ {
			s := &segs[j]
			tol := 0.4 * min(line.size, s.size)
			if math.Abs(s.y-line.y) > tol || overlaps(segs[i:j], s) {
				break
			}
		}
		if j == i+1 {
			lines = append(lines, line.glyphs)
			i = j
			continue
		}
		group := append([]segment(nil), segs[i:j]...)
		sort.SliceStable(group, func(a, b int) bool { return group[a].minX < group[b].minX })
		var gl []glyph
		for k, s := range group {
			if k > 0 {
				// Between the two cells, so that a right-to-left line,
				// sorted by x, keeps it there.
				gl = append(gl, glyph{s: " ", x: (group[k-1].maxX + s.minX) / 2, y: s.y, space: true})
			}
			gl = append(gl, s.glyphs...)
		}
		lines = append(lines, gl)
		i = j
	}
	return lines
}

func overlaps(group []segment, s *segment) bool {
	for _, g := range group {
		if s.minX < g.maxX-0.5*g.size && g.minX < s.maxX-0.5*g.size {
			return true
		}
	}
	return false
}

// writeLine writes one line's glyphs with spaces at word gaps, without
// leading or trailing blanks.
func writeLine(b *strings.Builder, gl []glyph) {
	rtl := isRTLLine(gl)
	if rtl {
		gl = append([]glyph(nil), gl...)
		sort.SliceStable(gl, func(a, b int) bool { return gl[a].x > gl[b].x })
		gl = withGaps(gl, true)
		reverseLTRRuns(gl)
	}
	pending := false // a space is due before the next glyph
	wrote := false
	for i, g := range gl {
		if g.space {
			pending = wrote
			continue
		}
		if !rtl && i > 0 && !gl[i-1].space && wordBreak(&gl[i-1], &g) {
			pending = wrote
		}
		if pending {
			b.WriteByte(' ')
			pending = false
		}
		b.WriteString(g.s)
		wrote = true
	}
}

// wordBreak reports whether a word ends between p and the glyph g after
// it on a line: at a gap wider than wordGap ems, or where a superscript
// ends before a letter or digit ("¹All" of a footnote: p smaller than g,
// raised by more than supRise of g's ems, and not kerned under it as
// LATEX's A is under its T; "q²)" stays whole).
func wordBreak(p, g *glyph) bool {
	gap := g.x - (p.x + p.w)
	if gap > wordGap*max(g.size, p.size) {
		return true
	}
	return gap > -0.02*g.size && p.size < 0.9*g.size && p.y-g.y > supRise*g.size && wordStart(g.s)
}

// supRise is the least rise, in ems, of a superscript that ends a word.
const supRise = 0.3

// withGaps returns gl (in reading order) with space glyphs at word gaps.
func withGaps(gl []glyph, rtl bool) []glyph {
	out := make([]glyph, 0, len(gl)+8)
	for i, g := range gl {
		if i > 0 && !g.space && !out[len(out)-1].space {
			p := gl[i-1]
			gap := g.x - (p.x + p.w)
			if rtl {
				gap = p.x - (g.x + g.w)
			}
			if gap > wordGap*max(g.size, p.size) {
				out = append(out, glyph{s: " ", space: true})
			}
		}
		out = append(out, g)
	}
	return out
}

func isMarks(s string) bool {
	if s == "" || s[0] < 0xC0 { // ASCII or a lone continuation byte: no mark
		return false
	}
	for _, r := range s {
		if !unicode.In(r, unicode.Mn, unicode.Me) {
			return false
		}
	}
	return true
}

func firstRune(s string) rune {
	r, _ := utf8.DecodeRuneInString(s)
	return r
}

func isRTL(r rune) bool {
	if r < 0x0590 || (r > 0x08FF && r < 0xFB1D) {
		return false // below Hebrew; between Arabic Extended-A and the presentation forms
	}
	return unicode.In(r, unicode.Arabic, unicode.Hebrew, unicode.Syriac, unicode.Thaana, unicode.Nko)
}

func isLTRStrong(r rune) bool {
	if r < 0x80 {
		return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9'
	}
	return (unicode.IsLetter(r) || unicode.IsDigit(r)) && !isRTL(r)
}

func isRTLLine(gl []glyph) bool {
	rtl, ltr := directions(gl)
	return rtl > ltr
}

// directions counts the strong right-to-left and left-to-right characters
// of gl.
func directions(gl []glyph) (rtl, ltr int) {
	for _, g := range gl {
		for _, r := range g.s {
			if isRTL(r) {
				rtl++
			} else if isLTRStrong(r) {
				ltr++
			}
		}
	}
	return rtl, ltr
}

// reverseLTRRuns restores left-to-right order inside runs of LTR glyphs
// (numbers, Latin words) of a line laid out right to left.
func reverseLTRRuns(gl []glyph) {
	for i := 0; i < len(gl); {
		if !isLTRStrong(firstRune(gl[i].s)) {
			i++
			continue
		}
		j, end := i, i
		for j < len(gl) && !isRTL(firstRune(gl[j].s)) {
			if isLTRStrong(firstRune(gl[j].s)) {
				end = j + 1
			}
			j++
		}
		for a, b := i, end-1; a < b; a, b = a+1, b-1 {
			gl[a], gl[b] = gl[b], gl[a]
		}
		i = end
	}
}
