package openai

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/llsum/llsum/infer"
	"github.com/llsum/llsum/internal/oaiwire"
)

// The client's own cost per request, against a local server that answers at
// once, compared with a bare net/http peer doing the same exchange (marshal,
// POST, read, unmarshal) with the same concurrency and no retry machinery.
// Run: go test -run '^$' -bench Chat -benchtime 20x ./infer/openai/

const benchBatch = 64

func benchReqs() []infer.ChatRequest {
	reqs := make([]infer.ChatRequest, benchBatch)
	for i := range reqs {
		reqs[i] = userReq(fmt.Sprintf("document %d: %s", i, bytes.Repeat([]byte("lorem ipsum dolor sit amet "), 150)))
	}
	return reqs
}

func BenchmarkChatClient(b *testing.B) {
	srv := newFakeServer(b, nil)
	c, err := New(context.Background(), testConfig(srv.url()))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	reqs := benchReqs()
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		if _, err := c.Chat(context.Background(), reqs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*benchBatch)/time.Since(start).Seconds(), "req/s")
}

func BenchmarkChatBareHTTP(b *testing.B) {
	srv := newFakeServer(b, nil)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = DefaultConcurrency
	hc := &http.Client{Transport: tr}
	defer hc.CloseIdleConnections()
	reqs := benchReqs()
	one := func(r infer.ChatRequest) error {
		body, _ := json.Marshal(newChatRequest("tiny", r))
		resp, err := hc.Post(srv.url()+"/chat/completions", "application/json", bytes.NewReader(body))
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		raw, err := io.ReadAll(resp.Body)
		if err != nil {
			return err
		}
		var out oaiwire.ChatResponse
		return json.Unmarshal(raw, &out)
	}
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		next := make(chan int)
		var wg sync.WaitGroup
		for range testConfig("").Concurrency {
			wg.Go(func() {
				for i := range next {
					if err := one(reqs[i]); err != nil {
						b.Error(err)
					}
				}
			})
		}
		for i := range reqs {
			next <- i
		}
		close(next)
		wg.Wait()
	}
	b.ReportMetric(float64(b.N*benchBatch)/time.Since(start).Seconds(), "req/s")
}
