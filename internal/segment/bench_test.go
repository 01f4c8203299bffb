package segment

import (
	"strings"
	"testing"
)

// benchText is about 1 MB of English prose with the features the
// segmenter looks at: abbreviations, numbers, URLs, quotes, line breaks.
func benchText() string {
	para := "The Debian Reference (version 2.100) was written by Osamu Aoki et al. for new users. " +
		"It covers e.g. package management with apt(8), the shell, and networking. See Dr. Smith's notes at " +
		"https://example.org/doc?id=42 for details! Why does it matter? Because 3.5 GB of disk is\n" +
		"enough for a desktop, and the U.S. mirrors carry every release. J. R. Hacker said \"it works.\" " +
		"Then the system boots.\n\n"
	return strings.Repeat(para, 1<<20/len(para))
}

// BenchmarkSplit measures the segmenter's throughput on one core:
//
//	go test -run '^$' -bench Split -cpu 1 ./internal/segment/
func BenchmarkSplit(b *testing.B) {
	for _, tc := range []struct{ name, text, lang string }{
		{"en", benchText(), "en"},
		{"auto", benchText(), ""},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(int64(len(tc.text)))
			for b.Loop() {
				Split(tc.text, tc.lang)
			}
		})
	}
}

// BenchmarkUniseg is the peer: rivo/uniseg's plain UAX #29 sentences over
// the same text.
func BenchmarkUniseg(b *testing.B) {
	text := benchText()
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		unisegBreaks(text)
	}
}
