package serve

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// TestServeLogprobs: greedy replies with logprobs: one entry per completion
// token, the chosen token is the likeliest (greedy) and first of
// top_logprobs, which are sorted, the tokens' bytes add up to the reply, and
// the reply is the one given without logprobs.
func TestServeLogprobs(t *testing.T) {
	m := openModel(t)
	base, _ := startServer(t, Config{Model: m, ModelName: "tiny"})
	const req = `{"messages":[{"role":"user","content":"Tell me about the moon."}],"max_tokens":30%s}`
	_, plain := post(t, base+"/v1/chat/completions", "", strings.Replace(req, "%s", "", 1))
	_, v := post(t, base+"/v1/chat/completions", "", strings.Replace(req, "%s", `,"logprobs":true,"top_logprobs":4`, 1))
	ch := v["choices"].([]any)[0].(map[string]any)
	text := ch["message"].(map[string]any)["content"].(string)
	if want := plain["choices"].([]any)[0].(map[string]any); text != want["message"].(map[string]any)["content"] || want["logprobs"] != nil {
		t.Fatalf("with logprobs %q, without %v", text, want)
	}
	content := ch["logprobs"].(map[string]any)["content"].([]any)
	if n := v["usage"].(map[string]any)["completion_tokens"].(float64); float64(len(content)) != n {
		t.Fatalf("%d logprob entries for %v tokens", len(content), n)
	}
	var all []byte
	for i, e := range content {
		lp := e.(map[string]any)
		top := lp["top_logprobs"].([]any)
		if len(top) != 4 {
			t.Fatalf("token %d: %d alternatives", i, len(top))
		}
		first := top[0].(map[string]any)
		if lp["logprob"].(float64) > 0 || lp["logprob"] != first["logprob"] || lp["token"] != first["token"] {
			t.Errorf("token %d: %v is not the likeliest of %v", i, lp, top)
		}
		for k := 1; k < len(top); k++ {
			if top[k].(map[string]any)["logprob"].(float64) > top[k-1].(map[string]any)["logprob"].(float64) {
				t.Errorf("token %d: alternatives not sorted: %v", i, top)
			}
		}
		for _, b := range lp["bytes"].([]any) {
			all = append(all, byte(b.(float64)))
		}
		if !utf8.ValidString(lp["token"].(string)) {
			t.Errorf("token %d: %q", i, lp["token"])
		}
	}
	if strings.ToValidUTF8(string(all), "\uFFFD") != text {
		t.Errorf("tokens' bytes %q, reply %q", all, text)
	}
}
