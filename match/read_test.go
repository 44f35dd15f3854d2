package match

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/wire"
)

// TestChunkedRead reads the store in chunks of a few rows, with values
// holding the readers' field and record separators scattered so that
// some chunks cut cleanly and others are read again row by row (a
// separator in a chunk's first, middle or last row, in every table). Run
// over the store must find and store exactly what Match finds over the
// same rows.
func TestChunkedRead(t *testing.T) {
	var f fixture
	for n := 1; n <= 23; n++ {
		paidClean(&f, n)
	}
	// The last odd value cuts an order's row into two rows of the right
	// width with rising rowids: only the row count gives it away.
	for i, odd := range []string{"\x1f", "\x1e", "\x1e\x1f", "a\x1e1\x1fb", "\x1f\x1f\x1e99999\x1f"} {
		uid := fmt.Sprintf("ORD-%d%s", 100+i, odd)
		txn := fmt.Sprintf("2000%s%04d", odd, i)
		f.order(uid, "IDR", total)
		f.link(fmt.Sprintf("PL-%d%s", 100+i, odd), uid, wire.LinkPaid, "IDR", total, tp(at(2, 10, i)))
		f.sale(txn, uid, wire.StateSuccess, "IDR", total)
		f.hook(txn, uid, wire.StateSuccess, recon.SigRaw, "IDR", total, 0, at(2, 10, i))
		f.line(uid, "IDR", total, 3)
		f.line("ADJ-"+odd, "IDR", 100+int64(i), 3)
		for n := 1; n <= i+1; n++ { // move the next odd row within its chunk
			paidClean(&f, 200+10*i+n)
		}
	}
	// Three amounts that could not be read, stored as NULL beside their
	// problem (one holding a separator): three input errors.
	f.in.Orders[2].AmountMinor, f.in.Orders[2].AmountProblem = 0, "order ORD-3: amount is missing"
	f.in.Orders[7].AmountMinor, f.in.Orders[7].AmountProblem = 0, "order ORD-8: total_amount \x1f1\x1e is not a number"
	f.in.Links[4].AmountMinor, f.in.Links[4].AmountProblem = 0, "payment link PL-5: amount is missing"
	for _, chunk := range []int{1, 2, 3, 7, 16384} {
		t.Run(fmt.Sprintf("chunks of %d", chunk), func(t *testing.T) {
			db, in := storeOf(t, f.in)
			db.SetReadChunk(chunk)
			g := fixture{in: in}
			want := run(t, &g, nil)
			if len(want.Results) != 43 || len(want.Exceptions) != 8 || want.Summary.Count(recon.InputErrorCategory) != 3 {
				t.Fatalf("fixture: got %d results and %d exceptions, want 43 and the 5 unmatched adjustments and 3 unknown amounts:\n%s",
					len(want.Results), len(want.Exceptions), details(want.Exceptions))
			}
			got := runStore(t, db, optsWith(nil))
			if d := cmp.Diff(want, got, cmpopts.EquateEmpty()); d != "" {
				t.Errorf("Match (-) and Run over the store (+) differ:\n%s", d)
			}
		})
	}
}

// paidClean adds ORD-n, paid by a sale with a signed webhook and a ledger
// credit the next day, all agreeing.
func paidClean(f *fixture, n int) {
	f.paidOrder(n)
	txn := fmt.Sprintf("%08d", 30000000+n)
	f.sale(txn, fmt.Sprintf("ORD-%d", n), wire.StateSuccess, "IDR", total)
	f.hook(txn, fmt.Sprintf("ORD-%d", n), wire.StateSuccess, recon.SigRaw, "IDR", total, 0, at(2, 10, 0))
	f.line(txn, "IDR", total, 3)
}
