package onnx

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"

	ort "github.com/yalue/onnxruntime_go"
)

// readGraphInfo reads the graph's declared inputs and outputs straight from
// the .onnx protobuf, skipping nodes and weights without reading them, so a
// multi-gigabyte model is not loaded twice (once for its metadata, once for
// the session). Field numbers are those of onnx.proto: ModelProto.graph 7;
// GraphProto.input 11, output 12; ValueInfoProto.name 1, type 2;
// TypeProto.tensor_type 1; Tensor.elem_type 1, shape 2;
// TensorShapeProto.dim 1; Dimension.dim_value 1, dim_param 2.
//
// ext lists the initializers whose data lives in external files.
func readGraphInfo(path string) (ins, outs []ort.InputOutputInfo, ext []extData, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, nil, nil, err
	}
	r := &pbReader{r: f, end: st.Size()}
	found := false
	// Outputs that are initializers (constant graphs such as the builder's
	// dummy decoder) have the initializer's fixed shape, as ONNX Runtime
	// reports them.
	consts := map[string]ort.Shape{}
	err = r.fields(r.end, func(field int, wire int, end int64) error {
		if field != 7 || wire != 2 {
			return nil
		}
		found = true
		return r.fields(end, func(field int, wire int, end int64) error {
			if wire == 2 && field == 5 {
				t, err := r.initializer(end)
				consts[t.name] = t.dims
				if t.external {
					ext = append(ext, t.extData)
				}
				return err
			}
			if wire != 2 || (field != 11 && field != 12) {
				return nil
			}
			info, err := r.valueInfo(end)
			if err != nil {
				return err
			}
			if field == 11 {
				ins = append(ins, info)
			} else {
				outs = append(outs, info)
			}
			return nil
		})
	})
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	if !found {
		return nil, nil, nil, fmt.Errorf("%s: no graph in the model file", path)
	}
	for i, o := range outs {
		if d, ok := consts[o.Name]; ok {
			outs[i].Dimensions = d
		}
	}
	return ins, outs, ext, nil
}

// pbReader walks protobuf fields over an io.ReaderAt, skipping the bodies
// it is not asked to read.
type pbReader struct {
	r   io.ReaderAt
	pos int64
	end int64
	buf [16]byte
}

var errCorrupt = errors.New("not an ONNX protobuf")

func (p *pbReader) varint() (uint64, error) {
	n, err := p.r.ReadAt(p.buf[:], p.pos)
	if n == 0 {
		if err == nil {
			err = io.ErrUnexpectedEOF
		}
		return 0, err
	}
	var v uint64
	for i := 0; i < n && i < 10; i++ {
		b := p.buf[i]
		v |= uint64(b&0x7f) << (7 * i)
		if b < 0x80 {
			p.pos += int64(i + 1)
			return v, nil
		}
	}
	return 0, errCorrupt
}

// fields calls fn for every field up to end; fn may read the field's body
// (which ends at bodyEnd for length-delimited fields); whatever it leaves is
// skipped.
func (p *pbReader) fields(end int64, fn func(field, wire int, bodyEnd int64) error) error {
	for p.pos < end {
		tag, err := p.varint()
		if err != nil {
			return err
		}
		field, wire := int(tag>>3), int(tag&7)
		var bodyEnd int64
		switch wire {
		case 0:
			if _, err := p.varint(); err != nil {
				return err
			}
			continue
		case 1:
			p.pos += 8
			continue
		case 5:
			p.pos += 4
			continue
		case 2:
			n, err := p.varint()
			if err != nil {
				return err
			}
			bodyEnd = p.pos + int64(n)
			if bodyEnd > end || bodyEnd < p.pos {
				return errCorrupt
			}
		default:
			return errCorrupt
		}
		if err := fn(field, wire, bodyEnd); err != nil {
			return err
		}
		p.pos = bodyEnd
	}
	if p.pos != end {
		return errCorrupt
	}
	return nil
}

func (p *pbReader) bytes(end int64) ([]byte, error) {
	b := make([]byte, end-p.pos)
	if _, err := p.r.ReadAt(b, p.pos); err != nil {
		return nil, err
	}
	return b, nil
}

// valueInfo reads a ValueInfoProto (name and tensor type).
func (p *pbReader) valueInfo(end int64) (ort.InputOutputInfo, error) {
	var info ort.InputOutputInfo
	err := p.fields(end, func(field, wire int, end int64) error {
		switch {
		case field == 1 && wire == 2:
			b, err := p.bytes(end)
			info.Name = string(b)
			return err
		case field == 2 && wire == 2: // TypeProto
			return p.fields(end, func(field, wire int, end int64) error {
				if field != 1 || wire != 2 { // not a tensor
					return nil
				}
				info.OrtValueType = ort.ONNXTypeTensor
				return p.tensorType(end, &info)
			})
		}
		return nil
	})
	return info, err
}

func (p *pbReader) tensorType(end int64, info *ort.InputOutputInfo) error {
	// elem_type is a varint field, which fields() skips; read it by hand.
	for p.pos < end {
		tag, err := p.varint()
		if err != nil {
			return err
		}
		field, wire := int(tag>>3), int(tag&7)
		switch {
		case field == 1 && wire == 0:
			v, err := p.varint()
			if err != nil {
				return err
			}
			info.DataType = ort.TensorElementDataType(v)
		case field == 2 && wire == 2:
			n, err := p.varint()
			if err != nil {
				return err
			}
			shapeEnd := p.pos + int64(n)
			info.Dimensions = ort.Shape{}
			if err := p.fields(shapeEnd, func(field, wire int, end int64) error {
				if field != 1 || wire != 2 {
					return nil
				}
				d, err := p.dim(end)
				info.Dimensions = append(info.Dimensions, d)
				return err
			}); err != nil {
				return err
			}
		default:
			// Unknown field: rewind and let fields() skip exactly one.
			return errCorrupt
		}
	}
	return nil
}

// dim reads a Dimension: its value, or -1 when symbolic or unknown.
func (p *pbReader) dim(end int64) (int64, error) {
	d := int64(-1)
	for p.pos < end {
		tag, err := p.varint()
		if err != nil {
			return 0, err
		}
		field, wire := int(tag>>3), int(tag&7)
		switch {
		case field == 1 && wire == 0:
			v, err := p.varint()
			if err != nil {
				return 0, err
			}
			d = int64(v)
		case wire == 2:
			n, err := p.varint()
			if err != nil {
				return 0, err
			}
			p.pos += int64(n)
		case wire == 0:
			if _, err := p.varint(); err != nil {
				return 0, err
			}
		default:
			return 0, errCorrupt
		}
	}
	return d, nil
}

// extData is where an initializer's bytes live outside the graph file.
type extData struct {
	name     string // initializer
	location string // file, relative to the graph's folder
	offset   int64
	length   int64 // -1: not given (then dims × element size)
}

// tensorInfo is what initializer reads of a TensorProto.
type tensorInfo struct {
	name     string
	dims     ort.Shape
	dtype    int64
	external bool // data_location EXTERNAL
	extData
}

// elemBits is the size of an ONNX TensorProto data type in bits (0 when
// unknown).
func elemBits(dtype int64) int64 {
	switch dtype {
	case 2, 3, 9, 17, 18, 19, 20: // (u)int8, bool, float8s
		return 8
	case 4, 5, 10, 16: // (u)int16, float16, bfloat16
		return 16
	case 1, 6, 12: // float, int32, uint32
		return 32
	case 7, 11, 13, 14: // int64, double, uint64, complex64
		return 64
	case 15:
		return 128
	case 21, 22, 23: // uint4, int4, float4
		return 4
	}
	return 0
}

// bytes is the size of the tensor's data from its dims and type (-1 when
// the type is unknown).
func (t *tensorInfo) bytes() int64 {
	bits := elemBits(t.dtype)
	if bits == 0 {
		return -1
	}
	n := int64(1)
	for _, d := range t.dims {
		n *= d
	}
	return (n*bits + 7) / 8
}

// initializer reads a TensorProto's name (field 8), dims (field 1, packed
// or not), data_type (2), external_data (13: key/value pairs location,
// offset, length) and data_location (14), skipping its data.
func (p *pbReader) initializer(end int64) (tensorInfo, error) {
	t := tensorInfo{dims: ort.Shape{}}
	t.length = -1
	for p.pos < end {
		tag, err := p.varint()
		if err != nil {
			return t, err
		}
		field, wire := int(tag>>3), int(tag&7)
		switch wire {
		case 0:
			v, err := p.varint()
			if err != nil {
				return t, err
			}
			switch field {
			case 1:
				t.dims = append(t.dims, int64(v))
			case 2:
				t.dtype = int64(v)
			case 14:
				t.external = v == 1
			}
		case 1:
			p.pos += 8
		case 5:
			p.pos += 4
		case 2:
			n, err := p.varint()
			if err != nil {
				return t, err
			}
			bodyEnd := p.pos + int64(n)
			if bodyEnd > end {
				return t, errCorrupt
			}
			switch field {
			case 8:
				b, err := p.bytes(bodyEnd)
				if err != nil {
					return t, err
				}
				t.name = string(b)
			case 1:
				for p.pos < bodyEnd {
					v, err := p.varint()
					if err != nil {
						return t, err
					}
					t.dims = append(t.dims, int64(v))
				}
			case 13:
				if err := p.externalEntry(bodyEnd, &t.extData); err != nil {
					return t, err
				}
			}
			p.pos = bodyEnd
		default:
			return t, errCorrupt
		}
	}
	t.extData.name = t.name
	if t.external && t.length < 0 {
		t.length = t.bytes()
	}
	return t, nil
}

// externalEntry reads one StringStringEntryProto (key 1, value 2) of
// TensorProto.external_data.
func (p *pbReader) externalEntry(end int64, e *extData) error {
	var key, value string
	err := p.fields(end, func(field, wire int, end int64) error {
		if wire != 2 {
			return nil
		}
		b, err := p.bytes(end)
		switch field {
		case 1:
			key = string(b)
		case 2:
			value = string(b)
		}
		return err
	})
	if err != nil {
		return err
	}
	switch key {
	case "location":
		e.location = value
	case "offset", "length":
		n, perr := strconv.ParseInt(value, 10, 64)
		if perr != nil || n < 0 {
			return fmt.Errorf("external data %s %q: %w", key, value, errCorrupt)
		}
		if key == "offset" {
			e.offset = n
		} else {
			e.length = n
		}
	}
	return nil
}
