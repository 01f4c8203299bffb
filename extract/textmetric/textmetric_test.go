package textmetric

import (
	"math"
	"reflect"
	"testing"
)

func TestTokens(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"Hello, World!", []string{"hello", "world"}},
		{"ﬁle naïve", []string{"file", "naïve"}},
		{"日本語 text", []string{"日", "本", "語", "text"}},
		{"한국어 x2", []string{"한국어", "x2"}},
		{"", nil},
	}
	for _, tt := range tests {
		if got := Tokens(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Tokens(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCompare(t *testing.T) {
	tests := []struct {
		ref, got     string
		word, bigram float64
		cjk          float64
	}{
		{"a b c d", "a b c d", 1, 1, 1},
		{"a b c d", "d c b a", 1, 0, 1},
		{"a b c d", "", 0, 0, 1},
		{"a b", "a b c d", 2 * 0.5 / 1.5, 2 * (1.0 / 3) / (1 + 1.0/3), 1},
		{"中文字", "中文", 0.8, 2 * 1 * 0.5 / 1.5, 2.0 / 3},
	}
	for _, tt := range tests {
		s := Compare(tt.ref, tt.got)
		if math.Abs(s.WordF1-tt.word) > 1e-9 || math.Abs(s.BigramF1-tt.bigram) > 1e-9 || math.Abs(s.CJKSurvival()-tt.cjk) > 1e-9 {
			t.Errorf("Compare(%q, %q) = %+v (cjk %.3f), want %v %v %v", tt.ref, tt.got, s, s.CJKSurvival(), tt.word, tt.bigram, tt.cjk)
		}
	}
}
