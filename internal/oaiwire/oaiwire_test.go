package oaiwire

import (
	"encoding/json"
	"testing"
)

// The client's request carries only what is set (vLLM extensions and
// max_tokens are omitted when zero) but always a temperature.
func TestChatRequestEncoding(t *testing.T) {
	zero, n := 0.0, 64
	for _, tc := range []struct {
		req  ChatRequest
		want string
	}{
		{ChatRequest{Model: "m", Messages: []Message{{Role: "user", Content: "hi"}}, Temperature: &zero},
			`{"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":0,"stream":false}`},
		{ChatRequest{Model: "m", MaxTokens: &n, Temperature: &zero, TopK: 5, Seed: 7},
			`{"model":"m","messages":null,"max_tokens":64,"temperature":0,"top_k":5,"seed":7,"stream":false}`},
	} {
		got, err := json.Marshal(tc.req)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != tc.want {
			t.Errorf("got  %s\nwant %s", got, tc.want)
		}
	}
}

// A reply with a null content decodes to a nil Content, an answer to its text.
func TestChatResponseDecoding(t *testing.T) {
	var r ChatResponse
	body := `{"choices":[{"index":0,"message":{"role":"assistant","content":null},"finish_reason":"length"},` +
		`{"message":{"content":"ok"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1}}`
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatal(err)
	}
	if len(r.Choices) != 2 || r.Choices[0].Message.Content != nil || *r.Choices[1].Message.Content != "ok" ||
		r.Choices[0].FinishReason != "length" || r.Usage == nil || r.Usage.PromptTokens != 3 || len(r.Error) != 0 {
		t.Fatalf("decoded %+v", r)
	}
}
