package onnx

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestArgmaxHalf: the fp16 fast path picks what converting to float32 and
// sampler.next's argmax (NaN as -Inf, first maximum) pick.
func TestArgmaxHalf(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	special := []uint16{0x0000, 0x8000, 0x7c00, 0xfc00, 0x7e00, 0xfe01, 0x0001, 0x8001, 0x3c00, 0xbc00, 0x7bff, 0xfbff}
	for trial := 0; trial < 2000; trial++ {
		n := 1 + rng.IntN(40)
		h := make([]uint16, n)
		for i := range h {
			if rng.IntN(3) == 0 {
				h[i] = special[rng.IntN(len(special))]
			} else {
				h[i] = uint16(rng.Uint32())
			}
		}
		f := make([]float32, n)
		for i, x := range h {
			f[i] = halfToFloat(x)
			if math.IsNaN(float64(f[i])) {
				f[i] = float32(math.Inf(-1))
			}
		}
		want := argmax(f)
		if got := argmaxHalf(h); f[got] != f[want] || got != firstIndexOf(f, f[want]) {
			t.Fatalf("%04x: fast %d (%v), reference %d (%v)", h, got, f[got], want, f[want])
		}
		if got := argmaxFloat(f); got != want {
			t.Fatalf("float32 %v: %d, want %d", f, got, want)
		}
	}
}

// TestArgmaxHalfNaNAsNegInf: NaN ties with -Inf (as rowLogits makes it),
// so a row of only NaN and -Inf picks index 0 like sampler.next.
func TestArgmaxHalfNaNAsNegInf(t *testing.T) {
	for _, h := range [][]uint16{{0x7e00, 0xfc00}, {0xfc00, 0x7e01, 0xfc00}, {0xfe00, 0xfc00, 0xbc00}} {
		f := make([]float32, len(h))
		for i, x := range h {
			if f[i] = halfToFloat(x); math.IsNaN(float64(f[i])) {
				f[i] = float32(math.Inf(-1))
			}
		}
		if got, want := argmaxHalf(h), argmax(f); got != want {
			t.Errorf("%04x: %d, sampler's argmax %d", h, got, want)
		}
	}
}

func firstIndexOf(f []float32, v float32) int {
	for i, x := range f {
		if x == v {
			return i
		}
	}
	return -1
}
