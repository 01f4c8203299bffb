package serve

import (
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// scrape returns the value of each sample line of GET /metrics.
func scrape(t *testing.T, base string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("GET /metrics: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	out := map[string]float64{}
	for _, m := range regexp.MustCompile(`(?m)^(llsum_\S+) (\S+)$`).FindAllStringSubmatch(string(raw), -1) {
		v, err := strconv.ParseFloat(m[2], 64)
		if err != nil {
			t.Fatalf("sample %q", m[0])
		}
		out[m[1]] = v
	}
	return out
}

// TestServeMetrics: after a few answered, refused and streamed requests,
// /metrics (no API key needed) counts them by status, sums their tokens as
// the replies' usage says, and has one TTFT and batch-size observation per
// answered request or batch.
func TestServeMetrics(t *testing.T) {
	m := openModel(t)
	base, _ := startServer(t, Config{Model: m, ModelName: "tiny", APIKey: "k"})
	before := scrape(t, base)
	if before["llsum_serve_queue_depth"] != 0 || before["llsum_serve_requests_in_flight"] != 0 {
		t.Fatalf("idle server: %v", before)
	}
	prompt, completion := 0.0, 0.0
	for i := range 3 {
		body := `{"messages":[{"role":"user","content":"count ` + strconv.Itoa(i) + `"}],"max_tokens":12}`
		resp, v := post(t, base+"/v1/chat/completions", "k", body)
		if resp.StatusCode != 200 {
			t.Fatalf("status %d: %v", resp.StatusCode, v)
		}
		u := v["usage"].(map[string]any)
		prompt += u["prompt_tokens"].(float64)
		completion += u["completion_tokens"].(float64)
	}
	post(t, base+"/v1/chat/completions", "k", `{"messages":[{"role":"user","content":"x"}],"tools":[{"type":"function"}]}`)
	post(t, base+"/v1/chat/completions", "", `{"messages":[{"role":"user","content":"x"}]}`)

	got := scrape(t, base)
	for name, want := range map[string]float64{
		`llsum_serve_requests_total{status="200"}`:                  3,
		`llsum_serve_requests_total{status="400"}`:                  1,
		`llsum_serve_requests_total{status="401"}`:                  1,
		`llsum_serve_prompt_tokens_total`:                           prompt,
		`llsum_serve_completion_tokens_total`:                       completion,
		`llsum_serve_time_to_first_token_seconds_count`:             3,
		`llsum_serve_batch_size_count`:                              3,
		`llsum_serve_batch_size_sum`:                                3,
		`llsum_serve_queue_depth`:                                   0,
		`llsum_serve_requests_in_flight`:                            0,
		`llsum_serve_batch_size_bucket{le="1"}`:                     3,
		`llsum_serve_time_to_first_token_seconds_bucket{le="+Inf"}`: 3,
	} {
		if v, ok := got[name]; !ok || v != want {
			t.Errorf("%s = %v (present %v), want %v", name, v, ok, want)
		}
	}
	if got[`llsum_serve_decode_tokens_per_second_count`] < 1 || got[`llsum_serve_time_to_first_token_seconds_sum`] <= 0 {
		t.Errorf("no decode rate or TTFT recorded: %v", got)
	}
}
