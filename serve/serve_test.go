package serve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/llsum/llsum/infer"
	"github.com/llsum/llsum/infer/onnx"
	"github.com/llsum/llsum/infer/onnx/onnxtest"
	"github.com/llsum/llsum/infer/openai"
)

// The tests run the real ONNX Runtime engine on a tiny Llama model written
// by genmodel (random weights, a real byte-level BPE tokenizer and Llama 3
// chat template beside it), behind a real HTTP server on 127.0.0.1.

// openModel opens the engine on a generated tiny model; it fails under CI
// and skips locally when ONNX Runtime is not installed.
func openModel(t testing.TB) infer.ChatModel {
	t.Helper()
	return onnxtest.TinyChatModel(t, onnx.Options{Threads: 1})
}

// startServer runs a Server on 127.0.0.1 until the test ends.
func startServer(t testing.TB, cfg Config) (base string, stop func() error) {
	t.Helper()
	_, base, stop = runServer(t, cfg)
	return base, stop
}

// runServer is startServer that also returns the Server.
func runServer(t testing.TB, cfg Config) (s *Server, base string, stop func() error) {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, ln) }()
	var once sync.Once
	var runErr error
	stop = func() error {
		once.Do(func() {
			cancel()
			runErr = <-done
		})
		return runErr
	}
	t.Cleanup(func() { stop() })
	return s, "http://" + ln.Addr().String(), stop
}

func msgs(text string) []infer.Message {
	return []infer.Message{{Role: infer.RoleSystem, Content: "Summarize."}, {Role: infer.RoleUser, Content: text}}
}

// TestServeAnswersLikeTheEngine: llsum's openai client against the server
// gets, for each request of a batch, exactly what the engine answers
// directly; the model and context window come from /v1/models.
func TestServeAnswersLikeTheEngine(t *testing.T) {
	m := openModel(t)
	base, _ := startServer(t, Config{Model: m, ModelName: "tiny", MaxBatch: 4})
	c, err := openai.New(context.Background(), openai.Config{Endpoint: base + "/v1", Concurrency: 6})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	info := c.Info()
	if info.Model != "tiny" || info.ContextWindow != m.Info().ContextWindow || info.Endpoint != strings.TrimPrefix(base, "http://") {
		t.Fatalf("client info = %+v", info)
	}
	var reqs []infer.ChatRequest
	for i := range 6 {
		reqs = append(reqs, infer.ChatRequest{Messages: msgs(fmt.Sprintf("document number %d says hello", i)), MaxNewTokens: 8 + i})
	}
	got, err := c.Chat(context.Background(), reqs)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range reqs {
		want, err := m.Chat(context.Background(), []infer.ChatRequest{r})
		if err != nil {
			t.Fatal(err)
		}
		// JSON carries text as valid UTF-8: invalid bytes (a random-weight
		// model emits them) become U+FFFD, as they do in the engine's
		// answer marshalled the same way.
		var wantText string
		raw, _ := json.Marshal(want[0].Text)
		json.Unmarshal(raw, &wantText)
		if got[i].Text != wantText || got[i].CompletionTokens != want[0].CompletionTokens || got[i].PromptTokens != want[0].PromptTokens {
			t.Errorf("request %d: served %+v, engine %+v", i, got[i], want[0])
		}
		if got[i].CompletionTokens == 0 || got[i].CompletionTokens > r.MaxNewTokens {
			t.Errorf("request %d: %d completion tokens for max %d", i, got[i].CompletionTokens, r.MaxNewTokens)
		}
	}
}

// post sends a chat request; it may run on any goroutine, so failures are
// reported with t.Error and a zero status.
func post(t testing.TB, url, key, body string) (*http.Response, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Error(err)
		return &http.Response{}, nil
	}
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return &http.Response{}, nil
	}
	defer resp.Body.Close()
	var v map[string]any
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Errorf("reply is not JSON: %q", raw)
	}
	return resp, v
}

func TestServeValidation(t *testing.T) {
	m := openModel(t)
	base, _ := startServer(t, Config{Model: m, ModelName: "tiny", APIKey: "sk-serve"})
	long := strings.Repeat("word ", m.Info().ContextWindow)
	tests := []struct {
		name    string
		key     string
		body    string
		status  int
		wantMsg string
	}{
		{"ok", "sk-serve", `{"model":"tiny","messages":[{"role":"user","content":"hi"}],"max_tokens":4}`, 200, ""},
		{"no model field", "sk-serve", `{"messages":[{"role":"user","content":"hi"}],"max_tokens":4}`, 200, ""},
		{"no key", "", `{"model":"tiny","messages":[{"role":"user","content":"hi"}]}`, 401, "API key"},
		{"wrong key", "sk-other", `{"model":"tiny","messages":[{"role":"user","content":"hi"}]}`, 401, "API key"},
		{"unknown model", "sk-serve", `{"model":"gpt-9","messages":[{"role":"user","content":"hi"}]}`, 404, "`gpt-9` does not exist"},
		{"not json", "sk-serve", `{"model":`, 400, "not valid JSON"},
		{"no messages", "sk-serve", `{"model":"tiny","messages":[]}`, 400, "messages must not be empty"},
		{"bad role", "sk-serve", `{"model":"tiny","messages":[{"role":"tool","content":"hi"}]}`, 400, `role "tool"`},
		{"zero max_tokens", "sk-serve", `{"model":"tiny","messages":[{"role":"user","content":"hi"}],"max_tokens":0}`, 400, "max_tokens"},
		{"n=2", "sk-serve", `{"model":"tiny","n":2,"messages":[{"role":"user","content":"hi"}]}`, 400, "n must be 1"},
		{"too long", "sk-serve", `{"model":"tiny","messages":[{"role":"user","content":"` + long + `"}],"max_tokens":16}`, 400, "maximum context length is 2048 tokens"},
		{"max_tokens 2^63-1", "sk-serve", `{"model":"tiny","messages":[{"role":"user","content":"hi"}],"max_tokens":9223372036854775807}`, 400, "max_tokens 9223372036854775807 is larger"},
		{"max_completion_tokens huge", "sk-serve", `{"model":"tiny","messages":[{"role":"user","content":"hi"}],"max_completion_tokens":4096}`, 400, "max_completion_tokens"},
		{"max_tokens over int64", "sk-serve", `{"model":"tiny","messages":[{"role":"user","content":"hi"}],"max_tokens":92233720368547758070}`, 400, "not valid JSON"},
		{"negative max_tokens", "sk-serve", `{"model":"tiny","messages":[{"role":"user","content":"hi"}],"max_tokens":-5}`, 400, "max_tokens must be at least 1"},
		{"top_p > 1", "sk-serve", `{"model":"tiny","messages":[{"role":"user","content":"hi"}],"top_p":1.5}`, 400, "top_p"},
		{"top_p < 0", "sk-serve", `{"model":"tiny","messages":[{"role":"user","content":"hi"}],"top_p":-0.1}`, 400, "top_p"},
		{"top_k < 0", "sk-serve", `{"model":"tiny","messages":[{"role":"user","content":"hi"}],"top_k":-1}`, 400, "top_k"},
		{"repetition_penalty < 0", "sk-serve", `{"model":"tiny","messages":[{"role":"user","content":"hi"}],"repetition_penalty":-1}`, 400, "repetition_penalty"},
		{"negative temperature", "sk-serve", `{"model":"tiny","messages":[{"role":"user","content":"hi"}],"temperature":-1}`, 400, "temperature"},
		{"huge temperature", "sk-serve", `{"model":"tiny","messages":[{"role":"user","content":"hi"}],"temperature":1e300}`, 400, "temperature"},
		{"junk after body", "sk-serve", `{"model":"tiny","messages":[{"role":"user","content":"hi"}],"max_tokens":4} {"x":1}`, 400, "after the JSON"},
		{"garbage after body", "sk-serve", `{"model":"tiny","messages":[{"role":"user","content":"hi"}],"max_tokens":4}]]`, 400, "not valid JSON"},
		{"trailing space ok", "sk-serve", `{"model":"tiny","messages":[{"role":"user","content":"hi"}],"max_tokens":4}` + "\n  ", 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, v := post(t, base+"/v1/chat/completions", tt.key, tt.body)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %v", resp.StatusCode, tt.status, v)
			}
			if tt.status == 200 {
				chs, _ := v["choices"].([]any)
				if len(chs) != 1 {
					t.Fatalf("answer %v", v)
				}
				ch := chs[0].(map[string]any)
				if ch["message"].(map[string]any)["content"] == "" || ch["finish_reason"] == "" {
					t.Fatalf("answer %v", v)
				}
				return
			}
			e, _ := v["error"].(map[string]any)
			msg, _ := e["message"].(string)
			if !strings.Contains(msg, tt.wantMsg) {
				t.Fatalf("error message %q lacks %q", msg, tt.wantMsg)
			}
		})
	}
	// /healthz needs no key; /v1/models does.
	if resp, err := http.Get(base + "/healthz"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz: %v %v", resp, err)
	}
	if resp, err := http.Get(base + "/v1/models"); err != nil || resp.StatusCode != 401 {
		t.Fatalf("models without key: %v %v", resp, err)
	}
}

// TestServeBadBatchMate: a request whose max_tokens would overflow the
// context arithmetic is refused alone (400) while requests sent with it,
// which may share its batch, are answered.
func TestServeBadBatchMate(t *testing.T) {
	m := openModel(t)
	base, _ := startServer(t, Config{Model: m, ModelName: "tiny", MaxBatch: 8, BatchWait: 50 * time.Millisecond})
	var wg sync.WaitGroup
	codes := make([]int, 6)
	for i := range codes {
		wg.Go(func() {
			maxTok := "4"
			if i%2 == 0 {
				maxTok = "9223372036854775807"
			}
			resp, _ := post(t, base+"/v1/chat/completions", "", `{"model":"tiny","messages":[{"role":"user","content":"hello `+fmt.Sprint(i)+`"}],"max_tokens":`+maxTok+`}`)
			codes[i] = resp.StatusCode
		})
	}
	wg.Wait()
	for i, c := range codes {
		want := 200
		if i%2 == 0 {
			want = 400
		}
		if c != want {
			t.Errorf("request %d: status %d, want %d", i, c, want)
		}
	}
}

// TestServeShutdownSlowClient: a client that sends its headers and then
// trickles its body does not hold the shutdown.
func TestServeShutdownSlowClient(t *testing.T) {
	m := openModel(t)
	base, stop := startServer(t, Config{Model: m, ModelName: "tiny", ShutdownTimeout: time.Minute})
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"model\":")
	time.Sleep(200 * time.Millisecond) // the handler is reading the body
	start := time.Now()
	if err := stop(); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Fatalf("shutdown waited %s on a slow client", d)
	}
}

// postAll sends n chat requests at once and returns their status codes;
// check, when set, sees each reply.
func postAll(t *testing.T, base string, n, maxTokens int, check func(*http.Response, map[string]any)) []int {
	codes := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			body := fmt.Sprintf(`{"model":"tiny","messages":[{"role":"user","content":"request %d"}],"max_tokens":%d}`, i, maxTokens)
			resp, v := post(t, base+"/v1/chat/completions", "", body)
			codes[i] = resp.StatusCode
			if check != nil {
				check(resp, v)
			}
		})
	}
	wg.Wait()
	return codes
}

// TestServeQueueFull: a queue of 2 and batches of 1 under 32 simultaneous
// requests: some are refused with 429 and Retry-After, every other one is
// answered; none is lost.
func TestServeQueueFull(t *testing.T) {
	m := openModel(t)
	base, _ := startServer(t, Config{Model: m, ModelName: "tiny", MaxBatch: 1, Queue: 2})
	const n = 32
	codes := postAll(t, base, n, 128, func(resp *http.Response, v map[string]any) {
		if resp.StatusCode == 429 && resp.Header.Get("Retry-After") == "" {
			t.Errorf("429 without Retry-After: %v", v)
		}
	})
	count := map[int]int{}
	for _, c := range codes {
		count[c]++
	}
	if count[200]+count[429] != n || count[429] == 0 || count[200] < 2 {
		t.Fatalf("status counts %v: want only 200 and 429, some of each", count)
	}
}

// TestServeShutdown: requests accepted before shutdown are answered; Run
// returns cleanly; afterwards nothing listens.
func TestServeShutdown(t *testing.T) {
	// The engine is held until shutdown has begun, so that all requests
	// are queued or running when it does (the tiny model would otherwise
	// answer some before the last arrive).
	m := &gatedModel{ChatModel: openModel(t), gate: make(chan struct{})}
	base, stop := startServer(t, Config{Model: m, ModelName: "tiny", MaxBatch: 2})
	const n = 6
	var codes []int
	posted := make(chan struct{})
	go func() {
		defer close(posted)
		codes = postAll(t, base, n, 64, nil)
	}()
	// Wait until the server holds all of them (queued or running).
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, err := http.Get(base + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		var h struct{ Pending int }
		json.NewDecoder(resp.Body).Decode(&h)
		resp.Body.Close()
		if h.Pending == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("server holds %d of %d requests", h.Pending, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.AfterFunc(50*time.Millisecond, func() { close(m.gate) }) // once draining
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	<-posted
	for i, c := range codes {
		if c != 200 {
			t.Errorf("request %d: status %d after a graceful shutdown", i, c)
		}
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Error("still listening after shutdown")
	}
}

// gatedModel is the real model behind a gate: Chat waits until gate is
// closed.
type gatedModel struct {
	infer.ChatModel
	gate chan struct{}
}

func (m *gatedModel) Chat(ctx context.Context, reqs []infer.ChatRequest) ([]infer.ChatResult, error) {
	<-m.gate
	return m.ChatModel.Chat(ctx, reqs)
}

// TestServeLoad: 200 requests, 16 at a time, through llsum's openai client:
// every one is answered exactly once (429s from the bounded queue are
// retried by the client), and the figures are logged.
func TestServeLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	m := openModel(t)
	base, _ := startServer(t, Config{Model: m, ModelName: "tiny", MaxBatch: 8, Queue: 8})
	st := loadTest(t, base, 200, 16)
	if st.failed != 0 {
		t.Fatalf("%d of 200 requests failed: %v", st.failed, st.firstErr)
	}
	t.Logf("200 requests, 16 concurrent: %.1f req/s, p50 %v, p99 %v", st.rps, st.p50, st.p99)
}

type loadStats struct {
	rps      float64
	p50, p99 time.Duration
	failed   int
	firstErr error
}

// loadTest sends n single-request Chat calls from conc goroutines.
func loadTest(t testing.TB, base string, n, conc int) loadStats {
	return loadTestStream(t, base, n, conc, false)
}

// loadTestStream is loadTest with streamed replies or not.
func loadTestStream(t testing.TB, base string, n, conc int, stream bool) loadStats {
	t.Helper()
	c, err := openai.New(context.Background(), openai.Config{Endpoint: base + "/v1", Concurrency: conc, Stream: stream,
		BackoffBase: 5 * time.Millisecond, BackoffMax: 50 * time.Millisecond, MaxRetries: 50})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	lat := make([]time.Duration, n)
	errs := make([]error, n)
	next := make(chan int)
	var wg sync.WaitGroup
	start := time.Now()
	for range conc {
		wg.Go(func() {
			for i := range next {
				t0 := time.Now()
				res, err := c.Chat(context.Background(), []infer.ChatRequest{{Messages: msgs(fmt.Sprintf("load request %d", i)), MaxNewTokens: 16}})
				lat[i] = time.Since(t0)
				if err == nil && res[0].CompletionTokens == 0 {
					err = errors.New("empty answer")
				}
				errs[i] = err
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	st := loadStats{rps: float64(n) / time.Since(start).Seconds()}
	for _, err := range errs {
		if err != nil {
			st.failed++
			if st.firstErr == nil {
				st.firstErr = err
			}
		}
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	st.p50, st.p99 = lat[n/2], lat[n*99/100]
	return st
}

// BenchmarkServeLoad reports requests/s and latency percentiles of the
// served tiny model under 200 requests, 16 concurrent, with a queue that
// overflows (8: some requests get 429 and are retried by the client) and
// one that does not (64); BenchmarkEngineDirect is the peer: the same 200
// requests straight into the engine in batches of 8, no HTTP.
// Run: go test -run '^$' -bench 'ServeLoad|EngineDirect' -benchtime 1x ./serve/
func BenchmarkServeLoad(b *testing.B) {
	m := openModel(b)
	for _, queue := range []int{8, 64} {
		b.Run(fmt.Sprintf("queue=%d", queue), func(b *testing.B) {
			base, _ := startServer(b, Config{Model: m, ModelName: "tiny", MaxBatch: 8, Queue: queue})
			for b.Loop() {
				st := loadTest(b, base, 200, 16)
				if st.failed != 0 {
					b.Fatalf("%d failed: %v", st.failed, st.firstErr)
				}
				b.ReportMetric(st.rps, "req/s")
				b.ReportMetric(float64(st.p50.Microseconds())/1000, "p50-ms")
				b.ReportMetric(float64(st.p99.Microseconds())/1000, "p99-ms")
			}
		})
	}
}

func BenchmarkEngineDirect(b *testing.B) {
	m := openModel(b)
	for b.Loop() {
		start := time.Now()
		for k := 0; k < 200; k += 8 {
			reqs := make([]infer.ChatRequest, 8)
			for i := range reqs {
				reqs[i] = infer.ChatRequest{Messages: msgs(fmt.Sprintf("load request %d", k+i)), MaxNewTokens: 16}
			}
			if _, err := m.Chat(context.Background(), reqs); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(200/time.Since(start).Seconds(), "req/s")
	}
}

// TestServeParsingBound: at most maxParsing request bodies are read and
// tokenized at once; another request waits for a slot (it is not
// refused), and gets one as soon as a reader finishes.
func TestServeParsingBound(t *testing.T) {
	m := openModel(t)
	base, _ := startServer(t, Config{Model: m, ModelName: "tiny"})
	var conns []net.Conn
	for range maxParsing {
		conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{")
		conns = append(conns, conn)
	}
	time.Sleep(200 * time.Millisecond)
	done := make(chan int, 1)
	go func() {
		resp, _ := post(t, base+"/v1/chat/completions", "", `{"model":"tiny","messages":[{"role":"user","content":"hi"}],"max_tokens":2}`)
		done <- resp.StatusCode
	}()
	select {
	case code := <-done:
		t.Fatalf("a request was read while %d bodies were being read (status %d)", maxParsing, code)
	case <-time.After(500 * time.Millisecond):
	}
	conns[0].Close() // its read fails and frees a slot
	select {
	case code := <-done:
		if code != 200 {
			t.Fatalf("status %d", code)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the waiting request never got a slot")
	}
}

// idsModel records the prompt ids the server passes with each request.
type idsModel struct {
	*onnx.ChatModel
	mu  sync.Mutex
	ids [][]int
}

func (m *idsModel) Chat(ctx context.Context, reqs []infer.ChatRequest) ([]infer.ChatResult, error) {
	m.mu.Lock()
	for _, r := range reqs {
		m.ids = append(m.ids, r.PromptIDs)
	}
	m.mu.Unlock()
	return m.ChatModel.Chat(ctx, reqs)
}

// TestServePromptIDs: the prompt the server tokenizes to check it against
// the context window goes to the engine with the request (tokenized once),
// and the usage counts the same ids.
func TestServePromptIDs(t *testing.T) {
	m := &idsModel{ChatModel: onnxtest.TinyChatModel(t, onnx.Options{Threads: 1})}
	base, _ := startServer(t, Config{Model: m, ModelName: "tiny"})
	msgs := []infer.Message{{Role: infer.RoleSystem, Content: "Be brief."}, {Role: infer.RoleUser, Content: "Tell me about the moon."}}
	want, err := m.EncodePrompt(msgs)
	if err != nil {
		t.Fatal(err)
	}
	_, reply := post(t, base+"/v1/chat/completions", "", `{"model":"tiny","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Tell me about the moon."}],"max_tokens":3}`)
	if got := reply["usage"].(map[string]any)["prompt_tokens"].(float64); int(got) != len(want) {
		t.Errorf("usage: %v prompt tokens, want %d", got, len(want))
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.ids) != 1 || fmt.Sprint(m.ids[0]) != fmt.Sprint(want) {
		t.Errorf("the engine got prompt ids %v, want %v", m.ids, want)
	}
}

// TestFillWindow: the batch window takes what is queued up to MaxBatch at
// once, otherwise waits the whole of BatchWait (a window under a
// millisecond, which is all polled, as well), and batches a request that
// arrives within it.
func TestFillWindow(t *testing.T) {
	for _, wait := range []time.Duration{300 * time.Microsecond, 30 * time.Millisecond} {
		s := &Server{cfg: Config{MaxBatch: 3, BatchWait: wait}, queue: make(chan *job, 8)}
		for range 4 {
			s.queue <- &job{}
		}
		if got := s.fill([]*job{{}}); len(got) != 3 || len(s.queue) != 2 {
			t.Errorf("wait %v: a batch of %d, %d left queued; want 3 and 2", wait, len(got), len(s.queue))
		}
		<-s.queue
		<-s.queue
		start := time.Now()
		got := s.fill([]*job{{}})
		if d := time.Since(start); len(got) != 1 || d < wait {
			t.Errorf("wait %v: alone: a batch of %d after %v", wait, len(got), d)
		}
		if wait < 10*time.Millisecond {
			continue // a sleep that short lasts about a millisecond: see timerSlack
		}
		late := &job{}
		go func() {
			time.Sleep(wait / 3)
			s.queue <- late
		}()
		if got := s.fill([]*job{{}}); len(got) != 2 || got[1] != late {
			t.Errorf("wait %v: a request queued a third into the window was not batched (batch of %d)", wait, len(got))
		}
	}
}

// TestStartsAlone: the dispatcher skips the batch window only when nothing
// else is queued or being read and the recent traffic was one request at a
// time, spaced wider than a reply.
func TestStartsAlone(t *testing.T) {
	for _, c := range []struct {
		name     string
		incoming int64
		size     int
		took     time.Duration
		gap      time.Duration
		want     bool
	}{
		{"first request since start", 0, 0, 0, time.Hour, true},
		{"after a lone reply, spaced wider", 0, 1, 40 * time.Millisecond, 50 * time.Millisecond, true},
		{"another request being read", 1, 1, 40 * time.Millisecond, 50 * time.Millisecond, false},
		{"after a batch of two", 0, 2, 40 * time.Millisecond, time.Second, false},
		{"sooner than the last reply took", 0, 1, 40 * time.Millisecond, 30 * time.Millisecond, false},
	} {
		s := &Server{}
		s.incoming.Store(c.incoming)
		s.last.size, s.last.took = c.size, c.took
		if got := s.startsAlone(&job{gap: c.gap}); got != c.want {
			t.Errorf("%s: startsAlone %v, want %v", c.name, got, c.want)
		}
	}
}

// batches returns the number of batches a server has run and the requests
// in them, from its /metrics.
func batches(t *testing.T, base string) (n, reqs float64) {
	m := scrape(t, base)
	return m["llsum_serve_batch_size_count"], m["llsum_serve_batch_size_sum"]
}

// arriving starts a POST of body whose second half waits for send: until
// then the server is reading it (the handler has started). The response
// comes on resp (nil after an error).
func arriving(t *testing.T, ctx context.Context, s *Server, url, body string) (send func(), resp <-chan *http.Response) {
	t.Helper()
	before := s.incoming.Load()
	pr, pw := io.Pipe()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, pr)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = int64(len(body))
	out := make(chan *http.Response, 1)
	go func() {
		r, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Error(err)
		}
		out <- r
	}()
	half := len(body) / 2
	if _, err := pw.Write([]byte(body[:half])); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); s.incoming.Load() == before; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the server never started reading the request")
		}
	}
	return func() {
		_, _ = pw.Write([]byte(body[half:]))
		pw.Close()
	}, out
}

// TestServeLoneRequestStartsAtOnce: on a quiet server a request starts
// without waiting out the batch window (here a minute, which the test's
// own timeout would catch), and so does the next lone one.
func TestServeLoneRequestStartsAtOnce(t *testing.T) {
	_, base, _ := runServer(t, Config{Model: openModel(t), ModelName: "tiny", BatchWait: time.Minute})
	for i := range 2 {
		start := time.Now()
		resp, _ := post(t, base+"/v1/chat/completions", "", `{"messages":[{"role":"user","content":"hello"}],"max_tokens":4}`)
		if resp.StatusCode != 200 {
			t.Fatalf("request %d: status %d", i, resp.StatusCode)
		}
		if d := time.Since(start); d >= time.Minute {
			t.Fatalf("request %d waited out the window (%v)", i, d)
		}
	}
	if n, reqs := batches(t, base); n != 2 || reqs != 2 {
		t.Errorf("%v batches of %v requests, want 2 of 2", n, reqs)
	}
}

// TestServeBatchesArriving: a request that finds another one being read
// waits for the window, and the two run as one batch; so does the next
// request after that batch, since the traffic is no longer one at a time.
func TestServeBatchesArriving(t *testing.T) {
	s, base, _ := runServer(t, Config{Model: openModel(t), ModelName: "tiny", MaxBatch: 2, BatchWait: time.Minute})
	const body = `{"messages":[{"role":"user","content":"hello %d"}],"max_tokens":4}`
	send, respc := arriving(t, context.Background(), s, base+"/v1/chat/completions", fmt.Sprintf(body, 1))
	var wg sync.WaitGroup
	wg.Go(func() {
		if resp, _ := post(t, base+"/v1/chat/completions", "", fmt.Sprintf(body, 2)); resp.StatusCode != 200 {
			t.Errorf("complete request: status %d", resp.StatusCode)
		}
	})
	// The complete request is queued and taken while the other is read.
	for deadline := time.Now().Add(30 * time.Second); s.pending.Load() != 1 || len(s.queue) != 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the complete request was never queued")
		}
	}
	send()
	if resp := <-respc; resp == nil || resp.StatusCode != 200 {
		t.Fatalf("arriving request: %v", resp)
	} else {
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	wg.Wait()
	if n, reqs := batches(t, base); n != 1 || reqs != 2 {
		t.Fatalf("%v batches of %v requests, want 1 of 2", n, reqs)
	}
	// After a batch of two, a request alone waits for the window: it is
	// batched with one sent a moment later.
	done := make(chan struct{})
	go func() {
		defer close(done)
		post(t, base+"/v1/chat/completions", "", fmt.Sprintf(body, 3))
	}()
	for deadline := time.Now().Add(30 * time.Second); s.pending.Load() != 1 || len(s.queue) != 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the third request was never queued")
		}
	}
	post(t, base+"/v1/chat/completions", "", fmt.Sprintf(body, 4))
	<-done
	if n, reqs := batches(t, base); n != 2 || reqs != 4 {
		t.Errorf("%v batches of %v requests, want 2 of 4", n, reqs)
	}
}
