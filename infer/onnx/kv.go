package onnx

import (
	"fmt"
	"unsafe"

	ort "github.com/yalue/onnxruntime_go"
)

// memory is where KV-cache buffers live. cpuMemory (Go-owned host memory) is
// the only one today; CUDA device memory plugs in here without touching the
// cache logic.
type memory interface {
	alloc(n int) (buffer, error)
	name() string
}

// buffer is one block of memory the graph reads or writes in place.
type buffer interface {
	// view wraps bytes from off as a tensor of the given shape and type,
	// without copying. A zero-element shape still gets a non-empty backing
	// slice (onnxruntime_go refuses empty ones).
	view(off int, shape ort.Shape, t ort.TensorElementDataType) (ort.Value, error)
	bytes() []byte // host-visible contents (nil for device memory)
	size() int
	free()
}

type cpuMemory struct{}

func (cpuMemory) name() string { return "cpu" }

func (cpuMemory) alloc(n int) (buffer, error) {
	return &cpuBuffer{b: alignedBytes(n)}, nil
}

type cpuBuffer struct{ b []byte }

func (c *cpuBuffer) view(off int, shape ort.Shape, t ort.TensorElementDataType) (ort.Value, error) {
	n := int(shape.FlattenedSize()) * elemSize(t)
	if off+n > len(c.b) {
		return nil, fmt.Errorf("kv view %v at %d overflows buffer of %d bytes", shape, off, len(c.b))
	}
	end := off + max(n, elemSize(t))
	return ort.NewCustomDataTensor(shape.Clone(), c.b[off:end:end], t)
}
func (c *cpuBuffer) bytes() []byte { return c.b }
func (c *cpuBuffer) size() int     { return len(c.b) }
func (c *cpuBuffer) free()         { c.b = nil }

// alignedBytes returns n zeroed bytes aligned for any element type.
func alignedBytes(n int) []byte {
	if n <= 0 {
		n = 8
	}
	w := make([]uint64, (n+7)/8)
	return unsafe.Slice((*byte)(unsafe.Pointer(&w[0])), n)
}

// kvCache holds past/present key and value buffers for every layer, sized
// for batch × capacity positions.
//
// Two modes, chosen from the graph:
//   - shared (GroupQueryAttention graphs, no position_ids): past and present
//     are the same [B, kvHeads, capacity, head] buffer; the graph writes the
//     new positions in place and reads each row's length from
//     attention_mask, so rows keep their own lengths and nothing is copied.
//   - ping-pong (graphs with position_ids): present is past with the new
//     positions appended; two buffers per tensor alternate as past and
//     present, so a step never allocates and the cache is never copied by
//     llsum.
type kvCache struct {
	mem      memory
	layers   int
	heads    int
	headSize int
	dtype    ort.TensorElementDataType
	shared   bool

	batch, capacity int
	// bufs[side][2*layer+kv]; side 1 unused in shared mode.
	bufs [2][]buffer
	cur  int // ping-pong: the side holding past
}

func newKVCache(mem memory, s *ModelSpec) *kvCache {
	return &kvCache{mem: mem, layers: s.Layers, heads: s.KVHeads, headSize: s.HeadSize, dtype: s.KVType, shared: s.ShareBuffer}
}

// bytesPerRow is the size of one sequence's slice of one tensor.
func (c *kvCache) bytesPerRow(capacity int) int {
	return c.heads * capacity * c.headSize * elemSize(c.dtype)
}

// Bytes is the memory the cache holds now.
func (c *kvCache) Bytes() int {
	n := 0
	for _, side := range c.bufs {
		for _, b := range side {
			n += b.size()
		}
	}
	return n
}

// reset prepares the cache for batch rows of capacity positions, reusing the
// existing buffers when they are large enough but not more than 4× too large
// (one long document must not pin its cache for the rest of a run), and
// zeroes nothing: every position read is written first.
func (c *kvCache) reset(batch, capacity int) error {
	c.cur = 0
	need := batch * c.bytesPerRow(capacity)
	sides := 2
	if c.shared {
		sides = 1
	}
	c.batch, c.capacity = batch, capacity
	if len(c.bufs[0]) == 2*c.layers && c.bufs[0][0].size() >= need && c.bufs[0][0].size() <= 4*need && (sides == 1 || len(c.bufs[1]) == 2*c.layers) {
		return nil
	}
	c.free()
	for s := 0; s < sides; s++ {
		for i := 0; i < 2*c.layers; i++ {
			b, err := c.mem.alloc(need)
			if err != nil {
				c.free()
				return fmt.Errorf("kv cache: %d bytes on %s: %w", need, c.mem.name(), err)
			}
			c.bufs[s] = append(c.bufs[s], b)
		}
	}
	return nil
}

func (c *kvCache) free() {
	for s := range c.bufs {
		for _, b := range c.bufs[s] {
			b.free()
		}
		c.bufs[s] = nil
	}
}

// sharedViews returns tensors over rows [row, row+n) of the shared buffer,
// shape [n, heads, capacity, head], one per past input (2 per layer).
func (c *kvCache) sharedViews(row, n int) ([]ort.Value, error) {
	vs := make([]ort.Value, 0, 2*c.layers)
	shape := ort.NewShape(int64(n), int64(c.heads), int64(c.capacity), int64(c.headSize))
	for _, b := range c.bufs[0] {
		v, err := b.view(row*c.bytesPerRow(c.capacity), shape, c.dtype)
		if err != nil {
			destroyAll(vs)
			return nil, err
		}
		vs = append(vs, v)
	}
	return vs, nil
}

// pingPongViews returns past views of length past and present views of
// length past+seq over the two sides.
func (c *kvCache) pingPongViews(past, seq int) (pastV, presentV []ort.Value, err error) {
	ps := ort.NewShape(int64(c.batch), int64(c.heads), int64(past), int64(c.headSize))
	ns := ort.NewShape(int64(c.batch), int64(c.heads), int64(past+seq), int64(c.headSize))
	for i := range c.bufs[c.cur] {
		p, err := c.bufs[c.cur][i].view(0, ps, c.dtype)
		if err != nil {
			destroyAll(pastV, presentV)
			return nil, nil, err
		}
		pastV = append(pastV, p)
		n, err := c.bufs[1-c.cur][i].view(0, ns, c.dtype)
		if err != nil {
			destroyAll(pastV, presentV)
			return nil, nil, err
		}
		presentV = append(presentV, n)
	}
	return pastV, presentV, nil
}

// swap makes the last present the next past.
func (c *kvCache) swap() { c.cur = 1 - c.cur }

func destroyAll(lists ...[]ort.Value) {
	for _, l := range lists {
		for _, v := range l {
			if v != nil {
				_ = v.Destroy()
			}
		}
	}
}
