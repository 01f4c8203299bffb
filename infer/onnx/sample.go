package onnx

import (
	"math"
	"math/rand/v2"
	"sort"

	"github.com/llsum/llsum/infer"
)

// halfToFloat converts an IEEE 754 binary16 value to float32.
func halfToFloat(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch {
	case exp == 0 && mant == 0:
		return math.Float32frombits(sign)
	case exp == 0: // subnormal
		for mant&0x400 == 0 {
			mant <<= 1
			exp--
		}
		exp++
		mant &= 0x3ff
	case exp == 0x1f:
		return math.Float32frombits(sign | 0xff<<23 | mant<<13)
	}
	return math.Float32frombits(sign | (exp+112)<<23 | mant<<13)
}

// sampler picks the next token of one sequence.
type sampler struct {
	s    infer.Sampling
	rng  *rand.Rand
	seen map[int]bool // tokens for the repetition penalty
	idx  []int        // scratch
	prob []float64
	mask LogitsMask // nil: unconstrained
	err  error      // first error of mask.Accept
}

// newSampler seeds from the request alone, so a request samples the same
// tokens whatever its place in a batch.
func newSampler(s infer.Sampling, prompt []int, mask LogitsMask) *sampler {
	sm := &sampler{s: s, mask: mask}
	if s.Temperature > 0 {
		sm.rng = rand.New(rand.NewPCG(uint64(s.Seed), 0x9e3779b97f4a7c15))
	}
	if s.RepetitionPenalty > 0 && s.RepetitionPenalty != 1 {
		sm.seen = map[int]bool{}
		for _, t := range prompt {
			sm.seen[t] = true
		}
	}
	return sm
}

// next picks a token from logits (modified in place by the penalty and the
// mask); remaining is the number of new tokens left, this one included.
func (sm *sampler) next(logits []float32, remaining int) int {
	if sm.seen != nil {
		p := float32(sm.s.RepetitionPenalty)
		for t := range sm.seen {
			if t < len(logits) {
				if logits[t] > 0 {
					logits[t] /= p
				} else {
					logits[t] *= p
				}
			}
		}
	}
	if sm.mask != nil {
		sm.mask.Mask(logits, remaining)
	}
	var tok int
	if sm.rng == nil {
		tok = argmax(logits)
	} else {
		tok = sm.sample(logits)
	}
	if sm.seen != nil {
		sm.seen[tok] = true
	}
	sm.acceptMasked(tok)
	return tok
}

// acceptMasked tells the mask, if any, which token was chosen.
func (sm *sampler) acceptMasked(tok int) {
	if sm.mask != nil && sm.err == nil {
		sm.err = sm.mask.Accept(tok)
	}
}

func argmax(l []float32) int {
	best := 0
	for i, v := range l {
		if v > l[best] {
			best = i
		}
	}
	return best
}

// sample draws from softmax(logits/T) restricted by top-k and top-p.
func (sm *sampler) sample(l []float32) int {
	if cap(sm.idx) < len(l) {
		sm.idx = make([]int, len(l))
	}
	idx := sm.idx[:len(l)]
	for i := range idx {
		idx[i] = i
	}
	k := len(l)
	if sm.s.TopK > 0 && sm.s.TopK < k {
		k = sm.s.TopK
	}
	// Partial order is enough: sort descending, keep k.
	sort.Slice(idx, func(a, b int) bool { return l[idx[a]] > l[idx[b]] })
	idx = idx[:k]
	t := sm.s.Temperature
	maxv := float64(l[idx[0]])
	if cap(sm.prob) < k {
		sm.prob = make([]float64, k)
	}
	prob := sm.prob[:k]
	sum := 0.0
	for i, id := range idx {
		prob[i] = math.Exp((float64(l[id]) - maxv) / t)
		sum += prob[i]
	}
	n := k
	if p := sm.s.TopP; p > 0 && p < 1 {
		acc := 0.0
		for i := range prob {
			acc += prob[i] / sum
			if acc >= p {
				n = i + 1
				break
			}
		}
		sum = 0
		for i := 0; i < n; i++ {
			sum += prob[i]
		}
	}
	r := sm.rng.Float64() * sum
	for i := 0; i < n; i++ {
		r -= prob[i]
		if r <= 0 {
			return idx[i]
		}
	}
	return idx[n-1]
}
