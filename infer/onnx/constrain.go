package onnx

import (
	"fmt"
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

// pick chooses row r's next token from its logits.
func (g *gen) pick(r *row, logits []float32) int {
	return r.sampler.next(logits, g.remaining(r))
}

// remaining is the number of tokens row r may still produce, the one being
// picked included: its budget, or the cache's room if that is less.
func (g *gen) remaining(r *row) int {
	left := r.maxNew - len(r.res.OutputIDs)
	room := g.capacity - max(r.length, g.width)
	return max(1, min(left, room))
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
