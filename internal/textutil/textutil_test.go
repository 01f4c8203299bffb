package textutil

import "testing"

func TestOneLine(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"plain", "plain"},
		{"  a\n\tb \r\n c  ", "a b c"},
		{"nul\x00byte", "nulbyte"},
		{"x \x00 y", "x y"},
		{"\u00a0wide\u2003space\u00a0", "wide space"},
		{"ünï\ncødé", "ünï cødé"},
	} {
		if got := OneLine(tc.in); got != tc.want {
			t.Errorf("OneLine(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestOneLineMax(t *testing.T) {
	for _, tc := range []struct {
		in   string
		max  int
		want string
	}{
		{"short", 10, "short"},
		{"exactly10!", 10, "exactly10!"},
		{"a\nb\nc\nd", 3, "a b…"},
		{"ééééé", 2, "éé…"},
		{"", 5, ""},
		{"abc", 0, "…"},
		{"abc", -1, "…"},
	} {
		if got := OneLineMax(tc.in, tc.max); got != tc.want {
			t.Errorf("OneLineMax(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
		}
	}
}

func TestEscapeControl(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"plain/path é 中.pdf", "plain/path é 中.pdf"},
		{"a\nllsum: ok forged.pdf", `a\nllsum: ok forged.pdf`},
		{"x\x1b[2Jy", `x\x1b[2Jy`},
		{"tab\there\r", `tab\there\r`},
		{"rtl\u202eftp.exe", `rtl\u202eftp.exe`},
		{"bad\xffbyte", `bad\xffbyte`},
		{"c1\u0085", `c1\x85`},
	} {
		if got := EscapeControl(tt.in); got != tt.want {
			t.Errorf("EscapeControl(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestPluralFirstLine(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want string
	}{{0, "pages"}, {1, "page"}, {2, "pages"}} {
		if got := Plural(tc.n, "page", "pages"); got != tc.want {
			t.Errorf("Plural(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
	for in, want := range map[string]string{"": "", "one": "one", "a\nb": "a", "a\r\nb": "a", "\nb": ""} {
		if got := FirstLine(in); got != want {
			t.Errorf("FirstLine(%q) = %q, want %q", in, got, want)
		}
	}
}
