package onnx

import (
	"context"
	"fmt"
	"testing"
	"unsafe"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/llsum/llsum/infer/onnx/cudamem"
	"github.com/llsum/llsum/internal/genmodel"
)

// hostRoute is C host memory reached through the device route (cudamem),
// where the device argmax's CPU twin runs.
func hostRoute(t testing.TB) devMemory {
	t.Helper()
	needRuntime(t)
	rt, _ := LoadRuntime(DefaultLibOptions(""))
	api, err := cudamem.Load(rt.Path)
	if err != nil {
		t.Fatal(err)
	}
	host, err := cudamem.NewHost(api)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(host.Close)
	return devMemory{m: host}
}

// TestDeviceArgmaxTwin: the device argmax, run on the CPU provider over the
// device route's logits, gives the host argmax's ids on real generated
// models of both layouts and dtypes, batched with rows of different
// lengths, plain and static decode steps; HostArgmax turns it off.
func TestDeviceArgmaxTwin(t *testing.T) {
	for _, c := range []struct {
		name   string
		dir    func(t *testing.T) string
		static bool
	}{
		{"genai-fp16", func(t *testing.T) string { return genModel(t, genmodel.FlavourGenAI, genmodel.DTypeFP16, true) }, false},
		{"genai-fp32-static", func(t *testing.T) string { return genModel(t, genmodel.FlavourGenAI, genmodel.DTypeFP32, false) }, true},
		{"optimum-fp16", func(t *testing.T) string { return genModel(t, genmodel.FlavourOptimum, genmodel.DTypeFP16, false) }, false},
		{"tiny-qwen2-gqa-fp16", func(t *testing.T) string { return sharedModel(t, "tiny-qwen2-gqa-fp16") }, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := c.dir(t)
			mem := hostRoute(t)
			ref := openEngine(t, dir, Options{PrefillChunk: 4})
			dev := openEngine(t, dir, Options{PrefillChunk: 4, kvMemory: mem, staticSteps: c.static})
			off := openEngine(t, dir, Options{PrefillChunk: 4, kvMemory: mem, HostArgmax: true})
			if ref.argmax != nil || dev.argmax == nil || off.argmax != nil {
				t.Fatalf("device argmax on: Go memory %v, device route %v, HostArgmax %v", ref.argmax != nil, dev.argmax != nil, off.argmax != nil)
			}
			var reqs []GenRequest
			for i, p := range prompts {
				reqs = append(reqs, greedy(p, 12-2*i))
			}
			want := generate(t, ref, reqs)
			for _, e := range []*Engine{dev, off} {
				got := generate(t, e, reqs)
				for i := range reqs {
					if fmt.Sprint(got[i].OutputIDs) != fmt.Sprint(want[i].OutputIDs) {
						t.Errorf("request %d: device argmax %v, host %v", i, got[i].OutputIDs, want[i].OutputIDs)
					}
				}
			}
		})
	}
}

// TestArgmaxCheckRows: the planted rows have the answers the host argmax
// rules give (lowest index of a tie, NaN as -Inf, -0 == +0), and the device
// argmax session reproduces them in both dtypes at a Llama 3 vocabulary.
func TestArgmaxCheckRows(t *testing.T) {
	mem := hostRoute(t)
	const V = 128256
	for _, typ := range []ort.TensorElementDataType{ort.TensorElementDataTypeFloat16, ort.TensorElementDataTypeFloat} {
		t.Run(DTypeName(typ), func(t *testing.T) {
			es := elemSize(typ)
			b := alignedBytes(argmaxCheckRows * V * es)
			argmaxCheckLogits(b, V, typ)
			want := []int{V / 3, V / 2, 0, V / 3, V / 3, V / 3}
			for r, w := range want {
				if got := hostArgmax(b[r*V*es:], V, typ); got != w {
					t.Errorf("row %d: host argmax %d, want %d", r, got, w)
				}
			}
			spec := &ModelSpec{Vocab: V, LogitsType: typ}
			a, err := newDevArgmax(Options{Lib: DefaultLibOptions("")}, "cpu", spec, mem)
			if err != nil {
				t.Fatal(err) // includes the self-check on these rows
			}
			defer a.close()
			buf, err := mem.alloc(len(b))
			if err != nil {
				t.Fatal(err)
			}
			defer buf.free()
			db := buf.(*devBuffer)
			if err := db.write(b, 0); err != nil {
				t.Fatal(err)
			}
			got := make([]int, argmaxCheckRows)
			if err := a.tokens(db, argmaxCheckRows, V, typ, got); err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("device argmax %v, want %v", got, want)
			}
			// A changed row is seen on the next run (no stale binding).
			argmaxCheckLogits(b, V, typ)
			if typ == ort.TensorElementDataTypeFloat16 {
				*(*uint16)(ptrAt(b, (0*V+7)*2)) = 0x7bff // 65504, the largest fp16
			} else {
				*(*float32)(ptrAt(b, (0*V+7)*4)) = 1e6
			}
			if err := db.write(b, 0); err != nil {
				t.Fatal(err)
			}
			if err := a.tokens(db, argmaxCheckRows, V, typ, got); err != nil || got[0] != 7 {
				t.Errorf("after a change: %v (%v), want row 0 at 7", got, err)
			}
		})
	}
}

// BenchmarkGreedyTokens times one greedy step's reduction of n rows of
// Llama 3 vocabulary logits held in device-route memory: the host argmax
// (copy the rows out, scan them) against the device argmax session, with
// allocations per step.
func BenchmarkGreedyTokens(b *testing.B) {
	needRuntime(b)
	mem := hostRoute(b)
	cfg := genmodel.Tiny()
	cfg.DType, cfg.Vocab = genmodel.DTypeFP16, 128256
	dir := b.TempDir()
	if err := genmodel.Write(context.Background(), dir, cfg); err != nil {
		b.Fatal(err)
	}
	for _, path := range []string{"host", "device"} {
		e := openEngine(b, dir, Options{PrefillChunk: 16, kvMemory: mem, HostArgmax: path == "host"})
		for _, n := range []int{1, 16} {
			b.Run(fmt.Sprintf("%s/batch=%d", path, n), func(b *testing.B) {
				reqs := make([]GenRequest, n)
				for i := range reqs {
					reqs[i] = greedy([]int{1 + i, 2, 3}, 2)
				}
				if _, err := e.Generate(context.Background(), reqs); err != nil {
					b.Fatal(err)
				}
				g := &gen{e: e}
				for range n {
					g.rows = append(g.rows, &row{sampler: newSampler(reqs[0].Sampling, nil, nil)})
				}
				if _, err := g.greedyTokens(n); err != nil { // warm: buffers, binding
					b.Fatal(err)
				}
				b.ReportAllocs()
				b.ResetTimer()
				for b.Loop() {
					if _, err := g.greedyTokens(n); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

func ptrAt(b []byte, off int) unsafe.Pointer { return unsafe.Pointer(&b[off]) }
