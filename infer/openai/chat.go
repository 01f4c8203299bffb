package openai

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/llsum/llsum/infer"
)

// chatRequestBody is the /chat/completions request. Temperature is always
// sent: the API's default is 1, the zero infer.Sampling means greedy. top_k
// and repetition_penalty are vLLM extensions, sent only when set.
type chatRequestBody struct {
	Model             string          `json:"model"`
	Messages          []infer.Message `json:"messages"`
	MaxTokens         int             `json:"max_tokens,omitempty"`
	Temperature       float64         `json:"temperature"`
	TopP              float64         `json:"top_p,omitempty"`
	TopK              int             `json:"top_k,omitempty"`
	Seed              int64           `json:"seed,omitempty"`
	RepetitionPenalty float64         `json:"repetition_penalty,omitempty"`
	Stream            bool            `json:"stream"`
	// ResponseFormat asks for JSON valid against a schema (--schema);
	// servers that enforce it (vLLM, llama.cpp, OpenAI) constrain decoding.
	ResponseFormat *responseFormat `json:"response_format,omitempty"`
}

// responseFormat is {"type": "json_schema", "json_schema": {...}}.
type responseFormat struct {
	Type       string         `json:"type"`
	JSONSchema jsonSchemaSpec `json:"json_schema"`
}

type jsonSchemaSpec struct {
	Name   string          `json:"name"`
	Schema json.RawMessage `json:"schema"`
	Strict bool            `json:"strict"`
}

func newChatRequest(model string, r infer.ChatRequest) chatRequestBody {
	return chatRequestBody{
		Model:             model,
		Messages:          r.Messages,
		MaxTokens:         r.MaxNewTokens,
		Temperature:       r.Sampling.Temperature,
		TopP:              r.Sampling.TopP,
		TopK:              r.Sampling.TopK,
		Seed:              r.Sampling.Seed,
		RepetitionPenalty: r.Sampling.RepetitionPenalty,
		ResponseFormat:    schemaFormat(r),
	}
}

// schemaFormat is the response format of a request with a schema.
func schemaFormat(r infer.ChatRequest) *responseFormat {
	if r.Schema == nil {
		return nil
	}
	name := strings.Map(func(c rune) rune {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' {
			return c
		}
		return '_'
	}, r.Schema.Name)
	if name == "" {
		name = "summary"
	}
	return &responseFormat{Type: "json_schema", JSONSchema: jsonSchemaSpec{Name: name, Schema: r.Schema.Raw(), Strict: true}}
}

// schemaAnswer returns a schema request's answer as the JSON value alone
// (a code fence some servers put around it removed) and whether it is
// valid.
func schemaAnswer(r infer.ChatRequest, text string) (string, error) {
	t := strings.TrimSpace(text)
	if strings.HasPrefix(t, "```") && strings.HasSuffix(t, "```") {
		t = strings.TrimSpace(strings.TrimSuffix(t, "```"))
		if i := strings.IndexByte(t, '\n'); i >= 0 {
			t = strings.TrimSpace(t[i+1:])
		}
	}
	return t, r.Schema.Validate(t)
}

// chatResponse is the part of a /chat/completions reply llsum reads.
type chatResponse struct {
	Choices []struct {
		Message struct {
			Content *string `json:"content"`
		} `json:"message"`
		FinishReason string `json:"finish_reason"`
	} `json:"choices"`
	Usage *struct {
		PromptTokens     int `json:"prompt_tokens"`
		CompletionTokens int `json:"completion_tokens"`
	} `json:"usage"`
	// Error is set by proxies that answer 200 with an error object.
	Error json.RawMessage `json:"error"`
}

// errNoContent marks a reply that parsed but holds no answer.
var errNoContent = errors.New("reply has no content")

func (r *chatResponse) result() (infer.ChatResult, error) {
	if len(r.Error) > 0 && string(r.Error) != "null" {
		return infer.ChatResult{}, fmt.Errorf("reply is an error: %s", serverMessage(append(append([]byte(`{"error":`), r.Error...), '}')))
	}
	if len(r.Choices) == 0 {
		return infer.ChatResult{}, fmt.Errorf("%w: no choices", errNoContent)
	}
	ch := r.Choices[0]
	if ch.Message.Content == nil || strings.TrimSpace(*ch.Message.Content) == "" {
		return infer.ChatResult{}, fmt.Errorf("%w (finish_reason %q)", errNoContent, ch.FinishReason)
	}
	res := infer.ChatResult{Text: *ch.Message.Content, Stop: stopReason(ch.FinishReason)}
	if r.Usage != nil {
		res.PromptTokens = r.Usage.PromptTokens
		res.CompletionTokens = r.Usage.CompletionTokens
	}
	return res, nil
}

// stopReason maps the API's finish_reason onto infer's stop reasons; others
// (content_filter, ...) pass through.
func stopReason(s string) string {
	switch s {
	case "stop", "eos":
		return infer.StopEOS
	case "length":
		return infer.StopLength
	}
	return s
}

// serverMessage extracts the human part of an error reply: the message of
// {"error":{"message"}}, {"error":"..."}, {"message"} (vLLM) or {"detail"}
// (FastAPI), else the body itself; on one line, at most 300 characters.
func serverMessage(body []byte) string {
	var v struct {
		Error   json.RawMessage `json:"error"`
		Message string          `json:"message"`
		Detail  json.RawMessage `json:"detail"`
	}
	msg := ""
	if json.Unmarshal(body, &v) == nil {
		var inner struct {
			Message string `json:"message"`
		}
		var s string
		switch {
		case json.Unmarshal(v.Error, &inner) == nil && inner.Message != "":
			msg = inner.Message
		case json.Unmarshal(v.Error, &s) == nil && s != "":
			msg = s
		case v.Message != "":
			msg = v.Message
		case json.Unmarshal(v.Detail, &s) == nil && s != "":
			msg = s
		case len(v.Detail) > 0:
			msg = string(v.Detail)
		}
	}
	if msg == "" {
		msg = string(body)
	}
	return oneLine(msg, 300)
}

// oneLine collapses whitespace and cuts s to max runes.
func oneLine(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		return "(empty body)"
	}
	if r := []rune(s); len(r) > max {
		return string(r[:max]) + "…"
	}
	return s
}
