package extract

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

func TestSymbolFontKind(t *testing.T) {
	for name, want := range map[string]string{
		"Symbol": "symbol", "ABCDEF+Symbol": "symbol", "Symbol,Bold": "symbol", "SymbolMT": "symbol",
		"Wingdings": "wingdings", "Wingdings-Regular": "wingdings", "ABCDEE+Wingdings": "wingdings",
		"Wingdings2": "", "Wingdings3": "", "Webdings": "", "SymbolNeu": "", "Helvetica": "", "CMSY10": "",
	} {
		if got := symbolFontKind(name); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
}

func TestSymbolText(t *testing.T) {
	sym := symbolText("symbol")
	for code, want := range map[int]string{0xB7: "•", 0x61: "α", 0x4A: "ϑ", 0xAE: "→", 0xA3: "≤", 0xE6: "⎛", 0xD2: "®", 0xE2: "®", 0x22: "∀"} {
		if sym[code] != want {
			t.Errorf("Symbol %#x: %q, want %q", code, sym[code], want)
		}
	}
	for code, s := range sym {
		if r := []rune(s); len(r) != 1 || r[0] >= 0xE000 && r[0] < 0xF900 {
			t.Errorf("Symbol %#x reads %q", code, s)
		}
	}
}

// TestSymbolFonts: Word's bullet lists (Symbol's bullet, Wingdings'
// squares and check marks, which Word's ToUnicode maps give as U+F0xx)
// read as the bullets they are, where the page had been marked garbled
// under both engines; the standard 14 Symbol without a ToUnicode map or
// an encoding reads by its built-in encoding; the same private-use
// characters from another font are still flagged.
func TestSymbolFonts(t *testing.T) {
	for _, c := range []struct {
		name, base, cmap, codes string
		want                    []string // each line's text after the bullet's
		garbled                 bool
	}{
		{"Symbol bullets", "Symbol", "<B7> <F0B7>", `\267`, []string{"•"}, false},
		{"Wingdings marks", "ABCDEE+Wingdings", "<A7> <F0A7> <FC> <F0FC>", `\247\374`, []string{"▪✔"}, false},
		{"Wingdings, other codes", "Wingdings", "<41> <F041>", `A`, nil, true},
		{"another font's private use", "Helvetica", "<B7> <F0B7>", `\267`, nil, true},
		{"standard Symbol, no ToUnicode", "Symbol", "", `abg\267`, []string{"αβγ•"}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			toUnicode := ""
			if c.cmap != "" {
				toUnicode = " /ToUnicode 7 0 R"
			}
			cmap := "/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n" +
				"/CMapName /T def /CMapType 2 def\n1 begincodespacerange <00> <FF> endcodespacerange\n" +
				fmt.Sprintf("%d beginbfchar %s endbfchar\n", strings.Count(c.cmap, "<")/2, c.cmap) +
				"endcmap CMapName currentdict /CMap defineresource pop end end\n"
			var content strings.Builder
			content.WriteString("BT /F1 12 Tf 72 720 Td (Quarterly report of the sales team, with the items below.) Tj ET\n")
			for i := range 8 {
				y := 700 - 16*i
				fmt.Fprintf(&content, "BT /F2 12 Tf 72 %d Td (%s) Tj ET\n", y, c.codes)
				fmt.Fprintf(&content, "BT /F1 12 Tf 110 %d Td (item number %d of the list) Tj ET\n", y, i)
			}
			pdf := twoFontPDF("<< /Type /Font /Subtype /TrueType /BaseFont /"+c.base+" /FirstChar 32 /LastChar 255 /Widths ["+
				strings.Repeat("460 ", 224)+"]"+toUnicode+" >>", content.String(), streamObj(cmap))
			doc, err := File(context.Background(), writeFile(t, "bullets.pdf", pdf), Options{PDFEngine: EngineLedongthuc})
			if err != nil {
				t.Fatal(err)
			}
			p := doc.Pages[0]
			if p.Garbled != c.garbled {
				t.Fatalf("garbled %v, want %v (warnings %q)", p.Garbled, c.garbled, p.Warnings)
			}
			for _, w := range c.want {
				if line := w + " item number 3 of the list"; !strings.Contains(p.Text, line) {
					t.Errorf("no line %q in\n%s", line, p.Text)
				}
			}
			if !c.garbled && len(p.Warnings) > 0 {
				t.Errorf("warnings %q", p.Warnings)
			}
		})
	}
}
