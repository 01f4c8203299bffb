//go:build !unix

package extract

import "github.com/tetratelabs/wazero/experimental"

// memoryAllocator is the allocator PDFium instances use (nil: wazero's).
func memoryAllocator() experimental.MemoryAllocator { return nil }
