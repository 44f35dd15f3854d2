package match

import (
	"bytes"
	"cmp"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unsafe"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/reconkit/reconkit/ingest"
	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/sandbox/gen"
	"github.com/reconkit/reconkit/store"
	"github.com/reconkit/reconkit/store/sqlite"
	"github.com/reconkit/reconkit/wire"
)

// txnScope says which of the dataset's transactions the store gets.
type txnScope int

const (
	// allTxns: every transaction the gateway knows (confirm mode all with
	// an oracle's list of ids).
	allTxns txnScope = iota
	// confirmedTxns: only those a confirmation pass learns of, the ids
	// store.TransactionIDsWithoutAPIRecord lists once webhooks and the
	// ledger are in, as the real pipeline asks the gateway for them.
	confirmedTxns
	// noVoidTxns: every transaction but the VOIDs of their own id, which
	// only their webhooks tell of (the gateway was not asked for them).
	noVoidTxns
)

func (s txnScope) String() string {
	switch s {
	case allTxns:
		return "all transactions"
	case noVoidTxns:
		return "voids from webhooks only"
	}
	return "confirmed transactions"
}

// buildStore loads a generated world into a new database at path the way
// the CLI does: orders, links and transactions converted from the wire
// shapes (raw = the JSON of the wire value), webhooks and the ledger
// written to files and read back by the ingest readers.
func buildStore(tb testing.TB, ds *gen.Dataset, path string, scope txnScope) *sqlite.DB {
	tb.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, path, store.DefaultMerchant)
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	tb.Cleanup(func() { db.Close() })
	units := recon.DefaultUnits()
	dir := filepath.Dir(path)

	load, err := db.BeginLoad(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	defer load.Rollback()
	const chunk = 10000
	orders := make([]recon.Order, 0, chunk)
	for i := range ds.Orders {
		raw, _ := json.Marshal(ds.Orders[i])
		o, err := recon.OrderFromWire(ds.Orders[i], raw, units)
		if err != nil {
			tb.Fatal(err)
		}
		if orders = append(orders, o); len(orders) == chunk || i == len(ds.Orders)-1 {
			if _, err := load.Orders(orders); err != nil {
				tb.Fatal(err)
			}
			orders = orders[:0]
		}
	}
	links := make([]recon.PaymentLink, 0, chunk)
	for i := range ds.Links {
		raw, _ := json.Marshal(ds.Links[i])
		l, err := recon.PaymentLinkFromWire(ds.Links[i], raw, units)
		if err != nil {
			tb.Fatal(err)
		}
		if links = append(links, l); len(links) == chunk || i == len(ds.Links)-1 {
			if _, err := load.PaymentLinks(links); err != nil {
				tb.Fatal(err)
			}
			links = links[:0]
		}
	}
	sink := ingest.SinkFuncs{
		WebhooksFunc:    func(b []recon.WebhookEvent) error { _, err := load.WebhookEvents(b); return err },
		LedgerFunc:      func(b []recon.LedgerEntry) error { _, err := load.LedgerEntries(b); return err },
		InputErrorsFunc: func(b []recon.InputError) error { _, err := load.InputErrors(b); return err },
	}
	hooksPath := filepath.Join(dir, gen.WebhooksFile)
	ledgerPath := filepath.Join(dir, gen.LedgerCSVFile)
	writeTo(tb, hooksPath, ds.WriteWebhooks)
	writeTo(tb, ledgerPath, ds.WriteLedgerCSV)
	if _, err := ingest.ReadWebhookLog(ctx, hooksPath, ingest.WebhookOptions{SignKey: ds.Options.SignKey}, sink); err != nil {
		tb.Fatal(err)
	}
	if _, err := ingest.ReadLedger(ctx, ledgerPath, ingest.SandboxLedgerOptions(), sink); err != nil {
		tb.Fatal(err)
	}
	if err := load.Commit(); err != nil {
		tb.Fatal(err)
	}

	want := map[string]bool(nil)
	if scope == confirmedTxns {
		ids, err := db.TransactionIDsWithoutAPIRecord(ctx)
		if err != nil {
			tb.Fatal(err)
		}
		want = make(map[string]bool, len(ids))
		for _, id := range ids {
			want[id] = true
		}
	}
	fetched := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	txns := make([]recon.Transaction, 0, len(ds.Transactions))
	for i := range ds.Transactions {
		w := ds.Transactions[i]
		if want != nil && !want[w.OxpayTxnID] || scope == noVoidTxns && w.TransactionType == wire.TypeVoid {
			continue
		}
		raw, _ := json.Marshal(w)
		x, err := recon.TransactionFromWire(w, raw, fetched, units)
		if err != nil {
			tb.Fatal(err)
		}
		txns = append(txns, x)
	}
	if _, err := db.UpsertTransactions(ctx, txns); err != nil {
		tb.Fatal(err)
	}
	return db
}

func writeTo(tb testing.TB, path string, write func(io.Writer) error) {
	tb.Helper()
	var buf bytes.Buffer
	if err := write(&buf); err != nil {
		tb.Fatalf("write %s: %v", path, err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		tb.Fatal(err)
	}
}

// keyRow is an exception or an answer-key row by category and ids.
type keyRow struct {
	Category                                          recon.Category
	Order, Link, Txn, MerchantRef, LedgerRef, Details string
}

func (r keyRow) key() string {
	return strings.Join([]string{string(r.Category), r.Order, r.Link, r.Txn, r.MerchantRef, r.LedgerRef}, "|")
}

// expectedRows reads the answer key as expected.csv holds it.
func expectedRows(tb testing.TB, ds *gen.Dataset) []keyRow {
	tb.Helper()
	var buf bytes.Buffer
	if err := ds.WriteExpected(&buf); err != nil {
		tb.Fatal(err)
	}
	return readKeyCSV(tb, &buf)
}

// readKeyCSV reads an expected.csv.
func readKeyCSV(tb testing.TB, r io.Reader) []keyRow {
	tb.Helper()
	recs, err := csv.NewReader(r).ReadAll()
	if err != nil {
		tb.Fatal(err)
	}
	if !slices.Equal(recs[0], gen.ExpectedHeader) {
		tb.Fatalf("expected.csv header: got %v, want %v", recs[0], gen.ExpectedHeader)
	}
	rows := make([]keyRow, 0, len(recs)-1)
	for _, r := range recs[1:] {
		rows = append(rows, keyRow{recon.Category(r[0]), r[1], r[2], r[3], r[4], r[5], r[6]})
	}
	return rows
}

func exceptionRows(es []recon.Exception) []keyRow {
	rows := make([]keyRow, len(es))
	for i, x := range es {
		rows[i] = keyRow{x.Category, x.OrderUID, x.PaymentLinkUID, x.OxpayTxnID, x.MerchantReferenceID, x.LedgerRef, x.Detail}
	}
	return rows
}

// compareKeys compares rows as multisets of their category and ids and
// returns precision, recall and a readable list of the differences.
func compareKeys(want, got []keyRow) (precision, recall float64, diff string) {
	count := map[string]int{}
	for _, r := range want {
		count[r.key()]++
	}
	var unexpected, missing []keyRow
	hit := 0
	for _, r := range got {
		if count[r.key()] > 0 {
			count[r.key()]--
			hit++
		} else {
			unexpected = append(unexpected, r)
		}
	}
	for _, r := range want {
		if count[r.key()] > 0 {
			count[r.key()]--
			missing = append(missing, r)
		}
	}
	precision, recall = 1, 1
	if len(got) > 0 {
		precision = float64(hit) / float64(len(got))
	}
	if len(want) > 0 {
		recall = float64(hit) / float64(len(want))
	}
	var b strings.Builder
	byKey := func(x, y keyRow) int { return cmp.Compare(x.key(), y.key()) }
	slices.SortFunc(missing, byKey)
	slices.SortFunc(unexpected, byKey)
	for _, r := range missing {
		fmt.Fprintf(&b, "  missing:    %s  (%s)\n", r.key(), r.Details)
	}
	for _, r := range unexpected {
		fmt.Fprintf(&b, "  unexpected: %s  (%s)\n", r.key(), r.Details)
	}
	return precision, recall, b.String()
}

// inputOf converts a generated world into recon rows, webhooks and the
// ledger through the ingest readers, for tests of Match without a store.
func inputOf(tb testing.TB, ds *gen.Dataset) Input {
	tb.Helper()
	ctx := context.Background()
	units := recon.DefaultUnits()
	var in Input
	for i := range ds.Orders {
		o, err := recon.OrderFromWire(ds.Orders[i], nil, units)
		if err != nil {
			tb.Fatal(err)
		}
		in.Orders = append(in.Orders, o)
	}
	for i := range ds.Links {
		l, err := recon.PaymentLinkFromWire(ds.Links[i], nil, units)
		if err != nil {
			tb.Fatal(err)
		}
		in.Links = append(in.Links, l)
	}
	for i := range ds.Transactions {
		x, err := recon.TransactionFromWire(ds.Transactions[i], nil, ds.Options.Start, units)
		if err != nil {
			tb.Fatal(err)
		}
		in.Transactions = append(in.Transactions, x)
	}
	dir := tb.TempDir()
	hooks, ledger := filepath.Join(dir, gen.WebhooksFile), filepath.Join(dir, gen.LedgerCSVFile)
	writeTo(tb, hooks, ds.WriteWebhooks)
	writeTo(tb, ledger, ds.WriteLedgerCSV)
	// Ids as the store gives them: 1, 2, 3... per table, in file order.
	var hookID, lineID int64
	sink := ingest.SinkFuncs{
		WebhooksFunc: func(b []recon.WebhookEvent) error {
			for _, w := range b {
				hookID++
				w.ID, w.Raw = hookID, ""
				in.Webhooks = append(in.Webhooks, w)
			}
			return nil
		},
		LedgerFunc: func(b []recon.LedgerEntry) error {
			for _, l := range b {
				lineID++
				l.ID, l.Raw = lineID, ""
				in.Ledger = append(in.Ledger, l)
			}
			return nil
		},
	}
	if _, err := ingest.ReadWebhookLog(ctx, hooks, ingest.WebhookOptions{SignKey: ds.Options.SignKey}, sink); err != nil {
		tb.Fatal(err)
	}
	if _, err := ingest.ReadLedger(ctx, ledger, ingest.SandboxLedgerOptions(), sink); err != nil {
		tb.Fatal(err)
	}
	return in
}

// storeOf loads an Input into a new database and renumbers the Input's
// webhook event, ledger entry and input error ids to the ones the store
// gave them (1, 2, 3... per table, in order), so that Match over the
// returned Input and Run over the database see the same rows.
func storeOf(tb testing.TB, in Input) (*sqlite.DB, Input) {
	tb.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(tb.TempDir(), "recon.db"), store.DefaultMerchant)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	in.Webhooks = slices.Clone(in.Webhooks)
	for i := range in.Webhooks {
		in.Webhooks[i].ID = int64(i + 1)
		in.Webhooks[i].DeliveryKey = fmt.Sprintf("delivery-%d", i)
	}
	in.Ledger = slices.Clone(in.Ledger)
	for i := range in.Ledger {
		in.Ledger[i].ID = int64(i + 1)
		in.Ledger[i].RowHash = fmt.Sprintf("row-%d", i)
	}
	in.InputErrors = slices.Clone(in.InputErrors)
	for i := range in.InputErrors {
		in.InputErrors[i].ID = int64(i + 1)
	}
	load, err := db.BeginLoad(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	defer load.Rollback()
	_, err1 := load.Orders(in.Orders)
	_, err2 := load.PaymentLinks(in.Links)
	_, err3 := load.Transactions(in.Transactions)
	_, err4 := load.WebhookEvents(in.Webhooks)
	_, err5 := load.LedgerEntries(in.Ledger)
	_, err6 := load.InputErrors(in.InputErrors)
	if err := errors.Join(err1, err2, err3, err4, err5, err6, load.Commit()); err != nil {
		tb.Fatal(err)
	}
	return db, in
}

// runStore runs the engine over db as the match command does and returns
// what it stored.
func runStore(tb testing.TB, db *sqlite.DB, opts Options) Output {
	tb.Helper()
	ctx := context.Background()
	run, err := db.StartRun(ctx, recon.Run{Command: "match"})
	if err != nil {
		tb.Fatal(err)
	}
	sum, err := Run(ctx, db, run, opts)
	if err != nil {
		tb.Fatalf("Run: %v", err)
	}
	var out Output
	if out.Exceptions, err = db.Exceptions(ctx, run); err != nil {
		tb.Fatal(err)
	}
	err = db.MatchResults(ctx, run, func(b []recon.MatchResult) error { out.Results = append(out.Results, b...); return nil })
	if err != nil {
		tb.Fatal(err)
	}
	if out.Settlements, err = db.SettlementBatches(ctx, run); err != nil {
		tb.Fatal(err)
	}
	for i := range out.Settlements {
		// Read back from the deposit's line; Match has no store to read.
		out.Settlements[i].DepositRef, out.Settlements[i].DepositBookedOn = "", nil
	}
	if sum.Scope == nil || sum.Scope.Incremental {
		tb.Fatalf("Run of a store with no earlier run: scope %+v, want a whole match", sum.Scope)
	}
	// The run counts its inputs as the report would count every row.
	mark, ok, err := db.MatchMark(ctx, run)
	if err != nil || !ok {
		tb.Fatalf("the run's mark: %v, %v", ok, err)
	}
	sources, err := db.ReportSourceTotals(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	if d := gocmp.Diff(sources, mark.Sources, cmpopts.EquateEmpty()); d != "" {
		tb.Errorf("the inputs: the report's count (-) and the run's (+) differ:\n%s", d)
	}
	if d := gocmp.Diff(out.Exceptions, sum.Open, cmpopts.EquateEmpty()); d != "" {
		tb.Errorf("the exceptions stored (-) and those Run handed on (+) differ:\n%s", d)
	}
	sum.RunID, sum.Scope, sum.Open = 0, nil, nil
	out.Summary = sum
	return out
}

// TestSymbolsKeepTheirOwnCopy holds symbols.of to copying a new value: a
// store may hand over strings that point into a batch it then reuses.
func TestSymbolsKeepTheirOwnCopy(t *testing.T) {
	buf := []byte("CAPTURE_PENDING")
	s := newSymbols()
	c := s.of(unsafe.String(&buf[0], len(buf)))
	copy(buf, "XXXXXXXXXXXXXXX")
	if got := s.str(c); got != "CAPTURE_PENDING" {
		t.Fatalf("symbol %d reads %q after its batch was reused, want CAPTURE_PENDING", c, got)
	}
	if again := s.of("CAPTURE_PENDING"); again != c {
		t.Errorf("the value again: code %d, want %d", again, c)
	}
}
