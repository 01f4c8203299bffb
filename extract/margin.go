package extract

import (
	"math"
	"slices"
	"unicode"
)

// Margin notes for the ledongthuc engine.
//
// Documentation set with marginal labels (LaTeX's \marginpar, the doc
// class's macro names beside their description) draws a stack of notes in
// the page's margin after the first body line beside them. Read in stream
// order, the first note joins that line and the others sit between it and
// the next, so that a word hyphenated at the end of the line is joined to a
// note ("suit-" and "spmatrix*" gave "suitspmatrix*") and the paragraph is
// cut. marginNotes moves such a stack before the body line it starts
// beside: the notes read as a block, as labels are read, and the
// paragraph runs on.
//
//   - The body's edges are the left and right x where most prose segments
//     (at least minColumnEms ems wide and minProseWords words) start and end,
//     shared by at least minBodyLines of them.
//   - A note is a short segment (at most marginMaxWords words, marginMaxEms
//     ems wide, with a letter: line numbers stay with their lines) wholly
//     outside the body's edges by gutterGap ems.
//   - A stack of two or more notes, drawn one after the other, each a line
//     or two under the one before, moves when its first note shares the
//     baseline of the body line (at least minColumnEms ems) drawn just
//     before it.

const (
	marginMaxWords = 3
	marginMaxEms   = 12
	minBodyLines   = 3
)

// marginNotes reorders segs in place as described above and returns it.
func marginNotes(segs []segment) []segment {
	left, right, ok := bodyEdges(segs)
	if !ok {
		return segs
	}
	segs = splitNotes(segs, left, right)
	for k := 1; k < len(segs); k++ {
		if !isNote(&segs[k], left, right) || isNote(&segs[k-1], left, right) {
			continue
		}
		// The run of body segments on the note's baseline, drawn just before.
		y := segs[k].y
		s := k
		for s > 0 && !isNote(&segs[s-1], left, right) &&
			math.Abs(segs[s-1].y-y) <= 0.4*min(segs[s-1].size, segs[k].size) {
			s--
		}
		e := k + 1
		for e < len(segs) && isNote(&segs[e], left, right) && stacked(&segs[e-1], &segs[e]) {
			e++
		}
		if s == k || e-k < 2 || segs[k-1].maxX-segs[s].minX < minColumnEms*segs[k-1].size {
			k = e - 1
			continue
		}
		// Notes k..e first, then the body segments s..k.
		slices.Reverse(segs[s:k])
		slices.Reverse(segs[k:e])
		slices.Reverse(segs[s:e])
		k = e - 1
	}
	return segs
}

// splitNotes cuts the note out of each segment that runs from the margin
// into the body, or from the body into the margin, without the pen
// jumping back (a note drawn just before the body line beside it, or just
// after the one beside it), so that the note is read as a note and not as
// the line's first or last word. It returns segs, or a new slice when it
// cut any.
func splitNotes(segs []segment, left, right float64) []segment {
	var out []segment
	for i := range segs {
		j := noteCut(&segs[i], left, right)
		if j < 0 {
			if out != nil {
				out = append(out, segs[i])
			}
			continue
		}
		if out == nil {
			out = append(make([]segment, 0, len(segs)+4), segs[:i]...)
		}
		gl := segs[i].glyphs
		out = append(out, newSegment(gl[:j]), newSegment(gl[j:]))
	}
	if out == nil {
		return segs
	}
	return out
}

// noteCut returns the index of s's glyph where its body text starts after
// a note in the left margin, or where a note in the right margin starts
// after its body text; -1 when s does not cross an edge of the body so.
func noteCut(s *segment, left, right float64) int {
	gap := gutterGap * s.size
	if s.minX >= left-gap && s.maxX <= right+gap {
		return -1
	}
	end := math.Inf(-1)
	for j, g := range s.glyphs {
		if g.space {
			continue
		}
		var note segment
		switch {
		case end < left-gap && g.x >= left-1 && j > 0:
			note = newSegment(s.glyphs[:j])
		case end > math.Inf(-1) && end <= right+1 && g.x > right+gap:
			note = newSegment(s.glyphs[j:])
		}
		if note.glyphs != nil {
			if isNote(&note, left, right) {
				return j
			}
			return -1
		}
		end = g.x + g.w
	}
	return -1
}

// newSegment returns the segment of glyphs gl: its baseline and size are
// those of its largest glyph.
func newSegment(gl []glyph) segment {
	s := segment{glyphs: gl, y: gl[0].y, size: 0, minX: math.Inf(1), maxX: math.Inf(-1)}
	for _, g := range gl {
		size := g.size
		if size <= 0 {
			size = 1
		}
		if size > s.size {
			s.size, s.y = size, g.y
		}
		s.minX = min(s.minX, g.x)
		s.maxX = max(s.maxX, g.x+g.w)
	}
	return s
}

// stacked reports whether b sits under a in the same column: a line or
// two lower, overlapping it horizontally.
func stacked(a, b *segment) bool {
	dy := a.y - b.y
	return dy > 0.5*a.size && dy < 3*a.size && b.minX < a.maxX && a.minX < b.maxX
}

// bodyEdges returns the x where most prose segments start and the x where
// most end (each shared by at least minBodyLines of them, within a point).
func bodyEdges(segs []segment) (left, right float64, ok bool) {
	var starts, ends []float64
	for i := range segs {
		s := &segs[i]
		if s.maxX-s.minX >= minColumnEms*s.size && segWords(s) >= minProseWords {
			starts = append(starts, s.minX)
			ends = append(ends, s.maxX)
		}
	}
	left, nl := commonValue(starts)
	right, nr := commonValue(ends)
	return left, right, nl >= minBodyLines && nr >= minBodyLines
}

// commonValue returns the value that most of xs are within a point above,
// and how many are.
func commonValue(xs []float64) (x float64, n int) {
	slices.Sort(xs)
	j := 0
	for i := range xs {
		for xs[i]-xs[j] > 1 {
			j++
		}
		if i-j+1 > n {
			x, n = xs[j], i-j+1
		}
	}
	return x, n
}

// isNote reports whether s is a margin note beside a body from left to
// right.
func isNote(s *segment, left, right float64) bool {
	gap := gutterGap * s.size
	if s.maxX > left-gap && s.minX < right+gap {
		return false
	}
	if s.maxX-s.minX > marginMaxEms*s.size || segWords(s) > marginMaxWords {
		return false
	}
	for _, g := range s.glyphs {
		for _, r := range g.s {
			if unicode.IsLetter(r) {
				return true
			}
		}
	}
	return false
}
