package main

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
)

// A GGUF (version 3) writer for llama.cpp: a Llama decoder with random
// Q4_0 weights and the Llama 3 vocabulary and merges in its metadata, so
// that llama.cpp runs the same shape as the int4 ONNX model llsum runs.
// Layout: header, metadata key/values, tensor infos, padding to the
// alignment, then each tensor's data at an aligned offset.

const ggufAlign = 32

// GGUF metadata value types.
const (
	gguUint32  = 4
	gguInt32   = 5
	gguFloat32 = 6
	gguString  = 8
	gguArray   = 9
)

// ggml tensor types.
const (
	ggmlF32  = 0
	ggmlQ4_0 = 2
)

// llamaShape is what the GGUF describes.
type llamaShape struct {
	Layers, Hidden, Heads, KVHeads, HeadSize, FF, Vocab, Context int
	RopeTheta, Eps                                               float64
}

// vocab is a Llama 3 tokenizer's tokens (by id), their types and merges.
type vocab struct {
	tokens   []string
	types    []int32 // 1 normal, 3 control, 4 user defined
	merges   []string
	bos, eos int
}

// readVocab reads a Hugging Face tokenizer.json (BPE, byte-level).
func readVocab(path string, size int) (*vocab, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var t struct {
		Model struct {
			Type   string            `json:"type"`
			Vocab  map[string]int    `json:"vocab"`
			Merges []json.RawMessage `json:"merges"`
		} `json:"model"`
		Added []struct {
			ID      int    `json:"id"`
			Content string `json:"content"`
			Special bool   `json:"special"`
		} `json:"added_tokens"`
	}
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if t.Model.Type != "BPE" {
		return nil, fmt.Errorf("%s: model type %q, want BPE", path, t.Model.Type)
	}
	v := &vocab{tokens: make([]string, size), types: make([]int32, size), bos: -1, eos: -1}
	for s, id := range t.Model.Vocab {
		if id < 0 || id >= size {
			return nil, fmt.Errorf("%s: token id %d outside the vocabulary %d", path, id, size)
		}
		v.tokens[id], v.types[id] = s, 1
	}
	for _, a := range t.Added {
		if a.ID < 0 || a.ID >= size {
			return nil, fmt.Errorf("%s: added token id %d outside the vocabulary %d", path, a.ID, size)
		}
		v.tokens[a.ID], v.types[a.ID] = a.Content, 4
		if a.Special {
			v.types[a.ID] = 3
		}
		switch a.Content {
		case "<|begin_of_text|>":
			v.bos = a.ID
		case "<|eot_id|>":
			v.eos = a.ID
		}
	}
	for id, s := range v.tokens {
		if s == "" {
			return nil, fmt.Errorf("%s: no token with id %d", path, id)
		}
	}
	for _, m := range t.Model.Merges {
		var s string
		if json.Unmarshal(m, &s) == nil {
			v.merges = append(v.merges, s)
			continue
		}
		var pair [2]string
		if err := json.Unmarshal(m, &pair); err != nil {
			return nil, fmt.Errorf("%s: merge %s: %w", path, m, err)
		}
		v.merges = append(v.merges, pair[0]+" "+pair[1])
	}
	if v.bos < 0 || v.eos < 0 {
		return nil, fmt.Errorf("%s: no <|begin_of_text|> / <|eot_id|> token", path)
	}
	return v, nil
}

// ggufWriter writes the binary encoding.
type ggufWriter struct {
	w   *bufio.Writer
	n   int64
	err error
}

func (g *ggufWriter) put(v any) {
	if g.err != nil {
		return
	}
	g.err = binary.Write(g.w, binary.LittleEndian, v)
	g.n += int64(binary.Size(v))
}

func (g *ggufWriter) str(s string) {
	g.put(uint64(len(s)))
	if g.err == nil {
		_, g.err = g.w.WriteString(s)
		g.n += int64(len(s))
	}
}

func (g *ggufWriter) kvString(k, v string) { g.str(k); g.put(uint32(gguString)); g.str(v) }
func (g *ggufWriter) kvU32(k string, v int) {
	g.str(k)
	g.put(uint32(gguUint32))
	g.put(uint32(v))
}
func (g *ggufWriter) kvF32(k string, v float64) {
	g.str(k)
	g.put(uint32(gguFloat32))
	g.put(float32(v))
}
func (g *ggufWriter) kvStrings(k string, vs []string) {
	g.str(k)
	g.put(uint32(gguArray))
	g.put(uint32(gguString))
	g.put(uint64(len(vs)))
	for _, s := range vs {
		g.str(s)
	}
}
func (g *ggufWriter) kvInt32s(k string, vs []int32) {
	g.str(k)
	g.put(uint32(gguArray))
	g.put(uint32(gguInt32))
	g.put(uint64(len(vs)))
	g.put(vs)
}

func (g *ggufWriter) pad() {
	for g.n%ggufAlign != 0 {
		g.put(uint8(0))
	}
}

// ggufTensor is one tensor: ne[0] is the contiguous (input) dimension.
type ggufTensor struct {
	name string
	ne   []int64
	typ  uint32
	seed uint64
}

func (t ggufTensor) elems() int64 {
	n := int64(1)
	for _, d := range t.ne {
		n *= d
	}
	return n
}

func (t ggufTensor) bytes() int64 {
	if t.typ == ggmlQ4_0 {
		return t.elems() / 32 * 18 // fp16 scale + 16 bytes of nibbles per 32
	}
	return t.elems() * 4
}

func llamaTensors(s llamaShape) []ggufTensor {
	h, kv, ff := int64(s.Hidden), int64(s.KVHeads*s.HeadSize), int64(s.FF)
	q := int64(s.Heads * s.HeadSize)
	ts := []ggufTensor{{name: "token_embd.weight", ne: []int64{h, int64(s.Vocab)}, typ: ggmlQ4_0}}
	for l := 0; l < s.Layers; l++ {
		p := fmt.Sprintf("blk.%d.", l)
		ts = append(ts,
			ggufTensor{name: p + "attn_norm.weight", ne: []int64{h}, typ: ggmlF32},
			ggufTensor{name: p + "attn_q.weight", ne: []int64{h, q}, typ: ggmlQ4_0},
			ggufTensor{name: p + "attn_k.weight", ne: []int64{h, kv}, typ: ggmlQ4_0},
			ggufTensor{name: p + "attn_v.weight", ne: []int64{h, kv}, typ: ggmlQ4_0},
			ggufTensor{name: p + "attn_output.weight", ne: []int64{q, h}, typ: ggmlQ4_0},
			ggufTensor{name: p + "ffn_norm.weight", ne: []int64{h}, typ: ggmlF32},
			ggufTensor{name: p + "ffn_gate.weight", ne: []int64{h, ff}, typ: ggmlQ4_0},
			ggufTensor{name: p + "ffn_up.weight", ne: []int64{h, ff}, typ: ggmlQ4_0},
			ggufTensor{name: p + "ffn_down.weight", ne: []int64{ff, h}, typ: ggmlQ4_0},
		)
	}
	// No output.weight: the output projection is tied to token_embd, as in
	// Llama 3.2 1B/3B.
	ts = append(ts, ggufTensor{name: "output_norm.weight", ne: []int64{h}, typ: ggmlF32})
	for i := range ts {
		ts[i].seed = uint64(i+1) * 0x9e3779b97f4a7c15
	}
	return ts
}

// writeGGUF writes the model to path.
func writeGGUF(path string, s llamaShape, v *vocab) error {
	for _, d := range []int{s.Hidden, s.Heads * s.HeadSize, s.FF} {
		if d%32 != 0 {
			return fmt.Errorf("gguf: dimension %d is not a multiple of the Q4_0 block 32", d)
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	g := &ggufWriter{w: bufio.NewWriterSize(f, 1<<20)}
	ts := llamaTensors(s)
	const kvs = 21
	g.put([]byte("GGUF"))
	g.put(uint32(3))
	g.put(uint64(len(ts)))
	g.put(uint64(kvs))
	g.kvString("general.architecture", "llama")
	g.kvString("general.name", "llsum-bench")
	g.kvU32("general.file_type", 2) // MOSTLY_Q4_0
	g.kvU32("general.alignment", ggufAlign)
	g.kvU32("llama.context_length", s.Context)
	g.kvU32("llama.embedding_length", s.Hidden)
	g.kvU32("llama.block_count", s.Layers)
	g.kvU32("llama.feed_forward_length", s.FF)
	g.kvU32("llama.rope.dimension_count", s.HeadSize)
	g.kvU32("llama.attention.head_count", s.Heads)
	g.kvU32("llama.attention.head_count_kv", s.KVHeads)
	g.kvF32("llama.attention.layer_norm_rms_epsilon", s.Eps)
	g.kvF32("llama.rope.freq_base", s.RopeTheta)
	g.kvU32("llama.vocab_size", s.Vocab)
	g.kvString("tokenizer.ggml.model", "gpt2")
	g.kvString("tokenizer.ggml.pre", "llama-bpe")
	g.kvStrings("tokenizer.ggml.tokens", v.tokens)
	g.kvInt32s("tokenizer.ggml.token_type", v.types)
	g.kvStrings("tokenizer.ggml.merges", v.merges)
	g.kvU32("tokenizer.ggml.bos_token_id", v.bos)
	g.kvU32("tokenizer.ggml.eos_token_id", v.eos)
	var off int64
	for _, t := range ts {
		g.str(t.name)
		g.put(uint32(len(t.ne)))
		for _, d := range t.ne {
			g.put(uint64(d))
		}
		g.put(t.typ)
		g.put(uint64(off))
		off += (t.bytes() + ggufAlign - 1) / ggufAlign * ggufAlign
	}
	g.pad()
	for _, t := range ts {
		if g.err != nil {
			break
		}
		writeTensor(g, t, s)
		g.pad()
	}
	if g.err == nil {
		g.err = g.w.Flush()
	}
	if cerr := f.Close(); g.err == nil {
		g.err = cerr
	}
	if g.err != nil {
		return fmt.Errorf("gguf %s: %w", path, g.err)
	}
	return nil
}

// writeTensor streams random data: norms near 1, Q4_0 blocks of random
// nibbles with a scale giving weights of standard deviation
// 1/sqrt(fan-in), as the ONNX generator's.
func writeTensor(g *ggufWriter, t ggufTensor, s llamaShape) {
	x := t.seed
	next := func() uint64 {
		x += 0x9e3779b97f4a7c15
		z := x
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
		z = (z ^ (z >> 27)) * 0x94d049bb133111eb
		return z ^ (z >> 31)
	}
	if t.typ == ggmlF32 {
		buf := make([]byte, 4*t.elems())
		for i := range t.elems() {
			binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(1+0.1*(float32(next()>>40)/(1<<24)-0.5)))
		}
		g.put(buf)
		return
	}
	std := 1 / math.Sqrt(float64(t.ne[0]))
	if t.name == "token_embd.weight" {
		std = 1 / math.Sqrt(float64(s.Hidden))
	}
	scale := halfBits(float32(std / math.Sqrt(255.0/12)))
	block := make([]byte, 18)
	binary.LittleEndian.PutUint16(block, scale)
	w := io.Writer(g.w)
	for range t.elems() / 32 {
		a, b := next(), next()
		binary.LittleEndian.PutUint64(block[2:], a)
		binary.LittleEndian.PutUint64(block[10:], b)
		if g.err == nil {
			_, g.err = w.Write(block)
		}
	}
	g.n += t.elems() / 32 * 18
}

// halfBits converts a normal float32 to fp16 bits (round to nearest).
func halfBits(f float32) uint16 {
	b := math.Float32bits(f)
	exp := int32(b>>23&0xff) - 127 + 15
	if exp <= 0 || exp >= 31 {
		return 0
	}
	m := (b & 0x7fffff) + 0x1000
	if m&0x800000 != 0 {
		m, exp = 0, exp+1
	}
	return uint16(b>>16&0x8000) | uint16(exp)<<10 | uint16(m>>13)
}
