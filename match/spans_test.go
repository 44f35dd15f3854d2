package match

import (
	"fmt"
	"testing"

	"github.com/reconkit/reconkit/store"
)

func TestKeyClass(t *testing.T) {
	for _, c := range []struct {
		key, from, to string
		ok            bool
	}{
		{"ORD-20261119-000001", "ORD-2", "ORD-3", true},
		{"PL-20261119-000001", "PL-2", "PL-3", true},
		{"12575415", "1", "2", true},
		{"90000001", "9", ":", true},
		{"9", "9", ":", true},
		{"3f2a9c1e-uuid", "3", "4", true},
		{"abcdefghij1", "abcdefghi", "abcdefghj", true},
		{"POS", "POS", "POT", true},
		{"a\xff7", "a\xff7", "a\xff8", true},
		{"a\xff", "a\xff", "b", true},
		{"\xff\xff", "", "", false},
	} {
		from, to, ok := keyClass(c.key)
		if from != c.from || to != c.to || ok != c.ok {
			t.Errorf("keyClass(%q) = %q, %q, %t; want %q, %q, %t", c.key, from, to, ok, c.from, c.to, c.ok)
		}
		if ok && (c.key < from || c.key >= to) {
			t.Errorf("keyClass(%q): the key lies outside its class [%q, %q)", c.key, from, to)
		}
	}
}

// BenchmarkMayBeHeld classes a night's keys against their spans, as the
// scope does for every key of every row beyond the mark.
func BenchmarkMayBeHeld(b *testing.B) {
	const n = 200000
	type key struct {
		k     string
		kinds int
	}
	keys := make([]key, 0, 3*n)
	for i := range n {
		keys = append(keys, key{fmt.Sprintf("ORD-20261118-%06d", i), refKey}, key{fmt.Sprintf("PL-20261118-%06d", i), refKey},
			key{fmt.Sprintf("%d", 20000001+i), txnKey})
	}
	p := &incremental{spans: map[spanKey]store.Span{
		{true, "ORD-2"}: {Lo: "ORD-20261101-000000", Hi: "ORD-20261117-999999"},
		{true, "PL-2"}:  {Lo: "PL-20261101-000000", Hi: "PL-20261117-999999"},
		{false, "2"}:    {Lo: "20000000", Hi: "20000000"},
	}}
	b.ReportAllocs()
	for b.Loop() {
		held := 0
		for _, k := range keys {
			if p.mayBeHeld(k.k, k.kinds) != 0 {
				held++
			}
		}
		if held != 0 {
			b.Fatalf("%d keys may be held; want none", held)
		}
	}
}
