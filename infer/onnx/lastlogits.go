package onnx

import (
	"errors"
	"fmt"
	"math"
	"os"

	"google.golang.org/protobuf/encoding/protowire"
)

// Graphs as the onnxruntime-genai builder writes them compute logits for
// every position of the forward pass ([batch, sequence, vocab]): during
// prefill that is one vocabulary-wide lm_head product per prompt token (a
// 128K vocabulary makes it the largest matrix of a 1B model) and a chunk ×
// vocab output, of which the engine reads the last row only. lastLogitsGraph
// rewrites such a graph in memory, at model open, so that the lm_head sees
// the last position's hidden state only: a Slice of position -1 on the
// lm_head's input, and logits declared [batch, 1, vocab], the shape of a
// pruned lm_head that the engine already runs (ModelSpec.LastLogits).
//
// The rewrite splices the protobuf: it copies every field of the model as
// it is except the lm_head node (its first input renamed), the logits
// output (its sequence dimension fixed to 1) and the value_info of the
// tensors between the lm_head and the logits (dropped, ONNX Runtime infers
// them), and adds the Slice node with its three constant inputs. Weights in
// external data files stay where they are; the session reads them from the
// model's folder (session.model_external_initializers_file_folder_path).

// Field numbers of onnx.proto used below.
const (
	modelOpset  = 8 // ModelProto.opset_import
	modelGraph  = 7 // ModelProto.graph
	opsetDomain = 1 // OperatorSetIdProto.domain
	opsetVer    = 2 // OperatorSetIdProto.version

	graphNode      = 1  // GraphProto.node
	graphInit      = 5  // GraphProto.initializer
	graphOutput    = 12 // GraphProto.output
	graphValueInfo = 13 // GraphProto.value_info

	nodeInput  = 1 // NodeProto.input
	nodeOutput = 2 // NodeProto.output
	nodeName   = 3 // NodeProto.name
	nodeOp     = 4 // NodeProto.op_type
	nodeDomain = 7 // NodeProto.domain

	tensorDims  = 1 // TensorProto.dims
	tensorType  = 2 // TensorProto.data_type
	tensorName  = 8 // TensorProto.name
	tensorRaw   = 9 // TensorProto.raw_data
	tensorInt64 = 7 // TensorProto.DataType INT64
)

// errNoRewrite says the graph is not of a shape the rewrite knows; the
// engine then runs it as written.
var errNoRewrite = errors.New("graph not rewritten")

// field is one protobuf field: its number and its whole encoding (tag
// included), and for length-delimited fields the body.
type field struct {
	num  protowire.Number
	typ  protowire.Type
	raw  []byte
	body []byte
	v    uint64 // varint value
}

// pbFields splits a message into its fields, in order.
func pbFields(b []byte) ([]field, error) {
	var out []field
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil, errCorrupt
		}
		m := protowire.ConsumeFieldValue(num, typ, b[n:])
		if m < 0 {
			return nil, errCorrupt
		}
		f := field{num: num, typ: typ, raw: b[:n+m]}
		switch typ {
		case protowire.BytesType:
			f.body, _ = protowire.ConsumeBytes(b[n:])
		case protowire.VarintType:
			f.v, _ = protowire.ConsumeVarint(b[n:])
		}
		out = append(out, f)
		b = b[n+m:]
	}
	return out, nil
}

// pbNode is what the rewrite reads of a NodeProto.
type pbNode struct {
	raw        []byte // the whole graph field
	op, domain string
	name       string
	ins, outs  []string
	fields     []field
}

func readNode(f field) (*pbNode, error) {
	fs, err := pbFields(f.body)
	if err != nil {
		return nil, err
	}
	n := &pbNode{raw: f.raw, fields: fs}
	for _, x := range fs {
		if x.typ != protowire.BytesType {
			continue
		}
		switch x.num {
		case nodeInput:
			n.ins = append(n.ins, string(x.body))
		case nodeOutput:
			n.outs = append(n.outs, string(x.body))
		case nodeOp:
			n.op = string(x.body)
		case nodeDomain:
			n.domain = string(x.body)
		case nodeName:
			n.name = string(x.body)
		}
	}
	return n, nil
}

// messageName reads the string field num of a message (a TensorProto's or
// ValueInfoProto's name).
func messageName(body []byte, num protowire.Number) (string, error) {
	fs, err := pbFields(body)
	if err != nil {
		return "", err
	}
	for _, f := range fs {
		if f.num == num && f.typ == protowire.BytesType {
			return string(f.body), nil
		}
	}
	return "", nil
}

// maxRewriteBytes bounds the graph files rewritten at open: the rewrite
// holds the file and its rewritten copy in memory until ONNX Runtime has
// parsed them, which costs nothing for graphs whose weights are in external
// data files (the builder's, about 100 KB) but would add twice the weights
// to peak memory for a graph with inline weights.
const maxRewriteBytes = 256 << 20

// rewriteSize says whether the graph file is small enough to rewrite.
func rewriteSize(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Size() <= maxRewriteBytes
}

// lastLogitsFile reads the graph file and rewrites it (see lastLogitsGraph).
func lastLogitsFile(path, logits string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return lastLogitsGraph(b, logits)
}

// lastLogitsGraph returns the model with the lm_head fed the last position
// only and the output logits declared [batch, 1, vocab]. It fails with
// errNoRewrite when the path from the logits back to the lm_head is not one
// it knows (MatMul or MatMulNBits, then only Cast, Identity, Tanh or
// elementwise ops with a constant operand).
func lastLogitsGraph(model []byte, logits string) ([]byte, error) {
	mf, err := pbFields(model)
	if err != nil {
		return nil, err
	}
	var graph *field
	opset := int64(-1)
	for i, f := range mf {
		switch {
		case f.num == modelGraph && f.typ == protowire.BytesType:
			graph = &mf[i]
		case f.num == modelOpset && f.typ == protowire.BytesType:
			ofs, err := pbFields(f.body)
			if err != nil {
				return nil, err
			}
			domain, ver := "", int64(0)
			for _, o := range ofs {
				if o.num == opsetDomain && o.typ == protowire.BytesType {
					domain = string(o.body)
				}
				if o.num == opsetVer && o.typ == protowire.VarintType {
					ver = int64(o.v)
				}
			}
			if domain == "" || domain == "ai.onnx" {
				opset = ver
			}
		}
	}
	if graph == nil {
		return nil, fmt.Errorf("no graph: %w", errNoRewrite)
	}
	if opset < 10 {
		return nil, fmt.Errorf("opset %d (Slice takes its axes as an input from opset 10): %w", opset, errNoRewrite)
	}
	gf, err := pbFields(graph.body)
	if err != nil {
		return nil, err
	}
	producer := map[string]*pbNode{}
	consts := map[string]bool{}
	names := map[string]bool{}
	for _, f := range gf {
		switch {
		case f.num == graphNode && f.typ == protowire.BytesType:
			n, err := readNode(f)
			if err != nil {
				return nil, err
			}
			for _, o := range n.outs {
				producer[o] = n
				names[o] = true
				if n.op == "Constant" && n.domain == "" {
					consts[o] = true
				}
			}
		case f.num == graphInit && f.typ == protowire.BytesType:
			name, err := messageName(f.body, tensorName)
			if err != nil {
				return nil, err
			}
			consts[name], names[name] = true, true
		}
	}
	// Walk back from the logits to the lm_head product.
	var lm *pbNode
	between := map[string]bool{} // tensors from the lm_head output to the logits
	t := logits
	for depth := 0; lm == nil; depth++ {
		n := producer[t]
		if n == nil || depth > 8 {
			return nil, fmt.Errorf("logits %q: no lm_head MatMul found: %w", logits, errNoRewrite)
		}
		between[t] = true
		switch {
		case (n.op == "MatMul" && n.domain == "") || (n.op == "MatMulNBits" && n.domain == "com.microsoft"):
			if len(n.ins) < 2 || consts[n.ins[0]] {
				return nil, fmt.Errorf("lm_head %s: unexpected inputs: %w", n.name, errNoRewrite)
			}
			lm = n
		case (n.op == "Cast" || n.op == "Identity" || n.op == "Tanh") && n.domain == "":
			t = n.ins[0]
		case (n.op == "Add" || n.op == "Mul" || n.op == "Div" || n.op == "Sub") && n.domain == "" && len(n.ins) == 2:
			switch {
			case consts[n.ins[1]] && !consts[n.ins[0]]:
				t = n.ins[0]
			case consts[n.ins[0]] && !consts[n.ins[1]]:
				t = n.ins[1]
			default:
				return nil, fmt.Errorf("logits %q: %s %s has no constant operand: %w", logits, n.op, n.name, errNoRewrite)
			}
		default:
			return nil, fmt.Errorf("logits %q: produced through %s %s: %w", logits, n.op, n.name, errNoRewrite)
		}
	}
	const prefix = "/llsum/last_position/"
	sliced, starts, ends, axes := prefix+"output_0", prefix+"starts", prefix+"ends", prefix+"axes"
	for _, n := range []string{sliced, starts, ends, axes} {
		if names[n] {
			return nil, fmt.Errorf("name %q already in the graph: %w", n, errNoRewrite)
		}
	}
	var g []byte
	outFound := false
	for _, f := range gf {
		switch {
		case f.num == graphNode && f.typ == protowire.BytesType && &f.raw[0] == &lm.raw[0]:
			slice := appendStrings(nil, nodeInput, lm.ins[0], starts, ends, axes)
			slice = appendStrings(slice, nodeOutput, sliced)
			slice = appendStrings(slice, nodeName, prefix+"Slice")
			slice = appendStrings(slice, nodeOp, "Slice")
			g = protowire.AppendTag(g, graphNode, protowire.BytesType)
			g = protowire.AppendBytes(g, slice)
			g = protowire.AppendTag(g, graphNode, protowire.BytesType)
			g = protowire.AppendBytes(g, renameFirstInput(lm.fields, sliced))
		case f.num == graphOutput && f.typ == protowire.BytesType:
			name, err := messageName(f.body, 1)
			if err != nil {
				return nil, err
			}
			if name != logits {
				g = append(g, f.raw...)
				continue
			}
			vi, err := fixSequenceDim(f.body)
			if err != nil {
				return nil, err
			}
			outFound = true
			g = protowire.AppendTag(g, graphOutput, protowire.BytesType)
			g = protowire.AppendBytes(g, vi)
		case f.num == graphValueInfo && f.typ == protowire.BytesType:
			name, err := messageName(f.body, 1)
			if err != nil {
				return nil, err
			}
			if !between[name] {
				g = append(g, f.raw...)
			}
		default:
			g = append(g, f.raw...)
		}
	}
	if !outFound {
		return nil, fmt.Errorf("no output %q: %w", logits, errNoRewrite)
	}
	for _, c := range []struct {
		name string
		v    int64
	}{{starts, -1}, {ends, math.MaxInt64}, {axes, 1}} {
		var tp []byte
		tp = protowire.AppendTag(tp, tensorDims, protowire.VarintType)
		tp = protowire.AppendVarint(tp, 1)
		tp = protowire.AppendTag(tp, tensorType, protowire.VarintType)
		tp = protowire.AppendVarint(tp, tensorInt64)
		tp = appendStrings(tp, tensorName, c.name)
		tp = protowire.AppendTag(tp, tensorRaw, protowire.BytesType)
		tp = protowire.AppendBytes(tp, protowire.AppendFixed64(nil, uint64(c.v)))
		g = protowire.AppendTag(g, graphInit, protowire.BytesType)
		g = protowire.AppendBytes(g, tp)
	}
	out := make([]byte, 0, len(model)+256)
	for _, f := range mf {
		if &f.raw[0] == &graph.raw[0] {
			out = protowire.AppendTag(out, modelGraph, protowire.BytesType)
			out = protowire.AppendBytes(out, g)
			continue
		}
		out = append(out, f.raw...)
	}
	return out, nil
}

func appendStrings(b []byte, num protowire.Number, ss ...string) []byte {
	for _, s := range ss {
		b = protowire.AppendTag(b, num, protowire.BytesType)
		b = protowire.AppendString(b, s)
	}
	return b
}

// renameFirstInput re-encodes a NodeProto with its first input replaced.
func renameFirstInput(fs []field, name string) []byte {
	var b []byte
	done := false
	for _, f := range fs {
		if !done && f.num == nodeInput && f.typ == protowire.BytesType {
			b = appendStrings(b, nodeInput, name)
			done = true
			continue
		}
		b = append(b, f.raw...)
	}
	return b
}

// fixSequenceDim re-encodes a ValueInfoProto of a rank-3 tensor with its
// second dimension set to 1 (ValueInfoProto.type 2 → TypeProto.tensor_type
// 1 → shape 2 → dim 1, the second one → Dimension.dim_value 1).
func fixSequenceDim(vi []byte) ([]byte, error) {
	var err error
	// rewrite re-encodes the message b, passing field num's body through fn.
	rewrite := func(b []byte, num protowire.Number, fn func([]byte) ([]byte, error)) ([]byte, error) {
		fs, err := pbFields(b)
		if err != nil {
			return nil, err
		}
		var out []byte
		for _, f := range fs {
			if f.num != num || f.typ != protowire.BytesType {
				out = append(out, f.raw...)
				continue
			}
			nb, err := fn(f.body)
			if err != nil {
				return nil, err
			}
			out = protowire.AppendTag(out, num, protowire.BytesType)
			out = protowire.AppendBytes(out, nb)
		}
		return out, nil
	}
	shape := func(b []byte) ([]byte, error) {
		fs, err := pbFields(b)
		if err != nil {
			return nil, err
		}
		var out []byte
		dim := 0
		for _, f := range fs {
			if f.num == 1 && f.typ == protowire.BytesType {
				if dim == 1 {
					out = protowire.AppendTag(out, 1, protowire.BytesType)
					out = protowire.AppendBytes(out, protowire.AppendVarint(protowire.AppendTag(nil, 1, protowire.VarintType), 1))
					dim++
					continue
				}
				dim++
			}
			out = append(out, f.raw...)
		}
		if dim != 3 {
			return nil, fmt.Errorf("logits have rank %d: %w", dim, errNoRewrite)
		}
		return out, nil
	}
	vi, err = rewrite(vi, 2, func(tp []byte) ([]byte, error) {
		return rewrite(tp, 1, func(tt []byte) ([]byte, error) {
			return rewrite(tt, 2, shape)
		})
	})
	return vi, err
}
