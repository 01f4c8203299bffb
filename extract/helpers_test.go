package extract

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/llsum/llsum/internal/testenv"
)

// sharedDir returns ../shared beside the module root, or skips (fails under
// CI) when it is missing.
func sharedDir(t testing.TB) string {
	t.Helper()
	testenv.Shared(t, "corpus", "pdf", "MANIFEST.tsv")
	return testenv.Shared(t)
}

func corpusPDF(t testing.TB, name string) string {
	return filepath.Join(sharedDir(t), "corpus", "pdf", name)
}

func corpusRef(t testing.TB, name string) string {
	b, err := os.ReadFile(filepath.Join(sharedDir(t), "corpus", "reference", name[:len(name)-len(".pdf")]+".txt"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// makePDF builds a small valid PDF whose pages show the given lines in
// Helvetica, one content stream per page.
func makePDF(pages ...[]string) []byte { return makePDFHex(nil, pages...) }

// makePDFHex is makePDF with the content streams of the pages hex says
// (0-based) written with /ASCIIHexDecode, a filter PDFium reads and
// ledongthuc does not.
func makePDFHex(hex func(i int) bool, pages ...[]string) []byte {
	streams := make([]string, len(pages))
	for i, lines := range pages {
		var c bytes.Buffer
		c.WriteString("BT /F1 12 Tf 14 TL 72 720 Td\n")
		for _, l := range lines {
			fmt.Fprintf(&c, "(%s) Tj T*\n", l)
		}
		c.WriteString("ET\n")
		streams[i] = c.String()
	}
	return buildPDF("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>", hex, streams)
}

// buildPDF builds a small valid PDF of US Letter pages with the given
// content streams, the font F1 defined by fontDict.
func buildPDF(fontDict string, hex func(i int) bool, streams []string) []byte {
	n := len(streams)
	kids := ""
	for i := 0; i < n; i++ {
		kids += fmt.Sprintf(" %d 0 R", 4+2*i)
	}
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		fmt.Sprintf("<< /Type /Pages /Count %d /Kids [%s ] >>", n, kids),
		fontDict,
	}
	for i, c := range streams {
		objs = append(objs, fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>", 5+2*i))
		if hex != nil && hex(i) {
			h := fmt.Sprintf("%X>", c)
			objs = append(objs, fmt.Sprintf("<< /Length %d /Filter /ASCIIHexDecode >>\nstream\n%s\nendstream", len(h), h))
			continue
		}
		objs = append(objs, streamObj(c))
	}
	return assemblePDF(objs)
}

// twoFontPDF is a one-page PDF whose content (object 6) shows text in /F1,
// Helvetica, and /F2, font (object 5); extra objects follow as 7, 8, ….
func twoFontPDF(font, content string, extra ...string) []byte {
	return assemblePDF(append([]string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Count 1 /Kids [4 0 R] >>",
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R /F2 5 0 R >> >> /Contents 6 0 R >>",
		font,
		streamObj(content),
	}, extra...))
}

// streamObj is a stream object holding c, unfiltered.
func streamObj(c string) string {
	return fmt.Sprintf("<< /Length %d >>\nstream\n%sendstream", len(c), c)
}

// assemblePDF writes objs as objects 1, 2, … of a PDF (object 1 is the
// catalog) with their cross-reference table.
func assemblePDF(objs []string) []byte {
	var b bytes.Buffer
	offs := make([]int, len(objs))
	b.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	for i, body := range objs {
		offs[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, body)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(offs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offs)+1, xref)
	return b.Bytes()
}

func writeFile(t testing.TB, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
