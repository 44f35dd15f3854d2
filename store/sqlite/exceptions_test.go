package sqlite

import (
	"context"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/store/internal/sqlstore"
)

// TestReadExceptions holds the scan in C to what was written and to the
// same query through database/sql: every value as it went in (empty,
// NUL, multi-byte, extreme amounts, id lists, no input error), rows
// before and after one larger than a whole buffer, in the order written,
// and none of another run's or another merchant's.
func TestReadExceptions(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "recon.db")
	db := openAt(t, path, "m1")
	other := openAt(t, path, "m2")
	var want []recon.Exception
	for i := range 3007 {
		x := recon.Exception{Category: recon.AmountMismatch, Severity: "high", OxpayTxnID: "T" + strings.Repeat("9", i%40),
			Currency: "IDR", ExpectedMinor: int64(i), ActualMinor: -int64(i), DifferenceMinor: 2 * int64(i), Detail: "row"}
		switch i % 7 {
		case 0:
			x.OrderUID, x.PaymentLinkUID, x.MerchantReferenceID, x.LedgerRef = "ORD-ü€😀", "PL-\x00-1", "POS,1", "L;\n\t\""
		case 1:
			x.ExpectedMinor, x.ActualMinor, x.DifferenceMinor = math.MaxInt64, math.MinInt64, 0
		case 2:
			x.WebhookEventIDs, x.LedgerEntryIDs = recon.IDList{1, 22, 333}, recon.IDList{4}
		case 3:
			x.Category, x.Severity, x.OxpayTxnID, x.Currency, x.InputErrorID = recon.InputErrorCategory, "medium", "", "", int64(i)
		case 4:
			x.Detail = ""
		}
		want = append(want, x)
	}
	want[5].Detail = strings.Repeat("d", 3*scanBuf) // one row larger than the first buffer
	write := func(db *DB, xs []recon.Exception) int64 {
		t.Helper()
		run, err := db.StartRun(ctx, recon.Run{Command: "match", BusinessDate: "2026-12-01"})
		if err != nil {
			t.Fatal(err)
		}
		l, err := db.BeginLoad(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer l.Rollback()
		if _, err := l.Exceptions(run, xs); err != nil {
			t.Fatal(err)
		}
		if err := l.Commit(); err != nil {
			t.Fatal(err)
		}
		return run
	}
	run := write(db, want)
	write(db, want[:3])
	write(other, want[:5])

	got, err := db.Exceptions(ctx, run)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, got, cmpopts.EquateEmpty()); d != "" {
		t.Errorf("written (-) and read in C (+) differ:\n%s", d)
	}
	viaSQL, err := sqlstore.New(db.x, sqlstore.SQLite, "m1", nil).Exceptions(ctx, run)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(viaSQL, got, cmpopts.EquateEmpty()); d != "" {
		t.Errorf("read through database/sql (-) and in C (+) differ:\n%s", d)
	}
	if none, err := db.Exceptions(ctx, run+100); err != nil || len(none) != 0 {
		t.Errorf("a run with no exceptions: %d, %v", len(none), err)
	}

	// A run's bad signatures: those of the run and the merchant alone, in
	// the order written, found through the partial index of their
	// category (whose literal must be the category's).
	for i := range want {
		if i%5 == 1 {
			want[i].Category = recon.WebhookBadSignature
		}
	}
	run = write(db, want)
	write(db, want[:50])
	write(other, want)
	var bad []recon.Exception
	for _, x := range want {
		if x.Category == recon.WebhookBadSignature {
			bad = append(bad, x)
		}
	}
	got, err = db.BadSignatures(ctx, run)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(bad, got, cmpopts.EquateEmpty()); d != "" || len(bad) < 600 {
		t.Errorf("%d bad signatures written (-) and read (+) differ:\n%s", len(bad), d)
	}
	var plan strings.Builder
	rows, err := db.x.QueryContext(ctx, `EXPLAIN QUERY PLAN `+sqlstore.BadSignaturesQuery, "m1", run)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan.WriteString(detail + "\n")
	}
	if !strings.Contains(plan.String(), "exceptions_bad_signature") || strings.Contains(plan.String(), "TEMP B-TREE") {
		t.Errorf("the bad signatures are not read through their index, in order:\n%s", plan.String())
	}
}
