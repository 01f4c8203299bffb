//go:build !unix

package extract

import "github.com/tetratelabs/wazero/experimental"

// goAllocator leaves PDFium instances' memory to wazero (Go slices, which
// stay valid while a killed call still holds them).
type goAllocator struct{}

// memoryAllocator is the allocator PDFium instances use.
func memoryAllocator() wasmAllocator { return goAllocator{} }

func (goAllocator) allocator() experimental.MemoryAllocator { return nil }
func (goAllocator) beginKill()                              {}
func (goAllocator) endKill()                                {}
