package openai

import (
	"fmt"
	"sync"
	"time"

	"github.com/llsum/llsum/internal/errclass"
)

// breaker is the circuit breaker: it opens after threshold consecutive
// failed attempts spanning at least minDur, or at once on a fatal answer
// (401/403/404), and then stays open for the client's life: every request
// fails fast with the error that opened it. A run is a batch job; a server
// that has been down for a while is not waited for (the next run resumes).
type breaker struct {
	host      string
	threshold int
	minDur    time.Duration

	mu     sync.Mutex
	streak int
	since  time.Time
	err    error
	open   chan struct{}
}

func newBreaker(host string, threshold int, minDur time.Duration) *breaker {
	return &breaker{host: host, threshold: threshold, minDur: minDur, open: make(chan struct{})}
}

// check returns the open circuit's error, or nil.
func (b *breaker) check() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.err
}

// opened is closed when the circuit opens.
func (b *breaker) opened() <-chan struct{} { return b.open }

// success records an attempt the server answered (2xx or a 4xx that is the
// request's fault): the endpoint is alive.
func (b *breaker) success() {
	b.mu.Lock()
	b.streak = 0
	b.mu.Unlock()
}

// failure records a failed attempt and reports whether this call opened the
// circuit.
func (b *breaker) failure(err error) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err != nil {
		return false
	}
	now := time.Now()
	if b.streak == 0 {
		b.since = now
	}
	b.streak++
	if b.streak < b.threshold || now.Sub(b.since) < b.minDur {
		return false
	}
	b.setLocked(fmt.Errorf("endpoint %s is down: %d attempts in a row failed over %v (last: %w); not sending the remaining requests",
		b.host, b.streak, now.Sub(b.since).Round(time.Millisecond), err))
	return true
}

// trip opens the circuit with err (already explaining itself) and reports
// whether this call opened it.
func (b *breaker) trip(err error) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err != nil {
		return false
	}
	b.setLocked(err)
	return true
}

func (b *breaker) setLocked(err error) {
	b.err = errclass.AsFatal(err)
	close(b.open)
}
