// Package oaiwire holds the OpenAI-compatible wire types that llsum both
// sends (infer/openai, the client) and answers (serve, the server): the
// /chat/completions request and reply, the /models list and the error reply.
// It sits below infer (it imports nothing of llsum). Fields are the union of
// what the two sides use; extensions other servers send (vLLM's top_k,
// max_model_len, ...) are included where llsum reads them.
package oaiwire

import "encoding/json"

// Message is one chat message. It has infer.Message's fields, so each
// converts to the other (oaiwire sits below infer and does not import it).
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// ChatRequest is a /chat/completions request. The client always sets
// Temperature (the API's default is 1, llsum's zero Sampling means greedy);
// top_k and repetition_penalty are vLLM extensions, sent only when set.
type ChatRequest struct {
	Model               string    `json:"model"`
	Messages            []Message `json:"messages"`
	MaxTokens           *int      `json:"max_tokens,omitempty"`
	MaxCompletionTokens *int      `json:"max_completion_tokens,omitempty"`
	Temperature         *float64  `json:"temperature"`
	TopP                float64   `json:"top_p,omitempty"`
	TopK                int       `json:"top_k,omitempty"`
	Seed                int64     `json:"seed,omitempty"`
	RepetitionPenalty   float64   `json:"repetition_penalty,omitempty"`
	N                   *int      `json:"n,omitempty"`
	Stream              bool      `json:"stream"`
}

// ChatResponse is a /chat/completions reply.
type ChatResponse struct {
	ID      string   `json:"id,omitempty"`
	Object  string   `json:"object,omitempty"`
	Created int64    `json:"created,omitempty"`
	Model   string   `json:"model,omitempty"`
	Choices []Choice `json:"choices"`
	Usage   *Usage   `json:"usage,omitempty"`
	// Error is set by proxies that answer 200 with an error object.
	Error json.RawMessage `json:"error,omitempty"`
}

// Choice is one completion of a ChatResponse.
type Choice struct {
	Index        int          `json:"index"`
	Message      ReplyMessage `json:"message"`
	FinishReason string       `json:"finish_reason"`
}

// ReplyMessage is a completion's message; Content is nil when a server
// sends null (tool calls, refusals).
type ReplyMessage struct {
	Role    string  `json:"role,omitempty"`
	Content *string `json:"content"`
}

// Usage is a reply's token accounting.
type Usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

// ModelList is the /models reply.
type ModelList struct {
	Object string  `json:"object,omitempty"`
	Data   []Model `json:"data"`
}

// Model is one entry of ModelList. vLLM and SGLang report the context window
// as max_model_len; context_length and max_context_length are other servers'
// names for it.
type Model struct {
	ID               string `json:"id"`
	Object           string `json:"object,omitempty"`
	Created          int64  `json:"created"`
	OwnedBy          string `json:"owned_by,omitempty"`
	Root             string `json:"root"`
	MaxModelLen      int    `json:"max_model_len"`
	ContextLength    int    `json:"context_length,omitempty"`
	MaxContextLength int    `json:"max_context_length,omitempty"`
}

// ErrorReply is the body of an error answer: {"error":{...}}.
type ErrorReply struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the error object of an ErrorReply.
type ErrorDetail struct {
	Message string `json:"message"`
	Type    string `json:"type"`
	Code    int    `json:"code"`
}
