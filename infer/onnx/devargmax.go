package onnx

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"unsafe"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/llsum/llsum/internal/genmodel"
	"github.com/llsum/llsum/internal/textutil"
)

// Greedy argmax on the device.
//
// When the logits live in device memory (the KV cache's memory, see
// devmem.go), a greedy decode step does not copy n rows of logits (n × 128K
// × 2 bytes on a Llama 3 vocabulary) to the host to scan them there: a
// second, tiny ONNX Runtime session on the same device
// (genmodel.ArgmaxModel: NaN to -Inf, each row's maximum, the smallest index
// holding it, so the lowest index wins a tie whatever the provider's
// kernels) reduces the device-resident logits tensor to n int64 ids,
// and only those 8n bytes cross to the host. Its inputs and outputs are
// bound once per batch size (an IoBinding over the logits buffer and a Go
// int64 tensor), so a step runs it with no host allocation.
//
// The same session runs on the CPU provider over the C-memory route of the
// tests (cudamem.NewHost): that CPU twin is tested to give the ids of the
// host argmax (argmaxHalf, argmaxFloat) on generated models. At setup the
// session is checked against the host argmax on planted rows (ties, NaN,
// ±0, ±Inf); a provider that breaks ties differently is never used.
type devArgmax struct {
	sess *ort.DynamicAdvancedSession
	bind *ort.IoBinding
	// bound: the batch and logits address the binding is for.
	n      int
	logits uintptr
	in     ort.Value
	out    *ort.Tensor[int64]
}

// setupArgmax enables the device argmax when the logits are in device-route
// memory, the model's outputs are dynamic and HostArgmax is not set; a
// failure leaves the host argmax with a notice.
func (e *Engine) setupArgmax(o Options) {
	_, dev := e.kv.mem.(devMemory)
	if o.HostArgmax || !dev || e.spec.StaticOutputs {
		return
	}
	a, err := newDevArgmax(o, e.device, e.spec, e.kv.mem)
	if err != nil {
		if o.Notice != nil {
			o.Notice("greedy argmax on the host: " + textutil.FirstLine(err.Error()))
		}
		return
	}
	e.argmax = a
}

func newDevArgmax(o Options, device string, s *ModelSpec, mem memory) (*devArgmax, error) {
	fp16 := s.LogitsType == ort.TensorElementDataTypeFloat16
	if !fp16 && s.LogitsType != ort.TensorElementDataTypeFloat {
		return nil, fmt.Errorf("logits of type %s", DTypeName(s.LogitsType))
	}
	if s.Vocab > 1<<24 {
		return nil, fmt.Errorf("a vocabulary of %d ids (fp32 indices are exact up to 2^24)", s.Vocab)
	}
	o.Device, o.CUDAGraph, o.Notice = device, false, nil
	so, _, err := sessionOptions(o)
	if err != nil {
		return nil, err
	}
	defer so.Destroy()
	if device != "cpu" {
		// A node the GPU provider cannot run would copy the logits to
		// the host behind our back: fail instead (and keep the host argmax).
		if err := so.AddSessionConfigEntry("session.disable_cpu_ep_fallback", "1"); err != nil {
			return nil, fmt.Errorf("argmax session options: %w", err)
		}
	}
	sess, err := ort.NewDynamicAdvancedSessionWithONNXData(genmodel.ArgmaxModel(fp16, s.Vocab),
		[]string{genmodel.ArgmaxInput}, []string{genmodel.ArgmaxOutput}, so)
	if err != nil {
		return nil, fmt.Errorf("argmax session on %s: %w", device, err)
	}
	bind, err := sess.CreateIoBinding()
	if err != nil {
		_ = sess.Destroy()
		return nil, fmt.Errorf("argmax binding: %w", err)
	}
	a := &devArgmax{sess: sess, bind: bind}
	if err := a.selfCheck(s, mem); err != nil {
		a.close()
		return nil, err
	}
	return a, nil
}

// tokens writes the argmax of each of the n rows of the [n, 1, V] logits in
// buf into toks.
func (a *devArgmax) tokens(buf *devBuffer, n, V int, t ort.TensorElementDataType, toks []int) error {
	if a.n != n || a.logits != buf.b.Ptr {
		if err := a.rebind(buf, n, V, t); err != nil {
			return err
		}
	}
	// The model's session wrote the logits on its own stream.
	if err := buf.m.Sync(); err != nil {
		return fmt.Errorf("onnx: device argmax: %w", err)
	}
	if err := a.sess.RunWithBinding(a.bind); err != nil {
		return fmt.Errorf("onnx: device argmax: %w", err)
	}
	for i, id := range a.out.GetData()[:n] {
		toks[i] = int(id)
	}
	return nil
}

// rebind binds the logits view and the ids tensor for a batch of n.
func (a *devArgmax) rebind(buf *devBuffer, n, V int, t ort.TensorElementDataType) error {
	a.release()
	in, err := buf.view(0, ort.NewShape(int64(n), 1, int64(V)), t)
	if err != nil {
		return fmt.Errorf("onnx: argmax input: %w", err)
	}
	out, err := ort.NewTensor(ort.NewShape(int64(n), 1), make([]int64, n))
	if err != nil {
		_ = in.Destroy()
		return fmt.Errorf("onnx: argmax output: %w", err)
	}
	a.in, a.out = in, out
	if err := a.bind.BindInput(genmodel.ArgmaxInput, in); err != nil {
		a.release()
		return fmt.Errorf("onnx: argmax bind input: %w", err)
	}
	if err := a.bind.BindOutput(genmodel.ArgmaxOutput, out); err != nil {
		a.release()
		return fmt.Errorf("onnx: argmax bind output: %w", err)
	}
	a.n, a.logits = n, buf.b.Ptr
	return nil
}

func (a *devArgmax) release() {
	a.bind.ClearBoundInputs()
	a.bind.ClearBoundOutputs()
	if a.in != nil {
		_ = a.in.Destroy()
	}
	if a.out != nil {
		_ = a.out.Destroy()
	}
	a.in, a.out, a.n, a.logits = nil, nil, 0, 0
}

func (a *devArgmax) close() {
	a.release()
	_ = a.bind.Destroy()
	_ = a.sess.Destroy()
}

// argmaxCheckRows are the planted rows selfCheck runs.
const argmaxCheckRows = 6

// argmaxCheckLogits fills b (argmaxCheckRows rows of V logits of type t)
// with rows the device argmax must reduce exactly as the host does: random
// values with the maximum planted twice (a tie), NaNs at the front,
// only -Inf and NaN, -0 before +0 as the largest, +Inf twice, and values
// that differ in their last fp16 bit.
func argmaxCheckLogits(b []byte, V int, t ort.TensorElementDataType) {
	rng := rand.New(rand.NewPCG(18, 1))
	fp16 := t == ort.TensorElementDataTypeFloat16
	put := func(r, i int, h uint16, f float32) {
		if fp16 {
			*(*uint16)(unsafe.Pointer(&b[(r*V+i)*2])) = h
		} else {
			*(*float32)(unsafe.Pointer(&b[(r*V+i)*4])) = f
		}
	}
	for r := 0; r < argmaxCheckRows; r++ {
		for i := 0; i < V; i++ {
			h := uint16(rng.Uint32()) &^ 0x4000 // |x| < 2: below the planted 2.0
			put(r, i, h, halfToFloat(h))
		}
	}
	const two, nan, negInf, posInf, negZero, posZero = 0x4000, 0x7e00, 0xfc00, 0x7c00, 0x8000, 0x0000
	f := halfToFloat
	i, j := V/3, 2*V/3
	put(0, j, two, 2)
	put(0, i, two, 2) // tie: lowest index i
	put(1, 0, nan, f(nan))
	put(1, 1, nan, f(nan))
	put(1, V-1, two, 2)
	put(1, V/2, two, 2)
	for k := 0; k < V; k++ {
		h := uint16(negInf)
		if k%2 == 0 {
			h = nan
		}
		put(2, k, h, f(h))
		put(3, k, 0xbc00, -1)
	}
	put(3, i, negZero, f(negZero))
	put(3, j, posZero, 0)
	put(4, j, posInf, f(posInf))
	put(4, i, posInf, f(posInf))
	put(5, i, 0x4001, f(0x4001))
	put(5, 0, two, 2)
}

// selfCheck runs the session on the planted rows in memory of the engine's
// kind and compares with the host argmax.
func (a *devArgmax) selfCheck(s *ModelSpec, mem memory) error {
	V, es := s.Vocab, elemSize(s.LogitsType)
	host := alignedBytes(argmaxCheckRows * V * es)
	argmaxCheckLogits(host, V, s.LogitsType)
	buf, err := mem.alloc(len(host))
	if err != nil {
		return err
	}
	defer buf.free()
	db, ok := buf.(*devBuffer)
	if !ok {
		return errors.New("argmax check: not device memory")
	}
	if err := db.write(host, 0); err != nil {
		return err
	}
	got := make([]int, argmaxCheckRows)
	err = a.tokens(db, argmaxCheckRows, V, s.LogitsType, got)
	a.release() // the check buffer is freed below
	if err != nil {
		return err
	}
	for r := range got {
		want := hostArgmax(host[r*V*es:(r+1)*V*es], V, s.LogitsType)
		if got[r] != want {
			return fmt.Errorf("device argmax gave %d on check row %d, the host argmax %d", got[r], r, want)
		}
	}
	return nil
}

// hostArgmax is the host's greedy choice on one row of raw logits.
func hostArgmax(b []byte, V int, t ort.TensorElementDataType) int {
	p := unsafe.Pointer(&b[0])
	if t == ort.TensorElementDataTypeFloat16 {
		return argmaxHalf(unsafe.Slice((*uint16)(p), V))
	}
	return argmaxFloat(unsafe.Slice((*float32)(p), V))
}

// DeviceArgmax tells whether greedy steps reduce the logits to ids on the
// logits' device (else they are copied to the host and scanned there).
func (e *Engine) DeviceArgmax() bool { return e.argmax != nil }
