package genmodel

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// TestInt4Conformance: an int4 graph (MatMulNBits, block 32) computes what
// its dequantized fp32 twin computes, in both flavours, both I/O
// precisions, symmetric and with zero points, and with the accuracy levels
// the builder writes (0, and 4: int8 activations on the CPU, so looser).
func TestInt4Conformance(t *testing.T) {
	for _, tc := range []struct {
		flavour, io string
		zp          bool
		acc         int
		tol         float64 // of the logit spread
		sameTokens  bool
	}{
		{FlavourGenAI, DTypeFP32, false, 0, 1e-4, true},
		{FlavourGenAI, DTypeFP32, true, 0, 1e-4, true},
		{FlavourGenAI, DTypeFP32, false, 4, 3e-2, false},
		{FlavourGenAI, DTypeFP16, false, 0, 2e-2, false},
		{FlavourGenAI, DTypeFP16, true, 0, 2e-2, false},
		{FlavourOptimum, DTypeFP32, true, 4, 3e-2, false},
		{FlavourOptimum, DTypeFP16, false, 0, 2e-2, false},
	} {
		t.Run(fmt.Sprintf("%s-%s-zp=%v-acc%d", tc.flavour, tc.io, tc.zp, tc.acc), func(t *testing.T) {
			cfg := tinyCfg(tc.flavour, DTypeInt4)
			cfg.IO, cfg.Int4ZeroPoints, cfg.AccuracyLevel = tc.io, tc.zp, tc.acc
			twin := cfg
			twin.IO, twin.Dequantized, twin.AccuracyLevel = DTypeFP32, true, 0
			dir := writeModel(t, cfg)
			m := readModel(t, filepath.Join(dir, cfg.GraphPath()))
			nbits := 0
			for _, n := range m.graph.nodes {
				if n.op != "MatMulNBits" {
					continue
				}
				nbits++
				attrs := map[string]int64{}
				for _, a := range n.attrs {
					attrs[a.name] = a.i
				}
				if attrs["bits"] != 4 || attrs["block_size"] != Int4Block || attrs["accuracy_level"] != int64(tc.acc) || len(n.inputs) != map[bool]int{false: 3, true: 4}[tc.zp] {
					t.Errorf("%s: attrs %v inputs %v", n.name, attrs, n.inputs)
				}
			}
			// 7 per layer and lm_head; genai packs Q/K/V into one, as the
			// builder does.
			want := 7*cfg.Layers + 1
			if tc.flavour == FlavourGenAI {
				want = 5*cfg.Layers + 1
				for _, n := range m.graph.nodes {
					if n.op == "GroupQueryAttention" && (n.inputs[1] != "" || n.inputs[2] != "" || !strings.Contains(n.inputs[0], "/attn/qkv_proj/")) {
						t.Errorf("%s: inputs %v, want the packed qkv_proj output alone", n.name, n.inputs[:3])
					}
				}
			}
			if nbits != want {
				t.Errorf("%d MatMulNBits nodes, want %d", nbits, want)
			}
			var rows [2][][]float32
			var toks [2][]int64
			for i, c := range []Config{cfg, twin} {
				d := dir
				if i == 1 {
					d = writeModel(t, c)
				}
				r := newRunner(t, d, c)
				pre := r.step(t, prompt)
				toks[i], rows[i] = r.generate(t, []int64{7}, 8)
				rows[i] = append(pre, rows[i]...)
			}
			worst := 0.0
			for i := range rows[0] {
				d, spread := maxDiff(rows[1][i], rows[0][i])
				worst = max(worst, d/spread)
			}
			t.Logf("largest difference %.2g of the spread; tokens %v, twin %v", worst, toks[0], toks[1])
			if worst > tc.tol {
				t.Fatalf("int4 and its dequantized twin differ by %.3g of the logit spread (tolerance %g)", worst, tc.tol)
			}
			if tc.sameTokens && !equalInts(toks[0], toks[1]) {
				t.Errorf("greedy tokens differ: int4 %v, twin %v", toks[0], toks[1])
			}
		})
	}
}

// A packed weight holds its parts' values side by side: the same 4-bit
// values, zero points and scales, its bytes the parts' bytes in turn.
func TestPackQ4(t *testing.T) {
	for _, zp := range []bool{false, true} {
		parts := []*q4{newQ4(1, 70, 5, 0.1, zp), newQ4(2, 70, 3, 0.2, zp), newQ4(3, 70, 2, 0.3, zp)}
		p := packQ4(parts...)
		if p.n != 10 || p.k != 70 {
			t.Fatalf("packed shape %d × %d", p.k, p.n)
		}
		var data, zeros []byte
		for _, x := range parts {
			for i := int64(0); i < x.n*x.blocks()*Int4Block/2; i++ {
				data = append(data, x.dataByte(i))
			}
			for i := int64(0); i < x.n*((x.blocks()+1)/2); i++ {
				zeros = append(zeros, x.zeroByte(i))
			}
		}
		for i, b := range data {
			if got := p.dataByte(int64(i)); got != b {
				t.Fatalf("zp=%v: data byte %d is %#x, want %#x", zp, i, got, b)
			}
		}
		for i, b := range zeros {
			if got := p.zeroByte(int64(i)); got != b {
				t.Fatalf("zp=%v: zero-point byte %d is %#x, want %#x", zp, i, got, b)
			}
		}
		n := int64(0)
		for _, x := range parts {
			for j := int64(0); j < x.n; j++ {
				for k := int64(0); k < x.k; k++ {
					if p.dequant(k, n+j) != x.dequant(k, j) {
						t.Fatalf("zp=%v: element (%d, %d) differs", zp, k, n+j)
					}
				}
			}
			n += x.n
		}
	}
}

// The int4 files are about a quarter of the fp16 ones, and the optimum
// graph is named as transformers.js names its variants.
func TestInt4Files(t *testing.T) {
	for _, tc := range []struct {
		io, want string
	}{{DTypeFP32, "onnx/model_q4.onnx"}, {DTypeFP16, "onnx/model_q4f16.onnx"}} {
		cfg := tinyCfg(FlavourOptimum, DTypeInt4)
		cfg.IO = tc.io
		if got := cfg.GraphPath(); got != tc.want {
			t.Errorf("graph path %s, want %s", got, tc.want)
		}
	}
	// Packed values are [N, K/32, 16] bytes, scales N×K/32 in the I/O type.
	cfg := tinyCfg(FlavourGenAI, DTypeInt4)
	cfg.IO = DTypeFP16
	m := readModel(t, filepath.Join(writeModel(t, cfg), "model.onnx"))
	got := map[string]string{}
	for _, in := range m.graph.inits {
		got[in.name] = fmt.Sprint(in.dtype, in.dims, len(in.raw))
	}
	for name, want := range map[string]string{
		"model.layers.0.mlp.down_proj.MatMul.weight_Q4":     "2 [64 4 16] 4096",
		"model.layers.0.mlp.down_proj.MatMul.weight_scales": "10 [256] 512",
		"lm_head.MatMul.weight_Q4":                          "2 [512 2 16] 16384",
		"model.embed_tokens.weight":                         "10 [512 64] 65536",
	} {
		if got[name] != want {
			t.Errorf("%s: %q, want %q", name, got[name], want)
		}
	}
}
