package onnx

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
)

// Batching defaults: how many requests one forward pass may carry, and the
// KV-cache positions (prompt + new tokens, summed over the batch) it may
// hold.
const (
	DefaultMaxBatch       = 8
	DefaultMaxBatchTokens = 32768
)

// Batcher merges Generate calls made concurrently (the pipeline's workers)
// into shared forward passes, so parallel documents become one batch on
// the device instead of contending for it. Each caller gets its own results;
// a call that is cancelled returns at once and the batch goes on for the
// others, stopping only when every caller in it has cancelled.
type Batcher struct {
	e         *Engine
	maxBatch  int
	maxTokens int

	mu      sync.Mutex
	pending []*job
	running bool
	batches atomic.Int64 // Generate calls made (for tests and figures)
}

type job struct {
	ctx  context.Context
	reqs []GenRequest
	res  []GenResult
	err  error
	done chan struct{}
}

// NewBatcher batches calls to e; zero limits take the defaults.
func NewBatcher(e *Engine, maxBatch, maxTokens int) *Batcher {
	if maxBatch <= 0 {
		maxBatch = DefaultMaxBatch
	}
	if maxTokens <= 0 {
		maxTokens = DefaultMaxBatchTokens
	}
	return &Batcher{e: e, maxBatch: maxBatch, maxTokens: maxTokens}
}

// Generate runs reqs, together with whatever other calls are waiting.
func (b *Batcher) Generate(ctx context.Context, reqs []GenRequest) ([]GenResult, error) {
	for i, r := range reqs {
		// A bad request fails its own call, never a shared batch.
		if err := b.e.validate(r); err != nil {
			return nil, &requestError{i, err}
		}
	}
	j := &job{ctx: ctx, reqs: reqs, done: make(chan struct{})}
	b.mu.Lock()
	b.pending = append(b.pending, j)
	if b.running {
		b.mu.Unlock()
		select {
		case <-j.done:
			return j.res, j.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	b.running = true
	b.mu.Unlock()
	b.lead()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return j.res, j.err
}

type requestError struct {
	i   int
	err error
}

func (e *requestError) Error() string {
	return "onnx: request " + strconv.Itoa(e.i) + ": " + e.err.Error()
}
func (e *requestError) Unwrap() error { return e.err }

// lead runs batches until nothing is pending.
func (b *Batcher) lead() {
	for {
		b.mu.Lock()
		batch := b.take()
		if len(batch) == 0 {
			b.running = false
			b.mu.Unlock()
			return
		}
		b.mu.Unlock()
		b.run(batch)
	}
}

// take removes the next batch from pending (b.mu held): jobs in arrival
// order while they fit the limits; the first always goes.
func (b *Batcher) take() []*job {
	var batch []*job
	n, tokens := 0, 0
	for len(b.pending) > 0 {
		j := b.pending[0]
		if j.ctx.Err() != nil {
			b.pending = b.pending[1:]
			j.err = j.ctx.Err()
			close(j.done)
			continue
		}
		jt := 0
		for _, r := range j.reqs {
			nn := r.MaxNewTokens
			if nn <= 0 {
				nn = DefaultMaxNewTokens
			}
			jt += len(r.InputIDs) + nn
		}
		if len(batch) > 0 && (n+len(j.reqs) > b.maxBatch || tokens+jt > b.maxTokens) {
			break
		}
		batch = append(batch, j)
		n += len(j.reqs)
		tokens += jt
		b.pending = b.pending[1:]
	}
	return batch
}

// run generates one batch under a context that ends when every job's does.
func (b *Batcher) run(batch []*job) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var live atomic.Int64
	live.Store(int64(len(batch)))
	var all []GenRequest
	for _, j := range batch {
		stop := context.AfterFunc(j.ctx, func() {
			if live.Add(-1) == 0 {
				cancel()
			}
		})
		defer stop()
		all = append(all, j.reqs...)
	}
	b.batches.Add(1)
	res, err := b.e.Generate(ctx, all)
	off := 0
	for _, j := range batch {
		if err != nil {
			j.err = err
		} else {
			j.res = res[off : off+len(j.reqs) : off+len(j.reqs)]
		}
		off += len(j.reqs)
		close(j.done)
	}
}
