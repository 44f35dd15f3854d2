package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestLedgerRowHashValues pins RowHash to its definition, so that rows
// stored by an earlier version still deduplicate: the booking date as
// YYYYMMDD, then the first 96 bits of the SHA-256 of the normalised
// fields joined by 0x1F, 0x1F, and the count of identical rows before
// this one in the file. (Before migration 0005 it was the whole SHA-256,
// before 0006 its first 128 bits; the migrations rewrote stored rows the
// same way.)
func TestLedgerRowHashValues(t *testing.T) {
	c, _ := readLedger(t, ledgerCSV(t,
		`15/01/2024,B,settle,,"2,00",IDR`,
		`15/01/2024,B,settle,,"2,00",IDR`,
		`16/01/2024,C,fee,"3,00",,SGD`,
	), SandboxLedgerOptions())
	want := func(s string) string {
		sum := sha256.Sum256([]byte(s))
		return strings.ReplaceAll(s[:10], "-", "") + hex.EncodeToString(sum[:12])
	}
	var got []string
	for _, e := range c.ledger {
		got = append(got, e.RowHash)
	}
	wants := []string{
		want("2024-01-15\x1fB\x1fsettle\x1f\x1fIDR\x1f200\x1f0"),
		want("2024-01-15\x1fB\x1fsettle\x1f\x1fIDR\x1f200\x1f1"),
		want("2024-01-16\x1fC\x1ffee\x1f\x1fSGD\x1f-300\x1f0"),
	}
	if diff := cmp.Diff(wants, got); diff != "" {
		t.Errorf("row hashes (-want +got):\n%s", diff)
	}
}

// countingCounter is a RowCounter that records how it was called.
type countingCounter struct {
	memCounter
	calls  []int
	closed bool
	err    error
}

func (c *countingCounter) Count(keys []uint64, seen []uint32) error {
	c.calls = append(c.calls, len(keys))
	if c.err != nil {
		return c.err
	}
	return c.memCounter.Count(keys, seen)
}

func (c *countingCounter) Close() error { c.closed = true; return nil }

// TestLedgerRowCounter reads a file with repeats spread over several
// batches through a counter of the caller's: the hashes are those of the
// default counter, the counter is asked once per batch, one counter
// serves one file, and it is closed.
func TestLedgerRowCounter(t *testing.T) {
	var rows []string
	for i := range 25 {
		// Every row comes three times, in different batches.
		rows = append(rows, `15/01/2024,R`+string(rune('a'+i%9))+`,,,"1,00",IDR`)
	}
	path := ledgerCSV(t, rows...)
	opts := SandboxLedgerOptions()
	opts.BatchSize = 4
	def, _ := readLedger(t, path, opts)

	var counters []*countingCounter
	opts.NewRowCounter = func() (RowCounter, error) {
		c := &countingCounter{memCounter: memCounter{}}
		counters = append(counters, c)
		return c, nil
	}
	got, _ := readLedger(t, path, opts)
	if diff := cmp.Diff(def.ledger, got.ledger); diff != "" {
		t.Errorf("entries with the caller's counter (-default +caller's):\n%s", diff)
	}
	if len(counters) != 1 {
		t.Fatalf("got %d counters for one file, want 1", len(counters))
	}
	if diff := cmp.Diff([]int{4, 4, 4, 4, 4, 4, 1}, counters[0].calls); diff != "" {
		t.Errorf("keys per Count call (-want +got):\n%s", diff)
	}
	if !counters[0].closed {
		t.Error("counter not closed after the read")
	}
	readLedger(t, path, opts)
	if len(counters) != 2 || len(counters[1].calls) != 7 {
		t.Errorf("second read: got %d counters, want a new one for it", len(counters))
	}

	t.Run("counter fails", func(t *testing.T) {
		opts.NewRowCounter = func() (RowCounter, error) {
			return &countingCounter{err: errors.New("disk full")}, nil
		}
		_, err := ReadLedger(context.Background(), path, opts, Discard)
		if err == nil || !strings.Contains(err.Error(), "disk full") {
			t.Errorf("got %v, want the counter's error", err)
		}
		opts.NewRowCounter = func() (RowCounter, error) { return nil, errors.New("no temp dir") }
		_, err = ReadLedger(context.Background(), path, opts, Discard)
		if err == nil || !strings.Contains(err.Error(), "no temp dir") {
			t.Errorf("got %v, want the error making the counter", err)
		}
	})
}
