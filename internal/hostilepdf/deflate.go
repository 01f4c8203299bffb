package hostilepdf

import "bytes"

// Hand-made zlib streams of repetitive data: compressing hundreds of
// megabytes with compress/zlib takes seconds (minutes under -race), while
// the stream itself is a few literals and a long run of identical copy
// codes, written here directly.

// bitWriter packs deflate's bit stream: values LSB first, Huffman codes
// MSB first.
type bitWriter struct {
	buf   bytes.Buffer
	acc   uint64
	nbits uint
}

func (w *bitWriter) bits(v uint64, n uint) {
	w.acc |= v << w.nbits
	w.nbits += n
	for w.nbits >= 8 {
		w.buf.WriteByte(byte(w.acc))
		w.acc >>= 8
		w.nbits -= 8
	}
}

// code writes a Huffman code of n bits, most significant bit first.
func (w *bitWriter) code(c uint64, n uint) {
	var rev uint64
	for i := uint(0); i < n; i++ {
		rev = rev<<1 | (c>>i)&1
	}
	w.bits(rev, n)
}

func (w *bitWriter) flush() []byte {
	if w.nbits > 0 {
		w.buf.WriteByte(byte(w.acc))
		w.acc, w.nbits = 0, 0
	}
	return w.buf.Bytes()
}

// literal writes byte b with the fixed Huffman code.
func (w *bitWriter) literal(b byte) {
	if b < 144 {
		w.code(0x30+uint64(b), 8)
	} else {
		w.code(0x190+uint64(b-144), 9)
	}
}

// repeatZlib returns a zlib stream decoding to prefix, then pattern
// repeated copies times, then suffix. pattern must be 258 bytes long: each
// repetition is then one copy code (length 258, distance 258).
func repeatZlib(prefix, pattern, suffix []byte, copies int) []byte {
	if len(pattern) != 258 {
		panic("hostilepdf: pattern must be 258 bytes")
	}
	w := &bitWriter{}
	w.buf.Write([]byte{0x78, 0x01})
	w.bits(1, 1) // final block
	w.bits(1, 2) // fixed Huffman codes
	for _, b := range prefix {
		w.literal(b)
	}
	for _, b := range pattern {
		w.literal(b)
	}
	for i := 1; i < copies; i++ {
		w.code(0xC5, 8) // length code 285: 258 bytes
		w.code(16, 5)   // distance code 16: 257 + 7 extra bits
		w.bits(1, 7)    // distance 258
	}
	for _, b := range suffix {
		w.literal(b)
	}
	w.code(0, 7) // end of block
	out := w.flush()
	sum := adlerRepeat(prefix, pattern, suffix, copies)
	return append(out, byte(sum>>24), byte(sum>>16), byte(sum>>8), byte(sum))
}

// adlerRepeat is the Adler-32 of prefix + pattern×copies + suffix,
// computed without writing the repetitions out.
func adlerRepeat(prefix, pattern, suffix []byte, copies int) uint32 {
	const mod = 65521
	a, b := uint64(1), uint64(0)
	add := func(data []byte) {
		for _, c := range data {
			a = (a + uint64(c)) % mod
			b = (b + a) % mod
		}
	}
	add(prefix)
	// One block x of n bytes appended to (a, b): a += Σx, b += n·a + Bx,
	// Bx = Σ (n-i)·x_i. For k blocks: a_k = a + k·Σx and
	// b_k = b + k·Bx + n·(k·a + Σx·k(k-1)/2).
	n := uint64(len(pattern))
	var sx, bx uint64
	for i, c := range pattern {
		sx += uint64(c)
		bx += (n - uint64(i)) * uint64(c)
	}
	sx, bx = sx%mod, bx%mod
	k := uint64(copies)
	tri := (k * (k - 1) / 2) % mod
	b = (b + (k%mod)*bx%mod + (n%mod)*(((k%mod)*a+sx*tri)%mod)) % mod
	a = (a + (k%mod)*sx) % mod
	add(suffix)
	return uint32(b<<16 | a)
}
