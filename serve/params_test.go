package serve

import (
	"strings"
	"testing"

	"github.com/llsum/llsum/internal/structured"
)

// TestServeParameters: parameters the server cannot honour are refused with
// 400 naming them; their no-op values and unknown fields are accepted; a
// stop string ends the reply before it with finish_reason "stop".
func TestServeParameters(t *testing.T) {
	m := openModel(t)
	base, _ := startServer(t, Config{Model: m, ModelName: "tiny"})
	const msgs = `"model":"tiny","messages":[{"role":"user","content":"hi"}],"max_tokens":8`
	for _, tt := range []struct {
		name, extra string
		wantMsg     string // "" means 200
	}{
		{"top_logprobs without logprobs", `"logprobs":false,"top_logprobs":2`, "top_logprobs needs logprobs: true"},
		{"top_logprobs over 20", `"logprobs":true,"top_logprobs":21`, "top_logprobs must be between 0 and 20"},
		{"logprobs", `"logprobs":true,"top_logprobs":20`, ""},
		{"tools", `"tools":[{"type":"function","function":{"name":"f"}}]`, "tools is not supported"},
		{"tool_choice", `"tool_choice":"auto"`, "tool_choice is not supported"},
		{"functions", `"functions":[{"name":"f"}]`, "functions is not supported"},
		{"response_format json", `"response_format":{"type":"json_object"}`, "response_format is not supported"},
		{"json_schema without schema", `"response_format":{"type":"json_schema","json_schema":{"name":"x"}}`, "json_schema needs json_schema.schema"},
		{"json_schema keyword llsum cannot enforce", `"response_format":{"type":"json_schema","json_schema":{"name":"x","schema":{"type":"object","properties":{"n":{"type":"integer","minimum":3}}}}}`, `response_format.json_schema.schema: schema x: keyword "minimum" at /properties/n/minimum`},
		{"json_schema too few tokens", `"response_format":{"type":"json_schema","json_schema":{"name":"x","schema":{"type":"object","properties":{"abcdefghij":{"type":"string"}},"required":["abcdefghij"]}}}`, "max_tokens 8 is too few for the response_format schema"},
		{"logit_bias", `"logit_bias":{"5":10}`, "logit_bias is not supported"},
		{"frequency_penalty", `"frequency_penalty":0.5`, "frequency_penalty is not supported"},
		{"presence_penalty", `"presence_penalty":-1`, "presence_penalty is not supported"},
		{"five stops", `"stop":["a","b","c","d","e"]`, "stop: at most 4"},
		{"stop not strings", `"stop":[1]`, "stop"},
		{"stream_options alone", `"stream_options":{"include_usage":true}`, "stream_options is only allowed"},
		{"no-op values", `"logprobs":false,"tool_choice":"none","response_format":{"type":"text"},"tools":[],"logit_bias":{},"frequency_penalty":0,"presence_penalty":0`, ""},
		{"unknown field", `"user":"someone","metadata":{"k":"v"},"whatever":[1,2]`, ""},
		{"stop string", `"stop":"\n"`, ""},
		{"seed and max_completion_tokens", `"seed":7,"temperature":0.8,"max_completion_tokens":5`, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp, v := post(t, base+"/v1/chat/completions", "", "{"+msgs+","+tt.extra+"}")
			if tt.wantMsg == "" {
				if resp.StatusCode != 200 {
					t.Fatalf("status %d: %v", resp.StatusCode, v)
				}
				return
			}
			e, _ := v["error"].(map[string]any)
			if msg, _ := e["message"].(string); resp.StatusCode != 400 || !strings.Contains(msg, tt.wantMsg) {
				t.Fatalf("status %d, message %q; want 400 with %q", resp.StatusCode, msg, tt.wantMsg)
			}
		})
	}

	// A stop string from the middle of the plain reply cuts it there.
	const long = `"model":"tiny","messages":[{"role":"user","content":"Tell me about the moon."}],"max_tokens":40`
	_, plain := post(t, base+"/v1/chat/completions", "", "{"+long+"}")
	want := plain["choices"].([]any)[0].(map[string]any)["message"].(map[string]any)["content"].(string)
	stop := ""
	for i := len(want) / 3; i+2 <= len(want) && stop == ""; i++ {
		if s := want[i : i+2]; s[0] > ' ' && s[0] < 0x7f && s[1] > ' ' && s[1] < 0x7f && s[0] != '"' && s[1] != '"' && s[0] != '\\' && s[1] != '\\' {
			stop = s
		}
	}
	if stop == "" {
		t.Fatalf("no ASCII pair in the reply %q", want)
	}
	_, v := post(t, base+"/v1/chat/completions", "", "{"+long+`,"stop":["zzzz-never","`+stop+`"]}`)
	ch := v["choices"].([]any)[0].(map[string]any)
	got := ch["message"].(map[string]any)["content"].(string)
	if cut := strings.Index(want, stop); got != want[:cut] || ch["finish_reason"] != "stop" {
		t.Errorf("stop %q: got %q (%v), want %q (stop)", stop, got, ch["finish_reason"], want[:cut])
	}
}

// TestServeJSONSchema: response_format json_schema is honoured — every
// reply of the random-weight model, plain and streamed, greedy and sampled,
// is one JSON value valid against the schema (nonsense, but valid).
func TestServeJSONSchema(t *testing.T) {
	m := openModel(t)
	base, _ := startServer(t, Config{Model: m, ModelName: "tiny"})
	const schema = `{"type":"object","properties":{"title":{"type":"string","maxLength":20},"tags":{"type":"array","items":{"type":"string","enum":["a","b"]},"maxItems":3}},"required":["title","tags"],"additionalProperties":false}`
	sch, err := structured.Compile("brief", []byte(schema))
	if err != nil {
		t.Fatal(err)
	}
	for _, extra := range []string{`"temperature":0`, `"temperature":1.2,"seed":3`, `"temperature":0.7,"seed":9`} {
		body := `{"model":"tiny","messages":[{"role":"user","content":"Describe the moon."}],"max_tokens":60,` + extra +
			`,"response_format":{"type":"json_schema","json_schema":{"name":"brief","schema":` + schema + `}}}`
		resp, v := post(t, base+"/v1/chat/completions", "", body)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: status %d: %v", extra, resp.StatusCode, v)
		}
		content := v["choices"].([]any)[0].(map[string]any)["message"].(map[string]any)["content"].(string)
		if err := sch.Validate(content); err != nil {
			t.Errorf("%s: reply %q is not valid against the schema: %v", extra, content, err)
		}
	}
}
