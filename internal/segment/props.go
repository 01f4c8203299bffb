package segment

import (
	"sync"
	"unicode"
)

// class is a rune's Sentence_Break property (UAX #29, table 4), computed
// from the unicode package's tables.
type class uint8

const (
	cOther class = iota
	cCR
	cLF
	cSep
	cSp
	cLower
	cUpper
	cOLetter
	cNumeric
	cATerm
	cSTerm
	cClose
	cSContinue
	cExtend
	cFormat
)

// Flags beside the class, in the high bits of a table entry.
const (
	fSpaceScript = 0x40 // Thai, Lao, Khmer or Myanmar: a space between two of them ends a clause
	fCJK         = 0x80 // Han, Kana, Hangul
	classMask    = 0x3f
)

// bmp holds the class and flags of every rune below U+10000, built on first
// use and read-only after.
var bmp = sync.OnceValue(func() *[0x10000]uint8 {
	var t [0x10000]uint8
	for r := range rune(0x10000) {
		t[r] = computeProps(r)
	}
	return &t
})

// props returns the class and flags of r.
func props(r rune) uint8 {
	if r >= 0 && r < 0x10000 {
		return bmp()[r]
	}
	return computeProps(r)
}

func classOf(r rune) class { return class(props(r) & classMask) }

func computeProps(r rune) uint8 {
	c := computeClass(r)
	var f uint8
	if unicode.In(r, unicode.Thai, unicode.Lao, unicode.Khmer, unicode.Myanmar) && c != cSp {
		f |= fSpaceScript
	}
	if unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul) {
		f |= fCJK
	}
	return uint8(c) | f
}

func computeClass(r rune) class {
	switch r {
	case '\r':
		return cCR
	case '\n':
		return cLF
	case 0x85, 0x2028, 0x2029:
		return cSep
	case '.', 0x2024, 0xfe52, 0xff0e:
		return cATerm
	case ',', '-', ':', 0x55d, 0x60c, 0x60d, 0x7f8, 0x1802, 0x1808, 0x2013, 0x2014, 0x3001,
		0xfe10, 0xfe11, 0xfe13, 0xfe31, 0xfe32, 0xfe50, 0xfe51, 0xfe55, 0xfe58, 0xfe63,
		0xff0c, 0xff0d, 0xff1a, 0xff64:
		return cSContinue
	case 0x200c, 0x200d:
		return cExtend
	case 0x5f3:
		return cOLetter
	case 0x66b, 0x66c:
		return cNumeric
	}
	switch {
	case unicode.Is(unicode.White_Space, r):
		return cSp
	case unicode.In(r, unicode.Mn, unicode.Me, unicode.Mc, unicode.Other_Grapheme_Extend) || (r >= 0x1f3fb && r <= 0x1f3ff):
		return cExtend
	case unicode.Is(unicode.Cf, r) && r != 0x200b:
		return cFormat
	case unicode.Is(unicode.Sentence_Terminal, r):
		return cSTerm
	case unicode.In(r, unicode.Lower, unicode.Other_Lowercase):
		return cLower
	case unicode.In(r, unicode.Upper, unicode.Lt, unicode.Other_Uppercase):
		return cUpper
	case unicode.In(r, unicode.L, unicode.Nl, unicode.Other_Alphabetic):
		return cOLetter
	case unicode.Is(unicode.Nd, r):
		return cNumeric
	case unicode.In(r, unicode.Ps, unicode.Pe, unicode.Pi, unicode.Pf, unicode.Quotation_Mark):
		return cClose
	}
	return cOther
}
