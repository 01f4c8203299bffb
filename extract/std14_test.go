package extract

import (
	"context"
	"strings"
	"testing"
)

func TestStd14Name(t *testing.T) {
	for base, want := range map[string]string{
		"Times-Roman": "Times-Roman", "Times-BoldItalic": "Times-BoldItalic", "Helvetica": "Helvetica",
		"Courier-Oblique": "Courier-Oblique", "Symbol": "Symbol",
		"Arial": "Helvetica", "Arial,Bold": "Helvetica-Bold", "Arial,BoldItalic": "Helvetica-BoldOblique",
		"ArialMT": "Helvetica", "Arial-BoldMT": "Helvetica-Bold", "TimesNewRoman,Italic": "Times-Italic",
		"TimesNewRomanPS-BoldMT": "Times-Bold", "TimesNewRomanPSMT": "Times-Roman", "CourierNew": "Courier",
		"ABCDEF+Helvetica": "Helvetica",
		"CMR10":            "", "NimbusRomNo9L-Regu": "", "Helvetica-Narrow": "", "Calibri": "",
	} {
		if got := std14Name(base); got != want {
			t.Errorf("%s: %q, want %q", base, got, want)
		}
	}
}

// TestStd14Widths: a standard 14 font named without /Widths advances by
// its own metrics, so that text placed absolutely after it meets it
// (with half an em per glyph, "Wo" ended 4.4 points short of "rd", and
// maximabook's LaTeX logo split across lines); a font with /Widths keeps
// them.
func TestStd14Widths(t *testing.T) {
	for _, c := range []struct {
		name, font, want string
	}{
		{"Times-Roman without widths", "<< /Type /Font /Subtype /Type1 /BaseFont /Times-Roman >>", "Word"},
		{"Arial without widths", "<< /Type /Font /Subtype /TrueType /BaseFont /Arial,Bold /Encoding /WinAnsiEncoding >>", "Word"},
		{"widths given", "<< /Type /Font /Subtype /Type1 /BaseFont /Times-Roman /FirstChar 32 /LastChar 126 /Widths [" + strings.Repeat("250 ", 95) + "] >>", "Wo rd"},
	} {
		t.Run(c.name, func(t *testing.T) {
			// W + o in Times-Roman: 944 + 500 thousandths of 10 points;
			// Helvetica-Bold: 944 + 611.
			x := "86.44"
			if strings.Contains(c.font, "Arial") {
				x = "87.55"
			}
			content := "BT /F2 10 Tf 72 700 Td (Wo) Tj ET BT /F2 10 Tf " + x + " 700 Td (rd) Tj ET\n"
			doc, err := File(context.Background(), writeFile(t, "std14.pdf", twoFontPDF(c.font, content)), Options{PDFEngine: EngineLedongthuc})
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.TrimSpace(doc.Text()); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}
