package onnx

import (
	"math"

	"github.com/llsum/llsum/infer"
)

// TokenLogprob is the log probability of one generated token under the
// model (the raw logits' log-softmax: before temperature, top-p and the
// repetition penalty), with the likeliest tokens at that position.
type TokenLogprob struct {
	ID      int
	Logprob float32
	// Top are the GenRequest.TopLogprobs likeliest tokens, likeliest first.
	Top []IDLogprob
}

// IDLogprob is one alternative of a TokenLogprob.
type IDLogprob struct {
	ID      int
	Logprob float32
}

// logprobScratch holds one row's raw logits while the sampler changes them.
type logprobScratch struct{ raw []float32 }

// pickLogprob is pick for a request that asks for log probabilities: it
// records the token's (r.lp, appended by accept), from the raw logits.
func (g *gen) pickLogprob(r *row, logits []float32) int {
	raw := g.lp.raw[:0]
	raw = append(raw, logits...)
	g.lp.raw = raw
	tok := r.sampler.next(logits, g.remaining(r, r.length))
	r.lp = logprobOf(raw, tok, min(r.req.TopLogprobs, infer.MaxTopLogprobs))
	return tok
}

// logprobOf computes tok's log-softmax over logits and the top k tokens.
func logprobOf(logits []float32, tok, k int) TokenLogprob {
	maxv := float32(math.Inf(-1))
	for _, v := range logits {
		maxv = max(maxv, v)
	}
	sum := 0.0
	for _, v := range logits {
		sum += math.Exp(float64(v - maxv))
	}
	lse := float64(maxv) + math.Log(sum)
	out := TokenLogprob{ID: tok, Logprob: float32(float64(logits[tok]) - lse)}
	if k <= 0 {
		return out
	}
	// Insertion into a sorted list of k: O(V·k) at worst, k ≤ 20.
	top := make([]IDLogprob, 0, k)
	for id, v := range logits {
		if len(top) == k && v <= top[k-1].Logprob {
			continue
		}
		i := len(top)
		if i < k {
			top = append(top, IDLogprob{})
		} else {
			i = k - 1
		}
		for i > 0 && top[i-1].Logprob < v {
			top[i] = top[i-1]
			i--
		}
		top[i] = IDLogprob{ID: id, Logprob: v}
	}
	for i := range top {
		top[i].Logprob = float32(float64(top[i].Logprob) - lse)
	}
	out.Top = top
	return out
}
