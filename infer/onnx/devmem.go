package onnx

import (
	"errors"
	"fmt"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/llsum/llsum/infer/onnx/cudamem"
)

// devMemory puts KV-cache buffers in memory reached through the ORT C API
// (package cudamem): CUDA device memory on the GPU path, so the cache never
// crosses PCIe between steps; C host memory in tests of the same route.
type devMemory struct{ m *cudamem.Memory }

func (d devMemory) name() string { return d.m.Name() }

func (d devMemory) alloc(n int) (buffer, error) {
	b, err := d.m.Alloc(n)
	if err != nil {
		return nil, err
	}
	return &devBuffer{m: d.m, b: b}, nil
}

type devBuffer struct {
	m *cudamem.Memory
	b cudamem.Block
}

func (d *devBuffer) view(off int, shape ort.Shape, t ort.TensorElementDataType) (ort.Value, error) {
	if shape.FlattenedSize() == 0 {
		// ONNX Runtime accepts empty tensors, but keep the CPU path's rule
		// (a non-empty backing region) so shapes behave the same.
		if off+elemSize(t) > d.b.Size {
			return nil, fmt.Errorf("kv view %v at %d overflows buffer of %d bytes", shape, off, d.b.Size)
		}
	}
	v, err := d.m.Tensor(d.b, off, shape, t, elemSize(t))
	if err != nil {
		return nil, err
	}
	return v, nil
}

func (d *devBuffer) bytes() []byte { return nil }
func (d *devBuffer) size() int     { return d.b.Size }
func (d *devBuffer) free() {
	d.m.Free(d.b)
	d.b = cudamem.Block{}
}

// kvMemory picks where the KV cache lives: device memory for a CUDA session
// (when the graph's outputs are not static and the CUDA runtime is found),
// else Go host memory. A CUDA session that cannot get device memory keeps
// working with the host cache, with a notice.
func kvMemory(rt Runtime, device string, spec *ModelSpec, notice func(string)) (memory, func()) {
	kind, id, _ := ParseDevice(device)
	if kind != "cuda" || spec.StaticOutputs {
		return cpuMemory{}, func() {}
	}
	api, err := cudamem.Load(rt.Path)
	var m *cudamem.Memory
	if err == nil {
		m, err = cudamem.OpenCUDA(api, id)
	}
	if err != nil {
		if notice != nil {
			why := err.Error()
			if errors.Is(err, cudamem.ErrUnavailable) {
				why = "CUDA runtime: " + why
			}
			notice("KV cache in host memory (copied to the GPU every step): " + why)
		}
		return cpuMemory{}, func() {}
	}
	return devMemory{m: m}, m.Close
}

// read copies len(dst) bytes at off out of the buffer.
func (d *devBuffer) read(dst []byte, off int) error { return d.m.Read(dst, d.b, off) }

// fetchLogits copies n logits from element off of a device logits buffer to
// the host and returns them as a buffer to read from element 0. A failed
// copy yields NaNs and is kept in g.fetchErr, which Generate returns after
// the step.
func (g *gen) fetchLogits(off, n int) ([]byte, int) {
	es := elemSize(g.e.spec.LogitsType)
	if cap(g.rowBytes) < n*es {
		g.rowBytes = alignedBytes(n * es)
	}
	b := g.rowBytes[:n*es]
	err := errors.New("logits buffer is not device memory")
	if db, ok := g.e.scratch.logits.(*devBuffer); ok {
		err = db.read(b, off*es)
	}
	if err != nil {
		if g.fetchErr == nil {
			g.fetchErr = fmt.Errorf("onnx: logits to host: %w", err)
		}
		for i := range b {
			b[i] = 0xff
		}
	}
	return b, 0
}

// write copies src into the buffer at off.
func (d *devBuffer) write(src []byte, off int) error { return d.m.Write(d.b, off, src) }
