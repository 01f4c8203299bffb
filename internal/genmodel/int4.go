package genmodel

import "math"

// q4 describes one int4 weight of logical shape [k, n] (MatMul's B),
// stored as MatMulNBits stores it: for each output column n, blocks of
// Int4Block consecutive k, two 4-bit values per byte (the even k in the
// low nibble), a scale per block and, when asymmetric, a 4-bit zero point
// per block packed the same way (else 8). Element (k, n) is
// (q - zero point) × scale.
//
// The 4-bit values, scales and zero points are drawn directly (a pure
// function of the seed and the position), not rounded from fp weights: the
// int4 graph and its dequantized twin then hold exactly the same numbers,
// and any difference between them is MatMulNBits' arithmetic.
type q4 struct {
	seed  uint64
	k, n  int64
	scale float64 // mean block scale
	zp    bool
	// parts, when set, are weights side by side along n (the builder's
	// packed Q/K/V projection): column n is a column of one of them.
	parts []*q4
}

// packQ4 lays weights with the same k side by side along n.
func packQ4(parts ...*q4) *q4 {
	p := &q4{k: parts[0].k, zp: parts[0].zp, parts: parts}
	for _, x := range parts {
		p.n += x.n
	}
	return p
}

// part is the part holding column n of a packed weight, and n within it.
func (q *q4) part(n int64) (*q4, int64) {
	for _, p := range q.parts[:len(q.parts)-1] {
		if n < p.n {
			return p, n
		}
		n -= p.n
	}
	return q.parts[len(q.parts)-1], n
}

func newQ4(seed uint64, k, n int64, std float64, zp bool) *q4 {
	// Values q - 8 are uniform on -8..7: standard deviation sqrt(255/12).
	return &q4{seed: seed, k: k, n: n, scale: std / math.Sqrt(255.0/12), zp: zp}
}

func (q *q4) blocks() int64 { return (q.k + Int4Block - 1) / Int4Block }

// value is the 4-bit value of element (k, n); 16 of them come from one
// 64-bit draw.
func (q *q4) value(k, n int64) int {
	if q.parts != nil {
		p, m := q.part(n)
		return p.value(k, m)
	}
	i := n*q.k + k
	return int(splitmix64(q.seed+uint64(i/16)) >> (4 * (i % 16)) & 15)
}

// zero is block (n, b)'s zero point: 8 when symmetric, else 6..9 (the
// values stay centred, so the tiny models' output is not degenerate).
func (q *q4) zero(n, b int64) int {
	if q.parts != nil {
		p, m := q.part(n)
		return p.zero(m, b)
	}
	if !q.zp {
		return 8
	}
	return 6 + int(splitmix64(q.seed^0x2545f4914f6cdd1d+uint64(n*q.blocks()+b))%4)
}

// blockScale is block (n, b)'s scale, 0.75 to 1.25 times the mean, rounded
// to fp16 so that fp16 and fp32 scale tensors hold the same number.
func (q *q4) blockScale(n, b int64) float32 {
	if q.parts != nil {
		p, m := q.part(n)
		return p.blockScale(m, b)
	}
	u := float64(splitmix64(q.seed^0x9e6c63d0676a9a99+uint64(n*q.blocks()+b))>>11) / (1 << 53)
	return float16to32(float16bits(float32(q.scale * (0.75 + 0.5*u))))
}

// dequant is element (k, n)'s value.
func (q *q4) dequant(k, n int64) float32 {
	b := k / Int4Block
	return float32(q.value(k, n)-q.zero(n, b)) * q.blockScale(n, b)
}

// dataByte is byte i of the [n, blocks, Int4Block/2] uint8 tensor.
func (q *q4) dataByte(i int64) byte {
	per := q.blocks() * Int4Block / 2
	n, r := i/per, i%per
	k := (r/(Int4Block/2))*Int4Block + 2*(r%(Int4Block/2))
	lo, hi := 0, 0
	if k < q.k {
		lo = q.value(k, n)
	}
	if k+1 < q.k {
		hi = q.value(k+1, n)
	}
	return byte(lo | hi<<4)
}

// zeroByte is byte i of the packed [n × ceil(blocks/2)] zero points.
func (q *q4) zeroByte(i int64) byte {
	per := (q.blocks() + 1) / 2
	n, j := i/per, i%per
	lo, hi := q.zero(n, 2*j), 0
	if 2*j+1 < q.blocks() {
		hi = q.zero(n, 2*j+1)
	}
	return byte(lo | hi<<4)
}
