package extract

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/llsum/llsum/extract/textmetric"
	"github.com/llsum/llsum/internal/textutil"
)

// The plausibility check (issue 14): a page's text is not handed on until
// it looks like text. An engine's output fails when it holds
//
//   - replacement characters (U+FFFD), private-use code points or C0/C1
//     controls: codes no font mapped to Unicode;
//   - in a CJK context (Han, Kana or Hangul on the page or on earlier pages
//     of the document, or a CJK font on the page), Latin-1 Supplement and
//     combining-mark soup: words mixing Latin-1 letters with symbols, or
//     with CJK characters, which is what two-byte codes read as single
//     bytes look like;
//
// and, for the ledongthuc engine, which sees the fonts,
//
//   - glyphs shown in a CID font that has no usable Unicode mapping
//     (Identity-H/V without a ToUnicode map, a ToUnicode map without the
//     code, a CMap llsum cannot decode);
//   - a glyph-to-text ratio far from one character per glyph (codes that
//     map to nothing, or to runs of bytes).
//
// Under auto a failing page is read again with PDFium; when PDFium's text
// fails too, the garbled characters are left out of the page, the page is
// marked Garbled and its warning says so.

// glyphStats is what the ledongthuc interpreter saw on a page beyond its
// text.
type glyphStats struct {
	codes     int    // non-space character codes shown
	runes     int    // runes those codes decoded to
	empty     int    // codes that decoded to nothing
	undecoded int    // codes of fonts with no usable Unicode mapping
	cjk       int    // codes shown in CJK fonts
	badFont   string // the first font with undecoded codes, and why
}

// check says why the glyphs look wrong, or "".
func (s *glyphStats) check() string {
	if s == nil {
		return ""
	}
	if s.undecoded > 0 {
		return fmt.Sprintf("%d %s without a Unicode mapping (font %s)", s.undecoded, textutil.Plural(s.undecoded, "glyph", "glyphs"), s.badFont)
	}
	if s.codes >= 20 && (s.runes*2 < s.codes || float64(s.runes) > 2.5*float64(s.codes)) {
		return fmt.Sprintf("%d glyphs decoded to %d characters", s.codes, s.runes)
	}
	if s.empty >= 3 && s.empty*20 >= s.codes {
		return fmt.Sprintf("%d of %d glyphs decoded to nothing", s.empty, s.codes)
	}
	return ""
}

// textCheck is the verdict of the text checks on one engine's page text.
type textCheck struct {
	bad    int      // replacement, private-use and control characters
	ctrl   int      // of which controls (which cleanPage removes)
	pua    int      // of which private-use
	near   int      // of which beside CJK or another bad character
	badRun int      // the longest run of bad characters with nothing between
	runes  int      // non-space characters
	cjk    bool     // CJK context: the page or the document so far
	soup   []string // Latin-1/combining-mark soup words (CJK context only)
	// soupRunes counts the soup characters in those words.
	soupRunes int
}

func (c textCheck) reason() string {
	var parts []string
	if n := c.bad - c.ctrl - c.pua; n > 0 {
		parts = append(parts, fmt.Sprintf("%d replacement %s (U+FFFD)", n, textutil.Plural(n, "character", "characters")))
	}
	if c.pua > 0 {
		parts = append(parts, fmt.Sprintf("%d private-use %s", c.pua, textutil.Plural(c.pua, "character", "characters")))
	}
	if c.ctrl > 0 {
		parts = append(parts, fmt.Sprintf("%d control %s", c.ctrl, textutil.Plural(c.ctrl, "character", "characters")))
	}
	if n := len(c.soup); n > 0 {
		ex := c.soup[0]
		if utf8.RuneCountInString(ex) > 16 {
			ex = string([]rune(ex)[:16]) + "…"
		}
		parts = append(parts, fmt.Sprintf("%d Latin-1 soup %s in CJK text (%q)", n, textutil.Plural(n, "word", "words"), ex))
	}
	return strings.Join(parts, ", ")
}

// failed reports whether the text is too garbled to hand on: three soup
// characters; three bad characters in a run or as 1% of the page; or, in
// CJK text, three bad characters beside CJK or one another (lost CJK
// characters). Fewer, scattered ones (a math delimiter, an icon, a TeX
// ligature without a Unicode mapping) are left out of the page with a plain
// warning instead.
func (c textCheck) failed() bool {
	if c.soupRunes >= minBadRunes {
		return true
	}
	if c.bad < minBadRunes {
		return false
	}
	return c.badRun >= minBadRunes || c.bad*100 >= c.runes || (c.cjk && c.near >= minBadRunes)
}

// minBadRunes is the number of garbage characters that fails a page: a
// garbled heading of two CJK characters is already four or more.
const minBadRunes = 3

// checkText runs the text checks on an engine's page text: raw as the
// engine gave it (for the controls that cleanPage removes), text as
// cleaned. cjk says whether the document is CJK so far (the page's own CJK
// is counted here).
func checkText(raw, text string, cjk bool) textCheck {
	var c textCheck
	for _, r := range raw {
		if r < 0x20 || (r >= 0x7F && r < 0xA0) {
			if isBadRune(r) {
				c.bad++
				c.ctrl++
			}
		}
	}
	hasCJK := cjk
	run := 0
	prev := ' ' // the character before
	prevBad := false
	for _, r := range text {
		bad := isBadRune(r)
		if bad {
			c.bad++
			if r >= 0xE000 && r != utf8.RuneError && r != 0xFFFE && r != 0xFFFF {
				c.pua++
			}
			run++
			c.badRun = max(c.badRun, run)
			if prevBad || isCJK(prev) {
				c.near++
			}
		} else {
			run = 0
			if prevBad && isCJK(r) {
				c.near++ // the bad character before this one
			}
		}
		if r > ' ' && (r < 0x80 || !unicode.IsSpace(r)) {
			c.runes++
		}
		prev, prevBad = r, bad
		if !hasCJK && isCJK(r) {
			hasCJK = true
		}
	}
	c.cjk = hasCJK
	if hasCJK {
		for _, w := range strings.Fields(text) {
			if k := soupCount(w); k > 0 {
				c.soup = append(c.soup, w)
				c.soupRunes += k
			}
		}
	}
	return c
}

// isBadRune: a code point no text should hold.
func isBadRune(r rune) bool {
	switch {
	case r >= 0x20 && r < 0x7F:
		return false
	case r == '\n' || r == '\t' || r == '\r' || r == '\f':
		return false
	case r == 0x02: // PDFium's line-end hyphen
		return false
	case r < 0xA0:
		return true // C0, DEL, C1
	case r < 0xE000:
		return false
	case r == utf8.RuneError, r == 0xFFFE, r == 0xFFFF:
		return true
	}
	return unicode.Is(unicode.Co, r)
}

func isCJK(r rune) bool {
	return r >= 0x2E80 && textmetric.IsCJK(r)
}

// isLatin1Soup: Latin-1 Supplement letters, C1 controls, spacing
// diacritics and the PDFDocEncoding/Windows-1252 specials that single-byte
// decodings of two-byte codes turn into. The Latin-1 signs that CJK text
// uses (· ° ± ² µ § © « ») are not soup.
func isLatin1Soup(r rune) bool {
	switch {
	case r >= 0xC0 && r <= 0xFF:
		return r != 0xD7 && r != 0xF7 // × and ÷ are plain text
	case r >= 0x80 && r < 0xA0:
		return true
	case r == 0xA8 || r == 0xAF || r == 0xB4 || r == 0xB8: // ¨ ¯ ´ ¸
		return true
	case r >= 0x2C6 && r <= 0x2DD: // ˆ ˇ ˘ ˙ ˚ ˛ ˜ ˝
		return true
	case r == 0x131 || r == 0x141 || r == 0x142 || r == 0x152 || r == 0x153 || r == 0x160 ||
		r == 0x161 || r == 0x178 || r == 0x17D || r == 0x17E || r == 0x192:
		return true // ı Ł ł Œ œ Š š Ÿ Ž ž ƒ
	case r == 0x201A || r == 0x201E || r == 0x2020 || r == 0x2021 || r == 0x2030 ||
		r == 0x2039 || r == 0x203A:
		return true // ‚ „ † ‡ ‰ ‹ ›
	}
	return false
}

// soupCount returns the soup characters of a word that looks like
// mojibake, or 0: at least one Latin-1 soup character (or a combining mark
// on a non-letter), beside a symbol, a replacement character or CJK
// inside the same word, with soup and symbols ≥ 40% of the word. A Latin
// word quoted in CJK text (café, Müller教授, Gödel·Escher, l'élève) is
// not soup.
func soupCount(w string) int {
	w = strings.Trim(w, `()[]"'.,;:!?<>`) // sentence punctuation around a word
	soup, sym, n := 0, 0, 0
	odd := false
	prevLetter := false
	for _, r := range w {
		n++
		switch {
		case isLatin1Soup(r):
			soup++
		case unicode.Is(unicode.Mn, r):
			if !prevLetter {
				soup++
			}
		case r == utf8.RuneError, isCJK(r):
			odd = true
		case r == '-', r == '\'', r == '’', r == '.', r == '·':
		case unicode.IsPunct(r), unicode.IsSymbol(r):
			sym++
			odd = true
		}
		prevLetter = unicode.IsLetter(r)
	}
	if soup == 0 || !odd || soup+sym < 2 || (soup+sym)*5 < n*2 {
		return 0
	}
	return soup
}

// dropGarbage removes the characters the text checks object to: bad code
// points and soup words. It returns the text and the number of characters
// left out.
func dropGarbage(text string, c textCheck) (string, int) {
	soup := map[string]bool{}
	for _, w := range c.soup {
		soup[w] = true
	}
	var b strings.Builder
	dropped := 0
	for i, line := range strings.Split(text, "\n") {
		if i > 0 {
			b.WriteByte('\n')
		}
		first := true
		for _, w := range strings.Fields(line) {
			if soup[w] {
				dropped += utf8.RuneCountInString(w)
				continue
			}
			kept := strings.Map(func(r rune) rune {
				if isBadRune(r) {
					dropped++
					return -1
				}
				return r
			}, w)
			if kept == "" {
				continue
			}
			if !first {
				b.WriteByte(' ')
			}
			b.WriteString(kept)
			first = false
		}
	}
	return strings.TrimSpace(b.String()), dropped
}

// agree reports whether two engines' soup words are mostly the same words:
// two decoders that agree are reading real accented text, not mojibake.
func agree(a, b []string) bool {
	if len(a) == 0 || len(b) == 0 {
		return false
	}
	set := map[string]bool{}
	for _, w := range a {
		set[w] = true
	}
	same := 0
	for _, w := range b {
		if set[w] {
			same++
		}
	}
	return same*2 >= len(b)
}
