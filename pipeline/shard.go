package pipeline

import (
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
)

// Shard selects a stable part of the documents: those whose relative path
// hashes (FNV-1a, 64 bits) to Index modulo Count. The zero Shard is the
// whole run.
type Shard struct {
	Index, Count int
}

// ParseShard parses "I/N" (0 <= I < N).
func ParseShard(s string) (Shard, error) {
	a, b, ok := strings.Cut(strings.TrimSpace(s), "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
		return Shard{}, fmt.Errorf("shard %q: want I/N with 0 <= I < N, e.g. 0/3", s)
	}
	return Shard{Index: i, Count: n}, nil
}

// Enabled reports whether the run is split at all.
func (s Shard) Enabled() bool { return s.Count > 1 }

// String is "I/N", or "" for the whole run.
func (s Shard) String() string {
	if !s.Enabled() {
		return ""
	}
	return fmt.Sprintf("%d/%d", s.Index, s.Count)
}

// suffix names the shard's files: "" or "-I-of-N".
func (s Shard) suffix() string {
	if !s.Enabled() {
		return ""
	}
	return fmt.Sprintf("-%d-of-%d", s.Index, s.Count)
}

// Has reports whether the document with relative path rel belongs to the
// shard.
func (s Shard) Has(rel string) bool {
	if !s.Enabled() {
		return true
	}
	h := fnv.New64a()
	h.Write([]byte(rel))
	return h.Sum64()%uint64(s.Count) == uint64(s.Index)
}
