package openai

import (
	"unicode"
	"unicode/utf8"

	"github.com/llsum/llsum/infer"
)

// Token counting without the server's tokenizer.
//
// The server tokenizes with its own vocabulary, which llsum does not have
// unless a local tokenizer is configured. approxTokens estimates the count
// from the text's characters so that it errs on the high side: chunks sized
// with it fit the context window, at the price of being smaller than they
// could be. Measured against the Llama 3 tokenizer reference vectors
// (../shared/vectors, 209 strings of prose, CJK, Arabic, Hindi, emoji, code,
// numbers, whitespace, URLs, PDF ligatures and odd Unicode) it is never below
// the true count, and is about 1.9x the true count on English documents and
// 2.4x on Chinese/Japanese/Korean (see approx_test.go). The rules:
//
//   - a run of ASCII letters: 1 token per 3 letters (rounded up), or 1 per 2
//     when the run is longer than 12 letters (identifiers, base64, hashes);
//   - each ASCII digit: 1 token (Llama 3 groups up to three digits, older
//     SentencePiece vocabularies split every digit);
//   - each other ASCII character (punctuation, symbols, controls): 1 token;
//   - a single space before a letter or punctuation: 0 (BPE merges it into
//     the next token); any other run of whitespace: 1 token per 4 characters;
//   - other characters by their UTF-8 length: 2 bytes 1.5 tokens (2 for
//     combining marks), 3 bytes 2 tokens in Han, Kana, Hangul and Devanagari
//     and 3 elsewhere (rare symbols fall back to one token per byte), 4 bytes
//     4 tokens.
//
// A rendered chat adds the template's special tokens and headers:
// approxChatOverhead per conversation (BOS, the assistant header a generation
// prompt opens, and the date header some templates put in the system block)
// and approxMessageOverhead per message around the role name.
const (
	approxChatOverhead    = 32
	approxMessageOverhead = 6
)

// approxChatTokens estimates the tokens of a rendered chat; see approxTokens.
func approxChatTokens(msgs []infer.Message) int {
	n := approxChatOverhead
	for _, m := range msgs {
		n += approxMessageOverhead + approxTokens(m.Role) + approxTokens(m.Content)
	}
	return n
}

// approxTokens returns a high estimate of the number of tokens s takes.
func approxTokens(s string) int {
	half := 0 // counted in half tokens so that 2-byte runes can cost 1.5
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case isASCIILetter(c):
			j := i
			for j < len(s) && isASCIILetter(s[j]) {
				j++
			}
			n := j - i
			if n <= 12 {
				half += 2 * ((n + 2) / 3)
			} else {
				half += 2 * ((n + 1) / 2)
			}
			i = j
		case isASCIISpace(c):
			j := i
			for j < len(s) && isASCIISpace(s[j]) {
				j++
			}
			n := j - i
			merged := n == 1 && c == ' ' && j < len(s) && !isASCIIDigit(s[j])
			if !merged {
				half += 2 * ((n + 3) / 4)
			}
			i = j
		case c < utf8.RuneSelf:
			half += 2
			i++
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			half += runeHalfTokens(r, size)
			i += size
		}
	}
	return (half + 1) / 2
}

// runeHalfTokens is the cost, in half tokens, of one non-ASCII rune of size
// UTF-8 bytes.
func runeHalfTokens(r rune, size int) int {
	switch size {
	case 1: // invalid UTF-8 byte
		return 2
	case 2:
		if unicode.Is(unicode.Mn, r) {
			return 4
		}
		return 3
	case 3:
		if unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul, unicode.Devanagari) {
			return 4
		}
		return 6
	default:
		return 8
	}
}

func isASCIILetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }
func isASCIIDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isASCIISpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}
