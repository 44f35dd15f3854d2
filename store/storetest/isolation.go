package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/store"
)

// testMerchantsIsolated loads two merchants' nights into one database
// with the same keys everywhere (order uids, transaction ids, delivery
// keys, row hashes, file hashes, cursor names, business dates) and
// checks that neither sees, skips, counts, replaces or interrupts the
// other's rows, runs, results or history.
func testMerchantsIsolated(t *testing.T, b Backend) {
	ctx := context.Background()
	alpha := b.Open(t, "alpha")
	zulu := b.Same(t, alpha, "zulu")
	if alpha.Merchant() != "alpha" || zulu.Merchant() != "zulu" {
		t.Fatalf("merchants: got %q and %q", alpha.Merchant(), zulu.Merchant())
	}
	const n = 40
	night := func(db store.Backend, status string, shift int64, cursor time.Time) {
		t.Helper()
		orders := Orders(n)
		for i := range orders {
			orders[i].Status = status
			orders[i].AmountMinor += shift
		}
		hooks, ledger := Webhooks(n), Ledger(n)
		for i := range hooks {
			hooks[i].AmountMinor += shift
			ledger[i].AmountMinor += shift
		}
		hooks[3].SigCheck = recon.SigInvalid
		hooks[3].Signature, hooks[3].KeyFingerprint = "sig", "old-key"
		l, err := db.BeginLoad(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer l.Rollback()
		st, err := l.Orders(orders)
		if err != nil || st.Inserted != n {
			t.Fatalf("%s: Orders: %+v, %v; want %d inserted", db.Merchant(), st, err, n)
		}
		if st, err := l.PaymentLinks(Links(n)); err != nil || st.Inserted != n {
			t.Fatalf("%s: PaymentLinks: %+v, %v", db.Merchant(), st, err)
		}
		// Every other sale only: the rest are ids to confirm.
		if st, err := l.Transactions(Transactions(n)[:n/2]); err != nil || st.Inserted != n/2 {
			t.Fatalf("%s: Transactions: %+v, %v", db.Merchant(), st, err)
		}
		if added, err := l.WebhookEvents(hooks); err != nil || added != n {
			t.Fatalf("%s: WebhookEvents: added %d, %v; want %d (the other merchant's keys are not this one's)", db.Merchant(), added, err, n)
		}
		if added, err := l.LedgerEntries(ledger); err != nil || added != n {
			t.Fatalf("%s: LedgerEntries: added %d, %v", db.Merchant(), added, err)
		}
		errs := []recon.InputError{{Source: "ledger", File: "l.csv", Line: 4, Text: db.Merchant(), Reason: "bad date"}}
		if added, err := l.InputErrors(errs); err != nil || added != 1 {
			t.Fatalf("%s: InputErrors: added %d, %v", db.Merchant(), added, err)
		}
		if err := l.RecordInputFile(store.InputFile{Kind: "ledger", Path: db.Merchant() + ".csv", SHA256: "same-content"}); err != nil {
			t.Fatal(err)
		}
		if err := l.SetFetchCursor("orders", cursor); err != nil {
			t.Fatal(err)
		}
		if err := l.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	alphaCursor := time.Date(2024, 3, 2, 10, 0, 0, 0, time.UTC)
	zuluCursor := time.Date(2024, 2, 1, 10, 0, 0, 0, time.UTC)
	night(alpha, "paid", 0, alphaCursor)
	night(zulu, "expired", 7, zuluCursor)

	// Each reads its own rows only, all of them.
	for _, c := range []struct {
		db     store.Backend
		status string
		cursor time.Time
	}{{alpha, "paid", alphaCursor}, {zulu, "expired", zuluCursor}} {
		m := c.db.Merchant()
		orders, err := c.db.Orders(ctx)
		if err != nil || len(orders) != n {
			t.Fatalf("%s: Orders: %d rows, %v; want %d", m, len(orders), err, n)
		}
		for _, o := range orders {
			if o.Status != c.status {
				t.Fatalf("%s: order %s has status %q, another merchant's", m, o.UID, o.Status)
			}
		}
		for _, table := range store.Tables {
			got, err := c.db.Count(ctx, table)
			want := map[string]int64{"orders": n, "payment_links": n, "transactions": n / 2, "webhook_events": n,
				"ledger_entries": n, "input_files": 1, "input_errors": 1, "runs": 0}[table]
			if table == "schema_migrations" {
				continue
			}
			if err != nil || got != want {
				t.Errorf("%s: Count(%s) = %d, %v; want %d", m, table, got, err, want)
			}
		}
		ids, err := c.db.TransactionIDsWithoutAPIRecord(ctx)
		if err != nil || len(ids) != n/2 {
			t.Errorf("%s: TransactionIDsWithoutAPIRecord: %d ids, %v; want %d", m, len(ids), err, n/2)
		}
		files, err := c.db.InputFiles(ctx)
		if err != nil || len(files) != 1 || files[0].Path != m+".csv" {
			t.Errorf("%s: InputFiles: %+v, %v", m, files, err)
		}
		cur, ok, err := c.db.FetchCursor(ctx, "orders")
		if err != nil || !ok || !cur.Equal(c.cursor) {
			t.Errorf("%s: FetchCursor: %v %v %v; want %v", m, cur, ok, err, c.cursor)
		}
		ies, err := c.db.InputErrors(ctx)
		if err != nil || len(ies) != 1 || ies[0].Text != m {
			t.Errorf("%s: InputErrors: %+v, %v", m, ies, err)
		}
		totals, err := c.db.ReportSourceTotals(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, tt := range totals {
			if tt.Source == store.SourceOrders && tt.Rows != n {
				t.Errorf("%s: source totals count %d orders, want %d", m, tt.Rows, n)
			}
		}
		checkSnapshot(t, c.db, n)
	}

	// Runs, results and history: the same date for both.
	const date = "2024-03-02"
	run := func(db store.Backend) int64 {
		id, err := db.StartRun(ctx, recon.Run{Command: "run", BusinessDate: date})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	write := func(db store.Backend, id int64, what string) {
		t.Helper()
		l, err := db.BeginLoad(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer l.Rollback()
		rs := []recon.MatchResult{{Kind: "sale", OxpayTxnID: "OX00000001", Currency: "IDR", State: what, Source: "api", Clean: true}}
		es := []recon.Exception{{Category: recon.LedgerUnmatched, Severity: "high", LedgerRef: "REF-1", Currency: "IDR", Detail: what}}
		if _, err := l.MatchResults(id, rs); err != nil {
			t.Fatal(err)
		}
		if _, err := l.Exceptions(id, es); err != nil {
			t.Fatal(err)
		}
		if err := l.Commit(); err != nil {
			t.Fatal(err)
		}
		got, err := db.Exceptions(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := db.CarryForward(ctx, id, date, got, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := db.CommitRun(ctx, id, date, nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	a1, z1 := run(alpha), run(zulu)
	write(alpha, a1, "alpha")
	write(zulu, z1, "zulu")
	// A second run of the date for alpha replaces alpha's first, only.
	a2 := run(alpha)
	zRunning := run(zulu) // left running, as a killed run would
	if n, err := alpha.MarkInterrupted(ctx, a2); err != nil || n != 0 {
		t.Errorf("alpha MarkInterrupted: marked %d, %v; want 0 (zulu's running run is not alpha's)", n, err)
	}
	write(alpha, a2, "alpha again")
	if r, err := zulu.GetRun(ctx, z1); err != nil || r.Status != recon.RunOK {
		t.Errorf("zulu's run after alpha re-ran the date: %+v, %v; want ok", r, err)
	}
	if r, err := zulu.GetRun(ctx, zRunning); err != nil || r.Status != recon.RunRunning {
		t.Errorf("zulu's running run: %+v, %v; want still running", r, err)
	}
	if r, err := alpha.GetRun(ctx, a1); err != nil || r.Status != recon.RunReplaced {
		t.Errorf("alpha's first run: %+v, %v; want replaced", r, err)
	}
	for _, c := range []struct {
		db          store.Backend
		own, others []int64
		detail      string
	}{{alpha, []int64{a1, a2}, []int64{z1, zRunning}, "alpha again"}, {zulu, []int64{z1, zRunning}, []int64{a1, a2}, "zulu"}} {
		m := c.db.Merchant()
		runs, err := c.db.Runs(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		var got []int64
		for _, r := range runs {
			got = append(got, r.ID)
		}
		slices.Sort(got)
		if d := cmp.Diff(c.own, got); d != "" {
			t.Errorf("%s: Runs (-want +got):\n%s", m, d)
		}
		for _, id := range c.others {
			// PostgreSQL numbers each merchant's runs apart: an id of
			// the other's may be one of this merchant's own.
			if slices.Contains(c.own, id) {
				continue
			}
			if _, err := c.db.GetRun(ctx, id); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("%s: GetRun(%d), another merchant's run: %v, want ErrNotFound", m, id, err)
			}
			if err := c.db.FinishRun(ctx, id, recon.RunFailed, "x", "", ""); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("%s: FinishRun(%d), another merchant's run: %v, want ErrNotFound", m, id, err)
			}
			if es, err := c.db.Exceptions(ctx, id); err != nil || len(es) != 0 {
				t.Errorf("%s: Exceptions of another merchant's run %d: %d, %v", m, id, len(es), err)
			}
			if fs, err := c.db.ExceptionFirstSeen(ctx, id); err != nil || len(fs) != 0 {
				t.Errorf("%s: ExceptionFirstSeen of another merchant's run %d: %v, %v", m, id, fs, err)
			}
			if rx, err := c.db.ReportExceptions(ctx, id); err != nil || len(rx) != 0 {
				t.Errorf("%s: ReportExceptions of another merchant's run %d: %d, %v", m, id, len(rx), err)
			}
		}
		last := c.own[0]
		if m == "alpha" {
			last = a2
		}
		es, err := c.db.Exceptions(ctx, last)
		if err != nil || len(es) != 1 || es[0].Detail != c.detail {
			t.Errorf("%s: Exceptions(%d): %+v, %v", m, last, es, err)
		}
		rx, err := c.db.ReportExceptions(ctx, last)
		if err != nil || len(rx) != 1 || rx[0].Detail != c.detail {
			t.Errorf("%s: ReportExceptions(%d): %+v, %v", m, last, rx, err)
		}
		for _, table := range []string{"match_results", "exceptions", "exception_history"} {
			byRun, err := c.db.CountByRun(ctx, table)
			if err != nil {
				t.Fatal(err)
			}
			for id := range byRun {
				if !slices.Contains(c.own, id) {
					t.Errorf("%s: CountByRun(%s) counts run %d, another merchant's", m, table, id)
				}
			}
		}
	}
	// The previous run of a later date is each merchant's own.
	for _, c := range []struct {
		db   store.Backend
		want int64
	}{{alpha, a2}, {zulu, z1}} {
		prev, ok, err := c.db.PreviousMatchRun(ctx, "2024-03-03")
		if err != nil || !ok || prev.ID != c.want {
			t.Errorf("%s: PreviousMatchRun: %d %v %v; want %d", c.db.Merchant(), prev.ID, ok, err, c.want)
		}
	}
	// Failed signatures: each merchant's own deliveries only.
	for _, db := range []store.Backend{alpha, zulu} {
		l, err := db.BeginLoad(ctx)
		if err != nil {
			t.Fatal(err)
		}
		ids, err := l.FailedSignatureIDs("new-key", false)
		l.Rollback()
		if err != nil || len(ids) != 1 {
			t.Errorf("%s: FailedSignatureIDs: %v, %v; want one", db.Merchant(), ids, err)
		}
	}
}

// checkSnapshot reads db through a Snapshot and checks it sees n rows of
// each table, and the webhook references of n deliveries.
func checkSnapshot(t *testing.T, db store.Backend, n int) {
	t.Helper()
	ctx := context.Background()
	s, err := db.ReadSnapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var counts [5]int
	err = errors.Join(
		s.Orders(ctx, func(rs []store.OrderRow) error { counts[0] += len(rs); return nil }),
		s.PaymentLinks(ctx, func(rs []store.LinkRow) error { counts[1] += len(rs); return nil }),
		s.Transactions(ctx, func(rs []store.TxnRow) error { counts[2] += len(rs); return nil }),
		s.WebhookEvents(ctx, func(rs []store.HookRow) error { counts[3] += len(rs); return nil }),
		s.LedgerEntries(ctx, func(rs []store.EntryRow) error { counts[4] += len(rs); return nil }),
	)
	if err != nil {
		t.Fatal(err)
	}
	if want := [5]int{n, n, n / 2, n, n}; counts != want {
		t.Errorf("%s: snapshot rows %v, want %v", db.Merchant(), counts, want)
	}
	refs := 0
	if err := s.WebhookReferences(ctx, func(int64, string, string) error { refs++; return nil }); err != nil || refs != n {
		t.Errorf("%s: WebhookReferences: %d, %v; want %d", db.Merchant(), refs, err, n)
	}
	refs = 0
	ids := []string{Webhooks(1)[0].OxpayTxnID}
	if err := s.WebhookReferencesOf(ctx, ids, func(int64, string, string) error { refs++; return nil }); err != nil || refs != 1 {
		t.Errorf("%s: WebhookReferencesOf: %d, %v; want 1", db.Merchant(), refs, err)
	}
	ies, err := s.InputErrors(ctx)
	if err != nil || len(ies) != 1 || ies[0].Text != db.Merchant() {
		t.Errorf("%s: snapshot InputErrors: %+v, %v", db.Merchant(), ies, err)
	}
}
