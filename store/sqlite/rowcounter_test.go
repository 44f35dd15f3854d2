package sqlite

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestRowCounter checks the counter against a map over calls that repeat
// keys within a call, across calls, and in more than one statement's
// worth of keys: all in memory (the default cap), all in the file (a cap
// of 0), and spilling from one to the other within a call (a cap of 2).
func TestRowCounter(t *testing.T) {
	many := make([]uint64, 3*counterChunk+5)
	for i := range many {
		many[i] = uint64(i) * 0x9e3779b97f4a7c15 // spread over the key space, some above MaxInt64
	}
	tests := []struct {
		name  string
		calls [][]uint64
	}{
		{"empty", [][]uint64{{}}},
		{"distinct", [][]uint64{{1, 2, 3}}},
		{"repeats within a call", [][]uint64{{7, 7, 8, 7}}},
		{"repeats across calls", [][]uint64{{1, 2}, {2, 3, 2}, {1, 1, 4}}},
		{"several statements", [][]uint64{many, many[10:], append([]uint64{many[0]}, many...)}},
		{"largest keys", [][]uint64{{1<<64 - 1, 1 << 63, 0}, {1<<64 - 1, 0}}},
	}
	for _, memKeys := range []int{rowCounterMemKeys, 0, 2} {
		for _, tc := range tests {
			t.Run(fmt.Sprintf("memkeys=%d/%s", memKeys, tc.name), func(t *testing.T) {
				c := newRowCounter(context.Background(), memKeys)
				defer c.Close()
				ref := map[uint64]uint32{}
				for i, keys := range tc.calls {
					want := make([]uint32, len(keys))
					for j, k := range keys {
						want[j] = ref[k]
						ref[k]++
					}
					got := make([]uint32, len(keys))
					if err := c.Count(keys, got); err != nil {
						t.Fatalf("call %d: Count: %v", i, err)
					}
					if diff := cmp.Diff(want, got); diff != "" {
						t.Errorf("call %d (-want +got):\n%s", i, diff)
					}
				}
				if len(c.mem) > memKeys {
					t.Errorf("the map holds %d keys, want at most %d", len(c.mem), memKeys)
				}
				if spilled := len(ref) > memKeys; (c.file != nil) != spilled {
					t.Errorf("%d distinct keys, cap %d: file opened %v, want %v", len(ref), memKeys, c.file != nil, spilled)
				}
				if err := c.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			})
		}
	}
}

// TestRowCounterSpill: once the map is full, its keys go on counting in
// it and every new key goes to the file, where its repeats are counted.
func TestRowCounterSpill(t *testing.T) {
	c := newRowCounter(context.Background(), 3)
	defer c.Close()
	steps := []struct {
		keys, want []uint64
		file       bool // whether the file is open after the call
	}{
		{keys: []uint64{1, 2, 1}, want: []uint64{0, 0, 1}},
		{keys: []uint64{3, 1, 2}, want: []uint64{0, 2, 1}},
		{keys: []uint64{4, 3, 4, 5, 1}, want: []uint64{0, 1, 1, 0, 3}, file: true},
		{keys: []uint64{5, 4, 2, 6}, want: []uint64{1, 2, 2, 0}, file: true},
	}
	for i, s := range steps {
		got := make([]uint32, len(s.keys))
		if err := c.Count(s.keys, got); err != nil {
			t.Fatalf("call %d: Count: %v", i, err)
		}
		want := make([]uint32, len(s.want))
		for j, n := range s.want {
			want[j] = uint32(n)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("call %d (-want +got):\n%s", i, diff)
		}
		if (c.file != nil) != s.file {
			t.Errorf("call %d: file opened %v, want %v", i, c.file != nil, s.file)
		}
	}
	if diff := cmp.Diff(map[uint64]uint32{1: 4, 2: 3, 3: 2}, c.mem); diff != "" {
		t.Errorf("the map (-want +got):\n%s", diff)
	}
}

// TestRowCountersAreSeparate: each counter starts empty, even while
// another is open, in memory and in its file alike.
func TestRowCountersAreSeparate(t *testing.T) {
	for _, memKeys := range []int{rowCounterMemKeys, 0} {
		t.Run(fmt.Sprintf("memkeys=%d", memKeys), func(t *testing.T) {
			ctx := context.Background()
			a := newRowCounter(ctx, memKeys)
			defer a.Close()
			b := newRowCounter(ctx, memKeys)
			defer b.Close()
			seen := make([]uint32, 2)
			if err := a.Count([]uint64{5, 5}, seen); err != nil {
				t.Fatalf("Count: %v", err)
			}
			if err := b.Count([]uint64{5, 6}, seen); err != nil {
				t.Fatalf("Count: %v", err)
			}
			if diff := cmp.Diff([]uint32{0, 0}, seen); diff != "" {
				t.Errorf("second counter (-want +got):\n%s", diff)
			}
			if err := b.Count([]uint64{1}, seen); err == nil {
				t.Error("Count with too few counts: got no error, want one")
			}
		})
	}
}
