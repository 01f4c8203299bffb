package extract

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"

	"github.com/ledongthuc/pdf"
)

// The built-in encoding of an embedded Type 1 font. TeX's fonts (CMR,
// CMBX, …) come without /Encoding and without ToUnicode: their codes mean
// what the font program's own encoding says (12 /fi, 13 /fl, 123 /endash).
// Read as PDFDocEncoding they lose every ligature ("filename" became
// "lename") and symbol; PDFium and pdftotext read the program's encoding,
// and so does llsum now.

// maxType1Clear bounds the cleartext part of a Type 1 program read.
const maxType1Clear = 256 << 10

var type1Dup = regexp.MustCompile(`dup\s+(\d{1,3})\s*/([A-Za-z0-9._-]{1,64})\s+put`)

// type1Encoding returns the code → glyph name pairs of the program's
// /Encoding array, or nil (StandardEncoding, or none found).
func type1Encoding(ff pdf.Value) map[int]string {
	n := ff.Key("Length1").Int64()
	if n <= 0 || n > maxType1Clear {
		n = maxType1Clear
	}
	clear, _ := io.ReadAll(io.LimitReader(ff.Reader(), n))
	i := bytes.Index(clear, []byte("/Encoding"))
	if i < 0 {
		return nil
	}
	clear = clear[i:]
	if end := bytes.Index(clear, []byte("readonly def")); end > 0 {
		clear = clear[:end]
	} else if end := bytes.Index(clear, []byte("eexec")); end > 0 {
		clear = clear[:end]
	}
	m := map[int]string{}
	for _, s := range type1Dup.FindAllSubmatch(clear, -1) {
		code, _ := strconv.Atoi(string(s[1]))
		if code < 256 && string(s[2]) != ".notdef" {
			m[code] = string(s[2])
		}
	}
	if len(m) == 0 {
		return nil
	}
	return m
}

// differences returns the code → glyph name pairs of an /Encoding
// dictionary's /Differences array for the codes that skip does not map, or
// nil when there are none.
func differences(enc pdf.Value, skip map[int]string) map[int]string {
	d := enc.Key("Differences")
	var m map[int]string
	code := -1
	for i := 0; i < d.Len() && i < 1024; i++ {
		v := d.Index(i)
		switch v.Kind() {
		case pdf.Integer:
			code = int(v.Int64())
		case pdf.Name:
			if _, ok := skip[code]; !ok && code >= 0 && v.Name() != ".notdef" {
				if m == nil {
					m = map[int]string{}
				}
				m[code] = v.Name()
			}
			code++
		}
	}
	return m
}

// glyphNames maps glyph names to text with ledongthuc's Adobe Glyph List:
// it writes the names as a font's /Differences in a one-object PDF and
// reads them back through the library's own decoder. Names it does not
// know (uniXXXX and TeX's math names aside) are left out.
func glyphNames(names map[int]string) map[int]string {
	codes := make([]int, 0, len(names))
	for c := range names {
		codes = append(codes, c)
	}
	sort.Ints(codes)
	var diff bytes.Buffer
	for _, c := range codes {
		fmt.Fprintf(&diff, "%d /%s ", c, names[c])
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n")
	off := b.Len()
	fmt.Fprintf(&b, "1 0 obj\n<< /Type /Font /Subtype /Type1 /Encoding << /Differences [%s] >> >>\nendobj\n", diff.String())
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 2\n0000000000 65535 f \n%010d 00000 n \ntrailer\n<< /Size 2 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", off, xref)
	out := map[int]string{}
	func() {
		defer func() { _ = recover() }() // a name the library chokes on: no table
		r, err := pdf.NewReader(bytes.NewReader(b.Bytes()), int64(b.Len()))
		if err != nil {
			return
		}
		font := pdf.Font{V: r.Trailer().Key("Root")}
		enc := font.Encoder()
		for _, c := range codes {
			if u, ok := uniName(names[c]); ok {
				out[c] = u
				continue
			}
			if u, ok := symbolPieces[names[c]]; ok {
				out[c] = u
				continue
			}
			s := enc.Decode(string([]byte{byte(c)}))
			if rs := []rune(s); len(rs) == 1 && rs[0] == rune(c) && !isPlainName(names[c], rs[0]) {
				// The library does not know the name: TeX's, or none.
				if t, ok := texGlyph(names[c]); ok {
					out[c] = t
				}
				continue
			}
			out[c] = s
		}
	}()
	return out
}

// isPlainName reports a glyph name that is the character itself ("a",
// "A"): decoded to its own code, it is known, not missing.
func isPlainName(name string, r rune) bool {
	return len(name) == 1 && rune(name[0]) == r
}

// uniName reads the AGL's uniXXXX and uXXXX[XX] names.
func uniName(name string) (string, bool) {
	var hex string
	switch {
	case len(name) == 7 && name[:3] == "uni":
		hex = name[3:]
	case len(name) >= 5 && len(name) <= 7 && name[0] == 'u':
		hex = name[1:]
	default:
		return "", false
	}
	v, err := strconv.ParseUint(hex, 16, 32)
	if err != nil || v == 0 || (v >= 0xD800 && v < 0xE000) || v > 0x10FFFF {
		return "", false
	}
	return string(rune(v)), true
}
