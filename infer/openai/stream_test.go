package openai

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/llsum/llsum/infer"
)

// TestStreamedReplies: with Config.Stream the client asks for a stream with
// usage, assembles the reply from the chunks, passes each content delta on,
// retries a stream cut before any text, and fails (without a retry) one cut
// after text was delivered.
func TestStreamedReplies(t *testing.T) {
	event := func(w http.ResponseWriter, data string) {
		fmt.Fprintf(w, "data: %s\n\n", data)
		w.(http.Flusher).Flush()
	}
	chunk := func(content string) string {
		return fmt.Sprintf(`{"object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":%q},"finish_reason":null}],"usage":null}`, content)
	}
	f := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, prompt string, n int) bool {
		w.Header().Set("Content-Type", "text/event-stream")
		event(w, `{"object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}`)
		switch {
		case prompt == "cut early" && n == 1:
			return true // no text, no [DONE]: retried
		case prompt == "cut late":
			event(w, chunk("half a"))
			return true
		case prompt == "error event":
			event(w, `{"error":{"message":"engine failed","type":"server_error","code":500}}`)
			return true
		}
		event(w, chunk("Hello, "))
		event(w, chunk("world"))
		event(w, `{"object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":"length"}],"usage":null}`)
		event(w, `{"object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":3,"total_tokens":12}}`)
		event(w, "[DONE]")
		return true
	})
	cfg := testConfig(f.url())
	cfg.Stream = true
	c := mustNew(t, cfg)

	var deltas []infer.Delta
	req := userReq("fine")
	req.Stop = []string{"END"}
	req.OnDelta = func(d infer.Delta) bool { deltas = append(deltas, d); return true }
	res, err := c.Chat(context.Background(), []infer.ChatRequest{req, userReq("cut early")})
	if err != nil {
		t.Fatal(err)
	}
	want := infer.ChatResult{Text: "Hello, world", Stop: infer.StopLength, PromptTokens: 9, CompletionTokens: 3}
	if res[0] != want || res[1] != want {
		t.Errorf("results %+v, want %+v twice", res, want)
	}
	if len(deltas) != 3 || deltas[0].Text != "Hello, " || deltas[1].Text != "world" || deltas[2].Stop != infer.StopLength {
		t.Errorf("deltas %+v", deltas)
	}
	f.mu.Lock()
	var body map[string]any
	for _, b := range f.bodies {
		if strings.Contains(fmt.Sprint(b["messages"]), "fine") {
			body = b
		}
	}
	f.mu.Unlock()
	if body["stream"] != true || fmt.Sprint(body["stream_options"]) != "map[include_usage:true]" || body["stop"] != "END" {
		t.Errorf("request body %v", body)
	}
	if hits, _ := f.count("cut early"); hits != 2 {
		t.Errorf("stream cut before any text: %d attempts, want 2", hits)
	}

	for _, tt := range []struct{ prompt, has string }{
		{"cut late", "cut off after 6 bytes of text"},
		{"error event", "engine failed"},
	} {
		req := userReq(tt.prompt)
		req.OnDelta = func(infer.Delta) bool { return true }
		_, err := c.Chat(context.Background(), []infer.ChatRequest{req})
		var be *infer.BatchError
		if !errors.As(err, &be) || !strings.Contains(err.Error(), tt.has) {
			t.Errorf("%s: error %v, want one naming %q", tt.prompt, err, tt.has)
		}
		if hits, _ := f.count(tt.prompt); hits != 1 {
			t.Errorf("%s: %d attempts, want 1", tt.prompt, hits)
		}
	}
}
