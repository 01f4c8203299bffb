package summarize

import (
	"fmt"
	"strings"
	"unicode"
)

// languages maps the codes --lang knows to the names the prompts use.
var languages = map[string]string{
	"ar": "Arabic", "bg": "Bulgarian", "cs": "Czech", "da": "Danish", "de": "German",
	"el": "Greek", "en": "English", "es": "Spanish", "fa": "Persian", "fi": "Finnish",
	"fr": "French", "he": "Hebrew", "hi": "Hindi", "hu": "Hungarian", "id": "Indonesian",
	"it": "Italian", "ja": "Japanese", "ko": "Korean", "nl": "Dutch", "no": "Norwegian",
	"pl": "Polish", "pt": "Portuguese", "ro": "Romanian", "ru": "Russian", "sv": "Swedish",
	"th": "Thai", "tr": "Turkish", "uk": "Ukrainian", "vi": "Vietnamese", "zh": "Chinese",
	"zh-hans": "Simplified Chinese", "zh-cn": "Simplified Chinese",
	"zh-hant": "Traditional Chinese", "zh-tw": "Traditional Chinese",
}

// resolveLang returns the code and name of the language to write in: lang
// as given ("auto" or "" detect it from sample), a code (en, zh, pt-BR) or
// a language's name in English ("Swahili").
func resolveLang(lang, sample string) (code, name string, err error) {
	l := strings.TrimSpace(lang)
	if l == "" || strings.EqualFold(l, "auto") {
		code = DetectLanguage(sample)
		return code, languages[code], nil
	}
	low := strings.ToLower(l)
	if n, ok := languages[low]; ok {
		return low, n, nil
	}
	if base, region, ok := strings.Cut(low, "-"); ok {
		if n, ok := languages[base]; ok && region != "" {
			return low, n + " (" + l + ")", nil
		}
	}
	for c, n := range languages {
		if strings.EqualFold(n, l) {
			return c, n, nil
		}
	}
	if len(l) > 3 && len(l) <= 40 && strings.IndexFunc(l, func(r rune) bool { return !unicode.IsLetter(r) && r != ' ' }) < 0 {
		return l, l, nil // a language named in full
	}
	return "", "", fmt.Errorf("unknown language %q (use auto, a code such as en or zh, or a language name)", lang)
}

// detectLimit is how many bytes of a text DetectLanguage reads.
const detectLimit = 256 << 10

// DetectLanguage guesses the language of text from the scripts of its
// letters. CJK documents carry much Latin (code, names, terms) while
// Latin-script ones rarely quote much CJK, so a text whose letters are at
// least 10 % Han, Kana or Hangul is Chinese, Japanese (a tenth of those
// Kana) or Korean (mostly Hangul); else one whose letters are at least 30 %
// Cyrillic, Arabic, Hebrew, Greek, Thai or Devanagari is Russian, Arabic,
// Hebrew, Greek, Thai or Hindi; else the Latin-script language among
// English, German, French, Spanish, Italian, Portuguese and Dutch whose
// commonest words occur most often, English when unsure. It returns a code
// of the --lang table. Only the first 256 KiB are read.
func DetectLanguage(text string) string {
	if len(text) > detectLimit {
		text = text[:detectLimit]
	}
	var han, kana, hangul, cyr, arabic, hebrew, greek, thai, deva, latin int
	for _, r := range text {
		switch {
		case r < 0x80:
			if r|0x20 >= 'a' && r|0x20 <= 'z' {
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
		case unicode.Is(unicode.Arabic, r):
			arabic++
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
		return code
	}
	return latinLanguage(text)
}

// commonWords are frequent words that tell Latin-script languages apart.
var commonWords = map[string][]string{
	"en": {"the", "and", "of", "is", "that", "with", "this", "are", "for", "it"},
	"de": {"der", "die", "und", "ist", "nicht", "mit", "das", "ein", "eine", "auf"},
	"fr": {"le", "les", "et", "est", "une", "dans", "des", "pour", "qui", "pas"},
	"es": {"el", "los", "las", "y", "es", "una", "por", "con", "para", "del"},
	"it": {"il", "di", "che", "è", "per", "una", "sono", "della", "gli", "non"},
	"pt": {"o", "os", "que", "não", "uma", "do", "da", "com", "em", "são"},
	"nl": {"het", "een", "van", "en", "niet", "dat", "voor", "met", "op", "zijn"},
}

// latinLanguage picks the Latin-script language whose common words occur
// most often in text; English when there is no clear sign of another.
func latinLanguage(text string) string {
	score := map[string]int{}
	for _, w := range strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return !unicode.IsLetter(r) }) {
		for code, words := range commonWords {
			for _, cw := range words {
				if w == cw {
					score[code]++
				}
			}
		}
	}
	best := "en"
	for _, code := range []string{"de", "fr", "es", "it", "pt", "nl"} {
		if score[code] > score[best]*5/4 && score[code] > score[best] {
			best = code
		}
	}
	return best
}
