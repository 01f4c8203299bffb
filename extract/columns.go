package extract

import (
	"math"
	"slices"
	"sort"
	"unicode"
)

// Column order for the ledongthuc engine's lines.
//
// Producers that set parallel columns on shared baselines (LaTeX eledpar's
// parallel texts, some two-column layouts written row by row) give lines
// that run across the gutter, so that reading them as they are interleaves
// the columns line by line. orderColumns finds such gutters and reads the
// column blocks one after the other:
//
//   - A gutter candidate is a gap without ink, at least gutterGap ems wide,
//     inside a line.
//   - A column run is a stretch of consecutive lines (each within a few
//     line heights of the one before) that all leave one x-interval, at
//     least gutterMinWidth ems wide, free of ink: lines with text on both
//     sides of it, and lines wholly on one side.
//   - The run is read column by column only when it has text on both sides
//     in at least minGutterLines lines and, of those, on each side two in
//     three, and at least minColumnLines, are prose next to the gutter (a
//     block of at least minColumnEms ems and minProseWords words), or all of
//     them line numbers going up in steady steps beside justified prose:
//     table rows (short cells: a key and its description, numbers, line
//     numbers beside code) stay rows.
//   - Each column is ordered the same way again (three or more columns),
//     left to right, or right to left when both sides are right-to-left
//     text.
//   - Text in a typewriter font (code and its aligned comments) is never
//     read apart.

const (
	gutterGap      = 0.75 // ems
	gutterMinWidth = 0.4  // ems: what the gaps of a run must share
	blockGap       = 2    // ems: a narrower gap does not end a block of prose
	minGutterLines = 2
	minColumnLines = 3
	minColumnEms   = 10
	minProseWords  = 4
	maxProseDots   = 6 // leaders
	maxColumnDepth = 4
	maxRunLines    = 256 // bounds the work on pages of many table rows
)

// span is an x-interval.
type span struct{ l, r float64 }

// colLine is a line with the gaps it leaves free of ink.
type colLine struct {
	gl         []glyph
	minX, maxX float64
	y, size    float64
	gaps       []span // sorted, each ≥ gutterGap ems
}

// colScratch is the memory orderColumns reuses page after page.
type colScratch struct {
	infos        []colLine
	gaps, sorted []span
}

// orderColumns returns lines with the column runs it finds read one column
// after the other. Lines without a gutter candidate, the most common case,
// cost one pass over their glyphs. sc (nil: none) is reused.
func orderColumns(lines [][]glyph, sc *colScratch) [][]glyph {
	return orderColumnsDepth(lines, 0, sc)
}

func orderColumnsDepth(lines [][]glyph, depth int, sc *colScratch) [][]glyph {
	if len(lines) < minColumnLines || depth >= maxColumnDepth {
		return lines
	}
	if sc == nil {
		sc = &colScratch{}
	}
	infos := slices.Grow(sc.infos[:0], len(lines))[:len(lines)]
	buf, sorted := sc.gaps[:0], sc.sorted
	for i, gl := range lines {
		infos[i], buf, sorted = measureLine(gl, buf, sorted)
	}
	sc.infos, sc.gaps, sc.sorted = infos, buf, sorted
	if len(buf) < minGutterLines {
		return lines
	}
	out := lines[:0:0]
	changed := false
	done := 0 // lines before it belong to a run already read
	for i := 0; i < len(infos); {
		if len(infos[i].gaps) == 0 {
			out = append(out, infos[i].gl)
			i++
			continue
		}
		end, gut, ok := bestRun(infos, i)
		if !ok {
			out = append(out, infos[i].gl)
			i++
			continue
		}
		// Lines just before the run that keep clear of its gutter (the
		// columns' headings) are read with it; they were written out as
		// they came.
		start := extendBack(infos, done, i, gut)
		out = out[:len(out)-(i-start)]
		out = append(out, splitRun(infos[start:end], (gut.l+gut.r)/2, depth)...)
		changed = true
		i, done = end, end
	}
	if !changed {
		return lines
	}
	return out
}

// measureLine finds the extent and the inter-ink gaps of a line, in one
// pass when its glyphs advance left to right (the common case). The gaps
// are appended to buf, which the line's gaps share; sorted is scratch
// space.
func measureLine(gl []glyph, buf, sorted []span) (colLine, []span, []span) {
	c := colLine{gl: gl, minX: math.Inf(1), maxX: math.Inf(-1)}
	start := len(buf)
	monotonic := true
	prev := math.Inf(-1)
	// A gap is measured in the smaller of the sizes beside it, so that a
	// line number stands apart from a large heading.
	endSize := 0.0
	for _, g := range gl {
		if g.space {
			continue
		}
		if c.size == 0 {
			c.y = g.y
		}
		c.size = max(c.size, g.size)
		c.minX = min(c.minX, g.x)
		if g.x < prev-0.5*g.size {
			monotonic = false
		}
		prev = g.x
		if monotonic && endSize > 0 && g.x-c.maxX >= gutterGap*min(endSize, g.size) {
			buf = append(buf, span{c.maxX, g.x})
		}
		if g.x+g.w > c.maxX {
			c.maxX, endSize = g.x+g.w, g.size
		}
	}
	if c.size == 0 || c.maxX-c.minX < (gutterGap+1)*c.size {
		return c, buf[:start], sorted // too narrow to hold two blocks
	}
	if monotonic {
		c.gaps = buf[start:len(buf):len(buf)]
		return c, buf, sorted
	}
	buf = buf[:start]
	sorted = sorted[:0]
	for _, g := range gl {
		if !g.space {
			sorted = append(sorted, span{g.x, g.x + g.w})
		}
	}
	slices.SortFunc(sorted, func(a, b span) int {
		switch {
		case a.l < b.l:
			return -1
		case a.l > b.l:
			return 1
		}
		return 0
	})
	// Sizes are lost in the sort: gaps are measured in the line's.
	end := sorted[0].r
	for _, s := range sorted[1:] {
		if s.l-end >= gutterGap*c.size {
			buf = append(buf, span{end, s.l})
		}
		end = max(end, s.r)
	}
	c.gaps = buf[start:len(buf):len(buf)]
	return c, buf, sorted
}

// side counts the lines of a column run with text on both sides of its
// gutter, on one side.
type side struct {
	lines int
	prose int // lines whose block next to the gutter is prose
	nums  int // lines whose whole text on this side is a line number
	// The numbers' steps: line numbers go up by one (or by the same
	// interval); page numbers of a table of contents do not.
	last, step, steady int
	unsteady           bool
}

// column reports whether the side reads as a column of prose.
func (s side) column() bool {
	return s.prose >= minColumnLines && 3*s.prose >= 2*s.lines
}

// numbers reports whether the side holds nothing but line numbers, going
// up in steady steps.
func (s side) numbers() bool {
	return s.nums == s.lines && !s.unsteady && 3*s.steady >= 2*(s.nums-1)
}

func (s *side) add(prose bool, num int) {
	s.lines++
	if prose {
		s.prose++
	}
	if num < 0 {
		return
	}
	if s.nums > 0 {
		d := num - s.last
		switch {
		case d <= 0:
			s.unsteady = true
		case s.step == 0:
			s.step, s.steady = d, 1
		case d == s.step:
			s.steady++
		}
	}
	s.nums++
	s.last = num
}

// runTry is one candidate gutter grown from a line.
type runTry struct {
	gut         span
	end         int // lines [start, end) of the run
	both        int // lines with text on both sides
	left, right side
}

// qualifies reports whether the run's counts allow reading it column by
// column: prose on both sides, or line numbers beside prose (bestRun then
// asks that prose to be justified).
func (t *runTry) qualifies() bool {
	if t.both < minGutterLines {
		return false
	}
	l, r := t.left.numbers() && t.left.nums >= minColumnLines, t.right.numbers() && t.right.nums >= minColumnLines
	switch {
	case l && r:
		return false
	case l:
		return t.right.prose >= minColumnLines
	case r:
		return t.left.prose >= minColumnLines
	}
	return t.left.column() && t.right.column()
}

// isProse reports whether the line's text between x lo and hi reads as
// prose: at least minColumnEms ems wide, in at least minProseWords words,
// without the leader dots of a table of contents.
func isProse(c *colLine, lo, hi float64) bool {
	if hi-lo < minColumnEms*c.size {
		return false
	}
	n, dots := countWords(c.gl, lo, hi)
	return n >= minProseWords && dots < maxProseDots
}

// segWords counts the words of a segment (countWords).
func segWords(s *segment) int {
	n, _ := countWords(s.glyphs, math.Inf(-1), math.Inf(1))
	return n
}

// countWords counts the words of the glyphs of gl that lie between x lo
// and hi, and the full stops among them: margin notes, prose lines and
// columns are all told by the one count. Words are the runs between
// spaces and word breaks (wordBreak, as the text is written) that hold a
// letter or digit: leader dots, dashes and bullets do not make words;
// "\tabcoltype{" and "⟨wd⟩" do.
func countWords(gl []glyph, lo, hi float64) (n, dots int) {
	var prev *glyph  // the last glyph in the window; nil after a space
	counted := false // the current word is counted
	for i := range gl {
		g := &gl[i]
		if g.x+g.w <= lo || g.x >= hi {
			continue
		}
		if g.space {
			prev = nil
			continue
		}
		if g.s == "." {
			dots++
		}
		if prev == nil || wordBreak(prev, g) {
			counted = false
		}
		if !counted && wordStart(g.s) {
			n++
			counted = true
		}
		prev = g
	}
	return n, dots
}

// wordStart reports whether s begins with a letter or digit.
func wordStart(s string) bool {
	r := firstRune(s)
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

// justified reports whether the text beside a column of line numbers is
// set flush on both edges in two in three of the run's wide lines, in a
// proportional font, as prose is; code listings (ragged right, or in a
// typewriter font) keep their numbers on their lines.
func justified(run []colLine, gut span, numbersLeft bool) bool {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, c := range run {
		l, r, ok := textEdges(&c, gut, numbersLeft)
		if ok {
			lo, hi = min(lo, l), max(hi, r)
		}
	}
	flush, n := 0, 0
	for _, c := range run {
		l, r, ok := textEdges(&c, gut, numbersLeft)
		if !ok {
			continue
		}
		n++
		if l-lo <= 0.25*c.size && hi-r <= 0.25*c.size && isProse(&c, l, r) {
			flush++
		}
	}
	return n > 0 && 3*flush >= 2*n && !monospaced(run, gut, numbersLeft)
}

// monospaced reports whether nine in ten of the glyphs on the text side
// have one advance, as in a code listing set in a typewriter font.
func monospaced(run []colLine, gut span, numbersLeft bool) bool {
	w, same, n := 0.0, 0, 0
	for _, c := range run {
		for _, g := range c.gl {
			if g.space || (numbersLeft && g.x+g.w <= gut.l) || (!numbersLeft && g.x >= gut.r) {
				continue
			}
			if n == 0 {
				w = g.w
			}
			n++
			if math.Abs(g.w-w) <= 0.01*math.Abs(w) {
				same++
			}
		}
	}
	return n > 0 && 10*same >= 9*n
}

// textEdges returns the x extent of the line's ink on the text side of the
// gutter, when it is wide enough to be a line of prose (the last lines of
// paragraphs, headings and a code listing's short lines are not counted).
func textEdges(c *colLine, gut span, numbersLeft bool) (l, r float64, ok bool) {
	l, r = math.Inf(1), math.Inf(-1)
	for _, g := range c.gl {
		if g.space || (numbersLeft && g.x+g.w <= gut.l) || (!numbersLeft && g.x >= gut.r) {
			continue
		}
		l, r = min(l, g.x), max(r, g.x+g.w)
	}
	return l, r, l <= r && r-l >= minColumnEms*c.size
}

// bestRun grows a column run from line i for each of its gaps and returns
// the longest that qualifies: its end and its gutter.
func bestRun(infos []colLine, i int) (end int, gut span, ok bool) {
	var best runTry
	for _, g := range infos[i].gaps {
		t := growRun(infos, i, g)
		if !t.qualifies() || t.end-i <= best.end-i {
			continue
		}
		run := infos[i:t.end]
		if t.left.numbers() || t.right.numbers() {
			if !justified(run, t.gut, t.left.numbers()) {
				continue
			}
		} else if monospaced(run, t.gut, false) || monospaced(run, t.gut, true) {
			continue // code and its comments, aligned
		}
		best = t
	}
	return best.end, best.gut, best.end > 0
}

// extendBack returns the first of the lines [lo, i) from which on every
// line keeps clear of the gutter (or leaves a gap over it) and stands
// within a few line heights of the next.
func extendBack(infos []colLine, lo, i int, gut span) int {
	start := i
	next := &infos[i]
	for j := i - 1; j >= lo && i-j <= maxRunLines; j-- {
		c := &infos[j]
		if c.size == 0 {
			start = j
			continue
		}
		if math.Abs(c.y-next.y) > 4*max(c.size, next.size) {
			break
		}
		minW := gutterMinWidth * c.size
		if c.maxX > gut.l+minW && c.minX < gut.r-minW {
			k := sort.Search(len(c.gaps), func(k int) bool { return c.gaps[k].r > gut.l+minW })
			if k == len(c.gaps) || min(c.gaps[k].r, gut.r)-max(c.gaps[k].l, gut.l) < minW {
				break
			}
		}
		start, next = j, c
	}
	return start
}

func growRun(infos []colLine, i int, gut span) runTry {
	t := runTry{gut: gut}
	prevY, prevSize := infos[i].y, infos[i].size
	for j := i; j < len(infos) && j-i < maxRunLines; j++ {
		c := &infos[j]
		if c.size == 0 { // nothing but blanks: goes with the run
			continue
		}
		if math.Abs(c.y-prevY) > 4*max(c.size, prevSize) {
			return t
		}
		minW := gutterMinWidth * c.size
		switch {
		case c.maxX <= gut.l+minW, c.minX >= gut.r-minW:
			// Wholly on one side: goes with the run, says nothing of it.
		default:
			k := sort.Search(len(c.gaps), func(k int) bool { return c.gaps[k].r > gut.l+minW })
			if k == len(c.gaps) || min(c.gaps[k].r, gut.r)-max(c.gaps[k].l, gut.l) < minW {
				return t
			}
			gap := c.gaps[k]
			gut = span{max(gap.l, gut.l), min(gap.r, gut.r)}
			t.gut = gut
			t.both++
			// The blocks next to the gutter: from the nearest gap as wide as
			// it, and at least blockGap ems (the word spaces of a loose
			// justified line are not a table's cell gaps), or the line's
			// ends.
			lo, hi := c.minX, c.maxX
			w := max(0.9*(gap.r-gap.l), blockGap*c.size)
			for kk := k - 1; kk >= 0; kk-- {
				if c.gaps[kk].r-c.gaps[kk].l >= w {
					lo = c.gaps[kk].r
					break
				}
			}
			for kk := k + 1; kk < len(c.gaps); kk++ {
				if c.gaps[kk].r-c.gaps[kk].l >= w {
					hi = c.gaps[kk].l
					break
				}
			}
			numL, numR := -1, -1
			if k == 0 {
				numL = lineNumber(c, c.minX, gap.l)
			}
			if k+1 == len(c.gaps) {
				numR = lineNumber(c, gap.r, c.maxX)
			}
			t.left.add(isProse(c, lo, gap.l), numL)
			t.right.add(isProse(c, gap.r, hi), numR)
		}
		prevY, prevSize = c.y, c.size
		t.end = j + 1
	}
	return t
}

// lineNumber returns the line number that the line's text between x lo
// and hi (a block without gaps) is, a few digits perhaps followed by a
// letter or two ("12", "3R"), or -1.
func lineNumber(c *colLine, lo, hi float64) int {
	if hi-lo > 3*c.size {
		return -1
	}
	n, digits, letters := 0, 0, 0
	for _, g := range c.gl {
		if g.space || g.x+g.w <= lo || g.x >= hi {
			continue
		}
		for _, r := range g.s {
			switch {
			case '0' <= r && r <= '9' && letters == 0 && digits < 5:
				n = 10*n + int(r-'0')
				digits++
			case unicode.IsLetter(r) && digits > 0 && letters < 2:
				letters++
			default:
				return -1
			}
		}
	}
	if digits == 0 {
		return -1
	}
	return n
}

// splitRun reads a column run: the parts of its lines left of cut, then
// those right of it (or the other way round for right-to-left columns),
// each column ordered again.
func splitRun(run []colLine, cut float64, depth int) [][]glyph {
	var left, right [][]glyph
	for _, c := range run {
		var l, r []glyph
		for _, g := range c.gl {
			if g.x+g.w/2 < cut {
				l = append(l, g)
			} else {
				r = append(r, g)
			}
		}
		if len(l) > 0 {
			left = append(left, l)
		}
		if len(r) > 0 {
			right = append(right, r)
		}
	}
	left = orderColumnsDepth(left, depth+1, nil)
	right = orderColumnsDepth(right, depth+1, nil)
	if rtlColumn(left) && rtlColumn(right) {
		return append(right, left...)
	}
	return append(left, right...)
}

func rtlColumn(lines [][]glyph) bool {
	rtl, ltr := 0, 0
	for _, l := range lines {
		r, l := directions(l)
		rtl, ltr = rtl+r, ltr+l
	}
	return rtl > ltr
}
