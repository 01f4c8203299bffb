package extract

import (
	"context"
	"strings"
	"testing"
)

func TestGlyphNames(t *testing.T) {
	got := glyphNames(map[int]string{12: "fi", 13: "fl", 97: "a", 123: "endash", 18: "parenleftbig", 1: "uni4E2D", 2: "u1F600"})
	want := map[int]string{12: "ﬁ", 13: "ﬂ", 97: "a", 123: "–", 1: "中", 2: "😀"}
	for c, w := range want {
		if got[c] != w {
			t.Errorf("code %d: %q, want %q", c, got[c], w)
		}
	}
	if s, ok := got[18]; ok {
		t.Errorf("unknown name parenleftbig decoded to %q", s)
	}
}

// TestTeXLigatures: CM fonts without /Encoding keep their ligatures.
func TestTeXLigatures(t *testing.T) {
	doc, err := File(context.Background(), corpusPDF(t, "asymptote-asyRefCard.pdf"), Options{PDFEngine: EngineLedongthuc})
	if err != nil {
		t.Fatal(err)
	}
	text := doc.Text()
	for _, w := range []string{"import \"filename\"", "function definition", "float (double precision)"} {
		if !strings.Contains(text, w) {
			t.Errorf("%q missing", w)
		}
	}
}
