package serve

import (
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

// finish sends the chunk with the finish reason, the usage chunk when asked
// for, and [DONE].
func (e *sse) finish(stop string, prompt, completion int) {
	reason := finishReason(stop)
	e.chunk(oaiwire.Delta{}, &reason)
	if e.usage {
		e.event(oaiwire.ChatChunk{ID: e.id, Object: "chat.completion.chunk", Created: e.created, Model: e.model,
			Choices: []oaiwire.ChunkChoice{}, Usage: &oaiwire.NullableUsage{Usage: &oaiwire.Usage{
				PromptTokens: prompt, CompletionTokens: completion, TotalTokens: prompt + completion}}})
	}
	e.raw("[DONE]")
	e.flush()
}

// fail ends a stream that has started with an error event.
func (e *sse) fail(msg string) {
	b, _ := json.Marshal(oaiwire.ErrorReply{Error: oaiwire.ErrorDetail{Message: msg, Type: "server_error", Code: http.StatusInternalServerError}})
	e.raw(string(b))
	e.flush()
}

func (e *sse) event(v any) {
	b, _ := json.Marshal(v)
	e.raw(string(b))
}

// raw writes one data event into the response's buffer; a client gone
// shows as a write error, which the request's context reports as well.
func (e *sse) raw(data string) {
	_, _ = e.w.Write([]byte("data: " + data + "\n\n"))
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
func (s *Server) stream(w http.ResponseWriter, r *http.Request, j *job, p parsed) {
	e := &sse{w: w, rc: http.NewResponseController(w), id: s.newID(), created: time.Now().Unix(), model: s.name, usage: p.includeUsage}
	var pending strings.Builder
	var lps []infer.TokenLogprob
	var last time.Time        // last flush
	var tick <-chan time.Time // armed while text waits for the interval
	send := func() {
		text, l, _, _, _ := j.progress.take()
		pending.WriteString(text)
		e.content(pending.String(), append(lps, l...))
		pending.Reset()
		lps = nil
		e.flush()
		last, tick = time.Now(), nil
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
					send() // the first token: at once
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
			case tick != nil, pending.Len() == 0 && len(lps) == 0: // a send is due, or nothing to send
			case time.Since(last) >= s.cfg.StreamInterval:
				send()
			default: // until the send, the engine need not wake us for text
				tick = time.After(s.cfg.StreamInterval - time.Since(last))
				j.progress.setQuiet()
			}
		case <-tick:
			send()
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
