// Package tokenizer encodes and decodes text exactly like the Hugging Face
// tokenizer of a Llama 3.x model (byte-level BPE, tokenizer.json), in pure Go.
//
// Load reads tokenizer.json (and tokenizer_config.json and
// generation_config.json beside it). A Tokenizer is immutable and safe for
// concurrent use.
//
// Two ways to encode:
//
//   - Ordinary text (EncodeOrdinary, Count, or Encode without Special): the
//     text is never parsed for special tokens, so a document containing the
//     literal string "<|eot_id|>" or "<|start_header_id|>" gets the ids of
//     that text, not the control tokens. Use this for all document text.
//   - Special-aware (Encode with Special): occurrences of added-token strings
//     become their ids, like the Hugging Face default. Use this only for text
//     llsum itself built, such as a rendered chat template.
//
// Invalid UTF-8 is repaired (U+FFFD per maximal ill-formed subpart) before
// encoding. Time is linear in the input (n log n for a single huge word).
package tokenizer

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
)

// Tokenizer is a loaded byte-level BPE tokenizer.
type Tokenizer struct {
	vocab        *vocabTable // raw bytes of a vocab token -> id
	merges       *mergeTable // pairKey(left, right) -> rule
	byteID       [256]int32  // id of each single-byte token
	ignoreMerges bool        // look whole pre-tokens up in vocab first

	tokens    []string // id -> raw bytes (vocab) or content (added tokens)
	known     []bool   // id is defined
	isSpecial []bool   // id is an added token marked special

	special      map[string]int32 // added-token content -> id
	specialFirst [256]bool        // first bytes of added tokens
	specialLens  []int            // distinct added-token lengths, longest first

	prefix, suffix []int // post-processor tokens around a sequence (BOS)

	bos          int
	eos          []int
	bosToken     string
	eosToken     string
	chatTemplate string

	caches sync.Pool // of *wordCache
}

// EncodeOptions selects how Encode treats its input.
type EncodeOptions struct {
	// AddSpecial adds the post-processor's tokens (for Llama 3: BOS, never
	// EOS), like add_special_tokens=True.
	AddSpecial bool
	// Special parses added-token strings such as "<|eot_id|>" in the text
	// into their ids. Never set it for text taken from documents.
	Special bool
	// Literal lists byte ranges [start, end) of the text in which Special
	// does not apply: a rendered chat prompt passes the ranges of its
	// message contents (see chat.Prompt), so that only the template's own
	// structure yields special tokens. Ranges must not overlap.
	Literal [][2]int
}

// Encode returns the token ids of text (invalid UTF-8 repaired first).
func (t *Tokenizer) Encode(text string, opts EncodeOptions) []int {
	literal := opts.Literal
	if opts.Special && len(literal) > 0 {
		text, literal = repairSpans(text, literal)
	} else {
		text = validUTF8(text)
	}
	out := make([]int, 0, len(text)/4+len(t.prefix)+len(t.suffix)+1)
	if opts.AddSpecial {
		out = append(out, t.prefix...)
	}
	if opts.Special {
		out = t.appendSpecialAware(out, text, literal)
	} else {
		out = t.appendOrdinary(out, text)
	}
	if opts.AddSpecial {
		out = append(out, t.suffix...)
	}
	return out
}

// EncodeOrdinary returns the ids of text as ordinary text: no BOS, and
// special-token strings in it stay text. It is what document text needs.
func (t *Tokenizer) EncodeOrdinary(text string) []int {
	return t.Encode(text, EncodeOptions{})
}

// Count returns len(EncodeOrdinary(text)).
func (t *Tokenizer) Count(text string) int {
	text = validUTF8(text)
	c := t.caches.Get().(*wordCache)
	defer t.caches.Put(c)
	n := 0
	buf := make([]int, 0, 64)
	for i := 0; i < len(text); {
		j := nextPiece(text, i)
		buf = t.appendCached(c, buf[:0], text[i:j])
		n += len(buf)
		i = j
	}
	return n
}

// appendOrdinary appends the ids of valid UTF-8 text, without parsing
// special tokens.
func (t *Tokenizer) appendOrdinary(out []int, text string) []int {
	if len(text) == 0 {
		return out
	}
	c := t.caches.Get().(*wordCache)
	defer t.caches.Put(c)
	for i := 0; i < len(text); {
		j := nextPiece(text, i)
		out = t.appendCached(c, out, text[i:j])
		i = j
	}
	return out
}

// appendSpecialAware appends the ids of text, turning each leftmost-longest
// occurrence of an added-token string that does not overlap a literal range
// (sorted) into its id.
func (t *Tokenizer) appendSpecialAware(out []int, text string, literal [][2]int) []int {
	start, lit := 0, 0
	for i := 0; i < len(text); i++ {
		if !t.specialFirst[text[i]] {
			continue
		}
		for lit < len(literal) && literal[lit][1] <= i {
			lit++
		}
		for _, n := range t.specialLens {
			if i+n > len(text) || lit < len(literal) && literal[lit][0] < i+n {
				continue
			}
			if id, ok := t.special[text[i:i+n]]; ok {
				out = t.appendOrdinary(out, text[start:i])
				out = append(out, int(id))
				start = i + n
				i = start - 1
				break
			}
		}
	}
	return t.appendOrdinary(out, text[start:])
}

// repairSpans repairs invalid UTF-8 in text piece by piece so that the
// literal ranges still cover the same text, and returns them sorted and
// clamped to the text.
func repairSpans(text string, literal [][2]int) (string, [][2]int) {
	spans := make([][2]int, 0, len(literal))
	for _, s := range literal {
		s[0], s[1] = max(0, min(s[0], len(text))), max(0, min(s[1], len(text)))
		if s[0] < s[1] {
			spans = append(spans, s)
		}
	}
	slices.SortFunc(spans, func(a, b [2]int) int { return a[0] - b[0] })
	if utf8.ValidString(text) {
		return text, spans
	}
	var b strings.Builder
	at := 0
	for i, s := range spans {
		s[0] = max(s[0], at)
		s[1] = max(s[1], s[0])
		b.WriteString(validUTF8(text[at:s[0]]))
		start := b.Len()
		b.WriteString(validUTF8(text[s[0]:s[1]]))
		spans[i] = [2]int{start, b.Len()}
		at = s[1]
	}
	b.WriteString(validUTF8(text[at:]))
	return b.String(), spans
}

// Decode returns the text of ids, special tokens written as their strings,
// with no clean-up of spaces: Decode(EncodeOrdinary(s)) == s for valid UTF-8
// s. The result holds the tokens' exact bytes, so ids that end inside a
// multi-byte character give a string that is not valid UTF-8.
func (t *Tokenizer) Decode(ids []int) (string, error) {
	b, err := t.AppendDecoded(nil, ids, false)
	return string(b), err
}

// AppendDecoded appends the bytes of ids to dst, dropping special tokens if
// skipSpecial. It fails on an id outside the vocabulary.
func (t *Tokenizer) AppendDecoded(dst []byte, ids []int, skipSpecial bool) ([]byte, error) {
	for _, id := range ids {
		if id < 0 || id >= len(t.tokens) || !t.known[id] {
			return dst, fmt.Errorf("decode: token id %d is not in the vocabulary (size %d)", id, len(t.tokens))
		}
		if skipSpecial && t.isSpecial[id] {
			continue
		}
		dst = append(dst, t.tokens[id]...)
	}
	return dst, nil
}

// TokenID returns the id of an added token such as "<|eot_id|>".
func (t *Tokenizer) TokenID(content string) (int, bool) {
	id, ok := t.special[content]
	return int(id), ok
}

// IsSpecial reports whether id is an added token marked special.
func (t *Tokenizer) IsSpecial(id int) bool {
	return id >= 0 && id < len(t.isSpecial) && t.isSpecial[id]
}

// VocabSize is one more than the largest token id.
func (t *Tokenizer) VocabSize() int { return len(t.tokens) }

// BOS returns the id of tokenizer_config.json's bos_token, or -1.
func (t *Tokenizer) BOS() int { return t.bos }

// BOSToken returns the bos_token string ("<|begin_of_text|>"), or "".
func (t *Tokenizer) BOSToken() string { return t.bosToken }

// EOSToken returns tokenizer_config.json's eos_token string, or "".
func (t *Tokenizer) EOSToken() string { return t.eosToken }

// EOS returns the ids that end generation: tokenizer_config.json's eos_token
// followed by generation_config.json's eos_token_id entries.
func (t *Tokenizer) EOS() []int { return append([]int(nil), t.eos...) }

// ChatTemplate returns tokenizer_config.json's chat_template, or "".
func (t *Tokenizer) ChatTemplate() string { return t.chatTemplate }
