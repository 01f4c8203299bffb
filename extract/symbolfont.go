package extract

import (
	"strings"
	"unicode/utf8"
)

// Symbol fonts: Adobe's Symbol and Microsoft's Wingdings.
//
// Word and PowerPoint map the codes of a symbol font to U+F020–F0FF in
// their ToUnicode maps (Microsoft's convention for symbol fonts: the code
// plus 0xF000), so a bullet list set with Symbol's bullet or Wingdings'
// squares and arrowheads reads as private-use characters, which every
// reader prints and llsum's plausibility check takes for mojibake: a page
// of eight bullets was marked garbled under both engines. The code under
// U+F0xx says which glyph it is: Symbol's built-in encoding names it (the
// same names give a Symbol font without a ToUnicode map or an encoding its
// text), and the Wingdings glyphs used as bullets and check marks have
// Unicode twins. Other Wingdings codes stay private-use.

// symbolEncoding is the Symbol font's built-in encoding (PDF 32000
// Annex D.5): code → glyph name.
var symbolEncoding = map[int]string{
	32: "space", 33: "exclam", 34: "universal", 35: "numbersign", 36: "existential", 37: "percent",
	38: "ampersand", 39: "suchthat", 40: "parenleft", 41: "parenright", 42: "asteriskmath", 43: "plus",
	44: "comma", 45: "minus", 46: "period", 47: "slash", 48: "zero", 49: "one",
	50: "two", 51: "three", 52: "four", 53: "five", 54: "six", 55: "seven",
	56: "eight", 57: "nine", 58: "colon", 59: "semicolon", 60: "less", 61: "equal",
	62: "greater", 63: "question", 64: "congruent", 65: "Alpha", 66: "Beta", 67: "Chi",
	68: "Delta", 69: "Epsilon", 70: "Phi", 71: "Gamma", 72: "Eta", 73: "Iota",
	74: "theta1", 75: "Kappa", 76: "Lambda", 77: "Mu", 78: "Nu", 79: "Omicron",
	80: "Pi", 81: "Theta", 82: "Rho", 83: "Sigma", 84: "Tau", 85: "Upsilon",
	86: "sigma1", 87: "Omega", 88: "Xi", 89: "Psi", 90: "Zeta", 91: "bracketleft",
	92: "therefore", 93: "bracketright", 94: "perpendicular", 95: "underscore", 96: "radicalex", 97: "alpha",
	98: "beta", 99: "chi", 100: "delta", 101: "epsilon", 102: "phi", 103: "gamma",
	104: "eta", 105: "iota", 106: "phi1", 107: "kappa", 108: "lambda", 109: "mu",
	110: "nu", 111: "omicron", 112: "pi", 113: "theta", 114: "rho", 115: "sigma",
	116: "tau", 117: "upsilon", 118: "omega1", 119: "omega", 120: "xi", 121: "psi",
	122: "zeta", 123: "braceleft", 124: "bar", 125: "braceright", 126: "similar", 160: "Euro",
	161: "Upsilon1", 162: "minute", 163: "lessequal", 164: "fraction", 165: "infinity", 166: "florin",
	167: "club", 168: "diamond", 169: "heart", 170: "spade", 171: "arrowboth", 172: "arrowleft",
	173: "arrowup", 174: "arrowright", 175: "arrowdown", 176: "degree", 177: "plusminus", 178: "second",
	179: "greaterequal", 180: "multiply", 181: "proportional", 182: "partialdiff", 183: "bullet", 184: "divide",
	185: "notequal", 186: "equivalence", 187: "approxequal", 188: "ellipsis", 189: "arrowvertex", 190: "arrowhorizex",
	191: "carriagereturn", 192: "aleph", 193: "Ifraktur", 194: "Rfraktur", 195: "weierstrass", 196: "circlemultiply",
	197: "circleplus", 198: "emptyset", 199: "intersection", 200: "union", 201: "propersuperset", 202: "reflexsuperset",
	203: "notsubset", 204: "propersubset", 205: "reflexsubset", 206: "element", 207: "notelement", 208: "angle",
	209: "gradient", 210: "registerserif", 211: "copyrightserif", 212: "trademarkserif", 213: "product", 214: "radical",
	215: "dotmath", 216: "logicalnot", 217: "logicaland", 218: "logicalor", 219: "arrowdblboth", 220: "arrowdblleft",
	221: "arrowdblup", 222: "arrowdblright", 223: "arrowdbldown", 224: "lozenge", 225: "angleleft", 226: "registersans",
	227: "copyrightsans", 228: "trademarksans", 229: "summation", 230: "parenlefttp", 231: "parenleftex", 232: "parenleftbt",
	233: "bracketlefttp", 234: "bracketleftex", 235: "bracketleftbt", 236: "bracelefttp", 237: "braceleftmid", 238: "braceleftbt",
	239: "braceex", 241: "angleright", 242: "integral", 243: "integraltp", 244: "integralex", 245: "integralbt",
	246: "parenrighttp", 247: "parenrightex", 248: "parenrightbt", 249: "bracketrighttp", 250: "bracketrightex", 251: "bracketrightbt",
	252: "bracerighttp", 253: "bracerightmid", 254: "bracerightbt",
}

// wingdingsText gives the Wingdings glyphs that documents use as bullets
// and marks their Unicode twins, by code.
var wingdingsText = map[int]string{
	0x6C: "●", 0x6E: "■", 0x6F: "□", 0x71: "❑", 0x76: "❖", 0xA7: "▪",
	0xA8: "◻", 0xD8: "➢", 0xE8: "➔", 0xFB: "✘", 0xFC: "✔", 0xFD: "☒",
	0xFE: "☑",
}

// symbolFontKind tells Symbol ("symbol") and Wingdings ("wingdings") from
// other fonts by their base name, subset prefix and style suffix aside.
func symbolFontKind(base string) string {
	base = unsubset(base)
	if i := strings.IndexAny(base, ",-"); i > 0 {
		base = base[:i]
	}
	switch base {
	case "Symbol", "SymbolMT":
		return "symbol"
	case "Wingdings", "WingdingsRegular":
		return "wingdings"
	}
	return ""
}

// symbolText maps a symbol font's codes to text, for the kind
// symbolFontKind gives; nil for other fonts.
func symbolText(kind string) map[int]string {
	switch kind {
	case "symbol":
		m := glyphNames(symbolEncoding)
		for c, name := range symbolEncoding {
			if t, ok := symbolPieces[name]; ok {
				m[c] = t
			}
		}
		return m
	case "wingdings":
		return wingdingsText
	}
	return nil
}

// fromSymbolPUA reads a private-use character of Microsoft's symbol-font
// range (U+F020–F0FF) through the font's own table.
func fromSymbolPUA(s string, table map[int]string) (string, bool) {
	r, n := utf8.DecodeRuneInString(s)
	if n != len(s) || r < 0xF020 || r > 0xF0FF {
		return "", false
	}
	t, ok := table[int(r-0xF000)]
	return t, ok
}
