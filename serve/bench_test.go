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
)

// BenchmarkServeStream: the cost of streaming at 16 concurrent clients,
// beside BenchmarkServeLoad: 200 requests of 16 tokens, plain and streamed,
// alternated in each round so that both see the same machine load. Two
// clients: llsum's openai client (client=llsum), and a bare HTTP client
// that discards the body (client=raw), so that the figure is mostly the
// server's. It reports requests/s and the process's CPU time per request
// (server and client, from getrusage), which a loaded machine disturbs far
// less than wall time; overhead-% is streamed over plain CPU time.
// Run: go test -run '^$' -bench 'ServeStream' -benchtime 5x ./serve/
func BenchmarkServeStream(b *testing.B) {
	m := openModel(b)
	base, _ := startServer(b, Config{Model: m, ModelName: "tiny", MaxBatch: 8, Queue: 64})
	raw := func(stream bool) {
		body := `{"messages":[{"role":"user","content":"load request %d"}],"max_tokens":16,"stream":%v}`
		next := make(chan int)
		var wg sync.WaitGroup
		for range 16 {
			wg.Go(func() {
				for i := range next {
					resp, err := http.Post(base+"/v1/chat/completions", "application/json", strings.NewReader(fmt.Sprintf(body, i, stream)))
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
		for i := range 200 {
			next <- i
		}
		close(next)
		wg.Wait()
	}
	llsum := func(stream bool) {
		if st := loadTestStream(b, base, 200, 16, stream); st.failed != 0 {
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
				for i, stream := range []bool{false, true} {
					t0, c0 := time.Now(), cpuTime(b)
					c.load(stream)
					wall[i] += time.Since(t0)
					cpu[i] += cpuTime(b) - c0
				}
			}
			reqs := 200 * float64(b.N)
			b.ReportMetric(reqs/wall[0].Seconds(), "plain-req/s")
			b.ReportMetric(reqs/wall[1].Seconds(), "stream-req/s")
			b.ReportMetric(ms(cpu[0])/reqs, "plain-cpu-ms/req")
			b.ReportMetric(ms(cpu[1])/reqs, "stream-cpu-ms/req")
			b.ReportMetric((cpu[1].Seconds()/cpu[0].Seconds()-1)*100, "overhead-%")
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
// measured in each of 25 rounds, in an order that turns from round to round
// (so that a loaded machine, and whatever ran just before, slows them
// alike), and the medians reported, with the median of each round's ratio
// of first token to prefill + one step (the target: at most 1) and the
// decode step itself (a 17-token Chat less the 1-token one, over 16). The
// server's figure includes --batch-wait when it applies: a request that
// finds the server quiet starts at once (startsAlone), so the default 5ms
// and 100µs now give the same.
// Run: go test -run '^$' -bench 'ServeTTFT' -benchtime 1x ./serve/
func BenchmarkServeTTFT(b *testing.B) {
	m := openModel(b)
	prompt := strings.Repeat("The quick brown fox jumps over the lazy dog. ", 40)
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
	slow, _ := startServer(b, Config{Model: m, ModelName: "tiny", BatchWait: DefaultBatchWait})
	fast, _ := startServer(b, Config{Model: m, ModelName: "tiny", BatchWait: 100 * time.Microsecond})
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
		const rounds = 25
		for round := range rounds {
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
