package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/llsum/llsum/infer/onnx/onnxtest"
	"github.com/llsum/llsum/internal/testenv"
)

// End to end over real HTTP and real processes: `llsum run --backend openai`
// against `llsum serve` on a generated tiny model, and against a local
// server that injects faults.

// startServe runs `llsum serve` on a free port of 127.0.0.1 and returns its
// API base and the process; the test stops it.
func startServe(t *testing.T, model string, extra ...string) (string, *exec.Cmd) {
	t.Helper()
	args := append([]string{"serve", "--model", model, "--addr", "127.0.0.1:0"}, extra...)
	cmd := exec.Command(llsumBin(t), args...)
	cmd.Env = append(os.Environ(), "LLSUM_MODEL=", "LLSUM_DEVICE=cpu")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	addrRE := regexp.MustCompile(`on (http://[0-9.:]+/v1)`)
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	timeout := time.After(60 * time.Second)
	var seen []string
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("llsum serve exited before listening:\n%s", strings.Join(seen, "\n"))
			}
			seen = append(seen, line)
			if m := addrRE.FindStringSubmatch(line); m != nil {
				go func() { // keep draining so the server never blocks on stderr
					for range lines {
					}
				}()
				return m[1], cmd
			}
		case <-timeout:
			t.Fatalf("llsum serve did not start:\n%s", strings.Join(seen, "\n"))
		}
	}
}

func TestRunAgainstServe(t *testing.T) {
	onnxtest.NeedRuntime(t)
	model := filepath.Join(t.TempDir(), "tiny")
	if r := runLLSum(t, ".", "dev", "gen-model", "--out", model); r.code != 0 {
		t.Fatalf("gen-model: %d\n%s", r.code, r.stderr)
	}
	base, srv := startServe(t, model, "--max-batch", "4")
	host := strings.TrimSuffix(strings.TrimPrefix(base, "http://"), "/v1")

	out := filepath.Join(t.TempDir(), "out")
	r := runLLSum(t, testenv.ModuleRoot(t), "run", "--backend", "openai", "--endpoint", base, "--concurrency", "4",
		"--max-new-tokens", "24", "--out", out, "testdata/docs")
	idx := readIndex(t, out)
	if len(idx.Documents) != 4 {
		t.Fatalf("%d documents in the index:\n%s", len(idx.Documents), r.stderr)
	}
	ok := 0
	for _, d := range idx.Documents {
		switch d.Status {
		case "ok":
			ok++
			var doc map[string]any
			raw, err := os.ReadFile(filepath.Join(out, d.Source+".json"))
			if err != nil || json.Unmarshal(raw, &doc) != nil {
				t.Fatalf("%s: output %v", d.Source, err)
			}
			m, _ := doc["model"].(map[string]any)
			if s, _ := doc["summary"].(string); s == "" || doc["source"] != d.Source {
				t.Errorf("%s: summary %q, source %v", d.Source, s, doc["source"])
			}
			if doc["backend"] != "openai" || m["endpoint"] != host || m["model"] != "tiny" || m["token_counting"] != "approx" {
				t.Errorf("%s: model record %v", d.Source, m)
			}
		case "failed":
			// The random-weight model may answer nothing at all; that must
			// be a clear, per-document failure.
			if !strings.Contains(d.Error, "openai: chat:") || !strings.Contains(d.Error, d.Source) {
				t.Errorf("%s failed without a clear cause: %q", d.Source, d.Error)
			}
		default:
			t.Errorf("%s: status %q", d.Source, d.Status)
		}
	}
	want := 0
	if ok < len(idx.Documents) {
		want = 1
	}
	if r.code != want || ok == 0 {
		t.Fatalf("exit %d with %d of %d ok (want exit %d and some ok):\n%s", r.code, ok, len(idx.Documents), want, r.stderr)
	}

	// With the served model's tokenizer, counts are exact and say so.
	out2 := filepath.Join(t.TempDir(), "out")
	r = runLLSum(t, testenv.ModuleRoot(t), "run", "--backend", "openai", "--endpoint", base, "--tokenizer", model,
		"--max-new-tokens", "8", "--format", "json", "--out", out2, "testdata/docs/guides")
	idx = readIndex(t, out2)
	if len(idx.Documents) != 1 {
		t.Fatalf("tokenizer run: %d documents:\n%s", len(idx.Documents), r.stderr)
	}
	if idx.Model.TokenCounting != "tokenizer" {
		t.Errorf("tokenizer run: model %+v", idx.Model)
	}

	// SIGTERM: the server drains and exits 130.
	srv.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- srv.Wait() }()
	select {
	case <-done:
		if c := srv.ProcessState.ExitCode(); c != exitInterrupted {
			t.Errorf("serve exit code after SIGTERM = %d, want %d", c, exitInterrupted)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("llsum serve did not stop on SIGTERM")
	}
}

// TestRunOpenAIFaults: each document meets a different fault; every one
// ends summarized or failed with a clear cause, none is summarized twice,
// retries are bounded, and the exit code is 1.
func TestRunOpenAIFaults(t *testing.T) {
	docs := t.TempDir()
	type fault struct {
		word     string
		script   func(w http.ResponseWriter, n int) bool // true: answered with the fault
		ok       bool
		hits     int
		errorHas string
	}
	fail := func(w http.ResponseWriter, code int, body string) bool {
		w.WriteHeader(code)
		fmt.Fprint(w, body)
		return true
	}
	faults := []fault{
		{word: "alpha", ok: true, hits: 1},
		{word: "bravo", ok: true, hits: 2, script: func(w http.ResponseWriter, n int) bool {
			w.Header().Set("Retry-After", "1")
			return n == 1 && fail(w, 429, `{"error":{"message":"slow down"}}`)
		}},
		{word: "charlie", ok: true, hits: 3, script: func(w http.ResponseWriter, n int) bool {
			return n <= 2 && fail(w, 500, `{"error":{"message":"oops"}}`)
		}},
		{word: "delta", hits: 1, errorHas: "not valid JSON", script: func(w http.ResponseWriter, n int) bool {
			return fail(w, 200, `{"choices":[{"message":`)
		}},
		{word: "echo", hits: 1, errorHas: "maximum context length is 2048 tokens", script: func(w http.ResponseWriter, n int) bool {
			return fail(w, 400, `{"object":"error","message":"This model's maximum context length is 2048 tokens.","code":400}`)
		}},
		{word: "foxtrot", ok: true, hits: 2, script: func(w http.ResponseWriter, n int) bool {
			if n > 1 {
				return false
			}
			conn, buf, _ := w.(http.Hijacker).Hijack()
			buf.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 300\r\n\r\n{\"choices\":")
			buf.Flush()
			conn.Close()
			return true
		}},
		{word: "golf", hits: 1, errorHas: "no content", script: func(w http.ResponseWriter, n int) bool {
			return fail(w, 200, `{"choices":[{"message":{"role":"assistant","content":""},"finish_reason":"stop"}]}`)
		}},
	}
	for _, f := range faults {
		text := fmt.Sprintf("This is the %s document. It reports that the %s project finished on time.\n", f.word, f.word)
		if err := os.WriteFile(filepath.Join(docs, f.word+".txt"), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	hits, answers := map[string]int{}, map[string]int{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/models", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"data":[{"id":"faulty","max_model_len":2048}]}`)
	})
	mux.HandleFunc("POST /v1/chat/completions", func(w http.ResponseWriter, r *http.Request) {
		raw := make([]byte, 1<<20)
		n, _ := r.Body.Read(raw)
		body := string(raw[:n])
		for _, f := range faults {
			if !strings.Contains(body, "the "+f.word+" document") {
				continue
			}
			mu.Lock()
			hits[f.word]++
			k := hits[f.word]
			mu.Unlock()
			if f.script != nil && f.script(w, k) {
				return
			}
			mu.Lock()
			answers[f.word]++
			mu.Unlock()
			fmt.Fprintf(w, `{"choices":[{"message":{"role":"assistant","content":"The %s project finished on time."},"finish_reason":"stop"}],"usage":{"prompt_tokens":40,"completion_tokens":7}}`, f.word)
			return
		}
		fail(w, 400, `{"error":{"message":"unknown document"}}`)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	out := filepath.Join(t.TempDir(), "out")
	r := runLLSum(t, ".", "run", "--backend", "openai", "--endpoint", srv.URL+"/v1", "--concurrency", "3", "-j", "4", "--out", out, docs)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", r.code, r.stderr)
	}
	idx := readIndex(t, out)
	byName := map[string]string{}
	errs := map[string]string{}
	for _, d := range idx.Documents {
		byName[d.Source], errs[d.Source] = d.Status, d.Error
	}
	for _, f := range faults {
		src := f.word + ".txt"
		mu.Lock()
		h, a := hits[f.word], answers[f.word]
		mu.Unlock()
		if h != f.hits {
			t.Errorf("%s: %d requests, want %d", f.word, h, f.hits)
		}
		if a > 1 {
			t.Errorf("%s: summarized %d times", f.word, a)
		}
		if f.ok {
			if byName[src] != "ok" {
				t.Errorf("%s: %s (%s), want ok", f.word, byName[src], errs[src])
			}
			continue
		}
		if byName[src] != "failed" || !strings.Contains(errs[src], f.errorHas) || !strings.Contains(errs[src], src) {
			t.Errorf("%s: %s %q, want failed naming the file and %q", f.word, byName[src], errs[src], f.errorHas)
		}
		if strings.Contains(errs[src], "\n") {
			t.Errorf("%s: error is not one line", f.word)
		}
	}
}

// TestRunOpenAIDeadEndpoint: nothing listens: one clear line, exit 2, no
// outputs.
func TestRunOpenAIDeadEndpoint(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	out := filepath.Join(t.TempDir(), "out")
	cmd := exec.Command(llsumBin(t), "run", "--backend", "openai", "--endpoint", "http://"+addr+"/v1", "--out", out, "testdata/docs")
	cmd.Dir = testenv.ModuleRoot(t)
	cmd.Env = append(os.Environ(), "LLSUM_MODEL=", "LLSUM_API_KEY=sk-never-shown-42")
	b, _ := cmd.CombinedOutput()
	if c := cmd.ProcessState.ExitCode(); c != exitUsage {
		t.Fatalf("exit %d, want %d:\n%s", c, exitUsage, b)
	}
	s := string(b)
	if !strings.Contains(s, "connection refused") || !strings.Contains(s, addr) || strings.Contains(s, "sk-never-shown-42") {
		t.Fatalf("unclear or leaking output:\n%s", s)
	}
	if n := strings.Count(strings.TrimSpace(s), "\n") + 1; n > 2 {
		t.Errorf("%d lines of output for one cause:\n%s", n, s)
	}
}

// TestRunOpenAIRetriesFlag: --retries bounds the attempts per request, and
// --retries 0 means exactly one.
func TestRunOpenAIRetriesFlag(t *testing.T) {
	for _, tt := range []struct {
		retries  string
		wantHits int
	}{{"0", 1}, {"2", 3}} {
		t.Run(tt.retries, func(t *testing.T) {
			var mu sync.Mutex
			hits := 0
			mux := http.NewServeMux()
			mux.HandleFunc("GET /v1/models", func(w http.ResponseWriter, r *http.Request) {
				fmt.Fprint(w, `{"data":[{"id":"m","max_model_len":4096}]}`)
			})
			mux.HandleFunc("POST /v1/chat/completions", func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				hits++
				mu.Unlock()
				w.WriteHeader(500)
				fmt.Fprint(w, `{"error":{"message":"always broken"}}`)
			})
			srv := httptest.NewServer(mux)
			defer srv.Close()
			docs := t.TempDir()
			if err := os.WriteFile(filepath.Join(docs, "a.txt"), []byte("One short document about retries.\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			r := runLLSum(t, ".", "run", "--backend", "openai", "--endpoint", srv.URL+"/v1", "--retries", tt.retries,
				"--out", filepath.Join(t.TempDir(), "out"), docs)
			if r.code != 1 || !strings.Contains(r.stderr, "always broken") {
				t.Fatalf("exit %d:\n%s", r.code, r.stderr)
			}
			mu.Lock()
			defer mu.Unlock()
			if hits != tt.wantHits {
				t.Errorf("--retries %s: %d attempts, want %d", tt.retries, hits, tt.wantHits)
			}
		})
	}
}
