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
