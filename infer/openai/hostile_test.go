package openai

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/llsum/llsum/infer"
	"github.com/llsum/llsum/internal/errclass"
)

// TestReplySizeBound: a server answering every request with 10 MB of text
// is at fault. Each attempt reads at most the limit for the request's
// max_tokens (known or streamed without a length), is retried as a 5xx
// is, and the document fails with "server fault".
func TestReplySizeBound(t *testing.T) {
	huge := strings.Repeat("All work and no play. ", 10<<20/22)
	for _, chunked := range []bool{false, true} {
		var sent atomic.Int64
		f := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, prompt string, n int) bool {
			w.Header().Set("Content-Type", "application/json")
			if !chunked {
				w.Header().Set("Content-Length", "10485800")
			}
			// Written in pieces: the client stops reading at its limit.
			for i := 0; i < len(huge); i += 64 << 10 {
				k, err := w.Write([]byte(huge[i:min(i+64<<10, len(huge))]))
				sent.Add(int64(k))
				if err != nil {
					break
				}
			}
			return true
		})
		c := mustNew(t, testConfig(f.url()))
		_, err := c.Chat(context.Background(), docReqs(1))
		if err == nil || !strings.Contains(err.Error(), "server fault") || !strings.Contains(err.Error(), "larger than") {
			t.Fatalf("chunked=%v: err = %v", chunked, err)
		}
		if errclass.IsFatal(err) {
			t.Errorf("a large reply is not fatal to the run: %v", err)
		}
		if hits, _ := f.count("doc 0"); hits != 4 {
			t.Errorf("chunked=%v: %d attempts, want 4 (retried as a server fault)", chunked, hits)
		}
		if lim := replyLimit(64); lim > 128<<10 {
			t.Errorf("limit for 64 tokens is %d bytes", lim)
		}
	}
}

// TestNoCrossHostRedirect: a redirect to another host is refused (the
// document's text is never sent there) and is fatal; a redirect within
// the endpoint's host is followed.
func TestNoCrossHostRedirect(t *testing.T) {
	var evilHits atomic.Int32
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		evilHits.Add(1)
		writeAnswer(w, "stolen")
	}))
	defer evil.Close()
	f := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, prompt string, n int) bool {
		switch prompt {
		case "doc 0":
			http.Redirect(w, r, evil.URL+"/v1/chat/completions", http.StatusTemporaryRedirect)
			return true
		}
		return false
	})
	c := mustNew(t, testConfig(f.url()))
	_, err := c.Chat(context.Background(), docReqs(1))
	if err == nil || !strings.Contains(err.Error(), "redirect to another host refused") || !errclass.IsFatal(err) {
		t.Fatalf("err = %v", err)
	}
	if n := evilHits.Load(); n != 0 {
		t.Fatalf("the other host got %d requests", n)
	}
	if hits, _ := f.count("doc 0"); hits != 1 {
		t.Errorf("%d attempts, want 1", hits)
	}
	// Same host: followed (307 keeps the method and body).
	f2 := newFakeServer(t, nil)
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/old/v1/chat/completions" {
			http.Redirect(w, r, "/new/v1/chat/completions", http.StatusTemporaryRedirect)
			return
		}
		r.URL.Path = strings.TrimPrefix(strings.TrimPrefix(r.URL.Path, "/new"), "/old")
		f2.srv.Config.Handler.ServeHTTP(w, r)
	})
	front := httptest.NewServer(mux)
	defer front.Close()
	c2 := mustNew(t, testConfig(front.URL+"/old/v1"))
	res, err := c2.Chat(context.Background(), docReqs(1))
	if err != nil || !strings.Contains(res[0].Text, "summary of doc 0") {
		t.Fatalf("same-host redirect: %v %v", res, err)
	}
}

// TestStreamedReplySizeBound: the same bound holds for a streamed reply: a
// server streaming 10 MB of text (in small events, or in one event) is at
// fault before the client holds more than the request's limit, and the
// attempt is retried as a 5xx is; once text has reached the caller, it is
// not retried.
func TestStreamedReplySizeBound(t *testing.T) {
	piece := strings.Repeat("All work and no play. ", 40)
	for _, oneEvent := range []bool{false, true} {
		var sent atomic.Int64
		f := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, prompt string, n int) bool {
			w.Header().Set("Content-Type", "text/event-stream")
			write := func(s string) bool {
				k, err := fmt.Fprintf(w, "data: {\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":%q},\"finish_reason\":null}]}\n\n", s)
				sent.Add(int64(k))
				return err == nil
			}
			if oneEvent {
				write(strings.Repeat(piece, 10<<20/len(piece)))
				return true
			}
			for i := 0; i < 10<<20/len(piece) && write(piece); i++ {
			}
			return true
		})
		cfg := testConfig(f.url())
		cfg.Stream = true
		// 10 MB per attempt under -race on a loaded runner can pass the
		// usual 2 s; the bound under test is size, not time.
		cfg.Timeout = 30 * time.Second
		c := mustNew(t, cfg)
		_, err := c.Chat(context.Background(), docReqs(1))
		if err == nil || !strings.Contains(err.Error(), "larger than") {
			t.Fatalf("oneEvent=%v: err = %v", oneEvent, err)
		}
		if hits, _ := f.count("doc 0"); hits != 4 {
			t.Errorf("oneEvent=%v: %d attempts, want 4 (retried as a server fault)", oneEvent, hits)
		}

		var got int
		req := userReq("doc 0")
		req.OnDelta = func(d infer.Delta) bool { got += len(d.Text); return true }
		before, _ := f.count("doc 0")
		_, err = c.Chat(context.Background(), []infer.ChatRequest{req})
		if err == nil || !strings.Contains(err.Error(), "larger than") {
			t.Fatalf("oneEvent=%v, with deltas: err = %v", oneEvent, err)
		}
		if lim := replyLimit(req.MaxNewTokens); int64(got) > lim {
			t.Errorf("oneEvent=%v: %d bytes of text delivered, over the limit %d", oneEvent, got, lim)
		}
		after, _ := f.count("doc 0")
		if want := 1; !oneEvent && after-before != want {
			t.Errorf("text delivered, then too large: %d attempts, want %d", after-before, want)
		}
	}
}
