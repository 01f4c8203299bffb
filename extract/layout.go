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

type segment struct {
	glyphs     []glyph
	y, size    float64
	minX, maxX float64
}

func layoutText(glyphs []glyph) string {
	if len(glyphs) == 0 {
		return ""
	}
	segs := splitSegments(glyphs)
	lines := mergeBaselines(segs)
	var b strings.Builder
	for i, l := range lines {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(lineText(l))
	}
	return b.String()
}

func splitSegments(glyphs []glyph) []*segment {
	var segs []*segment
	var cur *segment
	for _, g := range glyphs {
		size := g.size
		if size <= 0 {
			size = 1
		}
		if cur != nil {
			last := cur.glyphs[len(cur.glyphs)-1]
			end := last.x + last.w
			if math.Abs(g.y-cur.y) <= 0.4*math.Max(size, cur.size) && g.x >= end-0.6*math.Max(size, cur.size) && g.x-end < 6*size {
				cur.add(g)
				continue
			}
		}
		cur = &segment{y: g.y, size: size, minX: g.x, maxX: g.x + g.w}
		cur.glyphs = append(cur.glyphs, g)
		segs = append(segs, cur)
	}
	return segs
}

func (s *segment) add(g glyph) {
	s.glyphs = append(s.glyphs, g)
	s.minX = math.Min(s.minX, g.x)
	s.maxX = math.Max(s.maxX, g.x+g.w)
	if g.size > s.size {
		s.size = g.size
	}
}

// mergeBaselines joins runs of consecutive segments that share a baseline
// and do not overlap horizontally.
func mergeBaselines(segs []*segment) [][]glyph {
	var lines [][]glyph
	for i := 0; i < len(segs); {
		line := segs[i]
		group := []*segment{line}
		j := i + 1
		for ; j < len(segs); j++ {
			s := segs[j]
			tol := 0.4 * math.Min(line.size, s.size)
			if math.Abs(s.y-line.y) > tol || overlaps(group, s) {
				break
			}
			group = append(group, s)
		}
		sort.SliceStable(group, func(a, b int) bool { return group[a].minX < group[b].minX })
		var gl []glyph
		for k, s := range group {
			if k > 0 {
				gl = append(gl, glyph{s: " ", x: s.minX, y: s.y, space: true})
			}
			gl = append(gl, s.glyphs...)
		}
		lines = append(lines, gl)
		i = j
	}
	return lines
}

func overlaps(group []*segment, s *segment) bool {
	for _, g := range group {
		if s.minX < g.maxX-0.5*g.size && g.minX < s.maxX-0.5*g.size {
			return true
		}
	}
	return false
}

// lineText turns one line's glyphs into text with spaces at word gaps.
func lineText(gl []glyph) string {
	rtl := isRTLLine(gl)
	if rtl {
		sort.SliceStable(gl, func(a, b int) bool { return gl[a].x > gl[b].x })
	}
	out := make([]glyph, 0, len(gl)+8)
	for i, g := range gl {
		if i > 0 && !g.space && !out[len(out)-1].space {
			p := gl[i-1]
			var gap float64
			if rtl {
				gap = p.x - (g.x + g.w)
			} else {
				gap = g.x - (p.x + p.w)
			}
			if gap > wordGap*math.Max(g.size, p.size) {
				out = append(out, glyph{s: " ", space: true})
			}
		}
		out = append(out, g)
	}
	if rtl {
		reverseLTRRuns(out)
	}
	var b strings.Builder
	for _, g := range out {
		if g.space {
			b.WriteByte(' ')
			continue
		}
		b.WriteString(g.s)
	}
	return strings.TrimSpace(b.String())
}

func firstRune(s string) rune {
	r, _ := utf8.DecodeRuneInString(s)
	return r
}

func isRTL(r rune) bool {
	return unicode.In(r, unicode.Arabic, unicode.Hebrew, unicode.Syriac, unicode.Thaana, unicode.Nko)
}

func isLTRStrong(r rune) bool {
	return (unicode.IsLetter(r) || unicode.IsDigit(r)) && !isRTL(r)
}

func isRTLLine(gl []glyph) bool {
	rtl, ltr := 0, 0
	for _, g := range gl {
		for _, r := range g.s {
			if isRTL(r) {
				rtl++
			} else if isLTRStrong(r) {
				ltr++
			}
		}
	}
	return rtl > ltr
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
