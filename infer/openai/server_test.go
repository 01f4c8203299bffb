package openai

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/llsum/llsum/infer"
)

// fakeServer is a real HTTP server on 127.0.0.1 speaking the parts of the
// OpenAI API the client uses. Each chat request's behaviour is chosen by
// its last message's content through script; it counts every hit and every
// successful answer per prompt, and records when each hit arrived.
type fakeServer struct {
	srv *httptest.Server

	// models is the /v1/models reply body; modelsStatus its status.
	models       string
	modelsStatus int
	// script answers hit n (from 1) of prompt; nil answers every hit well.
	script func(w http.ResponseWriter, r *http.Request, prompt string, n int) bool

	mu        sync.Mutex
	hits      map[string]int
	successes map[string]int
	times     map[string][]time.Time
	bodies    []map[string]any
	auth      []string
	total     int
}

const tinyModels = `{"object":"list","data":[{"id":"tiny","object":"model","owned_by":"vllm","root":"/models/tiny","max_model_len":4096}]}`

func newFakeServer(t testing.TB, script func(w http.ResponseWriter, r *http.Request, prompt string, n int) bool) *fakeServer {
	t.Helper()
	f := &fakeServer{
		models:    tinyModels,
		script:    script,
		hits:      map[string]int{},
		successes: map[string]int{},
		times:     map[string][]time.Time{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/models", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.auth = append(f.auth, r.Header.Get("Authorization"))
		status := f.modelsStatus
		body := f.models
		f.mu.Unlock()
		if status != 0 {
			w.WriteHeader(status)
		}
		fmt.Fprint(w, body)
	})
	mux.HandleFunc("POST /v1/chat/completions", f.chat)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeServer) url() string { return f.srv.URL + "/v1" }

func (f *fakeServer) chat(w http.ResponseWriter, r *http.Request) {
	var body map[string]any
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		http.Error(w, `{"error":{"message":"bad json"}}`, http.StatusBadRequest)
		return
	}
	prompt := ""
	if msgs, ok := body["messages"].([]any); ok && len(msgs) > 0 {
		if m, ok := msgs[len(msgs)-1].(map[string]any); ok {
			prompt, _ = m["content"].(string)
		}
	}
	f.mu.Lock()
	f.total++
	f.hits[prompt]++
	n := f.hits[prompt]
	f.times[prompt] = append(f.times[prompt], time.Now())
	f.bodies = append(f.bodies, body)
	f.auth = append(f.auth, r.Header.Get("Authorization"))
	f.mu.Unlock()
	if f.script != nil && f.script(w, r, prompt, n) {
		return
	}
	f.mu.Lock()
	f.successes[prompt]++
	f.mu.Unlock()
	writeAnswer(w, "summary of "+prompt)
}

func writeAnswer(w http.ResponseWriter, text string) {
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"id":"x","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":%q},"finish_reason":"stop"}],"usage":{"prompt_tokens":12,"completion_tokens":4,"total_tokens":16}}`, text)
}

func (f *fakeServer) count(prompt string) (hits, successes int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits[prompt], f.successes[prompt]
}

func (f *fakeServer) totalHits() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.total
}

// testConfig is a fast configuration: millisecond backoff, a breaker that
// does not open by itself.
func testConfig(endpoint string) Config {
	return Config{
		Endpoint:           endpoint,
		Concurrency:        4,
		Timeout:            2 * time.Second,
		MaxRetries:         3,
		BackoffBase:        time.Millisecond,
		BackoffMax:         5 * time.Millisecond,
		BreakerThreshold:   1000,
		BreakerMinDuration: time.Hour,
	}
}

func userReq(prompt string) infer.ChatRequest {
	return infer.ChatRequest{
		Messages: []infer.Message{
			{Role: infer.RoleSystem, Content: "Summarize."},
			{Role: infer.RoleUser, Content: prompt},
		},
		MaxNewTokens: 64,
	}
}

// mustNew is New for tests; the client closes with the test.
func mustNew(t *testing.T, cfg Config) *Client {
	t.Helper()
	c, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// docReqs returns n requests with distinct prompts "doc 0", "doc 1", ...
func docReqs(n int) []infer.ChatRequest {
	reqs := make([]infer.ChatRequest, n)
	for i := range reqs {
		reqs[i] = userReq(fmt.Sprint("doc ", i))
	}
	return reqs
}
