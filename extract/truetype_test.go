package extract

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/ledongthuc/pdf"

	"github.com/llsum/llsum/internal/hostilepdf"
)

// sfnt assembles a TrueType program from its tables.
func sfnt(tables map[string][]byte) []byte {
	tags := []string{}
	for _, t := range []string{"cmap", "maxp"} {
		if _, ok := tables[t]; ok {
			tags = append(tags, t)
		}
	}
	b := make([]byte, 12+16*len(tags))
	binary.BigEndian.PutUint32(b, 0x00010000)
	binary.BigEndian.PutUint16(b[4:], uint16(len(tags)))
	for i, t := range tags {
		rec := b[12+16*i:]
		copy(rec, t)
		binary.BigEndian.PutUint32(rec[8:], uint32(len(b)))
		binary.BigEndian.PutUint32(rec[12:], uint32(len(tables[t])))
		b = append(b, tables[t]...)
	}
	return b
}

func maxpTable(glyphs int) []byte {
	b := make([]byte, 6)
	binary.BigEndian.PutUint32(b, 0x00005000)
	binary.BigEndian.PutUint16(b[4:], uint16(glyphs))
	return b
}

// cmapTable is a cmap with one subtable per (platform, encoding, body).
func cmapTable(subs ...struct {
	platform, encoding uint16
	body               []byte
}) []byte {
	b := make([]byte, 4+8*len(subs))
	binary.BigEndian.PutUint16(b[2:], uint16(len(subs)))
	for i, s := range subs {
		binary.BigEndian.PutUint16(b[4+8*i:], s.platform)
		binary.BigEndian.PutUint16(b[6+8*i:], s.encoding)
		binary.BigEndian.PutUint32(b[8+8*i:], uint32(len(b)))
		b = append(b, s.body...)
	}
	return b
}

func u16s(vs ...int) []byte {
	b := make([]byte, 2*len(vs))
	for i, v := range vs {
		binary.BigEndian.PutUint16(b[2*i:], uint16(v))
	}
	return b
}

// format4 is a segment-mapping subtable: segments (start, end, delta,
// rangeOffset) then the glyph index array.
func format4(segs [][4]int, glyphIDs ...int) []byte {
	n := len(segs)
	var ends, starts, deltas, offs []int
	for _, s := range segs {
		starts, ends, deltas, offs = append(starts, s[0]), append(ends, s[1]), append(deltas, s[2]), append(offs, s[3])
	}
	b := u16s(4, 0, 0, 2*n, 0, 0, 0)
	b = append(b, u16s(ends...)...)
	b = append(b, u16s(0)...)
	b = append(b, u16s(starts...)...)
	b = append(b, u16s(deltas...)...)
	b = append(b, u16s(offs...)...)
	b = append(b, u16s(glyphIDs...)...)
	binary.BigEndian.PutUint16(b[2:], uint16(len(b)))
	return b
}

func format12(groups [][3]uint32) []byte {
	b := make([]byte, 16+12*len(groups))
	binary.BigEndian.PutUint16(b, 12)
	binary.BigEndian.PutUint32(b[4:], uint32(len(b)))
	binary.BigEndian.PutUint32(b[12:], uint32(len(groups)))
	for i, g := range groups {
		binary.BigEndian.PutUint32(b[16+12*i:], g[0])
		binary.BigEndian.PutUint32(b[20+12*i:], g[1])
		binary.BigEndian.PutUint32(b[24+12*i:], g[2])
	}
	return b
}

type sub = struct {
	platform, encoding uint16
	body               []byte
}

func TestCmapInverse(t *testing.T) {
	// 中 (U+4E2D) and 文 (U+6587) by delta; 国 and 图 (U+56FD, U+56FE)
	// through the glyph index array; in twin, a compatibility ideograph
	// (U+F9D0) on 中's glyph.
	bmp := format4([][4]int{
		{0x4E2D, 0x4E2D, (3 - 0x4E2D) & 0xFFFF, 0},
		{0x56FD, 0x56FE, 0, 2 * 3}, // rangeOffset from its own slot: 3 slots to the array
		{0x6587, 0x6587, (5 - 0x6587) & 0xFFFF, 0},
		{0xFFFF, 0xFFFF, 1, 0},
	}, 4, 6)
	twin := format4([][4]int{
		{0x20, 0x20, (1 - 0x20) & 0xFFFF, 0},
		{0x4E2D, 0x4E2D, (3 - 0x4E2D) & 0xFFFF, 0},
		{0xF9D0, 0xF9D0, (3 - 0xF9D0) & 0xFFFF, 0},
		{0xFFFF, 0xFFFF, 1, 0},
	})
	full := format12([][3]uint32{{0x4E2D, 0x4E2D, 3}, {0x20000, 0x20001, 6}})
	tests := []struct {
		name string
		font []byte
		want map[int]rune // glyph → character; nil: no inverse
	}{
		{"format 4, delta and glyph array", sfnt(map[string][]byte{"maxp": maxpTable(8), "cmap": cmapTable(sub{3, 1, bmp})}),
			map[int]rune{3: '中', 4: '国', 6: '图', 5: '文', 1: 0, 7: 0}},
		{"lowest code point wins", sfnt(map[string][]byte{"maxp": maxpTable(8), "cmap": cmapTable(sub{3, 0, bmp}, sub{0, 3, twin})}),
			map[int]rune{3: '中', 1: ' '}},
		{"format 12 preferred, beyond the BMP", sfnt(map[string][]byte{"maxp": maxpTable(8), "cmap": cmapTable(sub{3, 1, bmp}, sub{3, 10, full})}),
			map[int]rune{3: '中', 6: 0x20000, 7: 0x20001, 4: 0}},
		{"glyphs beyond maxp dropped", sfnt(map[string][]byte{"maxp": maxpTable(4), "cmap": cmapTable(sub{3, 1, bmp})}),
			map[int]rune{3: '中'}},
		{"symbol subtable only", sfnt(map[string][]byte{"maxp": maxpTable(8), "cmap": cmapTable(sub{3, 0, bmp})}), nil},
		{"no maxp", sfnt(map[string][]byte{"cmap": cmapTable(sub{3, 1, bmp})}), nil},
		{"truncated subtable", sfnt(map[string][]byte{"maxp": maxpTable(8), "cmap": cmapTable(sub{3, 1, bmp[:20]})}), nil},
		{"table past the end", sfnt(map[string][]byte{"maxp": maxpTable(8), "cmap": cmapTable(sub{3, 1, bmp})})[:40], nil},
		{"not a font", []byte("%PDF-1.4 not a font at all"), nil},
		// A hostile group covering every code point: bounded steps.
		{"huge format 12 group", sfnt(map[string][]byte{"maxp": maxpTable(100), "cmap": cmapTable(sub{3, 10, format12([][3]uint32{{0, 0xFFFFFFFF, 0}, {0, 0xFFFFFFFF, 0}})})}),
			map[int]rune{0x41: 'A', 99: 99}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := cmapInverse(tt.font)
			if tt.want == nil {
				if inv != nil {
					t.Fatalf("got an inverse of %d glyphs, want none", len(inv))
				}
				return
			}
			if inv == nil {
				t.Fatal("no inverse")
			}
			for gid, r := range tt.want {
				got := rune(0)
				if gid < len(inv) {
					got = inv[gid]
				}
				if got != r {
					t.Errorf("glyph %d: %U, want %U", gid, got, r)
				}
			}
		})
	}
}

func TestGlyphTextCIDToGID(t *testing.T) {
	g := &glyphText{cidToGID: []uint16{0, 0, 7, 3}, byGlyph: []rune{0, 0, 0, '中', 0, 0, 0, '文'}}
	for code, want := range map[int]string{2: "文", 3: "中", 1: "", 4: "", 99: ""} {
		got, ok := g.text(code)
		if got != want || ok != (want != "") {
			t.Errorf("code %d: %q %v, want %q", code, got, ok, want)
		}
	}
	id := &glyphText{byGlyph: []rune{0, 'a', 'b'}}
	if s, ok := id.text(2); s != "b" || !ok {
		t.Errorf("identity map: code 2 read %q", s)
	}
}

// FuzzCmapInverse: any bytes as an embedded font program are read in
// bounded time without a panic.
func FuzzCmapInverse(f *testing.F) {
	bmp := format4([][4]int{{0x4E2D, 0x4E2D, (3 - 0x4E2D) & 0xFFFF, 0}, {0x56FD, 0x56FE, 0, 4}, {0xFFFF, 0xFFFF, 1, 0}}, 4, 0)
	f.Add(sfnt(map[string][]byte{"maxp": maxpTable(8), "cmap": cmapTable(sub{3, 1, bmp})}))
	f.Add(sfnt(map[string][]byte{"maxp": maxpTable(8), "cmap": cmapTable(sub{3, 10, format12([][3]uint32{{0x20000, 0x20001, 6}})})}))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, font []byte) {
		if inv := cmapInverse(font); len(inv) > 1<<16 {
			t.Fatalf("%d glyphs", len(inv))
		}
	})
}

// TestFontProgramBudget: the embedded programs a page reads count as its
// decoded bytes, and once the budget's decoding room is spent no further
// program is inflated (hostilepdf.InflatingFonts: a thousand fonts
// sharing a 16 MiB program took 48 s before, 1.7 s after).
func TestFontProgramBudget(t *testing.T) {
	data := hostilepdf.InflatingFonts(3, 16)
	r, err := pdf.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	desc := r.Page(1).V.Key("Resources").Key("Font").Key("F0").Key("DescendantFonts").Index(0)
	bud := newBudget(40 << 20)
	for range 4 {
		if g := readGlyphText(desc, bud); g != nil {
			t.Fatal("a program of zeros read as a font")
		}
	}
	if bud.decoded != 40<<20 {
		t.Errorf("decoded %d bytes, want the budget's %d", bud.decoded, 40<<20)
	}
	if bud.page != 0 {
		t.Errorf("%d bytes still held", bud.page)
	}
}
