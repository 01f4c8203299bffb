// Package segment is llsum's one sentence segmenter: the extractive backend
// ranks its sentences and the chunker prefers to cut between them.
//
// It follows the sentence-boundary rules of Unicode Standard Annex #29
// (rules SB1 to SB11; the plain rules are tested against rivo/uniseg's
// implementation) with these changes for real documents:
//
//   - A single line break is a space (extracted PDF text breaks lines
//     everywhere); a blank line, a form feed, a Markdown heading line ("#
//     Title") and a title-like line (short, capitalized, no final
//     punctuation, between finished sentences) end a paragraph.
//   - A period does not end a sentence after an abbreviation of the
//     document's language ("Dr.", "M.", "Sra.", "sig.", "z. B.", "usw."
//     before a lowercase word), an initial ("J. R. Tolkien"), a short dotted
//     form ("e.g.", "z.B.", "พ.ศ."), a list number at the start of a
//     sentence ("1. Install"), a German ordinal ("am 3. Oktober"), a period
//     quoted on its own ("(.)"), nor when anything but a space or closing
//     punctuation follows it directly (file names, "node.js", ".*",
//     "พ.ศ.2566"); "!" and "?" do not end one before a Latin letter or digit
//     ("Yahoo!Mail"). Decimal numbers ("3.5") are UAX #29's own rule.
//     Nothing inside a URL ("https://…?q=1", "www.…") ends a sentence.
//   - Devanagari danda "।" and double danda "॥", Khmer khan "។" and Myanmar
//     "။" end sentences (they are UAX #29 terminators); so do CJK full stops
//     "。", "．", "！", "？" whatever follows.
//   - An opening bracket after a terminator starts the next sentence
//     ("。「…", "Done. (Really.)"); UAX #29 counts it as closing.
//   - In Thai, Lao, Khmer and Myanmar text, which puts no spaces between
//     words, a space between two letters of that script ends a sentence or
//     clause; except next to a repetition mark ("ๆ"), after the abbreviation
//     mark "ฯ", after words that introduce a list ("เช่น", "ได้แก่", "คือ"),
//     before words that continue a sentence ("และ", "หรือ", "แล้ว", "ฯลฯ"),
//     before a run of fewer than 10 letters (an item of a list) and
//     inside brackets.
//
// The work is linear in the text, with a fast path for ASCII bytes.
package segment

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/llsum/llsum/internal/langid"
)

// Span is one sentence: the byte range [Start, End) of the text it came
// from, without surrounding white space.
type Span struct {
	Start, End int
	// Heading is set for a Markdown heading line ("# Title"), whose text
	// includes the marks.
	Heading bool
}

// detectSample is how much of a text is read to pick the language's
// abbreviations when none is given.
const detectSample = 16 << 10

// Split returns the sentences of text in order. lang is a language code
// ("en", "de", "pt-BR") that selects the abbreviations; "" or "auto"
// detects it from the start of the text.
func Split(text, lang string) []Span {
	s := newScanner(text, lang)
	s.lines()
	return s.out
}

// Starts returns the byte offset of each sentence's first character, in
// order (the first sentence included).
func Starts(text, lang string) []int {
	spans := Split(text, lang)
	out := make([]int, len(spans))
	for i, sp := range spans {
		out[i] = sp.Start
	}
	return out
}

type scanner struct {
	t    string
	tab  *[0x10000]uint8
	ab   *abbrevs
	lang string
	pure bool // plain UAX #29: no changes, every line break is a paragraph separator
	out  []Span
	raw  []int // break offsets in pure mode
}

func newScanner(text, lang string) *scanner {
	code := baseLang(lang)
	if code == "" || code == "auto" {
		code = langid.Detect(text[:prefixLen(text, detectSample)])
	}
	return &scanner{t: text, tab: bmp(), ab: abbrevsFor(code), lang: code}
}

func baseLang(lang string) string {
	l := strings.ToLower(strings.TrimSpace(lang))
	if b, _, ok := strings.Cut(l, "-"); ok {
		return b
	}
	return l
}

// prefixLen returns n, or less so that text[:n] ends on a rune boundary.
func prefixLen(text string, n int) int {
	if n >= len(text) {
		return len(text)
	}
	for n > 0 && !utf8.RuneStart(text[n]) {
		n--
	}
	return n
}

// props returns the class and flags of r through the scanner's table.
func (s *scanner) props(r rune) uint8 {
	if r >= 0 && r < 0x10000 {
		return s.tab[r]
	}
	return computeProps(r)
}

func (s *scanner) class(r rune) class { return class(s.props(r) & classMask) }

// decode returns the rune at i and its size.
func (s *scanner) decode(i int) (rune, int) {
	if c := s.t[i]; c < utf8.RuneSelf {
		return rune(c), 1
	}
	return utf8.DecodeRuneInString(s.t[i:])
}

// lines groups the text's lines into paragraphs and headings, and scans
// each paragraph for sentences.
func (s *scanner) lines() {
	t := s.t
	para, paraEnd := -1, -1 // current paragraph [para, paraEnd)
	flush := func() {
		if para >= 0 {
			s.scanPara(para, paraEnd)
		}
		para, paraEnd = -1, -1
	}
	for pos := 0; pos < len(t); {
		end, next, ff := len(t), len(t), false
		if n := strings.IndexByte(t[pos:], '\n'); n >= 0 {
			end, next = pos+n, pos+n+1
		}
		if f := strings.IndexByte(t[pos:end], '\f'); f >= 0 {
			end, next, ff = pos+f, pos+f+1, true
		}
		a, b := trimSpace(t, pos, end)
		switch {
		case a == b:
			flush()
		case t[a] == '#':
			flush()
			s.out = append(s.out, Span{Start: a, End: b, Heading: true})
		case s.looksLikeTitle(a, b, para, paraEnd, next):
			flush()
			s.out = append(s.out, Span{Start: a, End: b})
		default:
			if para < 0 {
				para = a
			}
			paraEnd = b
		}
		if ff {
			flush()
		}
		pos = next
	}
	flush()
}

// looksLikeTitle reports whether the line [a, b) of extracted text is a
// heading: at most eight words, starting with a capital letter or a digit,
// without final punctuation, after a finished sentence (or nothing) and
// before a line that starts a new sentence.
func (s *scanner) looksLikeTitle(a, b, para, paraEnd, next int) bool {
	t := s.t
	first, _ := utf8.DecodeRuneInString(t[a:])
	if !(unicode.IsUpper(first) || unicode.IsDigit(first)) {
		return false
	}
	last, _ := utf8.DecodeLastRuneInString(t[:b])
	if strings.ContainsRune(".!?:;,-।॥", last) || s.props(last)&fCJK != 0 || isCJKPunct(last) {
		return false
	}
	if para >= 0 {
		end, _ := utf8.DecodeLastRuneInString(t[:paraEnd])
		if !strings.ContainsRune(".!?:।॥", end) {
			return false
		}
	}
	// The next line must start a sentence.
	for next < len(t) {
		r, sz := utf8.DecodeRuneInString(t[next:])
		switch {
		case r == '\n' || r == '\f':
			return false
		case unicode.IsSpace(r):
			next += sz
			continue
		}
		return (unicode.IsUpper(r) || unicode.IsDigit(r)) && fewWords(t[a:b], 8)
	}
	return false
}

// fewWords reports whether s has at most n words.
func fewWords(s string, n int) bool {
	words, in := 0, false
	for i := 0; i < len(s); i++ {
		sp := s[i] == ' ' || s[i] == '\t'
		if !sp && !in {
			if words++; words > n {
				return false
			}
		}
		in = !sp
	}
	return true
}

func isCJKPunct(r rune) bool {
	return (r >= 0x3000 && r <= 0x303f) || (r >= 0xff00 && r <= 0xff65)
}

// trimSpace returns [a, b) without leading and trailing white space.
func trimSpace(t string, a, b int) (int, int) {
	for a < b {
		c := t[a]
		if c < utf8.RuneSelf {
			if c != ' ' && (c < '\t' || c > '\r') {
				break
			}
			a++
			continue
		}
		r, sz := utf8.DecodeRuneInString(t[a:b])
		if !unicode.IsSpace(r) {
			break
		}
		a += sz
	}
	for b > a {
		c := t[b-1]
		if c < utf8.RuneSelf {
			if c != ' ' && (c < '\t' || c > '\r') {
				break
			}
			b--
			continue
		}
		r, sz := utf8.DecodeLastRuneInString(t[a:b])
		if !unicode.IsSpace(r) {
			break
		}
		b -= sz
	}
	return a, b
}

// emit ends the sentence that starts at *start before the break at m.
func (s *scanner) emit(start *int, m int) {
	if s.pure {
		s.raw = append(s.raw, m)
		*start = m
		return
	}
	a, b := trimSpace(s.t, *start, m)
	if a < b {
		s.out = append(s.out, Span{Start: a, End: b})
	}
	*start = m
}

// interesting marks the ASCII bytes the paragraph scan stops at.
var interesting = [utf8.RuneSelf]bool{
	'.': true, '!': true, '?': true, ':': true, 'w': true, 'W': true,
	'(': true, ')': true, '[': true, ']': true, '\n': true, '\r': true,
}

// interestingSpaced adds the space, for paragraphs with a space script.
var interestingSpaced = func() [utf8.RuneSelf]bool {
	t := interesting
	t[' '] = true
	return t
}()

// numberAfterSpaceScript reports whether the number that ends at i follows
// a letter of a space script: "พ.ศ.2566", "พ.ศ. 2566", "ปี 2566".
func (s *scanner) numberAfterSpaceScript(a, i int) bool {
	t := s.t
	for i > a && t[i-1] >= '0' && t[i-1] <= '9' {
		i--
	}
	for i > a && (t[i-1] == ' ' || t[i-1] == '.') {
		i--
	}
	r, _ := utf8.DecodeLastRuneInString(t[a:i])
	return i > a && s.props(r)&fSpaceScript != 0
}

// scanPara finds the sentence breaks of the paragraph [a, b).
func (s *scanner) scanPara(a, b int) {
	t := s.t
	start := a
	depth := 0 // open brackets, for the space-script rule
	tab := &interesting
	for i := a; i < b; {
		c := t[i]
		if c < utf8.RuneSelf {
			if !tab[c] {
				i++
				continue
			}
			switch c {
			case '.', '!', '?':
				i = s.terminator(i, b, &start)
				continue
			case ':':
				if !s.pure && strings.HasPrefix(t[i:b], "://") && i > a && isASCIILetter(t[i-1]) {
					i = s.skipURL(i, b)
					continue
				}
			case 'w', 'W':
				if !s.pure && (i == a || t[i-1] == ' ' || t[i-1] == '(' || t[i-1] == '<') && len(t)-i > 4 && strings.EqualFold(t[i:i+4], "www.") {
					i = s.skipURL(i, b)
					continue
				}
			case ' ':
				// After a number in a run of a space script: "พ.ศ.2566 คุณ".
				if depth == 0 && i > a && t[i-1] >= '0' && t[i-1] <= '9' && s.numberAfterSpaceScript(a, i) {
					if m := s.spaceBreak(i-1, i, b); m > 0 {
						s.emit(&start, m)
						i = m
						continue
					}
				}
			case '(', '[':
				depth++
			case ')', ']':
				depth = max(depth-1, 0)
				if depth == 0 && !s.pure && i > a {
					// "(…ฯลฯ) คน": a bracket closed after a space script.
					if r, _ := utf8.DecodeLastRuneInString(t[a:i]); s.props(r)&fSpaceScript != 0 {
						if m := s.spaceBreak(i, i+1, b); m > 0 {
							s.emit(&start, m)
							i = m
							continue
						}
					}
				}
			case '\n', '\r':
				if s.pure {
					// SB3, SB4: a paragraph separator ends a sentence.
					j := i + 1
					if c == '\r' && j < b && t[j] == '\n' {
						j++
					}
					if j < b {
						s.emit(&start, j)
					}
					i = j
					continue
				}
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(t[i:])
		p := s.props(r)
		switch class(p & classMask) {
		case cATerm, cSTerm:
			i = s.terminator(i, b, &start)
			continue
		case cSep:
			if i+size < b {
				s.emit(&start, i+size)
			}
		case cClose:
			switch r {
			case '（', '［', '【':
				depth++
			case '）', '］', '】':
				depth = max(depth-1, 0)
			}
		}
		if p&fSpaceScript != 0 && !s.pure {
			tab = &interestingSpaced
		}
		if p&fSpaceScript != 0 && !s.pure && depth == 0 {
			if m := s.spaceBreak(i, i+size, b); m > 0 {
				s.emit(&start, m)
				i = m
				continue
			}
		}
		i += size
	}
	if s.pure {
		return
	}
	s.emit(&start, b)
}

func isASCIILetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

// skipURL returns the end of the URL around i, less the punctuation that
// follows it in the sentence.
func (s *scanner) skipURL(i, b int) int {
	t := s.t
	j := i
	for j < b {
		c := t[j]
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '<' || c == '>' || c == '"' || c >= utf8.RuneSelf {
			break
		}
		j++
	}
	for j > i+1 && strings.IndexByte(".,;:!?)]}'", t[j-1]) >= 0 {
		j--
	}
	return j
}

// Repetition and abbreviation marks of the space scripts.
const (
	thaiRepeat = 'ๆ'
	laoRepeat  = 'ໆ'
	khmerLekTo = 'ៗ'
	thaiAbbrev = 'ฯ'
	laoAbbrev  = 'ຯ'
)

// listIntro are words after which a space does not end a Thai clause.
var listIntro = []string{"เช่น", "ได้แก่", "คือ", "ดังนี้"}

// joiners are words that continue a Thai sentence after a space: "and",
// "or", "e.g.", "then", "etc.".
var joiners = []string{"และ", "หรือ", "เช่น", "แล้ว", "ฯลฯ"}

// minClause is the fewest characters (combining marks not counted) the
// text after a space needs to be a new clause; shorter runs are the items
// of a list ("ที่คั่นหน้า รหัสผ่าน และ…").
const minClause = 10

// spaceBreak applies the space-script rule at the rune [i, j): when spaces
// follow it and a letter of a space script follows them, it returns the
// offset of that letter, else 0.
func (s *scanner) spaceBreak(i, j, b int) int {
	t := s.t
	if j >= b || (t[j] != ' ' && t[j] != '\t') {
		return 0
	}
	k := j
	for k < b && (t[k] == ' ' || t[k] == '\t') {
		k++
	}
	if k >= b {
		return 0
	}
	prev, _ := utf8.DecodeRuneInString(t[i:])
	next, _ := utf8.DecodeRuneInString(t[k:])
	np := s.props(next)
	if np&fSpaceScript == 0 || class(np&classMask) != cOLetter {
		return 0
	}
	switch next {
	case thaiRepeat, laoRepeat, khmerLekTo, thaiAbbrev, laoAbbrev:
		return 0
	}
	switch prev {
	case thaiRepeat, laoRepeat, khmerLekTo:
		return 0
	case thaiAbbrev, laoAbbrev:
		return 0 // "กรุงเทพฯ เป็น", "… ฯลฯ สามารถ": the mark is spaced like a word
	}
	for _, w := range listIntro {
		if strings.HasSuffix(t[:j], w) {
			return 0
		}
	}
	for _, w := range joiners {
		if strings.HasPrefix(t[k:b], w) {
			return 0
		}
	}
	n := 0
	for e := k; e < b && t[e] != ' ' && t[e] != '\t' && t[e] != '\n' && n < minClause; {
		r, sz := utf8.DecodeRuneInString(t[e:])
		if s.class(r) != cExtend {
			n++
		}
		e += sz
	}
	if n < minClause {
		return 0
	}
	return k
}

// terminator handles the run of sentence terminators that starts at i and
// returns where scanning goes on.
func (s *scanner) terminator(i, b int, start *int) int {
	t := s.t
	j, lastA, lastPos, n := i, false, i, 0
	for j < b {
		r, sz := s.decode(j)
		switch s.class(r) {
		case cATerm:
			lastA, lastPos = !(r == 0xff0e && !s.pure), j
		case cSTerm:
			lastA, lastPos = false, j
		case cExtend, cFormat:
		default:
			goto done
		}
		n++
		j += sz
	}
done:
	if j >= b {
		return b
	}
	nr, _ := s.decode(j)
	nc := s.class(nr)
	if lastA {
		switch nc {
		case cNumeric:
			return j // SB6
		case cUpper:
			if lastPos == i && s.prevIsCased(i) {
				return j // SB7
			}
		}
		if !s.pure && nc != cSp && nc != cClose && nc != cCR && nc != cLF && nc != cSep && s.props(nr)&fCJK == 0 {
			return j // no space after the period: a file name, a URL, ".*", "พ.ศ.2566"
		}
	} else if !s.pure && (nc == cLower || nc == cUpper || nc == cNumeric) && s.props(nr)&fCJK == 0 && nr < 0x250 {
		return j // "Yahoo!Mail", "index.php?id=3"
	}
	k := j
	for k < b {
		r, sz := s.decode(k)
		if c := s.class(r); c != cClose && c != cExtend && c != cFormat {
			break
		}
		if !s.pure && unicode.Is(unicode.Ps, r) {
			break // an opening bracket starts the next sentence: "。「", ". ("
		}
		k += sz
	}
	m := k
	for m < b {
		r, sz := s.decode(m)
		c := s.class(r)
		if !(c == cSp || c == cExtend || c == cFormat || (!s.pure && (c == cLF || c == cCR))) {
			break
		}
		m += sz
	}
	if s.pure && m < b {
		// SB9-SB11: a paragraph separator after the terminator goes with
		// it, and the sentence ends there.
		sep := m
		switch t[m] {
		case '\r':
			m++
			if m < b && t[m] == '\n' {
				m++
			}
		case '\n':
			m++
		default:
			if r, sz := s.decode(m); s.class(r) == cSep {
				m += sz
			}
		}
		if m > sep {
			if m < b {
				s.emit(start, m)
			}
			return m
		}
	}
	if m >= b {
		return b
	}
	r2, _ := s.decode(m)
	switch s.class(r2) {
	case cSContinue, cATerm, cSTerm:
		return m // SB8a
	}
	if lastA && s.lowerFollows(m, b) {
		return m // SB8
	}
	if !s.pure && unicode.Is(unicode.Ps, r2) && s.lowerFollows(m, b) {
		return m // "… echo $?" (see dpkg(1))": a bracket opened before a lower-case word
	}
	if !s.pure && lastA && n == 1 && s.abbreviation(*start, i, m, b) {
		return m
	}
	s.emit(start, m)
	return m
}

// prevIsCased reports whether the character before i is an upper- or
// lower-case letter (SB7).
func (s *scanner) prevIsCased(i int) bool {
	for i > 0 {
		r, sz := utf8.DecodeLastRuneInString(s.t[:i])
		switch s.class(r) {
		case cExtend, cFormat:
			i -= sz
			continue
		case cUpper, cLower:
			return true
		}
		return false
	}
	return false
}

// lowerFollows reports whether, from m, a lower-case letter comes before
// any other letter, paragraph separator or terminator (SB8).
func (s *scanner) lowerFollows(m, b int) bool {
	for m < b {
		r, sz := s.decode(m)
		switch s.class(r) {
		case cLower:
			return true
		case cOLetter, cUpper, cSep, cATerm, cSTerm:
			return false
		case cCR, cLF:
			if s.pure {
				return false
			}
		}
		m += sz
	}
	return false
}
