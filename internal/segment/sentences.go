package segment

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Sentences returns the sentences of text as strings, in order: each
// span's lines joined by a space (a word hyphenated at a line end joined
// whole, and no space between CJK characters nor between Thai, Lao, Khmer
// or Myanmar letters), Markdown heading marks
// removed, and a piece without letters or digits (stray punctuation) kept
// with the sentence before it. lang is as for Split.
func Sentences(text, lang string) []string {
	var out []string
	for _, sp := range Split(text, lang) {
		s := text[sp.Start:sp.End]
		if sp.Heading {
			s = strings.TrimSpace(strings.TrimLeft(s, "#"))
		}
		if strings.IndexByte(s, '\n') >= 0 || strings.IndexByte(s, '\r') >= 0 {
			s = fold(s)
		}
		if s == "" {
			continue
		}
		if len(out) > 0 && !strings.ContainsFunc(s, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) {
			out[len(out)-1] += s
			continue
		}
		out = append(out, s)
	}
	return out
}

// fold joins the lines of s.
func fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for line := range strings.Lines(s) {
		t := strings.TrimSpace(line)
		if t == "" {
			continue
		}
		if b.Len() > 0 {
			cur := b.String()
			prev, _ := utf8.DecodeLastRuneInString(cur)
			next, _ := utf8.DecodeRuneInString(t)
			switch {
			case props(prev)&fCJK != 0 || isCJKPunct(prev):
				if props(next)&fCJK == 0 {
					b.WriteByte(' ')
				}
			case props(prev)&fSpaceScript != 0 && props(next)&fSpaceScript != 0:
				// Thai and its kin wrap lines between words, which have no
				// spaces: join without one.
			case prev == '-' && unicode.IsLower(next) && len(cur) > 1:
				// A word hyphenated at the line end: join it.
				b.Reset()
				b.WriteString(cur[:len(cur)-1])
			default:
				b.WriteByte(' ')
			}
		}
		b.WriteString(t)
	}
	return b.String()
}
