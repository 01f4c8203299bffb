package pipeline

import "strings"

// nestHeadings shifts the ATX headings of a summary (a model's or the
// release-notes grouping's "### Fixes") down so that the highest becomes
// level top, keeping their order of levels, so a summary set under a
// heading of the outputs nests below it instead of beside it. Headings
// already at top or below, and lines inside fenced code blocks, are left
// as they are; no heading goes past level 6.
func nestHeadings(text string, top int) string {
	lines := strings.Split(text, "\n")
	highest := 7
	walkHeadings(lines, func(i, level int) { highest = min(highest, level) })
	if highest >= top || highest > 6 {
		return text
	}
	shift := top - highest
	walkHeadings(lines, func(i, level int) {
		lines[i] = strings.Repeat("#", min(6, level+shift)) + lines[i][level:]
	})
	return strings.Join(lines, "\n")
}

// walkHeadings calls fn with the index and level of every ATX heading line
// outside fenced code blocks.
func walkHeadings(lines []string, fn func(i, level int)) {
	fence := ""
	for i, l := range lines {
		t := strings.TrimLeft(l, " ")
		if len(l)-len(t) > 3 {
			continue // indented code
		}
		if f := fenceOf(t); f != "" {
			switch {
			case fence == "":
				fence = f
			case strings.HasPrefix(f, fence) && strings.TrimSpace(strings.TrimLeft(t, f[:1])) == "":
				fence = ""
			}
			continue
		}
		if fence != "" || t != l {
			continue // in a code block, or an indented heading (left alone)
		}
		level := len(l) - len(strings.TrimLeft(l, "#"))
		if level >= 1 && level <= 6 && (len(l) == level || l[level] == ' ' || l[level] == '\t') {
			fn(i, level)
		}
	}
}

// fenceOf returns the fence that opens or closes a fenced code block at the
// start of t (``` or ~~~, three or more), or "".
func fenceOf(t string) string {
	for _, c := range []string{"`", "~"} {
		n := len(t) - len(strings.TrimLeft(t, c))
		if n >= 3 {
			return t[:n]
		}
	}
	return ""
}
