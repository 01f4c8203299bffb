package openai

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/llsum/llsum/infer"
	"github.com/llsum/llsum/internal/oaiwire"
	"github.com/llsum/llsum/internal/textutil"
)

// newChatRequest is the /chat/completions request for r. Temperature is
// always sent: the API's default is 1, the zero infer.Sampling means greedy.
func newChatRequest(model string, r infer.ChatRequest) oaiwire.ChatRequest {
	temp := r.Sampling.Temperature
	msgs := make([]oaiwire.Message, len(r.Messages))
	for i, m := range r.Messages {
		msgs[i] = oaiwire.Message(m)
	}
	body := oaiwire.ChatRequest{
		Model:             model,
		Messages:          msgs,
		Temperature:       &temp,
		TopP:              r.Sampling.TopP,
		TopK:              r.Sampling.TopK,
		Seed:              r.Sampling.Seed,
		RepetitionPenalty: r.Sampling.RepetitionPenalty,
	}
	if r.MaxNewTokens > 0 {
		n := r.MaxNewTokens
		body.MaxTokens = &n
	}
	return body
}

// errNoContent marks a reply that parsed but holds no answer.
var errNoContent = errors.New("reply has no content")

// chatResult is the answer in a /chat/completions reply.
func chatResult(r *oaiwire.ChatResponse) (infer.ChatResult, error) {
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
	return bodyText(msg, 300)
}

// bodyText is a reply body for an error message: on one line, cut to max
// runes, "(empty body)" when there is nothing to show.
func bodyText(s string, max int) string {
	if s = textutil.OneLineMax(s, max); s == "" {
		return "(empty body)"
	}
	return s
}
