package summarize

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/llsum/llsum/internal/langid"
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

// DetectLanguage guesses the language of text and returns its code, one of
// the --lang table's (see internal/langid: English, German, French,
// Italian, Portuguese, Spanish, Dutch, Hindi, Thai, Chinese, Japanese,
// Korean, Russian, Ukrainian, Arabic, Persian, Hebrew, Greek; English when
// unsure). Only the first 256 KiB are read.
func DetectLanguage(text string) string { return langid.Detect(text) }
