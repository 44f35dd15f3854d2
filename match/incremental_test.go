package match

import (
	"context"
	"fmt"
	"hash/fnv"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/sandbox/gen"
	"github.com/reconkit/reconkit/store"
	"github.com/reconkit/reconkit/store/dbtest"
	"github.com/reconkit/reconkit/store/postgres"
	"github.com/reconkit/reconkit/store/sqlite"
	"github.com/reconkit/reconkit/wire"
)

// monthDB is a backend as the incremental conformance test uses it.
type monthDB interface {
	Store
	History
	StartRun(ctx context.Context, r recon.Run) (int64, error)
	FinishRun(ctx context.Context, id int64, status, errText, counts, inputs string) error
	FailRun(ctx context.Context, id int64, errText string) (bool, error)
	MatchResults(ctx context.Context, runID int64, fn func([]recon.MatchResult) error) error
	Exceptions(ctx context.Context, runID int64) ([]recon.Exception, error)
	ReportExceptions(ctx context.Context, runID int64) ([]store.ReportException, error)
	ReportSourceTotals(ctx context.Context) ([]store.SourceTotal, error)
	Close() error
}

func openMonth(t *testing.T, b dbtest.Backend) monthDB {
	t.Helper()
	ctx := context.Background()
	dsn := b.Database(t)
	var db monthDB
	var err error
	if strings.HasPrefix(dsn, "postgres://") {
		db, err = postgres.Open(ctx, dsn, store.DefaultMerchant)
	} else {
		db, err = sqlite.Open(ctx, dsn, store.DefaultMerchant)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// night is what one night adds to the database.
type night struct {
	in       Input
	reverify bool // verify the failed deliveries again, as a new sign key would
}

// nightsOf spreads a generated world's rows over n nights, each row on a
// night of its own drawn from its key: a transaction may come before its
// order, a delivery before its transaction, a ledger line before
// either, a refund nights after its sale; then one night with no rows
// at all, only deliveries verified again. Some rows come twice: a
// transaction first pending then in its final state, an order first
// with another total, a delivery again on a later night.
func nightsOf(in Input, n int) []night {
	draw := func(salt, key string) int {
		h := fnv.New32a()
		h.Write([]byte(salt + "\x00" + key))
		return int(h.Sum32() % uint32(n))
	}
	ns := make([]night, n)
	for _, o := range in.Orders {
		k := draw("order", o.UID)
		if draw("order-early", o.UID) == 0 && k > 0 && o.AmountKnown() {
			early := o
			early.AmountMinor += 100
			ns[k-1].in.Orders = append(ns[k-1].in.Orders, early)
		}
		ns[k].in.Orders = append(ns[k].in.Orders, o)
	}
	for _, l := range in.Links {
		ns[draw("link", l.UID)].in.Links = append(ns[draw("link", l.UID)].in.Links, l)
	}
	for _, x := range in.Transactions {
		k := draw("txn", x.OxpayTxnID)
		if draw("txn-pending", x.OxpayTxnID) < n/3 && k > 0 && x.State != wire.StatePending {
			early := x
			early.State = wire.StatePending
			j := draw("txn-pending-night", x.OxpayTxnID) % k
			ns[j].in.Transactions = append(ns[j].in.Transactions, early)
		}
		ns[k].in.Transactions = append(ns[k].in.Transactions, x)
	}
	for _, w := range in.Webhooks {
		w.ID = 0
		k := draw("hook", w.DeliveryKey)
		ns[k].in.Webhooks = append(ns[k].in.Webhooks, w)
		if again := draw("hook-again", w.DeliveryKey); again > k {
			w.DeliveryKey += "-again"
			w.ReceivedAt = w.ReceivedAt.Add(time.Minute)
			ns[again].in.Webhooks = append(ns[again].in.Webhooks, w)
		}
	}
	for _, l := range in.Ledger {
		l.ID = 0
		k := draw("line", l.RowHash)
		ns[k].in.Ledger = append(ns[k].in.Ledger, l)
	}
	// A last night brings no rows: the failed deliveries are verified
	// again, as a new sign key would, and nothing else changes.
	return append(ns, night{reverify: true})
}

func loadNight(t *testing.T, db monthDB, nt night) {
	t.Helper()
	ctx := context.Background()
	load, err := db.BeginLoad(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer load.Rollback()
	_, err1 := load.Orders(nt.in.Orders)
	_, err2 := load.PaymentLinks(nt.in.Links)
	_, err3 := load.Transactions(nt.in.Transactions)
	_, err4 := load.WebhookEvents(nt.in.Webhooks)
	_, err5 := load.LedgerEntries(nt.in.Ledger)
	for _, err := range []error{err1, err2, err3, err4, err5} {
		if err != nil {
			t.Fatal(err)
		}
	}
	if nt.reverify {
		ids, err := load.FailedSignatureIDs("", true)
		if err != nil {
			t.Fatal(err)
		}
		for i, id := range ids {
			if i%2 == 0 {
				if err := load.SetSignatureCheck(id, recon.SigRaw, "new-key"); err != nil {
					t.Fatal(err)
				}
			}
		}
		if len(ids) < 2 {
			t.Errorf("night %+v: %d failed deliveries to verify again, want some", nt.reverify, len(ids))
		}
	}
	if err := load.Commit(); err != nil {
		t.Fatal(err)
	}
}

// matched is one match run's outcome as stored.
type matched struct {
	sum        Summary
	exceptions []recon.Exception
	results    map[string]recon.MatchResult
}

func matchNight(t *testing.T, db monthDB, date string, opts Options, ok bool) matched {
	t.Helper()
	ctx := context.Background()
	id, err := db.StartRun(ctx, recon.Run{Command: "run", BusinessDate: date})
	if err != nil {
		t.Fatal(err)
	}
	var m matched
	if m.sum, err = Run(ctx, db, id, opts); err != nil {
		t.Fatalf("Run %s: %v", date, err)
	}
	if m.exceptions, err = db.Exceptions(ctx, id); err != nil {
		t.Fatal(err)
	}
	// What the run hands on is what a reader of the store would get.
	if d := cmp.Diff(m.exceptions, m.sum.Open, cmpopts.EquateEmpty()); d != "" {
		t.Errorf("%s: the exceptions stored (-) and those Run handed on (+) differ:\n%s", date, d)
	}
	if p := m.sum.Previous; p != nil {
		run, _ := db.GetRun(ctx, id)
		prev, ok, err := db.PreviousMatchRun(ctx, run.BusinessDate)
		if err != nil || !ok || prev.ID != p.RunID {
			t.Fatalf("%s: Run handed on run %d's exceptions; the previous match run is %d (%t, %v)", date, p.RunID, prev.ID, ok, err)
		}
		stored, err := db.Exceptions(ctx, p.RunID)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(stored, p.Exceptions, cmpopts.EquateEmpty()); d != "" {
			t.Errorf("%s: run %d's exceptions stored (-) and handed on (+) differ:\n%s", date, p.RunID, d)
		}
	} else if m.sum.Scope.Incremental {
		t.Errorf("%s: an incremental run handed on no previous exceptions", date)
	}
	m.results = map[string]recon.MatchResult{}
	err = db.MatchResults(ctx, id, func(rs []recon.MatchResult) error {
		for _, r := range rs {
			if _, dup := m.results[r.OxpayTxnID]; dup {
				return fmt.Errorf("two results for %s", r.OxpayTxnID)
			}
			m.results[r.OxpayTxnID] = r
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if ok {
		if err := db.FinishRun(ctx, id, recon.RunOK, "", "{}", "[]"); err != nil {
			t.Fatal(err)
		}
	}
	return m
}

// TestIncrementalMatchesWhole holds the incremental match to the whole
// one: night after night of a generated world whose rows arrive in no
// order (nightsOf), each night's incremental run stores the same
// exceptions, in the same order, as a whole match of the same database,
// and its results, laid over those of the runs it started from, are the
// whole match's results. A rerun of a past date and a change of options
// are among the nights.
func TestIncrementalMatchesWhole(t *testing.T) {
	ds, err := gen.Generate(gen.Options{Seed: 5, Orders: 1500, AnomalyRate: 0.2, Days: 7, VoidStyle: gen.VoidOwnID})
	if err != nil {
		t.Fatal(err)
	}
	in := inputOf(t, ds)
	const n = 9
	nights := nightsOf(in, n)
	// An order and a payment link whose amounts could not be read, which
	// no later row names: their INPUT_ERRORs come from the rows, not from
	// input_errors, and are carried night after night.
	created := ds.Options.Start.Add(time.Hour)
	nights[0].in.Orders = append(nights[0].in.Orders, recon.Order{UID: "ord-unreadable-total", Status: "PAID", Currency: "IDR",
		AmountProblem: "no total_amount or amount", CreatedAt: created})
	nights[0].in.Links = append(nights[0].in.Links, recon.PaymentLink{UID: "pl-unreadable-amount", OrderUID: "ord-unknown",
		Status: "ACTIVE", Currency: "IDR", AmountProblem: "amount is not a number", CreatedAt: created})
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		db := openMonth(t, b)
		opts := DefaultOptions()
		opts.Zone = ds.Options.Zone
		whole := opts
		whole.Whole = true
		dateOf := func(k int) (string, Options) {
			day := ds.Options.Start.In(opts.Zone).AddDate(0, 0, k)
			d := day.Format(time.DateOnly)
			o := opts
			o.AsOf, _ = time.ParseInLocation(time.DateOnly, d, opts.Zone)
			return d, o
		}
		// effective holds, per committed run, its results laid over
		// those of the run it started from.
		effective := map[int64]map[string]recon.MatchResult{}
		check := func(t *testing.T, date string, o Options, wantIncremental bool) matched {
			t.Helper()
			got := matchNight(t, db, date, o, true)
			w := o
			w.Whole = true
			want := matchNight(t, db, date, w, false)
			// A whole run counts its inputs as the report would count
			// every row.
			mark, ok, err := db.MatchMark(context.Background(), want.sum.RunID)
			if err != nil || !ok {
				t.Fatalf("%s: the whole run's mark: %v, %v", date, ok, err)
			}
			sources, err := db.ReportSourceTotals(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(sources, mark.Sources); d != "" {
				t.Errorf("%s: the inputs: the report's count (-) and the whole run's (+) differ:\n%s", date, d)
			}
			// The rows read are the rows the store said it would give:
			// each table's slice was sized for them up front.
			sc := got.sum.Scope
			for kind, n := range map[int]int{store.KeyedOrder: sc.Orders, store.KeyedLink: sc.Links,
				store.KeyedTxn: sc.Transactions, store.KeyedHook: sc.Webhooks, store.KeyedLedger: sc.LedgerLines} {
				if sc.sized[kind] != n {
					t.Errorf("%s: table %d: read %d rows, sized for %d", date, kind, n, sc.sized[kind])
				}
			}
			if got.sum.Scope.Incremental != wantIncremental {
				t.Errorf("%s: incremental %t (%s), want %t", date, got.sum.Scope.Incremental, got.sum.Scope.WholeBecause, wantIncremental)
			}
			if d := cmp.Diff(want.exceptions, got.exceptions, cmpopts.EquateEmpty()); d != "" {
				t.Errorf("%s: exceptions: whole (-) and incremental (+) differ:\n%s", date, d)
			}
			// The report's facts of the carried exceptions, copied from
			// run to run, are those the whole run looks up.
			wantFacts, err := db.ReportExceptions(context.Background(), want.sum.RunID)
			if err != nil {
				t.Fatal(err)
			}
			gotFacts, err := db.ReportExceptions(context.Background(), got.sum.RunID)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(wantFacts, gotFacts, cmpopts.EquateEmpty(), cmpopts.IgnoreFields(store.ReportException{}, "Carried")); d != "" {
				t.Errorf("%s: the report's exceptions: whole (-) and incremental (+) differ:\n%s", date, d)
			}
			eff := maps.Clone(effective[got.sum.Scope.BaseRunID])
			if !got.sum.Scope.Incremental {
				eff = nil
			}
			if eff == nil {
				eff = map[string]recon.MatchResult{}
			}
			// What the night reached it matched again: a transaction
			// it reached and wrote no result for has none now.
			for id := range eff {
				if _, ok := got.sum.Scope.reached[id]; ok {
					delete(eff, id)
				}
			}
			maps.Copy(eff, got.results)
			effective[got.sum.RunID] = eff
			if d := cmp.Diff(want.results, eff, cmpopts.EquateEmpty()); d != "" {
				t.Errorf("%s: results: whole (-) and incremental laid over its base (+) differ:\n%s", date, d)
			}
			if want.sum.Exceptions != got.sum.Exceptions || want.sum.PendingSettlement != got.sum.PendingSettlement {
				t.Errorf("%s: summary counts %d exceptions, %d pending; whole %d, %d", date,
					got.sum.Exceptions, got.sum.PendingSettlement, want.sum.Exceptions, want.sum.PendingSettlement)
			}
			t.Logf("%s: read %d of %d transactions, %d of %d ledger lines; %d exceptions, %d carried", date,
				got.sum.Scope.Transactions, want.sum.Scope.Transactions, got.sum.Scope.LedgerLines, want.sum.Scope.LedgerLines,
				got.sum.Exceptions, got.sum.Scope.Carried)
			return got
		}
		var lastOK int64
		for k, nt := range nights {
			loadNight(t, db, nt)
			date, o := dateOf(k)
			switch k {
			case 3:
				// A run that fails after its match (its workbook, say)
				// is no night to start from: the next starts from the
				// last good one.
				failed := matchNight(t, db, date, o, false)
				if _, err := db.FailRun(context.Background(), failed.sum.RunID, "the workbook failed"); err != nil {
					t.Fatal(err)
				}
				got := check(t, date, o, true)
				if got.sum.Scope.BaseRunID == failed.sum.RunID || got.sum.Scope.BaseRunID != lastOK {
					t.Errorf("%s: started from run %d, want the last good run %d (not the failed %d)", date, got.sum.Scope.BaseRunID, lastOK, failed.sum.RunID)
				}
				lastOK = got.sum.RunID
				continue
			case 5:
				// A past date run again, then tonight's.
				past, po := dateOf(2)
				check(t, past, po, true)
			case 7:
				// An option changed: this night matches whole, the next
				// starts from it.
				opts.ToleranceAbs = 1
				_, o = dateOf(k)
				got := check(t, date, o, false)
				if !strings.Contains(got.sum.Scope.WholeBecause, "other rules or options") {
					t.Errorf("%s: whole because %q, want the options changed", date, got.sum.Scope.WholeBecause)
				}
				lastOK = got.sum.RunID
				continue
			}
			got := check(t, date, o, k > 0)
			lastOK = got.sum.RunID
			if k > 0 && got.sum.Scope.Transactions >= len(got.results)+got.sum.Scope.Carried && got.sum.Scope.Carried == 0 {
				t.Errorf("%s: carried nothing over", date)
			}
		}
	})
}
