package extract

import (
	"encoding/binary"
	"io"

	"github.com/ledongthuc/pdf"
)

// Embedded TrueType programs as the last source of a CID font's text.
//
// A Type0 font with Identity-H/V encoding shows CIDs; its ToUnicode map is
// what readers use to turn them into text. When that map leaves a code out
// or maps it to U+FFFD (some producers write it for every glyph they
// could not name), the embedded TrueType program usually still knows: its
// cmap table maps Unicode to glyphs, and the CIDToGIDMap maps the CID to
// the glyph. Read backwards, the glyph gives the character. pdftotext,
// PDFium and MuPDF take a U+FFFD mapping as it is; llsum reads the glyph.
//
// Only the program's 'maxp' and 'cmap' tables are read, from a copy of
// the stream bounded by maxFontProgram and the budget's room, and only
// Unicode subtables (formats 4 and 12) are used: symbol and Macintosh
// subtables do not say which character a glyph is.

const (
	// maxFontProgram bounds the bytes of an embedded font program read.
	maxFontProgram = 32 << 20
	// maxCmapSteps bounds the codes a cmap subtable is walked over.
	maxCmapSteps = 1 << 21
)

// glyphText maps the CIDs of one CID font to text through its embedded
// TrueType program.
type glyphText struct {
	cidToGID []uint16 // nil: the identity
	byGlyph  []rune   // glyph ID → character, 0 where the cmap has none
}

// text returns the character the font's program gives code, a CID under
// Identity-H/V.
func (g *glyphText) text(code int) (string, bool) {
	gid := code
	if g.cidToGID != nil {
		if code >= len(g.cidToGID) {
			return "", false
		}
		gid = int(g.cidToGID[code])
	}
	if gid <= 0 || gid >= len(g.byGlyph) || g.byGlyph[gid] == 0 {
		return "", false
	}
	return string(g.byGlyph[gid]), true
}

// readGlyphText reads desc's embedded TrueType program (FontFile2) and
// CIDToGIDMap, charging what it keeps to bud; nil when the font has no
// such program, the program has no Unicode cmap, or the budget has no
// room.
func readGlyphText(desc pdf.Value, bud *budget) (g *glyphText) {
	defer func() {
		if recover() != nil { // the library's readers panic on damaged streams
			g = nil
		}
	}()
	if desc.Key("Subtype").Name() != "CIDFontType2" {
		return nil
	}
	ff := desc.Key("FontDescriptor").Key("FontFile2")
	if ff.Kind() != pdf.Stream {
		return nil
	}
	// Decoding counts as the page's work (a thousand fonts of inflating
	// programs cost what their bytes do), and the copy is held while read.
	n := min(maxFontProgram, bud.room(), bud.decodeRoom())
	if n <= 0 {
		return nil
	}
	data, _ := io.ReadAll(io.LimitReader(ff.Reader(), n))
	if bud.addDecoded(int64(len(data))) != nil {
		return nil
	}
	if err := bud.hold(int64(len(data)), "embedded font program"); err != nil {
		bud.release(int64(len(data)))
		return nil
	}
	byGlyph := cmapInverse(data)
	bud.release(int64(len(data)))
	if byGlyph == nil {
		return nil
	}
	g = &glyphText{byGlyph: byGlyph}
	if m := desc.Key("CIDToGIDMap"); m.Kind() == pdf.Stream {
		raw, _ := io.ReadAll(io.LimitReader(m.Reader(), 2<<16))
		g.cidToGID = make([]uint16, len(raw)/2)
		for i := range g.cidToGID {
			g.cidToGID[i] = binary.BigEndian.Uint16(raw[2*i:])
		}
	}
	if err := bud.keep(int64(4*len(g.byGlyph)+2*len(g.cidToGID)), "font tables"); err != nil {
		return nil
	}
	return g
}

// sfntTable returns the bytes of the table tagged tag in a TrueType
// program, or nil.
func sfntTable(font []byte, tag string) []byte {
	if len(font) < 12 {
		return nil
	}
	n := int(binary.BigEndian.Uint16(font[4:]))
	for i := range n {
		rec := 12 + 16*i
		if rec+16 > len(font) {
			return nil
		}
		if string(font[rec:rec+4]) != tag {
			continue
		}
		off := int64(binary.BigEndian.Uint32(font[rec+8:]))
		size := int64(binary.BigEndian.Uint32(font[rec+12:]))
		if off+size > int64(len(font)) {
			return nil
		}
		return font[off : off+size]
	}
	return nil
}

// cmapInverse reads a TrueType program's Unicode cmap backwards: the
// character of each glyph, the lowest code point where several map to it
// (a CJK ideograph before its compatibility twin). nil when the program
// has no usable Unicode subtable.
func cmapInverse(font []byte) []rune {
	maxp := sfntTable(font, "maxp")
	cmap := sfntTable(font, "cmap")
	if len(maxp) < 6 || len(cmap) < 4 {
		return nil
	}
	glyphs := int(binary.BigEndian.Uint16(maxp[4:]))
	sub, format := unicodeSubtable(cmap)
	if sub == nil || glyphs == 0 {
		return nil
	}
	inv := make([]rune, glyphs)
	found := false
	set := func(c rune, gid int) {
		if c < 0x20 || c >= 0x7F && c < 0xA0 || c >= 0xD800 && c < 0xE000 {
			return // controls and surrogates name no glyph's character
		}
		if gid > 0 && gid < glyphs && (inv[gid] == 0 || c < inv[gid]) {
			inv[gid] = c
			found = true
		}
	}
	switch format {
	case 4:
		cmapFormat4(sub, set)
	case 12:
		cmapFormat12(sub, set)
	}
	if !found {
		return nil
	}
	return inv
}

// unicodeSubtable picks the cmap's Unicode subtable: full repertoire
// (format 12) before the Basic Multilingual Plane (format 4).
func unicodeSubtable(cmap []byte) (sub []byte, format int) {
	n := int(binary.BigEndian.Uint16(cmap[2:]))
	for i := range n {
		rec := 4 + 8*i
		if rec+8 > len(cmap) {
			break
		}
		platform := binary.BigEndian.Uint16(cmap[rec:])
		encoding := binary.BigEndian.Uint16(cmap[rec+2:])
		off := int(binary.BigEndian.Uint32(cmap[rec+4:]))
		if platform != 0 && !(platform == 3 && (encoding == 1 || encoding == 10)) {
			continue // symbol, Macintosh and others: no Unicode
		}
		if off < 0 || off+4 > len(cmap) {
			continue
		}
		f := int(binary.BigEndian.Uint16(cmap[off:]))
		if f == 12 && (format != 12) || f == 4 && format == 0 {
			sub, format = cmap[off:], f
		}
	}
	return sub, format
}

// cmapFormat4 walks a segment-mapping subtable.
func cmapFormat4(t []byte, set func(rune, int)) {
	if len(t) < 14 {
		return
	}
	segs := int(binary.BigEndian.Uint16(t[6:])) / 2
	ends, starts := 14, 16+2*segs
	deltas, ranges := starts+2*segs, starts+4*segs
	if ranges+2*segs > len(t) {
		return
	}
	u16 := func(at int) int { return int(binary.BigEndian.Uint16(t[at:])) }
	steps := 0
	for s := range segs {
		start, end := u16(starts+2*s), u16(ends+2*s)
		delta, rangeOff := u16(deltas+2*s), u16(ranges+2*s)
		for c := start; c <= end && c != 0xFFFF; c++ {
			if steps++; steps > maxCmapSteps {
				return
			}
			if rangeOff == 0 {
				set(rune(c), (c+delta)&0xFFFF)
				continue
			}
			at := ranges + 2*s + rangeOff + 2*(c-start)
			if at+2 > len(t) {
				break
			}
			if gid := u16(at); gid != 0 {
				set(rune(c), (gid+delta)&0xFFFF)
			}
		}
	}
}

// cmapFormat12 walks a segmented-coverage subtable.
func cmapFormat12(t []byte, set func(rune, int)) {
	if len(t) < 16 {
		return
	}
	groups := int64(binary.BigEndian.Uint32(t[12:]))
	steps := 0
	for g := int64(0); g < groups && 16+12*g+12 <= int64(len(t)); g++ {
		rec := t[16+12*g:]
		start := int64(binary.BigEndian.Uint32(rec))
		end := min(int64(binary.BigEndian.Uint32(rec[4:])), 0x10FFFF)
		gid := int64(binary.BigEndian.Uint32(rec[8:]))
		for c := start; c <= end && gid < 1<<16; c, gid = c+1, gid+1 {
			if steps++; steps > maxCmapSteps {
				return
			}
			set(rune(c), int(gid))
		}
	}
}
