package onnx

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/llsum/llsum/infer"
)

// ChatTokenizer turns a conversation into prompt ids (chat template applied,
// generation prompt appended) and generated ids back into text. The
// tokenizer package provides it; the engine itself only sees ids.
type ChatTokenizer interface {
	EncodeChat(msgs []infer.Message) ([]int, error)
	Decode(ids []int) (string, error)
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
	for i, r := range reqs {
		ids, err := c.tok.EncodeChat(r.Messages)
		if err != nil {
			return nil, fmt.Errorf("chat request %d: encode: %w", i, err)
		}
		gr[i] = GenRequest{InputIDs: ids, MaxNewTokens: r.MaxNewTokens, Sampling: r.Sampling, IgnoreEOS: r.IgnoreEOS}
		if r.Schema != nil {
			d, err := c.constraint(r.Schema, r.MaxNewTokens)
			if err != nil {
				return nil, fmt.Errorf("chat request %d: schema %s: %w", i, r.Schema.Name, err)
			}
			gr[i].Mask, gr[i].IgnoreEOS = d, false
		}
	}
	res, err := c.b.Generate(ctx, gr)
	if err != nil {
		return nil, err
	}
	out := make([]infer.ChatResult, len(res))
	for i, r := range res {
		text, err := c.tok.Decode(r.OutputIDs)
		if err != nil {
			return nil, fmt.Errorf("chat request %d: decode: %w", i, err)
		}
		if err := checkSchema(reqs[i], text); err != nil {
			return nil, fmt.Errorf("chat request %d: %w", i, err)
		}
		out[i] = infer.ChatResult{Text: text, Stop: r.Stop, PromptTokens: len(gr[i].InputIDs), CompletionTokens: len(r.OutputIDs)}
	}
	return out, nil
}

// CountTokens counts the rendered conversation's ids.
func (c *ChatModel) CountTokens(msgs []infer.Message) (int, error) {
	ids, err := c.tok.EncodeChat(msgs)
	return len(ids), err
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
