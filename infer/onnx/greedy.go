package onnx

import (
	"fmt"
	"math"
	"runtime"
	"sync"
	"unsafe"

	ort "github.com/yalue/onnxruntime_go"
)

// Greedy decoding fast path: when every row decodes greedily, the argmax is
// taken on the raw logits (fp16 compared through an order-preserving integer
// key, no conversion), rows in parallel, and logits in device memory are
// fetched in one copy. At a 128K vocabulary this keeps the host's share of a
// decode step well under a millisecond, where converting and scanning row
// by row took about as long as the GPU's forward pass. The result equals
// sampler.next on rowLogits: NaN counts as -Inf and the first maximum wins.

// allGreedy tells whether the running rows all decode greedily.
func (g *gen) allGreedy() bool {
	for _, r := range g.rows {
		if !r.done && (r.sampler.rng != nil || r.sampler.seen != nil || !fastMaskable(r.sampler.mask)) {
			return false
		}
	}
	return true
}

// greedyTokens returns the argmax of each of the n rows of [n, 1, V] logits.
func (g *gen) greedyTokens(n int) ([]int, error) {
	s := g.e.spec
	V, es := s.Vocab, elemSize(s.LogitsType)
	if cap(g.toks) < n {
		g.toks = make([]int, n)
	}
	toks := g.toks[:n]
	b := g.e.scratch.logits.bytes()
	if db, ok := g.e.scratch.logits.(*devBuffer); ok && g.e.argmax != nil && !g.anyMask(n) {
		return toks, g.e.argmax.tokens(db, n, V, s.LogitsType, toks)
	}
	if b == nil {
		db, ok := g.e.scratch.logits.(*devBuffer)
		if !ok {
			return nil, fmt.Errorf("onnx: logits buffer is neither host nor device memory")
		}
		if cap(g.rowBytes) < n*V*es {
			g.rowBytes = alignedBytes(n * V * es)
		}
		b = g.rowBytes[:n*V*es]
		if err := db.read(b, 0); err != nil {
			return nil, fmt.Errorf("onnx: logits to host: %w", err)
		}
	}
	row := func(i int) {
		if g.rows[i].done {
			return
		}
		p := unsafe.Pointer(&b[i*V*es])
		if allowed := g.fastMask(g.rows[i]); allowed != nil {
			if s.LogitsType == ort.TensorElementDataTypeFloat16 {
				toks[i] = maskedArgmaxHalf(unsafe.Slice((*uint16)(p), V), allowed)
			} else {
				toks[i] = maskedArgmaxFloat(unsafe.Slice((*float32)(p), V), allowed)
			}
			return
		}
		if s.LogitsType == ort.TensorElementDataTypeFloat16 {
			toks[i] = argmaxHalf(unsafe.Slice((*uint16)(p), V))
		} else {
			toks[i] = argmaxFloat(unsafe.Slice((*float32)(p), V))
		}
	}
	workers := min(n, runtime.GOMAXPROCS(0))
	if workers <= 1 {
		for i := 0; i < n; i++ {
			row(i)
		}
		return toks, nil
	}
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < n; i += workers {
				row(i)
			}
		}(w)
	}
	wg.Wait()
	return toks, nil
}

// halfKey maps fp16 bits to an integer with the same order as the values;
// NaNs map to -Inf's key (as rowLogits turns them into -Inf) and -0 to +0.
func halfKey(h uint16) int32 {
	if h&0x7c00 == 0x7c00 && h&0x3ff != 0 {
		return -0x7c00
	}
	if h&0x8000 != 0 {
		return -int32(h & 0x7fff)
	}
	return int32(h)
}

func argmaxHalf(h []uint16) int {
	best, bk := 0, halfKey(h[0])
	for i, x := range h {
		if k := halfKey(x); k > bk {
			best, bk = i, k
		}
	}
	return best
}

func argmaxFloat(l []float32) int {
	best, bv := 0, float32(math.Inf(-1))
	for i, v := range l {
		if v > bv {
			best, bv = i, v
		}
	}
	return best
}
