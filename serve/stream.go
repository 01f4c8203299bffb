package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/llsum/llsum/infer"
	"github.com/llsum/llsum/internal/oaiwire"
)

// progress follows one request's reply while the engine generates it. Its
// onDelta runs on the engine's decode loop, so it only records and wakes
// the handler (never blocks); it also ends the request at the next step
// once the client has gone, which frees its row of the batch.
//
// A streamed reply's handler is woken by the engine's steps, not by a timer
// of its own: the first delta with text wakes it, then a delta wakes it
// only once interval has passed since the handler last took text (what
// came meanwhile goes in one event), and the last delta (Stop set) always
// does. A model slower than the interval thus wakes the handler at each
// token, a faster one at most once per interval, and an idle stream costs
// nothing.
type progress struct {
	ctx      context.Context
	queued   time.Time
	keep     bool          // streaming: keep the text for the handler
	interval time.Duration // streaming: the shortest time between wakes for text
	wake     chan struct{} // buffered, 1

	mu     sync.Mutex
	first  time.Time // first token
	last   time.Time // latest token
	next   time.Time // streaming: the earliest wake for text (zero: at the first)
	text   strings.Builder
	lps    []infer.TokenLogprob
	seen   bool // onDelta was called at least once
	stop   string
	tokens int
}

func newProgress(ctx context.Context, queued time.Time, keep bool, interval time.Duration) *progress {
	return &progress{ctx: ctx, queued: queued, keep: keep, interval: interval, wake: make(chan struct{}, 1)}
}

// onDelta is the request's infer.ChatRequest.OnDelta.
func (p *progress) onDelta(d infer.Delta) bool {
	now := time.Now()
	p.mu.Lock()
	if d.CompletionTokens > p.tokens {
		if p.first.IsZero() {
			p.first = now
		}
		p.last = now
		p.tokens = d.CompletionTokens
	}
	p.seen = true
	wake := false
	if p.keep {
		p.text.WriteString(d.Text)
		p.lps = append(p.lps, d.Logprobs...)
		if d.Stop != "" {
			p.stop = d.Stop
		}
		wake = d.Stop != "" || ((p.text.Len() > 0 || len(p.lps) > 0) && !now.Before(p.next))
	} else if d.Stop != "" {
		p.stop = d.Stop
	}
	p.mu.Unlock()
	if wake {
		select {
		case p.wake <- struct{}{}:
		default:
		}
	}
	return p.ctx.Err() == nil
}

// take returns the text not yet taken and the state so far; when there is
// text, the next wake for text is due an interval from now.
func (p *progress) take() (text string, lps []infer.TokenLogprob, stop string, tokens int, seen bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	text, lps = p.text.String(), p.lps
	if text != "" || len(lps) > 0 {
		p.next = time.Now().Add(p.interval)
	}
	p.text.Reset()
	p.lps = nil
	return text, lps, p.stop, p.tokens, p.seen
}

// timing returns the time to the first token and the decode rate after it
// (tokens per second; 0 when under two tokens).
func (p *progress) timing() (ttft time.Duration, ok bool, rate float64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.first.IsZero() {
		return 0, false, 0
	}
	if d := p.last.Sub(p.first).Seconds(); p.tokens > 1 && d > 0 {
		rate = float64(p.tokens-1) / d
	}
	return p.first.Sub(p.queued), true, rate
}

// sse writes one streamed reply as Server-Sent Events. The events of the
// reply's text (role, content, finish) are built by hand into a buffer the
// stream reuses, from a prefix and suffix made once per stream: no
// json.Marshal and no allocation per event (TestSSEDelta checks that they
// decode to the chunks encoding/json writes). Events with log
// probabilities, the usage and errors go through encoding/json.
type sse struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	id      string
	created int64
	model   string
	usage   bool // stream_options.include_usage
	started bool
	buf     []byte // one event
	head    []byte // `data: {"id":…,"choices":[{"index":0,"delta":{`
	tail    []byte // `}]` and, with usage, `,"usage":null`, then "}\n\n"
	enc     *json.Encoder
	encBuf  bytes.Buffer
}

func newSSE(w http.ResponseWriter, id string, created int64, model string, usage bool) *sse {
	e := &sse{w: w, rc: http.NewResponseController(w), id: id, created: created, model: model, usage: usage}
	e.head = append(e.head, `data: {"id":`...)
	e.head = appendJSONString(e.head, id)
	e.head = append(e.head, `,"object":"chat.completion.chunk","created":`...)
	e.head = strconv.AppendInt(e.head, created, 10)
	e.head = append(e.head, `,"model":`...)
	e.head = appendJSONString(e.head, model)
	e.head = append(e.head, `,"choices":[{"index":0,"delta":{`...)
	e.tail = append(e.tail, "}]"...)
	if usage {
		e.tail = append(e.tail, `,"usage":null`...)
	}
	e.tail = append(e.tail, "}\n\n"...)
	return e
}

// start sends the headers and the first chunk: the assistant role.
func (e *sse) start() {
	if e.started {
		return
	}
	e.started = true
	h := e.w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // proxies: do not buffer the stream
	e.w.WriteHeader(http.StatusOK)
	e.write(e.appendDelta(e.buf[:0], `"role":"assistant","content":""`, "", ""))
}

// appendDelta appends one chunk's event: the delta's fields (raw JSON),
// then a content field of text unless text is empty, then the finish
// reason (null when ""). It does not allocate once buf is large enough.
func (e *sse) appendDelta(buf []byte, fields, text, finish string) []byte {
	buf = append(buf, e.head...)
	buf = append(buf, fields...)
	if text != "" {
		buf = append(buf, `"content":`...)
		buf = appendJSONString(buf, text)
	}
	buf = append(buf, `},"finish_reason":`...)
	if finish == "" {
		buf = append(buf, "null"...)
	} else {
		buf = appendJSONString(buf, finish)
	}
	buf = append(buf, e.tail...)
	return buf
}

// content sends text and the log probabilities of its tokens, if any.
func (e *sse) content(text string, lps []infer.TokenLogprob) {
	switch {
	case len(lps) > 0:
		c := e.newChunk(oaiwire.Delta{Content: &text}, nil)
		c.Choices[0].Logprobs = wireLogprobs(lps)
		e.event(c)
	case text != "":
		e.write(e.appendDelta(e.buf[:0], "", text, ""))
	}
}

func (e *sse) newChunk(d oaiwire.Delta, finish *string) oaiwire.ChatChunk {
	c := oaiwire.ChatChunk{ID: e.id, Object: "chat.completion.chunk", Created: e.created, Model: e.model,
		Choices: []oaiwire.ChunkChoice{{Delta: d, FinishReason: finish}}}
	if e.usage {
		c.Usage = &oaiwire.NullableUsage{}
	}
	return c
}

// finish writes the chunk with the finish reason, the usage chunk when
// asked for, and [DONE]. They are not flushed here: the handler returns
// next, and net/http then sends them with the end of the chunked body in
// one write (a flush here would cost a write of its own, and the client a
// read, per request).
func (e *sse) finish(stop string, prompt, completion int) {
	e.write(e.appendDelta(e.buf[:0], "", "", finishReason(stop)))
	if e.usage {
		e.event(oaiwire.ChatChunk{ID: e.id, Object: "chat.completion.chunk", Created: e.created, Model: e.model,
			Choices: []oaiwire.ChunkChoice{}, Usage: &oaiwire.NullableUsage{Usage: &oaiwire.Usage{
				PromptTokens: prompt, CompletionTokens: completion, TotalTokens: prompt + completion}}})
	}
	e.write(append(e.buf[:0], "data: [DONE]\n\n"...))
	// The last writes go out as the handler returns: give them the stream's
	// write timeout from now.
	_ = e.rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout))
}

// fail ends a stream that has started with an error event.
func (e *sse) fail(msg string) {
	e.event(oaiwire.ErrorReply{Error: oaiwire.ErrorDetail{Message: msg, Type: "server_error", Code: http.StatusInternalServerError}})
	e.flush()
}

// event writes v, encoded by encoding/json, as one data event.
func (e *sse) event(v any) {
	e.encBuf.Reset()
	e.encBuf.WriteString("data: ")
	if e.enc == nil {
		e.enc = json.NewEncoder(&e.encBuf)
	}
	_ = e.enc.Encode(v) // the JSON and a newline
	e.encBuf.WriteByte('\n')
	_, _ = e.w.Write(e.encBuf.Bytes())
}

// write writes one built event into the response's buffer and keeps the
// buffer for the next; a client gone shows as a write error, which the
// request's context reports as well.
func (e *sse) write(ev []byte) {
	e.buf = ev
	_, _ = e.w.Write(ev)
}

// appendJSONString appends s as a JSON string, escaped as encoding/json
// escapes it (HTML characters, U+2028 and U+2029 included; invalid UTF-8
// as U+FFFD).
func appendJSONString(buf []byte, s string) []byte {
	const hex = "0123456789abcdef"
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			buf = append(buf, s[start:i]...)
			switch c {
			case '"', '\\':
				buf = append(buf, '\\', c)
			case '\n':
				buf = append(buf, '\\', 'n')
			case '\r':
				buf = append(buf, '\\', 'r')
			case '\t':
				buf = append(buf, '\\', 't')
			default:
				buf = append(buf, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || r == '\u2028' || r == '\u2029' {
			buf = append(buf, s[start:i]...)
			switch r {
			case utf8.RuneError:
				buf = append(buf, `\ufffd`...)
			default:
				buf = append(buf, '\\', 'u', '2', '0', '2', hex[r&0xf])
			}
			i += size
			start = i
			continue
		}
		i += size
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}

// streamWriteTimeout bounds each write of a stream: a client that stops
// reading for that long is cut off (its request then ends at the engine's
// next step). Setting it per write also lets a stream outlive a server-wide
// write timeout, which would otherwise cut every long generation.
const streamWriteTimeout = time.Minute

// flush sends what was written.
func (e *sse) flush() {
	_ = e.rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout))
	_ = e.rc.Flush()
}

// stream answers a queued streaming request: headers and the role chunk at
// the first token (so that a request that fails before any output still
// gets a plain error status), then content chunks as text comes, then the
// finish chunk, the usage and [DONE]. The engine's steps wake the handler
// (progress): the first token goes out at once, later text at most every
// Config.StreamInterval, in one chunk, so that a model faster than that
// costs one event per interval rather than per token. A client that leaves
// ends the request at the engine's next step (progress.onDelta).
func (s *Server) stream(w http.ResponseWriter, r *http.Request, j *job, p parsed) {
	e := newSSE(w, s.newID(), time.Now().Unix(), s.name, p.includeUsage)
	for {
		select {
		case <-j.progress.wake:
			text, lps, stop, tokens, _ := j.progress.take()
			if stop == infer.StopCancelled {
				return
			}
			e.start()
			e.content(text, lps)
			if stop != "" {
				e.finish(stop, p.promptTokens, tokens)
				s.metrics.answered(j, infer.ChatResult{Stop: stop, PromptTokens: p.promptTokens, CompletionTokens: tokens})
				return
			}
			e.flush()
		case jr := <-j.done:
			if r.Context().Err() != nil {
				return
			}
			if jr.err != nil {
				if !e.started {
					s.writeJobError(w, jr.err)
					return
				}
				s.log.Error("serve: chat failed mid-stream", "err", jr.err)
				text, lps, _, _, _ := j.progress.take()
				e.content(text, lps)
				e.fail(jr.err.Error())
				return
			}
			text, lps, _, _, seen := j.progress.take()
			if !seen { // a backend that does not stream: the reply at once
				text = jr.res.Text
				if jr.res.Logprobs != nil {
					lps = jr.res.Logprobs.Tokens
				}
			}
			e.start()
			e.content(text, lps)
			e.finish(jr.res.Stop, p.promptTokens, jr.res.CompletionTokens)
			s.metrics.answered(j, jr.res)
			return
		case <-r.Context().Done():
			return
		}
	}
}
