package serve

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/llsum/llsum/infer"
	"github.com/llsum/llsum/infer/onnx"
	"github.com/llsum/llsum/infer/onnx/onnxtest"
	"github.com/llsum/llsum/internal/genmodel"
)

// benchShape is a model the serve benchmarks run on, with the amount of
// work that keeps a run of it short.
type benchShape struct {
	name     string
	open     func(testing.TB) infer.ChatModel
	requests int // per load of BenchmarkServeStream
	sentence int // repeats of BenchmarkServeTTFT's prompt sentence
	rounds   int // BenchmarkServeTTFT's rounds
}

// benchShapes are "tiny", the generated test model (hidden 64, vocabulary
// 512: a decode step of about 0.13 ms, below the server's fixed cost per
// request, so that it measures the server more than any real model would),
// and "small", a generated model of Llama 3.2 1B's width and vocabulary
// (hidden 2048, 128,256 tokens) with 2 of its 16 layers, int4 as the
// builder's CPU exports (llsum dev gen-model --preset 1b --layers 2 --dtype
// int4): a step of a few milliseconds alone, about 24 ms for a batch of 8,
// still far below the real 1B's. Both run on one thread.
func benchShapes() []benchShape {
	return []benchShape{
		{name: "tiny", open: openModel, requests: 200, sentence: 40, rounds: 25},
		{name: "small", open: openSmallModel, requests: 48, sentence: 8, rounds: 9},
	}
}

// openSmallModel opens the "small" shape (benchShapes), generated into a
// temporary folder (about 1.3 GB, written in seconds).
func openSmallModel(t testing.TB) infer.ChatModel {
	t.Helper()
	cfg := genmodel.Llama32_1B()
	cfg.Layers, cfg.DType, cfg.AccuracyLevel, cfg.ContextLength = 2, genmodel.DTypeInt4, 4, 4096
	return onnxtest.OpenChatModel(t, onnxtest.GenModel(t, "small", cfg), onnx.Options{Threads: 1})
}

// BenchmarkServeStream: the cost of streaming at 16 concurrent clients,
// beside BenchmarkServeLoad: for each shape (benchShapes), requests of 16
// tokens, plain and streamed, in the order plain, streamed, streamed,
// plain in each round (ABBA), so that both see the same machine load and
// neither always runs first. Two clients: llsum's openai client
// (client=llsum), and a bare HTTP client that discards the body and keeps
// its 16 connections alive (client=raw), so that the figure is mostly the
// server's. It reports requests/s and the process's CPU time per request
// (server and client, from getrusage), which a loaded machine disturbs far
// less than wall time; overhead-% is streamed over plain CPU time, and
// stream-extra-us/req the CPU that streaming adds to a request.
// Run: go test -run '^$' -bench 'ServeStream' -benchtime 3x ./serve/
func BenchmarkServeStream(b *testing.B) {
	for _, sh := range benchShapes() {
		b.Run("shape="+sh.name, func(b *testing.B) {
			m := sh.open(b)
			base, _ := startServer(b, Config{Model: m, ModelName: sh.name, MaxBatch: 8, Queue: 64})
			hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
			b.Cleanup(hc.CloseIdleConnections)
			raw := func(stream bool) {
				body := `{"messages":[{"role":"user","content":"load request %d"}],"max_tokens":16,"stream":%v}`
				next := make(chan int)
				var wg sync.WaitGroup
				for range 16 {
					wg.Go(func() {
						for i := range next {
							resp, err := hc.Post(base+"/v1/chat/completions", "application/json", strings.NewReader(fmt.Sprintf(body, i, stream)))
							if err != nil {
								b.Error(err)
								continue
							}
							io.Copy(io.Discard, resp.Body)
							resp.Body.Close()
							if resp.StatusCode != 200 {
								b.Errorf("status %d", resp.StatusCode)
							}
						}
					})
				}
				for i := range sh.requests {
					next <- i
				}
				close(next)
				wg.Wait()
			}
			llsum := func(stream bool) {
				if st := loadTestStream(b, base, sh.requests, 16, stream); st.failed != 0 {
					b.Fatalf("stream=%v: %d failed: %v", stream, st.failed, st.firstErr)
				}
			}
			for _, c := range []struct {
				name string
				load func(stream bool)
			}{{"raw", raw}, {"llsum", llsum}} {
				b.Run("client="+c.name, func(b *testing.B) {
					c.load(true) // warm up both paths
					c.load(false)
					var wall, cpu [2]time.Duration
					for b.Loop() {
						for _, stream := range []bool{false, true, true, false} {
							i := 0
							if stream {
								i = 1
							}
							t0, c0 := time.Now(), cpuTime(b)
							c.load(stream)
							wall[i] += time.Since(t0)
							cpu[i] += cpuTime(b) - c0
						}
					}
					reqs := 2 * float64(sh.requests) * float64(b.N)
					b.ReportMetric(reqs/wall[0].Seconds(), "plain-req/s")
					b.ReportMetric(reqs/wall[1].Seconds(), "stream-req/s")
					b.ReportMetric(ms(cpu[0])/reqs, "plain-cpu-ms/req")
					b.ReportMetric(ms(cpu[1])/reqs, "stream-cpu-ms/req")
					b.ReportMetric((cpu[1].Seconds()/cpu[0].Seconds()-1)*100, "overhead-%")
					b.ReportMetric(float64((cpu[1]-cpu[0]).Microseconds())/reqs, "stream-extra-us/req")
				})
			}
		})
	}
}

// cpuTime is the user and system CPU time this process has used.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkServeTTFT: time to the first streamed token of one request on
// an idle server (to the first SSE event, which goes out with the first
// token) against the engine's own prefill alone (a direct Chat of 1 token)
// and prefill + one decode step (2 tokens), no HTTP. Like with like: the
// same model session (so the same threads), warmed by a first round left
// out; the same prompt ids (the server's usage must count the tokens the
// engine's own encoding gives); the engine's direct calls render and
// tokenize the prompt as the server does for each request. The four are
// measured in each of several rounds, in an order that turns from round to round
// (so that a loaded machine, and whatever ran just before, slows them
// alike), and the medians reported, with the median of each round's ratio
// of first token to prefill + one step (the target: at most 1) and the
// decode step itself (a 17-token Chat less the 1-token one, over 16). The
// server's figure includes --batch-wait when it applies: a request that
// finds the server quiet starts at once (startsAlone), so the default 5ms
// and 100µs now give the same.
// Each shape (benchShapes) has its own prompt length and number of rounds
// (tiny: 1,486 tokens, 25 rounds).
// Run: go test -run '^$' -bench 'ServeTTFT' -benchtime 1x ./serve/
func BenchmarkServeTTFT(b *testing.B) {
	for _, sh := range benchShapes() {
		b.Run("shape="+sh.name, func(b *testing.B) { benchTTFT(b, sh) })
	}
}

func benchTTFT(b *testing.B, sh benchShape) {
	m := sh.open(b)
	prompt := strings.Repeat("The quick brown fox jumps over the lazy dog. ", sh.sentence)
	msgs := []infer.Message{{Role: infer.RoleUser, Content: prompt}}
	n, err := m.CountTokens(msgs)
	if err != nil {
		b.Fatal(err)
	}
	direct := func(tokens int) time.Duration {
		t0 := time.Now()
		if _, err := m.Chat(context.Background(), []infer.ChatRequest{{Messages: msgs, MaxNewTokens: tokens, IgnoreEOS: true}}); err != nil {
			b.Fatal(err)
		}
		return time.Since(t0)
	}
	body := fmt.Sprintf(`{"messages":[{"role":"user","content":%q}],"max_tokens":64,"stream":true,"stream_options":{"include_usage":true}}`, prompt)
	ttft := func(base string) time.Duration {
		t0 := time.Now()
		resp, err := http.Post(base+"/v1/chat/completions", "application/json", strings.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		defer resp.Body.Close()
		r := bufio.NewReader(resp.Body)
		line, err := r.ReadString('\n')
		if err != nil || !strings.HasPrefix(line, "data: ") {
			b.Fatalf("first line %q: %v", line, err)
		}
		d := time.Since(t0)
		usage := fmt.Sprintf(`"usage":{"prompt_tokens":%d,`, n)
		found := false
		for err == nil { // read the rest, as a client would
			line, err = r.ReadString('\n')
			found = found || strings.Contains(line, usage)
		}
		if !found {
			b.Fatalf("the server's reply does not count %d prompt tokens", n)
		}
		return d
	}
	slow, _ := startServer(b, Config{Model: m, ModelName: sh.name, BatchWait: DefaultBatchWait})
	fast, _ := startServer(b, Config{Model: m, ModelName: sh.name, BatchWait: 100 * time.Microsecond})
	median := func(d []time.Duration) float64 {
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		return ms(d[len(d)/2])
	}
	medianRatio := func(num, den []time.Duration) float64 {
		r := make([]float64, len(num))
		for i := range num {
			r[i] = num[i].Seconds() / den[i].Seconds()
		}
		sort.Float64s(r)
		return r[len(r)/2]
	}
	for b.Loop() {
		var prefill, step, tSlow, tFast, decode []time.Duration
		measures := []func(){
			func() { prefill = append(prefill, direct(1)) },
			func() { step = append(step, direct(2)) },
			func() { tFast = append(tFast, ttft(fast)) },
			func() { tSlow = append(tSlow, ttft(slow)) },
		}
		for _, f := range measures { // warm-up, left out
			f()
		}
		prefill, step, tFast, tSlow = nil, nil, nil, nil
		for round := range sh.rounds {
			for k := range measures {
				measures[(round+k)%len(measures)]()
			}
			decode = append(decode, (direct(17)-direct(1))/16)
		}
		b.ReportMetric(float64(n), "prompt-tokens")
		b.ReportMetric(median(decode), "step-ms")
		b.ReportMetric(median(prefill), "prefill-ms")
		b.ReportMetric(median(step), "prefill+1step-ms")
		b.ReportMetric(median(tFast), "ttft-wait100us-ms")
		b.ReportMetric(median(tSlow), "ttft-wait5ms-ms")
		b.ReportMetric(medianRatio(tFast, step), "ratio-wait100us")
		b.ReportMetric(medianRatio(tSlow, step), "ratio-wait5ms")
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
