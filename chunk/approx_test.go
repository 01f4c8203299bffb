package chunk

import (
	"unicode"
	"unicode/utf8"
)

const (
	classSpace = iota
	classLetter
	classDigit
	classOther
)

// asciiClass classifies ASCII characters for ApproxTokens.
var asciiClass = func() (c [utf8.RuneSelf]byte) {
	for r := range c {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
			c[r] = classLetter
		case r >= '0' && r <= '9':
			c[r] = classDigit
		case unicode.IsSpace(rune(r)):
			c[r] = classSpace
		default:
			c[r] = classOther
		}
	}
	return c
}()

// ApproxTokens is a test counter: it estimates the number of tokens a
// byte-level BPE tokenizer of the Llama 3 kind gives text, without a
// vocabulary, closer to a real tokenizer than the extractive backend's
// bytes/3 (which the tests use too). It errs on the high side:
//
//   - a run of Latin letters takes one token per 4 letters, rounded up; a
//     run of letters of other alphabetic scripts (Cyrillic, Greek, Arabic,
//     Thai, ...) one per 2;
//   - a run of digits takes one token per 3 digits (Llama 3 splits numbers
//     in groups of three);
//   - each Han, Kana or Hangul character takes one token;
//   - each other visible character (punctuation, symbols) takes one token;
//   - a single space is free (it joins the next word); any other run of
//     whitespace takes one token.
//
// English prose comes out about 20–30 % above Llama 3's count, Chinese
// about the same as it. The count is additive up to rounding at the ends
// of runs.
func ApproxTokens(text string) int {
	n := 0
	latin, other, digits, space := 0, 0, 0, 0
	flush := func() {
		n += (latin+3)/4 + (other+1)/2 + (digits+2)/3
		if space > 1 {
			n++
		}
		latin, other, digits, space = 0, 0, 0, 0
	}
	for i := 0; i < len(text); {
		r, size := rune(text[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(text[i:])
		}
		i += size
		switch {
		case r < utf8.RuneSelf && asciiClass[r] == classLetter:
			if digits > 0 || space > 0 {
				flush()
			}
			latin++
		case r < utf8.RuneSelf && asciiClass[r] == classDigit:
			if latin+other > 0 || space > 0 {
				flush()
			}
			digits++
		case r < utf8.RuneSelf && asciiClass[r] == classOther:
			flush()
			n++
		case unicode.IsSpace(r):
			if space == 0 {
				flush()
			}
			space++
			if r == '\n' && space == 1 {
				space = 2 // a newline is a token of its own
			}
		case unicode.IsMark(r):
			// combining marks belong to the letter before them
		case isCJK(r) || unicode.Is(unicode.Hangul, r):
			flush()
			n++
		case unicode.IsLetter(r):
			if digits > 0 || space > 0 {
				flush()
			}
			if r < 0x250 {
				latin++
			} else {
				other++
			}
		case unicode.IsDigit(r):
			if latin+other > 0 || space > 0 {
				flush()
			}
			digits++
		default:
			flush()
			n++
		}
	}
	flush()
	return n
}
