package genmodel

import (
	"slices"
	"testing"
)

// TestArgmaxModel: the greedy-argmax graph decodes, with the fp16 cast only
// for fp16 logits, the vocabulary fixed, and the tie rule built from exact
// reductions (no ArgMax kernel, whose tie handling varies by provider).
func TestArgmaxModel(t *testing.T) {
	for _, c := range []struct {
		fp16 bool
		ops  []string
		elem int32
	}{
		{true, []string{"Cast", "Equal", "Where", "ReduceMax", "Equal", "Where", "ReduceMin", "Cast"}, dtFloat16},
		{false, []string{"Equal", "Where", "ReduceMax", "Equal", "Where", "ReduceMin", "Cast"}, dtFloat},
	} {
		m, err := decodeModel(ArgmaxModel(c.fp16, 300))
		if err != nil {
			t.Fatal(err)
		}
		var ops []string
		for _, n := range m.graph.nodes {
			ops = append(ops, n.op)
		}
		in, out := m.graph.inputs, m.graph.outputs
		if !slices.Equal(ops, c.ops) || len(in) != 1 || in[0].name != ArgmaxInput || in[0].elem != c.elem ||
			in[0].shape[2].value != 300 || len(out) != 1 || out[0].name != ArgmaxOutput || out[0].elem != dtInt64 {
			t.Errorf("fp16=%v: ops %v, inputs %+v, outputs %+v", c.fp16, ops, in, out)
		}
		var index *pbTensor
		for _, it := range m.graph.inits {
			if it.name == "index" {
				index = it
			}
		}
		if index == nil || len(index.raw) != 4*300 || !slices.Equal(index.dims, []int64{300}) {
			t.Errorf("index initializer %+v", index)
		}
	}
}
