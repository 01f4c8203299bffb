package genmodel

import (
	"fmt"
	"math"
)

// buildGenAI builds the onnxruntime-genai builder layout: GroupQueryAttention
// with fused rotary, (Skip)SimplifiedLayerNormalization, no position_ids,
// seqlens_k and total_sequence_length computed from attention_mask.
func buildGenAI(c Config) *builder {
	b := newBuilder(c)
	idType := dtInt64
	if c.Int32IDs {
		idType = dtInt32
	}
	b.input("input_ids", idType, dims("batch_size", "sequence_length"))
	b.input("attention_mask", dtInt64, dims("batch_size", "total_sequence_length"))
	b.kvIO()

	// seqlens_k = sum(attention_mask, 1) - 1 and total_sequence_length =
	// shape(attention_mask)[1], both int32, as the builder computes them.
	const sub = "/model/attn_mask_reformat/attn_mask_subgraph"
	// Like the builder, seqlens_k keeps shape [batch_size, 1].
	rs := b.node(sub+"/ReduceSum", "ReduceSum", "", []string{"attention_mask", b.constInt64(false, 1)}, []string{""})[0]
	sb := b.node(sub+"/Sub", "Sub", "", []string{rs, b.constInt64(false, 1)}, []string{""})[0]
	seqlens := b.node(sub+"/Sub/Cast", "Cast", "", []string{sb}, []string{""}, attrInt("to", int64(dtInt32)))[0]
	sh := b.node(sub+"/Shape", "Shape", "", []string{"attention_mask"}, []string{""})[0]
	ga := b.node(sub+"/Gather", "Gather", "", []string{sh, b.constInt64(true, 1)}, []string{""}, attrInt("axis", 0))[0]
	total := b.node(sub+"/Gather/Cast", "Cast", "", []string{ga}, []string{""}, attrInt("to", int64(dtInt32)))[0]

	cos, sin := b.rotaryTables()
	x := b.embed("input_ids")
	eps := float32(c.RMSNormEps)
	var residual, hidden string
	for l := 0; l < c.Layers; l++ {
		p := fmt.Sprintf("/model/layers.%d", l)
		ln1 := b.normWeight(layerName(l, "input_layernorm.weight"))
		if l == 0 {
			residual = x
			hidden = b.node(p+"/input_layernorm/LayerNorm", "SimplifiedLayerNormalization", "", []string{x, ln1}, []string{""},
				attrInt("axis", -1), attrFloat("epsilon", eps), attrInt("stash_type", 1))[0]
		} else {
			out := b.node(p+"/input_layernorm/SkipLayerNorm", "SkipSimplifiedLayerNormalization", msDomain,
				[]string{residual, x, ln1}, []string{"", "-", "-", ""}, attrFloat("epsilon", eps))
			hidden, residual = out[0], out[3]
		}
		var q, k, v string
		if c.DType == DTypeInt4 {
			// The builder packs Q/K/V into one MatMul (on every
			// execution provider but DirectML); its int4 exports are
			// what CPU users download.
			q = b.packedQKV(p+"/attn/qkv_proj", l, hidden)
		} else {
			q = b.linear(p+"/attn/q_proj", layerName(l, "attn.q_proj.MatMul.weight"), hidden, c.Hidden, c.Heads*c.HeadSize)
			k = b.linear(p+"/attn/k_proj", layerName(l, "attn.k_proj.MatMul.weight"), hidden, c.Hidden, c.KVHeads*c.HeadSize)
			v = b.linear(p+"/attn/v_proj", layerName(l, "attn.v_proj.MatMul.weight"), hidden, c.Hidden, c.KVHeads*c.HeadSize)
		}
		attn := b.node(p+"/attn/GroupQueryAttention", "GroupQueryAttention", msDomain,
			[]string{q, k, v, fmt.Sprintf("past_key_values.%d.key", l), fmt.Sprintf("past_key_values.%d.value", l), seqlens, total, cos, sin},
			[]string{"", fmt.Sprintf("present.%d.key", l), fmt.Sprintf("present.%d.value", l)},
			attrInt("num_heads", int64(c.Heads)), attrInt("kv_num_heads", int64(c.KVHeads)),
			attrFloat("scale", float32(1/math.Sqrt(float64(c.HeadSize)))),
			attrInt("local_window_size", -1), attrFloat("softcap", 0),
			attrInt("do_rotary", 1), attrInt("rotary_interleaved", 0))[0]
		o := b.linear(p+"/attn/o_proj", layerName(l, "attn.o_proj.MatMul.weight"), attn, c.Heads*c.HeadSize, c.Hidden)
		ln2 := b.normWeight(layerName(l, "post_attention_layernorm.weight"))
		out := b.node(p+"/post_attention_layernorm/SkipLayerNorm", "SkipSimplifiedLayerNormalization", msDomain,
			[]string{residual, o, ln2}, []string{"", "-", "-", ""}, attrFloat("epsilon", eps))
		hidden, residual = out[0], out[3]
		x = b.mlp(p, l, hidden)
	}
	norm := b.normWeight(normName)
	final := b.node("/model/layers."+fmt.Sprint(c.Layers)+"/final_norm_layernorm/SkipLayerNorm", "SkipSimplifiedLayerNormalization", msDomain,
		[]string{residual, x, norm}, []string{""}, attrFloat("epsilon", eps))[0]
	b.lmHead(final)
	return b
}

// mlp is Llama's SwiGLU feed-forward block: down(silu(gate(x)) * up(x)).
func (b *builder) mlp(p string, l int, x string) string {
	c := b.cfg
	gate := b.linear(p+"/mlp/gate_proj", layerName(l, "mlp.gate_proj.MatMul.weight"), x, c.Hidden, c.Intermediate)
	up := b.linear(p+"/mlp/up_proj", layerName(l, "mlp.up_proj.MatMul.weight"), x, c.Hidden, c.Intermediate)
	sig := b.node(p+"/mlp/act_fn/Sigmoid", "Sigmoid", "", []string{gate}, []string{""})[0]
	act := b.node(p+"/mlp/act_fn/Mul", "Mul", "", []string{gate, sig}, []string{""})[0]
	m := b.node(p+"/mlp/Mul", "Mul", "", []string{act, up}, []string{""})[0]
	return b.linear(p+"/mlp/down_proj", layerName(l, "mlp.down_proj.MatMul.weight"), m, c.Intermediate, c.Hidden)
}
