package structured

import (
	"encoding/binary"
	"math"
)

// The grammar is a byte-level pushdown automaton: a state is a stack of
// frames, one per JSON value being written (the root frame below them all).
// Every state knows the shortest text that completes it (minClose), which is
// what makes the token budget enforceable.

const (
	maxDepth  = 32 // frames on the stack, root included
	maxWS     = 8  // whitespace bytes in a row between structural tokens
	maxDigits = 15 // digits of a number (integer and fraction parts)
	inf       = math.MaxInt32 / 4
)

type kind uint8

const (
	kObject kind = iota
	kArray
	kString
	kEnum
	kInteger
	kNumber
	kBool
	kNull
)

// node is one compiled (sub)schema.
type node struct {
	id       int
	ptr      string
	kind     kind
	props    []prop
	items    *node
	minItems int
	maxItems int // -1: none
	minLen   int
	maxLen   int      // -1: none
	lits     []string // enum/bool/null: the JSON literals
	shortest int      // bytes of the shortest valid value
	// objects, by next property index i (0..len(props)):
	closeW    []int // close after at least one property: required ones from i, commas, '}'
	closeN    []int // close when none was written yet
	commaRest []int // after a ',': one more property from i, then close
}

type prop struct {
	name, lit string // lit: the key as a JSON string
	n         *node
	required  bool
}

// finish computes the shortest-completion tables (children first).
func (n *node) finish() {
	switch n.kind {
	case kObject:
		k := len(n.props)
		n.closeW, n.closeN, n.commaRest = make([]int, k+1), make([]int, k+1), make([]int, k+1)
		n.closeW[k], n.closeN[k], n.commaRest[k] = 1, 1, inf
		anyReq := false
		for i := k - 1; i >= 0; i-- {
			p := n.props[i]
			n.closeW[i] = n.closeW[i+1]
			if p.required {
				n.closeW[i] += 1 + len(p.lit) + 1 + p.n.shortest
				anyReq = true
			}
			n.closeN[i] = 1
			if anyReq {
				n.closeN[i] = n.closeW[i] - 1
			}
		}
		for i := 0; i < k; i++ {
			best := inf
			for j := i; j < k; j++ {
				p := n.props[j]
				best = min(best, len(p.lit)+1+p.n.shortest+n.closeW[j+1])
				if p.required {
					break
				}
			}
			n.commaRest[i] = best
		}
		n.shortest = 1 + n.closeN[0]
	case kArray:
		si := n.items.shortest
		n.shortest = 2
		if m := n.minItems; m > 0 {
			n.shortest = 2 + m*si + m - 1
		}
	case kString:
		n.shortest = 2 + n.minLen
	case kEnum, kBool, kNull:
		n.shortest = inf
		for _, l := range n.lits {
			n.shortest = min(n.shortest, len(l))
		}
	case kInteger, kNumber:
		n.shortest = 1
	}
}

// candidates returns the bitset of the properties a key may name when the
// next property to consider is i: the optional ones up to and including the
// first required one.
func (n *node) candidates(i int) uint64 {
	var c uint64
	for j := i; j < len(n.props); j++ {
		c |= 1 << uint(j)
		if n.props[j].required {
			break
		}
	}
	return c
}

type phase uint8

const (
	pRootStart phase = iota
	pRootDone
	pOpen // any value: before its first byte
	pObjStart
	pObjComma
	pObjKey
	pObjColon
	pObjValue
	pObjAfter
	pArrStart
	pArrComma
	pArrAfter
	pStrBody
	pStrEsc
	pLit
	pNumMinus
	pNumZero
	pNumInt
	pNumDot
	pNumFrac
)

// frame is one value being written.
type frame struct {
	n      *node // nil: the root frame
	ph     phase
	ws     uint8  // whitespace bytes in a row
	pend   uint8  // string: UTF-8 continuation bytes still due
	lo, hi uint8  // string: range of the next continuation byte
	next   int32  // object: next property index; literal/key: bytes matched
	cur    int32  // object: property being written
	count  int32  // string runes, array items, number digits
	cands  uint64 // literal/key: candidates still matching
}

// state is the automaton's stack.
type state struct {
	f []frame
}

func newState(root *node) state {
	st := state{f: make([]frame, 1, maxDepth)}
	st.f[0] = frame{ph: pRootStart}
	_ = root
	return st
}

func (st *state) copyFrom(o *state) {
	st.f = append(st.f[:0], o.f...)
}

// accepting reports whether the text so far is a complete value.
func (st *state) accepting() bool {
	switch len(st.f) {
	case 1:
		return st.f[0].ph == pRootDone
	case 2:
		t := st.f[1].ph
		return t == pNumZero || t == pNumInt || t == pNumFrac
	}
	return false
}

func isWS(c byte) bool { return c == ' ' || c == '\n' }

func wsPhase(p phase) bool {
	switch p {
	case pObjStart, pObjComma, pObjColon, pObjValue, pObjAfter, pArrStart, pArrComma, pArrAfter:
		return true
	}
	return false
}

// advance consumes byte c; false when c cannot continue a valid value (the
// state is then unusable).
func (st *state) advance(root *node, c byte) bool {
	for {
		top := &st.f[len(st.f)-1]
		if wsPhase(top.ph) && isWS(c) {
			if top.ws >= maxWS {
				return false
			}
			top.ws++
			return true
		}
		top.ws = 0
		switch top.ph {
		case pRootStart:
			top.ph = pRootDone
			return st.push(root, c)
		case pRootDone:
			return false
		case pObjStart, pObjComma:
			n := top.n
			if c == '}' && top.ph == pObjStart && n.closeN[top.next] == 1 {
				st.pop()
				return true
			}
			if c != '"' {
				return false
			}
			cands := n.candidates(int(top.next))
			if cands == 0 {
				return false
			}
			top.ph, top.cands, top.count = pObjKey, cands, 1 // count: bytes of the key matched
			return true
		case pObjKey:
			n := top.n
			pos := int(top.count)
			var keep uint64
			done := -1
			for m := top.cands; m != 0; m &= m - 1 {
				j := trailing(m)
				l := n.props[j].lit
				if pos < len(l) && l[pos] == c {
					keep |= 1 << uint(j)
					if pos+1 == len(l) {
						done = j
					}
				}
			}
			if keep == 0 {
				return false
			}
			top.cands, top.count = keep, int32(pos+1)
			if done >= 0 {
				top.ph, top.cur, top.next, top.cands, top.count = pObjColon, int32(done), int32(done+1), 0, 0
			}
			return true
		case pObjColon:
			if c != ':' {
				return false
			}
			top.ph = pObjValue
			return true
		case pObjValue:
			top.ph = pObjAfter
			return st.push(top.n.props[top.cur].n, c)
		case pObjAfter:
			n := top.n
			switch {
			case c == ',' && n.commaRest[top.next] < inf:
				top.ph = pObjComma
				return true
			case c == '}' && n.closeW[top.next] == 1:
				st.pop()
				return true
			}
			return false
		case pArrStart, pArrComma:
			n := top.n
			if c == ']' && top.ph == pArrStart && n.minItems == 0 {
				st.pop()
				return true
			}
			top.ph = pArrAfter
			top.count++
			return st.push(n.items, c)
		case pArrAfter:
			n := top.n
			switch {
			case c == ',' && (n.maxItems < 0 || int(top.count) < n.maxItems):
				top.ph = pArrComma
				return true
			case c == ']' && int(top.count) >= n.minItems:
				st.pop()
				return true
			}
			return false
		case pStrBody:
			return st.strByte(top, c)
		case pStrEsc:
			switch c {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				top.ph = pStrBody
				return true
			}
			return false
		case pLit:
			n := top.n
			pos := int(top.next)
			var keep uint64
			done := false
			for m := top.cands; m != 0; m &= m - 1 {
				j := trailing(m)
				l := n.lits[j]
				if pos < len(l) && l[pos] == c {
					keep |= 1 << uint(j)
					done = done || pos+1 == len(l)
				}
			}
			if keep == 0 {
				return false
			}
			if done {
				st.pop()
				return true
			}
			top.cands, top.next = keep, int32(pos+1)
			return true
		case pNumMinus:
			switch {
			case c == '0':
				top.ph, top.count = pNumZero, 1
			case c >= '1' && c <= '9':
				top.ph, top.count = pNumInt, 1
			default:
				return false
			}
			return true
		case pNumDot:
			if c < '0' || c > '9' {
				return false
			}
			top.ph = pNumFrac
			top.count++
			return true
		case pNumZero, pNumInt, pNumFrac:
			switch {
			case c >= '0' && c <= '9' && top.ph != pNumZero:
				if top.count >= maxDigits {
					return false
				}
				top.count++
				return true
			case c == '.' && top.ph != pNumFrac && top.n.kind == kNumber:
				if top.count >= maxDigits {
					return false
				}
				top.ph = pNumDot
				return true
			}
			// The number ends: the byte belongs to the enclosing value.
			st.pop()
			continue
		}
		return false
	}
}

// strByte consumes one byte of a string's body.
func (st *state) strByte(top *frame, c byte) bool {
	n := top.n
	if top.pend > 0 {
		if c < top.lo || c > top.hi {
			return false
		}
		top.pend--
		top.lo, top.hi = 0x80, 0xbf
		return true
	}
	switch {
	case c == '"':
		if int(top.count) < n.minLen {
			return false
		}
		st.pop()
		return true
	case c < 0x20 || c == 0x7f:
		return false
	}
	if n.maxLen >= 0 && int(top.count) >= n.maxLen {
		return false
	}
	switch {
	case c == '\\':
		top.ph = pStrEsc
	case c < 0x80:
	case c >= 0xc2 && c <= 0xdf:
		top.pend, top.lo, top.hi = 1, 0x80, 0xbf
	case c >= 0xe0 && c <= 0xef:
		top.pend, top.lo, top.hi = 2, 0x80, 0xbf
		switch c {
		case 0xe0:
			top.lo = 0xa0
		case 0xed:
			top.hi = 0x9f
		}
	case c >= 0xf0 && c <= 0xf4:
		top.pend, top.lo, top.hi = 3, 0x80, 0xbf
		switch c {
		case 0xf0:
			top.lo = 0x90
		case 0xf4:
			top.hi = 0x8f
		}
	default:
		return false
	}
	top.count++
	return true
}

// push starts a value of schema n with its first byte c.
func (st *state) push(n *node, c byte) bool {
	if len(st.f) >= maxDepth {
		return false
	}
	f := frame{n: n}
	switch n.kind {
	case kObject:
		if c != '{' {
			return false
		}
		f.ph = pObjStart
	case kArray:
		if c != '[' {
			return false
		}
		f.ph = pArrStart
	case kString:
		if c != '"' {
			return false
		}
		f.ph = pStrBody
	case kEnum, kBool, kNull:
		for j, l := range n.lits {
			if l[0] == c {
				f.cands |= 1 << uint(j)
			}
		}
		if f.cands == 0 {
			return false
		}
		f.ph, f.next = pLit, 1
	case kInteger, kNumber:
		switch {
		case c == '-':
			f.ph = pNumMinus
		case c == '0':
			f.ph, f.count = pNumZero, 1
		case c >= '1' && c <= '9':
			f.ph, f.count = pNumInt, 1
		default:
			return false
		}
	}
	st.f = append(st.f, f)
	return true
}

func (st *state) pop() { st.f = st.f[:len(st.f)-1] }

func trailing(m uint64) int {
	n := 0
	for m&1 == 0 {
		m >>= 1
		n++
	}
	return n
}

// minClose is the length in bytes of the shortest text that completes the
// value from this state.
func (st *state) minClose(root *node) int {
	total := 0
	for i := range st.f {
		total += st.f[i].rest(root)
	}
	return total
}

// rest is what frame f still needs once any value above it is complete.
func (f *frame) rest(root *node) int {
	n := f.n
	switch f.ph {
	case pRootStart:
		return root.shortest
	case pRootDone:
		return 0
	case pObjStart:
		return n.closeN[f.next]
	case pObjComma:
		return n.commaRest[f.next]
	case pObjKey:
		best := inf
		pos := int(f.count)
		for m := f.cands; m != 0; m &= m - 1 {
			j := trailing(m)
			p := n.props[j]
			best = min(best, len(p.lit)-pos+1+p.n.shortest+n.closeW[j+1])
		}
		return best
	case pObjColon:
		return 1 + n.props[f.cur].n.shortest + n.closeW[f.next]
	case pObjValue:
		return n.props[f.cur].n.shortest + n.closeW[f.next]
	case pObjAfter:
		return n.closeW[f.next]
	case pArrStart, pArrComma, pArrAfter:
		si := n.items.shortest
		need := max(0, n.minItems-int(f.count))
		switch f.ph {
		case pArrStart:
			if need == 0 {
				return 1
			}
			return need*si + need - 1 + 1
		case pArrComma:
			return si + (max(need, 1)-1)*(1+si) + 1
		}
		return need*(1+si) + 1
	case pStrBody:
		return int(f.pend) + max(n.minLen-int(f.count), 0) + 1
	case pStrEsc:
		return 1 + max(n.minLen-int(f.count), 0) + 1
	case pLit:
		best := inf
		for m := f.cands; m != 0; m &= m - 1 {
			best = min(best, len(n.lits[trailing(m)])-int(f.next))
		}
		return best
	case pNumMinus, pNumDot:
		return 1
	}
	return 0 // pNumZero, pNumInt, pNumFrac
}

// key appends a description of the state that determines which tokens are
// allowed next, counts normalised so that states that differ only far from
// a limit share it; limit is the longest token in bytes.
func (st *state) key(dst []byte, limit int) []byte {
	clip := func(v int) int { return min(max(v, 0), limit+1) }
	for i := range st.f {
		f := &st.f[i]
		id := 0
		if f.n != nil {
			id = f.n.id + 1
		}
		var count, count2 int
		if f.n != nil {
			switch f.n.kind {
			case kString:
				count = min(int(f.count), f.n.minLen)
				if f.n.maxLen >= 0 {
					count2 = clip(f.n.maxLen - int(f.count))
				}
			case kArray:
				count = min(int(f.count), f.n.minItems)
				if f.n.maxItems >= 0 {
					count2 = clip(f.n.maxItems - int(f.count))
				}
			default:
				count = int(f.count)
			}
		}
		dst = binary.AppendUvarint(dst, uint64(id))
		dst = append(dst, byte(f.ph), f.ws, f.pend, f.lo, f.hi)
		dst = binary.AppendUvarint(dst, uint64(f.next))
		dst = binary.AppendUvarint(dst, uint64(f.cur))
		dst = binary.AppendUvarint(dst, uint64(count))
		dst = binary.AppendUvarint(dst, uint64(count2))
		dst = binary.AppendUvarint(dst, f.cands)
	}
	return dst
}
