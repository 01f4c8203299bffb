// Package textmetric measures extracted text against a reference the way
// llsum's PDF corpus is scored: NFKC, lowercase, tokens split on anything
// that is not a letter, digit or mark, each Han/Kana character a token of
// its own; F1 of the multiset overlap of tokens (word-F1) and of adjacent
// token pairs (bigram-F1); CJK survival is the share of the reference's
// Han/Kana/Hangul characters found in the output.
package textmetric

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Tokens splits s into scoring tokens.
func Tokens(s string) []string {
	s = strings.ToLower(norm.NFKC.String(s))
	var toks []string
	start := -1
	for i, r := range s {
		switch {
		case isHanKana(r):
			if start >= 0 {
				toks = append(toks, s[start:i])
				start = -1
			}
			toks = append(toks, string(r))
		case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r):
			if start < 0 {
				start = i
			}
		default:
			if start >= 0 {
				toks = append(toks, s[start:i])
				start = -1
			}
		}
	}
	if start >= 0 {
		toks = append(toks, s[start:])
	}
	return toks
}

func isHanKana(r rune) bool {
	return unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) || unicode.Is(unicode.Katakana, r)
}

// IsCJK reports whether r is a Han, Kana or Hangul character.
func IsCJK(r rune) bool { return isHanKana(r) || unicode.Is(unicode.Hangul, r) }

// F1 is the F1 score of the multiset overlap of got against ref. Two empty
// lists score 1.
func F1(ref, got []string) float64 {
	if len(ref) == 0 && len(got) == 0 {
		return 1
	}
	if len(ref) == 0 || len(got) == 0 {
		return 0
	}
	counts := make(map[string]int, len(ref))
	for _, t := range ref {
		counts[t]++
	}
	common := 0
	for _, t := range got {
		if counts[t] > 0 {
			counts[t]--
			common++
		}
	}
	if common == 0 {
		return 0
	}
	p := float64(common) / float64(len(got))
	r := float64(common) / float64(len(ref))
	return 2 * p * r / (p + r)
}

// Bigrams returns the adjacent pairs of toks.
func Bigrams(toks []string) []string {
	if len(toks) < 2 {
		return nil
	}
	out := make([]string, len(toks)-1)
	for i := range out {
		out[i] = toks[i] + "\x00" + toks[i+1]
	}
	return out
}

// Score holds the three measures of one text against its reference.
type Score struct {
	WordF1, BigramF1 float64
	// CJKRef is the number of CJK characters in the reference; CJKKept how
	// many of them (as a multiset) the text has.
	CJKRef, CJKKept int
}

// CJKSurvival is CJKKept/CJKRef, or 1 when the reference has none.
func (s Score) CJKSurvival() float64 {
	if s.CJKRef == 0 {
		return 1
	}
	return float64(s.CJKKept) / float64(s.CJKRef)
}

// Compare scores got against ref.
func Compare(ref, got string) Score {
	rt, gt := Tokens(ref), Tokens(got)
	s := Score{WordF1: F1(rt, gt), BigramF1: F1(Bigrams(rt), Bigrams(gt))}
	counts := map[rune]int{}
	for _, r := range norm.NFKC.String(got) {
		if IsCJK(r) {
			counts[r]++
		}
	}
	for _, r := range norm.NFKC.String(ref) {
		if IsCJK(r) {
			s.CJKRef++
			if counts[r] > 0 {
				counts[r]--
				s.CJKKept++
			}
		}
	}
	return s
}
