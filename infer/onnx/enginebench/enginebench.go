// Package enginebench drives the ONNX engine for benchmarks: prompts of
// generated ids with EOS ignored, so that every run does the same work, and
// the timings of prefill, decode and a batched workload. It is the one
// implementation behind `llsum dev bench` (Run) and bench/engine (Requests,
// Best, PeerIDs), which compares the engine with transformers.js.
package enginebench

import (
	"context"
	"encoding/binary"
	"fmt"
	"hash"
	"hash/fnv"
	"math/rand/v2"
	"time"

	"github.com/llsum/llsum/infer/onnx"
)

// IDs makes the n prompt ids of the request at place row of a batch.
type IDs func(row, n int) []int

// RandomIDs draws ids below vocab-256 from one seeded stream, request after
// request: the same seed and calls give the same prompts.
func RandomIDs(seed uint64, vocab int) IDs {
	rng := rand.New(rand.NewPCG(seed, 7))
	return func(_, n int) []int {
		out := make([]int, n)
		for i := range out {
			out[i] = rng.IntN(max(vocab-256, 1))
		}
		return out
	}
}

// PeerIDs are the ids bench/engine/peer.mjs feeds transformers.js:
// id(i) = 10 + (i*7919 + row*104729) % (vocab-20).
func PeerIDs(vocab int) IDs {
	return func(row, n int) []int {
		ids := make([]int, n)
		for i := range ids {
			ids[i] = 10 + (i*7919+row*104729)%(vocab-20)
		}
		return ids
	}
}

// Requests is a batch of prompts of context ids each that generate exactly
// newTokens tokens (EOS ignored).
func Requests(ids IDs, batch, context, newTokens int) []onnx.GenRequest {
	reqs := make([]onnx.GenRequest, batch)
	for r := range reqs {
		reqs[r] = onnx.GenRequest{InputIDs: ids(r, context), MaxNewTokens: newTokens, IgnoreEOS: true}
	}
	return reqs
}

// Best runs reqs repeats times (at least once) and returns the shortest
// prefill and decode times of the first row, in seconds (shared machines are
// noisy). between, when set, runs after each repeat (bench/engine times its
// peer there, so that both see the same machine load).
func Best(ctx context.Context, e *onnx.Engine, reqs []onnx.GenRequest, repeats int, between func() error) (prefill, decode float64, err error) {
	for k := 0; k < max(repeats, 1); k++ {
		res, err := e.Generate(ctx, reqs)
		if err != nil {
			return 0, 0, err
		}
		prefill = Shorter(prefill, res[0].PrefillMs/1000)
		decode = Shorter(decode, res[0].DecodeMs/1000)
		if between != nil {
			if err := between(); err != nil {
				return 0, 0, err
			}
		}
	}
	return prefill, decode, nil
}

// Shorter keeps the shorter of two times (0: none yet).
func Shorter(a, b float64) float64 {
	if a == 0 || (b > 0 && b < a) {
		return b
	}
	return a
}

// Config is what Run times.
type Config struct {
	// Prefill lists prompt lengths to time prefill at (one request each).
	Prefill []int
	// Decode lists batches to time decoding on.
	Decode []Shape
	// DecodeTokens is the tokens each decode request generates.
	DecodeTokens int
	// Workload, when set, is run after the rest.
	Workload *Workload
	// IDs makes the prompts (RandomIDs when nil, seed 1).
	IDs IDs
	// Log, when set, gets one line per finished row.
	Log func(format string, a ...any)
	// Save, when set, gets the result after each row, so that a run
	// stopped by a time limit keeps the rows it finished.
	Save func(*Result) error
}

// Shape is a decode batch: Batch requests of Context prompt ids.
type Shape struct{ Batch, Context int }

// Workload is an end-to-end workload of batched requests (bench/gpu/run.sh
// writes it): Batches lists the prompt lengths of each batch.
type Workload struct {
	Docs      int     `json:"docs"`
	NewTokens int     `json:"new_tokens"`
	Batches   [][]int `json:"batches"`
}

// Prefill is one prefill row of a Result.
type Prefill struct {
	Tokens int     `json:"tokens"`
	Ms     float64 `json:"ms,omitempty"`
	TokS   float64 `json:"tok_s,omitempty"`
	Error  string  `json:"error,omitempty"`
}

// Decode is one decode row of a Result.
type Decode struct {
	Batch   int     `json:"batch"`
	Context int     `json:"context"`
	Tokens  int     `json:"tokens"`
	Ms      float64 `json:"ms,omitempty"`
	TokS    float64 `json:"tok_s,omitempty"`
	StepMs  float64 `json:"step_ms,omitempty"`
	// Digest is an FNV-1a hash of every output id, to compare runs.
	Digest string `json:"digest,omitempty"`
	Error  string `json:"error,omitempty"`
}

// E2E is the timing of a Workload.
type E2E struct {
	Docs         int     `json:"docs"`
	Requests     int     `json:"requests"`
	PromptTokens int     `json:"prompt_tokens"`
	NewTokens    int     `json:"new_tokens"`
	Seconds      float64 `json:"seconds"`
	DocsPerHour  float64 `json:"docs_per_hour"`
	Digest       string  `json:"digest,omitempty"`
	Error        string  `json:"error,omitempty"`
}

// Result is what `llsum dev bench` prints. A row that failed has its Error
// set and the run goes on.
type Result struct {
	Device       string    `json:"device"`
	KVMemory     string    `json:"kv_memory"`
	CUDAGraph    bool      `json:"cuda_graph"`
	Runtime      string    `json:"runtime"`
	PrefillChunk int       `json:"prefill_chunk"`
	OpenSeconds  float64   `json:"open_seconds"`
	Prefill      []Prefill `json:"prefill"`
	Decode       []Decode  `json:"decode"`
	E2E          *E2E      `json:"e2e,omitempty"`
}

// Run warms e up, then times cfg's prefill rows, decode rows and workload
// into res (whose engine fields the caller fills). It stops early only when
// ctx ends or Save fails.
func Run(ctx context.Context, e *onnx.Engine, cfg Config, res *Result) error {
	ids := cfg.IDs
	if ids == nil {
		ids = RandomIDs(1, e.Spec().Vocab)
	}
	logf := cfg.Log
	if logf == nil {
		logf = func(string, ...any) {}
	}
	save := func() error {
		if cfg.Save == nil {
			return nil
		}
		return cfg.Save(res)
	}
	// Warm-up: kernels, allocator and workspace for short prompts.
	if _, err := e.Generate(ctx, Requests(ids, 1, 64, 4)); err != nil {
		return fmt.Errorf("warm-up: %w", err)
	}
	for _, n := range cfg.Prefill {
		p := Prefill{Tokens: n}
		r, err := e.Generate(ctx, Requests(ids, 1, n, 1))
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case err != nil:
			p.Error = err.Error()
		default:
			p.Ms = r[0].PrefillMs
			p.TokS = float64(n) / (p.Ms / 1000)
		}
		logf("prefill %d tokens: %.0f tok/s %s", n, p.TokS, p.Error)
		res.Prefill = append(res.Prefill, p)
		if err := save(); err != nil {
			return err
		}
	}
	for _, d := range cfg.Decode {
		row := Decode{Batch: d.Batch, Context: d.Context, Tokens: cfg.DecodeTokens}
		r, err := e.Generate(ctx, Requests(ids, d.Batch, d.Context, cfg.DecodeTokens))
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case err != nil:
			row.Error = err.Error()
		default:
			row.Ms = r[0].DecodeMs
			row.TokS = r[0].DecodeTokensPerSecond()
			if steps := cfg.DecodeTokens - 1; steps > 0 {
				row.StepMs = row.Ms / float64(steps)
			}
			row.Digest = Digest(r)
		}
		logf("decode batch %d at %d: %.1f tok/s %s", d.Batch, d.Context, row.TokS, row.Error)
		res.Decode = append(res.Decode, row)
		if err := save(); err != nil {
			return err
		}
	}
	if cfg.Workload != nil {
		x, err := runWorkload(ctx, e, ids, cfg.Workload)
		if err != nil {
			return err
		}
		logf("workload: %d docs, %d requests in %.1f s: %.0f docs/hour %s", x.Docs, x.Requests, x.Seconds, x.DocsPerHour, x.Error)
		res.E2E = x
	}
	return save()
}

// runWorkload times wl's batches one after the other; a failed batch ends
// it with Error set.
func runWorkload(ctx context.Context, e *onnx.Engine, ids IDs, wl *Workload) (*E2E, error) {
	spec := e.Spec()
	x := &E2E{Docs: wl.Docs}
	all := fnv.New64a()
	t := time.Now()
	for i, batch := range wl.Batches {
		reqs := make([]onnx.GenRequest, len(batch))
		for j, n := range batch {
			// Prompt and output must fit the context: shorten the prompt.
			p := min(n, spec.ContextLength-1)
			if p+wl.NewTokens > spec.ContextLength {
				p = max(1, min(p, spec.ContextLength-wl.NewTokens))
			}
			reqs[j] = onnx.GenRequest{InputIDs: ids(j, p), MaxNewTokens: wl.NewTokens, IgnoreEOS: true}
			x.PromptTokens += len(reqs[j].InputIDs)
		}
		r, err := e.Generate(ctx, reqs)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if err != nil {
			x.Error = fmt.Sprintf("batch %d: %v", i, err)
			break
		}
		x.Requests += len(reqs)
		for _, o := range r {
			x.NewTokens += len(o.OutputIDs)
			addIDs(all, o.OutputIDs)
		}
	}
	x.Digest = fmt.Sprintf("%016x", all.Sum64())
	x.Seconds = time.Since(t).Seconds()
	if x.Error == "" && x.Seconds > 0 {
		x.DocsPerHour = float64(x.Docs) / x.Seconds * 3600
	}
	return x, nil
}

// Digest is an FNV-1a hash of the output ids of a batch, in order.
func Digest(r []onnx.GenResult) string {
	h := fnv.New64a()
	for _, o := range r {
		addIDs(h, o.OutputIDs)
	}
	return fmt.Sprintf("%016x", h.Sum64())
}

// addIDs feeds ids to h.
func addIDs(h hash.Hash64, ids []int) {
	var b [8]byte
	for _, id := range ids {
		binary.LittleEndian.PutUint64(b[:], uint64(id))
		h.Write(b[:])
	}
}
