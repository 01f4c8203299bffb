package segment

import (
	"slices"
	"strings"
	"testing"
)

// TestSentences covers the scripts and rules the golden files do not.
func TestSentences(t *testing.T) {
	tests := []struct {
		name, lang, in string
		want           []string
	}{
		{"khmer khan", "", "ខ្ញុំស្រឡាញ់ភាសាខ្មែរ។ វាជាភាសាដ៏ស្រស់ស្អាតណាស់។",
			[]string{"ខ្ញុំស្រឡាញ់ភាសាខ្មែរ។", "វាជាភាសាដ៏ស្រស់ស្អាតណាស់។"}},
		{"myanmar section mark", "", "မြန်မာစကား။ ဒါဟာ လွယ်ကူပါတယ်။",
			[]string{"မြန်မာစကား။", "ဒါဟာ လွယ်ကူပါတယ်။"}},
		{"lao space", "", "ພາສາລາວເປັນພາສາທີ່ສວຍງາມ ຂ້ອຍມັກຮຽນພາສາລາວຫຼາຍ",
			[]string{"ພາສາລາວເປັນພາສາທີ່ສວຍງາມ", "ຂ້ອຍມັກຮຽນພາສາລາວຫຼາຍ"}},
		{"thai line break is no sentence end", "th", "การเชื่อมต่อของคุณไปยัง\nไซต์นี้ไม่เป็นส่วนตัว",
			[]string{"การเชื่อมต่อของคุณไปยังไซต์นี้ไม่เป็นส่วนตัว"}},
		{"chinese", "", "今天天气很好。我们去公园吧！你来吗？",
			[]string{"今天天气很好。", "我们去公园吧！", "你来吗？"}},
		{"opening bracket after a full stop", "", "这是第一句。「这是第二句。」",
			[]string{"这是第一句。", "「这是第二句。」"}},
		{"full-width period", "", "これはペンです．あれは本です．",
			[]string{"これはペンです．", "あれは本です．"}},
		{"korean", "", "안녕하세요. 이 문서는 한국어로 작성되었습니다.",
			[]string{"안녕하세요.", "이 문서는 한국어로 작성되었습니다."}},
		{"russian abbreviations", "ru", "Это т.е. пример. См. стр. 5 ниже. Готово.",
			[]string{"Это т.е. пример.", "См. стр. 5 ниже.", "Готово."}},
		{"arabic question mark", "", "هذا نص عربي. هذه جملة ثانية؟ نعم",
			[]string{"هذا نص عربي.", "هذه جملة ثانية؟", "نعم"}},
		{"url with a question mark and a final period", "en", "Open https://example.org/a?b=1&c=2. Then wait!",
			[]string{"Open https://example.org/a?b=1&c=2.", "Then wait!"}},
		{"www url", "en", "See www.debian.org/doc?x. Done.",
			[]string{"See www.debian.org/doc?x.", "Done."}},
		{"ellipsis before lower case", "en", "Wait... what happened? Nothing.",
			[]string{"Wait... what happened?", "Nothing."}},
		{"quoted terminator", "en", `He said "stop." She left.`,
			[]string{`He said "stop."`, "She left."}},
		{"form feed ends a paragraph", "en", "page one\fpage two",
			[]string{"page one", "page two"}},
		{"crlf", "en", "One line.\r\nTwo lines.\r\n",
			[]string{"One line.", "Two lines."}},
		{"stray punctuation joins the sentence before", "en", "It works.\n\n...",
			[]string{"It works...."}},
		{"empty", "", " \n\n ", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Sentences(tt.in, tt.lang); !slices.Equal(got, tt.want) {
				t.Fatalf("Sentences(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestSpans checks that spans are trimmed, in order and within the text,
// and that Starts agrees with them.
func TestSpans(t *testing.T) {
	text := "  First one.  Second\none!\n\n# Head\nLast "
	spans := Split(text, "en")
	want := []string{"First one.", "Second\none!", "# Head", "Last"}
	if len(spans) != len(want) {
		t.Fatalf("spans %v", spans)
	}
	starts := Starts(text, "en")
	for i, sp := range spans {
		if got := text[sp.Start:sp.End]; got != want[i] {
			t.Errorf("span %d = %q, want %q", i, got, want[i])
		}
		if starts[i] != sp.Start {
			t.Errorf("start %d = %d, span starts at %d", i, starts[i], sp.Start)
		}
		if sp.Heading != strings.HasPrefix(want[i], "#") {
			t.Errorf("span %d heading = %v", i, sp.Heading)
		}
	}
}

// FuzzSplit checks that spans are ordered, non-empty, trimmed and within
// the text, whatever the input.
func FuzzSplit(f *testing.F) {
	for _, s := range []string{"Dr. A. B. went home. Fine!", "यह है। वह", "ภาษาไทย ภาษาไทยยาวมากมาก", "a.\n\nb?\f# c", "\xff.\xfe "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		prev := 0
		for _, sp := range Split(text, "") {
			if sp.Start < prev || sp.End <= sp.Start || sp.End > len(text) {
				t.Fatalf("bad span %v after %d in %q", sp, prev, text)
			}
			if s := text[sp.Start:sp.End]; strings.TrimSpace(s) != s {
				t.Fatalf("untrimmed span %q", s)
			}
			prev = sp.End
		}
	})
}
