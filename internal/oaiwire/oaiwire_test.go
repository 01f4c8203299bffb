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

// stop is a string or an array of strings on the wire; one is sent as a
// string. A chunk's usage is null or the object.
func TestStopAndChunkUsage(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    []string
		wantErr bool
	}{
		{`{"stop":"END"}`, []string{"END"}, false},
		{`{"stop":["a","b"]}`, []string{"a", "b"}, false},
		{`{"stop":null}`, nil, false},
		{`{}`, nil, false},
		{`{"stop":[1]}`, nil, true},
		{`{"stop":{"a":1}}`, nil, true},
	} {
		var r ChatRequest
		err := json.Unmarshal([]byte(tc.in), &r)
		if (err != nil) != tc.wantErr || (!tc.wantErr && len(r.Stop) != len(tc.want)) {
			t.Errorf("%s: stop %q, err %v", tc.in, r.Stop, err)
			continue
		}
		for i := range tc.want {
			if r.Stop[i] != tc.want[i] {
				t.Errorf("%s: stop %q", tc.in, r.Stop)
			}
		}
	}
	for _, tc := range []struct {
		l    StopList
		want string
	}{{StopList{"x"}, `"x"`}, {StopList{"x", "y"}, `["x","y"]`}} {
		if b, _ := json.Marshal(tc.l); string(b) != tc.want {
			t.Errorf("%q marshals as %s, want %s", tc.l, b, tc.want)
		}
	}
	b, _ := json.Marshal(ChatChunk{Object: "chat.completion.chunk", Choices: []ChunkChoice{}, Usage: &NullableUsage{}})
	var back ChatChunk
	if !json.Valid(b) || json.Unmarshal(b, &back) != nil || back.Usage != nil && back.Usage.Usage != nil {
		t.Errorf("null usage: %s", b)
	}
	b, _ = json.Marshal(ChatChunk{Usage: &NullableUsage{Usage: &Usage{PromptTokens: 2, CompletionTokens: 3, TotalTokens: 5}}})
	if json.Unmarshal(b, &back) != nil || back.Usage == nil || back.Usage.Usage == nil || back.Usage.TotalTokens != 5 {
		t.Errorf("usage round trip: %s -> %+v", b, back.Usage)
	}
}
