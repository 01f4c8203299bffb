package openai

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/llsum/llsum/internal/errclass"
)

// maxReplyBytes bounds a reply body; a summary is a few kilobytes.
const maxReplyBytes = 32 << 20

// outcome says what a failed attempt means for retries and the breaker.
type outcome int

const (
	// answered: the attempt succeeded.
	answered outcome = iota
	// unreachable: connection error, timeout, truncated reply, 502, 503,
	// 504: retried, and counted by the breaker as a sign of a dead endpoint.
	unreachable
	// busy: 429, 408, 500 and other 5xx: retried; the server answered, so
	// the breaker neither counts it (a 500 on one poisonous document must
	// not stop the run) nor takes it as proof of health.
	busy
	// rejected: a 4xx that is this request's fault, or a reply that is not
	// JSON: not retried, the server is alive.
	rejected
	// fatal: 401/403/404: no other request can succeed either (Chat then
	// opens the circuit).
	fatal
)

// ErrNotFound marks a 404 answer: a wrong endpoint or model name.
var ErrNotFound = errors.New("not found")

// ErrUnauthorized marks a 401 or 403 answer: the server refused the API key.
var ErrUnauthorized = errors.New("unauthorized")

// do sends one API call with retries and decodes a 2xx JSON reply into out.
// Its errors are redacted and classed: Fatal (circuit open, auth, 404),
// Document (everything else, retries exhausted included), or unclassed
// wrapping ctx.Err() when ctx ended.
func (c *Client) do(ctx context.Context, method, path string, body, out any) error {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return fmt.Errorf("encode request: %w", err)
		}
	}
	for attempt := 0; ; attempt++ {
		if err := c.breaker.check(); err != nil {
			return err
		}
		oc, retryAfter, err := c.attempt(ctx, method, path, payload, out)
		if err == nil {
			c.breaker.success()
			return nil
		}
		err = c.redact.wrap(err)
		if ctx.Err() != nil {
			return c.redact.wrap(fmt.Errorf("%s %s: %w", method, path, context.Cause(ctx)))
		}
		switch oc {
		case fatal:
			return errclass.AsFatal(err)
		case rejected:
			c.breaker.success()
			return errclass.Wrap(err, errclass.Document)
		case unreachable:
			if c.breaker.failure(err) {
				c.log.Error(c.breaker.check().Error())
			}
			if berr := c.breaker.check(); berr != nil {
				return berr
			}
		}
		if attempt >= c.cfg.MaxRetries {
			return errclass.Wrap(fmt.Errorf("%w (gave up after %d attempts)", err, attempt+1), errclass.Document)
		}
		wait := backoff(attempt, c.cfg.BackoffBase, c.cfg.BackoffMax)
		if retryAfter > 0 {
			wait = min(retryAfter, c.cfg.MaxRetryAfter) + backoff(0, c.cfg.BackoffBase, c.cfg.BackoffBase)
		}
		c.log.Debug("openai: retrying", "attempt", attempt+1, "wait", wait, "err", err)
		timer := time.NewTimer(wait)
		select {
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
			// The last attempt's error is detail only: its class must not
			// make a cancellation look retryable.
			return c.redact.wrap(fmt.Errorf("%s %s: %w (last attempt: %v)", method, path, context.Cause(ctx), err))
		case <-c.breaker.opened():
			timer.Stop()
			return c.breaker.check()
		}
	}
}

// attempt makes one HTTP exchange.
func (c *Client) attempt(ctx context.Context, method, path string, payload []byte, out any) (outcome, time.Duration, error) {
	actx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	var rd io.Reader
	if payload != nil {
		rd = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(actx, method, c.base+path, rd)
	if err != nil {
		return fatal, 0, fmt.Errorf("%s %s: %w", method, path, err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "llsum")
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.cfg.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+c.cfg.APIKey)
	}
	timedOut := func(err error) error {
		if ctx.Err() == nil && errors.Is(actx.Err(), context.DeadlineExceeded) {
			return fmt.Errorf("%s %s: no complete reply from %s within %v: %w", method, path, c.host, c.cfg.Timeout, err)
		}
		return nil
	}

	resp, err := c.http.Do(req)
	if err != nil {
		if terr := timedOut(err); terr != nil {
			return unreachable, 0, terr
		}
		return unreachable, 0, err // *url.Error names method and URL
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxReplyBytes+1))
	if err != nil {
		if terr := timedOut(err); terr != nil {
			return unreachable, 0, terr
		}
		return unreachable, 0, fmt.Errorf("%s %s: reply from %s cut off after %d bytes (HTTP %d): %w", method, path, c.host, len(body), resp.StatusCode, err)
	}
	if len(body) > maxReplyBytes {
		return rejected, 0, fmt.Errorf("%s %s: reply from %s is larger than %d bytes", method, path, c.host, maxReplyBytes)
	}

	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return c.statusError(method, path, resp, body)
	}
	if out == nil {
		return answered, 0, nil
	}
	if err := json.Unmarshal(body, out); err != nil {
		return rejected, 0, fmt.Errorf("%s %s: reply from %s is not valid JSON (%w): %s", method, path, c.host, err, bodyText(string(body), 120))
	}
	return answered, 0, nil
}

// statusError classifies a non-2xx answer.
func (c *Client) statusError(method, path string, resp *http.Response, body []byte) (outcome, time.Duration, error) {
	err := fmt.Errorf("%s %s: server %s answered %s: %s", method, path, c.host, resp.Status, serverMessage(body))
	retryAfter := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	switch code := resp.StatusCode; {
	case code == http.StatusBadGateway || code == http.StatusServiceUnavailable || code == http.StatusGatewayTimeout:
		return unreachable, retryAfter, errclass.AsRetryable(err, retryAfter)
	case code == http.StatusTooManyRequests || code == http.StatusRequestTimeout || code >= 500:
		return busy, retryAfter, errclass.AsRetryable(err, retryAfter)
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		return fatal, 0, fmt.Errorf("%w: %w", err, ErrUnauthorized)
	case code == http.StatusNotFound:
		return fatal, 0, fmt.Errorf("%w: %w", err, ErrNotFound)
	default:
		return rejected, 0, err
	}
}
