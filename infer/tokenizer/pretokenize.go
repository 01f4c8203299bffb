package tokenizer

import (
	"unicode"
	"unicode/utf8"
)

// llama3Pattern is the Split pre-tokenizer regex of Llama 3.x tokenizer.json
// files. Go's regexp cannot express its lookahead (`\s+(?!\S)`), so
// nextPiece implements it by hand; the pattern is only compared at load time.
const llama3Pattern = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`

// Character classes of the pre-tokenizer regex.
const (
	clsOther   uint8 = iota // [^\s\p{L}\p{N}]
	clsLetter               // \p{L}
	clsNumber               // \p{N}
	clsSpace                // \s except \r and \n
	clsNewline              // \r or \n
)

// asciiClass classifies the ASCII bytes.
var asciiClass = func() (t [utf8.RuneSelf]uint8) {
	for c := 0; c < utf8.RuneSelf; c++ {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
			t[c] = clsLetter
		case c >= '0' && c <= '9':
			t[c] = clsNumber
		case c == '\r' || c == '\n':
			t[c] = clsNewline
		case c == ' ' || (c >= '\t' && c <= '\f'):
			t[c] = clsSpace
		default:
			t[c] = clsOther
		}
	}
	return t
}()

// isWhiteSpace reports whether r is in \s of the regex engines the Hugging
// Face tokenizers use (Oniguruma, Rust regex): the Unicode White_Space
// property.
func isWhiteSpace(r rune) bool {
	switch {
	case r < utf8.RuneSelf:
		return asciiClass[r] >= clsSpace
	case r == 0x85, r == 0xA0, r == 0x1680, r >= 0x2000 && r <= 0x200A,
		r == 0x2028, r == 0x2029, r == 0x202F, r == 0x205F, r == 0x3000:
		return true
	}
	return false
}

// classAt returns the class and byte width of the rune starting at s[i].
func classAt(s string, i int) (uint8, int) {
	c := s[i]
	if c < utf8.RuneSelf {
		return asciiClass[c], 1
	}
	r, w := utf8.DecodeRuneInString(s[i:])
	switch {
	case unicode.IsLetter(r):
		return clsLetter, w
	case unicode.IsNumber(r):
		return clsNumber, w
	case isWhiteSpace(r):
		return clsSpace, w
	}
	return clsOther, w
}

// scanClass returns the end of the run of runes of class cls starting at i.
func scanClass(s string, i int, cls uint8) int {
	for i < len(s) {
		if c := s[i]; c < utf8.RuneSelf {
			if asciiClass[c] != cls {
				return i
			}
			i++
			continue
		}
		k, w := classAt(s, i)
		if k != cls {
			return i
		}
		i += w
	}
	return i
}

// scanNewlines returns the end of the run of '\r' and '\n' starting at i.
func scanNewlines(s string, i int) int {
	for i < len(s) && (s[i] == '\r' || s[i] == '\n') {
		i++
	}
	return i
}

// contraction returns the length of a match of (?i:'s|'t|'re|'ve|'m|'ll|'d)
// at s[i] (which is an apostrophe), or 0.
func contraction(s string, i int) int {
	rest := s[i+1:]
	if len(rest) == 0 {
		return 0
	}
	switch rest[0] | 0x20 {
	case 's', 't', 'm', 'd':
		return 2
	case 'r', 'v':
		if len(rest) > 1 && rest[1]|0x20 == 'e' {
			return 3
		}
	case 'l':
		if len(rest) > 1 && rest[1]|0x20 == 'l' {
			return 3
		}
	}
	// U+017F LATIN SMALL LETTER LONG S case-folds to 's'.
	if len(rest) > 1 && rest[0] == 0xC5 && rest[1] == 0xBF {
		return 3
	}
	return 0
}

// nextPiece returns the end of the pre-token that starts at s[i] (i <
// len(s)), matching the Llama 3 pattern with leftmost-first alternation:
//
//	(?i:'s|'t|'re|'ve|'m|'ll|'d)
//	|[^\r\n\p{L}\p{N}]?\p{L}+
//	|\p{N}{1,3}
//	| ?[^\s\p{L}\p{N}]+[\r\n]*
//	|\s*[\r\n]+
//	|\s+(?!\S)
//	|\s+
//
// Every rune matches one of the alternatives, so the pieces tile s. Each
// call does work proportional to the piece it returns (plus one rune of
// look-ahead), so splitting is linear in len(s).
func nextPiece(s string, i int) int {
	if s[i] == '\'' {
		if n := contraction(s, i); n > 0 {
			return i + n
		}
	}
	cls, w := classAt(s, i)
	j := i + w
	switch cls {
	case clsLetter:
		return scanClass(s, j, clsLetter)
	case clsNumber:
		for n := 1; n < 3 && j < len(s); n++ {
			k, w := classAt(s, j)
			if k != clsNumber {
				break
			}
			j += w
		}
		return j
	case clsOther:
		if j < len(s) {
			if k, _ := classAt(s, j); k == clsLetter {
				return scanClass(s, j, clsLetter)
			}
		}
		return scanNewlines(s, scanClass(s, j, clsOther))
	}
	// Whitespace.
	if j < len(s) && cls == clsSpace {
		next, _ := classAt(s, j)
		if next == clsLetter { // [^\r\n\p{L}\p{N}]?\p{L}+
			return scanClass(s, j, clsLetter)
		}
		if next == clsOther && s[i] == ' ' { // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
			return scanNewlines(s, scanClass(s, j, clsOther))
		}
	}
	// The whitespace run [i, end): remember where its last newline ends and
	// where its last rune starts.
	end, lastNL, lastStart := i, -1, i
	for end < len(s) {
		k, w := classAt(s, end)
		if k < clsSpace {
			break
		}
		if k == clsNewline {
			lastNL = end + w
		}
		lastStart = end
		end += w
	}
	switch {
	case lastNL >= 0: // \s*[\r\n]+
		return lastNL
	case end == len(s): // \s+(?!\S) at the end of the text
		return end
	case lastStart > i: // \s+(?!\S): leave the last space to the next word
		return lastStart
	}
	return end // \s+
}
