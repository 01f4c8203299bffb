package chunk

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/rivo/uniseg"

	"github.com/llsum/llsum/internal/segment"
)

// Boundary levels, strongest first. A cut at position p ends one chunk
// before p and starts the next at p.
const (
	levelPage      = iota // a page starts at p
	levelParagraph        // p ends a blank line, or starts a Markdown heading line
	levelSentence         // a sentence starts at p (internal/segment)
	levelWord             // p ends a run of spaces, or lies between CJK characters
	levelSpace            // p lies inside a run of whitespace
	levelNone             // only a grapheme boundary, if that
)

// levelAt returns the boundary level of byte offset p, 0 < p < len(text).
//
// Cuts inside a run of whitespace are made at its end, so that every chunk
// after the first starts with a visible character and the whitespace stays
// with the text before it; a run that contains a page start is cut there
// instead (a page's leading whitespace stays with its page).
func (sp *splitter) levelAt(p int) int {
	t := sp.text
	if p <= 0 || p >= len(t) || !utf8.RuneStart(t[p]) {
		return levelNone
	}
	if sp.isPageStart(p) {
		return levelPage
	}
	lv := sp.level(p)
	if lv < levelNone {
		// A combining mark, a joiner or a variation selector after p
		// belongs to the character before it: no cut there.
		_, psz := utf8.DecodeLastRuneInString(t[:p])
		if cluster, _, _, _ := uniseg.FirstGraphemeClusterInString(t[p-psz:], -1); len(cluster) != psz {
			return levelNone
		}
	}
	return lv
}

// level is levelAt without the grapheme cluster check.
func (sp *splitter) level(p int) int {
	t := sp.text
	r, _ := utf8.DecodeRuneInString(t[p:])
	pr, psz := utf8.DecodeLastRuneInString(t[:p])
	switch {
	case isSpace(pr) && isSpace(r):
		return levelSpace
	case isSpace(pr):
		q := p - psz
		for q > 0 {
			c, sz := utf8.DecodeLastRuneInString(t[:q])
			if !isSpace(c) {
				break
			}
			q -= sz
		}
		if sp.pageStartIn(q, p) {
			return levelNone
		}
		nl := strings.Count(t[q:p], "\n")
		if nl >= 2 || (nl == 1 && isHeading(t[p:])) {
			return levelParagraph
		}
		if sp.isSentenceStart(p) {
			return levelSentence
		}
		return levelWord
	case isSpace(r) || isCloser(r):
		return levelNone
	}
	if sp.isSentenceStart(p) {
		return levelSentence
	}
	if (isCJK(pr) || isCJKPunct(pr)) && isCJK(r) && !isSmallKana(r) {
		return levelWord
	}
	return levelNone
}

// isSpace reports whether r is whitespace a text may be cut at
// (non-breaking spaces excluded).
func isSpace(r rune) bool {
	switch r {
	case '\u00a0', '\u2007', '\u202f', '\ufeff':
		return false
	}
	return unicode.IsSpace(r)
}

// isHeading reports whether the line that starts s is a Markdown ATX
// heading ("# Title" to "###### Title").
func isHeading(s string) bool {
	n := 0
	for n < len(s) && n < 7 && s[n] == '#' {
		n++
	}
	return n >= 1 && n <= 6 && (n == len(s) || s[n] == ' ' || s[n] == '\t')
}

// isCloser reports whether r closes a quotation or bracket: a sentence end
// followed by closers ends after them.
func isCloser(r rune) bool {
	return strings.ContainsRune(")]}\"'’”»›」』）】〉》〕〗〙〛］｝＂＇", r)
}

// isSentenceStart reports whether a sentence starts at p, as llsum's
// segmenter (internal/segment) splits the text: computed once per text, on
// first use.
func (sp *splitter) isSentenceStart(p int) bool {
	if sp.sentences == nil {
		sp.sentences = segment.Starts(sp.text, sp.lang)
	}
	_, found := slices.BinarySearch(sp.sentences, p)
	return found
}

// isCJK reports whether r is a Han, Hiragana or Katakana character: text in
// these scripts may be cut between any two of them.
func isCJK(r rune) bool {
	return r >= 0x2e80 && (unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) || unicode.Is(unicode.Katakana, r))
}

// isCJKPunct reports whether r is CJK or full-width punctuation.
func isCJKPunct(r rune) bool {
	return (r >= 0x3000 && r <= 0x303f) || (r >= 0xff00 && r <= 0xff65)
}

// isSmallKana reports whether r may not start a line in Japanese (small
// kana and the prolonged sound mark).
func isSmallKana(r rune) bool {
	return strings.ContainsRune("ぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶㇰㇱㇲㇳㇴㇵㇶㇷㇸㇹㇺㇻㇼㇽㇾㇿーゝゞヽヾ々", r)
}

// graphemeCut returns the last grapheme cluster boundary in (s, limit], or
// the first one after s when there is none.
func (sp *splitter) graphemeCut(s, limit int) int {
	rest, pos, state, last := sp.text[s:], s, -1, -1
	for len(rest) > 0 {
		var cluster string
		cluster, rest, _, state = uniseg.FirstGraphemeClusterInString(rest, state)
		pos += len(cluster)
		if pos > limit {
			break
		}
		last = pos
	}
	if last < 0 {
		return pos
	}
	return last
}

// nextGrapheme returns the end of the grapheme cluster that starts at s.
func (sp *splitter) nextGrapheme(s int) int {
	cluster, _, _, _ := uniseg.FirstGraphemeClusterInString(sp.text[s:], -1)
	return s + len(cluster)
}
