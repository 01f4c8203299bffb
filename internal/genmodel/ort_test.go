package genmodel

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sync"
	"testing"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/llsum/llsum/internal/envconfig"
	"github.com/llsum/llsum/internal/testenv"
)

// ortLibrary finds the ONNX Runtime library the way setup.d installs it.
func ortLibrary() string {
	if p := envconfig.Lookup("LLSUM_ORT_LIB"); p != "" {
		return p
	}
	return filepath.Join(envconfig.CacheDir(), "onnxruntime", "1.29.0", "libonnxruntime.so.1")
}

var (
	ortOnce sync.Once
	ortErr  error
)

// needORT initializes ONNX Runtime once; without the library the test
// fails under CI and skips locally.
func needORT(t testing.TB) {
	t.Helper()
	ortOnce.Do(func() {
		lib := ortLibrary()
		if _, err := os.Stat(lib); err != nil {
			ortErr = fmt.Errorf("ONNX Runtime library not found (%w); run `make deps`", err)
			return
		}
		ort.SetSharedLibraryPath(lib)
		ortErr = ort.InitializeEnvironment(ort.WithLogLevelError())
	})
	if ortErr != nil {
		testenv.Missing(t, ortErr.Error())
	}
}

// runner is a plain onnxruntime_go generation loop (batch 1) over a model
// folder written by Write: it keeps the KV cache on the Go side.
type runner struct {
	cfg     Config
	sess    *ort.DynamicAdvancedSession
	ins     []string
	outs    []string
	fp16    bool
	past    [][]byte // per layer: key, value
	pastLen int
}

func newRunner(t testing.TB, dir string, cfg Config) *runner {
	t.Helper()
	return newRunnerThreads(t, dir, cfg, 1)
}

// newRunnerThreads opens the model with the given intra-op threads (0: ORT's
// default, all cores).
func newRunnerThreads(t testing.TB, dir string, cfg Config, threads int) *runner {
	t.Helper()
	needORT(t)
	c, err := cfg.normalize()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "model.onnx")
	ins := []string{"input_ids", "attention_mask"}
	if c.Flavour == FlavourOptimum {
		name := "model.onnx"
		if c.DType == DTypeFP16 {
			name = "model_fp16.onnx"
		}
		path = filepath.Join(dir, "onnx", name)
		ins = append(ins, "position_ids")
	}
	outs := []string{"logits"}
	for l := 0; l < c.Layers; l++ {
		ins = append(ins, fmt.Sprintf("past_key_values.%d.key", l), fmt.Sprintf("past_key_values.%d.value", l))
		outs = append(outs, fmt.Sprintf("present.%d.key", l), fmt.Sprintf("present.%d.value", l))
	}
	opts, err := ort.NewSessionOptions()
	if err != nil {
		t.Fatal(err)
	}
	defer opts.Destroy()
	if err := opts.SetIntraOpNumThreads(threads); err != nil {
		t.Fatal(err)
	}
	sess, err := ort.NewDynamicAdvancedSession(path, ins, outs, opts)
	if err != nil {
		t.Fatalf("load %s: %v", path, err)
	}
	t.Cleanup(func() { sess.Destroy() })
	return &runner{cfg: c, sess: sess, ins: ins, outs: outs, fp16: c.DType == DTypeFP16, past: make([][]byte, 2*c.Layers)}
}

func (r *runner) elemSize() int {
	if r.fp16 {
		return 2
	}
	return 4
}

func (r *runner) floatType() ort.TensorElementDataType {
	if r.fp16 {
		return ort.TensorElementDataTypeFloat16
	}
	return ort.TensorElementDataTypeFloat
}

// floatTensor wraps raw bytes; onnxruntime_go refuses an empty slice even
// for a 0-element shape, so such tensors get one spare element.
func (r *runner) floatTensor(t testing.TB, shape ort.Shape, data []byte) ort.Value {
	t.Helper()
	if len(data) == 0 {
		data = make([]byte, r.elemSize())
	}
	v, err := ort.NewCustomDataTensor(shape, data, r.floatType())
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// step runs ids through the model after the cached tokens (batch 1, no
// padding) and returns the logits [len(ids)][vocab] as float32.
func (r *runner) step(t testing.TB, ids []int64) [][]float32 {
	t.Helper()
	total := r.pastLen + len(ids)
	mask := make([]int64, total)
	pos := make([]int64, len(ids))
	for i := range mask {
		mask[i] = 1
	}
	for i := range pos {
		pos[i] = int64(r.pastLen + i)
	}
	return r.stepBatch(t, [][]int64{ids}, [][]int64{mask}, [][]int64{pos})[0]
}

// stepBatch runs a batch: ids and pos [batch][seq], mask [batch][past+seq];
// it returns logits [batch][seq][vocab].
func (r *runner) stepBatch(t testing.TB, ids, mask, pos [][]int64) [][][]float32 {
	t.Helper()
	c := r.cfg
	batch, s := int64(len(ids)), int64(len(ids[0]))
	total := int64(r.pastLen) + s
	var vals []ort.Value
	defer func() {
		for _, v := range vals {
			v.Destroy()
		}
	}()
	add := func(v ort.Value, err error) ort.Value {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		vals = append(vals, v)
		return v
	}
	flat := func(xs [][]int64) []int64 {
		var out []int64
		for _, x := range xs {
			out = append(out, x...)
		}
		return out
	}
	var inputs []ort.Value
	if c.Int32IDs {
		var ids32 []int32
		for _, id := range flat(ids) {
			ids32 = append(ids32, int32(id))
		}
		inputs = append(inputs, add(ort.NewTensor(ort.NewShape(batch, s), ids32)))
	} else {
		inputs = append(inputs, add(ort.NewTensor(ort.NewShape(batch, s), flat(ids))))
	}
	inputs = append(inputs, add(ort.NewTensor(ort.NewShape(batch, total), flat(mask))))
	if c.Flavour == FlavourOptimum {
		inputs = append(inputs, add(ort.NewTensor(ort.NewShape(batch, s), flat(pos))))
	}
	kvShape := func(n int64) ort.Shape { return ort.NewShape(batch, int64(c.KVHeads), n, int64(c.HeadSize)) }
	for i := range r.past {
		inputs = append(inputs, add(r.floatTensor(t, kvShape(int64(r.pastLen)), r.past[i]), nil))
	}
	row := c.Vocab * r.elemSize()
	logits := make([]byte, int(batch*s)*row)
	outputs := []ort.Value{add(r.floatTensor(t, ort.NewShape(batch, s, int64(c.Vocab)), logits), nil)}
	present := make([][]byte, len(r.past))
	for i := range present {
		present[i] = make([]byte, int(batch*total)*c.KVHeads*c.HeadSize*r.elemSize())
		outputs = append(outputs, add(r.floatTensor(t, kvShape(total), present[i]), nil))
	}
	if err := r.sess.Run(inputs, outputs); err != nil {
		t.Fatalf("run: %v", err)
	}
	r.past, r.pastLen = present, int(total)
	out := make([][][]float32, batch)
	for b := range out {
		out[b] = make([][]float32, s)
		for i := range out[b] {
			k := (b*int(s) + i) * row
			out[b][i] = r.toFloats(logits[k : k+row])
		}
	}
	return out
}

func (r *runner) toFloats(b []byte) []float32 {
	n := len(b) / r.elemSize()
	out := make([]float32, n)
	for i := range out {
		if r.fp16 {
			out[i] = float16to32(binary.LittleEndian.Uint16(b[2*i:]))
		} else {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		}
	}
	return out
}

func argmax(xs []float32) int64 {
	best := 0
	for i, x := range xs {
		if x > xs[best] {
			best = i
		}
	}
	return int64(best)
}

// generate prefills prompt, then decodes greedily n tokens; it returns the
// tokens and the logits rows used to pick them.
func (r *runner) generate(t testing.TB, prompt []int64, n int) ([]int64, [][]float32) {
	t.Helper()
	rows := r.step(t, prompt)
	last := rows[len(rows)-1]
	var toks []int64
	var used [][]float32
	for i := 0; i < n; i++ {
		tok := argmax(last)
		toks, used = append(toks, tok), append(used, last)
		last = r.step(t, []int64{tok})[0]
	}
	return toks, used
}
