package extract

import (
	"strings"
	"unicode/utf8"
)

// The standard 14 fonts' widths, for simple fonts that give none.
//
// PDF before 1.5 let a document name one of the standard 14 fonts
// (Times-Roman, Helvetica, Courier, Symbol, …) without a /Widths array:
// readers take the widths from the fonts' metrics. Without them every
// glyph advanced half an em, so the text of a line drifted away from
// where the page puts it, and a glyph placed absolutely after it (the
// raised A of LaTeX's logo) landed before the letters it follows:
// maximabook's "LATEX" read "L" at the end of one line and "ATEX" on the
// next. Acrobat's substitutes (Arial for Helvetica, Times New Roman for
// Times, Courier New for Courier) share the metrics.

// std14Name returns the standard 14 font whose metrics a BaseFont uses,
// or "".
func std14Name(base string) string {
	base = unsubset(base)
	family, style, _ := strings.Cut(base, ",") // "Arial,Bold"
	if s, ok := strings.CutPrefix(family, "TimesNewRomanPS-"); ok {
		family, style = "TimesNewRoman", strings.TrimSuffix(s, "MT")
	}
	if s, ok := strings.CutPrefix(family, "Arial-"); ok {
		family, style = "Arial", strings.TrimSuffix(s, "MT")
	}
	bold := strings.Contains(style, "Bold")
	italic := strings.Contains(style, "Italic") || strings.Contains(style, "Oblique")
	pick := func(regular, b, i, bi string) string {
		switch {
		case bold && italic:
			return bi
		case bold:
			return b
		case italic:
			return i
		}
		return regular
	}
	switch family {
	case "Times-Roman", "Times-Bold", "Times-Italic", "Times-BoldItalic",
		"Helvetica", "Helvetica-Bold", "Helvetica-Oblique", "Helvetica-BoldOblique",
		"Courier", "Courier-Bold", "Courier-Oblique", "Courier-BoldOblique", "Symbol":
		if style == "" {
			return family
		}
	}
	switch family {
	case "Times-Roman", "TimesNewRoman", "TimesNewRomanPSMT", "Times":
		return pick("Times-Roman", "Times-Bold", "Times-Italic", "Times-BoldItalic")
	case "Helvetica", "Arial", "ArialMT":
		return pick("Helvetica", "Helvetica-Bold", "Helvetica-Oblique", "Helvetica-BoldOblique")
	case "Courier", "CourierNew", "CourierNewPSMT":
		return "Courier"
	}
	return ""
}

// std14Widths sets a simple font's widths, by code, from the metrics of
// the standard 14 font its BaseFont names, through what each code decodes
// to; it does nothing for other fonts.
func (fi *fontInfo) std14Widths() {
	name := std14Name(fi.name)
	if name == "" {
		return
	}
	if same, ok := std14SameWidths[name]; ok {
		name = same
	}
	courier := strings.HasPrefix(name, "Courier")
	for c := range 256 {
		if courier {
			fi.widths[c] = 600
			continue
		}
		s, _ := fi.decode(c, []byte{byte(c)})
		if r, n := utf8.DecodeRuneInString(s); n > 0 && n == len(s) {
			if w, ok := std14Widths[name][r]; ok {
				fi.widths[c] = float64(w)
			}
		}
	}
}
