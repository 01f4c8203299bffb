package genmodel

import (
	"encoding/binary"
	"math"
)

// Argmax names of the greedy-argmax graph's input and output.
const (
	ArgmaxInput  = "logits"
	ArgmaxOutput = "ids"
)

// ArgmaxModel returns a small ONNX model that reduces logits [batch, seq,
// vocab] (fp16 when fp16, else fp32) to the id of each row's largest logit,
// ids [batch, seq] int64, with the engine's CPU argmax semantics: NaN counts
// as -Inf, -0 equals +0, and the lowest index wins a tie. The tie rule does
// not rest on how a provider's ArgMax kernel breaks ties (the ONNX ArgMax
// rule is not what every GPU kernel does): the graph takes each row's
// maximum, marks the positions equal to it and keeps the smallest marked
// index, all with exact operations (Cast to fp32 first: exact, order and
// ties preserved; the indices are fp32 values, exact below 2^24 > vocab).
// It needs only kernels every execution provider has: Cast, Equal, Where,
// ReduceMax, ReduceMin. The ONNX engine runs it on the model's device over
// the device-resident logits, so a greedy step copies 8 bytes per row to the
// host instead of a row of logits. vocab fixes the last dimension.
func ArgmaxModel(fp16 bool, vocab int) []byte {
	in := dtFloat
	if fp16 {
		in = dtFloat16
	}
	f32 := func(name string, dims []int64, vals ...float32) *pbTensor {
		raw := make([]byte, 4*len(vals))
		for i, v := range vals {
			binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
		}
		return &pbTensor{name: name, dtype: dtFloat, dims: dims, raw: raw}
	}
	iota := make([]float32, vocab)
	for i := range iota {
		iota[i] = float32(i)
	}
	g := pbGraph{
		name: "llsum_greedy_argmax",
		inits: []*pbTensor{
			f32("neg_inf", nil, float32(math.Inf(-1))),
			f32("past_end", nil, float32(vocab)),
			f32("index", []int64{int64(vocab)}, iota...),
		},
		inputs:  []pbValueInfo{{name: ArgmaxInput, elem: in, shape: dims("batch", "seq", vocab)}},
		outputs: []pbValueInfo{{name: ArgmaxOutput, elem: dtInt64, shape: dims("batch", "seq")}},
	}
	x := ArgmaxInput
	if fp16 {
		g.nodes = append(g.nodes, &pbNode{name: "cast", op: "Cast", inputs: []string{x}, outputs: []string{"x32"},
			attrs: []pbAttr{attrInt("to", int64(dtFloat))}})
		x = "x32"
	}
	node := func(name, op string, inputs []string, out string, attrs ...pbAttr) {
		g.nodes = append(g.nodes, &pbNode{name: name, op: op, inputs: inputs, outputs: []string{out}, attrs: attrs})
	}
	node("not_nan", "Equal", []string{x, x}, "ok") // false only for NaN
	node("nan_to_neg_inf", "Where", []string{"ok", x, "neg_inf"}, "clean")
	node("row_max", "ReduceMax", []string{"clean"}, "max", attrInts("axes", -1), attrInt("keepdims", 1))
	node("is_max", "Equal", []string{"clean", "max"}, "hit")
	node("hit_index", "Where", []string{"hit", "index", "past_end"}, "cand")
	node("first_hit", "ReduceMin", []string{"cand"}, "first", attrInts("axes", -1), attrInt("keepdims", 0))
	node("to_int64", "Cast", []string{"first"}, ArgmaxOutput, attrInt("to", int64(dtInt64)))
	m := &pbModel{irVersion: 8, producer: "llsum genmodel", opsets: []pbOpset{{domain: "", version: 13}}, graph: &g}
	return m.marshal()
}
