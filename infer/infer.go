// Package infer is the summarization stage: the interfaces every backend
// implements, and the backends that need no model (extractive).
//
// Two levels:
//
//   - ChatModel is a language model that answers chat requests (the ONNX
//     Runtime engine with a tokenizer and chat template, or an
//     OpenAI-compatible server). Requests are batched: a backend that can run
//     several sequences in one forward pass does so.
//   - Summarizer turns one text into a summary under an instruction. The
//     extractive backend is a Summarizer directly; NewLLMSummarizer makes a
//     Summarizer of any ChatModel.
//
// The pipeline only sees Summarizer, so backends plug in without touching it.
package infer

import (
	"context"

	"github.com/llsum/llsum/internal/structured"
)

// Role of a chat message.
const (
	RoleSystem    = "system"
	RoleUser      = "user"
	RoleAssistant = "assistant"
)

// Message is one chat message.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// Sampling selects the decoding strategy. The zero value is greedy.
type Sampling struct {
	Temperature       float64 `json:"temperature,omitempty"`
	TopP              float64 `json:"top_p,omitempty"`
	TopK              int     `json:"top_k,omitempty"`
	Seed              int64   `json:"seed,omitempty"`
	RepetitionPenalty float64 `json:"repetition_penalty,omitempty"`
}

// Stop reasons.
const (
	StopEOS     = "eos"
	StopLength  = "length"
	StopContext = "context"
	// StopSequence: the reply reached one of ChatRequest.Stop (the stop
	// text itself is not part of the reply).
	StopSequence = "stop"
	// StopCancelled: ChatRequest.OnDelta returned false (its client left).
	StopCancelled = "cancelled"
)

// ChatRequest is one conversation to complete.
type ChatRequest struct {
	Messages     []Message
	MaxNewTokens int
	Sampling     Sampling
	// IgnoreEOS keeps generating through end-of-sequence tokens up to
	// MaxNewTokens. Only benchmarks set it (fixed output lengths); backends
	// that cannot honour it ignore it.
	IgnoreEOS bool
	// Stop lists strings that end the reply: it stops before the first of
	// them generated, with Stop StopSequence. Backends that cannot honour
	// it fail the request rather than ignore it.
	Stop []string
	// OnDelta, when set, receives the reply while it is generated: one
	// call per decode step of this request, with the new text (possibly
	// empty: text that may begin a stop string, or half a multi-byte
	// character, is held back until it is known), and a last call whose
	// Stop is set. Returning false ends the request at the next step with
	// StopCancelled. It runs on the backend's decode loop: it must not
	// block.
	OnDelta func(Delta) bool
	// Logprobs asks for each generated token's log probability
	// (ChatResult.Logprobs, Delta.Logprobs) with the TopLogprobs likeliest
	// alternatives; backends that cannot give them fail the request.
	Logprobs    bool
	TopLogprobs int
	// Schema, when set, asks for one JSON value valid against it
	// (--schema): the ONNX engine constrains decoding to it, OpenAI-
	// compatible servers get it as the response format; either way the
	// answer is validated.
	Schema *structured.Schema
	// PromptIDs, when set, are Messages already rendered and tokenized by
	// this model's PromptEncoder (a server that counted the prompt's
	// tokens while validating it), so that the backend does not encode
	// them again. Messages must still be the conversation they encode;
	// backends that are not PromptEncoders ignore PromptIDs.
	PromptIDs []int
}

// PromptEncoder is a ChatModel that can render and tokenize a conversation
// ahead of Chat; the ids it gives go in ChatRequest.PromptIDs, and their
// count is what CountTokens would say.
type PromptEncoder interface {
	EncodePrompt(msgs []Message) ([]int, error)
}

// MaxTopLogprobs is the most alternatives a request may ask for per token
// (the API's limit).
const MaxTopLogprobs = 20

// TokenLogprob is a generated token's log probability under the model, with
// the likeliest tokens at its position (likeliest first).
type TokenLogprob struct {
	TopLogprob
	Top []TopLogprob
}

// TopLogprob is one token and its log probability. Bytes are the token's
// own bytes (part of a multi-byte character, possibly); Token is them as
// valid UTF-8.
type TopLogprob struct {
	Token   string
	Bytes   []byte
	Logprob float64
}

// Delta is one piece of a reply being generated (ChatRequest.OnDelta).
type Delta struct {
	// Text is the new text: whole UTF-8 characters, never past a stop
	// string.
	Text string
	// Stop is set on the last delta: the reply's stop reason.
	Stop string
	// CompletionTokens counts the tokens generated so far.
	CompletionTokens int
	// Logprobs are those of this delta's tokens, when asked for.
	Logprobs []TokenLogprob
}

// ChatResult is the model's answer to one ChatRequest.
type ChatResult struct {
	Text             string
	Stop             string
	PromptTokens     int
	CompletionTokens int
	// Logprobs is set when the request asked for log probabilities (a
	// pointer, so that ChatResult stays comparable).
	Logprobs *Logprobs
}

// Logprobs are a reply's log probabilities: one entry per generated token.
type Logprobs struct {
	Tokens []TokenLogprob
}

// ModelInfo identifies a backend and its model in outputs and cache keys.
type ModelInfo struct {
	// Backend is "extractive", "onnx" or "openai".
	Backend string `json:"backend"`
	// Model names the model (folder name, served model name); empty for
	// extractive.
	Model string `json:"model,omitempty"`
	// Identity is a stable fingerprint of the model (e.g. a hash of its
	// files' names, sizes and config) used for incremental-run keys.
	Identity string `json:"identity,omitempty"`
	// Endpoint is the server host for HTTP backends.
	Endpoint string `json:"endpoint,omitempty"`
	// ContextWindow is the number of tokens one call may hold.
	ContextWindow int `json:"context_window,omitempty"`
	// TokenCounting says how tokens are counted ("tokenizer", "approx").
	TokenCounting string `json:"token_counting,omitempty"`
	// Device is where the model runs ("cpu", "cuda:0"), when known.
	Device string `json:"device,omitempty"`
}

// ChatModel is a language model answering chat requests.
type ChatModel interface {
	// Chat answers each request; results are in request order. A backend
	// runs as many of them together as it can.
	Chat(ctx context.Context, reqs []ChatRequest) ([]ChatResult, error)
	// CountTokens counts the tokens of the rendered chat (template included).
	CountTokens(msgs []Message) (int, error)
	Info() ModelInfo
	Close() error
}

// Task is one text to summarize.
type Task struct {
	// Instruction says what to write (style, language); backends that take no
	// instruction (extractive) ignore it.
	Instruction string
	// Text is the document text, always treated as data, never as markup.
	Text string
	// MaxNewTokens bounds the summary's length in tokens.
	MaxNewTokens int
	// Schema, when set, makes the summary a JSON value valid against it
	// (see ChatRequest.Schema).
	Schema *structured.Schema
}

// Result is the summary of one Task.
type Result struct {
	Summary          string `json:"summary"`
	Stop             string `json:"stop,omitempty"`
	PromptTokens     int    `json:"prompt_tokens,omitempty"`
	CompletionTokens int    `json:"completion_tokens,omitempty"`
}

// Summarizer summarizes texts.
type Summarizer interface {
	// Summarize returns one Result per task, in order.
	Summarize(ctx context.Context, tasks []Task) ([]Result, error)
	// Tokens counts the tokens text takes (exact with a tokenizer, a
	// documented approximation otherwise).
	Tokens(text string) int
	// Overhead is the number of tokens a task with this instruction and an
	// empty text takes (chat template and instruction).
	Overhead(instruction string) int
	Info() ModelInfo
	Close() error
}
