package extractive

import (
	"strings"
	"unicode/utf8"

	"github.com/llsum/llsum/internal/segment"
)

// SplitSentences splits text into sentences, in order, trimmed and
// non-empty, with llsum's one segmenter (internal/segment): Unicode's
// sentence rules (UAX #29) with the abbreviations of the text's detected
// language, danda, CJK full stops and Thai/Lao/Khmer/Myanmar clause
// spaces; blank lines, form feeds and heading-like lines end a paragraph,
// and single line breaks are folded into spaces (dropped between CJK
// characters, a word hyphenated at a line end joined).
//
// A "sentence" longer than maxSentence bytes (a text without punctuation,
// a 50 MB single line) is cut into pieces at clause marks (";", ":", ",",
// dashes) where it can, else between words, each at most maxSentence bytes,
// so that a summary selects among real-sized pieces instead of truncating
// one giant sentence.
func SplitSentences(text string) []string {
	sents := segment.Sentences(text, "")
	var out []string
	for i, s := range sents {
		if len(s) <= maxSentence {
			if out != nil {
				out = append(out, s)
			}
			continue
		}
		if out == nil {
			out = append(make([]string, 0, len(sents)+len(s)/maxSentence), sents[:i]...)
		}
		out = append(out, splitLong(s)...)
	}
	if out == nil {
		return sents
	}
	return out
}

// maxSentence bounds a sentence, in bytes (about 80 words).
const maxSentence = 480

// splitLong cuts s into pieces of at most maxSentence bytes: after the
// last clause mark in the window's second half, else at its last space,
// else (no space at all) at a rune boundary.
func splitLong(s string) []string {
	var out []string
	for len(s) > maxSentence {
		w := s[:maxSentence]
		cut := -1
		for _, mark := range []string{"; ", ": ", ", ", " — ", " – ", " - "} {
			if k := strings.LastIndex(w, mark); k > maxSentence/2 && k+len(mark)-1 > cut {
				cut = k + len(mark) - 1
			}
		}
		if cut < 0 {
			cut = strings.LastIndexByte(w, ' ')
		}
		if cut <= 0 {
			cut = maxSentence
			for cut > 0 && !utf8.RuneStart(s[cut]) {
				cut--
			}
			if cut == 0 {
				cut = maxSentence
			}
		}
		if p := strings.TrimSpace(s[:cut]); p != "" {
			out = append(out, p)
		}
		s = strings.TrimSpace(s[cut:])
	}
	if s != "" {
		out = append(out, s)
	}
	return out
}
