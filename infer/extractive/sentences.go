package extractive

import "github.com/llsum/llsum/internal/segment"

// SplitSentences splits text into sentences, in order, trimmed and
// non-empty, with llsum's one segmenter (internal/segment): Unicode's
// sentence rules (UAX #29) with the abbreviations of the text's detected
// language, danda, CJK full stops and Thai/Lao/Khmer/Myanmar clause
// spaces; blank lines, form feeds and heading-like lines end a paragraph,
// and single line breaks are folded into spaces (dropped between CJK
// characters, a word hyphenated at a line end joined).
func SplitSentences(text string) []string {
	return segment.Sentences(text, "")
}
