package genmodel

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"runtime"
	"sync"
)

// initKind says how a weight's values are made.
type initKind int

const (
	initUniform initKind = iota // uniform with standard deviation std
	initNorm                    // 1 + uniform noise with standard deviation std
	initCos                     // rotary cosine table [context, head/2]
	initSin                     // rotary sine table [context, head/2]
)

// weight is one initializer whose values are generated on demand, in any
// order and in parallel: element i depends only on (seed, i).
type weight struct {
	name    string
	dims    []int64
	kind    initKind
	std     float64
	seed    uint64
	invFreq []float64 // rotary tables only
}

func (w *weight) elems() int64 {
	n := int64(1)
	for _, d := range w.dims {
		n *= d
	}
	return n
}

// splitmix64 is a counter-based mixer: good enough statistics for test
// weights, and every element can be computed independently.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// nameSeed derives a tensor's seed from the model seed and its name, so a
// tensor's values do not depend on the flavour, dtype or order of writing.
func nameSeed(seed uint64, name string) uint64 {
	h := uint64(14695981039346656037) // FNV-1a
	for i := 0; i < len(name); i++ {
		h ^= uint64(name[i])
		h *= 1099511628211
	}
	return splitmix64(seed ^ h)
}

// fill writes the float32 values of elements [start, start+len(dst)).
func (w *weight) fill(start int64, dst []float32) {
	switch w.kind {
	case initUniform, initNorm:
		// uniform on [-a, a) has standard deviation a/sqrt(3)
		scale := float32(w.std * math.Sqrt(3) * 2 / (1 << 24))
		off := float32(w.std * math.Sqrt(3))
		base := float32(0)
		if w.kind == initNorm {
			base = 1
		}
		s := w.seed + uint64(start)*0x9e3779b97f4a7c15
		for i := range dst {
			s += 0x9e3779b97f4a7c15
			x := s
			x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
			x = (x ^ (x >> 27)) * 0x94d049bb133111eb
			x ^= x >> 31
			dst[i] = base + float32(x>>40)*scale - off
		}
	case initCos, initSin:
		half := int64(len(w.invFreq))
		for i := range dst {
			e := start + int64(i)
			a := float64(e/half) * w.invFreq[e%half]
			if w.kind == initCos {
				dst[i] = float32(math.Cos(a))
			} else {
				dst[i] = float32(math.Sin(a))
			}
		}
	}
}

// float16bits converts f to IEEE 754 binary16, rounding to nearest even.
// Normal halves (the usual case for weights) take a branch-light path.
func float16bits(f float32) uint16 {
	b := math.Float32bits(f)
	a := b & 0x7fffffff
	if a-0x38800000 < 0x47800000-0x38800000 { // 2^-14 <= |f| < 2^16
		a += 0xfff + (a>>13)&1 // round to nearest even; a carry bumps the exponent
		return uint16(b>>16)&0x8000 | uint16((a-0x38000000)>>13)
	}
	return float16bitsSlow(f)
}

// float16bitsSlow handles every input, subnormal and overflowing ones too.
func float16bitsSlow(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int32(b>>23) & 0xff
	mant := b & 0x7fffff
	switch {
	case exp == 0xff: // Inf or NaN
		if mant != 0 {
			return sign | 0x7e00
		}
		return sign | 0x7c00
	case exp > 142: // overflow (unbiased > 15)
		return sign | 0x7c00
	case exp > 112: // normal half
		h := uint32(exp-112)<<10 | mant>>13
		rest := mant & 0x1fff
		if rest > 0x1000 || (rest == 0x1000 && h&1 == 1) {
			h++ // may carry into the exponent, which is right
		}
		return sign | uint16(h)
	case exp >= 102: // subnormal half
		mant |= 0x800000
		shift := uint32(126 - exp)
		h := mant >> shift
		rest := mant & (1<<shift - 1)
		halfway := uint32(1) << (shift - 1)
		if rest > halfway || (rest == halfway && h&1 == 1) {
			h++
		}
		return sign | uint16(h)
	}
	return sign
}

// float16to32 converts binary16 bits to float32 (used by tests).
func float16to32(h uint16) float32 {
	sign := uint32(h&0x8000) << 16
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h & 0x3ff)
	switch {
	case exp == 0x1f:
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	case exp == 0:
		if mant == 0 {
			return math.Float32frombits(sign)
		}
		f := float32(mant) / (1 << 24)
		if sign != 0 {
			f = -f
		}
		return f
	}
	return math.Float32frombits(sign | (exp+112)<<23 | mant<<13)
}

// encode stores values as little-endian fp32 or fp16 into dst.
func encode(dst []byte, vals []float32, dtype int32) {
	if dtype == dtFloat16 {
		dst = dst[:2*len(vals)]
		for i, v := range vals {
			binary.LittleEndian.PutUint16(dst[2*i:2*i+2], float16bits(v))
		}
		return
	}
	dst = dst[:4*len(vals)]
	for i, v := range vals {
		binary.LittleEndian.PutUint32(dst[4*i:4*i+4], math.Float32bits(v))
	}
}

func dtypeSize(dtype int32) int64 {
	if dtype == dtFloat16 {
		return 2
	}
	return 4
}

// materialize returns the whole tensor's bytes (for inline initializers).
func (w *weight) materialize(dtype int32) []byte {
	n := w.elems()
	vals := make([]float32, n)
	w.fill(0, vals)
	out := make([]byte, n*dtypeSize(dtype))
	encode(out, vals, dtype)
	return out
}

// chunkElems is the unit of parallel work when streaming weights to disk.
const chunkElems = 1 << 20

type placed struct {
	w      *weight
	offset int64
}

// writeExternal streams the weights into f at their offsets using workers
// goroutines; memory use is a couple of chunks per worker.
func writeExternal(ctx context.Context, f *os.File, ws []placed, dtype int32, workers int) error {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	type job struct {
		p     placed
		start int64
		n     int64
	}
	jobs := make(chan job)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		mu.Unlock()
		cancel()
	}
	size := dtypeSize(dtype)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			vals := make([]float32, chunkElems)
			buf := make([]byte, chunkElems*size)
			for j := range jobs {
				v := vals[:j.n]
				b := buf[:j.n*size]
				j.p.w.fill(j.start, v)
				encode(b, v, dtype)
				if _, err := f.WriteAt(b, j.p.offset+j.start*size); err != nil {
					fail(fmt.Errorf("write %s: %w", j.p.w.name, err))
				}
			}
		}()
	}
feed:
	for _, p := range ws {
		n := p.w.elems()
		for s := int64(0); s < n; s += chunkElems {
			select {
			case jobs <- job{p: p, start: s, n: min(chunkElems, n-s)}:
			case <-ctx.Done():
				break feed
			}
		}
	}
	close(jobs)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}
