package segment

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/llsum/llsum/internal/langid"
)

// goldenCase is one case of testdata/golden/LANG.txt.
type goldenCase struct {
	name, input string
	want        []string
}

// readGolden parses a golden file: "#" comment lines before the first
// case; each case is "=== name", its input lines, "---", and the expected
// sentences, one a line (blank lines ignored).
func readGolden(t testing.TB, path string) []goldenCase {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var cases []goldenCase
	for _, chunk := range strings.Split(string(b), "\n=== ")[1:] {
		name, rest, _ := strings.Cut(chunk, "\n")
		in, out, ok := strings.Cut(rest, "\n---\n")
		if !ok {
			t.Fatalf("%s: case %q has no --- line", path, name)
		}
		c := goldenCase{name: name, input: in}
		for line := range strings.Lines(out) {
			if line = strings.TrimRight(line, "\n"); line != "" {
				c.want = append(c.want, line)
			}
		}
		cases = append(cases, c)
	}
	return cases
}

// goldenLangs are the languages Llama 3.2 supports officially: each has a
// golden file of at least 30 cases.
var goldenLangs = []string{"en", "de", "fr", "it", "pt", "es", "hi", "th"}

// TestGolden splits every case of testdata/golden with the file's language
// and with "auto" (the language detected from the case), and checks that
// the whole file is detected as its language.
func TestGolden(t *testing.T) {
	for _, lang := range goldenLangs {
		t.Run(lang, func(t *testing.T) {
			cases := readGolden(t, filepath.Join("testdata", "golden", lang+".txt"))
			if len(cases) < 30 {
				t.Errorf("%d cases, want at least 30", len(cases))
			}
			var all strings.Builder
			for _, c := range cases {
				all.WriteString(c.input + "\n\n")
				if got := Sentences(c.input, lang); !slices.Equal(got, c.want) {
					t.Errorf("%s:\n got %q\nwant %q", c.name, got, c.want)
				}
			}
			if got := langid.Detect(all.String()); got != lang {
				t.Errorf("the golden text is detected as %s", got)
			}
			// Auto detection on the whole file gives the same splits.
			var want []string
			for _, c := range cases {
				want = append(want, c.want...)
			}
			if got := Sentences(all.String(), ""); !slices.Equal(got, want) {
				t.Errorf("the whole file with auto detection: %d sentences, want %d", len(got), len(want))
			}
		})
	}
}
