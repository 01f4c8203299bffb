package serve

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/llsum/llsum/infer"
	"github.com/llsum/llsum/internal/oaiwire"
	"github.com/llsum/llsum/internal/structured"
)

// maxStop is the most stop strings a request may give (the API's limit).
const maxStop = 4

// refuseUnsupported returns the 400 message for a parameter the server would
// otherwise have to ignore (a client that asked for it must not get a reply
// that silently lacks it), or "". Parameters at their no-op value
// (tool_choice "none", response_format text, zero penalties, an empty
// logit_bias) are accepted. It also checks the ranges of stop and
// top_logprobs.
func refuseUnsupported(cr *oaiwire.ChatRequest) string {
	unsupported := func(param, why string) string {
		return fmt.Sprintf("%s is not supported by this server (%s)", param, why)
	}
	switch {
	case cr.StreamOptions != nil && !cr.Stream:
		return "stream_options is only allowed when stream is true"
	case len(cr.Stop) > maxStop:
		return fmt.Sprintf("stop: at most %d sequences, got %d", maxStop, len(cr.Stop))
	case cr.TopLogprobs != nil && (cr.Logprobs == nil || !*cr.Logprobs):
		return "top_logprobs needs logprobs: true"
	case cr.TopLogprobs != nil && (*cr.TopLogprobs < 0 || *cr.TopLogprobs > infer.MaxTopLogprobs):
		return fmt.Sprintf("top_logprobs must be between 0 and %d", infer.MaxTopLogprobs)
	case present(cr.Tools):
		return unsupported("tools", "no tool calling")
	case present(cr.ToolChoice) && !isJSONString(cr.ToolChoice, "none"):
		return unsupported("tool_choice", "no tool calling")
	case present(cr.Functions):
		return unsupported("functions", "no tool calling")
	case present(cr.FunctionCall) && !isJSONString(cr.FunctionCall, "none"):
		return unsupported("function_call", "no tool calling")
	case cr.ResponseFormat != nil && cr.ResponseFormat.Type == "json_schema" && (cr.ResponseFormat.JSONSchema == nil || !present(cr.ResponseFormat.JSONSchema.Schema)):
		return "response_format: json_schema needs json_schema.schema"
	case cr.ResponseFormat != nil && cr.ResponseFormat.Type != "text" && cr.ResponseFormat.Type != "json_schema":
		return unsupported("response_format", "only {\"type\": \"text\"} and {\"type\": \"json_schema\"}")
	case present(cr.LogitBias):
		return unsupported("logit_bias", "no logit bias")
	case cr.FrequencyPenalty != nil && *cr.FrequencyPenalty != 0:
		return unsupported("frequency_penalty", "use repetition_penalty")
	case cr.PresencePenalty != nil && *cr.PresencePenalty != 0:
		return unsupported("presence_penalty", "use repetition_penalty")
	}
	return ""
}

// present tells whether a raw parameter holds more than null, [] or {}.
func present(raw json.RawMessage) bool {
	switch string(bytes.TrimSpace(raw)) {
	case "", "null", "[]", "{}":
		return false
	}
	return true
}

func isJSONString(raw json.RawMessage, want string) bool {
	var s string
	return json.Unmarshal(raw, &s) == nil && s == want
}

// stopStrings drops the empty stop strings (they could never be generated
// as such and would stop every reply at once).
func stopStrings(l oaiwire.StopList) []string {
	var out []string
	for _, s := range l {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// wireLogprobs is the API's form of a reply's log probabilities.
func wireLogprobs(lps []infer.TokenLogprob) *oaiwire.Logprobs {
	out := &oaiwire.Logprobs{Content: make([]oaiwire.TokenLogprob, 0, len(lps))}
	for _, lp := range lps {
		t := oaiwire.TokenLogprob{Token: lp.Token, Logprob: lp.Logprob, Bytes: byteInts(lp.Bytes), TopLogprobs: []oaiwire.TopLogprob{}}
		for _, a := range lp.Top {
			t.TopLogprobs = append(t.TopLogprobs, oaiwire.TopLogprob{Token: a.Token, Logprob: a.Logprob, Bytes: byteInts(a.Bytes)})
		}
		out.Content = append(out.Content, t)
	}
	return out
}

// byteInts is b as the API writes bytes: a list of integers.
func byteInts(b []byte) []int {
	out := make([]int, len(b))
	for i, c := range b {
		out[i] = int(c)
	}
	return out
}

// maxSchemas bounds the compiled response_format schemas a server keeps.
const maxSchemas = 64

// schemaCache keeps compiled response_format schemas by their document's
// hash, so a client repeating its schema reuses it (and the engine its
// token index). It is emptied when full.
type schemaCache struct {
	mu sync.Mutex
	m  map[[32]byte]*structured.Schema
}

// get compiles the schema document raw (name labels it), or returns the
// one compiled before. A document that is not a JSON Schema, or uses a
// keyword the engine cannot enforce, is an error naming it.
func (c *schemaCache) get(name string, raw json.RawMessage) (*structured.Schema, error) {
	key := sha256.Sum256(bytes.TrimSpace(raw))
	c.mu.Lock()
	s := c.m[key]
	c.mu.Unlock()
	if s != nil {
		return s, nil
	}
	if name == "" {
		name = "response_format"
	}
	s, err := structured.Compile(name, raw)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxSchemas {
		c.m = map[[32]byte]*structured.Schema{}
	}
	c.m[key] = s
	c.mu.Unlock()
	return s, nil
}
