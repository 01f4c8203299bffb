package chat

import (
	"fmt"
	"strings"

	"github.com/llsum/llsum/infer"
	"github.com/llsum/llsum/infer/tokenizer"
	"github.com/llsum/llsum/internal/errclass"
)

// DefaultDateString is the date the Llama 3.2 template writes in its system
// block ("Today Date: …") unless told otherwise. llsum passes a fixed date
// so that the same document and settings always give the same prompt (and,
// with greedy decoding, the same summary): CI digests must be reproducible.
// It is the template's own fallback date.
const DefaultDateString = "26 Jul 2024"

// Encoder is the prompt side of a chat model: it renders a conversation with
// the model's chat template and encodes it with the model's tokenizer, so
// that only the template's own structure becomes special tokens (message
// contents, i.e. document text, stay ordinary text). It implements the ONNX
// engine's ChatTokenizer.
type Encoder struct {
	tok  *tokenizer.Tokenizer
	tmpl *Template
	date string
}

// NewEncoder pairs a tokenizer with a template; dateString "" means
// DefaultDateString.
func NewEncoder(tok *tokenizer.Tokenizer, tmpl *Template, dateString string) *Encoder {
	if dateString == "" {
		dateString = DefaultDateString
	}
	return &Encoder{tok: tok, tmpl: tmpl, date: dateString}
}

// EncodeChat renders msgs with the generation prompt and returns the ids.
func (e *Encoder) EncodeChat(msgs []infer.Message) ([]int, error) {
	p, err := e.tmpl.RenderPrompt(msgs, Options{
		AddGenerationPrompt: true,
		BOSToken:            e.tok.BOSToken(),
		DateString:          e.date,
	})
	if err != nil {
		return nil, err
	}
	return EncodePrompt(e.tok, p), nil
}

// Decode turns generated ids into text. Special tokens are dropped, and an
// incomplete UTF-8 sequence (generation stopped mid-character) is replaced.
func (e *Encoder) Decode(ids []int) (string, error) {
	b, err := e.tok.AppendDecoded(nil, ids, true)
	if err != nil {
		return "", err
	}
	return strings.ToValidUTF8(string(b), "\uFFFD"), nil
}

// AppendText appends the raw bytes of generated ids to dst, special tokens
// dropped: what streaming uses, since one token may end inside a multi-byte
// character that the next completes.
func (e *Encoder) AppendText(dst []byte, ids []int) ([]byte, error) {
	return e.tok.AppendDecoded(dst, ids, true)
}

// Tokenizer returns the tokenizer.
func (e *Encoder) Tokenizer() *tokenizer.Tokenizer { return e.tok }

// Load loads a tokenizer (tokenizer.json, or a folder holding it with
// tokenizer_config.json) and its chat template (Llama32() when it has
// none) as an Encoder with DefaultDateString. Errors are Fatal: a model
// without a usable tokenizer can summarize nothing.
func Load(path string) (*Encoder, error) {
	tok, err := tokenizer.Load(path)
	if err != nil {
		return nil, err
	}
	tmpl, err := FromTokenizer(tok)
	if err != nil {
		return nil, errclass.AsFatal(fmt.Errorf("chat template of %s: %w", path, err))
	}
	return NewEncoder(tok, tmpl, ""), nil
}
