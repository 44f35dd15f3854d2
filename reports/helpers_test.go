package reports

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/reconkit/reconkit/ingest"
	"github.com/reconkit/reconkit/match"
	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/sandbox/gen"
	"github.com/reconkit/reconkit/settle"
	"github.com/reconkit/reconkit/store"
	"github.com/reconkit/reconkit/store/sqlite"
)

// worldStore loads a generated world into a new store the way the CLI
// does (as match's tests do: orders, links and transactions from the
// wire shapes, webhooks and the ledger written to files and read back by
// the ingest readers, which also record the files), runs a match and
// returns the store, the run and the world's zone.
func worldStore(tb testing.TB, opts gen.Options) (*sqlite.DB, int64, *time.Location) {
	return worldStoreAsOf(tb, opts, time.Time{})
}

// worldStoreAsOf is worldStore with match's AsOf set: settlement windows
// still open on that day leave their transactions pending.
func worldStoreAsOf(tb testing.TB, opts gen.Options, asOf time.Time) (*sqlite.DB, int64, *time.Location) {
	tb.Helper()
	ctx := context.Background()
	ds, err := gen.Generate(opts)
	if err != nil {
		tb.Fatal(err)
	}
	dir := tb.TempDir()
	db, err := sqlite.Open(ctx, filepath.Join(dir, "recon.db"), store.DefaultMerchant)
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	tb.Cleanup(func() { db.Close() })
	units := recon.DefaultUnits()

	load, err := db.BeginLoad(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	defer load.Rollback()
	var orders []recon.Order
	for i := range ds.Orders {
		raw, _ := json.Marshal(ds.Orders[i])
		o, err := recon.OrderFromWire(ds.Orders[i], raw, units)
		if err != nil {
			tb.Fatal(err)
		}
		orders = append(orders, o)
	}
	if _, err := load.Orders(orders); err != nil {
		tb.Fatal(err)
	}
	var links []recon.PaymentLink
	for i := range ds.Links {
		raw, _ := json.Marshal(ds.Links[i])
		l, err := recon.PaymentLinkFromWire(ds.Links[i], raw, units)
		if err != nil {
			tb.Fatal(err)
		}
		links = append(links, l)
	}
	if _, err := load.PaymentLinks(links); err != nil {
		tb.Fatal(err)
	}
	sink := ingest.SinkFuncs{
		WebhooksFunc:    func(b []recon.WebhookEvent) error { _, err := load.WebhookEvents(b); return err },
		LedgerFunc:      func(b []recon.LedgerEntry) error { _, err := load.LedgerEntries(b); return err },
		InputErrorsFunc: func(b []recon.InputError) error { _, err := load.InputErrors(b); return err },
	}
	hooks := filepath.Join(dir, gen.WebhooksFile)
	ledger := filepath.Join(dir, gen.LedgerCSVFile)
	writeFile(tb, hooks, ds.WriteWebhooks)
	writeFile(tb, ledger, ds.WriteLedgerCSV)
	hr, err := ingest.ReadWebhookLog(ctx, hooks, ingest.WebhookOptions{SignKey: ds.Options.SignKey}, sink)
	if err != nil {
		tb.Fatal(err)
	}
	lopts := ingest.SandboxLedgerOptions()
	settled := genSettlement(tb, ds)
	if settled != nil {
		lopts.Fee = gen.LedgerFeeColumn
	}
	lr, err := ingest.ReadLedger(ctx, ledger, lopts, sink)
	if err != nil {
		tb.Fatal(err)
	}
	if err := load.Commit(); err != nil {
		tb.Fatal(err)
	}
	at := ds.Options.Start.Add(26 * time.Hour)
	for _, f := range []struct {
		kind, path string
		res        ingest.Result
	}{{"webhooks", hooks, hr}, {"ledger", ledger, lr}} {
		if err := db.RecordInputFile(ctx, store.InputFile{Kind: f.kind, Path: filepath.Base(f.path), SHA256: f.res.SHA256,
			Rows: f.res.Rows, Errors: f.res.Errors, IngestedAt: at}); err != nil {
			tb.Fatal(err)
		}
	}
	fetched := ds.Options.Start.Add(25 * time.Hour)
	var txns []recon.Transaction
	for i := range ds.Transactions {
		raw, _ := json.Marshal(ds.Transactions[i])
		x, err := recon.TransactionFromWire(ds.Transactions[i], raw, fetched, units)
		if err != nil {
			tb.Fatal(err)
		}
		txns = append(txns, x)
	}
	if _, err := db.UpsertTransactions(ctx, txns); err != nil {
		tb.Fatal(err)
	}
	run := matchRun(tb, db, ds.Options.Zone, ds.Options.Start, asOf, settled)
	return db, run, ds.Options.Zone
}

// matchRun starts a match run at a fixed time, runs it and records its
// end, as the CLI does.
func matchRun(tb testing.TB, db *sqlite.DB, zone *time.Location, day, asOf time.Time, settled *match.SettlementOptions) int64 {
	tb.Helper()
	ctx := context.Background()
	run, err := db.StartRun(ctx, recon.Run{Command: "match", BusinessDate: day.In(zone).Format("2006-01-02"),
		StartedAt: day.Add(30 * time.Hour)})
	if err != nil {
		tb.Fatal(err)
	}
	opts := match.DefaultOptions()
	opts.Zone = zone
	opts.AsOf = asOf
	opts.Settlement = settled
	sum, err := match.Run(ctx, db, run, opts)
	if err != nil {
		tb.Fatalf("match: %v", err)
	}
	counts, _ := json.Marshal(sum)
	if err := db.FinishRun(ctx, run, recon.RunOK, "", string(counts), "[]"); err != nil {
		tb.Fatal(err)
	}
	return run
}

func writeFile(tb testing.TB, path string, write func(io.Writer) error) {
	tb.Helper()
	var buf bytes.Buffer
	if err := write(&buf); err != nil {
		tb.Fatalf("write %s: %v", path, err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		tb.Fatal(err)
	}
}

// genSettlement is the settlement step's options for a generated world
// that books net deposits (nil for a gross one): the generator's fee
// terms and calendar, as its settlement.yaml tells recon.
func genSettlement(tb testing.TB, ds *gen.Dataset) *match.SettlementOptions {
	tb.Helper()
	if ds.SettlementConfig() == "" {
		return nil
	}
	var s settle.Schedule
	for _, f := range gen.FeeTerms {
		p, err := settle.ParsePercent(f.Percent)
		if err != nil {
			tb.Fatal(err)
		}
		s.Rules = append(s.Rules, settle.FeeRule{Brand: f.Brand, Currency: f.Currency, PercentE4: p, FixedMinor: f.FixedMinor, MinMinor: f.MinMinor})
	}
	cal := settle.Calendar{Zone: ds.Options.Zone, CutOff: gen.SettlementCutOff, PayoutDays: gen.SettlementPayoutDays,
		Holidays: map[settle.Day]bool{settle.DayOf(gen.SettlementHoliday(ds.Options.Start)): true}}
	return &match.SettlementOptions{Schedule: s, Calendar: cal, Pattern: regexp.MustCompile(gen.SettlementPattern)}
}
