// Package openai is an infer.ChatModel backed by an OpenAI-compatible HTTP
// server (vLLM, SGLang, TGI, llama.cpp's server, Ollama, ...): generation
// goes over /v1/chat/completions, the model and its context window come from
// /v1/models.
//
// The client is built for long unattended runs against a shared server:
//
//   - every attempt has its own timeout (Config.Timeout);
//   - 429, 408, 5xx, timeouts, connection errors and truncated replies are
//     retried up to Config.MaxRetries times with exponential backoff and full
//     jitter, waiting at least what a Retry-After header asks (seconds or an
//     HTTP date, capped by Config.MaxRetryAfter);
//   - other 4xx answers (validation: prompt too long, bad parameter) are not
//     retried and fail the request with the server's message;
//   - a circuit breaker stops sending once the endpoint has been unreachable
//     (connection errors, timeouts, truncated replies, 502/503/504) for
//     Config.BreakerThreshold attempts in a row over at least
//     Config.BreakerMinDuration, or answered 401/403/404: every later request
//     fails at once with the same one-line cause. A 500 or 429 does not
//     count: the server is up.
//
// Error classes (internal/errclass), which the pipeline's policy reads:
//
//   - Document: one request failed for good: a 4xx validation error, a reply
//     that is not JSON or has no content, or a transient failure that
//     persisted through all retries. The other documents go on.
//   - Fatal: nothing else can succeed: the circuit is open (endpoint down),
//     the server rejected the API key (401/403), the model or endpoint does
//     not exist (404), or New could not learn what it needs from the server.
//   - Retryable is used only between attempts inside the client; an error
//     returned by Chat is never Retryable, since the client already retried.
//
// A cancelled context fails the in-flight and queued requests with an error
// that wraps ctx.Err() and carries no class.
//
// The API key is sent as "Authorization: Bearer KEY" and never written into
// an error or log line: every error leaving the package has the key (and any
// password in the endpoint URL) replaced by [REDACTED], including text the
// server echoes back.
package openai

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/llsum/llsum/infer"
	"github.com/llsum/llsum/internal/errclass"
	"github.com/llsum/llsum/internal/oaiwire"
)

// Errors of New that the caller can resolve with configuration.
var (
	// ErrModelNameNeeded: the server serves several models and
	// Config.ModelName names none.
	ErrModelNameNeeded = errors.New("openai: the server serves several models")
	// ErrNoContextWindow: the server does not report the model's context
	// window and Config.ContextWindow is not set.
	ErrNoContextWindow = errors.New("openai: the server does not report the context window")
)

// tagged is err that also matches the sentinel tag, its text unchanged.
type tagged struct{ err, tag error }

func (e tagged) Error() string        { return e.err.Error() }
func (e tagged) Unwrap() error        { return e.err }
func (e tagged) Is(target error) bool { return target == e.tag }

// EnvAPIKey is the environment variable the command line reads the API key
// from (never a flag, so that it does not show in process listings).
const EnvAPIKey = "LLSUM_API_KEY"

// Defaults for the zero values of Config.
const (
	DefaultConcurrency        = 8
	DefaultTimeout            = 5 * time.Minute
	DefaultMaxRetries         = 5
	DefaultBreakerThreshold   = 5
	DefaultBreakerMinDuration = 10 * time.Second
	DefaultBackoffBase        = 500 * time.Millisecond
	DefaultBackoffMax         = 30 * time.Second
	DefaultMaxRetryAfter      = 2 * time.Minute
)

// TokenCounter counts the tokens of a chat rendered with the served model's
// chat template (special tokens and headers included), as the server will.
type TokenCounter func(msgs []infer.Message) (int, error)

// Config configures a Client. Zero values take the defaults above.
type Config struct {
	// Endpoint is the server's OpenAI API base URL, normally ending in /v1
	// (http://host:8000/v1). A URL with no path gets /v1 appended; a trailing
	// /chat/completions or /models is dropped.
	Endpoint string
	// ModelName is the served model name sent with every request. Empty
	// means the server's only model (an error if it serves several).
	ModelName string
	// APIKey, when not empty, is sent as a Bearer token.
	APIKey string
	// Concurrency bounds the requests in flight across all Chat calls.
	Concurrency int
	// Timeout bounds one attempt of one request, reading the reply included.
	Timeout time.Duration
	// MaxRetries is the number of retries after the first attempt of a
	// request that failed transiently; negative means none.
	MaxRetries int
	// ContextWindow, when positive, is the model's context window in tokens.
	// When the server also reports one (vLLM's max_model_len) the smaller is
	// used. When neither is known New fails.
	ContextWindow int
	// CountTokens, when set, counts tokens exactly with the served model's
	// tokenizer and chat template; otherwise a documented high estimate is
	// used (Info().TokenCounting says which).
	CountTokens TokenCounter
	// BreakerThreshold is the number of consecutive failed attempts
	// (connection errors, timeouts, 5xx) that, spanning at least
	// BreakerMinDuration, open the circuit.
	BreakerThreshold   int
	BreakerMinDuration time.Duration
	// BackoffBase and BackoffMax shape the exponential backoff: before retry
	// n (from 0) the client sleeps a random duration in
	// [0, min(BackoffMax, BackoffBase*2^n)].
	BackoffBase time.Duration
	BackoffMax  time.Duration
	// MaxRetryAfter caps the wait a Retry-After header can ask for.
	MaxRetryAfter time.Duration
	// Logger receives retries (debug) and the circuit opening (error);
	// nil discards.
	Logger *slog.Logger
}

// Client is an infer.ChatModel talking to an OpenAI-compatible server. It is
// safe for concurrent use.
type Client struct {
	cfg     Config
	base    string // endpoint URL without trailing slash
	host    string
	info    infer.ModelInfo
	http    *http.Client
	sem     chan struct{}
	breaker *breaker
	redact  *redactor
	log     *slog.Logger
	closed  atomic.Bool
}

var _ infer.ChatModel = (*Client)(nil)

// New checks the configuration, asks the server for its models
// (GET /models) and returns a client for the configured model. Errors are
// Fatal: without a reachable server, a model and a context window no
// document can be summarized.
func New(ctx context.Context, cfg Config) (*Client, error) {
	c, err := newClient(cfg)
	if err != nil {
		return nil, errclass.AsFatal(err)
	}
	if err := c.discover(ctx); err != nil {
		c.http.CloseIdleConnections()
		if ctx.Err() != nil {
			return nil, err
		}
		return nil, errclass.AsFatal(err)
	}
	return c, nil
}

func newClient(cfg Config) (*Client, error) {
	cfg = withDefaults(cfg)
	u, err := url.Parse(strings.TrimSpace(cfg.Endpoint))
	if err != nil || u.Scheme == "" || u.Host == "" {
		// url.Parse's error quotes the URL, which may hold a password.
		return nil, fmt.Errorf("openai: endpoint %q is not an http(s) URL", redactURL(cfg.Endpoint))
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("openai: endpoint %s: scheme must be http or https", u.Redacted())
	}
	u.Path = strings.TrimRight(u.Path, "/")
	for _, suffix := range []string{"/chat/completions", "/models"} {
		u.Path = strings.TrimSuffix(u.Path, suffix) // a full route given as the base
	}
	if u.Path == "" {
		u.Path = "/v1"
	}
	red := newRedactor(cfg.APIKey, u)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = cfg.Concurrency
	c := &Client{
		cfg:     cfg,
		base:    u.String(),
		host:    u.Host,
		http:    &http.Client{Transport: tr},
		sem:     make(chan struct{}, cfg.Concurrency),
		breaker: newBreaker(u.Host, cfg.BreakerThreshold, cfg.BreakerMinDuration),
		redact:  red,
		log:     cfg.Logger,
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	return c, nil
}

func withDefaults(cfg Config) Config {
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = DefaultConcurrency
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	switch {
	case cfg.MaxRetries == 0:
		cfg.MaxRetries = DefaultMaxRetries
	case cfg.MaxRetries < 0:
		cfg.MaxRetries = 0
	}
	if cfg.BreakerThreshold <= 0 {
		cfg.BreakerThreshold = DefaultBreakerThreshold
	}
	if cfg.BreakerMinDuration <= 0 {
		cfg.BreakerMinDuration = DefaultBreakerMinDuration
	}
	if cfg.BackoffBase <= 0 {
		cfg.BackoffBase = DefaultBackoffBase
	}
	if cfg.BackoffMax <= 0 {
		cfg.BackoffMax = DefaultBackoffMax
	}
	if cfg.BackoffMax < cfg.BackoffBase {
		cfg.BackoffMax = cfg.BackoffBase
	}
	if cfg.MaxRetryAfter <= 0 {
		cfg.MaxRetryAfter = DefaultMaxRetryAfter
	}
	return cfg
}

// discover fills c.info from the configuration and the server's /models.
func (c *Client) discover(ctx context.Context) error {
	var list oaiwire.ModelList
	err := c.do(ctx, http.MethodGet, "/models", nil, &list)
	notFound := errors.Is(err, ErrNotFound)
	switch {
	case notFound && c.cfg.ModelName != "" && c.cfg.ContextWindow > 0:
		// Some servers have no /models; with both given nothing is missing.
		c.log.Debug("openai: server has no /models; using the configured model and context window", "endpoint", c.host)
		list = oaiwire.ModelList{}
	case err != nil:
		return fmt.Errorf("openai: list models: %w", err)
	}

	name := c.cfg.ModelName
	window := 0
	root := "" // vLLM: the weights the served name stands for
	if len(list.Data) > 0 {
		var ids []string
		found := false
		for _, m := range list.Data {
			ids = append(ids, m.ID)
			if name == "" && len(list.Data) == 1 || m.ID == name {
				name, found, root = m.ID, true, m.Root
				window = firstPositive(m.MaxModelLen, m.ContextLength, m.MaxContextLength)
			}
		}
		if !found {
			if name == "" {
				return tagged{fmt.Errorf("openai: server %s serves several models (%s)", c.host, listNames(ids)), ErrModelNameNeeded}
			}
			return fmt.Errorf("openai: server %s does not serve model %q (it serves %s)", c.host, name, listNames(ids))
		}
	} else if !notFound {
		return fmt.Errorf("openai: server %s lists no models", c.host)
	}

	switch cw := c.cfg.ContextWindow; {
	case cw > 0 && window > 0 && cw > window:
		c.log.Warn("openai: configured context window is larger than the server's; using the server's",
			"configured", cw, "server", window, "model", name)
	case cw > 0:
		window = cw
	case window <= 0:
		return tagged{fmt.Errorf("openai: server %s does not report the context window of %q (max_model_len)", c.host, name), ErrNoContextWindow}
	}

	counting := "approx"
	if c.cfg.CountTokens != nil {
		counting = "tokenizer"
	}
	sum := sha256.Sum256([]byte("openai\x00" + name + "\x00" + root))
	c.info = infer.ModelInfo{
		Backend:       "openai",
		Model:         name,
		Identity:      "openai-" + hex.EncodeToString(sum[:8]),
		Endpoint:      c.host,
		ContextWindow: window,
		TokenCounting: counting,
	}
	c.log.Debug("openai: model", "endpoint", c.host, "model", name, "context_window", window, "token_counting", counting)
	return nil
}

func firstPositive(vs ...int) int {
	for _, v := range vs {
		if v > 0 {
			return v
		}
	}
	return 0
}

func listNames(ids []string) string {
	const show = 5
	if len(ids) > show {
		return strings.Join(ids[:show], ", ") + fmt.Sprintf(" and %d more", len(ids)-show)
	}
	return strings.Join(ids, ", ")
}

// Info describes the served model. The identity hashes the served model name
// and, when the server reports it (vLLM's root), the weights it stands for;
// not the host, so that servers of the same model share cache keys.
func (c *Client) Info() infer.ModelInfo { return c.info }

// CountTokens counts the tokens of the chat with the configured tokenizer,
// or estimates them on the high side (see approx.go).
func (c *Client) CountTokens(msgs []infer.Message) (int, error) {
	if c.cfg.CountTokens == nil {
		return approxChatTokens(msgs), nil
	}
	n, err := c.cfg.CountTokens(msgs)
	if err != nil {
		return 0, fmt.Errorf("openai: count tokens: %w", err)
	}
	return n, nil
}

// Close releases idle connections; Chat fails after it.
func (c *Client) Close() error {
	c.closed.Store(true)
	c.http.CloseIdleConnections()
	return nil
}

// Chat sends the requests, up to Config.Concurrency at a time (shared with
// other Chat calls on the same client), and returns their results in order.
// When some requests fail, the others' results are still returned and the
// error is an *infer.BatchError (classed Fatal when any failure was fatal).
func (c *Client) Chat(ctx context.Context, reqs []infer.ChatRequest) ([]infer.ChatResult, error) {
	results := make([]infer.ChatResult, len(reqs))
	errs := make([]error, len(reqs))
	if c.closed.Load() {
		return results, errclass.AsFatal(errors.New("openai: client is closed"))
	}
	workers := min(c.cfg.Concurrency, len(reqs))
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range next {
				results[i], errs[i] = c.chatOne(ctx, reqs[i])
			}
		})
	}
	for i := range reqs {
		next <- i
	}
	close(next)
	wg.Wait()

	be := &infer.BatchError{Errs: errs}
	if be.Failed() == 0 {
		return results, nil
	}
	for _, err := range errs {
		if errclass.IsFatal(err) {
			return results, errclass.AsFatal(be)
		}
	}
	return results, be
}

// chatOne runs one request once a slot is free.
func (c *Client) chatOne(ctx context.Context, req infer.ChatRequest) (infer.ChatResult, error) {
	if err := c.breaker.check(); err != nil {
		return infer.ChatResult{}, err
	}
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return infer.ChatResult{}, fmt.Errorf("openai: chat: %w", ctx.Err())
	}
	defer func() { <-c.sem }()
	var resp oaiwire.ChatResponse
	if err := c.do(ctx, http.MethodPost, "/chat/completions", newChatRequest(c.info.Model, req), &resp); err != nil {
		if errclass.IsFatal(err) && c.breaker.trip(err) {
			c.log.Error("openai: not sending the remaining requests: " + err.Error())
		}
		return infer.ChatResult{}, fmt.Errorf("openai: chat: %w", err)
	}
	res, err := chatResult(&resp)
	if err != nil {
		return infer.ChatResult{}, c.redact.wrap(fmt.Errorf("openai: chat: reply from %s: %w", c.host, err))
	}
	return res, nil
}
