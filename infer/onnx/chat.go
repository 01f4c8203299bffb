package onnx

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/llsum/llsum/infer"
)

// ChatTokenizer turns a conversation into prompt ids (chat template applied,
// generation prompt appended) and generated ids back into text. The
// tokenizer package provides it; the engine itself only sees ids.
type ChatTokenizer interface {
	EncodeChat(msgs []infer.Message) ([]int, error)
	Decode(ids []int) (string, error)
	// AppendText appends the raw bytes of generated ids (special tokens
	// dropped), which may end inside a multi-byte character.
	AppendText(dst []byte, ids []int) ([]byte, error)
}

// ChatModel is an Engine with a tokenizer: an infer.ChatModel. Concurrent
// Chat calls share forward passes (see Batcher).
type ChatModel struct {
	e   *Engine
	b   *Batcher
	tok ChatTokenizer
	id  string
	sch schemas
}

// NewChatModel wraps e with the default batching limits; Close closes the
// engine.
func NewChatModel(e *Engine, tok ChatTokenizer) *ChatModel {
	return &ChatModel{e: e, b: NewBatcher(e, 0, 0), tok: tok, id: identity(e.spec)}
}

// Chat answers the requests, batched with other concurrent calls.
func (c *ChatModel) Chat(ctx context.Context, reqs []infer.ChatRequest) ([]infer.ChatResult, error) {
	gr := make([]GenRequest, len(reqs))
	streams := make([]*tokenStream, len(reqs))
	for i, r := range reqs {
		ids := r.PromptIDs
		if ids == nil {
			var err error
			if ids, err = c.tok.EncodeChat(r.Messages); err != nil {
				return nil, fmt.Errorf("chat request %d: encode: %w", i, err)
			}
		}
		gr[i] = GenRequest{InputIDs: ids, MaxNewTokens: r.MaxNewTokens, Sampling: r.Sampling, IgnoreEOS: r.IgnoreEOS,
			Logprobs: r.Logprobs, TopLogprobs: r.TopLogprobs}
		if r.Schema != nil {
			d, err := c.constraint(r.Schema, r.MaxNewTokens)
			if err != nil {
				return nil, fmt.Errorf("chat request %d: schema %s: %w", i, r.Schema.Name, err)
			}
			gr[i].Mask, gr[i].IgnoreEOS = d, false
		}
		if len(r.Stop) > 0 || r.OnDelta != nil {
			streams[i] = &tokenStream{c: c, text: infer.NewTextStream(r.Stop), onDelta: r.OnDelta}
			gr[i].OnToken = streams[i].onToken
		}
	}
	res, err := c.b.Generate(ctx, gr)
	if err != nil {
		return nil, err
	}
	out := make([]infer.ChatResult, len(res))
	for i, r := range res {
		var text string
		if st := streams[i]; st != nil {
			if st.err != nil {
				return nil, fmt.Errorf("chat request %d: decode: %w", i, st.err)
			}
			text = st.text.Text()
		} else if text, err = c.tok.Decode(r.OutputIDs); err != nil {
			return nil, fmt.Errorf("chat request %d: decode: %w", i, err)
		}
		if err := checkSchema(reqs[i], text); err != nil {
			return nil, fmt.Errorf("chat request %d: %w", i, err)
		}
		out[i] = infer.ChatResult{Text: text, Stop: r.Stop, PromptTokens: len(gr[i].InputIDs), CompletionTokens: len(r.OutputIDs)}
		if gr[i].Logprobs {
			out[i].Logprobs = &infer.Logprobs{Tokens: make([]infer.TokenLogprob, 0, len(r.Logprobs))}
			for _, lp := range r.Logprobs {
				out[i].Logprobs.Tokens = append(out[i].Logprobs.Tokens, c.logprob(lp))
			}
		}
	}
	return out, nil
}

// logprob names the tokens of an engine TokenLogprob.
func (c *ChatModel) logprob(lp TokenLogprob) infer.TokenLogprob {
	out := infer.TokenLogprob{TopLogprob: c.topLogprob(lp.ID, lp.Logprob)}
	for _, t := range lp.Top {
		out.Top = append(out.Top, c.topLogprob(t.ID, t.Logprob))
	}
	return out
}

func (c *ChatModel) topLogprob(id int, logprob float32) infer.TopLogprob {
	b, _ := c.tok.AppendText(nil, []int{id})
	return infer.TopLogprob{Token: strings.ToValidUTF8(string(b), "\uFFFD"), Bytes: b, Logprob: float64(logprob)}
}

// tokenStream detokenizes one request incrementally on the engine's decode
// loop: it applies the stop strings and feeds OnDelta.
type tokenStream struct {
	c       *ChatModel
	text    *infer.TextStream
	onDelta func(infer.Delta) bool
	n       int    // tokens produced
	b       []byte // scratch for one token's bytes
	err     error
}

// onToken is the request's GenRequest.OnToken.
func (s *tokenStream) onToken(tok int, lp *TokenLogprob, stop string) string {
	var piece string
	var lps []infer.TokenLogprob
	if lp != nil && s.onDelta != nil {
		lps = []infer.TokenLogprob{s.c.logprob(*lp)}
	}
	if tok >= 0 {
		s.n++
		var err error
		if s.b, err = s.c.tok.AppendText(s.b[:0], []int{tok}); err != nil && s.err == nil {
			s.err = err
			stop = infer.StopCancelled
		}
		var matched bool
		if piece, matched = s.text.Append(s.b); matched {
			stop = infer.StopSequence
		}
	}
	if stop != "" && stop != infer.StopSequence {
		piece += s.text.Finish()
	}
	if s.onDelta != nil && !s.onDelta(infer.Delta{Text: piece, Stop: stop, CompletionTokens: s.n, Logprobs: lps}) && stop == "" {
		stop = infer.StopCancelled
		s.onDelta(infer.Delta{Stop: stop, CompletionTokens: s.n})
	}
	return stop
}

// CountTokens counts the rendered conversation's ids.
func (c *ChatModel) CountTokens(msgs []infer.Message) (int, error) {
	ids, err := c.tok.EncodeChat(msgs)
	return len(ids), err
}

// EncodePrompt renders and tokenizes a conversation as Chat would (the
// ids a ChatRequest may carry in PromptIDs): infer.PromptEncoder.
func (c *ChatModel) EncodePrompt(msgs []infer.Message) ([]int, error) {
	return c.tok.EncodeChat(msgs)
}

// Info describes the model.
func (c *ChatModel) Info() infer.ModelInfo {
	s := c.e.spec
	return infer.ModelInfo{Backend: "onnx", Model: filepath.Base(s.Dir), Identity: c.id,
		ContextWindow: s.ContextLength, TokenCounting: "tokenizer", Device: c.e.device}
}

// Close closes the engine.
func (c *ChatModel) Close() error { return c.e.Close() }

// identity fingerprints the folder's file names and sizes and the graph
// variant, so a changed model invalidates incremental results.
func identity(s *ModelSpec) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00", s.Layout, filepath.Base(s.Graph))
	var names []string
	_ = filepath.WalkDir(s.Dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			names = append(names, p)
		}
		return nil
	})
	sort.Strings(names)
	for _, p := range names {
		if st, err := os.Stat(p); err == nil {
			rel, _ := filepath.Rel(s.Dir, p)
			fmt.Fprintf(h, "%s\x00%d\x00", rel, st.Size())
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}
