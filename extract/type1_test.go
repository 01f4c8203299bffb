package extract

import (
	"context"
	"strings"
	"testing"
)

func TestGlyphNames(t *testing.T) {
	got := glyphNames(map[int]string{
		12: "fi", 13: "fl", 97: "a", 123: "endash", 1: "uni4E2D", 2: "u1F600",
		// TeX's math fonts' names (cmsy, cmmi, cmex)
		104: "angbracketleft", 105: "angbracketright", 48: "prime", 18: "parenleftbig",
		88: "summationdisplay", 80: "summationtext", 15: "epsilon1", 35: "circleplustext",
		3: "coproduct", 4: "coproductdisplay", 5: "union",
		// unknown
		6: "a9", 7: "big",
	})
	want := map[int]string{
		12: "ﬁ", 13: "ﬂ", 97: "a", 123: "–", 1: "中", 2: "😀",
		104: "⟨", 105: "⟩", 48: "′", 18: "(", 88: "∑", 80: "∑", 15: "ε", 35: "⨁",
		3: "⨿", 4: "∐", 5: "∪",
	}
	for c, w := range want {
		if got[c] != w {
			t.Errorf("code %d: %q, want %q", c, got[c], w)
		}
	}
	for _, c := range []int{6, 7} {
		if s, ok := got[c]; ok {
			t.Errorf("unknown name at %d decoded to %q", c, s)
		}
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

// TestTeXMathNames: cmsy's angle brackets read as such, not as the
// letters at their codes ("⟨wd⟩" came out "hwdi").
func TestTeXMathNames(t *testing.T) {
	doc, err := File(context.Background(), corpusPDF(t, "booktabs.pdf"), Options{PDFEngine: EngineLedongthuc})
	if err != nil {
		t.Fatal(err)
	}
	if text := doc.Text(); !strings.Contains(text, "{⟨wd⟩}") || strings.Contains(text, "hwdi") {
		t.Error("booktabs: ⟨wd⟩ not read as such")
	}
}
