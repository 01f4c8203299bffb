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
		3: "coproduct", 4: "coproductdisplay", 5: "union", 54: "negationslash",
		// delimiter pieces, which the AGL puts in the Private Use Area
		200: "parenlefttp", 201: "braceex", 202: "integralex",
		// unknown
		6: "a9", 7: "big",
	})
	want := map[int]string{
		12: "ﬁ", 13: "ﬂ", 97: "a", 123: "–", 1: "中", 2: "😀",
		104: "⟨", 105: "⟩", 48: "′", 18: "(", 88: "∑", 80: "∑", 15: "ε", 35: "⨁",
		3: "⨿", 4: "∐", 5: "∪", 54: "\u0338",
		200: "⎛", 201: "⎪", 202: "⎮",
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
// letters at their codes (booktabs' "⟨wd⟩" came out "hwdi"; fnlineno's
// ToUnicode maps leave codes 104 and 105 out and its "⟨register⟩" came out
// "hregisteri").
func TestTeXMathNames(t *testing.T) {
	for _, c := range []struct{ file, want, not string }{
		{"booktabs.pdf", "{⟨wd⟩}", "hwdi"},
		{"fnlineno.pdf", "⟨register⟩", "hregisteri"},
	} {
		t.Run(c.file, func(t *testing.T) {
			doc, err := File(context.Background(), corpusPDF(t, c.file), Options{PDFEngine: EngineLedongthuc})
			if err != nil {
				t.Fatal(err)
			}
			if text := doc.Text(); !strings.Contains(text, c.want) || strings.Contains(text, c.not) {
				t.Errorf("%s not read as such", c.want)
			}
		})
	}
}

// TestDifferencesBeyondToUnicode: a code that a simple font's
// ToUnicode map leaves out reads as its /Differences name says (dvips
// writes no entry for cmsy's angle brackets re-encoded to 3 and 4:
// mdwtab's "⟨pre-text⟩" read as control characters and sent 6 pages to
// PDFium; maximabook's cmex parentheses, without a ToUnicode map, sent 9);
// the ToUnicode map still wins where it has the code; a printable code the
// map leaves out reads as its name too (fnlineno's "⟨register⟩" came out
// "hregisteri"), and a code with an unknown name keeps its raw reading.
func TestDifferencesBeyondToUnicode(t *testing.T) {
	for _, c := range []struct {
		name, diffs, cmap, show, want string
	}{
		{"brackets missing from ToUnicode", "2 /asteriskmath /angbracketleft /angbracketright", "<02> <2217>",
			`(x\003y\004\002)`, "x⟨y⟩∗"},
		{"ToUnicode wins", "2 /bullet", "<02> <2217>", `(a\002b)`, "a∗b"},
		{"unknown name", "3 /a45", "<02> <2217>", `(a\002b)`, "a∗b"},
		{"printable code", "104 /angbracketleft /angbracketright", "<02> <2217>", `(hwdi\002)`, "⟨wd⟩∗"},
		{"printable code, AGL name", "39 /quoteright", "<02> <2217>", `(it's\002)`, "it’s∗"},
		{"no ToUnicode, TeX's names", "0 /parenleftbig /parenrightbig 16 /parenleftBig", "", `(\000x\001\020)`, "(x)("},
		// The AGL puts these in the Private Use Area: octave's matrices
		// marked two pages garbled.
		{"delimiter pieces", "0 /bracketlefttp /bracketleftex /bracketleftbt 100 /arrowvertex", "", `(\000\001\002d)`, "⎡⎢⎣⏐"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cmap := "/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n" +
				"/CMapName /T def /CMapType 2 def\n1 begincodespacerange <00> <FF> endcodespacerange\n" +
				"1 beginbfchar " + c.cmap + " endbfchar\nendcmap CMapName currentdict /CMap defineresource pop end end\n"
			content := "BT /F1 12 Tf 72 700 Td " + c.show + " Tj ET\n"
			toUnicode := " /ToUnicode 5 0 R"
			if c.cmap == "" {
				toUnicode = ""
			}
			pdf := assemblePDF([]string{
				"<< /Type /Catalog /Pages 2 0 R >>",
				"<< /Type /Pages /Count 1 /Kids [4 0 R] >>",
				"<< /Type /Font /Subtype /Type1 /BaseFont /CMSY10 /FirstChar 0 /LastChar 255" + toUnicode +
					" /Encoding << /Type /Encoding /Differences [" + c.diffs + "] >> >>",
				"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents 6 0 R >>",
				streamObj(cmap),
				streamObj(content),
			})
			doc, err := File(context.Background(), writeFile(t, "diffs.pdf", pdf), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.TrimSpace(doc.Text()); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
			if e := doc.Pages[0].Engine; e != EngineLedongthuc {
				t.Errorf("read by %s", e)
			}
		})
	}
}

// TestPictureFonts: the glyphs of LaTeX's picture-mode fonts (pieces of
// lines and circles, read raw as control characters) show nothing and
// leave the page to ledongthuc (mdwtab's syntax diagrams sent 5 pages to
// PDFium); another font's control characters still mark the page.
func TestPictureFonts(t *testing.T) {
	for _, c := range []struct {
		base, diffs string
		picture     bool
	}{
		{"ONINFG+LINE10", "2 /a45 /a27", true},
		{"LCIRCLE10", "2 /a4 /a6 /a5 /a7", true},
		{"ONINGH+LCIRCLEW10", "2 /a4 /a6", true},
		{"ONINFG+LINES10", "2 /a45 /a27", false},
	} {
		t.Run(c.base, func(t *testing.T) {
			content := "BT /F1 12 Tf 72 700 Td (column type) Tj ET\n" +
				"BT /F2 10 Tf 72 690 Td (\\002\\003\\002\\003\\002\\003) Tj ET\n" +
				"BT /F1 12 Tf 72 680 Td (the preamble) Tj ET\n"
			pdf := twoFontPDF("<< /Type /Font /Subtype /Type1 /BaseFont /"+c.base+" /FirstChar 2 /LastChar 5 /Widths [400 400 400 400]"+
				" /Encoding << /Type /Encoding /Differences ["+c.diffs+"] >> >>", content)
			doc, err := File(context.Background(), writeFile(t, "picture.pdf", pdf), Options{})
			if err != nil {
				t.Fatal(err)
			}
			p := doc.Pages[0]
			clean := p.Engine == EngineLedongthuc && len(p.Warnings) == 0
			if clean != c.picture {
				t.Errorf("engine %s, warnings %q; want a clean ledongthuc page: %v", p.Engine, p.Warnings, c.picture)
			}
			if got := strings.TrimSpace(doc.Text()); c.picture && got != "column type\nthe preamble" {
				t.Errorf("got %q", got)
			}
		})
	}
}
