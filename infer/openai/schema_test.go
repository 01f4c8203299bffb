package openai

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/llsum/llsum/internal/structured"
)

// TestSchemaResponseFormat: a request with a schema sends it as the
// response format; an invalid answer is asked for again once; a second
// invalid answer fails that request (only) with the validation error; a
// fenced valid answer is accepted without its fence.
func TestSchemaResponseFormat(t *testing.T) {
	sch, err := structured.Compile("brief.json", []byte(`{"type":"object","properties":{"title":{"type":"string"}},"required":["title"],"additionalProperties":false}`))
	if err != nil {
		t.Fatal(err)
	}
	srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, prompt string, n int) bool {
		switch {
		case prompt == "good":
			writeAnswer(w, `{"title":"A"}`)
		case prompt == "fenced":
			writeAnswer(w, "```json\n{\"title\":\"F\"}\n```")
		case prompt == "second" && n == 2:
			writeAnswer(w, `{"title":"B"}`)
		default:
			writeAnswer(w, `{"name":"not the schema"}`)
		}
		return true
	})
	c := mustNew(t, testConfig(srv.url()))
	reqs := docReqs(0)
	for _, p := range []string{"good", "fenced", "second", "never"} {
		r := userReq(p)
		r.Schema = sch
		reqs = append(reqs, r)
	}
	res, err := c.Chat(context.Background(), reqs)
	var be interface{ Failed() int }
	if !errors.As(err, &be) || be.Failed() != 1 {
		t.Fatalf("got %v, want one failed request", err)
	}
	if res[0].Text != `{"title":"A"}` || res[1].Text != `{"title":"F"}` || res[2].Text != `{"title":"B"}` {
		t.Errorf("answers %q %q %q", res[0].Text, res[1].Text, res[2].Text)
	}
	for p, want := range map[string]int{"good": 1, "fenced": 1, "second": 2, "never": 2} {
		if hits, _ := srv.count(p); hits != want {
			t.Errorf("%s: %d requests, want %d", p, hits, want)
		}
	}
	if !errors.Is(err, structured.ErrInvalid) {
		t.Errorf("error %v is not a validation error", err)
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	rf, _ := srv.bodies[0]["response_format"].(map[string]any)
	js, _ := rf["json_schema"].(map[string]any)
	if rf["type"] != "json_schema" || js["name"] != "brief" || js["schema"] == nil {
		t.Errorf("response_format = %v", srv.bodies[0]["response_format"])
	}
}
