// Tests on models written by internal/genmodel, both folder layouts.

package onnx

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	"github.com/llsum/llsum/internal/genmodel"
)

// genModel writes a tiny generated model of the given flavour and dtype.
func genModel(t *testing.T, flavour, dtype string, int32IDs bool) string {
	t.Helper()
	cfg := genmodel.Tiny()
	cfg.Flavour, cfg.DType, cfg.Int32IDs = flavour, dtype, int32IDs
	dir := t.TempDir()
	if err := genmodel.Write(context.Background(), dir, cfg); err != nil {
		t.Fatalf("genmodel: %v", err)
	}
	return dir
}

// TestGeneratedLayouts: every layout and dtype loads with the right spec,
// gives the same greedy tokens batched as alone and chunked as not, and all
// of them agree with each other (same weights, same function).
func TestGeneratedLayouts(t *testing.T) {
	needRuntime(t)
	var first [][]int
	for _, c := range []struct {
		flavour, dtype string
		int32IDs       bool
		layout         string
		posIDs         bool
	}{
		{genmodel.FlavourGenAI, genmodel.DTypeFP32, false, LayoutGenAI, false},
		{genmodel.FlavourGenAI, genmodel.DTypeFP16, true, LayoutGenAI, false},
		{genmodel.FlavourOptimum, genmodel.DTypeFP32, false, LayoutOptimum, true},
		{genmodel.FlavourOptimum, genmodel.DTypeFP16, false, LayoutOptimum, true},
	} {
		name := fmt.Sprintf("%s-%s-int32=%v", c.flavour, c.dtype, c.int32IDs)
		t.Run(name, func(t *testing.T) {
			dir := genModel(t, c.flavour, c.dtype, c.int32IDs)
			e := openEngine(t, dir, Options{PrefillChunk: 4})
			s := e.Spec()
			if s.Layout != c.layout || s.HasPosIDs != c.posIDs || DTypeName(s.KVType) != c.dtype ||
				(c.int32IDs && DTypeName(s.IDsType) != "int32") || !s.HasTokenizer || len(s.EOS) != 3 {
				t.Errorf("spec %+v", s)
			}
			checkBatchedEqualsAlone(t, e, 10)
			whole := openEngine(t, dir, Options{PrefillChunk: 1000})
			var outs [][]int
			for _, p := range prompts {
				a := generate(t, e, []GenRequest{greedy(p, 10)})[0]
				b := generate(t, whole, []GenRequest{greedy(p, 10)})[0]
				if !reflect.DeepEqual(a.OutputIDs, b.OutputIDs) {
					t.Errorf("chunked %v, whole %v", a.OutputIDs, b.OutputIDs)
				}
				outs = append(outs, a.OutputIDs)
			}
			if first == nil {
				first = outs
			} else if !reflect.DeepEqual(first, outs) {
				t.Errorf("differs from the first layout:\n%v\n%v", outs, first)
			}
		})
	}
}
