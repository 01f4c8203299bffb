package extract

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// TestOptionalContent: content in optional content groups that the
// document's default configuration turns off is not read (microtype's
// manual drew a quotation four times in such groups and showed one);
// groups turned on, other marked content, and text after a hidden
// sequence still are.
func TestOptionalContent(t *testing.T) {
	const (
		on  = "<< /Type /OCG /Name (On) >>"  // object 5
		off = "<< /Type /OCG /Name (Off) >>" // object 6
	)
	show := func(s string, y int) string {
		return "BT /F1 12 Tf 72 " + strconv.Itoa(y) + " Td (" + s + ") Tj ET\n"
	}
	tests := []struct {
		name, ocProps, props, content string
		want, not                     []string
	}{
		{"OFF list", "/OCGs [5 0 R 6 0 R] /D << /OFF [6 0 R] >>", "/P1 5 0 R /P2 6 0 R",
			"/OC /P1 BDC " + show("shown layer", 700) + "EMC /OC /P2 BDC " + show("hidden layer", 680) + "EMC " + show("after", 660),
			[]string{"shown layer", "after"}, []string{"hidden layer"}},
		{"BaseState OFF", "/OCGs [5 0 R 6 0 R] /D << /BaseState /OFF /ON [5 0 R] >>", "/P1 5 0 R /P2 6 0 R",
			"/OC /P2 BDC " + show("hidden layer", 700) + "EMC /OC /P1 BDC " + show("shown layer", 680) + "EMC",
			[]string{"shown layer"}, []string{"hidden layer"}},
		{"nested marked content", "/OCGs [5 0 R 6 0 R] /D << /OFF [6 0 R] >>", "/P2 6 0 R",
			"/OC /P2 BDC /Span << /ActualText (x) >> BDC " + show("inner hidden", 700) + "EMC /Artifact BMC " + show("still hidden", 690) + "EMC EMC " + show("visible again", 680) + "EMC EMC " + show("unbalanced EMC ignored", 670),
			[]string{"visible again", "unbalanced EMC ignored"}, []string{"inner hidden", "still hidden"}},
		{"membership dictionary", "/OCGs [5 0 R 6 0 R] /D << /OFF [6 0 R] >>", "/M1 << /Type /OCMD /OCGs [5 0 R 6 0 R] /P /AllOn >> /M2 << /Type /OCMD /OCGs [5 0 R 6 0 R] >>",
			"/OC /M1 BDC " + show("all on fails", 700) + "EMC /OC /M2 BDC " + show("any on holds", 680) + "EMC",
			[]string{"any on holds"}, []string{"all on fails"}},
		{"form with /OC", "/OCGs [5 0 R 6 0 R] /D << /OFF [6 0 R] >>", "",
			show("page text", 700) + "/X1 Do /X2 Do",
			[]string{"page text", "form on"}, []string{"form off"}},
		{"no optional content properties", "", "/P2 6 0 R",
			"/OC /P2 BDC " + show("read as drawn", 700) + "EMC",
			[]string{"read as drawn"}, nil},
	}
	for _, c := range tests {
		t.Run(c.name, func(t *testing.T) {
			catalog := "<< /Type /Catalog /Pages 2 0 R >>"
			if c.ocProps != "" {
				catalog = "<< /Type /Catalog /Pages 2 0 R /OCProperties << " + c.ocProps + " >> >>"
			}
			form := func(oc, text string, y int) string {
				c := show(text, y)
				return fmt.Sprintf("<< /Type /XObject /Subtype /Form /BBox [0 0 612 792] /OC %s /Resources << /Font << /F1 3 0 R >> >> /Length %d >>\nstream\n%sendstream", oc, len(c), c)
			}
			pdf := assemblePDF([]string{
				catalog,
				"<< /Type /Pages /Count 1 /Kids [4 0 R] >>",
				"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
				"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> /Properties << " + c.props + " >> /XObject << /X1 8 0 R /X2 9 0 R >> >> /Contents 7 0 R >>",
				on, off,
				streamObj(c.content),
				form("5 0 R", "form on", 650), form("6 0 R", "form off", 640),
			})
			doc, err := File(context.Background(), writeFile(t, "oc.pdf", pdf), Options{PDFEngine: EngineLedongthuc})
			if err != nil {
				t.Fatal(err)
			}
			text := doc.Text()
			for _, w := range c.want {
				if !strings.Contains(text, w) {
					t.Errorf("%q missing from %q", w, text)
				}
			}
			for _, n := range c.not {
				if strings.Contains(text, n) {
					t.Errorf("%q read from %q", n, text)
				}
			}
		})
	}
}

// TestOptionalContentCorpus: microtype's manual shows its quotation once
// (four copies are drawn, in protrusion and expansion layers).
func TestOptionalContentCorpus(t *testing.T) {
	doc, err := File(context.Background(), corpusPDF(t, "microtype.pdf"), Options{PDFEngine: EngineLedongthuc})
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(doc.Pages[2].Text, "Margin kerning is the adjustments"); n != 1 {
		t.Errorf("page 3 holds the quotation %d times, want once", n)
	}
}
