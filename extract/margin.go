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
	for k := 1; k < len(segs); k++ {
		if !isNote(&segs[k], left, right) || isNote(&segs[k-1], left, right) {
			continue
		}
		// The run of body segments on the note's baseline, drawn just before.
		y := segs[k].y
		s := k
		for s > 0 && !isNote(&segs[s-1], left, right) &&
			math.Abs(segs[s-1].y-y) <= 0.4*math.Min(segs[s-1].size, segs[k].size) {
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

// segWords counts the words of s: runs of glyphs between spaces and gaps
// wider than wordGap ems.
func segWords(s *segment) int {
	n := 0
	in := false
	for i, g := range s.glyphs {
		if g.space {
			in = false
			continue
		}
		if in && i > 0 {
			p := s.glyphs[i-1]
			if g.x-(p.x+p.w) > wordGap*math.Max(g.size, p.size) {
				in = false
			}
		}
		if !in {
			n++
			in = true
		}
	}
	return n
}
