package extract

import (
	"context"
	"strings"
	"testing"
)

// TestArabicWords: vocalized Arabic drawn glyph after glyph leftwards keeps
// its words whole (each letter with its vowel marks was a word of its own).
func TestArabicWords(t *testing.T) {
	doc, err := File(context.Background(), corpusPDF(t, "arabluatex-al-Jahiz.pdf"), Options{PDFEngine: EngineLedongthuc})
	if err != nil {
		t.Fatal(err)
	}
	text := doc.Text()
	for _, w := range []string{
		"دَجَاجَةُ أَبِي ٱلْهُذَيْلِ ٱلْعَلَّافِ",
		"أَهْدَى إِلَى مُوَيْسٍ دَجَاجَةً. وَكَانَتْ دَجَاجَتُهُ",
	} {
		if !strings.Contains(text, w) {
			t.Errorf("%q missing from\n%s", w, text[:min(len(text), 600)])
		}
	}
}
