package extract

import "strings"

// TeX's math fonts (cmsy, cmmi, cmex and their clones) name glyphs that
// the Adobe Glyph List, which the PDF library knows, does not: without
// these, the codes read as the letters at the same place in the standard
// encoding ("⟨wd⟩" came out "hwdi", a prime "0"). texGlyphs gives their
// text; cmex's sized variants (parenleftbig … parenleftBigg, summationtext,
// summationdisplay) read as the base symbol.
var texGlyphs = map[string]string{
	// cmsy
	"angbracketleft": "⟨", "angbracketright": "⟩", "prime": "′",
	"asteriskmath": "∗", "diamondmath": "⋄",
	// \not: a slash drawn over the relation after it (splitSegments
	// puts it after that relation: "=" and it compose to "≠")
	"negationslash": negationSlash,
	"minusplus":     "∓", "circleplus": "⊕", "circleminus": "⊖",
	"circlemultiply": "⊗", "circledivide": "⊘", "circledot": "⊙",
	"openbullet": "◦", "equivasymptotic": "≍", "equivalence": "≡",
	"reflexsubset": "⊆", "reflexsuperset": "⊇", "precedesequal": "⪯",
	"followsequal": "⪰", "similar": "∼", "approxequal": "≈",
	"propersubset": "⊂", "propersuperset": "⊃", "lessmuch": "≪",
	"greatermuch": "≫", "precedes": "≺", "follows": "≻",
	"similarequal": "≃", "owner": "∋", "triangleinv": "▽",
	"latticetop": "⊤", "unionmulti": "⊎", "turnstileleft": "⊢",
	"turnstileright": "⊣", "floorleft": "⌊", "floorright": "⌋",
	"ceilingleft": "⌈", "ceilingright": "⌉", "bardbl": "‖",
	"arrowbothv": "↕", "arrowdblbothv": "⇕", "wreathproduct": "≀",
	"coproduct": "⨿", "unionsq": "⊔", "intersectionsq": "⊓",
	"subsetsqequal": "⊑", "supersetsqequal": "⊒", "Rfractur": "ℜ",
	"Ifractur": "ℑ", "arrownortheast": "↗", "arrowsoutheast": "↘",
	"arrownorthwest": "↖", "arrowsouthwest": "↙", "radical": "√",
	// cmmi
	"epsilon1": "ε", "theta1": "ϑ", "pi1": "ϖ", "rho1": "ϱ", "sigma1": "ς",
	"phi1": "φ", "lscript": "ℓ", "harpoonleftup": "↼",
	"harpoonleftdown": "↽", "harpoonrightup": "⇀", "harpoonrightdown": "⇁",
	"star": "⋆", "dotlessj": "ȷ",
	// cmex bases (the sizes are stripped below)
	"summation": "∑", "product": "∏", "integral": "∫", "contintegral": "∮",
	"union": "⋃", "intersection": "⋂", "logicaland": "⋀", "logicalor": "⋁",
	"circleplusbig": "⨁", "circlemultiplybig": "⨂", "circledotbig": "⨀",
	"parenleft": "(", "parenright": ")", "bracketleft": "[",
	"bracketright": "]", "braceleft": "{", "braceright": "}",
	"slash": "/", "backslash": "\\",
}

// symbolPieces are the pieces of large delimiters, integrals and arrows
// (cmex, Adobe's Symbol font and their clones), and Symbol's sans and
// serif ®, ©, ™, which the Adobe Glyph List puts in the Private Use Area
// (U+F6D9–F6DB, U+F8E5–F8FE): a matrix's brackets then read as private-use characters and
// its page as garbled. Unicode has had the pieces since 3.2.
var symbolPieces = map[string]string{
	"parenlefttp": "⎛", "parenleftex": "⎜", "parenleftbt": "⎝",
	"parenrighttp": "⎞", "parenrightex": "⎟", "parenrightbt": "⎠",
	"bracketlefttp": "⎡", "bracketleftex": "⎢", "bracketleftbt": "⎣",
	"bracketrighttp": "⎤", "bracketrightex": "⎥", "bracketrightbt": "⎦",
	"bracelefttp": "⎧", "braceleftmid": "⎨", "braceleftbt": "⎩",
	"bracerighttp": "⎫", "bracerightmid": "⎬", "bracerightbt": "⎭",
	"braceex": "⎪", "integralex": "⎮", "arrowvertex": "⏐",
	"arrowhorizex": "⎯", "radicalex": "‾", "registersans": "®",
	"copyrightsans": "©", "trademarksans": "™", "registerserif": "®",
	"copyrightserif": "©", "trademarkserif": "™",
}

// texGlyph returns the text of a TeX glyph name, or false.
func texGlyph(name string) (string, bool) {
	if s, ok := texGlyphs[name]; ok {
		return s, true
	}
	for _, size := range [...]string{"Bigg", "bigg", "Big", "big", "text", "display"} {
		base, ok := strings.CutSuffix(name, size)
		if !ok || base == "" {
			continue
		}
		switch base {
		case "circleplus", "circlemultiply", "circledot":
			// The n-ary forms, not the binary operators.
			return texGlyphs[base+"big"], true
		case "coproduct":
			return "∐", true
		}
		if s, ok := texGlyphs[base]; ok {
			return s, true
		}
	}
	return "", false
}

// negationSlash is cmsy's \not, U+0338 COMBINING LONG SOLIDUS OVERLAY.
const negationSlash = "\u0338"
