package onnx

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/llsum/llsum/infer/chat"
	"github.com/llsum/llsum/internal/errclass"
)

// HasTokenizer reports whether a model folder ships tokenizer.json.
func HasTokenizer(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, "tokenizer.json"))
	return err == nil
}

// OpenChatModel opens the model folder o.Model with its own tokenizer and
// chat template: what `llsum run`, `llsum serve` and the tests summarize
// with. A folder without tokenizer files, or whose tokenizer has more tokens
// than the model's logits, fails with one Fatal line.
func OpenChatModel(ctx context.Context, o Options) (*ChatModel, error) {
	if fi, err := os.Stat(o.Model); err != nil || !fi.IsDir() {
		if err == nil {
			err = errors.New("not a folder")
		}
		return nil, errclass.AsFatal(fmt.Errorf("model %s: %w", o.Model, err))
	}
	// At a repository root the tokenizer is in each variant's folder.
	found := HasTokenizer(o.Model)
	if vs, err := FindVariants(o.Model); err == nil {
		for _, v := range vs {
			found = found || HasTokenizer(v.Dir)
		}
	}
	if !found {
		return nil, errclass.AsFatal(fmt.Errorf("model %s: no tokenizer.json: summarizing needs the model's tokenizer files (tokenizer.json, tokenizer_config.json)", o.Model))
	}
	e, err := Open(ctx, o)
	if err != nil {
		return nil, err
	}
	tokDir := e.Spec().Dir
	if !HasTokenizer(tokDir) {
		tokDir = o.Model
	}
	if !HasTokenizer(tokDir) {
		e.Close()
		return nil, errclass.AsFatal(fmt.Errorf("model %s: no tokenizer.json beside variant %s: summarizing needs the model's tokenizer files", o.Model, e.Spec().Variant))
	}
	enc, err := chat.Load(tokDir)
	if err != nil {
		e.Close()
		return nil, err
	}
	if v := enc.Tokenizer().VocabSize(); v > e.Spec().Vocab {
		e.Close()
		return nil, errclass.AsFatal(fmt.Errorf("model %s: the tokenizer has %d tokens but the model's logits only %d: tokenizer and model do not match", o.Model, v, e.Spec().Vocab))
	}
	return NewChatModel(e, enc), nil
}
