package sqlite

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestRowCounter checks the counter against a map over calls that repeat
// keys within a call, across calls, and in more than one statement's
// worth of keys.
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
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := NewRowCounter(context.Background())
			if err != nil {
				t.Fatalf("NewRowCounter: %v", err)
			}
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
			if err := c.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
	}
}

// TestRowCountersAreSeparate: each counter starts empty, even while
// another is open.
func TestRowCountersAreSeparate(t *testing.T) {
	ctx := context.Background()
	a, err := NewRowCounter(ctx)
	if err != nil {
		t.Fatalf("NewRowCounter: %v", err)
	}
	defer a.Close()
	b, err := NewRowCounter(ctx)
	if err != nil {
		t.Fatalf("NewRowCounter: %v", err)
	}
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
}
