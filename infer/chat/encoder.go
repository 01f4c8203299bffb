package chat

import (
	"fmt"

	"github.com/llsum/llsum/infer"
	"github.com/llsum/llsum/infer/tokenizer"
)

// Encoder turns conversations into a model's prompt ids with its chat
// template and tokenizer, and generated ids back into text: the
// onnx.ChatTokenizer that onnx.NewChatModel takes. It is safe for
// concurrent use.
type Encoder struct {
	tok  *tokenizer.Tokenizer
	tmpl *Template
	opts Options
}

// NewEncoder uses the tokenizer's chat template (FromTokenizer). opts gives
// the date string and clock; AddGenerationPrompt and BOSToken are set here.
func NewEncoder(tok *tokenizer.Tokenizer, opts Options) (*Encoder, error) {
	tmpl, err := FromTokenizer(tok)
	if err != nil {
		return nil, err
	}
	opts.AddGenerationPrompt = true
	opts.BOSToken = tok.BOSToken()
	return &Encoder{tok: tok, tmpl: tmpl, opts: opts}, nil
}

// EncodeChat renders msgs with the generation prompt and encodes them;
// message contents stay ordinary text (see EncodePrompt).
func (e *Encoder) EncodeChat(msgs []infer.Message) ([]int, error) {
	p, err := e.tmpl.RenderPrompt(msgs, e.opts)
	if err != nil {
		return nil, fmt.Errorf("chat template: %w", err)
	}
	return EncodePrompt(e.tok, p), nil
}

// Decode turns generated ids into text.
func (e *Encoder) Decode(ids []int) (string, error) { return e.tok.Decode(ids) }
