package genmodel

// A minimal hand-written encoding of the ONNX protobuf messages this package
// writes (and reads back in tests). Field numbers follow onnx/onnx.proto
// (IR version 8+). Only the fields used here are modelled.

import (
	"errors"
	"fmt"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// ONNX TensorProto.DataType values used here.
const (
	dtFloat   int32 = 1
	dtInt32   int32 = 6
	dtInt64   int32 = 7
	dtFloat16 int32 = 10
)

// ONNX AttributeProto.AttributeType values used here.
const (
	atFloat   int32 = 1
	atInt     int32 = 2
	atString  int32 = 3
	atTensor  int32 = 4
	atFloats  int32 = 6
	atInts    int32 = 7
	atStrings int32 = 8
)

type pbModel struct {
	irVersion int64
	producer  string
	opsets    []pbOpset
	graph     *pbGraph
}

type pbOpset struct {
	domain  string
	version int64
}

type pbGraph struct {
	name    string
	nodes   []*pbNode
	inits   []*pbTensor
	inputs  []pbValueInfo
	outputs []pbValueInfo
}

type pbNode struct {
	name, op, domain string
	inputs, outputs  []string
	attrs            []pbAttr
}

type pbAttr struct {
	name    string
	typ     int32
	f       float32
	i       int64
	s       string
	t       *pbTensor
	floats  []float32
	ints    []int64
	strings []string
}

// pbTensor is an initializer. Its data lives in raw, or in int64s/floats
// (decoded from the typed fields), or in an external file (extLocation set).
type pbTensor struct {
	name        string
	dims        []int64
	dtype       int32
	raw         []byte
	int64s      []int64
	floats      []float32
	int32s      []int32
	extLocation string
	extOffset   int64
	extLength   int64
}

type pbValueInfo struct {
	name  string
	elem  int32
	shape []pbDim // nil: shape unknown
}

type pbDim struct {
	value int64
	param string
}

func appendString(b []byte, num protowire.Number, s string) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}

func appendBytes(b []byte, num protowire.Number, v []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}

func appendVarint(b []byte, num protowire.Number, v uint64) []byte {
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

func appendPackedInt64(b []byte, num protowire.Number, vs []int64) []byte {
	if len(vs) == 0 {
		return b
	}
	var p []byte
	for _, v := range vs {
		p = protowire.AppendVarint(p, uint64(v))
	}
	return appendBytes(b, num, p)
}

func appendPackedFloat(b []byte, num protowire.Number, vs []float32) []byte {
	if len(vs) == 0 {
		return b
	}
	var p []byte
	for _, v := range vs {
		p = protowire.AppendFixed32(p, math.Float32bits(v))
	}
	return appendBytes(b, num, p)
}

func (m *pbModel) marshal() []byte {
	var b []byte
	b = appendVarint(b, 1, uint64(m.irVersion))
	if m.producer != "" {
		b = appendString(b, 2, m.producer)
	}
	if m.graph != nil {
		b = appendBytes(b, 7, m.graph.marshal())
	}
	for _, o := range m.opsets {
		var ob []byte
		if o.domain != "" {
			ob = appendString(ob, 1, o.domain)
		}
		ob = appendVarint(ob, 2, uint64(o.version))
		b = appendBytes(b, 8, ob)
	}
	return b
}

func (g *pbGraph) marshal() []byte {
	var b []byte
	for _, n := range g.nodes {
		b = appendBytes(b, 1, n.marshal())
	}
	b = appendString(b, 2, g.name)
	for _, t := range g.inits {
		b = appendBytes(b, 5, t.marshal())
	}
	for _, v := range g.inputs {
		b = appendBytes(b, 11, v.marshal())
	}
	for _, v := range g.outputs {
		b = appendBytes(b, 12, v.marshal())
	}
	return b
}

func (n *pbNode) marshal() []byte {
	var b []byte
	for _, s := range n.inputs {
		b = appendString(b, 1, s)
	}
	for _, s := range n.outputs {
		b = appendString(b, 2, s)
	}
	if n.name != "" {
		b = appendString(b, 3, n.name)
	}
	b = appendString(b, 4, n.op)
	for i := range n.attrs {
		b = appendBytes(b, 5, n.attrs[i].marshal())
	}
	if n.domain != "" {
		b = appendString(b, 7, n.domain)
	}
	return b
}

func (a *pbAttr) marshal() []byte {
	var b []byte
	b = appendString(b, 1, a.name)
	switch a.typ {
	case atFloat:
		b = protowire.AppendTag(b, 2, protowire.Fixed32Type)
		b = protowire.AppendFixed32(b, math.Float32bits(a.f))
	case atInt:
		b = appendVarint(b, 3, uint64(a.i))
	case atString:
		b = appendString(b, 4, a.s)
	case atTensor:
		b = appendBytes(b, 5, a.t.marshal())
	case atFloats:
		b = appendPackedFloat(b, 7, a.floats)
	case atInts:
		b = appendPackedInt64(b, 8, a.ints)
	case atStrings:
		for _, s := range a.strings {
			b = appendString(b, 9, s)
		}
	}
	b = appendVarint(b, 20, uint64(a.typ))
	return b
}

func (t *pbTensor) marshal() []byte {
	var b []byte
	b = appendPackedInt64(b, 1, t.dims)
	b = appendVarint(b, 2, uint64(t.dtype))
	b = appendPackedFloat(b, 4, t.floats)
	b = appendPackedInt64(b, 7, t.int64s)
	if t.name != "" {
		b = appendString(b, 8, t.name)
	}
	if t.raw != nil {
		b = appendBytes(b, 9, t.raw)
	}
	if t.extLocation != "" {
		for _, kv := range [][2]string{
			{"location", t.extLocation},
			{"offset", fmt.Sprint(t.extOffset)},
			{"length", fmt.Sprint(t.extLength)},
		} {
			var e []byte
			e = appendString(e, 1, kv[0])
			e = appendString(e, 2, kv[1])
			b = appendBytes(b, 13, e)
		}
		b = appendVarint(b, 14, 1) // data_location = EXTERNAL
	}
	return b
}

func (v *pbValueInfo) marshal() []byte {
	var b []byte
	b = appendString(b, 1, v.name)
	var tt []byte // TypeProto.Tensor
	tt = appendVarint(tt, 1, uint64(v.elem))
	if v.shape != nil {
		var sh []byte
		for _, d := range v.shape {
			var db []byte
			if d.param != "" {
				db = appendString(db, 2, d.param)
			} else {
				db = appendVarint(db, 1, uint64(d.value))
			}
			sh = appendBytes(sh, 1, db)
		}
		tt = appendBytes(tt, 2, sh)
	}
	var tp []byte
	tp = appendBytes(tp, 1, tt)
	b = appendBytes(b, 2, tp)
	return b
}

// ---- decoding (used to inspect real exports and to check what we write) ----

var errTruncated = errors.New("truncated protobuf")

// fields walks the fields of one message, calling fn with the field number,
// wire type, the varint/fixed value and the bytes payload.
func fields(b []byte, fn func(num protowire.Number, typ protowire.Type, v uint64, p []byte) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return errTruncated
		}
		b = b[n:]
		var v uint64
		var p []byte
		switch typ {
		case protowire.VarintType:
			v, n = protowire.ConsumeVarint(b)
		case protowire.Fixed32Type:
			var x uint32
			x, n = protowire.ConsumeFixed32(b)
			v = uint64(x)
		case protowire.Fixed64Type:
			v, n = protowire.ConsumeFixed64(b)
		case protowire.BytesType:
			p, n = protowire.ConsumeBytes(b)
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return errTruncated
		}
		b = b[n:]
		if err := fn(num, typ, v, p); err != nil {
			return err
		}
	}
	return nil
}

func int64s(typ protowire.Type, v uint64, p []byte, dst []int64) ([]int64, error) {
	if typ == protowire.VarintType {
		return append(dst, int64(v)), nil
	}
	for len(p) > 0 {
		x, n := protowire.ConsumeVarint(p)
		if n < 0 {
			return nil, errTruncated
		}
		dst = append(dst, int64(x))
		p = p[n:]
	}
	return dst, nil
}

func float32s(typ protowire.Type, v uint64, p []byte, dst []float32) ([]float32, error) {
	if typ == protowire.Fixed32Type {
		return append(dst, math.Float32frombits(uint32(v))), nil
	}
	for len(p) >= 4 {
		x, n := protowire.ConsumeFixed32(p)
		if n < 0 {
			return nil, errTruncated
		}
		dst = append(dst, math.Float32frombits(x))
		p = p[n:]
	}
	return dst, nil
}

func decodeModel(b []byte) (*pbModel, error) {
	m := &pbModel{}
	err := fields(b, func(num protowire.Number, typ protowire.Type, v uint64, p []byte) error {
		switch num {
		case 1:
			m.irVersion = int64(v)
		case 2:
			m.producer = string(p)
		case 7:
			g, err := decodeGraph(p)
			if err != nil {
				return fmt.Errorf("graph: %w", err)
			}
			m.graph = g
		case 8:
			var o pbOpset
			err := fields(p, func(num protowire.Number, _ protowire.Type, v uint64, p []byte) error {
				switch num {
				case 1:
					o.domain = string(p)
				case 2:
					o.version = int64(v)
				}
				return nil
			})
			if err != nil {
				return err
			}
			m.opsets = append(m.opsets, o)
		}
		return nil
	})
	return m, err
}

func decodeGraph(b []byte) (*pbGraph, error) {
	g := &pbGraph{}
	err := fields(b, func(num protowire.Number, typ protowire.Type, v uint64, p []byte) error {
		switch num {
		case 1:
			n, err := decodeNode(p)
			if err != nil {
				return err
			}
			g.nodes = append(g.nodes, n)
		case 2:
			g.name = string(p)
		case 5:
			t, err := decodeTensor(p)
			if err != nil {
				return err
			}
			g.inits = append(g.inits, t)
		case 11, 12:
			vi, err := decodeValueInfo(p)
			if err != nil {
				return err
			}
			if num == 11 {
				g.inputs = append(g.inputs, vi)
			} else {
				g.outputs = append(g.outputs, vi)
			}
		}
		return nil
	})
	return g, err
}

func decodeNode(b []byte) (*pbNode, error) {
	n := &pbNode{}
	err := fields(b, func(num protowire.Number, typ protowire.Type, v uint64, p []byte) error {
		switch num {
		case 1:
			n.inputs = append(n.inputs, string(p))
		case 2:
			n.outputs = append(n.outputs, string(p))
		case 3:
			n.name = string(p)
		case 4:
			n.op = string(p)
		case 5:
			a, err := decodeAttr(p)
			if err != nil {
				return err
			}
			n.attrs = append(n.attrs, a)
		case 7:
			n.domain = string(p)
		}
		return nil
	})
	return n, err
}

func decodeAttr(b []byte) (pbAttr, error) {
	var a pbAttr
	err := fields(b, func(num protowire.Number, typ protowire.Type, v uint64, p []byte) error {
		var err error
		switch num {
		case 1:
			a.name = string(p)
		case 2:
			a.f = math.Float32frombits(uint32(v))
		case 3:
			a.i = int64(v)
		case 4:
			a.s = string(p)
		case 5:
			a.t, err = decodeTensor(p)
		case 7:
			a.floats, err = float32s(typ, v, p, a.floats)
		case 8:
			a.ints, err = int64s(typ, v, p, a.ints)
		case 9:
			a.strings = append(a.strings, string(p))
		case 20:
			a.typ = int32(v)
		}
		return err
	})
	return a, err
}

func decodeTensor(b []byte) (*pbTensor, error) {
	t := &pbTensor{}
	err := fields(b, func(num protowire.Number, typ protowire.Type, v uint64, p []byte) error {
		var err error
		switch num {
		case 1:
			t.dims, err = int64s(typ, v, p, t.dims)
		case 2:
			t.dtype = int32(v)
		case 4:
			t.floats, err = float32s(typ, v, p, t.floats)
		case 5:
			var xs []int64
			xs, err = int64s(typ, v, p, nil)
			for _, x := range xs {
				t.int32s = append(t.int32s, int32(x))
			}
		case 7:
			t.int64s, err = int64s(typ, v, p, t.int64s)
		case 8:
			t.name = string(p)
		case 9:
			t.raw = append([]byte{}, p...)
		case 13:
			var k, val string
			err = fields(p, func(num protowire.Number, _ protowire.Type, _ uint64, p []byte) error {
				if num == 1 {
					k = string(p)
				} else if num == 2 {
					val = string(p)
				}
				return nil
			})
			switch k {
			case "location":
				t.extLocation = val
			case "offset":
				_, err = fmt.Sscan(val, &t.extOffset)
			case "length":
				_, err = fmt.Sscan(val, &t.extLength)
			}
		}
		return err
	})
	return t, err
}

func decodeValueInfo(b []byte) (pbValueInfo, error) {
	var vi pbValueInfo
	err := fields(b, func(num protowire.Number, typ protowire.Type, v uint64, p []byte) error {
		switch num {
		case 1:
			vi.name = string(p)
		case 2: // TypeProto
			return fields(p, func(num protowire.Number, _ protowire.Type, _ uint64, p []byte) error {
				if num != 1 {
					return nil
				}
				return fields(p, func(num protowire.Number, _ protowire.Type, v uint64, p []byte) error {
					switch num {
					case 1:
						vi.elem = int32(v)
					case 2:
						vi.shape = []pbDim{}
						return fields(p, func(num protowire.Number, _ protowire.Type, _ uint64, p []byte) error {
							var d pbDim
							err := fields(p, func(num protowire.Number, _ protowire.Type, v uint64, p []byte) error {
								if num == 1 {
									d.value = int64(v)
								} else if num == 2 {
									d.param = string(p)
								}
								return nil
							})
							vi.shape = append(vi.shape, d)
							return err
						})
					}
					return nil
				})
			})
		}
		return nil
	})
	return vi, err
}
