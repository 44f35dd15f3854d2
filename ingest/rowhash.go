package ingest

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/reconkit/reconkit/recon"
)

// RowCounter counts repeated rows for the ledger reader, which needs to
// know, for each row, how many identical rows came before it in the same
// file (see ReadLedger, RowHash). A counter serves one file and must
// remember every distinct row it was given, which is why it is pluggable:
// the default keeps that in memory (about 40 bytes a distinct row, on the
// heap), and sqlite.NewRowCounter keeps the rows beyond a cap in a
// temporary file so that the reader's memory stops growing however long
// the export.
type RowCounter interface {
	// Count sets seen[i] to how many times keys[i] was counted before,
	// by earlier calls or earlier in keys, and counts keys[i] once more.
	// len(seen) == len(keys).
	Count(keys []uint64, seen []uint32) error
	// Close frees the counter.
	Close() error
}

// memCounter is the default RowCounter: a map on the heap.
type memCounter map[uint64]uint32

func (m memCounter) Count(keys []uint64, seen []uint32) error {
	for i, k := range keys {
		seen[i] = m[k]
		m[k]++
	}
	return nil
}

func (memCounter) Close() error { return nil }

// newRowCounter makes the counter for one ledger file.
func newRowCounter(o LedgerOptions) (RowCounter, error) {
	if o.NewRowCounter == nil {
		return memCounter{}, nil
	}
	c, err := o.NewRowCounter()
	if err != nil {
		return nil, fmt.Errorf("row counter: %w", err)
	}
	return c, nil
}

// The RowHash of a ledger entry is its booking date as YYYYMMDD, then 96
// bits of the SHA-256 of its normalised content (date, reference,
// description, type, currency, amount, and the fee when the row states
// one, joined by 0x1F), 0x1F, and how
// many identical rows came before it in the file (see stampedKey).
// The content's own SHA-256, cut to 64 bits, is its key: what a
// RowCounter counts.

// rowContent appends the entry's normalised content to b.
func rowContent(b []byte, e *recon.LedgerEntry) []byte {
	b = e.BookedOn.AppendFormat(b, time.DateOnly)
	for _, s := range []string{e.Reference, e.Description, e.TxnType, e.Currency} {
		b = append(b, 0x1f)
		b = append(b, s...)
	}
	b = append(b, 0x1f)
	b = strconv.AppendInt(b, e.AmountMinor, 10)
	if e.FeeMinor != nil {
		// Only a row that states a fee says so: the hashes of the rows
		// of a ledger without a fee column stay what they were.
		b = append(b, 0x1f, 'f')
		b = strconv.AppendInt(b, *e.FeeMinor, 10)
	}
	return b
}

func rowKey(content []byte) uint64 {
	sum := sha256.Sum256(content)
	return binary.LittleEndian.Uint64(sum[:8])
}

// rowHashOf is the RowHash of the row booked on day with this content
// that had n identical rows before it. It may write past len(content) in
// its array.
func rowHashOf(day time.Time, content []byte, n uint32) string {
	b := append(content, 0x1f)
	b = strconv.AppendUint(b, uint64(n), 10)
	var stamp [len(dayStamp)]byte
	return stampedKey(day.AppendFormat(stamp[:0], dayStamp), b)
}

// rowHasher corrects the RowHash of the repeated rows of a batch. The
// parser gives every entry the hash of a first occurrence, and its key;
// asking the counter a batch at a time lets a counter that lives in a
// database answer for thousands of rows in a few statements, and
// repeated rows are rare, so few hashes are done twice.
type rowHasher struct {
	counter RowCounter
	seen    []uint32
	buf     []byte
}

func (h *rowHasher) hash(es []recon.LedgerEntry, keys []uint64) error {
	h.seen = slices.Grow(h.seen[:0], len(keys))[:len(keys)]
	if err := h.counter.Count(keys, h.seen); err != nil {
		return fmt.Errorf("count repeated rows: %w", err)
	}
	for i, n := range h.seen {
		if n > 0 {
			h.buf = rowContent(h.buf[:0], &es[i])
			es[i].RowHash = rowHashOf(es[i].BookedOn, h.buf, n)
		}
	}
	return nil
}
