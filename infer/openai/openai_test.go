package openai

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/llsum/llsum/infer"
	"github.com/llsum/llsum/internal/errclass"
)

// Script helpers: each answers a hit and reports whether it did (false lets
// the server answer well).

func status(w http.ResponseWriter, code int, body string) bool {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	fmt.Fprint(w, body)
	return true
}

func slow(w http.ResponseWriter, r *http.Request) bool {
	select {
	case <-r.Context().Done():
	case <-time.After(10 * time.Second):
	}
	return true
}

// truncated promises a longer body than it sends and closes the connection.
func truncated(w http.ResponseWriter) bool {
	conn, buf, err := w.(http.Hijacker).Hijack()
	if err != nil {
		panic(err)
	}
	buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 400\r\n\r\n{\"choices\":[{\"message\":")
	buf.Flush()
	conn.Close()
	return true
}

// TestChatFaults sends one batch in which every request meets a different
// fault, and checks that each ends summarized or failed with a clear cause,
// that retries are bounded and nothing is answered twice.
func TestChatFaults(t *testing.T) {
	const retries = 3
	tests := []struct {
		prompt   string
		script   func(w http.ResponseWriter, r *http.Request, n int) bool
		wantHits int
		wantErr  []string // empty: must succeed
		minGap   time.Duration
	}{
		{prompt: "ok", wantHits: 1},
		{prompt: "429 retry-after seconds", wantHits: 2, minGap: time.Second, script: func(w http.ResponseWriter, r *http.Request, n int) bool {
			if n == 1 {
				w.Header().Set("Retry-After", "1")
				return status(w, 429, `{"error":{"message":"rate limited"}}`)
			}
			return false
		}},
		{prompt: "429 retry-after date", wantHits: 2, minGap: 900 * time.Millisecond, script: func(w http.ResponseWriter, r *http.Request, n int) bool {
			if n == 1 {
				w.Header().Set("Retry-After", time.Now().Add(2*time.Second).UTC().Format(http.TimeFormat))
				return status(w, 429, `{"error":{"message":"rate limited"}}`)
			}
			return false
		}},
		{prompt: "500 twice", wantHits: 3, script: func(w http.ResponseWriter, r *http.Request, n int) bool {
			return n <= 2 && status(w, 500, `{"error":{"message":"internal"}}`)
		}},
		{prompt: "503 always", wantHits: retries + 1, wantErr: []string{"503 Service Unavailable", "engine overloaded", "gave up after 4 attempts"}, script: func(w http.ResponseWriter, r *http.Request, n int) bool {
			return status(w, 503, `{"error":{"message":"engine overloaded"}}`)
		}},
		{prompt: "slow once", wantHits: 2, script: func(w http.ResponseWriter, r *http.Request, n int) bool {
			return n == 1 && slow(w, r)
		}},
		{prompt: "slow always", wantHits: retries + 1, wantErr: []string{"no complete reply", "within 1s", "gave up after 4 attempts"}, script: func(w http.ResponseWriter, r *http.Request, n int) bool {
			return slow(w, r)
		}},
		{prompt: "truncated once", wantHits: 2, script: func(w http.ResponseWriter, r *http.Request, n int) bool {
			return n == 1 && truncated(w)
		}},
		{prompt: "truncated always", wantHits: retries + 1, wantErr: []string{"cut off", "unexpected EOF", "gave up"}, script: func(w http.ResponseWriter, r *http.Request, n int) bool {
			return truncated(w)
		}},
		{prompt: "html", wantHits: 1, wantErr: []string{"not valid JSON", "<html>oops"}, script: func(w http.ResponseWriter, r *http.Request, n int) bool {
			return status(w, 200, "<html>oops</html>")
		}},
		{prompt: "cut json", wantHits: 1, wantErr: []string{"not valid JSON", "unexpected end of JSON input"}, script: func(w http.ResponseWriter, r *http.Request, n int) bool {
			return status(w, 200, `{"choices":[{"message":`)
		}},
		{prompt: "null content", wantHits: 1, wantErr: []string{"no content", `finish_reason "length"`}, script: func(w http.ResponseWriter, r *http.Request, n int) bool {
			return status(w, 200, `{"choices":[{"message":{"role":"assistant","content":null},"finish_reason":"length"}]}`)
		}},
		{prompt: "no choices", wantHits: 1, wantErr: []string{"no content: no choices"}, script: func(w http.ResponseWriter, r *http.Request, n int) bool {
			return status(w, 200, `{"id":"x","choices":[]}`)
		}},
		{prompt: "error object", wantHits: 1, wantErr: []string{"reply is an error", "upstream overloaded"}, script: func(w http.ResponseWriter, r *http.Request, n int) bool {
			return status(w, 200, `{"error":{"message":"upstream overloaded","code":500}}`)
		}},
		{prompt: "400 validation", wantHits: 1, wantErr: []string{"400 Bad Request", "maximum context length is 4096 tokens"}, script: func(w http.ResponseWriter, r *http.Request, n int) bool {
			return status(w, 400, `{"object":"error","message":"This model's maximum context length is 4096 tokens. However, you requested 5000 tokens.","type":"BadRequestError","param":null,"code":400}`)
		}},
		{prompt: "422 validation", wantHits: 1, wantErr: []string{"422 Unprocessable Entity", "max_tokens"}, script: func(w http.ResponseWriter, r *http.Request, n int) bool {
			return status(w, 422, `{"detail":[{"loc":["body","max_tokens"],"msg":"Input should be greater than 0"}]}`)
		}},
	}
	scripts := map[string]func(w http.ResponseWriter, r *http.Request, n int) bool{}
	for _, tt := range tests {
		scripts[tt.prompt] = tt.script
	}
	srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, prompt string, n int) bool {
		if s := scripts[prompt]; s != nil {
			return s(w, r, n)
		}
		return false
	})
	cfg := testConfig(srv.url())
	cfg.Timeout = time.Second // generous for the well-behaved requests on a loaded machine
	cfg.MaxRetries = retries
	c := mustNew(t, cfg)

	reqs := make([]infer.ChatRequest, len(tests))
	for i, tt := range tests {
		reqs[i] = userReq(tt.prompt)
	}
	results, err := c.Chat(context.Background(), reqs)
	var be *infer.BatchError
	if !errors.As(err, &be) {
		t.Fatalf("Chat error = %v, want a BatchError", err)
	}
	if errclass.IsFatal(err) {
		t.Fatalf("per-request failures made the batch fatal: %v", err)
	}
	if len(results) != len(tests) || len(be.Errs) != len(tests) {
		t.Fatalf("got %d results, %d errors for %d requests", len(results), len(be.Errs), len(tests))
	}
	for i, tt := range tests {
		t.Run(tt.prompt, func(t *testing.T) {
			hits, successes := srv.count(tt.prompt)
			if hits != tt.wantHits {
				t.Errorf("server hits = %d, want %d", hits, tt.wantHits)
			}
			if successes > 1 {
				t.Errorf("answered %d times", successes)
			}
			err := be.Errs[i]
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatalf("failed: %v", err)
				}
				want := infer.ChatResult{Text: "summary of " + tt.prompt, Stop: infer.StopEOS, PromptTokens: 12, CompletionTokens: 4}
				if results[i] != want {
					t.Errorf("result = %+v, want %+v", results[i], want)
				}
				return
			}
			if err == nil {
				t.Fatalf("succeeded with %+v, want an error", results[i])
			}
			if successes != 0 || results[i] != (infer.ChatResult{}) {
				t.Errorf("failed request has an answer: %+v", results[i])
			}
			msg := err.Error()
			t.Logf("error: %s", msg)
			for _, w := range tt.wantErr {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not mention %q", msg, w)
				}
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("error is not one line: %q", msg)
			}
			if k := errclass.Kind(err); k != errclass.Document {
				t.Errorf("class = %v, want document", k)
			}
		})
		if tt.minGap > 0 {
			srv.mu.Lock()
			ts := srv.times[tt.prompt]
			srv.mu.Unlock()
			if len(ts) >= 2 && ts[1].Sub(ts[0]) < tt.minGap {
				t.Errorf("%s: retried after %v, server asked for at least %v", tt.prompt, ts[1].Sub(ts[0]), tt.minGap)
			}
		}
	}
}

// TestRequestBody checks what goes over the wire.
func TestRequestBody(t *testing.T) {
	srv := newFakeServer(t, nil)
	cfg := testConfig(srv.url())
	cfg.APIKey = "sk-test-123"
	c := mustNew(t, cfg)
	reqs := []infer.ChatRequest{
		userReq("greedy"),
		{Messages: []infer.Message{{Role: infer.RoleUser, Content: "sampled"}}, MaxNewTokens: 7,
			Sampling: infer.Sampling{Temperature: 0.7, TopP: 0.9, TopK: 40, Seed: 42, RepetitionPenalty: 1.1}},
	}
	if _, err := c.Chat(context.Background(), reqs); err != nil {
		t.Fatal(err)
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	for _, a := range srv.auth {
		if a != "Bearer sk-test-123" {
			t.Errorf("Authorization = %q", a)
		}
	}
	byPrompt := map[string]map[string]any{}
	for _, b := range srv.bodies {
		msgs := b["messages"].([]any)
		byPrompt[msgs[len(msgs)-1].(map[string]any)["content"].(string)] = b
	}
	g := byPrompt["greedy"]
	if g["model"] != "tiny" || g["temperature"] != 0.0 || g["max_tokens"] != 64.0 || g["stream"] != false {
		t.Errorf("greedy body = %v", g)
	}
	for _, k := range []string{"top_p", "top_k", "seed", "repetition_penalty"} {
		if _, ok := g[k]; ok {
			t.Errorf("greedy body sends %s: %v", k, g)
		}
	}
	if len(g["messages"].([]any)) != 2 {
		t.Errorf("messages = %v", g["messages"])
	}
	s := byPrompt["sampled"]
	want := map[string]any{"temperature": 0.7, "top_p": 0.9, "top_k": 40.0, "seed": 42.0, "repetition_penalty": 1.1, "max_tokens": 7.0}
	for k, v := range want {
		if s[k] != v {
			t.Errorf("sampled body %s = %v, want %v", k, s[k], v)
		}
	}
}

// TestAPIKeyNeverShown: a server that echoes the key in its 401 message.
// The error is fatal, names the cause, hides the key, and the remaining
// requests are not sent.
func TestAPIKeyNeverShown(t *testing.T) {
	const good, bad = "sk-good-key-0001", "sk-wrong-key-9876"
	srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, prompt string, n int) bool {
		if got := r.Header.Get("Authorization"); got != "Bearer "+good {
			return status(w, 401, fmt.Sprintf(`{"error":{"message":"Incorrect API key provided: %s","type":"invalid_request_error"}}`, strings.TrimPrefix(got, "Bearer ")))
		}
		return false
	})
	var logs bytes.Buffer
	cfg := testConfig(srv.url())
	cfg.Concurrency = 1
	cfg.APIKey = good
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Chat(context.Background(), []infer.ChatRequest{userReq("a")}); err != nil {
		t.Fatalf("right key: %v", err)
	}
	c.Close()

	cfg.APIKey = bad
	c, err = New(context.Background(), cfg) // this server's /models takes any key
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	before := srv.totalHits()
	_, err = c.Chat(context.Background(), []infer.ChatRequest{userReq("b"), userReq("c"), userReq("d")})
	if !errclass.IsFatal(err) {
		t.Fatalf("wrong key: error %v is not fatal", err)
	}
	var be *infer.BatchError
	if !errors.As(err, &be) || be.Failed() != 3 {
		t.Fatalf("error = %v, want 3 failed requests", err)
	}
	if hits := srv.totalHits() - before; hits != 1 {
		t.Errorf("server hit %d times with a rejected key, want 1", hits)
	}
	for i, e := range be.Errs {
		msg := e.Error()
		if strings.Contains(msg, bad) || strings.Contains(msg, "9876") {
			t.Errorf("request %d: error shows the key: %q", i, msg)
		}
		if !strings.Contains(msg, "401 Unauthorized") || !errors.Is(e, ErrUnauthorized) || !strings.Contains(msg, redacted) {
			t.Errorf("request %d: unclear error %q", i, msg)
		}
	}
	if strings.Contains(err.Error(), bad) || strings.Contains(logs.String(), bad) || strings.Contains(logs.String(), good) {
		t.Errorf("key leaked into the batch error or the log:\n%s\n%s", err, logs.String())
	}
	if n := strings.Count(logs.String(), "level=ERROR"); n != 1 {
		t.Errorf("%d error lines logged, want 1:\n%s", n, logs.String())
	}
}

// TestDeadEndpoint: the server goes away after New. The circuit opens after
// the threshold and the remaining requests fail fast, fatally, with one
// logged line.
func TestDeadEndpoint(t *testing.T) {
	srv := newFakeServer(t, nil)
	var logs bytes.Buffer
	cfg := testConfig(srv.url())
	cfg.BreakerThreshold = 3
	cfg.BreakerMinDuration = time.Millisecond
	cfg.MaxRetries = 5
	cfg.BackoffBase = 20 * time.Millisecond
	cfg.BackoffMax = 200 * time.Millisecond
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	c := mustNew(t, cfg)
	srv.srv.Close()

	reqs := docReqs(50)
	start := time.Now()
	_, err := c.Chat(context.Background(), reqs)
	elapsed := time.Since(start)
	if !errclass.IsFatal(err) {
		t.Fatalf("error %v is not fatal", err)
	}
	var be *infer.BatchError
	if !errors.As(err, &be) || be.Failed() != len(reqs) {
		t.Fatalf("error = %v, want all %d failed", err, len(reqs))
	}
	t.Logf("first error: %v", be.Errs[0])
	for i, e := range be.Errs {
		// A keep-alive connection from before the close can end in EOF or a
		// reset instead of a refusal (seen under -race on a loaded runner).
		dead := strings.Contains(e.Error(), "connection refused") || strings.Contains(e.Error(), "EOF") || strings.Contains(e.Error(), "connection reset")
		if !errclass.IsFatal(e) || !strings.Contains(e.Error(), "is down") || !dead {
			t.Fatalf("request %d: %v", i, e)
		}
	}
	// 50 requests × 6 attempts with backoff would take many seconds.
	if elapsed > 3*time.Second {
		t.Errorf("took %v to give up on a dead endpoint", elapsed)
	}
	if n := strings.Count(logs.String(), "level=ERROR"); n != 1 {
		t.Errorf("%d error lines logged, want 1:\n%s", n, logs.String())
	}
	// Later calls fail at once.
	if _, err := c.Chat(context.Background(), reqs[:1]); !errclass.IsFatal(err) {
		t.Errorf("after the circuit opened: %v", err)
	}
}

// TestBreakerCountsHits: a server that answers 503 to everything gets about
// threshold + concurrency - 1 attempts before the circuit opens (a few more
// when the first failures fall within BreakerMinDuration of each other),
// never the 30 × 11 attempts retries alone would make.
func TestBreakerCountsHits(t *testing.T) {
	srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, prompt string, n int) bool {
		return status(w, 503, `{"error":{"message":"no healthy upstream"}}`)
	})
	cfg := testConfig(srv.url())
	cfg.Concurrency = 3
	cfg.BreakerThreshold = 4
	cfg.BreakerMinDuration = time.Millisecond
	cfg.MaxRetries = 10
	c := mustNew(t, cfg)
	reqs := docReqs(30)
	_, err := c.Chat(context.Background(), reqs)
	if !errclass.IsFatal(err) || !strings.Contains(err.Error(), "no healthy upstream") {
		t.Fatalf("error = %v", err)
	}
	if hits := srv.totalHits(); hits < cfg.BreakerThreshold || hits > cfg.BreakerThreshold+2*cfg.Concurrency {
		t.Errorf("server hit %d times, want %d..%d", hits, cfg.BreakerThreshold, cfg.BreakerThreshold+2*cfg.Concurrency)
	}
}

// TestBreakerMinDuration: a burst of failures shorter than the minimum
// duration does not open the circuit; the server recovers and all succeed.
func TestBreakerMinDuration(t *testing.T) {
	srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, prompt string, n int) bool {
		return n <= 2 && status(w, 502, "bad gateway")
	})
	cfg := testConfig(srv.url())
	cfg.BreakerThreshold = 2
	cfg.BreakerMinDuration = time.Minute
	c := mustNew(t, cfg)
	reqs := docReqs(8)
	if _, err := c.Chat(context.Background(), reqs); err != nil {
		t.Fatal(err)
	}
	if hits := srv.totalHits(); hits != 3*len(reqs) {
		t.Errorf("hits = %d, want %d", hits, 3*len(reqs))
	}
}

// TestPoisonDocument: a server that answers 500 to one document, however
// often it is asked, fails that document only; the circuit stays closed.
func TestPoisonDocument(t *testing.T) {
	srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, prompt string, n int) bool {
		return prompt == "poison" && status(w, 500, `{"error":{"message":"CUDA error: an illegal memory access"}}`)
	})
	cfg := testConfig(srv.url())
	cfg.Concurrency = 1
	cfg.BreakerThreshold = 2
	cfg.BreakerMinDuration = time.Millisecond
	c := mustNew(t, cfg)
	_, err := c.Chat(context.Background(), []infer.ChatRequest{userReq("poison"), userReq("fine")})
	var be *infer.BatchError
	if !errors.As(err, &be) || errclass.IsFatal(err) || be.Errs[0] == nil || be.Errs[1] != nil {
		t.Fatalf("error = %v", err)
	}
	if hits, _ := srv.count("poison"); hits != cfg.MaxRetries+1 {
		t.Errorf("poison sent %d times, want %d", hits, cfg.MaxRetries+1)
	}
	if !strings.Contains(be.Errs[0].Error(), "illegal memory access") {
		t.Errorf("error %v lacks the server's message", be.Errs[0])
	}
}

// TestContextCancel: cancelling stops in-flight and queued requests
// promptly, with errors that wrap context.Canceled.
func TestContextCancel(t *testing.T) {
	srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, prompt string, n int) bool {
		return slow(w, r)
	})
	cfg := testConfig(srv.url())
	cfg.Concurrency = 2
	cfg.Timeout = time.Minute
	c := mustNew(t, cfg)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	reqs := docReqs(10)
	start := time.Now()
	_, err := c.Chat(ctx, reqs)
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Chat returned %v after the cancel", d)
	}
	var be *infer.BatchError
	if !errors.As(err, &be) || be.Failed() != len(reqs) {
		t.Fatalf("error = %v", err)
	}
	for i, e := range be.Errs {
		if !errors.Is(e, context.Canceled) {
			t.Errorf("request %d: %v does not wrap context.Canceled", i, e)
		}
		if errclass.IsFatal(e) || errclass.IsRetryable(e) {
			t.Errorf("request %d: cancellation classed %v", i, errclass.Kind(e))
		}
	}
	if hits := srv.totalHits(); hits < 1 || hits > cfg.Concurrency {
		t.Errorf("server hit %d times, want 1..%d (the requests in flight)", hits, cfg.Concurrency)
	}
}

// TestCancelDuringBackoff: a cancel that arrives while a request waits to
// retry ends it at once, unclassed, wrapping context.Canceled.
func TestCancelDuringBackoff(t *testing.T) {
	srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, prompt string, n int) bool {
		w.Header().Set("Retry-After", "30")
		return status(w, 429, `{"error":{"message":"slow down"}}`)
	})
	c := mustNew(t, testConfig(srv.url()))
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	_, err := c.Chat(ctx, []infer.ChatRequest{userReq("x")})
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("returned after %v", d)
	}
	if !errors.Is(err, context.Canceled) || errclass.IsRetryable(err) || errclass.IsFatal(err) || !strings.Contains(err.Error(), "slow down") {
		t.Fatalf("error = %v (class %v)", err, errclass.Kind(err))
	}
	if hits, _ := srv.count("x"); hits != 1 {
		t.Errorf("hits = %d, want 1", hits)
	}
}

// TestConcurrencyBound: never more requests in flight than configured, also
// across concurrent Chat calls.
func TestConcurrencyBound(t *testing.T) {
	var mu sync.Mutex
	inFlight, peak := 0, 0
	srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, prompt string, n int) bool {
		mu.Lock()
		inFlight++
		peak = max(peak, inFlight)
		mu.Unlock()
		time.Sleep(20 * time.Millisecond)
		mu.Lock()
		inFlight--
		mu.Unlock()
		return false
	})
	cfg := testConfig(srv.url())
	cfg.Concurrency = 3
	c := mustNew(t, cfg)
	var wg sync.WaitGroup
	for g := range 3 {
		wg.Go(func() {
			reqs := make([]infer.ChatRequest, 6)
			for i := range reqs {
				reqs[i] = userReq(fmt.Sprint("call ", g, " doc ", i))
			}
			res, err := c.Chat(context.Background(), reqs)
			if err != nil {
				t.Error(err)
				return
			}
			for i, r := range res {
				if want := "summary of " + fmt.Sprint("call ", g, " doc ", i); r.Text != want {
					t.Errorf("result %d = %q, want %q", i, r.Text, want)
				}
			}
		})
	}
	wg.Wait()
	if peak > cfg.Concurrency || peak < 2 {
		t.Errorf("peak in flight = %d, want 2..%d", peak, cfg.Concurrency)
	}
}

func TestNew(t *testing.T) {
	two := `{"data":[{"id":"a","max_model_len":8192},{"id":"b","max_model_len":2048}]}`
	tests := []struct {
		name         string
		models       string
		modelsStatus int
		cfg          func(*Config)
		wantErr      string
		wantIs       error
		wantModel    string
		wantWindow   int
		wantCounting string
	}{
		{name: "single model", models: tinyModels, wantModel: "tiny", wantWindow: 4096, wantCounting: "approx"},
		{name: "named model", models: two, cfg: func(c *Config) { c.ModelName = "b" }, wantModel: "b", wantWindow: 2048, wantCounting: "approx"},
		{name: "several, none named", models: two, wantErr: "serves several models (a, b)", wantIs: ErrModelNameNeeded},
		{name: "unknown name", models: two, cfg: func(c *Config) { c.ModelName = "c" }, wantErr: `does not serve model "c" (it serves a, b)`},
		{name: "no window reported", models: `{"data":[{"id":"m"}]}`, wantErr: "does not report the context window", wantIs: ErrNoContextWindow},
		{name: "window given", models: `{"data":[{"id":"m"}]}`, cfg: func(c *Config) { c.ContextWindow = 1000 }, wantModel: "m", wantWindow: 1000, wantCounting: "approx"},
		{name: "given larger than server's", models: tinyModels, cfg: func(c *Config) { c.ContextWindow = 100000 }, wantModel: "tiny", wantWindow: 4096, wantCounting: "approx"},
		{name: "given smaller than server's", models: tinyModels, cfg: func(c *Config) { c.ContextWindow = 1024 }, wantModel: "tiny", wantWindow: 1024, wantCounting: "approx"},
		{name: "tokenizer", models: tinyModels, cfg: func(c *Config) {
			c.CountTokens = func(msgs []infer.Message) (int, error) { return len(msgs), nil }
		}, wantModel: "tiny", wantWindow: 4096, wantCounting: "tokenizer"},
		{name: "no /models, all given", models: "404 page not found", modelsStatus: 404, cfg: func(c *Config) { c.ModelName = "x"; c.ContextWindow = 512 }, wantModel: "x", wantWindow: 512, wantCounting: "approx"},
		{name: "no /models, name missing", models: "404 page not found", modelsStatus: 404, cfg: func(c *Config) { c.ContextWindow = 512 }, wantErr: "404 Not Found", wantIs: ErrNotFound},
		{name: "auth", models: `{"error":{"message":"invalid key"}}`, modelsStatus: 401, wantErr: "401 Unauthorized: invalid key", wantIs: ErrUnauthorized},
		{name: "empty list", models: `{"data":[]}`, wantErr: "lists no models"},
		{name: "garbage", models: `<html>`, wantErr: "not valid JSON"},
		{name: "endpoint without /v1", models: tinyModels, cfg: func(c *Config) { c.Endpoint = strings.TrimSuffix(c.Endpoint, "/v1") }, wantModel: "tiny", wantWindow: 4096, wantCounting: "approx"},
		{name: "full route as endpoint", models: tinyModels, cfg: func(c *Config) { c.Endpoint += "/chat/completions" }, wantModel: "tiny", wantWindow: 4096, wantCounting: "approx"},
		{name: "bad scheme", cfg: func(c *Config) { c.Endpoint = "ftp://u:hunter2@host/v1" }, wantErr: "scheme must be http or https"},
		{name: "not a URL", cfg: func(c *Config) { c.Endpoint = "host:8000/v1" }, wantErr: "not an http(s) URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newFakeServer(t, nil)
			srv.models, srv.modelsStatus = tt.models, tt.modelsStatus
			cfg := testConfig(srv.url())
			if tt.cfg != nil {
				tt.cfg(&cfg)
			}
			c, err := New(context.Background(), cfg)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
				}
				if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
					t.Fatalf("error %v is not %v", err, tt.wantIs)
				}
				if !errclass.IsFatal(err) || strings.Contains(err.Error(), "hunter2") {
					t.Fatalf("error %q: class %v", err, errclass.Kind(err))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			host := strings.TrimPrefix(srv.srv.URL, "http://")
			info := c.Info()
			if info.Backend != "openai" || info.Model != tt.wantModel || info.ContextWindow != tt.wantWindow ||
				info.TokenCounting != tt.wantCounting || info.Endpoint != host || !strings.HasPrefix(info.Identity, "openai-") {
				t.Fatalf("info = %+v", info)
			}
			if _, err := c.Chat(context.Background(), []infer.ChatRequest{userReq("x")}); err != nil {
				t.Fatalf("chat after New: %v", err)
			}
		})
	}
}

// TestNewDeadEndpoint: New fails fatally, naming the cause, once retries
// are spent on a port nobody listens on.
func TestNewDeadEndpoint(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cfg := testConfig("http://" + addr + "/v1")
	cfg.APIKey = "sk-dead-0000"
	_, err = New(context.Background(), cfg)
	if !errclass.IsFatal(err) || !strings.Contains(err.Error(), "connection refused") || !strings.Contains(err.Error(), "gave up after 4 attempts") {
		t.Fatalf("error = %v", err)
	}
	if strings.Contains(err.Error(), "sk-dead") {
		t.Fatalf("key in error: %v", err)
	}
}

func TestClosed(t *testing.T) {
	srv := newFakeServer(t, nil)
	c, err := New(context.Background(), testConfig(srv.url()))
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if _, err := c.Chat(context.Background(), []infer.ChatRequest{userReq("x")}); !errclass.IsFatal(err) || !strings.Contains(err.Error(), "closed") {
		t.Fatalf("Chat after Close: %v", err)
	}
}

func TestCountTokens(t *testing.T) {
	msgs := []infer.Message{{Role: infer.RoleUser, Content: "hello world"}}
	c, err := newClient(Config{Endpoint: "http://127.0.0.1:1/v1"})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := c.CountTokens(msgs); err != nil || n != approxChatTokens(msgs) {
		t.Fatalf("approx CountTokens = %d, %v", n, err)
	}
	boom := errors.New("boom")
	c, err = newClient(Config{Endpoint: "http://127.0.0.1:1/v1", CountTokens: func([]infer.Message) (int, error) { return 0, boom }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CountTokens(msgs); !errors.Is(err, boom) {
		t.Fatalf("tokenizer error lost: %v", err)
	}
}

// TestIdentity: the identity follows the model (name and weights), not the
// host serving it.
func TestIdentity(t *testing.T) {
	identity := func(models string) string {
		srv := newFakeServer(t, nil)
		srv.models = models
		c, err := New(context.Background(), testConfig(srv.url()))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.Info().Identity
	}
	a1 := identity(`{"data":[{"id":"llama","root":"meta-llama/Llama-3.2-3B-Instruct","max_model_len":8192}]}`)
	a2 := identity(`{"data":[{"id":"llama","root":"meta-llama/Llama-3.2-3B-Instruct","max_model_len":8192}]}`)
	b := identity(`{"data":[{"id":"llama","root":"meta-llama/Llama-3.2-1B-Instruct","max_model_len":8192}]}`)
	if a1 != a2 {
		t.Errorf("same model on two hosts: %s != %s", a1, a2)
	}
	if a1 == b {
		t.Errorf("different weights behind one name share identity %s", a1)
	}
}
