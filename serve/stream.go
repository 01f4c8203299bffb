package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/llsum/llsum/infer"
	"github.com/llsum/llsum/internal/oaiwire"
)

// progress follows one request's reply while the engine generates it. Its
// onDelta runs on the engine's decode loop, so it only records and wakes
// the handler (never blocks); it also ends the request at the next step
// once the client has gone, which frees its row of the batch.
type progress struct {
	ctx    context.Context
	queued time.Time
	keep   bool          // streaming: keep the text for the handler
	wake   chan struct{} // buffered, 1

	mu     sync.Mutex
	first  time.Time // first token
	last   time.Time // latest token
	text   strings.Builder
	lps    []infer.TokenLogprob
	seen   bool // onDelta was called at least once
	quiet  bool // the handler will take the text at its next send: no wake needed
	stop   string
	tokens int
}

func newProgress(ctx context.Context, queued time.Time, keep bool) *progress {
	return &progress{ctx: ctx, queued: queued, keep: keep, wake: make(chan struct{}, 1)}
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
	if p.keep {
		p.text.WriteString(d.Text)
		p.lps = append(p.lps, d.Logprobs...)
	}
	if d.Stop != "" {
		p.stop = d.Stop
	}
	wake := p.keep && (!p.quiet || d.Stop != "")
	p.mu.Unlock()
	if wake {
		select {
		case p.wake <- struct{}{}:
		default:
		}
	}
	return p.ctx.Err() == nil
}

// setQuiet says that the handler will take the text at its next send, so
// that only the last delta need wake it until then.
func (p *progress) setQuiet() {
	p.mu.Lock()
	p.quiet = true
	p.mu.Unlock()
}

// take returns the text not yet taken and the state so far, and ends a
// quiet period.
func (p *progress) take() (text string, lps []infer.TokenLogprob, stop string, tokens int, seen bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.quiet = false
	text, lps = p.text.String(), p.lps
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

// sse writes one streamed reply as Server-Sent Events.
type sse struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	id      string
	created int64
	model   string
	usage   bool // stream_options.include_usage
	started bool
	buf     bytes.Buffer // one event
	enc     *json.Encoder
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
	empty := ""
	e.chunk(oaiwire.Delta{Role: infer.RoleAssistant, Content: &empty}, nil)
}

func (e *sse) chunk(d oaiwire.Delta, finish *string) { e.event(e.newChunk(d, finish)) }

func (e *sse) newChunk(d oaiwire.Delta, finish *string) oaiwire.ChatChunk {
	c := oaiwire.ChatChunk{ID: e.id, Object: "chat.completion.chunk", Created: e.created, Model: e.model,
		Choices: []oaiwire.ChunkChoice{{Delta: d, FinishReason: finish}}}
	if e.usage {
		c.Usage = &oaiwire.NullableUsage{}
	}
	return c
}

// content sends text and the log probabilities of its tokens, if any.
func (e *sse) content(text string, lps []infer.TokenLogprob) {
	if text == "" && len(lps) == 0 {
		return
	}
	c := e.newChunk(oaiwire.Delta{Content: &text}, nil)
	if len(lps) > 0 {
		c.Choices[0].Logprobs = wireLogprobs(lps)
	}
	e.event(c)
}

// finish writes the chunk with the finish reason, the usage chunk when
// asked for, and [DONE]. They are not flushed here: the handler returns
// next, and net/http then sends them with the end of the chunked body in
// one write (a flush here would cost a write of its own, and the client a
// read, per request).
func (e *sse) finish(stop string, prompt, completion int) {
	reason := finishReason(stop)
	e.chunk(oaiwire.Delta{}, &reason)
	if e.usage {
		e.event(oaiwire.ChatChunk{ID: e.id, Object: "chat.completion.chunk", Created: e.created, Model: e.model,
			Choices: []oaiwire.ChunkChoice{}, Usage: &oaiwire.NullableUsage{Usage: &oaiwire.Usage{
				PromptTokens: prompt, CompletionTokens: completion, TotalTokens: prompt + completion}}})
	}
	e.raw("[DONE]")
	// The last writes go out as the handler returns: give them the stream's
	// write timeout from now.
	_ = e.rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout))
}

// fail ends a stream that has started with an error event.
func (e *sse) fail(msg string) {
	e.event(oaiwire.ErrorReply{Error: oaiwire.ErrorDetail{Message: msg, Type: "server_error", Code: http.StatusInternalServerError}})
	e.flush()
}

// event writes v as one data event into the response's buffer; a client
// gone shows as a write error, which the request's context reports as
// well. The event is built in a buffer the stream reuses.
func (e *sse) event(v any) {
	e.buf.Reset()
	e.buf.WriteString("data: ")
	if e.enc == nil {
		e.enc = json.NewEncoder(&e.buf)
	}
	_ = e.enc.Encode(v) // the JSON and a newline
	e.buf.WriteByte('\n')
	_, _ = e.w.Write(e.buf.Bytes())
}

// raw writes one data event of the given text.
func (e *sse) raw(data string) {
	e.buf.Reset()
	e.buf.WriteString("data: ")
	e.buf.WriteString(data)
	e.buf.WriteString("\n\n")
	_, _ = e.w.Write(e.buf.Bytes())
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
// finish chunk, the usage and [DONE]. The first token goes out at once;
// later text is sent at most every Config.StreamInterval, in one chunk, so
// that a model faster than that costs one event per interval rather than
// per token. A client that leaves ends the request at the engine's next
// step (progress.onDelta).
//
// The handler is woken as little as the text allows: after the first token
// and after each send that a tick made (tokens coming faster than the
// interval), the next send is armed at once and the engine told not to
// wake the handler for text until then; after a send that a token made
// (a model slower than the interval), the next token wakes it.
func (s *Server) stream(w http.ResponseWriter, r *http.Request, j *job, p parsed) {
	e := &sse{w: w, rc: http.NewResponseController(w), id: s.newID(), created: time.Now().Unix(), model: s.name, usage: p.includeUsage}
	var pending strings.Builder
	var lps []infer.TokenLogprob
	var last time.Time        // last flush
	var timer *time.Timer     // the interval's timer, reused
	var tick <-chan time.Time // timer.C while a send is armed
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	// arm schedules the next send in d and quiets the engine's wakes.
	arm := func(d time.Duration) {
		if timer == nil {
			timer = time.NewTimer(d)
		} else {
			timer.Reset(d)
		}
		tick = timer.C
		j.progress.setQuiet()
	}
	// send sends the pending text; then, when armNext, arms the next send.
	send := func(armNext bool) {
		e.content(pending.String(), lps)
		pending.Reset()
		lps = nil
		e.flush()
		last, tick = time.Now(), nil
		if armNext && s.cfg.StreamInterval > 0 {
			arm(s.cfg.StreamInterval)
		}
	}
	for {
		select {
		case <-j.progress.wake:
			text, l, stop, tokens, _ := j.progress.take()
			if stop == infer.StopCancelled {
				return
			}
			pending.WriteString(text)
			lps = append(lps, l...)
			if !e.started {
				e.start()
				if stop == "" {
					send(true) // the first token: at once
					continue
				}
			}
			if stop != "" {
				e.content(pending.String(), lps)
				e.finish(stop, p.promptTokens, tokens)
				s.metrics.answered(j, infer.ChatResult{Stop: stop, PromptTokens: p.promptTokens, CompletionTokens: tokens})
				return
			}
			switch {
			case tick != nil: // a send is armed (take ended the quiet)
				j.progress.setQuiet()
			case pending.Len() == 0 && len(lps) == 0: // nothing to send
			case time.Since(last) >= s.cfg.StreamInterval:
				send(false)
			default:
				arm(s.cfg.StreamInterval - time.Since(last))
			}
		case <-tick:
			tick = nil
			text, l, _, _, _ := j.progress.take() // ends the quiet
			pending.WriteString(text)
			lps = append(lps, l...)
			if pending.Len() > 0 || len(lps) > 0 {
				send(true)
			} // else nothing came: the next token wakes the handler
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
				e.content(pending.String(), lps)
				e.fail(jr.err.Error())
				return
			}
			text, l, _, _, seen := j.progress.take()
			lps = append(lps, l...)
			if !seen { // a backend that does not stream: the reply at once
				text = jr.res.Text
				if jr.res.Logprobs != nil {
					lps = jr.res.Logprobs.Tokens
				}
			}
			e.start()
			e.content(pending.String()+text, lps)
			e.finish(jr.res.Stop, p.promptTokens, jr.res.CompletionTokens)
			s.metrics.answered(j, jr.res)
			return
		case <-r.Context().Done():
			return
		}
	}
}
