package extract

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// cleanPage turns an engine's raw page text into llsum's page text: LF line
// ends, no control characters, NFKC (ligatures expanded), hyphenation at
// line ends joined, trailing blanks and runs of blank lines removed.
func cleanPage(raw string) string {
	if raw == "" {
		return ""
	}
	raw = strings.ToValidUTF8(raw, "\uFFFD")
	var b strings.Builder
	b.Grow(len(raw))
	for i := 0; i < len(raw); {
		r, size := utf8.DecodeRuneInString(raw[i:])
		i += size
		switch {
		case r == '\r':
			if i < len(raw) && raw[i] == '\n' {
				i++
			}
			b.WriteByte('\n')
		case r == '\n' || r == '\t':
			b.WriteRune(r)
		case r == 0x02 || r == 0xAD: // PDFium's line-end hyphen; soft hyphen
			b.WriteByte('-')
		case r == 0xFFFE || r == 0xFEFF:
		case unicode.IsControl(r):
		case unicode.Is(unicode.Zs, r):
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	s := norm.NFKC.String(b.String())
	if strings.ContainsFunc(s, isCJKRadical) {
		s = strings.Map(func(r rune) rune {
			if u, ok := cjkRadicals[r]; ok {
				return u
			}
			return r
		}, s)
	}
	lines := strings.Split(s, "\n")
	out := make([]string, 0, len(lines))
	blank := 0
	for _, l := range lines {
		l = collapseSpaces(strings.TrimRight(l, " \t"))
		if l == "" {
			blank++
			if blank > 1 || len(out) == 0 {
				continue
			}
		} else {
			blank = 0
		}
		out = append(out, l)
	}
	for len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return joinHyphens(out)
}

// collapseSpaces turns runs of spaces inside a line into one, keeping
// leading indentation.
func collapseSpaces(l string) string {
	if !strings.Contains(l, "  ") {
		return l
	}
	lead := len(l) - len(strings.TrimLeft(l, " "))
	fields := strings.Fields(l[lead:])
	return l[:lead] + strings.Join(fields, " ")
}

// joinHyphens joins a word split across lines by a hyphen ("extrac-" /
// "tion" → "extraction" at the end of the first line).
func joinHyphens(lines []string) string {
	n := 0
	for _, l := range lines {
		n += len(l) + 1
	}
	var b strings.Builder
	// The page's text is kept for the whole document: sized once, it
	// holds no spare capacity (a doubling builder left the 4 MB of a
	// 2,415-page manual in 7 MB).
	b.Grow(n)
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if i+1 < len(lines) && splitWord(l, lines[i+1]) {
			next := strings.TrimLeft(lines[i+1], " ")
			sp := strings.IndexByte(next, ' ')
			if sp < 0 {
				sp = len(next)
			}
			// Move the word's tail up; keep the rest of the next line.
			b.WriteString(l[:len(l)-1])
			b.WriteString(next[:sp])
			lines[i+1] = strings.TrimLeft(next[sp:], " ")
			if lines[i+1] == "" {
				i++
			}
			if i+1 < len(lines) {
				b.WriteByte('\n')
			}
			continue
		}
		b.WriteString(l)
		if i+1 < len(lines) {
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// splitWord reports whether line ends in letter+hyphen and next starts with
// a lower-case letter.
func splitWord(line, next string) bool {
	if len(line) < 2 || line[len(line)-1] != '-' {
		return false
	}
	prev, _ := utf8.DecodeLastRuneInString(line[:len(line)-1])
	if !unicode.IsLetter(prev) {
		return false
	}
	first, _ := utf8.DecodeRuneInString(strings.TrimLeft(next, " "))
	return unicode.IsLower(first)
}

// stripRunning removes running headers and footers: lines among the first
// and last two of a page that recur (digits ignored) on many pages.
func stripRunning(pages []Page) {
	if len(pages) < 3 {
		return
	}
	const edge = 2
	counts := map[string]int{}
	for _, p := range pages {
		seen := map[string]bool{}
		for _, k := range edgeKeys(p.Text, edge) {
			if !seen[k] {
				seen[k] = true
				counts[k]++
			}
		}
	}
	min := len(pages) / 2
	if min < 3 {
		min = 3
	}
	for i := range pages {
		lines := strings.Split(pages[i].Text, "\n")
		drop := func(j int) bool {
			k := runningKey(lines[j])
			return k != "" && counts[k] >= min
		}
		lo, hi := 0, len(lines)
		for n := 0; n < edge && lo < hi; n++ {
			for lo < hi && strings.TrimSpace(lines[lo]) == "" {
				lo++
			}
			if lo < hi && drop(lo) {
				lo++
			}
		}
		for n := 0; n < edge && hi > lo; n++ {
			for hi > lo && strings.TrimSpace(lines[hi-1]) == "" {
				hi--
			}
			if hi > lo && drop(hi-1) {
				hi--
			}
		}
		pages[i].Text = strings.Trim(strings.Join(lines[lo:hi], "\n"), "\n")
	}
}

func edgeKeys(text string, edge int) []string {
	var lines []string
	for _, l := range strings.Split(text, "\n") {
		if strings.TrimSpace(l) != "" {
			lines = append(lines, l)
		}
	}
	var keys []string
	for i := 0; i < len(lines) && i < edge; i++ {
		keys = append(keys, runningKey(lines[i]))
	}
	for i := len(lines) - 1; i >= 0 && i >= len(lines)-edge && i >= edge; i-- {
		keys = append(keys, runningKey(lines[i]))
	}
	return keys
}

// runningKey is a line with digits folded, so that "Page 3" and "Page 4"
// match.
func runningKey(l string) string {
	l = strings.TrimSpace(l)
	return strings.Map(func(r rune) rune {
		if unicode.IsDigit(r) {
			return '#'
		}
		return r
	}, l)
}

// cjkRadicals maps CJK Radicals Supplement characters, which some fonts'
// Unicode maps give for simplified Chinese characters, to the unified
// ideographs they stand for (Unicode's EquivalentUnifiedIdeograph data; NFKC
// leaves these alone).
var cjkRadicals = map[rune]rune{
	0x2E9F: 0x6BCD, 0x2EA0: 0x6C11, 0x2EAE: 0x7AF9, 0x2EC1: 0x864E,
	0x2EC4: 0x897F, 0x2EC5: 0x89C1, 0x2EC6: 0x89D2, 0x2EC8: 0x8BA0,
	0x2EC9: 0x8D1D, 0x2ECB: 0x8F66, 0x2ED3: 0x957F, 0x2ED4: 0x95E8,
	0x2ED7: 0x96E8, 0x2ED8: 0x9752, 0x2ED9: 0x97E6, 0x2EDA: 0x9875,
	0x2EDB: 0x98CE, 0x2EDC: 0x98DE, 0x2EDD: 0x98DF, 0x2EE0: 0x9963,
	0x2EE2: 0x9A6C, 0x2EE3: 0x9AA8, 0x2EE4: 0x9B3C, 0x2EE5: 0x9C7C,
	0x2EE6: 0x9E1F, 0x2EE7: 0x5364, 0x2EE8: 0x9EA6, 0x2EE9: 0x9EC4,
	0x2EEC: 0x9F50, 0x2EEE: 0x9F7F, 0x2EF0: 0x9F99, 0x2EF3: 0x9F9F,
}

func isCJKRadical(r rune) bool { return r >= 0x2E80 && r <= 0x2EFF }
