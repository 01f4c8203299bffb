package genmodel

import (
	"fmt"
	"math"
)

// buildOptimum builds the transformers.js/optimum layout with standard ONNX
// ops only: RoPE from position_ids through Gather into cos/sin tables, GQA
// by repeating KV heads, causal and padding mask from attention_mask.
func buildOptimum(c Config) *builder {
	b := newBuilder(c)
	b.input("input_ids", dtInt64, dims("batch_size", "sequence_length"))
	b.input("attention_mask", dtInt64, dims("batch_size", "total_sequence_length"))
	b.input("position_ids", dtInt64, dims("batch_size", "sequence_length"))
	b.kvIO()

	const mp = "/model/mask"
	// bias[b, 0, s, t] = 0 where key t may be seen by query s (t <= past+s
	// and attention_mask[b, t] = 1), else -1e30; fp32.
	one, zero := b.constInt64(true, 1), b.constInt64(true, 0)
	total := b.op(mp, "Gather", []string{b.op(mp, "Shape", []string{"attention_mask"}), one}, attrInt("axis", 0))
	seq := b.op(mp, "Gather", []string{b.op(mp, "Shape", []string{"input_ids"}), one}, attrInt("axis", 0))
	past := b.op(mp, "Sub", []string{total, seq})
	kpos := b.op(mp, "Unsqueeze", []string{b.op(mp, "Range", []string{zero, total, one}), b.constInt64(false, 0)})
	qpos := b.op(mp, "Unsqueeze", []string{b.op(mp, "Range", []string{past, total, one}), b.constInt64(false, 1)})
	causal := b.op(mp, "LessOrEqual", []string{kpos, qpos})
	pad := b.op(mp, "Unsqueeze", []string{b.op(mp, "Cast", []string{"attention_mask"}, attrInt("to", 9)), b.constInt64(false, 1, 2)})
	allowed := b.op(mp, "And", []string{causal, pad})
	bias := b.op(mp, "Where", []string{allowed, b.constFloat(dtFloat, 0), b.constFloat(dtFloat, -1e30)})

	cosT, sinT := b.rotaryTables()
	unsq1 := b.constInt64(false, 1)
	cos := b.op("/model/rotary", "Unsqueeze", []string{b.op("/model/rotary", "Gather", []string{cosT, "position_ids"}, attrInt("axis", 0)), unsq1})
	sin := b.op("/model/rotary", "Unsqueeze", []string{b.op("/model/rotary", "Gather", []string{sinT, "position_ids"}, attrInt("axis", 0)), unsq1})

	x := b.embed("input_ids")
	residual := x
	for l := 0; l < c.Layers; l++ {
		p := fmt.Sprintf("/model/layers.%d", l)
		h := b.rmsNorm(p+"/input_layernorm", residual, b.normWeight(layerName(l, "input_layernorm.weight")))
		q := b.heads(p+"/attn/q", b.linear(p+"/attn/q_proj", layerName(l, "attn.q_proj.MatMul.weight"), h, c.Hidden, c.Heads*c.HeadSize), c.Heads)
		k := b.heads(p+"/attn/k", b.linear(p+"/attn/k_proj", layerName(l, "attn.k_proj.MatMul.weight"), h, c.Hidden, c.KVHeads*c.HeadSize), c.KVHeads)
		v := b.heads(p+"/attn/v", b.linear(p+"/attn/v_proj", layerName(l, "attn.v_proj.MatMul.weight"), h, c.Hidden, c.KVHeads*c.HeadSize), c.KVHeads)
		q = b.rope(p+"/attn/q_rotary", q, cos, sin)
		k = b.rope(p+"/attn/k_rotary", k, cos, sin)
		pk := b.node(p+"/attn/present_key", "Concat", "", []string{fmt.Sprintf("past_key_values.%d.key", l), k}, []string{fmt.Sprintf("present.%d.key", l)}, attrInt("axis", 2))[0]
		pv := b.node(p+"/attn/present_value", "Concat", "", []string{fmt.Sprintf("past_key_values.%d.value", l), v}, []string{fmt.Sprintf("present.%d.value", l)}, attrInt("axis", 2))[0]
		kr, vr := b.repeatKV(p+"/attn/repeat_k", pk), b.repeatKV(p+"/attn/repeat_v", pv)

		ap := p + "/attn"
		scores := b.op(ap, "MatMul", []string{q, b.op(ap, "Transpose", []string{kr}, attrInts("perm", 0, 1, 3, 2))})
		if b.io != dtFloat {
			scores = b.op(ap, "Cast", []string{scores}, attrInt("to", int64(dtFloat)))
		}
		scores = b.op(ap, "Mul", []string{scores, b.constFloat(dtFloat, float32(1/math.Sqrt(float64(c.HeadSize))))})
		probs := b.op(ap, "Softmax", []string{b.op(ap, "Add", []string{scores, bias})}, attrInt("axis", -1))
		if b.io != dtFloat {
			probs = b.op(ap, "Cast", []string{probs}, attrInt("to", int64(b.io)))
		}
		ctx := b.op(ap, "MatMul", []string{probs, vr})
		ctx = b.op(ap, "Transpose", []string{ctx}, attrInts("perm", 0, 2, 1, 3))
		ctx = b.op(ap, "Reshape", []string{ctx, b.constInt64(false, 0, 0, int64(c.Heads*c.HeadSize))})
		o := b.linear(p+"/attn/o_proj", layerName(l, "attn.o_proj.MatMul.weight"), ctx, c.Heads*c.HeadSize, c.Hidden)
		residual = b.op(p, "Add", []string{residual, o})

		h = b.rmsNorm(p+"/post_attention_layernorm", residual, b.normWeight(layerName(l, "post_attention_layernorm.weight")))
		residual = b.op(p, "Add", []string{residual, b.mlp(p, l, h)})
	}
	final := b.rmsNorm("/model/norm", residual, b.normWeight(normName))
	b.lmHead(final)
	return b
}

// rmsNorm is LlamaRMSNorm: computed in fp32, cast back, times the gain.
func (b *builder) rmsNorm(p, x, w string) string {
	xf := x
	if b.io != dtFloat {
		xf = b.op(p, "Cast", []string{x}, attrInt("to", int64(dtFloat)))
	}
	ms := b.op(p, "ReduceMean", []string{b.op(p, "Mul", []string{xf, xf}), b.constInt64(false, -1)}, attrInt("keepdims", 1))
	r := b.op(p, "Reciprocal", []string{b.op(p, "Sqrt", []string{b.op(p, "Add", []string{ms, b.constFloat(dtFloat, float32(b.cfg.RMSNormEps))})})})
	y := b.op(p, "Mul", []string{xf, r})
	if b.io != dtFloat {
		y = b.op(p, "Cast", []string{y}, attrInt("to", int64(b.io)))
	}
	return b.op(p, "Mul", []string{w, y})
}

// heads reshapes [B, S, n*D] to [B, n, S, D].
func (b *builder) heads(p, x string, n int) string {
	r := b.op(p, "Reshape", []string{x, b.constInt64(false, 0, 0, int64(n), int64(b.cfg.HeadSize))})
	return b.op(p, "Transpose", []string{r}, attrInts("perm", 0, 2, 1, 3))
}

// rope applies non-interleaved rotary embedding (rotate_half) to [B, n, S, D]
// with cos/sin of shape [B, 1, S, D/2].
func (b *builder) rope(p, x, cos, sin string) string {
	half := int64(b.cfg.HeadSize / 2)
	parts := b.node(fmt.Sprintf("%s/Split_%d", p, b.count), "Split", "", []string{x, b.constInt64(false, half, half)}, []string{"", ""}, attrInt("axis", -1))
	x1, x2 := parts[0], parts[1]
	o1 := b.op(p, "Sub", []string{b.op(p, "Mul", []string{x1, cos}), b.op(p, "Mul", []string{x2, sin})})
	o2 := b.op(p, "Add", []string{b.op(p, "Mul", []string{x2, cos}), b.op(p, "Mul", []string{x1, sin})})
	return b.op(p, "Concat", []string{o1, o2}, attrInt("axis", -1))
}

// repeatKV turns [B, kvH, T, D] into [B, H, T, D] by repeating each KV head
// Heads/KVHeads times (adjacent query heads share a KV head).
func (b *builder) repeatKV(p, x string) string {
	c := b.cfg
	g := int64(c.Heads / c.KVHeads)
	if g == 1 {
		return x
	}
	u := b.op(p, "Unsqueeze", []string{x, b.constInt64(false, 2)})
	e := b.op(p, "Expand", []string{u, b.constInt64(false, 1, 1, g, 1, 1)})
	return b.op(p, "Reshape", []string{e, b.constInt64(false, 0, int64(c.Heads), -1, int64(c.HeadSize))})
}
