package tokenizer

import (
	"hash/maphash"
	"math/bits"
)

// Encoding is bound by lookups in two big tables (128,000 vocab strings,
// 280,000 merge pairs) whose working set exceeds the CPU caches. Go maps
// touch a control word, a slot and (for strings) the key bytes elsewhere on
// the heap: up to three cache misses. These open-addressing tables keep the
// key inside the slot, so a lookup usually costs one.

// vocabTable maps raw token bytes to ids.
type vocabTable struct {
	seed  maphash.Seed
	slots []vocabSlot
	mask  uint64
	long  []byte // keys longer than inlineKey
	n     int
}

const inlineKey = 20

type vocabSlot struct {
	hash uint32 // 0: empty
	id   int32
	n    uint16 // key length
	_    uint16
	off  uint32 // offset of a long key in long
	key  [inlineKey]byte
}

func newVocabTable(n int) *vocabTable {
	size := 1 << bits.Len(uint(2*n))
	return &vocabTable{seed: maphash.MakeSeed(), slots: make([]vocabSlot, size), mask: uint64(size - 1)}
}

func (t *vocabTable) hash(s string) (uint64, uint32) {
	h := maphash.String(t.seed, s)
	return h, uint32(h>>32) | 1
}

func (t *vocabTable) keyOf(s *vocabSlot) string {
	if s.n <= inlineKey {
		return string(s.key[:s.n])
	}
	return string(t.long[s.off : s.off+uint32(s.n)])
}

// get returns the id of key.
func (t *vocabTable) get(key string) (int32, bool) {
	h, tag := t.hash(key)
	for i := h & t.mask; ; i = (i + 1) & t.mask {
		s := &t.slots[i]
		if s.hash == 0 {
			return 0, false
		}
		if s.hash == tag && int(s.n) == len(key) {
			if len(key) <= inlineKey {
				if string(s.key[:len(key)]) == key {
					return s.id, true
				}
			} else if string(t.long[s.off:s.off+uint32(s.n)]) == key {
				return s.id, true
			}
		}
	}
}

// put sets key's id (key must fit in 16 bits of length).
func (t *vocabTable) put(key string, id int32) {
	h, tag := t.hash(key)
	for i := h & t.mask; ; i = (i + 1) & t.mask {
		s := &t.slots[i]
		if s.hash == 0 {
			s.hash, s.id, s.n = tag, id, uint16(len(key))
			if len(key) <= inlineKey {
				copy(s.key[:], key)
			} else {
				s.off = uint32(len(t.long))
				t.long = append(t.long, key...)
			}
			t.n++
			return
		}
		if s.hash == tag && t.keyOf(s) == key {
			s.id = id
			return
		}
	}
}

// mergeTable maps pairKey(left, right) to the pair's merge rule.
type mergeTable struct {
	slots []mergeSlot
	shift uint
}

type mergeSlot struct {
	key uint64 // pairKey + 1; 0: empty
	m   merge
}

func newMergeTable(n int) *mergeTable {
	b := bits.Len(uint(2 * n))
	return &mergeTable{slots: make([]mergeSlot, 1<<b), shift: uint(64 - b)}
}

func (t *mergeTable) get(key uint64) (merge, bool) {
	key++
	mask := uint64(len(t.slots) - 1)
	for i := (key * 0x9E3779B97F4A7C15) >> t.shift; ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.key == key {
			return s.m, true
		}
		if s.key == 0 {
			return merge{}, false
		}
	}
}

// put sets key's rule, replacing an earlier one.
func (t *mergeTable) put(key uint64, m merge) {
	key++
	mask := uint64(len(t.slots) - 1)
	for i := (key * 0x9E3779B97F4A7C15) >> t.shift; ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.key == 0 || s.key == key {
			s.key, s.m = key, m
			return
		}
	}
}
