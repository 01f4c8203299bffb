// Package langid guesses the language of a text: from the scripts of its
// letters, and for Latin-script text from its commonest words. It names
// English, German, French, Italian, Portuguese, Spanish, Dutch, Hindi,
// Thai, Chinese, Japanese, Korean, Russian, Ukrainian, Arabic, Persian,
// Hebrew and Greek, by ISO 639-1 code.
package langid

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limit is how many bytes of a text Detect reads.
const Limit = 256 << 10

// Detect guesses the language of text and returns its code.
//
// CJK documents carry much Latin (code, names, terms) while Latin-script
// ones rarely quote much CJK, so a text whose letters are at least 10 %
// Han, Kana or Hangul is Chinese, Japanese (a tenth of those Kana) or
// Korean (mostly Hangul). Else one whose letters are at least 30 % of one
// other script is Russian (Ukrainian with its own letters і ї є ґ), Arabic
// (Persian with پ چ ژ گ ی ک), Hebrew, Greek, Thai or Hindi (Devanagari). Else
// it is the Latin-script language among English, German, French, Spanish,
// Italian, Portuguese and Dutch whose commonest words occur most often,
// English when unsure. Only the first Limit bytes are read.
func Detect(text string) string {
	if len(text) > Limit {
		n := Limit
		for n > 0 && !utf8.RuneStart(text[n]) {
			n--
		}
		text = text[:n]
	}
	var han, kana, hangul, cyr, ukr, arabic, persian, hebrew, greek, thai, deva, latin int
	for _, r := range text {
		switch {
		case r < 0x80:
			if r|0x20 >= 'a' && r|0x20 <= 'z' {
				latin++
			}
		case r < 0x250:
			if unicode.IsLetter(r) {
				latin++
			}
		case unicode.Is(unicode.Han, r):
			han++
		case unicode.In(r, unicode.Hiragana, unicode.Katakana):
			kana++
		case unicode.Is(unicode.Hangul, r):
			hangul++
		case unicode.Is(unicode.Cyrillic, r):
			cyr++
			if strings.ContainsRune("іїєґІЇЄҐ", r) {
				ukr++
			}
		case unicode.Is(unicode.Arabic, r):
			arabic++
			if strings.ContainsRune("پچژگیک", r) {
				persian++
			}
		case unicode.Is(unicode.Hebrew, r):
			hebrew++
		case unicode.Is(unicode.Greek, r):
			greek++
		case unicode.Is(unicode.Thai, r):
			thai++
		case unicode.Is(unicode.Devanagari, r):
			deva++
		case unicode.Is(unicode.Latin, r):
			latin++
		}
	}
	letters := latin + han + kana + hangul + cyr + arabic + hebrew + greek + thai + deva
	if cjk := han + kana + hangul; cjk > 0 && cjk*10 >= letters {
		switch {
		case hangul >= han+kana:
			return "ko"
		case kana*10 >= han+kana:
			return "ja"
		}
		return "zh"
	}
	best, code := 0, ""
	for _, s := range []struct {
		n    int
		code string
	}{{cyr, "ru"}, {arabic, "ar"}, {hebrew, "he"}, {greek, "el"}, {thai, "th"}, {deva, "hi"}} {
		if s.n > best {
			best, code = s.n, s.code
		}
	}
	if best > 0 && best*10 >= letters*3 {
		switch {
		case code == "ru" && ukr*50 >= cyr:
			return "uk"
		case code == "ar" && persian*100 >= arabic:
			return "fa"
		}
		return code
	}
	return latinLanguage(text)
}

// latinCodes are the Latin-script languages latinLanguage tells apart, in
// the order ties are broken.
var latinCodes = []string{"en", "de", "fr", "es", "it", "pt", "nl"}

// commonWords are frequent words of each Latin-script language.
var commonWords = map[string]string{
	"en": "the and of is that with this are for it to in be on not you by was have from which",
	"de": "der die und ist nicht mit das ein eine auf den dem des sich auch wird werden zu im für von oder",
	"fr": "le les et est une dans des pour qui pas du au sur sont avec ce cette il vous être par ou",
	"es": "el los las y es una por con para del se que no está son como más pero sus al lo o",
	"it": "il di che è per una sono della gli non del delle con si anche da nel alla questo come",
	"pt": "o os que não uma do da com em são para se por dos das mais no na ao é ou",
	"nl": "het een van en niet dat voor met op zijn te ook wordt deze",
}

// wordWeights maps a common word to its weight in each language: 1 shared
// by the languages that list it.
var wordWeights = func() map[string][]float64 {
	m := map[string][]float64{}
	for i, code := range latinCodes {
		for _, w := range strings.Fields(commonWords[code]) {
			if m[w] == nil {
				m[w] = make([]float64, len(latinCodes))
			}
			m[w][i] = 1
		}
	}
	for _, ws := range m {
		n := 0.0
		for _, x := range ws {
			n += x
		}
		for i := range ws {
			ws[i] /= n
		}
	}
	return m
}()

// latinLanguage picks the Latin-script language whose common words occur
// most often in text; English when there is no clear sign of another.
func latinLanguage(text string) string {
	score := make([]float64, len(latinCodes))
	var buf [32]byte
	for _, w := range strings.FieldsFunc(text, func(r rune) bool { return !unicode.IsLetter(r) }) {
		if len(w) > len(buf) {
			continue
		}
		lw := buf[:0]
		for _, r := range w {
			lw = utf8.AppendRune(lw, unicode.ToLower(r))
		}
		if ws, ok := wordWeights[string(lw)]; ok {
			for i, x := range ws {
				score[i] += x
			}
		}
	}
	best := 0
	for i := 1; i < len(latinCodes); i++ {
		if score[i] > score[best]*5/4 && score[i] > score[best] {
			best = i
		}
	}
	return latinCodes[best]
}
