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

// BenchmarkReplyParse: the client's CPU for one reply's body, streamed (the
// events llsum serve sends for a 16-token reply with usage: the role and
// first token, the rest of the text, the finish, the usage, [DONE]) and
// plain (the same reply as one JSON object), without the network.
// Run: go test -run '^$' -bench ReplyParse ./infer/openai/
func BenchmarkReplyParse(b *testing.B) {
	const head = `{"id":"chatcmpl-llsum-12345","object":"chat.completion.chunk","created":1764579600,"model":"tiny","choices":[`
	var stream bytes.Buffer
	for _, ev := range []string{
		head + `{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}],"usage":null}`,
		head + `{"index":0,"delta":{"content":"The"},"finish_reason":null}],"usage":null}`,
		head + `{"index":0,"delta":{"content":" moon is Earth's only natural satellite, orbiting at an average"},"finish_reason":null}],"usage":null}`,
		head + `{"index":0,"delta":{},"finish_reason":"length"}],"usage":null}`,
		`{"id":"chatcmpl-llsum-12345","object":"chat.completion.chunk","created":1764579600,"model":"tiny","choices":[],"usage":{"prompt_tokens":31,"completion_tokens":16,"total_tokens":47}}`,
		"[DONE]",
	} {
		fmt.Fprintf(&stream, "data: %s\n\n", ev)
	}
	plain := []byte(`{"id":"chatcmpl-llsum-12345","object":"chat.completion","created":1764579600,"model":"tiny","choices":[{"index":0,"message":{"role":"assistant","content":"The moon is Earth's only natural satellite, orbiting at an average"},"finish_reason":"length"}],"usage":{"prompt_tokens":31,"completion_tokens":16,"total_tokens":47}}`)
	b.Run("stream", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sr := &streamReply{limit: replyLimit(16)}
			if _, err := sr.read(bytes.NewReader(stream.Bytes())); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("plain", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var out oaiwire.ChatResponse
			if err := json.Unmarshal(plain, &out); err != nil {
				b.Fatal(err)
			}
		}
	})
}
