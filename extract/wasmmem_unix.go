//go:build unix

package extract

import (
	"golang.org/x/sys/unix"

	"github.com/tetratelabs/wazero/experimental"
)

// mmapAllocator backs each PDFium instance's linear memory with one
// anonymous mapping of its maximum size, reserved but not committed: the
// memory grows in place (wazero's default grows a Go slice by copying,
// which holds old and new at once and leaves the old to the garbage
// collector), and Free returns it to the system at once.
type mmapAllocator struct{}

func (mmapAllocator) Allocate(capacity, max uint64) experimental.LinearMemory {
	size := (max + uint64(unix.Getpagesize()) - 1) &^ (uint64(unix.Getpagesize()) - 1)
	mem, err := unix.Mmap(-1, 0, int(size), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANON|unix.MAP_NORESERVE)
	if err != nil || size == 0 {
		// A Go allocation of the maximum: also committed only when
		// touched, but freed by the garbage collector.
		return &mmapMemory{mem: make([]byte, max), gc: true}
	}
	return &mmapMemory{mem: mem}
}

type mmapMemory struct {
	mem []byte
	gc  bool // mem is a Go slice, not a mapping
}

func (m *mmapMemory) Reallocate(size uint64) []byte {
	if m.mem == nil || size > uint64(len(m.mem)) {
		return nil
	}
	return m.mem[:size:size]
}

func (m *mmapMemory) Free() {
	if m.mem != nil && !m.gc {
		_ = unix.Munmap(m.mem)
	}
	m.mem = nil
}

// memoryAllocator is the allocator PDFium instances use (nil: wazero's).
func memoryAllocator() experimental.MemoryAllocator { return mmapAllocator{} }
