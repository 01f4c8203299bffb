package extract

import (
	"context"
	"fmt"
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

// TestMirroredGlyphs: a glyph drawn with a negative horizontal scale (the
// reversed E of the XeTeX logo, mirrored by the CTM or by the text matrix)
// runs leftwards from its origin; placed by that direction, it stays inside
// the word around it.
func TestMirroredGlyphs(t *testing.T) {
	// X spans 100–106; the mirrored E (7 pt wide) ends at its origin, 112,
	// lowered 2 pt and kerned 1 pt under the X; LATEX follows from 111.
	mirrorCTM := "q -1 0 0 1 112 698 cm BT /F1 10 Tf 0 0 Td (E) Tj ET Q\n"
	mirrorTm := "BT /F1 10 Tf -1 0 0 1 112 698 Tm (E) Tj ET\n"
	upsideDown := "q -1 0 0 -1 112 698 cm BT /F1 10 Tf 0 0 Td (E) Tj ET Q\n"
	for _, c := range []struct{ name, e string }{
		{"ctm", mirrorCTM}, {"text matrix", mirrorTm}, {"upside down", upsideDown},
	} {
		t.Run(c.name, func(t *testing.T) {
			var p colPage
			p.at(60, 700, "using")
			p.at(100, 700, "X")
			p.b.WriteString(c.e)
			p.at(111, 700, "LATEX.")
			p.at(60, 686, "next line")
			got := extractPage(t, p.b.String())
			if want := "XELATEX.\nnext line"; !strings.Contains(got, want) {
				t.Errorf("got %q, want it to contain %q", got, want)
			}
		})
	}
}

// TestMarginNotes: a stack of margin notes drawn after the body line it
// starts beside reads as a block before that line, so that the paragraph
// runs on (a hyphenated word is not joined to a note); table cells and
// single labels keep their rows.
func TestMarginNotes(t *testing.T) {
	for _, l := range marginBody {
		if textWidth(l) > 350 {
			t.Fatalf("%q is too wide for the fixture", l)
		}
	}
	got := extractPage(t, marginNotesPage(3))
	want := "pmatrix*\nspmatrix*\nsdmatrix*\nAll the small matrix forms have starred versions, more suitable\nfor use in displays,"
	if !strings.HasPrefix(got, want) {
		t.Errorf("margin notes: got\n%s\nwant it to start with\n%s", got, want)
	}
	// One label beside its line stays on it.
	if got := extractPage(t, marginNotesPage(1)); !strings.HasPrefix(got, "pmatrix* All the small") {
		t.Errorf("single label: got\n%s", got)
	}
}

var marginBody = []string{
	"All the small matrix forms have starred versions, more suit-",
	"able for use in displays, since they have more space between",
	"the rows and columns. They are intended for really big matrices",
	"in displays, where the spacing of the rows matters more than it",
	"does in running text, which is set as tightly as it can be here.",
}

// marginNotesPage is a page of justified prose with notes (1 to 3) in
// its left margin, drawn after the first line as LaTeX draws them: a
// seed of FuzzExtract.
func marginNotesPage(notes int) string {
	y := func(i int) float64 { return 700 - 12*float64(i) }
	var p colPage
	p.justified(144, 498, y(0), marginBody[0])
	for i, n := range []string{"pmatrix*", "spmatrix*", "sdmatrix*"}[:notes] {
		p.at(60, y(i), n)
	}
	for i := 1; i < len(marginBody); i++ {
		p.justified(144, 498, y(i), marginBody[i])
	}
	return p.b.String()
}

// TestSuperscriptBaseline: a line that starts with a superscript (a
// footnote's mark, drawn first and raised) keeps the body text's baseline,
// so that a glyph lowered on that line (the E of the TeX logo) stays on
// it; lines above and below stay apart.
func TestSuperscriptBaseline(t *testing.T) {
	// Text at 8 pt on baseline 600 after the mark (6 pt, raised r points);
	// the E 1.7 pt lower, kerned under the T and the X.
	line := func(r float64) string {
		head := "All you need is T"
		x := 102.9 + textWidth(head)*0.8
		return fmt.Sprintf("BT /F1 6 Tf 1 0 0 1 100 %.2f Tm (1) Tj ET\n", 600+r) +
			fmt.Sprintf("BT /F1 8 Tf 1 0 0 1 102.9 600 Tm (%s) Tj ", head) +
			fmt.Sprintf("1 0 0 1 %.2f 598.3 Tm (E) Tj ", x-1.5) +
			fmt.Sprintf("1 0 0 1 %.2f 600 Tm (X hacker like me,) Tj ET\n", x+1.5)
	}
	for _, c := range []struct {
		name        string
		above, body string
		want        string
	}{
		{"mark raised 2.8pt", "", line(2.76), "1 All you need is TEX hacker like me,"},
		{"mark raised 3pt", "", line(3), "1 All you need is TEX hacker like me,"},
		{"mark on the baseline", "", line(0), "1All you need is TEX hacker like me,"},
		{"line above", "BT /F1 8 Tf 1 0 0 1 100 610 Tm (the line above) Tj ET\n", line(2.76),
			"the line above\n1 All you need is TEX hacker like me,"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := extractPage(t, c.above+c.body+"BT /F1 8 Tf 1 0 0 1 100 590 Tm (the line below) Tj ET\n")
			if want := c.want + "\nthe line below"; got != want {
				t.Errorf("got %q, want %q", got, want)
			}
		})
	}
}

// TestMarginNoteRunIntoBody: a note drawn just before the body line beside
// it, the pen running on into that line, is cut from it and read with the
// stack it belongs to (mdwtab: "\tab@doreadpream" came between "pream-"
// and "ble"); a wide table row starting in the margin keeps its cells.
func TestMarginNoteRunIntoBody(t *testing.T) {
	y := func(i int) float64 { return 700 - 12*float64(i) }
	body := func(p *colPage, from int) {
		for i := from; i < len(marginBody); i++ {
			p.justified(144, 498, y(i), marginBody[i])
		}
	}
	for _, c := range []struct {
		name string
		page func() string
		want string
	}{
		{"second note before its line", func() string {
			var p colPage
			p.justified(144, 498, y(0), marginBody[0])
			p.at(60, y(0), "pmatrix*")
			p.at(60, y(1), "spmatrix*")
			body(&p, 1)
			return p.b.String()
		}, "pmatrix*\nspmatrix*\nAll the small matrix forms have starred versions, more suitable\nfor use in displays,"},
		{"table row from the margin", func() string {
			var p colPage
			body(&p, 0)
			p.at(60, y(6), "Name")
			p.at(144, y(6), "the width of the rule")
			p.at(60, y(7), "Size")
			p.at(144, y(7), "the size of the text")
			return p.b.String()
		}, "does in running text, which is set as tightly as it can be here.\nName the width of the rule\nSize the size of the text"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := extractPage(t, c.page())
			if !strings.Contains(got, c.want) {
				t.Errorf("got\n%s\nwant it to contain\n%s", got, c.want)
			}
		})
	}
}

// TestSuperscriptWordBreak: a superscript that ends before a letter or
// digit (a footnote's mark) ends a word; LATEX's A kerned under its T, a
// lowered E and a math superscript before a bracket do not.
func TestSuperscriptWordBreak(t *testing.T) {
	type run struct {
		size, dx, rise float64 // dx: gap after the run before (points, negative: kerned back)
		s              string
	}
	for _, c := range []struct {
		name string
		runs []run
		want string
	}{
		{"footnote mark", []run{{6, 0, 2.8, "4"}, {8, 0.5, 0, "This is a note"}}, "4 This is a note"},
		{"footnote mark touching", []run{{6, 0, 2.8, "12"}, {8, 0, 0, "But not here"}}, "12 But not here"},
		{"mark on the baseline", []run{{6, 0, 0, "4"}, {8, 0.5, 0, "This"}}, "4This"},
		{"LaTeX logo", []run{{10, 0, 0, "the L"}, {7, -3.6, 2.2, "A"}, {10, -1.5, 0, "TEX logo"}}, "the LATEX logo"},
		{"lowered E", []run{{10, 0, 0, "T"}, {10, -1.7, -2.2, "E"}, {10, -1.2, 0, "X"}}, "TEX"},
		{"math superscript", []run{{10, 0, 0, "[q"}, {7, 0.3, 3.6, "2"}, {10, 0.3, 0, "];"}}, "[q2];"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var b strings.Builder
			x := 100.0
			for _, r := range c.runs {
				x += r.dx
				fmt.Fprintf(&b, "BT /F1 %g Tf 1 0 0 1 %.2f %.2f Tm (%s) Tj ET\n", r.size, x, 600+r.rise, r.s)
				x += textWidth(r.s) * r.size / colSize
			}
			if got := extractPage(t, b.String()); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

// placed is a text run shown at x on a line of a test page.
type placed struct {
	x float64
	s string
}

// TestNegationSlash: TeX's \not, drawn before the relation it strikes,
// goes after it so that the two compose ("i = j" lost its slash and read
// the opposite; "s̸ = 1" put it on the wrong glyph); a slash that strikes
// nothing (the stroke of plain TeX's \angle) reads as a slash.
func TestNegationSlash(t *testing.T) {
	for _, c := range []struct {
		name string
		runs []placed
		want string
	}{
		{"not equal", []placed{{100, "i"}, {110, "6"}, {110, "="}, {122, "j"}}, "i ≠ j"},
		{"not less", []placed{{100, "a"}, {110, "6"}, {110.5, "<"}, {122, "b"}}, "a ≮ b"},
		{"angle", []placed{{60, "\\\\angle"}, {110, "6"}, {140, "\\\\forall"}}, "\\angle / \\forall"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var b strings.Builder
			for _, r := range c.runs {
				fmt.Fprintf(&b, "BT /F1 10 Tf 1 0 0 1 %g 600 Tm (%s) Tj ET\n", r.x, r.s)
			}
			cmap := "/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n" +
				"/CMapName /T def /CMapType 2 def\n1 begincodespacerange <00> <FF> endcodespacerange\n" +
				"1 beginbfchar <36> <0338> endbfchar\nendcmap CMapName currentdict /CMap defineresource pop end end\n"
			pdf := assemblePDF([]string{
				"<< /Type /Catalog /Pages 2 0 R >>",
				"<< /Type /Pages /Count 1 /Kids [4 0 R] >>",
				"<< /Type /Font /Subtype /Type1 /BaseFont /CMSY10 /ToUnicode 5 0 R >>",
				"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents 6 0 R >>",
				streamObj(cmap),
				streamObj(b.String()),
			})
			doc, err := File(context.Background(), writeFile(t, "not.pdf", pdf), Options{PDFEngine: EngineLedongthuc})
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.TrimSpace(doc.Text()); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

// TestAccentGlyphs: an accent drawn as a glyph of its own over a letter,
// before it (TeX's \accent, the pen kerned back) or after it, becomes the
// letter's combining mark ("L ̈uck" read for "Lück"); a caret in running
// text, the pen moving on, stays a caret.
func TestAccentGlyphs(t *testing.T) {
	// The accents (WinAnsi ¨ ´ ˆ) are past the font's /Widths: 500 units.
	const aw = 5.0
	w := textWidth
	// over centres an accent on the letter l drawn at x.
	over := func(l string, x float64) float64 { return x + (w(l)-aw)/2 }
	for _, c := range []struct {
		name string
		runs []placed
		want string
	}{
		{"dieresis before its letter", []placed{{100, "L"}, {over("u", 100+w("L")), "\\250"}, {100 + w("L"), "uck"}}, "Lück"},
		{"acute after its letter", []placed{{100, "caf"}, {100 + w("caf"), "e"}, {over("e", 100+w("caf")), "\\264"}}, "café"},
		{"circumflex before a capital", []placed{{over("A", 100), "\\210"}, {100, "Age"}}, "Âge"},
		{"caret in running text", []placed{{100, "a"}, {100 + w("a"), "\\210"}, {100 + w("a") + aw, "b"}}, "aˆb"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var b strings.Builder
			for _, r := range c.runs {
				fmt.Fprintf(&b, "BT /F1 10 Tf 1 0 0 1 %.3f 600 Tm (%s) Tj ET\n", r.x, r.s)
			}
			if got := extractPage(t, b.String()); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}
