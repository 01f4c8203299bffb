package serve

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/llsum/llsum/infer"
	"github.com/llsum/llsum/internal/oaiwire"
)

// sseEvents posts a streaming request and returns the data of each event
// (the last is "[DONE]" when the stream ended properly).
func sseEvents(t *testing.T, base, body string) (*http.Response, []string) {
	t.Helper()
	resp, err := http.Post(base+"/v1/chat/completions", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var events []string
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			events = append(events, data)
		}
	}
	return resp, events
}

type chunk struct {
	Object  string `json:"object"`
	Choices []struct {
		Delta struct {
			Role    string  `json:"role"`
			Content *string `json:"content"`
		} `json:"delta"`
		FinishReason *string `json:"finish_reason"`
	} `json:"choices"`
	Usage *struct {
		P int `json:"prompt_tokens"`
		C int `json:"completion_tokens"`
		T int `json:"total_tokens"`
	} `json:"usage"`
}

// TestServeStreaming: a streamed reply is the role chunk, content chunks
// that add up to the non-streamed reply (greedy, so the same), a chunk with
// the finish reason, the usage chunk when asked for, and [DONE].
func TestServeStreaming(t *testing.T) {
	m := openModel(t)
	base, _ := startServer(t, Config{Model: m, ModelName: "tiny"})
	const req = `{"model":"tiny","messages":[{"role":"user","content":"Tell me about the moon."}],"max_tokens":24%s}`
	_, plain := post(t, base+"/v1/chat/completions", "", strings.Replace(req, "%s", "", 1))
	ch := plain["choices"].([]any)[0].(map[string]any)
	want := ch["message"].(map[string]any)["content"].(string)
	wantFinish := ch["finish_reason"].(string)
	wantUsage := plain["usage"].(map[string]any)

	for _, withUsage := range []bool{false, true} {
		extra := `,"stream":true`
		if withUsage {
			extra += `,"stream_options":{"include_usage":true}`
		}
		resp, events := sseEvents(t, base, strings.Replace(req, "%s", extra, 1))
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
			t.Fatalf("status %d, content type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		if len(events) < 3 || events[len(events)-1] != "[DONE]" {
			t.Fatalf("events %q", events)
		}
		var text strings.Builder
		var finish string
		var usage *chunk
		for i, ev := range events[:len(events)-1] {
			var c chunk
			if err := json.Unmarshal([]byte(ev), &c); err != nil || c.Object != "chat.completion.chunk" {
				t.Fatalf("event %d %q: %v", i, ev, err)
			}
			if !strings.Contains(ev, `"usage"`) == withUsage {
				t.Errorf("event %d: usage field present=%v, want %v", i, !withUsage, withUsage)
			}
			if len(c.Choices) == 0 {
				if !withUsage || i != len(events)-2 || c.Usage == nil {
					t.Fatalf("event %d without choices: %q", i, ev)
				}
				usage = &c
				continue
			}
			d := c.Choices[0]
			if (i == 0) != (d.Delta.Role == infer.RoleAssistant) {
				t.Errorf("event %d: role %q", i, d.Delta.Role)
			}
			if d.Delta.Content != nil {
				if !utf8.ValidString(*d.Delta.Content) {
					t.Errorf("event %d: invalid UTF-8 %q", i, *d.Delta.Content)
				}
				text.WriteString(*d.Delta.Content)
			}
			if d.FinishReason != nil {
				finish = *d.FinishReason
			}
		}
		if text.String() != want || finish != wantFinish {
			t.Errorf("streamed %q (%s), want %q (%s)", text.String(), finish, want, wantFinish)
		}
		if withUsage && (usage == nil || float64(usage.Usage.P) != wantUsage["prompt_tokens"] ||
			float64(usage.Usage.C) != wantUsage["completion_tokens"] || usage.Usage.T != usage.Usage.P+usage.Usage.C) {
			t.Errorf("usage chunk %+v, want %v", usage, wantUsage)
		}
	}
}

// recordingModel passes calls to the real model and keeps its results; with
// step set, each decode step of a request takes at least that long (the
// engine's callback sleeps), so that a tiny model's reply outlasts a
// client's disconnection on any machine.
type recordingModel struct {
	infer.ChatModel
	step    time.Duration
	mu      sync.Mutex
	results []infer.ChatResult
}

func (m *recordingModel) Chat(ctx context.Context, reqs []infer.ChatRequest) ([]infer.ChatResult, error) {
	if m.step > 0 {
		reqs = append([]infer.ChatRequest(nil), reqs...)
		for i := range reqs {
			if f := reqs[i].OnDelta; f != nil {
				reqs[i].OnDelta = func(d infer.Delta) bool {
					time.Sleep(m.step)
					return f(d)
				}
			}
		}
	}
	res, err := m.ChatModel.Chat(ctx, reqs)
	m.mu.Lock()
	m.results = append(m.results, res...)
	m.mu.Unlock()
	return res, err
}

// TestServeStreamDisconnect: a client that leaves after its first content
// chunk has its request ended by the engine at the next step (the batch row
// freed), while the request batched with it runs to its end.
func TestServeStreamDisconnect(t *testing.T) {
	m := &recordingModel{ChatModel: openModel(t)}
	s, base, _ := runServer(t, Config{Model: m, ModelName: "tiny", MaxBatch: 2, BatchWait: time.Minute})
	const body = `{"model":"tiny","messages":[{"role":"user","content":"Tell me about the moon."}],"max_tokens":60%s}`
	// Alone first: how long the reply runs.
	_, alone := post(t, base+"/v1/chat/completions", "", strings.Replace(body, "%s", "", 1))
	full := int(alone["usage"].(map[string]any)["completion_tokens"].(float64))
	if full < 6 {
		t.Skipf("the tiny model's reply is %d tokens: too short to cut", full)
	}
	m.mu.Lock()
	m.results = nil
	m.mu.Unlock()
	m.step = 5 * time.Millisecond // set before any other request: no race

	// The streamed request is being read when its mate is queued, so the
	// mate waits for it and the two run as one batch (MaxBatch 2).
	ctx, cancel := context.WithCancel(context.Background())
	send, respc := arriving(t, ctx, s, base+"/v1/chat/completions", strings.Replace(body, "%s", `,"stream":true`, 1))
	var wg sync.WaitGroup
	var mate map[string]any
	wg.Go(func() { _, mate = post(t, base+"/v1/chat/completions", "", strings.Replace(body, "%s", "", 1)) })
	for deadline := time.Now().Add(30 * time.Second); s.pending.Load() != 1; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the mate was never queued")
		}
	}
	send()
	resp := <-respc
	if resp == nil {
		t.FailNow()
	}
	r := bufio.NewReader(resp.Body)
	for n := 0; n < 2; { // the role chunk and one content chunk
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(line, "data: ") {
			n++
		}
	}
	cancel()
	io.Copy(io.Discard, r)
	resp.Body.Close()
	wg.Wait()

	m.mu.Lock()
	defer m.mu.Unlock()
	var cancelled, finished int
	for _, res := range m.results {
		switch {
		case res.Stop == infer.StopCancelled && res.CompletionTokens < full:
			cancelled++
		case res.CompletionTokens == full:
			finished++
		}
	}
	if cancelled != 1 || finished != 1 || mate["usage"].(map[string]any)["completion_tokens"].(float64) != float64(full) {
		t.Errorf("results %+v (want one cancelled under %d tokens, one of %d); batch-mate %v", m.results, full, full, mate["usage"])
	}
}

// TestServeStreamInterval: with every token sent at once there are many
// content events; with an interval longer than the reply, the first
// token's text goes at once and the rest with the finish; the text is the
// same either way.
func TestServeStreamInterval(t *testing.T) {
	// Decode steps of 5ms, so that the handler keeps up with the engine
	// (else tokens made while it writes go in one event) on any machine.
	m := &recordingModel{ChatModel: openModel(t), step: 5 * time.Millisecond}
	const body = `{"messages":[{"role":"user","content":"Tell me about the moon."}],"max_tokens":30,"stream":true}`
	texts := map[time.Duration]string{}
	counts := map[time.Duration]int{}
	// 1ms and 12ms: shorter and longer than a step, so that a step wakes
	// the handler at every token, and only at some.
	for _, iv := range []time.Duration{-1, time.Hour, time.Millisecond, 12 * time.Millisecond} {
		base, _ := startServer(t, Config{Model: m, ModelName: "tiny", StreamInterval: iv})
		_, events := sseEvents(t, base, body)
		var text strings.Builder
		for _, ev := range events[:len(events)-1] {
			var c chunk
			if err := json.Unmarshal([]byte(ev), &c); err != nil {
				t.Fatal(err)
			}
			if len(c.Choices) > 0 && c.Choices[0].Delta.Content != nil && *c.Choices[0].Delta.Content != "" {
				counts[iv]++
				text.WriteString(*c.Choices[0].Delta.Content)
			}
		}
		texts[iv] = text.String()
	}
	if texts[-1] != texts[time.Hour] || counts[time.Hour] > 2 || counts[-1] < 3 {
		t.Errorf("every token: %d events %q; hour: %d events %q", counts[-1], texts[-1], counts[time.Hour], texts[time.Hour])
	}
	for _, iv := range []time.Duration{time.Millisecond, 12 * time.Millisecond} {
		if texts[iv] != texts[-1] {
			t.Errorf("interval %v: %d events %q, want the text %q", iv, counts[iv], texts[iv], texts[-1])
		}
	}
}

// TestSSEDelta: the events built by hand (role, content, finish) decode to
// the same chunk as encoding/json's form of it, and are byte for byte what
// encoding/json writes, for texts with every kind of character that a JSON
// string escapes (and invalid UTF-8).
func TestSSEDelta(t *testing.T) {
	texts := []string{"", "hello", `say "hi" \ there`, "tab\tnew\nline\rret", "\x00\x01\x1f\x7f",
		"<b>&amp;</b>", "é ü 中文 🙂", "line\u2028para\u2029", "bad \xff\xfe utf-8 \xe2\x82", `\u0041`, "/slash/"}
	for _, usage := range []bool{false, true} {
		for _, id := range []string{"chatcmpl-llsum-1", `odd "id" <&>`} {
			e := newSSE(nil, id, 1764633600, "tiny\tmodel", usage)
			type event struct {
				name  string
				built []byte
				want  oaiwire.ChatChunk
			}
			assistant, empty := infer.RoleAssistant, ""
			events := []event{{"role", e.appendDelta(nil, `"role":"assistant","content":""`, "", ""),
				e.newChunk(oaiwire.Delta{Role: assistant, Content: &empty}, nil)}}
			for _, text := range texts[1:] {
				events = append(events, event{"content " + strconv.Quote(text), e.appendDelta(nil, "", text, ""),
					e.newChunk(oaiwire.Delta{Content: &text}, nil)})
			}
			for _, stop := range []string{infer.StopEOS, infer.StopLength} {
				reason := finishReason(stop)
				events = append(events, event{"finish " + stop, e.appendDelta(nil, "", "", reason),
					e.newChunk(oaiwire.Delta{}, &reason)})
			}
			for _, ev := range events {
				data, ok := bytes.CutPrefix(ev.built, []byte("data: "))
				data, ok2 := bytes.CutSuffix(data, []byte("\n\n"))
				if !ok || !ok2 {
					t.Fatalf("%s: not one data event: %q", ev.name, ev.built)
				}
				var got, want oaiwire.ChatChunk
				wantJSON, err := json.Marshal(ev.want)
				if err != nil {
					t.Fatal(err)
				}
				if err := json.Unmarshal(data, &got); err != nil {
					t.Fatalf("%s: %q: %v", ev.name, data, err)
				}
				if err := json.Unmarshal(wantJSON, &want); err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("%s: built %s\ndecodes to %+v\nencoding/json %s\ndecodes to %+v", ev.name, data, got, wantJSON, want)
				}
				if !bytes.Equal(data, wantJSON) {
					t.Errorf("%s: built %s\nencoding/json %s", ev.name, data, wantJSON)
				}
				// The raw form keeps the usage field null, as the JSON one.
				if usage != bytes.Contains(data, []byte(`"usage":null`)) {
					t.Errorf("%s: usage %v: %s", ev.name, usage, data)
				}
			}
		}
	}
}

// BenchmarkSSEDelta: building one content event by hand into a reused
// buffer, against encoding/json's form of the same chunk.
// Run: go test -run '^$' -bench 'SSEDelta' -benchmem ./serve/
func BenchmarkSSEDelta(b *testing.B) {
	e := newSSE(nil, "chatcmpl-llsum-12345", 1764633600, "llama-3.2-1b-instruct", true)
	text := " the quick brown fox, \"jumps\" over"
	b.Run("built", func(b *testing.B) {
		var buf []byte
		for b.Loop() {
			buf = e.appendDelta(buf[:0], "", text, "")
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		for b.Loop() {
			buf.Reset()
			buf.WriteString("data: ")
			_ = enc.Encode(e.newChunk(oaiwire.Delta{Content: &text}, nil))
			buf.WriteByte('\n')
		}
	})
}
