package onnx

import (
	"fmt"
	"math/bits"
	"sync"

	"github.com/llsum/llsum/infer"
	"github.com/llsum/llsum/infer/tokenizer"
	"github.com/llsum/llsum/internal/structured"
)

// LogitsMask constrains the tokens of one sequence (structured output):
// Mask sets to -Inf the logits of the tokens not allowed next, given the new
// tokens left (this one included); Accept records the token chosen. A mask
// makes the row leave the greedy fast path (the masked logits are converted
// to float32 like a sampled row's).
type LogitsMask interface {
	Mask(logits []float32, remaining int)
	Accept(tok int) error
}

// bitsMask is a LogitsMask that can give its allowed set as a bitset by
// token id, which lets greedy rows keep the fast path (a masked argmax on
// the raw logits).
type bitsMask interface {
	Allowed(remaining int) []uint64
}

// pick chooses row r's next token from its logits (r.length counts the
// token being picked).
func (g *gen) pick(r *row, logits []float32) int {
	return r.sampler.next(logits, g.remaining(r, r.length))
}

// remaining is the number of tokens row r may still produce, the one being
// picked included, when the cache holds length positions with it: its
// budget, or the cache's room if that is less.
func (g *gen) remaining(r *row, length int) int {
	left := r.maxNew - len(r.res.OutputIDs)
	room := g.capacity - max(length, g.width)
	return max(1, min(left, room))
}

// anyMask reports whether one of the first n rows decodes under a mask
// (--schema): the device argmax knows no masks, so such a step reads the
// logits on the host.
func (g *gen) anyMask(n int) bool {
	for _, r := range g.rows[:n] {
		if !r.done && r.sampler.mask != nil {
			return true
		}
	}
	return false
}

// fastMask returns the allowed bitset of a greedy row's mask, or nil when
// the row has no mask.
func (g *gen) fastMask(r *row) []uint64 {
	if r.sampler.mask == nil {
		return nil
	}
	return r.sampler.mask.(bitsMask).Allowed(g.remaining(r, r.length+1))
}

func maskedArgmaxHalf(h []uint16, allowed []uint64) int {
	best, bk := -1, int32(0)
	for w, word := range allowed {
		for ; word != 0; word &= word - 1 {
			i := w*64 + bits.TrailingZeros64(word)
			if i >= len(h) {
				return max(best, 0)
			}
			if k := halfKey(h[i]); best < 0 || k > bk {
				best, bk = i, k
			}
		}
	}
	return max(best, 0)
}

func maskedArgmaxFloat(l []float32, allowed []uint64) int {
	best, bv := -1, float32(0)
	for w, word := range allowed {
		for ; word != 0; word &= word - 1 {
			i := w*64 + bits.TrailingZeros64(word)
			if i >= len(l) {
				return max(best, 0)
			}
			if v := l[i]; best < 0 || v > bv || (bv != bv && v == v) {
				best, bv = i, v
			}
		}
	}
	return max(best, 0)
}

// masksErr returns the first error a row's mask reported.
func masksErr(rows []*row) error {
	for i, r := range rows {
		if r.sampler.err != nil {
			return fmt.Errorf("onnx: request %d: constrained decoding: %w", i, r.sampler.err)
		}
	}
	return nil
}

// schemas holds a chat model's vocabulary as bytes and one index per
// schema, built on first use.
type schemas struct {
	once  sync.Once
	vocab *structured.Vocab
	err   error
	mu    sync.Mutex
	index map[*structured.Schema]*structured.Index
}

// constraint returns a decoder for one request constrained by s.
func (c *ChatModel) constraint(s *structured.Schema, maxNew int) (*structured.Decoder, error) {
	c.sch.once.Do(func() { c.sch.vocab, c.sch.err = c.vocab() })
	if c.sch.err != nil {
		return nil, c.sch.err
	}
	c.sch.mu.Lock()
	if c.sch.index == nil {
		c.sch.index = map[*structured.Schema]*structured.Index{}
	}
	ix := c.sch.index[s]
	if ix == nil {
		ix = structured.NewIndex(s, c.sch.vocab)
		c.sch.index[s] = ix
	}
	c.sch.mu.Unlock()
	if maxNew <= 0 {
		maxNew = DefaultMaxNewTokens
	}
	return ix.NewDecoder(maxNew)
}

// vocab reads every token's bytes from the tokenizer; special tokens are
// never generated under a schema, except the EOS ids that end it.
func (c *ChatModel) vocab() (*structured.Vocab, error) {
	tk, ok := c.tok.(interface{ Tokenizer() *tokenizer.Tokenizer })
	if !ok {
		return nil, fmt.Errorf("constrained decoding needs the model's byte-level tokenizer")
	}
	t := tk.Tokenizer()
	toks := make([][]byte, t.VocabSize())
	for id := range toks {
		if t.IsSpecial(id) {
			continue
		}
		b, err := t.AppendDecoded(nil, []int{id}, false)
		if err == nil {
			toks[id] = b
		}
	}
	return structured.NewVocab(toks, c.e.spec.EOS, c.e.spec.Vocab), nil
}

// checkSchema validates a constrained answer.
func checkSchema(req infer.ChatRequest, text string) error {
	if req.Schema == nil {
		return nil
	}
	return req.Schema.Validate(text)
}

func fastMaskable(m LogitsMask) bool {
	if m == nil {
		return true
	}
	_, ok := m.(bitsMask)
	return ok
}
