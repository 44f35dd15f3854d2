package match

import "hash/maphash"

// index finds rows by a string key without holding the keys: an open
// addressing table of row numbers, each with the high half of its key's
// hash, the key itself read back from the row when the hashes agree. A
// million transactions or payables take 16 MiB here where a
// map[string]int32 took 55 MiB (the string headers and the map's spare
// room), which at GOGC=100 is twice that again in peak heap.
type index struct {
	slots []uint64 // hash>>32 << 32 | row+1; 0 is empty
	n     int
	seed  maphash.Seed
	key   func(row int32) string // the key of a row already added
}

func newIndex(n int, key func(int32) string) *index {
	x := &index{seed: maphash.MakeSeed(), key: key}
	x.slots = make([]uint64, tableSize(n))
	return x
}

// tableSize keeps the table at most half full: short probes.
func tableSize(n int) int {
	size := 16
	for size < 2*n {
		size <<= 1
	}
	return size
}

// find returns the slot holding k, or the empty slot where it would go.
func (x *index) find(k string, h uint64) int {
	mask := len(x.slots) - 1
	tag := h >> 32 << 32
	for i := int(h) & mask; ; i = (i + 1) & mask {
		s := x.slots[i]
		if s == 0 || s&^0xffffffff == tag && x.key(int32(uint32(s))-1) == k {
			return i
		}
	}
}

// get returns the row with key k.
func (x *index) get(k string) (int32, bool) {
	s := x.slots[x.find(k, maphash.String(x.seed, k))]
	if s == 0 {
		return -1, false
	}
	return int32(uint32(s)) - 1, true
}

// put makes k find row; key(row) must already return k.
func (x *index) put(k string, row int32) {
	if 2*(x.n+1) > len(x.slots) {
		x.grow()
	}
	h := maphash.String(x.seed, k)
	i := x.find(k, h)
	if x.slots[i] == 0 {
		x.n++
	}
	x.slots[i] = h>>32<<32 | uint64(uint32(row+1))
}

func (x *index) grow() {
	old := x.slots
	x.slots = make([]uint64, 2*len(old))
	for _, s := range old {
		if s != 0 {
			row := int32(uint32(s)) - 1
			h := maphash.String(x.seed, x.key(row))
			x.slots[x.find(x.key(row), h)] = s
		}
	}
}
