// Package cjkfixture writes PDFs that reproduce the CJK mojibake defect of
// issue 14: Chinese text set in a Type0/Identity-H CID font (a CJK TrueType
// from Debian's fonts-droid-fallback package, subset and embedded) whose
// ToUnicode map is missing or wrong. A PDF reader that decodes such a font
// by its character codes alone turns the Chinese into Latin-1 and
// replacement-character soup; one that reads the CIDSystemInfo (Adobe-UCS:
// CID = Unicode) or the embedded TrueType program's cmap gets it right.
//
// The PDFs are written at test time (scripts/setup.d installs the font), so
// no fixture is committed.
package cjkfixture

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/go-pdf/fpdf"
)

// FontPath is the CJK TrueType of Debian's fonts-droid-fallback package.
const FontPath = "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"

// ErrNoFont: the font is not installed (apt-get install fonts-droid-fallback;
// scripts/setup.d does it).
var ErrNoFont = errors.New("cjkfixture: " + FontPath + " missing (apt-get install fonts-droid-fallback)")

// Defect is how the "bad" font's Unicode mapping is broken.
type Defect int

const (
	// Intact leaves the ToUnicode map as written (the control).
	Intact Defect = iota
	// NoToUnicode removes the ToUnicode entry from the font dictionary.
	NoToUnicode
	// EmptyToUnicode keeps a ToUnicode CMap that maps none of the codes
	// shown (it maps only <0000>–<001F>).
	EmptyToUnicode
	// PUAToUnicode maps every CJK code into the Private Use Area (PDFium
	// then falls back on the CID font's character collection, llsum on
	// the embedded program's cmap).
	PUAToUnicode
	// ReplacementToUnicode maps every code shown in the bad font to
	// U+FFFD. pdftotext, PDFium and MuPDF print the U+FFFD; the text is
	// still in the file, in the embedded TrueType program's cmap.
	ReplacementToUnicode
	// NoToUnicodeUnembedded is NoToUnicode with the bad font's program
	// not embedded: only the CIDSystemInfo (Adobe-UCS) is left to read
	// the codes by.
	NoToUnicodeUnembedded
	// ReplacementUnembedded is ReplacementToUnicode with the bad font's
	// program not embedded: no reader can recover that text from the
	// file.
	ReplacementUnembedded
	// PUAUnembedded is PUAToUnicode with the bad font's program not
	// embedded.
	PUAUnembedded
)

func (d Defect) String() string {
	switch d {
	case Intact:
		return "intact"
	case NoToUnicode:
		return "no-tounicode"
	case EmptyToUnicode:
		return "empty-tounicode"
	case PUAToUnicode:
		return "pua-tounicode"
	case ReplacementToUnicode:
		return "fffd-tounicode"
	case NoToUnicodeUnembedded:
		return "no-tounicode-unembedded"
	case ReplacementUnembedded:
		return "fffd-unembedded"
	case PUAUnembedded:
		return "pua-unembedded"
	}
	return "defect(" + strconv.Itoa(int(d)) + ")"
}

// Block is a run of text on a page; Bad blocks are set in the font whose
// ToUnicode is broken, the others in an intact instance of the same font.
type Block struct {
	Text    string
	Heading bool
	Bad     bool
}

// Page is one page's blocks, top to bottom.
type Page []Block

// Build writes a PDF of pages with the bad font's mapping broken as d.
func Build(pages []Page, d Defect) ([]byte, error) {
	font, err := os.ReadFile(FontPath)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoFont, err)
	}
	pdf := fpdf.New("P", "pt", "A4", "")
	pdf.SetCompression(false) // the ToUnicode stream is patched in place
	pdf.SetCreator("llsum cjkfixture", true)
	pdf.AddUTF8FontFromBytes("good", "", font)
	pdf.AddUTF8FontFromBytes("bad", "", font)
	for _, p := range pages {
		pdf.AddPage()
		for _, b := range p {
			fam := "good"
			if b.Bad {
				fam = "bad"
			}
			size, lh := 11.0, 17.0
			if b.Heading {
				size, lh = 18, 28
			}
			pdf.SetFont(fam, "", size)
			for _, line := range wrap(pdf, b.Text) {
				pdf.CellFormat(0, lh, line, "", 1, "L", false, 0, "")
			}
			pdf.Ln(6)
		}
	}
	var out bytes.Buffer
	if err := pdf.Output(&out); err != nil {
		return nil, fmt.Errorf("cjkfixture: %w", err)
	}
	var used []rune
	for _, p := range pages {
		for _, b := range p {
			if b.Bad {
				used = append(used, []rune(b.Text)...)
			}
		}
	}
	return breakFont(out.Bytes(), d, used)
}

// wrap breaks text into lines that fit the page, between any two
// characters (fpdf's MultiCell drops a character at each break of text
// without spaces).
func wrap(pdf *fpdf.Fpdf, text string) []string {
	w, _ := pdf.GetPageSize()
	l, _, r, _ := pdf.GetMargins()
	width := w - l - r - 4
	var lines []string
	line := []rune{}
	for _, c := range text {
		if len(line) > 0 && pdf.GetStringWidth(string(append(line, c))) > width {
			lines = append(lines, string(line))
			line = line[:0]
		}
		line = append(line, c)
	}
	return append(lines, string(line))
}

// typeZero finds the bad font's Type0 dictionary as fpdf writes it.
var typeZero = regexp.MustCompile(`/BaseFont /utf8bad\n/Encoding /Identity-H\n/DescendantFonts \[\d+ 0 R\]\n(/ToUnicode (\d+) 0 R)>>`)

// badProgram finds the reference to the bad font's program in its
// descriptor as fpdf writes it.
var badProgram = regexp.MustCompile(`/FontName /utf8bad\n[^>]*(/FontFile2 \d+ 0 R)>>`)

// breakFont patches the bad font, then rebuilds the cross-reference table.
func breakFont(b []byte, d Defect, used []rune) ([]byte, error) {
	if d == Intact {
		return b, nil
	}
	switch d {
	case NoToUnicodeUnembedded, ReplacementUnembedded, PUAUnembedded:
		m := badProgram.FindSubmatchIndex(b)
		if m == nil {
			return nil, errors.New("cjkfixture: the bad font's descriptor was not found")
		}
		copy(b[m[2]:m[3]], bytes.Repeat([]byte{' '}, m[3]-m[2]))
		d = map[Defect]Defect{NoToUnicodeUnembedded: NoToUnicode, ReplacementUnembedded: ReplacementToUnicode, PUAUnembedded: PUAToUnicode}[d]
	}
	m := typeZero.FindSubmatchIndex(b)
	if m == nil {
		return nil, errors.New("cjkfixture: the bad font's dictionary was not found")
	}
	if d == NoToUnicode {
		copy(b[m[2]:m[3]], bytes.Repeat([]byte{' '}, m[3]-m[2]))
		return b, nil
	}
	return replaceToUnicode(b, string(b[m[4]:m[5]]), d, used)
}

func replaceToUnicode(b []byte, obj string, d Defect, used []rune) ([]byte, error) {
	s := regexp.MustCompile(`(?s)\n` + obj + ` 0 obj\n(<</Length \d+>>)\nstream\n(.*?)\nendstream`).FindSubmatchIndex(b)
	if s == nil {
		return nil, errors.New("cjkfixture: the bad font's ToUnicode stream was not found")
	}
	var body string
	switch d {
	case EmptyToUnicode:
		body = cmap("<0000> <001F> <0000>")
	case PUAToUnicode:
		// Every code of the CJK blocks into the Private Use Area, one
		// range per high byte as the PDF reference wants them.
		var r []string
		for hi := 0x30; hi <= 0xFF; hi++ {
			r = append(r, fmt.Sprintf("<%02X00> <%02XFF> <%04X>", hi, hi, 0xE000+(hi%25)*256))
		}
		body = cmap(strings.Join(r, "\n"))
	case ReplacementToUnicode:
		seen := map[rune]bool{}
		var c []string
		for _, r := range used {
			if !seen[r] && r < 0x10000 {
				seen[r] = true
				c = append(c, fmt.Sprintf("<%04X> <FFFD>", r))
			}
		}
		body = cmapChars(c)
	default:
		return nil, fmt.Errorf("cjkfixture: unknown defect %d", d)
	}
	var out bytes.Buffer
	out.Write(b[:s[2]])
	fmt.Fprintf(&out, "<</Length %d>>\nstream\n%s", len(body), body)
	out.Write(b[s[5]:])
	return fixXref(out.Bytes())
}

var (
	objStart = regexp.MustCompile(`(?m)^(\d+) 0 obj`)
	xrefTail = regexp.MustCompile(`(?s)\nxref\n0 (\d+)\n.*?(\ntrailer\n.*?startxref\n)\d+(\n%%EOF\n?)$`)
)

// fixXref rewrites the cross-reference table and startxref of fpdf's output
// after an edit moved its objects.
func fixXref(b []byte) ([]byte, error) {
	t := xrefTail.FindSubmatchIndex(b)
	if t == nil {
		return nil, errors.New("cjkfixture: cross-reference table not found")
	}
	n, _ := strconv.Atoi(string(b[t[2]:t[3]]))
	offs := make([]int, n)
	for _, m := range objStart.FindAllSubmatchIndex(b[:t[0]], -1) {
		if k, _ := strconv.Atoi(string(b[m[2]:m[3]])); k > 0 && k < n {
			offs[k] = m[0]
		}
	}
	var out bytes.Buffer
	out.Write(b[:t[0]+1])
	xref := out.Len()
	fmt.Fprintf(&out, "xref\n0 %d\n0000000000 65535 f \n", n)
	for _, o := range offs[1:] {
		fmt.Fprintf(&out, "%010d 00000 n \n", o)
	}
	out.Write(b[t[4]+1 : t[5]])
	fmt.Fprintf(&out, "%d", xref)
	out.Write(b[t[6]:t[7]])
	return out.Bytes(), nil
}

// cmapChars is a ToUnicode CMap of bfchar entries, 100 to a section.
func cmapChars(entries []string) string {
	var b strings.Builder
	for len(entries) > 0 {
		k := min(len(entries), 100)
		fmt.Fprintf(&b, "%d beginbfchar\n%s\nendbfchar\n", k, strings.Join(entries[:k], "\n"))
		entries = entries[k:]
	}
	return "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n" +
		"/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n" +
		"1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n" +
		b.String() + "endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend"
}

func cmap(bfrange string) string {
	return "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n" +
		"/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n" +
		"1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n" +
		"1 beginbfrange\n" + bfrange + "\nendbfrange\nendcmap\n" +
		"CMapName currentdict /CMap defineresource pop\nend\nend"
}
