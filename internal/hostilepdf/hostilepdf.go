// Package hostilepdf generates small hostile PDFs for tests and benchmarks:
// files of a few kilobytes that describe gigabytes of content, billions of
// pages, cycles or exponential drawing. Each is a valid PDF structure (a
// correct cross-reference table) so that readers get past opening.
package hostilepdf

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"strings"
)

// builder writes numbered objects and the cross-reference table.
type builder struct {
	b    bytes.Buffer
	offs []int
}

func newBuilder() *builder {
	w := &builder{}
	w.b.WriteString("%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
	return w
}

func (w *builder) obj(body string) int {
	w.offs = append(w.offs, w.b.Len())
	n := len(w.offs)
	fmt.Fprintf(&w.b, "%d 0 obj\n%s\nendobj\n", n, body)
	return n
}

func (w *builder) stream(dict string, data []byte) int {
	w.offs = append(w.offs, w.b.Len())
	n := len(w.offs)
	fmt.Fprintf(&w.b, "%d 0 obj\n<< %s /Length %d >>\nstream\n", n, dict, len(data))
	w.b.Write(data)
	w.b.WriteString("\nendstream\nendobj\n")
	return n
}

func (w *builder) finish(root int) []byte {
	xref := w.b.Len()
	fmt.Fprintf(&w.b, "xref\n0 %d\n0000000000 65535 f \n", len(w.offs)+1)
	for _, o := range w.offs {
		fmt.Fprintf(&w.b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&w.b, "trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(w.offs)+1, root, xref)
	return w.b.Bytes()
}

const font = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"

// InflatingContent returns a one-page PDF whose Flate content stream
// decodes to about decodedMB megabytes of text-showing operators (tens of
// kilobytes of file for hundreds of megabytes).
func InflatingContent(decodedMB int) []byte {
	// One 258-byte line of text operators, repeated: the inner stream is a
	// run of identical copy codes (repeatZlib), about 2.5 bytes per 258.
	line := []byte("(" + strings.Repeat("All work and no play makes a dull boy. ", 7))
	line = append(line[:258-len(") Tj\n")], ") Tj\n"...)
	inner := repeatZlib([]byte("BT /F1 12 Tf 14 TL 72 720 Td\n"), line, []byte("ET\n"), decodedMB<<20/258)
	// Deflating the deflated stream again (a filter chain readers must
	// honour) takes the ratio from about 100 to tens of thousands.
	var z2 bytes.Buffer
	zw2, _ := zlib.NewWriterLevel(&z2, zlib.BestCompression)
	zw2.Write(inner)
	zw2.Close()
	w := newBuilder()
	// 1 catalog, 2 pages, 3 font, 4 page, 5 content
	w.obj("<< /Type /Catalog /Pages 2 0 R >>")
	w.obj("<< /Type /Pages /Count 1 /Kids [4 0 R] >>")
	w.obj(font)
	w.obj("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents 5 0 R >>")
	w.stream("/Filter [/FlateDecode /FlateDecode]", z2.Bytes())
	return w.finish(1)
}

// SharedKids returns a PDF whose page tree has levels+1 nodes, each level's
// /Kids naming the node below twice: 2^levels pages described in a few
// kilobytes (levels 30: 2^30 pages).
func SharedKids(levels int) []byte {
	w := newBuilder()
	// 1 catalog, 2 font, 3 content, 4 the one page, 5.. the levels (the
	// last one is the root).
	w.obj(fmt.Sprintf("<< /Type /Catalog /Pages %d 0 R >>", 4+levels))
	w.obj(font)
	w.stream("", []byte("BT /F1 12 Tf 72 720 Td (A page shared by every branch of the tree.) Tj ET"))
	w.obj("<< /Type /Page /Parent 5 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 2 0 R >> >> /Contents 3 0 R >>")
	below := 4
	for l := 1; l <= levels; l++ {
		below = w.obj(fmt.Sprintf("<< /Type /Pages /Count %d /Kids [%d 0 R %d 0 R] >>", int64(1)<<l, below, below))
	}
	return w.finish(1)
}

// KidsCycle returns a PDF whose page-tree root lists itself among its
// /Kids, beside one real page.
func KidsCycle() []byte {
	w := newBuilder()
	w.obj("<< /Type /Catalog /Pages 2 0 R >>")
	w.obj("<< /Type /Pages /Count 2 /Kids [2 0 R 4 0 R] >>")
	w.obj(font)
	w.obj("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents 5 0 R >>")
	w.stream("", []byte("BT /F1 12 Tf 72 720 Td (The only page of a cyclic tree.) Tj ET"))
	return w.finish(1)
}

// FormFanout returns a one-page PDF whose page draws form X<levels>, each
// form Xk drawing X(k-1) fanout times and the last one showing text:
// fanout^levels draws (10 and 11: 10^11) in a few kilobytes.
func FormFanout(levels, fanout int) []byte {
	w := newBuilder()
	// 1 catalog, 2 pages, 3 font, 4 page, 5 page content, 6.. forms X0..
	w.obj("<< /Type /Catalog /Pages 2 0 R >>")
	w.obj("<< /Type /Pages /Count 1 /Kids [4 0 R] >>")
	w.obj(font)
	w.obj(fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> /XObject << /X%d %d 0 R >> >> /Contents 5 0 R >>", levels, 6+levels))
	w.stream("", []byte(fmt.Sprintf("q /X%d Do Q", levels)))
	// X0 shows text; Xk draws X(k-1) fanout times. Resources name all forms.
	var names strings.Builder
	for k := 0; k <= levels; k++ {
		fmt.Fprintf(&names, " /X%d %d 0 R", k, 6+k)
	}
	res := fmt.Sprintf("/Resources << /Font << /F1 3 0 R >> /XObject <<%s >> >>", names.String())
	w.stream("/Type /XObject /Subtype /Form /BBox [0 0 612 792] "+res, []byte("BT /F1 12 Tf 72 720 Td (fan) Tj ET"))
	for k := 1; k <= levels; k++ {
		body := strings.Repeat(fmt.Sprintf("q 1 0 0 1 0.01 0 cm /X%d Do Q\n", k-1), fanout)
		w.stream("/Type /XObject /Subtype /Form /BBox [0 0 612 792] "+res, []byte(body))
	}
	return w.finish(1)
}

// ObjStmArray returns a PDF whose page-tree root sits in an object stream
// (found through a cross-reference stream) and has a /Kids array of
// decodedMB megabytes of references to its one page: a parser that builds
// the array whole holds tens of millions of elements.
func ObjStmArray(decodedMB int) []byte {
	w := newBuilder()
	// 1 catalog, 2 the pages node (in object stream 6), 3 page, 4 font,
	// 5 content, 6 object stream, 7 cross-reference stream.
	w.obj("<< /Type /Catalog /Pages 2 0 R >>")
	w.offs = append(w.offs, 0) // object 2 lives in the object stream
	w.obj("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>")
	w.obj(font)
	w.stream("", []byte("BT /F1 12 Tf 72 720 Td (The page under a huge array.) Tj ET"))
	head := "2 0 "
	inner := repeatZlib([]byte(head+"<< /Type /Pages /Count 1 /Kids ["), []byte(strings.Repeat(" 3 0 R", 43)), []byte(" ] >>"), decodedMB<<20/258)
	var outer bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&outer, zlib.BestCompression)
	zw.Write(inner)
	zw.Close()
	w.stream(fmt.Sprintf("/Type /ObjStm /N 1 /First %d /Filter [/FlateDecode /FlateDecode]", len(head)), outer.Bytes())
	// The cross-reference stream: /W [1 4 2], objects 0-7.
	xrefOff := w.b.Len()
	var rows bytes.Buffer
	row := func(typ byte, a uint32, b uint16) {
		rows.Write([]byte{typ, byte(a >> 24), byte(a >> 16), byte(a >> 8), byte(a), byte(b >> 8), byte(b)})
	}
	row(0, 0, 0xFFFF)
	for n := 1; n <= 6; n++ {
		if n == 2 {
			row(2, 6, 0)
			continue
		}
		row(1, uint32(w.offs[n-1]), 0)
	}
	row(1, uint32(xrefOff), 0)
	fmt.Fprintf(&w.b, "7 0 obj\n<< /Type /XRef /Size 8 /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n", rows.Len())
	w.b.Write(rows.Bytes())
	fmt.Fprintf(&w.b, "\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n", xrefOff)
	return w.b.Bytes()
}

// InflatingFonts returns a one-page PDF that shows a character in each of
// fonts Type0 fonts without a ToUnicode map, whose descendants all embed
// the same TrueType program: a Flate stream of a few kilobytes decoding
// to decodedMB megabytes. A reader that inflates the program once per
// font to read its cmap does fonts × decodedMB megabytes of work.
func InflatingFonts(fonts, decodedMB int) []byte {
	w := newBuilder()
	// 1 catalog, 2 pages, 3 page, 4 content, 5 program, then per font its
	// Type0 dictionary, its descendant and its descriptor.
	w.obj("<< /Type /Catalog /Pages 2 0 R >>")
	w.obj("<< /Type /Pages /Count 1 /Kids [3 0 R] >>")
	var names, show strings.Builder
	for i := range fonts {
		fmt.Fprintf(&names, " /F%d %d 0 R", i, 6+3*i)
		fmt.Fprintf(&show, "BT /F%d 12 Tf %d %d Td <4E2D> Tj ET\n", i, 72+(i%40)*12, 720-(i/40)*14)
	}
	w.obj("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font <<" + names.String() + " >> >> /Contents 4 0 R >>")
	w.stream("", []byte(show.String()))
	program := repeatZlib([]byte("\x00\x01\x00\x00"), bytes.Repeat([]byte{0}, 258), nil, decodedMB<<20/258)
	w.stream("/Filter /FlateDecode", program)
	for i := range fonts {
		w.obj(fmt.Sprintf("<< /Type /Font /Subtype /Type0 /BaseFont /F%d /Encoding /Identity-H /DescendantFonts [%d 0 R] >>", i, 7+3*i))
		w.obj(fmt.Sprintf("<< /Type /Font /Subtype /CIDFontType2 /BaseFont /F%d /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /FontDescriptor %d 0 R /DW 1000 >>", i, 8+3*i))
		w.obj(fmt.Sprintf("<< /Type /FontDescriptor /FontName /F%d /Flags 4 /FontBBox [0 0 1000 1000] /ItalicAngle 0 /Ascent 900 /Descent -100 /CapHeight 700 /StemV 80 /FontFile2 5 0 R >>", i))
	}
	return w.finish(1)
}
