package match

import (
	"fmt"
	"testing"
)

// TestIndex holds the index to a map over keys added in several rounds
// (so that it grows), overwritten keys, and keys never added.
func TestIndex(t *testing.T) {
	var keys []string
	x := newIndex(3, func(i int32) string { return keys[i] })
	want := map[string]int32{}
	for round := range 4 {
		for i := range 1000 * (round + 1) {
			k := fmt.Sprintf("k%d", i*7919%100003)
			if _, ok := want[k]; ok && i%3 != 0 {
				continue
			}
			keys = append(keys, k)
			row := int32(len(keys) - 1)
			x.put(k, row)
			want[k] = row
		}
	}
	if x.n != len(want) {
		t.Errorf("got %d keys, want %d", x.n, len(want))
	}
	for k, row := range want {
		if got, ok := x.get(k); !ok || got != row {
			t.Fatalf("get(%q): got %d, %v, want %d", k, got, ok, row)
		}
	}
	for _, k := range []string{"", "k", "k100003", "x1"} {
		if got, ok := x.get(k); ok {
			t.Errorf("get(%q): got row %d, want none", k, got)
		}
	}
}
