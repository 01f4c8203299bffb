// Package cudamem gives the ONNX engine tensors over memory that
// onnxruntime_go cannot create: CUDA device memory for a KV cache that stays
// on the GPU.
//
// # Route
//
// onnxruntime_go only makes tensors over Go (host) memory, and its Value
// interface cannot be implemented outside that package. So this package:
//
//  1. finds the C API of the ONNX Runtime library that onnxruntime_go has
//     already loaded (dlopen with RTLD_NOLOAD on the same path, then
//     OrtGetApiBase()->GetApi(29)), and calls the few OrtApi entries it needs
//     through their fixed slots in the OrtApi table (CreateMemoryInfo,
//     CreateTensorWithDataAsOrtValue, ReleaseValue, …; the slots are checked
//     against onnxruntime_go's copy of onnxruntime_c_api.h by a test);
//  2. allocates device memory with the CUDA runtime's cudaMalloc, found with
//     dlopen at run time (libcudart.so.13 or .12), so the binary builds and
//     starts on machines without CUDA, where OpenCUDA reports ErrUnavailable;
//  3. creates an OrtValue over that memory with a "Cuda" OrtMemoryInfo, and
//     hands it to onnxruntime_go inside an *ort.CustomDataTensor: a
//     placeholder tensor is made the ordinary way and its OrtValue is
//     swapped for ours (the unexported field is found by reflection and its
//     layout checked once; Layout reports a mismatch instead of crashing).
//
// The engine then passes these values to DynamicAdvancedSession.Run like any
// other: ONNX Runtime sees inputs and outputs already on the CUDA device and
// neither copies them to the host nor back. Destroy on the returned tensor
// releases the OrtValue (the memory itself belongs to the Block).
//
// The same calls work with a "Cpu" location over C-allocated host memory
// (NewHost), which is how the route is tested on machines without a GPU.
package cudamem

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

// Slots of the OrtApi function table (ORT_API_VERSION 29); the table only
// ever grows at its end. TestSlots checks them against the header.
enum {
	SLOT_GetErrorMessage = 2,
	SLOT_CreateTensorWithDataAsOrtValue = 49,
	SLOT_CreateMemoryInfo = 68,
	SLOT_ReleaseStatus = 93,
	SLOT_ReleaseMemoryInfo = 94,
	SLOT_ReleaseValue = 96,
};

typedef struct {
	const void *(*GetApi)(uint32_t version);
	const char *(*GetVersionString)(void);
} cm_api_base;

// cm_api returns the OrtApi table of the already loaded library at path,
// or NULL with *why set.
static void *cm_api(const char *path, const char **why) {
	void *lib = dlopen(path, RTLD_NOW | RTLD_NOLOAD);
	if (!lib) { *why = "library not loaded"; return NULL; }
	cm_api_base *(*get)(void) = (cm_api_base *(*)(void))dlsym(lib, "OrtGetApiBase");
	dlclose(lib);  // drops only our reference; onnxruntime_go keeps its own
	if (!get) { *why = "no OrtGetApiBase"; return NULL; }
	cm_api_base *b = get();
	if (!b) { *why = "OrtGetApiBase returned NULL"; return NULL; }
	const void *api = b->GetApi(29);
	if (!api) { *why = "API version 29 not supported"; return NULL; }
	return (void *)api;
}

#define FN(api, slot) (((void *const *)(api))[slot])

// cm_status turns an OrtStatus into a malloc'd message (NULL for success).
static char *cm_status(void *api, void *st) {
	if (!st) return NULL;
	const char *(*msg)(const void *) = (const char *(*)(const void *))FN(api, SLOT_GetErrorMessage);
	char *r = strdup(msg(st));
	((void (*)(void *))FN(api, SLOT_ReleaseStatus))(st);
	return r;
}

static char *cm_memory_info(void *api, const char *name, int id, void **out) {
	// OrtDeviceAllocator = 0, OrtMemTypeDefault = 0
	void *(*f)(const char *, int, int, int, void **) =
		(void *(*)(const char *, int, int, int, void **))FN(api, SLOT_CreateMemoryInfo);
	return cm_status(api, f(name, 0, id, 0, out));
}

static void cm_release_memory_info(void *api, void *p) {
	((void (*)(void *))FN(api, SLOT_ReleaseMemoryInfo))(p);
}

static char *cm_tensor(void *api, void *info, uintptr_t data, size_t n,
                       const int64_t *shape, size_t rank, int type, void **out) {
	void *(*f)(const void *, void *, size_t, const int64_t *, size_t, int, void **) =
		(void *(*)(const void *, void *, size_t, const int64_t *, size_t, int, void **))
			FN(api, SLOT_CreateTensorWithDataAsOrtValue);
	return cm_status(api, f(info, (void *)data, n, shape, rank, type, out));
}

static void cm_release_value(void *api, void *v) {
	((void (*)(void *))FN(api, SLOT_ReleaseValue))(v);
}

// The CUDA runtime, loaded at run time.
typedef struct {
	void *lib;
	int (*setDevice)(int);
	int (*getDeviceCount)(int *);
	int (*malloc)(void **, size_t);
	int (*free)(void *);
	int (*memcpy)(void *, const void *, size_t, int);
	int (*memGetInfo)(size_t *, size_t *);
	int (*deviceSynchronize)(void);
	const char *(*errorString)(int);
} cm_cuda;

static const char *cm_cuda_open(cm_cuda *c) {
	const char *names[] = {"libcudart.so.13", "libcudart.so.12", "libcudart.so", NULL};
	for (int i = 0; names[i] && !c->lib; i++) c->lib = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
	if (!c->lib) return "libcudart.so.13 not found";
#define SYM(f, s) if (!(*(void **)&c->f = dlsym(c->lib, s))) { dlclose(c->lib); c->lib = NULL; return "libcudart lacks " s; }
	SYM(setDevice, "cudaSetDevice")
	SYM(getDeviceCount, "cudaGetDeviceCount")
	SYM(malloc, "cudaMalloc")
	SYM(free, "cudaFree")
	SYM(memcpy, "cudaMemcpy")
	SYM(memGetInfo, "cudaMemGetInfo")
	SYM(deviceSynchronize, "cudaDeviceSynchronize")
	SYM(errorString, "cudaGetErrorString")
#undef SYM
	return NULL;
}

static int cm_cuda_count(cm_cuda *c, int *n) { return c->getDeviceCount(n); }
static int cm_cuda_set(cm_cuda *c, int d) { return c->setDevice(d); }
static int cm_cuda_malloc(cm_cuda *c, size_t n, uintptr_t *p) {
	void *q = NULL;
	int rc = c->malloc(&q, n);
	*p = (uintptr_t)q;
	return rc;
}
static int cm_cuda_free(cm_cuda *c, uintptr_t p) { return c->free((void *)p); }
// kind: 1 host to device, 2 device to host
static int cm_cuda_memcpy(cm_cuda *c, uintptr_t dst, uintptr_t src, size_t n, int kind) {
	return c->memcpy((void *)dst, (const void *)src, n, kind);
}
static int cm_cuda_meminfo(cm_cuda *c, size_t *free, size_t *total) { return c->memGetInfo(free, total); }
static int cm_cuda_sync(cm_cuda *c) { return c->deviceSynchronize(); }
static const char *cm_cuda_err(cm_cuda *c, int rc) { return c->errorString(rc); }

static uintptr_t cm_host_alloc(size_t n) { return (uintptr_t)calloc(1, n ? n : 8); }
static void cm_host_free(uintptr_t p) { free((void *)p); }
static void cm_host_copy(uintptr_t dst, uintptr_t src, size_t n) { memcpy((void *)dst, (const void *)src, n); }
*/
import "C"

import (
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"sync"
	"unsafe"

	ort "github.com/yalue/onnxruntime_go"
)

// ErrUnavailable is wrapped by OpenCUDA's error when no usable CUDA runtime
// or device is present.
var ErrUnavailable = errors.New("CUDA unavailable")

// API is the C API of the loaded ONNX Runtime library.
type API struct {
	p unsafe.Pointer
}

// Load finds the C API of the ONNX Runtime library at path, which
// onnxruntime_go must already have loaded.
func Load(path string) (*API, error) {
	if err := Layout(); err != nil {
		return nil, err
	}
	cp := C.CString(path)
	defer C.free(unsafe.Pointer(cp))
	var why *C.char
	p := C.cm_api(cp, &why)
	if p == nil {
		return nil, fmt.Errorf("cudamem: onnxruntime %s: %s", path, C.GoString(why))
	}
	return &API{p: p}, nil
}

func (a *API) status(msg *C.char) error {
	if msg == nil {
		return nil
	}
	defer C.free(unsafe.Pointer(msg))
	return errors.New(C.GoString(msg))
}

// Block is memory owned by a Memory; Ptr is its address (a device address
// for CUDA memory, never dereferenced by Go).
type Block struct {
	Ptr  uintptr
	Size int
}

// Memory allocates blocks in one place (a CUDA device, or C host memory)
// and makes ONNX Runtime tensors over them.
type Memory struct {
	api    *API
	info   unsafe.Pointer // OrtMemoryInfo
	name   string
	device int
	cuda   *C.cm_cuda // nil for host memory
	mu     sync.Mutex
	closed bool
}

// cudaRT loads the CUDA runtime once per process (dlopen handles are
// process-wide anyway; the struct only caches the symbol addresses).
var cudaRT = sync.OnceValues(func() (*C.cm_cuda, error) {
	c := (*C.cm_cuda)(C.calloc(1, C.size_t(unsafe.Sizeof(C.cm_cuda{}))))
	if why := C.cm_cuda_open(c); why != nil {
		C.free(unsafe.Pointer(c))
		return nil, fmt.Errorf("%w: %s", ErrUnavailable, C.GoString(why))
	}
	return c, nil
})

// OpenCUDA prepares device memory on GPU device. Its error wraps
// ErrUnavailable when the CUDA runtime or the device is missing.
func OpenCUDA(api *API, device int) (*Memory, error) {
	c, err := cudaRT()
	if err != nil {
		return nil, err
	}
	var n C.int
	if rc := C.cm_cuda_count(c, &n); rc != 0 {
		return nil, fmt.Errorf("%w: cudaGetDeviceCount: %s", ErrUnavailable, C.GoString(C.cm_cuda_err(c, rc)))
	}
	if device < 0 || device >= int(n) {
		return nil, fmt.Errorf("%w: device %d requested, %d present", ErrUnavailable, device, int(n))
	}
	m, err := newMemory(api, "Cuda", device)
	if err != nil {
		return nil, err
	}
	m.cuda = c
	return m, nil
}

// NewHost makes a Memory of C-allocated host memory with a "Cpu" location:
// the same route as OpenCUDA without a GPU.
func NewHost(api *API) (*Memory, error) {
	return newMemory(api, "Cpu", 0)
}

func newMemory(api *API, name string, device int) (*Memory, error) {
	cn := C.CString(name)
	defer C.free(unsafe.Pointer(cn))
	var info unsafe.Pointer
	if err := api.status(C.cm_memory_info(api.p, cn, C.int(device), &info)); err != nil {
		return nil, fmt.Errorf("cudamem: memory info %s:%d: %w", name, device, err)
	}
	return &Memory{api: api, info: info, name: name, device: device}, nil
}

// Name is "cuda:N" or "host".
func (m *Memory) Name() string {
	if m.cuda != nil {
		return fmt.Sprintf("cuda:%d", m.device)
	}
	return "host"
}

// Device tells whether the memory is on a GPU (not readable by the host).
func (m *Memory) Device() bool { return m.cuda != nil }

func (m *Memory) cudaErr(what string, rc C.int) error {
	return fmt.Errorf("cudamem: %s: %s (cuda error %d)", what, C.GoString(C.cm_cuda_err(m.cuda, rc)), int(rc))
}

// setDevice makes m's device current on this OS thread; the caller holds
// the thread locked.
func (m *Memory) setDevice() error {
	if rc := C.cm_cuda_set(m.cuda, C.int(m.device)); rc != 0 {
		return m.cudaErr("cudaSetDevice", rc)
	}
	return nil
}

// Alloc returns n bytes (contents undefined for device memory, zero for host).
func (m *Memory) Alloc(n int) (Block, error) {
	if n <= 0 {
		n = 8
	}
	if m.cuda == nil {
		p := C.cm_host_alloc(C.size_t(n))
		if p == 0 {
			return Block{}, fmt.Errorf("cudamem: host allocation of %d bytes failed", n)
		}
		return Block{Ptr: uintptr(p), Size: n}, nil
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := m.setDevice(); err != nil {
		return Block{}, err
	}
	var p C.uintptr_t
	if rc := C.cm_cuda_malloc(m.cuda, C.size_t(n), &p); rc != 0 {
		return Block{}, m.cudaErr(fmt.Sprintf("cudaMalloc %d bytes on device %d", n, m.device), rc)
	}
	return Block{Ptr: uintptr(p), Size: n}, nil
}

// Free releases b.
func (m *Memory) Free(b Block) {
	if b.Ptr == 0 {
		return
	}
	if m.cuda == nil {
		C.cm_host_free(C.uintptr_t(b.Ptr))
		return
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if m.setDevice() == nil {
		C.cm_cuda_free(m.cuda, C.uintptr_t(b.Ptr))
	}
}

// Read copies len(dst) bytes from b at off into dst.
func (m *Memory) Read(dst []byte, b Block, off int) error { return m.transfer(dst, b, off, false) }

// Write copies src into b at off.
func (m *Memory) Write(b Block, off int, src []byte) error { return m.transfer(src, b, off, true) }

// transfer copies between host bytes and b at off, in either direction.
func (m *Memory) transfer(host []byte, b Block, off int, toBlock bool) error {
	if len(host) == 0 {
		return nil
	}
	if off < 0 || off+len(host) > b.Size {
		return fmt.Errorf("cudamem: copy of %d bytes at %d of a %d-byte block", len(host), off, b.Size)
	}
	h := C.uintptr_t(uintptr(unsafe.Pointer(&host[0])))
	d := C.uintptr_t(b.Ptr + uintptr(off))
	src, dst, kind, what := d, h, C.int(2), "cudaMemcpy to host"
	if toBlock {
		src, dst, kind, what = h, d, 1, "cudaMemcpy to device"
	}
	if m.cuda == nil {
		C.cm_host_copy(dst, src, C.size_t(len(host)))
		return nil
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := m.setDevice(); err != nil {
		return err
	}
	// ONNX Runtime computes on its own (non-blocking) stream, which a plain
	// cudaMemcpy does not wait for, and a copy from pageable memory may
	// return before its DMA lands: synchronize the device before reading
	// results and after writing inputs.
	if !toBlock {
		if rc := C.cm_cuda_sync(m.cuda); rc != 0 {
			return m.cudaErr("cudaDeviceSynchronize", rc)
		}
	}
	if rc := C.cm_cuda_memcpy(m.cuda, dst, src, C.size_t(len(host)), kind); rc != 0 {
		return m.cudaErr(what, rc)
	}
	if toBlock {
		if rc := C.cm_cuda_sync(m.cuda); rc != 0 {
			return m.cudaErr("cudaDeviceSynchronize", rc)
		}
	}
	return nil
}

// Sync waits for all work on the device (nothing for host memory): ONNX
// Runtime sessions compute on their own streams, and one session's result
// read by another must be complete.
func (m *Memory) Sync() error {
	if m.cuda == nil {
		return nil
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := m.setDevice(); err != nil {
		return err
	}
	if rc := C.cm_cuda_sync(m.cuda); rc != 0 {
		return m.cudaErr("cudaDeviceSynchronize", rc)
	}
	return nil
}

// MemInfo reports the device's free and total bytes (0, 0 for host memory).
func (m *Memory) MemInfo() (free, total int64, err error) {
	if m.cuda == nil {
		return 0, 0, nil
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := m.setDevice(); err != nil {
		return 0, 0, err
	}
	var f, t C.size_t
	if rc := C.cm_cuda_meminfo(m.cuda, &f, &t); rc != 0 {
		return 0, 0, m.cudaErr("cudaMemGetInfo", rc)
	}
	return int64(f), int64(t), nil
}

// Tensor wraps the bytes of b from off as a tensor of the given shape and
// element type, without copying. Destroy the result when done; b must
// outlive it.
func (m *Memory) Tensor(b Block, off int, shape ort.Shape, t ort.TensorElementDataType, elemSize int) (*ort.CustomDataTensor, error) {
	m.mu.Lock()
	closed := m.closed
	m.mu.Unlock()
	if closed {
		return nil, errors.New("cudamem: memory closed")
	}
	n := int(shape.FlattenedSize()) * elemSize
	if off < 0 || off+n > b.Size {
		return nil, fmt.Errorf("cudamem: tensor %v at %d overflows a %d-byte block", shape, off, b.Size)
	}
	dims := make([]C.int64_t, max(len(shape), 1))
	for i, d := range shape {
		dims[i] = C.int64_t(d)
	}
	var v unsafe.Pointer
	err := m.api.status(C.cm_tensor(m.api.p, m.info, C.uintptr_t(b.Ptr+uintptr(off)), C.size_t(n),
		&dims[0], C.size_t(len(shape)), C.int(t), &v))
	if err != nil {
		return nil, fmt.Errorf("cudamem: tensor %v on %s: %w", shape, m.Name(), err)
	}
	ct, err := adopt(m.api, v, shape, t)
	if err != nil {
		C.cm_release_value(m.api.p, v)
		return nil, err
	}
	return ct, nil
}

// Close releases the memory location; blocks must be freed first.
func (m *Memory) Close() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return
	}
	m.closed = true
	C.cm_release_memory_info(m.api.p, m.info)
}

// layoutErr is the result of checking CustomDataTensor's fields once.
var layoutErr = sync.OnceValue(func() error {
	t := reflect.TypeOf(ort.CustomDataTensor{})
	v, ok := t.FieldByName("ortValue")
	if !ok || v.Type.Kind() != reflect.Pointer {
		return errors.New("cudamem: onnxruntime_go's CustomDataTensor has no ortValue pointer field (binding version changed)")
	}
	s, ok := t.FieldByName("shape")
	if !ok || s.Type != reflect.TypeOf(ort.Shape{}) {
		return errors.New("cudamem: onnxruntime_go's CustomDataTensor has no shape field (binding version changed)")
	}
	return nil
})

// Layout reports whether this binding's CustomDataTensor can carry a foreign
// OrtValue (checked once).
func Layout() error { return layoutErr() }

// adopt returns a CustomDataTensor whose OrtValue is v (ownership passes to
// the tensor: its Destroy releases v).
func adopt(api *API, v unsafe.Pointer, shape ort.Shape, t ort.TensorElementDataType) (*ort.CustomDataTensor, error) {
	if err := Layout(); err != nil {
		return nil, err
	}
	placeholder := make([]byte, 8)
	ct, err := ort.NewCustomDataTensor(ort.NewShape(1), placeholder, t)
	if err != nil {
		return nil, fmt.Errorf("cudamem: placeholder tensor: %w", err)
	}
	rv := reflect.ValueOf(ct).Elem()
	f := rv.FieldByName("ortValue")
	slot := (*unsafe.Pointer)(unsafe.Pointer(f.UnsafeAddr()))
	old := *slot
	*slot = v
	C.cm_release_value(api.p, old)
	sf := rv.FieldByName("shape")
	*(*ort.Shape)(unsafe.Pointer(sf.UnsafeAddr())) = shape.Clone()
	return ct, nil
}
