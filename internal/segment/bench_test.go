package segment

import (
	"path/filepath"
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
	cases := []struct{ name, text, lang string }{
		{"en", benchText(), "en"},
		{"auto", benchText(), ""},
	}
	for _, lang := range []string{"de", "hi", "th"} {
		// The golden cases' real text, repeated to about 1 MB.
		var sb strings.Builder
		for _, c := range readGolden(b, filepath.Join("testdata", "golden", lang+".txt")) {
			sb.WriteString(c.input + "\n\n")
		}
		cases = append(cases, struct{ name, text, lang string }{"golden-" + lang, strings.Repeat(sb.String(), 1<<20/sb.Len()+1), lang})
	}
	for _, tc := range cases {
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
