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
// as -Inf and the lowest index wins a tie (ArgMax with select_last_index 0;
// -0 and +0 compare equal). The logits are cast to fp32 first (exact, order
// and ties preserved) so that the graph needs only kernels every execution
// provider has: Cast, Equal, Where, ArgMax. The ONNX engine runs it on the
// model's device over the device-resident logits, so a greedy step copies
// 8 bytes per row to the host instead of a row of logits.
func ArgmaxModel(fp16 bool) []byte {
	in := dtFloat
	if fp16 {
		in = dtFloat16
	}
	negInf := make([]byte, 4)
	binary.LittleEndian.PutUint32(negInf, math.Float32bits(float32(math.Inf(-1))))
	g := pbGraph{
		name: "llsum_greedy_argmax",
		inits: []*pbTensor{
			{name: "neg_inf", dtype: dtFloat, raw: negInf},
		},
		inputs:  []pbValueInfo{{name: ArgmaxInput, elem: in, shape: dims("batch", "seq", "vocab")}},
		outputs: []pbValueInfo{{name: ArgmaxOutput, elem: dtInt64, shape: dims("batch", "seq")}},
	}
	x := ArgmaxInput
	if fp16 {
		g.nodes = append(g.nodes, &pbNode{name: "cast", op: "Cast", inputs: []string{x}, outputs: []string{"x32"},
			attrs: []pbAttr{attrInt("to", int64(dtFloat))}})
		x = "x32"
	}
	g.nodes = append(g.nodes,
		// x == x is false only for NaN.
		&pbNode{name: "not_nan", op: "Equal", inputs: []string{x, x}, outputs: []string{"ok"}},
		&pbNode{name: "nan_to_neg_inf", op: "Where", inputs: []string{"ok", x, "neg_inf"}, outputs: []string{"clean"}},
		&pbNode{name: "argmax", op: "ArgMax", inputs: []string{"clean"}, outputs: []string{ArgmaxOutput},
			attrs: []pbAttr{attrInt("axis", -1), attrInt("keepdims", 0), attrInt("select_last_index", 0)}},
	)
	m := &pbModel{irVersion: 8, producer: "llsum genmodel", opsets: []pbOpset{{domain: "", version: 13}}, graph: &g}
	return m.marshal()
}
