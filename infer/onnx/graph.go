package onnx

import (
	"fmt"
	"strconv"

	ort "github.com/yalue/onnxruntime_go"
)

// Static decode steps and CUDA graphs.
//
// Without graphs a decode step on the GPU costs about 5 ms of host-side
// dispatch (ONNX Runtime launches every kernel of every layer one by one)
// on top of the 1.5 ms the GPU needs to read a 3B model's weights. ONNX
// Runtime can capture a step as a CUDA graph and replay it when every input
// and output of the step sits at the same device address with the same
// shape each time. With GroupQueryAttention's shared KV buffer that holds:
//   - the KV views and the logits are device buffers already;
//   - input_ids (and position_ids) are [batch, 1] device buffers written with
//     one small copy per step;
//   - attention_mask is a device buffer as wide as the cache: GQA derives each
//     row's length from the mask's row sums (ones up to the row's position,
//     zeros beyond) and the total length from its width.
//
// A graph is keyed by the batch, the capacity and the addresses of all these
// buffers; ONNX Runtime keeps each one (gpu_graph_id) and replays it. Prefill
// runs, whose shapes change, pass gpu_graph_id -1 and are never captured.
// The static step layout also runs without a graph (tests on CPU).
type graphs struct {
	cuda      bool             // capture CUDA graphs (else only the static layout)
	skip      *ort.RunOptions  // gpu_graph_id = -1
	ids       map[graphKey]int // captured shapes and addresses
	opts      map[int]*ort.RunOptions
	in        [3]buffer // device ids, mask, positions
	ids8, pos []byte    // host staging
	mask      []byte
}

type graphKey struct {
	batch, capacity int
	addrs           [5]uintptr // ids, mask, positions, logits, first KV buffer
}

// setupGraphs turns static steps (and CUDA graphs on a CUDA session) on when
// asked and possible: a GQA shared-buffer graph whose KV cache lives in
// device memory.
func (e *Engine) setupGraphs(o Options) error {
	_, dev := e.kv.mem.(devMemory)
	if o.CUDAGraph && e.spec.KeepInput != "" {
		// Untested: the host-side scalar would have to sit at a fixed
		// device address too.
		if o.Notice != nil {
			o.Notice("CUDA graphs are not used with a " + e.spec.KeepInput + " input; running without")
		}
		return nil
	}
	if !(o.CUDAGraph || o.staticSteps) || !e.spec.ShareBuffer || e.spec.StaticOutputs || !dev {
		if o.CUDAGraph && o.Notice != nil {
			o.Notice("CUDA graphs need a GroupQueryAttention model with the KV cache in GPU memory; running without")
		}
		return nil
	}
	gs := &graphs{cuda: o.CUDAGraph, ids: map[graphKey]int{}, opts: map[int]*ort.RunOptions{}}
	if gs.cuda {
		ro, err := graphRunOptions(-1)
		if err != nil {
			return err
		}
		gs.skip = ro
	}
	e.graphs = gs
	return nil
}

// CUDAGraphs tells whether decode steps are captured as CUDA graphs.
func (e *Engine) CUDAGraphs() bool { return e.graphs != nil && e.graphs.cuda }

func graphRunOptions(id int) (*ort.RunOptions, error) {
	ro, err := ort.NewRunOptions()
	if err != nil {
		return nil, fmt.Errorf("onnx: run options: %w", err)
	}
	if err := ro.AddRunConfigEntry("gpu_graph_id", strconv.Itoa(id)); err != nil {
		_ = ro.Destroy()
		return nil, fmt.Errorf("onnx: run options gpu_graph_id: %w", err)
	}
	return ro, nil
}

func (e *Engine) closeGraphs() {
	gs := e.graphs
	if gs == nil {
		return
	}
	for _, ro := range gs.opts {
		_ = ro.Destroy()
	}
	if gs.skip != nil {
		_ = gs.skip.Destroy()
	}
	for _, b := range gs.in {
		if b != nil {
			b.free()
		}
	}
	e.graphs = nil
}

// run is one forward pass; ro selects a captured graph (nil: a plain pass,
// never captured).
func (e *Engine) run(inputs, outputs []ort.Value, ro *ort.RunOptions) error {
	if ro == nil && e.graphs != nil {
		ro = e.graphs.skip
	}
	if ro == nil {
		return e.sess.Run(inputs, outputs)
	}
	return e.sess.RunWithOptions(inputs, outputs, ro)
}

func addr(b buffer) uintptr {
	if d, ok := b.(*devBuffer); ok {
		return d.b.Ptr
	}
	return 0
}

// decodeStatic is decode for the shared buffer with every input in device
// memory at a fixed address and the mask as wide as the cache.
func (g *gen) decodeStatic() (int, error) {
	e, s, gs := g.e, g.e.spec, g.e.graphs
	n, C := len(g.rows), g.capacity
	grow := func(i, size int) error {
		if gs.in[i] != nil && gs.in[i].size() >= size {
			return nil
		}
		if gs.in[i] != nil {
			gs.in[i].free()
		}
		b, err := e.kv.mem.alloc(size)
		gs.in[i] = b
		return err
	}
	if err := grow(0, n*8); err != nil {
		return 0, err
	}
	if err := grow(1, n*C*8); err != nil {
		return 0, err
	}
	if err := grow(2, n*8); err != nil {
		return 0, err
	}
	if len(gs.ids8) < n*8 {
		gs.ids8, gs.pos = alignedBytes(n*8), alignedBytes(n*8)
	}
	if len(gs.mask) < n*C*8 {
		gs.mask = alignedBytes(n * C * 8)
	}
	mw := elemSize(s.MaskType)
	for b, r := range g.rows {
		slot, tok := r.length, int64(r.next)
		if r.done {
			// A stopped row rewrites one slot it no longer reads.
			slot, tok = min(r.length, C-1), int64(s.Pad)
		}
		putInt(gs.ids8, b, s.IDsType, tok)
		putInt(gs.pos, b, ort.TensorElementDataTypeInt64, int64(slot))
		row := gs.mask[b*C*mw : (b+1)*C*mw]
		clear(row[(slot+1)*mw:])
		for c := 0; c <= slot; c++ {
			putInt(row, c, s.MaskType, 1)
		}
	}
	for i, src := range [][]byte{gs.ids8[:n*elemSize(s.IDsType)], gs.mask[:n*C*mw], gs.pos[:n*8]} {
		if err := gs.in[i].(*devBuffer).write(src, 0); err != nil {
			return 0, fmt.Errorf("onnx: step inputs to device: %w", err)
		}
	}
	kv, err := e.kv.sharedViews(0, n)
	if err != nil {
		return 0, fmt.Errorf("onnx: kv views: %w", err)
	}
	defer destroyAll(kv)
	var owned []ort.Value
	defer func() { destroyAll(owned) }()
	view := func(b buffer, shape ort.Shape, t ort.TensorElementDataType) ort.Value {
		if err != nil {
			return nil
		}
		var v ort.Value
		if v, err = b.view(0, shape, t); err == nil {
			owned = append(owned, v)
		}
		return v
	}
	idsV := view(gs.in[0], ort.NewShape(int64(n), 1), s.IDsType)
	maskV := view(gs.in[1], ort.NewShape(int64(n), int64(C)), s.MaskType)
	posV := view(gs.in[2], ort.NewShape(int64(n), 1), ort.TensorElementDataTypeInt64)
	logitsV := view(e.scratch.logits, ort.NewShape(int64(n), 1, int64(s.Vocab)), s.LogitsType)
	if err != nil {
		return 0, fmt.Errorf("onnx: step views: %w", err)
	}
	inputs := s.stepInputs(idsV, maskV, posV, e.keep, kv)
	outputs := append([]ort.Value{logitsV}, kv...)
	var ro *ort.RunOptions
	if gs.cuda {
		k := graphKey{batch: n, capacity: C, addrs: [5]uintptr{addr(gs.in[0]), addr(gs.in[1]), addr(gs.in[2]), addr(e.scratch.logits), addr(e.kv.bufs[0][0])}}
		id, ok := gs.ids[k]
		if !ok {
			id = len(gs.ids) + 1
			if ro, err = graphRunOptions(id); err != nil {
				return 0, err
			}
			gs.ids[k], gs.opts[id] = id, ro
		}
		ro = gs.opts[id]
	}
	if err := e.run(inputs, outputs, ro); err != nil {
		return 0, fmt.Errorf("onnx: decode step (batch %d, capacity %d, graph %v): %w", n, C, ro != nil, err)
	}
	return g.sampleAll(nil), nil
}

// stepInputs orders a step's values as the session's inputs.
func (s *ModelSpec) stepInputs(ids, mask, pos, keep ort.Value, past []ort.Value) []ort.Value {
	inputs := make([]ort.Value, 0, len(s.InputNames))
	for _, name := range s.InputNames {
		switch s.roles[name] {
		case roleIDs:
			inputs = append(inputs, ids)
		case roleMask:
			inputs = append(inputs, mask)
		case rolePos:
			inputs = append(inputs, pos)
		case roleKeep:
			inputs = append(inputs, keep)
		default:
			inputs = append(inputs, past[s.kvIndex[name]])
		}
	}
	return inputs
}
