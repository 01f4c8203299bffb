// Package serve is llsum's OpenAI-compatible HTTP server: it answers
// /v1/chat/completions, /v1/models and /healthz with any infer.ChatModel
// (llsum's ONNX Runtime engine), so that one GPU box can serve several llsum
// clients and other OpenAI clients.
//
// Requests go into a bounded queue; one dispatcher takes up to MaxBatch of
// them at a time (waiting at most BatchWait for a batch to fill once the
// first has arrived) and runs them as one batched Chat call, which the
// engine decodes together. A request that finds the server quiet starts at
// once, without the window (see startsAlone). When the queue is full the server answers 429
// with Retry-After, which llsum's openai backend honours. A request whose
// client went away before its batch started is dropped unanswered.
//
// Validation happens before queueing, so that one bad request never fails a
// batch: unknown model → 404, malformed body, bad roles, parameters the
// server cannot honour (params.go: tools, response_format, n > 1, ...) or
// a prompt plus max_tokens over the context window → 400 with the reason in
// OpenAI's error shape.
//
// stream: true answers Server-Sent Events of chat.completion.chunk objects
// (stream.go); every request follows its generation through the engine's
// per-step callback, which also ends it at the next step once its client has
// gone. GET /metrics serves Prometheus metrics (metrics.go).
//
// Sampling: temperature, top_p, top_k, seed, stop and repetition_penalty pass to
// the engine; a request without temperature is decoded greedily (OpenAI's
// default would be 1), so that summaries are reproducible. max_tokens (or
// max_completion_tokens) defaults to Config.MaxNewTokens.
//
// Shutdown (Run's context ends) is graceful: the listener closes, /healthz
// turns 503, queued and running requests are answered, then Run returns.
package serve

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/llsum/llsum/infer"
	"github.com/llsum/llsum/internal/errclass"
	"github.com/llsum/llsum/internal/oaiwire"
	"github.com/llsum/llsum/internal/textutil"
)

// ErrNoModelName: neither Config.ModelName nor the model gives a name.
var ErrNoModelName = errors.New("serve: the model has no name")

// Defaults for the zero values of Config.
const (
	DefaultAddr            = "127.0.0.1:8000"
	DefaultMaxBatch        = 8
	DefaultQueue           = 64
	DefaultBatchWait       = 5 * time.Millisecond
	DefaultMaxNewTokens    = 512
	DefaultShutdownTimeout = 2 * time.Minute
	DefaultStreamInterval  = 20 * time.Millisecond
	maxBodyBytes           = 16 << 20
	// maxParsing bounds the request bodies read and tokenized at once: each
	// may hold 16 MiB of body and its decoded messages.
	maxParsing = 4
	// readTimeout bounds reading one request's body (a client trickling
	// its body holds a connection and a parsing slot no longer);
	// idleTimeout closes keep-alive connections left unused.
	readTimeout = time.Minute
	idleTimeout = 2 * time.Minute
	// maxTokensLimit caps max_tokens when the model's window is unknown.
	maxTokensLimit = 1 << 20
)

// Config configures a Server. Zero values take the defaults above.
type Config struct {
	// Model answers the requests; the server does not close it.
	Model infer.ChatModel
	// ModelName is the name clients send and /v1/models lists; empty means
	// Model.Info().Model.
	ModelName string
	// MaxBatch is the most requests per Chat call.
	MaxBatch int
	// Queue is the most requests waiting for a batch; beyond it: 429.
	Queue int
	// BatchWait is how long the dispatcher waits for a batch to fill after
	// its first request (not at all for a request that finds the server
	// quiet: startsAlone).
	BatchWait time.Duration
	// MaxNewTokens applies when a request gives no max_tokens.
	MaxNewTokens int
	// APIKey, when set, is required as "Authorization: Bearer KEY".
	APIKey string
	// ShutdownTimeout bounds the wait for queued requests at shutdown.
	ShutdownTimeout time.Duration
	// StreamInterval is the shortest time between two events of a
	// streamed reply after its first token (text generated meanwhile goes
	// in one chunk); 0 means DefaultStreamInterval, negative: every token
	// at once.
	StreamInterval time.Duration
	// Logger receives one line per batch (debug) and errors; nil discards.
	Logger *slog.Logger
}

// Server is the HTTP handler with its queue and dispatcher.
type Server struct {
	cfg      Config
	name     string
	info     infer.ModelInfo
	queue    chan *job
	draining atomic.Bool
	log      *slog.Logger
	nextID   atomic.Uint64
	// pending counts requests accepted into the queue and not yet answered.
	pending atomic.Int64
	// incoming counts chat requests from the handler's start (body being
	// read, validated, tokenized) until the dispatcher takes them from the
	// queue; lastArrival is the latest one's start (Unix ns). The
	// dispatcher reads both to tell a lone request from the first of a
	// burst.
	incoming    atomic.Int64
	lastArrival atomic.Int64
	// last is the previous batch's size and run time (dispatcher only).
	last struct {
		size int
		took time.Duration
	}
	mux     *http.ServeMux
	metrics *metrics
	schemas schemaCache
	// parsing holds a slot per request body being read and tokenized.
	parsing chan struct{}
	// reading holds the requests whose body is being read, so that
	// shutdown can cut them off instead of waiting on slow clients.
	readMu  sync.Mutex
	reading map[*http.ResponseController]struct{}
}

// job is one queued request and where its answer goes.
type job struct {
	ctx  context.Context
	req  infer.ChatRequest
	done chan jobResult // buffered, 1
	// gap is the time from the previous chat request's arrival to this
	// one's (the first request since start: a very long one).
	gap time.Duration
	// progress follows the reply as it is generated (TTFT, streaming).
	progress *progress
}

type jobResult struct {
	res infer.ChatResult
	err error
}

// New returns a server for cfg.Model; Run serves it.
func New(cfg Config) (*Server, error) {
	if cfg.Model == nil {
		return nil, errors.New("serve: no model")
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = DefaultMaxBatch
	}
	if cfg.Queue <= 0 {
		cfg.Queue = DefaultQueue
	}
	if cfg.BatchWait <= 0 {
		cfg.BatchWait = DefaultBatchWait
	}
	if cfg.MaxNewTokens <= 0 {
		cfg.MaxNewTokens = DefaultMaxNewTokens
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = DefaultShutdownTimeout
	}
	switch {
	case cfg.StreamInterval == 0:
		cfg.StreamInterval = DefaultStreamInterval
	case cfg.StreamInterval < 0:
		cfg.StreamInterval = 0
	}
	s := &Server{
		cfg:   cfg,
		info:  cfg.Model.Info(),
		queue: make(chan *job, cfg.Queue),
		log:   cfg.Logger,
		mux:   http.NewServeMux(),

		parsing: make(chan struct{}, maxParsing),
		reading: map[*http.ResponseController]struct{}{},
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.name = cfg.ModelName
	if s.name == "" {
		s.name = s.info.Model
	}
	if s.name == "" {
		return nil, ErrNoModelName
	}
	s.metrics = newMetrics(s)
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.Handle("GET /metrics", s.metrics.handler())
	s.mux.HandleFunc("GET /v1/models", s.auth(s.models))
	s.mux.HandleFunc("POST /v1/chat/completions", s.metrics.counted(s.auth(s.chat)))
	return s, nil
}

// Handler returns the server's HTTP handler (tests, embedding).
func (s *Server) Handler() http.Handler { return s.mux }

// Run serves on ln until ctx ends, then shuts down gracefully: no new
// connections, queued and running requests answered (bounded by
// ShutdownTimeout). It returns nil after a clean shutdown.
func (s *Server) Run(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s.mux,
		ReadHeaderTimeout: 30 * time.Second,
		IdleTimeout:       idleTimeout,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	dispatchCtx, stopDispatch := context.WithCancel(context.WithoutCancel(ctx))
	defer stopDispatch()
	dispatched := make(chan struct{})
	go func() {
		defer close(dispatched)
		s.dispatch(dispatchCtx)
	}()

	serveErr := make(chan error, 1)
	go func() { serveErr <- hs.Serve(ln) }()

	select {
	case err := <-serveErr:
		stopDispatch()
		<-dispatched
		return fmt.Errorf("serve %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	s.draining.Store(true)
	s.log.Info("serve: shutting down: answering queued requests", "queued", len(s.queue))
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	s.cutReads()
	err := hs.Shutdown(sctx) // waits for handlers, which wait for their jobs
	stopDispatch()
	<-dispatched
	if err != nil {
		return fmt.Errorf("serve: shutdown: %w", err)
	}
	return nil
}

// dispatch batches queued jobs into Chat calls until ctx ends.
func (s *Server) dispatch(ctx context.Context) {
	for {
		var first *job
		select {
		case first = <-s.queue:
			s.incoming.Add(-1)
		case <-ctx.Done():
			s.failQueued(errors.New("server stopped"))
			return
		}
		batch := []*job{first}
		if !s.startsAlone(first) {
			batch = s.fill(batch)
		}
		start := time.Now()
		ran := s.runBatch(ctx, batch)
		s.last.size, s.last.took = len(batch), ran.Sub(start)
	}
}

// startsAlone says whether first, just taken from the queue, runs at once
// without waiting for a batch to fill. The engine does not add requests to
// a batch that is running, so a request that arrives just after a lone one
// has started waits for that whole reply; the window is skipped only when
// the traffic says none is coming: no other request is queued or being read,
// the previous batch was a lone request too, and that one arrived longer
// before this one than its batch took to run (requests one at a time,
// spaced wider than a reply: an interactive user, a sequential client).
// The first request of a burst after a quiet spell then starts alone, the
// rest of the burst (those already being read excepted, which it waits
// for) running as the next batch; a burst's later batches, and any steady
// concurrent traffic, keep the window.
func (s *Server) startsAlone(first *job) bool {
	return s.incoming.Load() == 0 && s.last.size <= 1 && first.gap > s.last.took
}

// timerSlack is about how late a Go timer fires on an idle process: the
// runtime sleeps in whole milliseconds, so a 100µs timer fires after about
// 1.1ms (measured on linux/amd64). The batch window's last timerSlack is
// waited by polling the queue instead.
const timerSlack = time.Millisecond

// fill adds queued jobs to batch until it has MaxBatch or BatchWait has
// passed since its first job was taken. A timer covers the window but its
// last timerSlack, which is polled (yielding the processor between polls)
// so that a window under a millisecond (--batch-wait 100µs) lasts what it
// says rather than a timer's granularity, at the cost of at most
// timerSlack of one core per batch.
func (s *Server) fill(batch []*job) []*job {
	deadline := time.Now().Add(s.cfg.BatchWait)
	if d := s.cfg.BatchWait - timerSlack; d > 0 {
		timer := time.NewTimer(d)
		defer timer.Stop()
	wait:
		for len(batch) < s.cfg.MaxBatch {
			select {
			case j := <-s.queue:
				s.incoming.Add(-1)
				batch = append(batch, j)
			case <-timer.C:
				break wait
			}
		}
	}
	for len(batch) < s.cfg.MaxBatch && time.Now().Before(deadline) {
		select {
		case j := <-s.queue:
			s.incoming.Add(-1)
			batch = append(batch, j)
		default:
			runtime.Gosched()
		}
	}
	return batch
}

// runBatch runs the jobs whose clients are still waiting as one Chat call
// and returns when the results were ready, before any was handed back: a
// client's next request arrives after that, so startsAlone's comparison of
// its gap with the batch's run time cannot be upset by the dispatcher
// being descheduled between the hand-back and its own bookkeeping (under
// load a sequential client's second request waited out the whole window).
func (s *Server) runBatch(ctx context.Context, batch []*job) (ready time.Time) {
	live := batch[:0]
	for _, j := range batch {
		if j.ctx.Err() != nil {
			j.done <- jobResult{err: j.ctx.Err()}
			continue
		}
		live = append(live, j)
	}
	if len(live) == 0 {
		return time.Now()
	}
	reqs := make([]infer.ChatRequest, len(live))
	for i, j := range live {
		reqs[i] = j.req
	}
	start := time.Now()
	s.metrics.batchStarted(live, start)
	res, err := s.cfg.Model.Chat(ctx, reqs)
	ready = time.Now()
	s.log.Debug("serve: batch", "size", len(live), "ms", ready.Sub(start).Milliseconds(), "err", err)
	var be *infer.BatchError
	perReq := errors.As(err, &be) && len(be.Errs) == len(live)
	for i, j := range live {
		switch {
		case err == nil && i < len(res):
			j.done <- jobResult{res: res[i]}
		case perReq && be.Errs[i] == nil && i < len(res):
			j.done <- jobResult{res: res[i]}
		case perReq:
			j.done <- jobResult{err: be.Errs[i]}
		case err != nil:
			j.done <- jobResult{err: err}
		default:
			j.done <- jobResult{err: fmt.Errorf("model answered %d of %d requests", len(res), len(live))}
		}
	}
	return ready
}

func (s *Server) failQueued(err error) {
	for {
		select {
		case j := <-s.queue:
			s.incoming.Add(-1)
			j.done <- jobResult{err: err}
		default:
			return
		}
	}
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	if s.draining.Load() {
		writeError(w, http.StatusServiceUnavailable, "shutting down", "unavailable")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"status":"ok","queued":%d,"pending":%d}`+"\n", len(s.queue), s.pending.Load())
}

// auth requires the configured API key.
func (s *Server) auth(h http.HandlerFunc) http.HandlerFunc {
	if s.cfg.APIKey == "" {
		return h
	}
	want := []byte("Bearer " + s.cfg.APIKey)
	return func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			writeError(w, http.StatusUnauthorized, "missing or wrong API key", "authentication_error")
			return
		}
		h(w, r)
	}
}

func (s *Server) models(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, oaiwire.ModelList{
		Object: "list",
		Data: []oaiwire.Model{{
			ID:          s.name,
			Object:      "model",
			OwnedBy:     "llsum",
			Root:        s.info.Identity,
			MaxModelLen: s.info.ContextWindow,
		}},
	})
}

func (s *Server) chat(w http.ResponseWriter, r *http.Request) {
	if s.draining.Load() {
		w.Header().Set("Retry-After", "5")
		writeError(w, http.StatusServiceUnavailable, "shutting down", "unavailable")
		return
	}
	arrived := time.Now()
	gap := time.Duration(arrived.UnixNano() - s.lastArrival.Swap(arrived.UnixNano()))
	s.incoming.Add(1) // down when the dispatcher takes it, or below
	p, status, msg := s.parse(w, r)
	if status != 0 {
		s.incoming.Add(-1)
		t := "invalid_request_error"
		if status == http.StatusNotFound {
			t = "not_found_error"
		}
		writeError(w, status, msg, t)
		return
	}
	j := &job{ctx: r.Context(), req: p.ChatRequest, done: make(chan jobResult, 1), gap: gap, progress: newProgress(r.Context(), time.Now(), p.stream, s.cfg.StreamInterval)}
	j.req.OnDelta = j.progress.onDelta
	s.pending.Add(1)
	defer s.pending.Add(-1)
	select {
	case s.queue <- j:
	default:
		s.incoming.Add(-1)
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusTooManyRequests, fmt.Sprintf("queue full (%d requests waiting); retry later", s.cfg.Queue), "rate_limit_error")
		return
	}
	if p.stream {
		s.stream(w, r, j, p)
		return
	}
	// The dispatcher always answers a queued job (even a cancelled one), so
	// waiting on done alone cannot leak.
	jr := <-j.done
	if r.Context().Err() != nil {
		return // the client is gone
	}
	if jr.err != nil {
		s.writeJobError(w, jr.err)
		return
	}
	s.metrics.answered(j, jr.res)
	text := jr.res.Text
	finish := finishReason(jr.res.Stop)
	var lps *oaiwire.Logprobs
	if p.Logprobs && jr.res.Logprobs != nil {
		lps = wireLogprobs(jr.res.Logprobs.Tokens)
	}
	writeJSON(w, http.StatusOK, oaiwire.ChatResponse{
		ID:      s.newID(),
		Object:  "chat.completion",
		Created: time.Now().Unix(),
		Model:   s.name,
		Choices: []oaiwire.Choice{{
			Message:      oaiwire.ReplyMessage{Role: infer.RoleAssistant, Content: &text},
			FinishReason: finish,
			Logprobs:     lps,
		}},
		Usage: &oaiwire.Usage{
			PromptTokens:     jr.res.PromptTokens,
			CompletionTokens: jr.res.CompletionTokens,
			TotalTokens:      jr.res.PromptTokens + jr.res.CompletionTokens,
		},
	})
}

// writeJobError answers a request whose job failed: 503 when the model is
// unusable, 500 otherwise.
func (s *Server) writeJobError(w http.ResponseWriter, err error) {
	status := http.StatusInternalServerError
	if errclass.IsFatal(err) {
		status = http.StatusServiceUnavailable
	}
	s.log.Error("serve: chat failed", "err", err)
	writeError(w, status, err.Error(), "server_error")
}

// newID returns a fresh completion id.
func (s *Server) newID() string {
	return "chatcmpl-llsum-" + strconv.FormatUint(s.nextID.Add(1), 10)
}

// finishReason maps an infer stop reason to the API's finish_reason.
func finishReason(stop string) string {
	if stop == infer.StopLength || stop == infer.StopContext {
		return "length"
	}
	return "stop"
}

// parsed is a validated chat request.
type parsed struct {
	infer.ChatRequest
	stream       bool
	includeUsage bool
	promptTokens int
}

// cutReads ends the body reads in flight (shutdown: a slow client's
// request is answered with an error instead of holding the server).
func (s *Server) cutReads() {
	s.readMu.Lock()
	defer s.readMu.Unlock()
	for rc := range s.reading {
		_ = rc.SetReadDeadline(time.Now())
	}
}

// parse validates a chat request; a non-zero status is the answer to give.
// At most maxParsing requests are read and tokenized at once.
func (s *Server) parse(w http.ResponseWriter, r *http.Request) (parsed, int, string) {
	select {
	case s.parsing <- struct{}{}:
	case <-r.Context().Done():
		return parsed{}, http.StatusServiceUnavailable, "request abandoned while waiting to be read"
	}
	defer func() { <-s.parsing }()
	// The body must arrive within readTimeout. The deadline is the
	// request's own, lifted once the body is read: a server-wide
	// ReadTimeout would also cut a long reply (streamed or not) whose
	// client is still there.
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Now().Add(readTimeout))
	s.readMu.Lock()
	s.reading[rc] = struct{}{}
	s.readMu.Unlock()
	cr, status, msg := s.readBody(w, r)
	s.readMu.Lock()
	delete(s.reading, rc)
	s.readMu.Unlock()
	if status == 0 {
		// Read whole: lift the deadline. A body not read whole keeps it,
		// so that the server's discarding of its rest cannot wait on the
		// client either.
		_ = rc.SetReadDeadline(time.Time{})
	}
	if status != 0 {
		return parsed{}, status, msg
	}
	if s.draining.Load() {
		return parsed{}, http.StatusServiceUnavailable, "shutting down"
	}
	return s.validate(cr)
}

// readBody decodes the request body: one JSON object, nothing after it.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) (oaiwire.ChatRequest, int, string) {
	var cr oaiwire.ChatRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	err := dec.Decode(&cr)
	if err == nil {
		if _, terr := dec.Token(); terr != io.EOF {
			if terr == nil {
				terr = errors.New("data after the JSON object")
			}
			err = terr
		}
	}
	if err != nil {
		var mbe *http.MaxBytesError
		var ne net.Error
		switch {
		case errors.As(err, &mbe):
			return cr, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body over %d bytes", maxBodyBytes)
		case errors.As(err, &ne) && ne.Timeout():
			return cr, http.StatusRequestTimeout, "request body not received in time"
		}
		return cr, http.StatusBadRequest, "request body is not valid JSON: " + err.Error()
	}
	return cr, 0, ""
}

// validate checks a decoded request's fields; every limit is checked
// without overflow, and a bad field gets a 400 naming it.
func (s *Server) validate(cr oaiwire.ChatRequest) (parsed, int, string) {
	switch {
	case cr.Model != "" && cr.Model != s.name:
		return parsed{}, http.StatusNotFound, fmt.Sprintf("The model `%s` does not exist; this server serves `%s`.", cr.Model, s.name)
	case cr.N != nil && *cr.N != 1:
		return parsed{}, http.StatusBadRequest, "n must be 1"
	case len(cr.Messages) == 0:
		return parsed{}, http.StatusBadRequest, "messages must not be empty"
	}
	msgs := make([]infer.Message, len(cr.Messages))
	for i, m := range cr.Messages {
		msgs[i] = infer.Message(m)
		switch m.Role {
		case infer.RoleSystem, infer.RoleUser, infer.RoleAssistant:
		default:
			return parsed{}, http.StatusBadRequest, fmt.Sprintf("messages[%d]: role %q: want system, user or assistant", i, m.Role)
		}
	}
	maxNew := s.cfg.MaxNewTokens
	for _, f := range []struct {
		name string
		p    *int
	}{{"max_completion_tokens", cr.MaxCompletionTokens}, {"max_tokens", cr.MaxTokens}} {
		if f.p != nil {
			if *f.p < 1 {
				return parsed{}, http.StatusBadRequest, f.name + " must be at least 1"
			}
			if w := s.info.ContextWindow; (w > 0 && *f.p > w) || *f.p > maxTokensLimit {
				return parsed{}, http.StatusBadRequest, fmt.Sprintf("%s %d is larger than the model's context window (%d tokens)", f.name, *f.p, max(w, 0))
			}
			maxNew = *f.p
			break
		}
	}
	if msg := refuseUnsupported(&cr); msg != "" {
		return parsed{}, http.StatusBadRequest, msg
	}
	switch {
	case cr.TopP < 0 || cr.TopP > 1:
		return parsed{}, http.StatusBadRequest, "top_p must be in (0, 1]"
	case cr.TopK < 0:
		return parsed{}, http.StatusBadRequest, "top_k must not be negative"
	case cr.RepetitionPenalty < 0:
		return parsed{}, http.StatusBadRequest, "repetition_penalty must be positive"
	case cr.Temperature != nil && *cr.Temperature > 100:
		return parsed{}, http.StatusBadRequest, "temperature must be at most 100"
	}
	req := infer.ChatRequest{Messages: msgs, MaxNewTokens: maxNew, Sampling: infer.Sampling{
		TopP: cr.TopP, TopK: cr.TopK, Seed: cr.Seed, RepetitionPenalty: cr.RepetitionPenalty,
	}, Stop: stopStrings(cr.Stop)}
	if cr.Logprobs != nil && *cr.Logprobs {
		req.Logprobs = true
		if cr.TopLogprobs != nil {
			req.TopLogprobs = *cr.TopLogprobs
		}
	}
	if rf := cr.ResponseFormat; rf != nil && rf.Type == "json_schema" {
		sch, err := s.schemas.get(rf.JSONSchema.Name, rf.JSONSchema.Schema)
		if err != nil {
			return parsed{}, http.StatusBadRequest, "response_format.json_schema.schema: " + textutil.OneLine(err.Error())
		}
		if n := sch.Shortest(); maxNew < n {
			return parsed{}, http.StatusBadRequest, fmt.Sprintf("max_tokens %d is too few for the response_format schema: its shortest valid value takes up to %d tokens", maxNew, n)
		}
		req.Schema = sch
	}
	if cr.Temperature != nil {
		if *cr.Temperature < 0 {
			return parsed{}, http.StatusBadRequest, "temperature must not be negative"
		}
		req.Sampling.Temperature = *cr.Temperature
	}
	n, err := s.countPrompt(&req)
	if err != nil {
		return parsed{}, http.StatusBadRequest, "messages: " + err.Error()
	}
	// n > w-maxNew, not n+maxNew > w: the sum must not wrap.
	if w := s.info.ContextWindow; w > 0 && n > w-maxNew {
		return parsed{}, http.StatusBadRequest, fmt.Sprintf(
			"This model's maximum context length is %d tokens. However, you requested %d tokens (%d in the messages, %d in the completion).",
			w, n+maxNew, n, maxNew)
	}
	p := parsed{ChatRequest: req, stream: cr.Stream, promptTokens: n}
	p.includeUsage = cr.StreamOptions != nil && cr.StreamOptions.IncludeUsage
	return p, 0, ""
}

// countPrompt counts req's prompt tokens. A model that can tokenize ahead
// (infer.PromptEncoder: the ONNX engine) gives the ids, which go with the
// request so that the engine does not render and tokenize it a second time
// (about 0.1 ms for a 1,500-token prompt, on the first token's path).
func (s *Server) countPrompt(req *infer.ChatRequest) (int, error) {
	if pe, ok := s.cfg.Model.(infer.PromptEncoder); ok {
		ids, err := pe.EncodePrompt(req.Messages)
		req.PromptIDs = ids
		return len(ids), err
	}
	return s.cfg.Model.CountTokens(req.Messages)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg, typ string) {
	writeJSON(w, status, oaiwire.ErrorReply{Error: oaiwire.ErrorDetail{
		Message: strings.TrimSpace(msg),
		Type:    typ,
		Code:    status,
	}})
}
