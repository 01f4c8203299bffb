package extract

import (
	"errors"
	"strings"
	"testing"
)

func TestCleanPage(t *testing.T) {
	tests := []struct{ in, want string }{
		{"a\r\nb\rc", "a\nb\nc"},
		{"ﬁnd the ﬂow", "find the flow"},
		{"extrac-\ntion rest", "extraction\nrest"},
		{"extrac-\ntion", "extraction"},
		{"well-\nKnown", "well-\nKnown"},
		{"1990-\n2000", "1990-\n2000"},
		{"soft\x02\nhyphen", "softhyphen"},
		{"a  b\t\n\n\n\nc  ", "a b\n\nc"},
		{"x\x00y\x07z", "xyz"},
		{"", ""},
		{"上下文⻓度", "上下文长度"},
	}
	for _, tt := range tests {
		if got := cleanPage(tt.in); got != tt.want {
			t.Errorf("cleanPage(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFewSpaces(t *testing.T) {
	long := ""
	for i := 0; i < 30; i++ {
		long += "HowcanIcaptureorignoreerrors "
	}
	normal := ""
	for i := 0; i < 60; i++ {
		normal += "How can I capture errors "
	}
	if !fewSpaces(long) || fewSpaces(normal) {
		t.Errorf("fewSpaces: run-together %v, normal %v", fewSpaces(long), fewSpaces(normal))
	}
	cjk := ""
	for i := 0; i < 100; i++ {
		cjk += "中文文本没有空格"
	}
	if fewSpaces(cjk) {
		t.Error("CJK flagged")
	}
}

func TestLayoutRTL(t *testing.T) {
	// Glyphs of "שלום 12" drawn left to right (visual order).
	gl := []glyph{
		{s: "1", x: 0, w: 5, size: 10}, {s: "2", x: 5, w: 5, size: 10},
		{s: "ם", x: 15, w: 5, size: 10}, {s: "ו", x: 20, w: 5, size: 10}, {s: "ל", x: 25, w: 5, size: 10}, {s: "ש", x: 30, w: 5, size: 10},
	}
	if got := layoutText(gl, rect{}, nil); got != "שלום 12" {
		t.Errorf("got %q", got)
	}
	lr := []glyph{{s: "a", x: 0, w: 5, size: 10}, {s: "b", x: 5, w: 5, size: 10}, {s: "c", x: 13, w: 5, size: 10}, {s: "d", x: 0, y: -14, w: 5, size: 10}}
	if got := layoutText(lr, rect{}, nil); got != "ab c\nd" {
		t.Errorf("got %q", got)
	}
}

func TestPoorPage(t *testing.T) {
	lines := strings.Repeat("G\nr\ni\n", 10)
	moji := strings.Repeat("-MBNB£©NmT.FUBì'nâ-MBNBÅÇm×m;÷ufÌm~A# ", 5)
	tests := []struct {
		text string
		err  error
		want string
	}{
		{"Fine text with normal words in it.", nil, ""},
		{"", nil, "empty page"},
		{"x", errors.New("boom"), "page error"},
		{lines, nil, "text broken into one-glyph lines"},
		{moji, nil, "text looks undecoded (no Unicode mapping)"},
		{strings.Repeat("中文文本没有空格。", 40), nil, ""},
	}
	for _, tt := range tests {
		if got := poorPage(tt.text, tt.err); got != tt.want {
			t.Errorf("poorPage(%.30q) = %q, want %q", tt.text, got, tt.want)
		}
	}
}
