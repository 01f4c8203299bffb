package genmodel

import (
	"fmt"
	"os"
	"testing"
)

func TestDumpReal(t *testing.T) {
	path := os.Getenv("GENMODEL_DUMP")
	if path == "" {
		t.Skip()
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := decodeModel(b)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println("ir", m.irVersion, "producer", m.producer, "opsets", m.opsets)
	for _, v := range m.graph.inputs {
		fmt.Println("IN", v.name, v.elem, v.shape)
	}
	for _, v := range m.graph.outputs {
		fmt.Println("OUT", v.name, v.elem, v.shape)
	}
	for _, in := range m.graph.inits {
		fmt.Println("INIT", in.name, in.dtype, in.dims, len(in.raw), in.int64s, in.floats, in.int32s, in.extLocation)
	}
	for _, n := range m.graph.nodes {
		fmt.Printf("NODE %s %s/%s in=%v out=%v\n", n.name, n.domain, n.op, n.inputs, n.outputs)
		for _, a := range n.attrs {
			fmt.Printf("   attr %s typ=%d i=%d f=%g s=%q ints=%v floats=%v\n", a.name, a.typ, a.i, a.f, a.s, a.ints, a.floats)
			if a.t != nil {
				fmt.Printf("      tensor %v %d raw=%x i64=%v f=%v\n", a.t.dims, a.t.dtype, a.t.raw, a.t.int64s, a.t.floats)
			}
		}
	}
}
