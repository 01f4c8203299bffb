package genmodel

import (
	"encoding/binary"
	"fmt"
	"math"
)

const msDomain = "com.microsoft"

// builder accumulates nodes, constants and weights of one graph.
type builder struct {
	cfg     Config
	io      int32 // dtype of activations, KV cache and logits
	g       pbGraph
	weights []*weight
	consts  map[string]bool
	count   int
}

func newBuilder(cfg Config) *builder {
	io := dtFloat
	if cfg.ioDType() == DTypeFP16 {
		io = dtFloat16
	}
	return &builder{cfg: cfg, io: io, consts: map[string]bool{}}
}

// node appends a node and returns its outputs; an output named "" gets a
// generated name, one named "-" is left out (empty name).
func (b *builder) node(name, op, domain string, inputs []string, outputs []string, attrs ...pbAttr) []string {
	b.count++
	for i, o := range outputs {
		switch o {
		case "":
			outputs[i] = fmt.Sprintf("%s/output_%d", name, i)
		case "-":
			outputs[i] = ""
		}
	}
	b.g.nodes = append(b.g.nodes, &pbNode{name: name, op: op, domain: domain, inputs: inputs, outputs: outputs, attrs: attrs})
	return outputs
}

// op is a one-output node in the default domain with a generated name.
func (b *builder) op(prefix, op string, inputs []string, attrs ...pbAttr) string {
	name := fmt.Sprintf("%s/%s_%d", prefix, op, b.count)
	return b.node(name, op, "", inputs, []string{""}, attrs...)[0]
}

func attrInt(name string, v int64) pbAttr { return pbAttr{name: name, typ: atInt, i: v} }
func attrFloat(name string, v float32) pbAttr {
	return pbAttr{name: name, typ: atFloat, f: v}
}
func attrInts(name string, v ...int64) pbAttr { return pbAttr{name: name, typ: atInts, ints: v} }

// constInt64 returns an inline int64 initializer (scalar when scalar).
func (b *builder) constInt64(scalar bool, vals ...int64) string {
	name := fmt.Sprintf("/model/constants/INT64/%v", vals)
	if scalar {
		name = fmt.Sprintf("/model/constants/INT64/%d", vals[0])
	}
	if !b.consts[name] {
		b.consts[name] = true
		t := &pbTensor{name: name, dtype: dtInt64, raw: make([]byte, 8*len(vals))}
		if !scalar {
			t.dims = []int64{int64(len(vals))}
		}
		for i, v := range vals {
			binary.LittleEndian.PutUint64(t.raw[8*i:], uint64(v))
		}
		b.g.inits = append(b.g.inits, t)
	}
	return name
}

// constFloat returns an inline scalar initializer of the given dtype.
func (b *builder) constFloat(dtype int32, v float32) string {
	tn := "FLOAT"
	if dtype == dtFloat16 {
		tn = "FLOAT16"
	}
	name := fmt.Sprintf("/model/constants/%s/%g", tn, v)
	if !b.consts[name] {
		b.consts[name] = true
		raw := make([]byte, dtypeSize(dtype))
		encode(raw, []float32{v}, dtype)
		b.g.inits = append(b.g.inits, &pbTensor{name: name, dtype: dtype, raw: raw})
	}
	return name
}

// addWeight registers a generated initializer and returns its name.
func (b *builder) addWeight(name string, kind initKind, std float64, dims ...int64) string {
	b.weights = append(b.weights, &weight{name: name, dims: dims, kind: kind, std: std, seed: nameSeed(b.cfg.Seed, name)})
	return name
}

// linear registers a MatMul weight [in, out] with std 1/sqrt(in) and
// applies it.
func (b *builder) linear(prefix, wname string, x string, in, out int) string {
	return b.linearStd(prefix, wname, x, in, out, 1/math.Sqrt(float64(in)), "")
}

// linearStd is linear with the weights' standard deviation and the output
// name ("" generated). In an int4 model the weight is 4-bit blocks
// (MatMulNBits), or their exact dequantized values in the fp twin.
func (b *builder) linearStd(prefix, wname, x string, in, out int, std float64, output string) string {
	c := b.cfg
	if c.DType != DTypeInt4 {
		w := b.addWeight(wname, initUniform, std, int64(in), int64(out))
		return b.node(prefix+"/MatMul", "MatMul", "", []string{x, w}, []string{output})[0]
	}
	return b.int4Linear(prefix, wname, x, newQ4(nameSeed(c.Seed, wname), int64(in), int64(out), std, c.Int4ZeroPoints), output)
}

// packedQKV is the builder's packed attention input projection of an int4
// model: Q, K and V side by side in one MatMulNBits (qkv_proj), holding the
// values the three separate weights would (same names, same seeds), so
// GroupQueryAttention takes the packed output as its query and no key or
// value.
func (b *builder) packedQKV(prefix string, l int, x string) string {
	c := b.cfg
	std := 1 / math.Sqrt(float64(c.Hidden))
	part := func(name string, out int) *q4 {
		return newQ4(nameSeed(c.Seed, layerName(l, name)), int64(c.Hidden), int64(out), std, c.Int4ZeroPoints)
	}
	q := packQ4(part("attn.q_proj.MatMul.weight", c.Heads*c.HeadSize),
		part("attn.k_proj.MatMul.weight", c.KVHeads*c.HeadSize),
		part("attn.v_proj.MatMul.weight", c.KVHeads*c.HeadSize))
	return b.int4Linear(prefix, layerName(l, "attn.qkv_proj.MatMul.weight"), x, q, "")
}

// int4Linear is x × q as MatMulNBits, or as MatMul over q's exact values in
// the fp twin.
func (b *builder) int4Linear(prefix, wname, x string, q *q4, output string) string {
	c := b.cfg
	in, out := q.k, q.n
	if c.Dequantized {
		b.weights = append(b.weights, &weight{name: wname, dims: []int64{in, out}, kind: initQ4Dequant, q4: q})
		return b.node(prefix+"/MatMul", "MatMul", "", []string{x, wname}, []string{output})[0]
	}
	kb := q.blocks()
	b.weights = append(b.weights,
		&weight{name: wname + "_Q4", dims: []int64{out, kb, Int4Block / 2}, kind: initQ4Data, q4: q},
		&weight{name: wname + "_scales", dims: []int64{out * kb}, kind: initQ4Scales, q4: q})
	inputs := []string{x, wname + "_Q4", wname + "_scales"}
	if c.Int4ZeroPoints {
		b.weights = append(b.weights, &weight{name: wname + "_zero_points", dims: []int64{out * ((kb + 1) / 2)}, kind: initQ4Zeros, q4: q})
		inputs = append(inputs, wname+"_zero_points")
	}
	return b.node(prefix+"/MatMulNBits", "MatMulNBits", msDomain, inputs, []string{output},
		attrInt("K", in), attrInt("N", out), attrInt("bits", 4),
		attrInt("block_size", Int4Block), attrInt("accuracy_level", int64(c.AccuracyLevel)))[0]
}

// Weight names shared by both flavours, so both get the same values.
func layerName(l int, part string) string { return fmt.Sprintf("model.layers.%d.%s", l, part) }

const (
	embedName  = "model.embed_tokens.weight"
	lmHeadName = "lm_head.MatMul.weight"
	normName   = "model.norm.weight"
)

// embedStd keeps token embeddings small next to what the layers add to the
// residual stream, so that with tied embeddings the current token does not
// dominate its own logits (greedy output would just repeat it).
func (b *builder) embedStd() float64 { return 1 / math.Sqrt(float64(b.cfg.Hidden)) }

// embed looks ids up in the embedding (Gather along axis 1 of the tied
// [hidden, vocab] output matrix, then Transpose, when embeddings are tied).
func (b *builder) embed(ids string) string {
	c := b.cfg
	// int4 exports keep the embedding in full precision beside the 4-bit
	// lm_head, so they are never tied.
	if c.TieEmbeddings && c.DType != DTypeInt4 {
		w := b.addWeight(lmHeadName, initUniform, b.embedStd(), int64(c.Hidden), int64(c.Vocab))
		g := b.node("/model/embed_tokens/Gather", "Gather", "", []string{w, ids}, []string{""}, attrInt("axis", 1))[0]
		return b.node("/model/embed_tokens/Transpose", "Transpose", "", []string{g}, []string{""}, attrInts("perm", 1, 2, 0))[0]
	}
	w := b.addWeight(embedName, initUniform, b.embedStd(), int64(c.Vocab), int64(c.Hidden))
	return b.node("/model/embed_tokens/Gather", "Gather", "", []string{w, ids}, []string{""}, attrInt("axis", 0))[0]
}

// lmHead projects the final hidden state to logits named "logits": of
// every position, of the last logits_to_keep ones, or of the last one with
// a pruned lm_head.
func (b *builder) lmHead(x string) string {
	c := b.cfg
	const p = "/lm_head"
	switch {
	case c.LogitsToKeep != "":
		b.input(c.LogitsToKeep, dtInt64, dims())
		k := b.op(p, "Unsqueeze", []string{c.LogitsToKeep, b.constInt64(false, 0)})
		start := b.op(p, "Neg", []string{k})
		x = b.op(p, "Slice", []string{x, start, b.constInt64(false, math.MaxInt64), b.constInt64(false, 1)})
	case c.PruneLMHead:
		x = b.op(p, "Slice", []string{x, b.constInt64(false, -1), b.constInt64(false, math.MaxInt64), b.constInt64(false, 1)})
	}
	std := 4 / math.Sqrt(float64(c.Hidden))
	switch {
	case c.TieEmbeddings && c.DType != DTypeInt4:
		return b.node(p+"/MatMul", "MatMul", "", []string{x, lmHeadName}, []string{"logits"})[0]
	case c.TieEmbeddings:
		std = b.embedStd()
	}
	return b.linearStd(p, lmHeadName, x, c.Hidden, c.Vocab, std, "logits")
}

// normWeight registers an RMSNorm gain.
func (b *builder) normWeight(name string) string {
	return b.addWeight(name, initNorm, 0.1, int64(b.cfg.Hidden))
}

// rotaryTables registers the cos/sin caches [context, head/2].
func (b *builder) rotaryTables() (cos, sin string) {
	c := b.cfg
	inv := invFreq(c)
	dims := []int64{int64(c.ContextLength), int64(c.HeadSize / 2)}
	b.weights = append(b.weights,
		&weight{name: "cos_cache", dims: dims, kind: initCos, invFreq: inv},
		&weight{name: "sin_cache", dims: dims, kind: initSin, invFreq: inv})
	return "cos_cache", "sin_cache"
}

// invFreq gives the rotary inverse frequencies, with Llama 3.1 scaling
// when configured.
func invFreq(c Config) []float64 {
	half := c.HeadSize / 2
	inv := make([]float64, half)
	for i := range inv {
		inv[i] = 1 / math.Pow(c.RopeTheta, float64(2*i)/float64(c.HeadSize))
	}
	if !c.RopeScaling {
		return inv
	}
	const factor, lowFreqFactor, highFreqFactor, oldContext = 32.0, 1.0, 4.0, 8192.0
	lowWavelen := oldContext / lowFreqFactor
	highWavelen := oldContext / highFreqFactor
	for i, f := range inv {
		wavelen := 2 * math.Pi / f
		switch {
		case wavelen < highWavelen:
		case wavelen > lowWavelen:
			inv[i] = f / factor
		default:
			smooth := (oldContext/wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor)
			inv[i] = (1-smooth)*f/factor + smooth*f
		}
	}
	return inv
}

func dims(ds ...any) []pbDim {
	out := make([]pbDim, len(ds))
	for i, d := range ds {
		switch v := d.(type) {
		case string:
			out[i] = pbDim{param: v}
		case int:
			out[i] = pbDim{value: int64(v)}
		}
	}
	return out
}

func (b *builder) input(name string, elem int32, shape []pbDim) {
	b.g.inputs = append(b.g.inputs, pbValueInfo{name: name, elem: elem, shape: shape})
}

func (b *builder) output(name string, elem int32, shape []pbDim) {
	b.g.outputs = append(b.g.outputs, pbValueInfo{name: name, elem: elem, shape: shape})
}

// kvIO declares the past inputs and present outputs of every layer.
func (b *builder) kvIO() {
	c := b.cfg
	for l := 0; l < c.Layers; l++ {
		for _, kv := range []string{"key", "value"} {
			b.input(fmt.Sprintf("past_key_values.%d.%s", l, kv), b.io, dims("batch_size", c.KVHeads, "past_sequence_length", c.HeadSize))
		}
	}
	switch {
	case c.PruneLMHead:
		b.output("logits", b.io, dims("batch_size", 1, c.Vocab))
	case c.LogitsToKeep != "":
		b.output("logits", b.io, dims("batch_size", "kept_sequence_length", c.Vocab))
	default:
		b.output("logits", b.io, dims("batch_size", "sequence_length", c.Vocab))
	}
	for l := 0; l < c.Layers; l++ {
		for _, kv := range []string{"key", "value"} {
			b.output(fmt.Sprintf("present.%d.%s", l, kv), b.io, dims("batch_size", c.KVHeads, "total_sequence_length", c.HeadSize))
		}
	}
}
