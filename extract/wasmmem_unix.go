//go:build unix

package extract

import (
	"sync"

	"golang.org/x/sys/unix"

	"github.com/tetratelabs/wazero/experimental"
)

// mmapAllocator backs each PDFium instance's linear memory with one
// anonymous mapping of its maximum size, reserved but not committed: the
// memory grows in place (wazero's default grows a Go slice by copying,
// which holds old and new at once and leaves the old to the garbage
// collector), and Free returns its pages to the system at once.
//
// A killed instance's range must outlive the call that was running in it.
// A document's watchdog kills its instance from another goroutine
// (pdfiumDoc.open), and wazero frees the memory while that call still runs
// compiled code on it until its next check of the closed flag; unmapped,
// the range faulted there (SIGSEGV in compiled WebAssembly, which the Go
// runtime cannot unwind: the process died in about one
// TestTimeout/pdfium run in five). So while any kill is outstanding (from
// beginKill until the killed document's endKill, which runs after its
// call has returned) Free only drops the pages (MADV_DONTNEED: the range
// stays valid and reads zeros) and the range is unmapped when the last
// outstanding kill ends.
type mmapAllocator struct {
	mu      sync.Mutex
	killing int      // kills whose call may still be running
	pending [][]byte // ranges freed meanwhile, unmapped when killing is 0
}

// memoryAllocator is the allocator PDFium instances use.
func memoryAllocator() wasmAllocator { return &mmapAllocator{} }

func (a *mmapAllocator) allocator() experimental.MemoryAllocator { return a }

func (a *mmapAllocator) Allocate(capacity, max uint64) experimental.LinearMemory {
	size := (max + uint64(unix.Getpagesize()) - 1) &^ (uint64(unix.Getpagesize()) - 1)
	mem, err := unix.Mmap(-1, 0, int(size), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANON|unix.MAP_NORESERVE)
	if err != nil || size == 0 {
		// A Go allocation of the maximum: also committed only when
		// touched, but freed by the garbage collector.
		return &mmapMemory{mem: make([]byte, max), gc: true}
	}
	return &mmapMemory{mem: mem, a: a}
}

// beginKill is called before an instance is killed mid-call.
func (a *mmapAllocator) beginKill() {
	a.mu.Lock()
	a.killing++
	a.mu.Unlock()
}

// endKill is called once the killed instance's call has returned.
func (a *mmapAllocator) endKill() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.killing--; a.killing > 0 {
		return
	}
	for _, mem := range a.pending {
		_ = unix.Munmap(mem)
	}
	a.pending = nil
}

func (a *mmapAllocator) free(mem []byte) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.killing == 0 {
		_ = unix.Munmap(mem)
		return
	}
	_ = unix.Madvise(mem, unix.MADV_DONTNEED)
	a.pending = append(a.pending, mem)
}

type mmapMemory struct {
	mem []byte
	gc  bool // mem is a Go slice, not a mapping
	a   *mmapAllocator
}

func (m *mmapMemory) Reallocate(size uint64) []byte {
	if m.mem == nil || size > uint64(len(m.mem)) {
		return nil
	}
	return m.mem[:size:size]
}

func (m *mmapMemory) Free() {
	if m.mem != nil && !m.gc {
		m.a.free(m.mem)
	}
	m.mem = nil
}
