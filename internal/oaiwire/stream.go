package oaiwire

import "encoding/json"

// ChatChunk is one Server-Sent Event of a streamed /chat/completions reply
// (object "chat.completion.chunk"). With stream_options.include_usage every
// chunk carries "usage": null except the last, which has no choices and the
// usage.
type ChatChunk struct {
	ID      string        `json:"id"`
	Object  string        `json:"object"`
	Created int64         `json:"created"`
	Model   string        `json:"model"`
	Choices []ChunkChoice `json:"choices"`
	// Usage is written as null (UsageNull) or the usage object; nil
	// leaves it out.
	Usage *NullableUsage `json:"usage,omitempty"`
	// Error is set by servers that fail mid-stream.
	Error *ErrorDetail `json:"error,omitempty"`
}

// ChunkChoice is the one choice of a ChatChunk.
type ChunkChoice struct {
	Index int   `json:"index"`
	Delta Delta `json:"delta"`
	// FinishReason is null until the last content chunk.
	FinishReason *string `json:"finish_reason"`
	// Logprobs are those of the tokens sent since the previous chunk, when
	// asked for.
	Logprobs *Logprobs `json:"logprobs,omitempty"`
}

// Delta is the new part of the message.
type Delta struct {
	Role    string  `json:"role,omitempty"`
	Content *string `json:"content,omitempty"`
}

// NullableUsage is a chunk's usage: Usage, or null when nil.
type NullableUsage struct{ *Usage }

// MarshalJSON writes the usage or null.
func (u NullableUsage) MarshalJSON() ([]byte, error) {
	if u.Usage == nil {
		return []byte("null"), nil
	}
	return json.Marshal(*u.Usage)
}

// UnmarshalJSON reads the usage or null.
func (u *NullableUsage) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		u.Usage = nil
		return nil
	}
	u.Usage = new(Usage)
	return json.Unmarshal(b, u.Usage)
}
