package main

import (
	"context"
	"fmt"

	"github.com/llsum/llsum/infer"
	"github.com/llsum/llsum/infer/chat"
	"github.com/llsum/llsum/infer/onnx"
	"github.com/llsum/llsum/infer/tokenizer"
	"github.com/llsum/llsum/internal/errclass"
)

// openChatModel opens the ONNX engine on a model folder with the folder's
// tokenizer and chat template (the built-in Llama 3.2 one when
// tokenizer_config.json has none).
func openChatModel(ctx context.Context, eo onnx.Options) (infer.ChatModel, error) {
	tok, err := tokenizer.Load(eo.Model)
	if err != nil {
		return nil, errclass.AsFatal(fmt.Errorf("model %s: %w", eo.Model, err))
	}
	enc, err := chat.NewEncoder(tok, chat.Options{})
	if err != nil {
		return nil, errclass.AsFatal(fmt.Errorf("model %s: %w", eo.Model, err))
	}
	e, err := onnx.Open(ctx, eo)
	if err != nil {
		return nil, err
	}
	return onnx.NewChatModel(e, enc), nil
}
