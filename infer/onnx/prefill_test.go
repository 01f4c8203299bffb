package onnx

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"testing"

	"github.com/llsum/llsum/internal/genmodel"
)

// checkPlan verifies a plan against the rules the engine and ONNX
// Runtime's GroupQueryAttention rely on: every prompt's tokens are fed
// once, in order, in passes of contiguous rows, at most maxRows; a pass of
// several rows with more than one token each starts every row at position
// 0; the pass that ends a prompt ends it at its last position.
func checkPlan(t *testing.T, lens []int, maxRows int, p prefillPlan) {
	t.Helper()
	if len(p.order) != len(lens) {
		t.Fatalf("order %v for %d prompts", p.order, len(lens))
	}
	seen := map[int]bool{}
	for _, i := range p.order {
		if i < 0 || i >= len(lens) || seen[i] {
			t.Fatalf("order %v is not a permutation", p.order)
		}
		seen[i] = true
	}
	done := make([]int, len(lens)) // tokens fed per slot
	for k, ps := range p.passes {
		if ps.lo < 0 || ps.hi > len(lens) || ps.hi <= ps.lo || ps.hi-ps.lo > maxRows || ps.seq <= 0 || len(ps.feed) != ps.hi-ps.lo {
			t.Fatalf("pass %d %+v (max rows %d)", k, ps, maxRows)
		}
		for b, f := range ps.feed {
			slot := ps.lo + b
			l := lens[p.order[slot]]
			switch {
			case f < 1 || f > ps.seq:
				t.Fatalf("pass %d %+v: row %d feeds %d", k, ps, b, f)
			case ps.hi-ps.lo > 1 && ps.seq > 1 && done[slot] != 0:
				t.Fatalf("pass %d %+v: several rows, row %d at offset %d (not a first prompt)", k, ps, b, done[slot])
			case done[slot]+f > l:
				t.Fatalf("pass %d overruns slot %d: %d of %d tokens", k, slot, done[slot]+f, l)
			case done[slot]+f == l && f != ps.seq:
				t.Fatalf("pass %d %+v: slot %d ends in padding", k, ps, slot)
			}
			done[slot] += f
		}
	}
	for slot, n := range done {
		if l := lens[p.order[slot]]; n != l {
			t.Errorf("slot %d (prompt %d): %d of %d tokens fed", slot, p.order[slot], n, l)
		}
	}
}

func pass(lo, hi, seq int, feed ...int) prefillPass {
	return prefillPass{lo: lo, hi: hi, seq: seq, feed: feed}
}

func TestPlanPrefill(t *testing.T) {
	for _, c := range []struct {
		lens                        []int
		chunk, maxRows, firstTokens int
		order                       []int
		passes                      []prefillPass
	}{
		// The benchmark's batch: four 512-token prompts in one pass.
		{[]int{512, 512, 512, 512}, 256, 4, 3964, []int{0, 1, 2, 3},
			[]prefillPass{pass(0, 4, 512, 512, 512, 512, 512)}},
		// Alone: chunks from position 0, as without batching.
		{[]int{512, 512}, 256, 1, 3964, []int{0, 1},
			[]prefillPass{pass(0, 1, 256, 256), pass(0, 1, 256, 256), pass(1, 2, 256, 256), pass(1, 2, 256, 256)}},
		// Groups of three; the first pass limited to 12 tokens.
		{[]int{8, 8, 8, 8}, 4, 3, 12, []int{0, 1, 2, 3},
			[]prefillPass{pass(0, 3, 4, 4, 4, 4), pass(0, 1, 4, 4), pass(1, 2, 4, 4), pass(2, 3, 4, 4),
				pass(3, 4, 4, 4), pass(3, 4, 4, 4)}},
		// Mixed lengths: longest first; a first pass of 7 (the shorter
		// prompts feed all but their last token), the rest of the longer
		// ones alone, then the shorter ones' last tokens together.
		{[]int{7, 2, 13, 3, 11}, 4, 8, 1000, []int{2, 4, 0, 3, 1},
			[]prefillPass{pass(0, 5, 7, 7, 7, 7, 2, 1), pass(0, 1, 4, 4), pass(0, 1, 2, 2), pass(1, 2, 4, 4), pass(3, 5, 1, 1, 1)}},
		// A 5-token prompt beside two of 3, chunk 8: a first pass of 3.
		{[]int{3, 5, 3}, 8, 4, 1000, []int{1, 0, 2},
			[]prefillPass{pass(0, 3, 3, 3, 3, 3), pass(0, 1, 2, 2)}},
		{[]int{4, 12, 8}, 4, 4, 1000, []int{1, 2, 0},
			[]prefillPass{pass(0, 3, 4, 4, 4, 4), pass(0, 1, 4, 4), pass(0, 1, 4, 4), pass(1, 2, 4, 4)}},
		// A one-token prompt takes no part in the first pass.
		{[]int{9, 9, 1}, 2, 4, 1000, []int{0, 1, 2},
			[]prefillPass{pass(0, 2, 9, 9, 9), pass(2, 3, 1, 1)}},
		{[]int{1, 1, 5}, 4, 4, 100, []int{2, 0, 1},
			[]prefillPass{pass(0, 3, 1, 1, 1, 1), pass(0, 1, 4, 4)}},
		{[]int{1}, 256, 1, 100, []int{0}, []prefillPass{pass(0, 1, 1, 1)}},
		// A first pass of a chunk (64 tokens per row) would take more
		// passes than each prompt alone: alone.
		{[]int{512, 512, 512, 512}, 256, 4, 256, []int{0, 1, 2, 3},
			[]prefillPass{pass(0, 1, 256, 256), pass(0, 1, 256, 256), pass(1, 2, 256, 256), pass(1, 2, 256, 256),
				pass(2, 3, 256, 256), pass(2, 3, 256, 256), pass(3, 4, 256, 256), pass(3, 4, 256, 256)}},
		// Short prompts share one pass.
		{[]int{50, 50, 50, 50}, 256, 4, 256, []int{0, 1, 2, 3},
			[]prefillPass{pass(0, 4, 50, 50, 50, 50, 50)}},
	} {
		t.Run(fmt.Sprint(c.lens, c.chunk, c.maxRows), func(t *testing.T) {
			p := planPrefill(c.lens, c.chunk, c.maxRows, c.firstTokens)
			checkPlan(t, c.lens, c.maxRows, p)
			if !reflect.DeepEqual(p.order, c.order) || !reflect.DeepEqual(p.passes, c.passes) {
				t.Errorf("plan %v %v, want %v %v", p.order, p.passes, c.order, c.passes)
			}
		})
	}
	// Every mix of small lengths keeps the rules.
	for seed := 0; seed < 500; seed++ {
		n := 1 + seed%6
		lens := make([]int, n)
		for i := range lens {
			lens[i] = 1 + (seed*7919+i*104729)%29
		}
		chunk, maxRows, first := 1+seed%9, 1+seed%5, 1+(seed*31)%70
		checkPlan(t, lens, maxRows, planPrefill(lens, chunk, maxRows, first))
	}
}

// logitsTap records every (request, step)'s logits.
type logitsTap map[[2]int][]float32

func (m logitsTap) tap(row, step int, l []float32) {
	m[[2]int{row, step}] = append([]float32(nil), l...)
}

// TestBatchedPrefillMatchesAlone: prompts prefilled together (chunks that
// line up in one forward pass) give the logits and greedy tokens of the
// same prompts prefilled one at a time, and of each prompt alone in a call
// of its own, on generated fp32 and int4 (MatMulNBits, accuracy level 4)
// GroupQueryAttention models.
func TestBatchedPrefillMatchesAlone(t *testing.T) {
	needRuntime(t)
	batches := map[string][][]int{
		// Different lengths: 7, 2, 13, 3, 11.
		"mixed": append(append([][]int(nil), prompts...),
			[]int{9, 8, 7, 6, 5, 4, 3, 2, 1, 33, 44}),
		// Equal lengths (the benchmark's shape): every pass holds all rows.
		"equal": {
			{11, 12, 13, 14, 15, 16, 17, 18, 19, 20},
			{21, 22, 23, 24, 25, 26, 27, 28, 29, 30},
			{31, 32, 33, 34, 35, 36, 37, 38, 39, 40},
		},
	}
	for _, c := range []struct {
		name  string
		dtype string
		zp    bool
	}{
		{"fp32", genmodel.DTypeFP32, false},
		{"int4", genmodel.DTypeInt4, false},
		{"int4-zero-points", genmodel.DTypeInt4, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := genmodel.Tiny()
			cfg.DType, cfg.Int4ZeroPoints = c.dtype, c.zp
			if c.dtype == genmodel.DTypeInt4 {
				cfg.AccuracyLevel = 4
			}
			dir := t.TempDir()
			if err := genmodel.Write(context.Background(), dir, cfg); err != nil {
				t.Fatalf("genmodel: %v", err)
			}
			batched, alone := logitsTap{}, logitsTap{}
			// A 64-token chunk: the mixed batch shares a first pass of 12
			// tokens per row (the 13-token prompt then feeds its last
			// token alone, the four shorter ones theirs in one pass).
			be := openEngine(t, dir, Options{PrefillChunk: 64, tap: batched.tap})
			ae := openEngine(t, dir, Options{PrefillChunk: 64, PrefillRows: 1, tap: alone.tap})
			if s := be.Spec(); !s.ShareBuffer || !s.LastLogits {
				t.Fatalf("spec: share buffer %v, last logits %v: batched prefill not exercised", s.ShareBuffer, s.LastLogits)
			}
			for name, ps := range batches {
				lens := make([]int, len(ps))
				for i, p := range ps {
					lens[i] = len(p)
				}
				rows, first := be.prefillLimits(len(ps), 64)
				plan := planPrefill(lens, 64, rows, first)
				if len(plan.passes) == 0 || plan.passes[0].hi-plan.passes[0].lo != len(ps) {
					t.Fatalf("%s: plan %v: prompts not batched", name, plan.passes)
				}
				t.Logf("%s: plan %v", name, plan.passes)
				var reqs []GenRequest
				for i, p := range ps {
					reqs = append(reqs, greedy(p, 6+i))
				}
				clear(batched)
				clear(alone)
				got := generate(t, be, reqs)
				want := generate(t, ae, reqs)
				checkLogits(t, name, batched, alone)
				for i := range reqs {
					single := generate(t, ae, reqs[i:i+1])[0]
					if !reflect.DeepEqual(got[i].OutputIDs, want[i].OutputIDs) || !reflect.DeepEqual(got[i].OutputIDs, single.OutputIDs) {
						t.Errorf("%s row %d: batched prefill %v, one at a time %v, alone %v",
							name, i, got[i].OutputIDs, want[i].OutputIDs, single.OutputIDs)
					}
					if got[i].Stop != want[i].Stop {
						t.Errorf("%s row %d: stop %q, one at a time %q", name, i, got[i].Stop, want[i].Stop)
					}
				}
			}
		})
	}
}

// checkLogits compares every (row, step)'s logits of the two runs.
func checkLogits(t *testing.T, name string, batched, alone logitsTap) {
	t.Helper()
	if len(batched) != len(alone) || len(batched) == 0 {
		t.Fatalf("%s: %d logits rows batched, %d one at a time", name, len(batched), len(alone))
	}
	worst := 0.0
	for k, a := range alone {
		b, ok := batched[k]
		if !ok {
			t.Fatalf("%s: no batched logits for row %d step %d", name, k[0], k[1])
		}
		scale := 0.0
		for _, v := range a {
			scale = max(scale, math.Abs(float64(v)))
		}
		d := maxAbsDiff(a, b)
		worst = max(worst, d)
		// The same arithmetic per row; allow for a kernel that tiles rows
		// differently at another batch size.
		if d > 1e-4*max(1, scale) {
			t.Errorf("%s row %d step %d: logits differ by %g (largest |logit| %g)", name, k[0], k[1], d, scale)
		}
	}
	t.Logf("%s: %d logits rows, largest difference %g", name, len(alone), worst)
}

func maxAbsDiff(a, b []float32) float64 {
	d := 0.0
	for i := range a {
		d = max(d, math.Abs(float64(a[i]-b[i])))
	}
	return d
}
