package store

import (
	"context"
	"errors"
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/reconkit/reconkit/recon"
)

// hostileStrings are values from outside (API fields, webhook and ledger
// text, file names) written to look like SQL, LIKE patterns, parameter
// markers, escapes, or text that byte-oriented code mishandles. Each is
// stored in every text column of every table and must come back byte
// for byte, with every table still there.
var hostileStrings = []string{
	"'; DROP TABLE orders; --",
	`" OR 1=1 --`,
	"' OR '1'='1",
	"'); DELETE FROM runs; --",
	"' || (SELECT sqlite_version()) || '",
	"%", "_", "%_%", "a%", `\`, `\\'`, `\"`, `\%`,
	"?", "?1", ":uid", "@p", "$1",
	"/* */", ";", "NULL", "null", "0x41",
	"a\x00b", "\x00",
	"日本語 ✓ 🧾", "\u202eRTL\u202c", "\ufffd", "\xff\xfe not UTF-8",
	"line\nbreak\r\n", "\t",
	"",
	strings.Repeat("L", 100_000),
}

// injectionDay is the fixed time of every hostile row.
var injectionDay = time.Date(2024, 3, 2, 9, 30, 0, 0, time.UTC)

// hostileRows builds one row per hostile string for every table, the
// string in every text column (and as every unique key).
type hostileRows struct {
	orders   []recon.Order
	links    []recon.PaymentLink
	txns     []recon.Transaction
	hooks    []recon.WebhookEvent
	ledger   []recon.LedgerEntry
	errs     []recon.InputError
	files    []InputFile
	results  []recon.MatchResult
	excepts  []recon.Exception
	runInput []recon.Run
}

func buildHostileRows() hostileRows {
	var r hostileRows
	day := injectionDay
	booked := time.Date(2024, 3, 2, 0, 0, 0, 0, time.UTC)
	for i, h := range hostileStrings {
		n := int64(i + 1)
		r.orders = append(r.orders, recon.Order{UID: h, Status: h, Currency: h, AmountMinor: -n, CreatedAt: day, UpdatedAt: day, Raw: h})
		r.links = append(r.links, recon.PaymentLink{UID: h, OrderUID: h, Status: h, PaymentURL: h, Currency: h, AmountMinor: n,
			PaidAt: &day, CreatedAt: day, UpdatedAt: day, Raw: h})
		r.txns = append(r.txns, recon.Transaction{OxpayTxnID: h, OriginalTxnID: h, Type: h, MerchantReferenceID: h, HostTxnID: h,
			State: h, Brand: h, Currency: h, AmountMinor: n, RefundAmountMinor: n, FetchedAt: day, Raw: h})
		r.hooks = append(r.hooks, recon.WebhookEvent{ID: n, ReceivedAt: day, Kind: h, OxpayTxnID: h, OriginalTxnID: h + "#orig",
			MerchantReferenceID: h, HostTxnID: h, State: h, Currency: h, AmountMinor: n, RefundAmountMinor: n, StatusCode: i,
			SigCheck: h, DedupKey: h, DeliveryKey: h, Raw: h, SourceFile: h, SourceLine: i})
		r.ledger = append(r.ledger, recon.LedgerEntry{ID: n, BookedOn: booked, Reference: h, Description: h, TxnType: h, Currency: h,
			AmountMinor: -n, RowHash: h, SourceFile: h, Sheet: h, SourceLine: i, Raw: h})
		r.errs = append(r.errs, recon.InputError{ID: n, Source: h, File: h, Line: i, Text: h, Reason: h, RecordedAt: day})
		r.files = append(r.files, InputFile{ID: n, Kind: h, Path: h, SHA256: h, Rows: i, Errors: i, IngestedAt: day})
		r.results = append(r.results, recon.MatchResult{Kind: h, OrderUID: h, PaymentLinkUID: h, OxpayTxnID: h, OriginalTxnID: h,
			MerchantReferenceID: h, LedgerEntryID: n, WebhookEventID: n, State: h, Source: h, Currency: h,
			OrderMinor: n, GatewayMinor: n, PaidAt: &day, Clean: i%2 == 0})
		r.excepts = append(r.excepts, recon.Exception{Category: recon.Category(h), Severity: h, OrderUID: h, PaymentLinkUID: h,
			OxpayTxnID: h, MerchantReferenceID: h, LedgerRef: h, Currency: h, ExpectedMinor: n, ActualMinor: -n,
			DifferenceMinor: -2 * n, Detail: h, WebhookEventIDs: recon.IDList{n}, LedgerEntryIDs: recon.IDList{n}, InputErrorID: n})
		r.runInput = append(r.runInput, recon.Run{Command: h, BusinessDate: h, StartedAt: day.Add(time.Duration(i) * time.Second),
			Status: h, Error: h, Counts: h, Inputs: h, Version: h})
	}
	return r
}

// tables lists the tables in the schema, to show none was dropped or
// added behind the test's back.
func tables(t *testing.T, db *DB) []string {
	t.Helper()
	var names []string
	if err := db.X().SelectContext(context.Background(), &names,
		`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`); err != nil {
		t.Fatalf("list tables: %v", err)
	}
	return names
}

func TestHostileStringsRoundTrip(t *testing.T) {
	ctx := context.Background()
	// The database path itself is hostile too: the DSN must escape it.
	dir := filepath.Join(t.TempDir(), "x'; DROP TABLE orders; -- %3f?#")
	db, err := Open(ctx, filepath.Join(dir, "re'c?on#%.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	schema := tables(t, db)
	r := buildHostileRows()
	n := len(hostileStrings)

	// Runs first: a Load holds the write lock until it commits.
	runIDs := make([]int64, n)
	for i, run := range r.runInput {
		if runIDs[i], err = db.StartRun(ctx, run); err != nil {
			t.Fatalf("StartRun %q: %v", clipName(run.Command), err)
		}
	}
	for i, h := range hostileStrings {
		if i%2 == 1 { // half finished with hostile text, half left running
			if err := db.FinishRun(ctx, runIDs[i], h, h, h, h); err != nil {
				t.Fatalf("FinishRun: %v", err)
			}
		}
	}
	matchRun := runIDs[0]

	// Every bulk path inside one Load, then the one-shot paths.
	load, err := db.BeginLoad(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer load.Rollback()
	load.SetRunID(matchRun)
	half := n / 2
	if _, err := load.Orders(r.orders[:half]); err != nil {
		t.Fatalf("Load.Orders: %v", err)
	}
	if _, err := load.PaymentLinks(r.links[:half]); err != nil {
		t.Fatalf("Load.PaymentLinks: %v", err)
	}
	if _, err := load.Transactions(r.txns[:half]); err != nil {
		t.Fatalf("Load.Transactions: %v", err)
	}
	if _, err := load.WebhookEvents(r.hooks[:half]); err != nil {
		t.Fatalf("Load.WebhookEvents: %v", err)
	}
	if _, err := load.LedgerEntries(r.ledger[:half]); err != nil {
		t.Fatalf("Load.LedgerEntries: %v", err)
	}
	if _, err := load.InputErrors(r.errs[:half]); err != nil {
		t.Fatalf("Load.InputErrors: %v", err)
	}
	for _, f := range r.files[:half] {
		if err := load.RecordInputFile(f); err != nil {
			t.Fatalf("Load.RecordInputFile: %v", err)
		}
	}
	if err := load.Commit(); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	if _, err := db.UpsertOrders(ctx, r.orders[half:]); err != nil {
		t.Fatalf("UpsertOrders: %v", err)
	}
	if _, err := db.UpsertPaymentLinks(ctx, r.links[half:]); err != nil {
		t.Fatalf("UpsertPaymentLinks: %v", err)
	}
	if _, err := db.UpsertTransactions(ctx, r.txns[half:]); err != nil {
		t.Fatalf("UpsertTransactions: %v", err)
	}
	if _, err := db.InsertWebhookEvents(ctx, r.hooks[half:]); err != nil {
		t.Fatalf("InsertWebhookEvents: %v", err)
	}
	if _, err := db.InsertLedgerEntries(ctx, r.ledger[half:]); err != nil {
		t.Fatalf("InsertLedgerEntries: %v", err)
	}
	if _, err := db.InsertInputErrors(ctx, r.errs[half:]); err != nil {
		t.Fatalf("InsertInputErrors: %v", err)
	}
	for _, f := range r.files[half:] {
		if err := db.RecordInputFile(ctx, f); err != nil {
			t.Fatalf("RecordInputFile: %v", err)
		}
	}
	// Results: written twice, the second time replacing the first. Rows
	// whose text has control characters or is not UTF-8 go in a batch of
	// their own, so that a writer with a faster path for plain text
	// (JSON for the batch) takes it for the others.
	plain := func(s string) bool { return utf8.ValidString(s) && !strings.ContainsFunc(s, unicode.IsControl) }
	var plainFirst []int
	for pass := range 2 {
		for i, h := range hostileStrings {
			if plain(h) == (pass == 0) {
				plainFirst = append(plainFirst, i)
			}
		}
	}
	results, excepts := make([]recon.MatchResult, n), make([]recon.Exception, n)
	for j, i := range plainFirst {
		results[j], excepts[j] = r.results[i], r.excepts[i]
	}
	r.results, r.excepts = results, excepts
	nPlain := 0
	for _, h := range hostileStrings {
		if plain(h) {
			nPlain++
		}
	}
	for range 2 {
		load, err := db.BeginLoad(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := load.DeleteRunResults(matchRun); err != nil {
			t.Fatalf("DeleteRunResults: %v", err)
		}
		for _, part := range [][2]int{{0, nPlain}, {nPlain, n}} {
			if _, err := load.MatchResults(matchRun, r.results[part[0]:part[1]]); err != nil {
				t.Fatalf("MatchResults: %v", err)
			}
			if _, err := load.Exceptions(matchRun, r.excepts[part[0]:part[1]]); err != nil {
				t.Fatalf("Exceptions: %v", err)
			}
		}
		if err := load.Commit(); err != nil {
			t.Fatalf("Commit results: %v", err)
		}
	}

	// A reload of the same rows compares every hostile column with what
	// is stored (IS DISTINCT FROM) and finds nothing changed.
	for _, st := range []func() (UpsertStats, error){
		func() (UpsertStats, error) { return db.UpsertOrders(ctx, r.orders) },
		func() (UpsertStats, error) { return db.UpsertPaymentLinks(ctx, r.links) },
		func() (UpsertStats, error) { return db.UpsertTransactions(ctx, r.txns) },
	} {
		got, err := st()
		if err != nil {
			t.Fatalf("reload: %v", err)
		}
		if want := (UpsertStats{Unchanged: n}); got != want {
			t.Errorf("reload: got %+v, want %+v", got, want)
		}
	}
	for _, ins := range []func() (int, error){
		func() (int, error) { return db.InsertWebhookEvents(ctx, r.hooks) },
		func() (int, error) { return db.InsertLedgerEntries(ctx, r.ledger) },
		func() (int, error) { return db.InsertInputErrors(ctx, r.errs) },
	} {
		if added, err := ins(); err != nil || added != 0 {
			t.Errorf("reinsert: got %d added, %v; want 0", added, err)
		}
	}

	checkHostileReads(t, db, r, runIDs)

	// Nothing was dropped, added or emptied, and the file is sound.
	if d := cmp.Diff(schema, tables(t, db)); d != "" {
		t.Errorf("tables (-before +after):\n%s", d)
	}
	for table, want := range map[string]int64{"orders": int64(n), "payment_links": int64(n), "transactions": int64(n),
		"webhook_events": int64(n), "ledger_entries": int64(n), "input_errors": int64(n), "input_files": int64(n), "runs": int64(n),
		"schema_migrations": int64(LatestSchemaVersion())} {
		if got, err := db.Count(ctx, table); err != nil || got != want {
			t.Errorf("count %s: got %d, %v; want %d", table, got, err, want)
		}
	}
	for _, q := range []string{`SELECT COUNT(*) FROM match_results`, `SELECT COUNT(*) FROM exceptions`} {
		var got int
		if err := db.X().GetContext(ctx, &got, q); err != nil || got != n {
			t.Errorf("%s: got %d, %v; want %d", q, got, err, n)
		}
	}
	var check string
	if err := db.X().GetContext(ctx, &check, `PRAGMA integrity_check`); err != nil || check != "ok" {
		t.Errorf("integrity_check: got %q, %v", check, err)
	}

	// A backup to a hostile path holds the same rows.
	backup := filepath.Join(dir, "bak'; DROP TABLE runs; --%3f?#.db")
	if err := db.BackupTo(ctx, backup); err != nil {
		t.Fatalf("BackupTo: %v", err)
	}
	bdb, err := Open(ctx, backup)
	if err != nil {
		t.Fatalf("open backup: %v", err)
	}
	defer bdb.Close()
	checkHostileReads(t, bdb, r, runIDs)
}

// clipName shortens a hostile string for a failure message.
func clipName(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// byteOrder sorts as SQLite's BINARY collation does: bytes, then length.
func byteOrder[T any](rows []T, key func(T) string) []T {
	out := slices.Clone(rows)
	slices.SortStableFunc(out, func(a, b T) int { return strings.Compare(key(a), key(b)) })
	return out
}

// checkHostileReads reads every hostile row back through every reader
// the store offers and compares it byte for byte.
func checkHostileReads(t *testing.T, db *DB, r hostileRows, runIDs []int64) {
	t.Helper()
	ctx := context.Background()
	n := len(hostileStrings)
	matchRun := runIDs[0]

	orders, err := db.Orders(ctx)
	if d := cmp.Diff(byteOrder(r.orders, func(o recon.Order) string { return o.UID }), orders); err != nil || d != "" {
		t.Errorf("Orders: %v (-want +got):\n%s", err, d)
	}
	links, err := db.PaymentLinks(ctx)
	if d := cmp.Diff(byteOrder(r.links, func(l recon.PaymentLink) string { return l.UID }), links); err != nil || d != "" {
		t.Errorf("PaymentLinks: %v (-want +got):\n%s", err, d)
	}
	txns, err := db.Transactions(ctx)
	if d := cmp.Diff(byteOrder(r.txns, func(x recon.Transaction) string { return x.OxpayTxnID }), txns); err != nil || d != "" {
		t.Errorf("Transactions: %v (-want +got):\n%s", err, d)
	}
	hooks, err := db.WebhookEvents(ctx)
	if d := cmp.Diff(r.hooks, hooks); err != nil || d != "" {
		t.Errorf("WebhookEvents: %v (-want +got):\n%s", err, d)
	}
	ledger, err := db.LedgerEntries(ctx)
	if d := cmp.Diff(r.ledger, ledger); err != nil || d != "" {
		t.Errorf("LedgerEntries: %v (-want +got):\n%s", err, d)
	}
	errs, err := db.InputErrors(ctx)
	if d := cmp.Diff(r.errs, errs); err != nil || d != "" {
		t.Errorf("InputErrors: %v (-want +got):\n%s", err, d)
	}
	files, err := db.InputFiles(ctx)
	wantFiles := slices.Clone(r.files)
	for i := range wantFiles[:n/2] {
		wantFiles[i].RunID = matchRun // recorded inside the Load, which had the run
	}
	if d := cmp.Diff(wantFiles, files); err != nil || d != "" {
		t.Errorf("InputFiles: %v (-want +got):\n%s", err, d)
	}
	for _, h := range hostileStrings {
		if seen, err := db.InputFileSeen(ctx, h, h); err != nil || !seen {
			t.Errorf("InputFileSeen(%q): got %v, %v; want true", clipName(h), seen, err)
		}
	}
	// Patterns are not patterns: "%" matches only "%".
	for _, k := range [][2]string{{"%", "_"}, {"_", "%"}, {"%", "%%"}, {"' OR '1'='1", "x"}} {
		if seen, err := db.InputFileSeen(ctx, k[0], k[1]); err != nil || seen {
			t.Errorf("InputFileSeen(%q, %q): got %v, %v; want false", k[0], k[1], seen, err)
		}
	}

	// Runs, by id, by command and status, and all of them.
	for i, h := range hostileStrings {
		got, err := db.GetRun(ctx, runIDs[i])
		if err != nil {
			t.Fatalf("GetRun: %v", err)
		}
		want := r.runInput[i]
		want.ID = runIDs[i]
		if i%2 == 1 {
			want.Status, want.Error, want.Counts, want.Inputs = h, h, h, h
			if got.EndedAt == nil {
				t.Errorf("run %d: no end time after FinishRun", runIDs[i])
			}
		}
		if d := cmp.Diff(want, got, cmpopts.IgnoreFields(recon.Run{}, "EndedAt")); d != "" {
			t.Errorf("GetRun(%d) (-want +got):\n%s", runIDs[i], d)
		}
		last, ok, err := db.LastRun(ctx, h, "")
		if err != nil || !ok || last.ID != runIDs[i] {
			t.Errorf("LastRun(%q, \"\"): got run %d, %v, %v; want run %d", clipName(h), last.ID, ok, err, runIDs[i])
		}
		last, ok, err = db.LastRun(ctx, h, want.Status)
		if err != nil || !ok || last.ID != runIDs[i] {
			t.Errorf("LastRun(%q, %q): got run %d, %v, %v; want run %d", clipName(h), clipName(want.Status), last.ID, ok, err, runIDs[i])
		}
	}
	if _, ok, err := db.LastRun(ctx, "%x", ""); err != nil || ok {
		t.Errorf("LastRun(\"%%x\"): got %v, %v; want no run", ok, err)
	}
	runs, err := db.Runs(ctx, 0)
	if err != nil || len(runs) != n {
		t.Errorf("Runs: got %d, %v; want %d", len(runs), err, n)
	}
	for _, id := range []int64{0, -1, math.MaxInt64, math.MinInt64} {
		if _, err := db.GetRun(ctx, id); !errors.Is(err, ErrNotFound) {
			t.Errorf("GetRun(%d): got %v, want ErrNotFound", id, err)
		}
	}

	// Results and exceptions, as match and the reports read them.
	excepts, err := db.Exceptions(ctx, matchRun)
	if d := cmp.Diff(r.excepts, excepts); err != nil || d != "" {
		t.Errorf("Exceptions: %v (-want +got):\n%s", err, d)
	}
	if other, err := db.Exceptions(ctx, runIDs[1]); err != nil || len(other) != 0 {
		t.Errorf("Exceptions of another run: got %d, %v; want none", len(other), err)
	}
	var results []recon.MatchResult
	err = db.MatchResults(ctx, matchRun, func(b []recon.MatchResult) error { results = append(results, b...); return nil })
	wantResults := slices.Clone(r.results)
	for i := range wantResults {
		l := r.ledger[wantResults[i].LedgerEntryID-1]
		wantResults[i].LedgerRef, wantResults[i].LedgerMinor, wantResults[i].BookedOn = l.Reference, l.AmountMinor, &l.BookedOn
	}
	if d := cmp.Diff(wantResults, results); err != nil || d != "" {
		t.Errorf("MatchResults: %v (-want +got):\n%s", err, d)
	}
	var reportResults []ReportResult
	err = db.ReportResults(ctx, matchRun, func(b []ReportResult) error {
		for _, x := range b {
			x.PaidAt, x.BookedOn = clonePtr(x.PaidAt), clonePtr(x.BookedOn) // the batch's times are reused
			reportResults = append(reportResults, x)
		}
		return nil
	})
	var wantReport []ReportResult
	for _, x := range wantResults {
		u := r.links[x.LedgerEntryID-1].PaymentURL
		if x.PaymentLinkUID == "" {
			u = "" // the join skips an empty uid
		}
		wantReport = append(wantReport, ReportResult{MatchResult: x, PaymentURL: u})
	}
	if d := cmp.Diff(wantReport, reportResults); err != nil || d != "" {
		t.Errorf("ReportResults: %v (-want +got):\n%s", err, d)
	}
	reportExcepts, err := db.ReportExceptions(ctx, matchRun)
	if err != nil {
		t.Fatalf("ReportExceptions: %v", err)
	}
	var wantRE []ReportException
	for _, x := range r.excepts {
		i := x.InputErrorID - 1 // every id of the row is its hostile string's
		e := ReportException{Exception: x, PaymentURL: r.links[i].PaymentURL, OrderCreatedAt: &r.orders[i].CreatedAt,
			LinkPaidAt: r.links[i].PaidAt, WebhookReceivedAt: &r.hooks[i].ReceivedAt, LedgerBookedOn: &r.ledger[i].BookedOn,
			LedgerCurrency: r.ledger[i].Currency, LedgerMinor: r.ledger[i].AmountMinor,
			InputSource: r.errs[i].Source, InputFile: r.errs[i].File, InputLine: r.errs[i].Line, InputText: r.errs[i].Text,
			InputRecordedAt: &r.errs[i].RecordedAt}
		if x.PaymentLinkUID == "" {
			e.PaymentURL, e.LinkPaidAt = "", nil
		}
		if x.OrderUID == "" {
			e.OrderCreatedAt = nil
		}
		wantRE = append(wantRE, e)
	}
	if d := cmp.Diff(wantRE, reportExcepts); d != "" {
		t.Errorf("ReportExceptions (-want +got):\n%s", d)
	}
	counts, err := db.ReportResultCounts(ctx, matchRun)
	var wantCounts []ResultCount
	for _, x := range r.results {
		c := ResultCount{Kind: x.Kind, Currency: x.Currency, Rows: 1}
		if x.Clean {
			c.Clean, c.CleanGatewayMinor = 1, x.GatewayMinor
		}
		wantCounts = append(wantCounts, c)
	}
	wantCounts = byteOrder(wantCounts, func(c ResultCount) string { return c.Kind })
	if d := cmp.Diff(wantCounts, counts); err != nil || d != "" {
		t.Errorf("ReportResultCounts: %v (-want +got):\n%s", err, d)
	}
	totals, err := db.ReportSourceTotals(ctx)
	if err != nil {
		t.Fatalf("ReportSourceTotals: %v", err)
	}
	var orderTotals []SourceTotal
	for _, s := range totals {
		if s.Source == SourceOrders {
			orderTotals = append(orderTotals, s)
		}
	}
	var wantOrderTotals []SourceTotal
	for _, o := range r.orders {
		wantOrderTotals = append(wantOrderTotals, SourceTotal{Source: SourceOrders, Currency: o.Currency, Rows: 1, AmountMinor: o.AmountMinor})
	}
	wantOrderTotals = byteOrder(wantOrderTotals, func(s SourceTotal) string { return s.Currency })
	if d := cmp.Diff(wantOrderTotals, orderTotals); d != "" {
		t.Errorf("ReportSourceTotals, orders (-want +got):\n%s", d)
	}

	// The candidate ids of the confirmation pass: every webhook's
	// original id lacks an API record; every hostile id has one.
	var origs, all []string
	for _, h := range hostileStrings {
		origs = append(origs, h+"#orig")
		if h != "" { // an empty id is no candidate
			all = append(all, h)
		}
	}
	all = append(all, origs...)
	all = append(all, "") // but the transaction with an empty id is known
	slices.Sort(origs)
	slices.Sort(all)
	all = slices.Compact(all)
	if got, err := db.TransactionIDsWithoutAPIRecord(ctx); err != nil || !slices.Equal(got, origs) {
		t.Errorf("TransactionIDsWithoutAPIRecord: got %d ids, %v; want the %d original ids", len(got), err, len(origs))
	}
	if got, err := db.KnownTransactionIDs(ctx); err != nil || !slices.Equal(got, all) {
		t.Errorf("KnownTransactionIDs: got %d ids, %v; want %d", len(got), err, len(all))
	}

	// A table name is looked up, never spliced in.
	for _, name := range []string{"orders; DROP TABLE orders", "orders --", "runs WHERE 1=1", "%"} {
		if _, err := db.Count(ctx, name); !errors.Is(err, ErrUnknownTable) {
			t.Errorf("Count(%q): got %v, want ErrUnknownTable", name, err)
		}
	}
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

// --- SQL is built from constants only ---------------------------------

// sqlMethods are the database/sql and sqlx calls that take SQL text,
// with the index of that argument.
var sqlMethods = map[string]int{
	"Exec": 0, "ExecContext": 1, "MustExec": 0, "MustExecContext": 1,
	"Query": 0, "QueryContext": 1, "Queryx": 0, "QueryxContext": 1,
	"QueryRow": 0, "QueryRowContext": 1, "QueryRowx": 0, "QueryRowxContext": 1,
	"Get": 1, "GetContext": 2, "Select": 1, "SelectContext": 2,
	"Prepare": 0, "PrepareContext": 1, "Preparex": 0, "PreparexContext": 1,
	"NamedExec": 0, "NamedExecContext": 1, "NamedQuery": 0, "NamedQueryContext": 1,
	"PrepareNamed": 0, "PrepareNamedContext": 1,
}

// sqlBuilders are the store's functions that make SQL text from their
// arguments, allowed as long as every string argument is itself built
// from constants (checked at each call):
//   - sqliteStmtText repeats an insertSQL's constant row tuple, "(?, ?, ...)",
//     once per row of a multi-row INSERT and numbers the markers; the
//     row count is an int, so values still travel only as parameters;
//   - firstID wraps a column name (a literal at every call) in SQL.
var sqlBuilders = map[string]bool{"sqliteStmtText": true, "firstID": true}

// sqlAllowed are SQL arguments the check cannot follow, each with why it
// is constant anyway, keyed by function and expression.
var sqlAllowed = map[string]string{
	"applyMigration m.sql": "the text of an embedded migrations/*.sql file (go:embed), fixed at build time",
}

// sqlChecker finds SQL arguments that are not provably built from
// constants: string literals, constants, package variables initialised
// from those, + of those, locals only ever assigned those (or ranging
// over literals of those), parameters whose every call passes those,
// and the sqlBuilders. Anything else (fmt.Sprintf, a value read at run
// time, a parameter fed by a caller's string) is reported.
type sqlChecker struct {
	fset   *token.FileSet
	files  []*ast.File
	consts map[string]bool
	vars   map[string]ast.Expr
	// top holds the package-level declarations: the parser resolves an
	// identifier to them only within their own file.
	top map[any]bool
	// allowedUsed records the sqlAllowed entries that matched a call.
	allowedUsed map[string]bool
}

func newSQLChecker(fset *token.FileSet, files []*ast.File) *sqlChecker {
	c := &sqlChecker{fset: fset, files: files, consts: map[string]bool{}, vars: map[string]ast.Expr{}, top: map[any]bool{},
		allowedUsed: map[string]bool{}}
	for _, f := range files {
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.GenDecl:
				for _, s := range d.Specs {
					vs, ok := s.(*ast.ValueSpec)
					if !ok {
						continue
					}
					c.top[vs] = true
					for i, name := range vs.Names {
						if d.Tok == token.CONST {
							c.consts[name.Name] = true
						} else if i < len(vs.Values) {
							c.vars[name.Name] = vs.Values[i]
						}
					}
				}
			}
		}
	}
	return c
}

// violations lists every SQL argument not built from constants.
func (c *sqlChecker) violations() []string {
	var out []string
	for _, f := range c.files {
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				sel, ok := call.Fun.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				idx, ok := sqlMethods[sel.Sel.Name]
				if !ok || c.isStmt(fn, sel.X) {
					return true // a prepared statement's methods take no SQL
				}
				pos := c.fset.Position(call.Pos())
				where := filepath.Base(pos.Filename) + ":" + strconv.Itoa(pos.Line) + " " + fn.Name.Name
				if idx >= len(call.Args) {
					return true // not a database call: sync.Pool.Get, say
				}
				arg := call.Args[idx]
				if key := fn.Name.Name + " " + c.text(arg); sqlAllowed[key] != "" {
					c.allowedUsed[key] = true
					return true
				}
				if !c.safe(fn, arg, 0) {
					out = append(out, where+": "+sel.Sel.Name+" SQL `"+c.text(arg)+"` is not built from constants only")
				}
				return true
			})
		}
	}
	return out
}

func (c *sqlChecker) text(e ast.Expr) string {
	var b strings.Builder
	printer.Fprint(&b, c.fset, e)
	return b.String()
}

// isStmt reports whether x is a prepared statement: declared *sql.Stmt,
// or assigned from a Prepare call or the store's own stmt/prepare.
func (c *sqlChecker) isStmt(fn *ast.FuncDecl, x ast.Expr) bool {
	id, ok := x.(*ast.Ident)
	if !ok || id.Obj == nil {
		return false
	}
	isStmtType := func(t ast.Expr) bool {
		star, ok := t.(*ast.StarExpr)
		if !ok {
			return false
		}
		sel, ok := star.X.(*ast.SelectorExpr)
		return ok && sel.Sel.Name == "Stmt"
	}
	switch d := id.Obj.Decl.(type) {
	case *ast.Field:
		return isStmtType(d.Type)
	case *ast.ValueSpec:
		return d.Type != nil && isStmtType(d.Type)
	case *ast.AssignStmt:
		if len(d.Rhs) != 1 {
			return false
		}
		call, ok := d.Rhs[0].(*ast.CallExpr)
		if !ok {
			return false
		}
		name := ""
		switch f := call.Fun.(type) {
		case *ast.Ident:
			name = f.Name
		case *ast.SelectorExpr:
			name = f.Sel.Name
		}
		return strings.HasPrefix(name, "Prepare") || name == "prepare" || name == "stmt"
	}
	return false
}

// safe reports whether e is SQL text built from constants only.
func (c *sqlChecker) safe(fn *ast.FuncDecl, e ast.Expr, depth int) bool {
	if depth > 8 {
		return false
	}
	switch e := e.(type) {
	case *ast.BasicLit:
		return e.Kind == token.STRING
	case *ast.ParenExpr:
		return c.safe(fn, e.X, depth+1)
	case *ast.BinaryExpr:
		return e.Op == token.ADD && c.safe(fn, e.X, depth+1) && c.safe(fn, e.Y, depth+1)
	case *ast.CompositeLit: // an insertSQL: every part constant
		for _, el := range e.Elts {
			if kv, ok := el.(*ast.KeyValueExpr); ok {
				el = kv.Value
			}
			if !c.safe(fn, el, depth+1) {
				return false
			}
		}
		return true
	case *ast.IndexExpr: // an element of a package table of constant SQL
		id, ok := e.X.(*ast.Ident)
		if !ok || !c.pkgVar(id) {
			return false
		}
		return c.safe(nil, c.vars[id.Name], depth+1)
	case *ast.CallExpr:
		id, ok := e.Fun.(*ast.Ident)
		if !ok || !sqlBuilders[id.Name] {
			return false
		}
		for _, a := range e.Args {
			if lit, ok := a.(*ast.BasicLit); ok && lit.Kind == token.INT {
				continue
			}
			if isIntName(a) {
				continue // a row count: it repeats the constant row, adds no text
			}
			if !c.safe(fn, a, depth+1) {
				return false
			}
		}
		return true
	case *ast.SelectorExpr: // a field of a range variable over literals
		id, ok := e.X.(*ast.Ident)
		if !ok || id.Obj == nil {
			return false
		}
		as, ok := id.Obj.Decl.(*ast.AssignStmt)
		if !ok || len(as.Rhs) != 1 {
			return false
		}
		rng, ok := as.Rhs[0].(*ast.UnaryExpr)
		if !ok || rng.Op != token.RANGE {
			return false
		}
		return c.rangeSafe(fn, rng.X, e.Sel.Name, depth+1)
	case *ast.Ident:
		if e.Obj == nil || c.top[e.Obj.Decl] { // package level
			if c.consts[e.Name] {
				return true
			}
			return c.pkgVar(e) && c.safe(nil, c.vars[e.Name], depth+1)
		}
		switch e.Obj.Kind {
		case ast.Con:
			return true
		case ast.Var:
			return c.localSafe(fn, e.Obj, depth+1)
		}
	}
	return false
}

// pkgVar reports whether id names a package variable with an
// initialiser that no function assigns to, wholly or by element.
func (c *sqlChecker) pkgVar(id *ast.Ident) bool {
	if id.Obj != nil && !c.top[id.Obj.Decl] {
		return false
	}
	if _, ok := c.vars[id.Name]; !ok {
		return false
	}
	mutated := false
	for _, f := range c.files {
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				var targets []ast.Expr
				switch n := n.(type) {
				case *ast.AssignStmt:
					targets = n.Lhs
				case *ast.UnaryExpr:
					if n.Op == token.AND {
						targets = []ast.Expr{n.X}
					}
				}
				for _, l := range targets {
					for {
						if ix, ok := l.(*ast.IndexExpr); ok {
							l = ix.X
							continue
						}
						if sel, ok := l.(*ast.SelectorExpr); ok {
							l = sel.X
							continue
						}
						break
					}
					if lid, ok := l.(*ast.Ident); ok && lid.Name == id.Name && (lid.Obj == nil || c.top[lid.Obj.Decl]) {
						mutated = true
					}
				}
				return true
			})
		}
	}
	return !mutated
}

// isIntName reports whether a builder argument is one of the store's
// integer row counts (rows, chunkRows).
func isIntName(e ast.Expr) bool {
	id, ok := e.(*ast.Ident)
	return ok && (id.Name == "rows" || id.Name == "chunkRows")
}

// localSafe checks a local variable or parameter: every value it is
// given must be safe, and its address must never be taken (Scan(&q)
// would fill it from the database).
func (c *sqlChecker) localSafe(fn *ast.FuncDecl, obj *ast.Object, depth int) bool {
	if fn == nil {
		return false
	}
	if _, ok := obj.Decl.(*ast.Field); ok {
		return c.paramSafe(fn, obj, depth)
	}
	ok := true
	check := func(lhs []ast.Expr, rhs []ast.Expr, tok token.Token) {
		for i, l := range lhs {
			id, isID := l.(*ast.Ident)
			if !isID || id.Obj != obj {
				continue
			}
			var v ast.Expr
			switch {
			case len(rhs) == len(lhs):
				v = rhs[i]
			case len(rhs) == 1:
				v = rhs[0]
			}
			if u, isRange := v.(*ast.UnaryExpr); isRange && u.Op == token.RANGE {
				ok = ok && i == 1 && c.rangeSafe(fn, u.X, "", depth)
				continue
			}
			if ix, isIndex := v.(*ast.IndexExpr); isIndex && len(lhs) == 2 && i == 0 {
				v = ix // v, ok := table[k]
			} else if len(rhs) != len(lhs) {
				ok = false // a call's results
				continue
			}
			ok = ok && v != nil && c.safe(fn, v, depth)
		}
	}
	switch d := obj.Decl.(type) {
	case *ast.AssignStmt:
		check(d.Lhs, d.Rhs, d.Tok)
	case *ast.ValueSpec:
		lhs := make([]ast.Expr, len(d.Names))
		for i, n := range d.Names {
			lhs[i] = n
		}
		if len(d.Values) > 0 {
			check(lhs, d.Values, token.DEFINE)
		}
	default:
		return false
	}
	ast.Inspect(fn.Body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.AssignStmt:
			if n != obj.Decl {
				check(n.Lhs, n.Rhs, n.Tok)
			}
		case *ast.UnaryExpr:
			if id, isID := n.X.(*ast.Ident); isID && n.Op == token.AND && id.Obj == obj {
				ok = false
			}
		}
		return true
	})
	return ok
}

// rangeSafe checks what a range variable takes: the elements (or their
// field named field) of a literal, directly or through a variable.
func (c *sqlChecker) rangeSafe(fn *ast.FuncDecl, x ast.Expr, field string, depth int) bool {
	if depth > 8 {
		return false
	}
	if id, ok := x.(*ast.Ident); ok {
		switch {
		case id.Obj == nil || c.top[id.Obj.Decl]:
			return c.pkgVar(id) && c.rangeSafe(nil, c.vars[id.Name], field, depth+1)
		case id.Obj.Kind == ast.Var:
			// Follow a local only assigned once, from a literal.
			as, isAssign := id.Obj.Decl.(*ast.AssignStmt)
			if !isAssign || len(as.Rhs) != 1 || len(as.Lhs) != 1 || c.reassigned(fn, id.Obj) {
				return false
			}
			return c.rangeSafe(fn, as.Rhs[0], field, depth+1)
		}
		return false
	}
	lit, ok := x.(*ast.CompositeLit)
	if !ok {
		return false
	}
	fieldIndex := -1
	if field != "" {
		if arr, isArr := lit.Type.(*ast.ArrayType); isArr {
			if st, isStruct := arr.Elt.(*ast.StructType); isStruct {
				i := 0
				for _, f := range st.Fields.List {
					for _, n := range f.Names {
						if n.Name == field {
							fieldIndex = i
						}
						i++
					}
				}
			}
		}
	}
	for _, el := range lit.Elts {
		if field == "" {
			if !c.safe(fn, el, depth+1) {
				return false
			}
			continue
		}
		inner, isLit := el.(*ast.CompositeLit)
		if !isLit {
			return false
		}
		var v ast.Expr
		for i, f := range inner.Elts {
			if kv, isKV := f.(*ast.KeyValueExpr); isKV {
				if k, isID := kv.Key.(*ast.Ident); isID && k.Name == field {
					v = kv.Value
				}
			} else if i == fieldIndex {
				v = f
			}
		}
		if v == nil || !c.safe(fn, v, depth+1) {
			return false
		}
	}
	return true
}

// reassigned reports whether a local is assigned again after its
// declaration or has its address taken.
func (c *sqlChecker) reassigned(fn *ast.FuncDecl, obj *ast.Object) bool {
	found := false
	ast.Inspect(fn.Body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.AssignStmt:
			if n == obj.Decl {
				return true
			}
			for _, l := range n.Lhs {
				if id, ok := l.(*ast.Ident); ok && id.Obj == obj {
					found = true
				}
			}
		case *ast.UnaryExpr:
			if id, ok := n.X.(*ast.Ident); ok && n.Op == token.AND && id.Obj == obj {
				found = true
			}
		}
		return true
	})
	return found
}

// paramSafe checks a parameter at every call of its function in the
// package: each must pass safe SQL in its place.
func (c *sqlChecker) paramSafe(fn *ast.FuncDecl, obj *ast.Object, depth int) bool {
	index, i := -1, 0
	for _, f := range fn.Type.Params.List {
		for _, n := range f.Names {
			if n.Obj == obj {
				index = i
			}
			i++
		}
	}
	if index < 0 {
		return false // a closure's parameter, or the receiver
	}
	calls := 0
	ok := true
	for _, f := range c.files {
		for _, d := range f.Decls {
			caller, isFunc := d.(*ast.FuncDecl)
			if !isFunc || caller.Body == nil {
				continue
			}
			ast.Inspect(caller.Body, func(n ast.Node) bool {
				call, isCall := n.(*ast.CallExpr)
				if !isCall {
					return true
				}
				name := ""
				switch f := call.Fun.(type) {
				case *ast.Ident:
					name = f.Name
				case *ast.SelectorExpr:
					name = f.Sel.Name
				}
				if name != fn.Name.Name || index >= len(call.Args) {
					return true
				}
				calls++
				ok = ok && c.safe(caller, call.Args[index], depth+1)
				return true
			})
		}
	}
	return ok && calls > 0
}

// parseStore parses the package's non-test Go files.
func parseStore(t *testing.T) (*token.FileSet, []*ast.File) {
	t.Helper()
	paths, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var files []*ast.File
	for _, p := range paths {
		if strings.HasSuffix(p, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, p, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	if len(files) == 0 {
		t.Fatal("no Go files found")
	}
	return fset, files
}

// TestSQLIsBuiltFromConstants reads the store's source: every SQL text
// handed to database/sql or sqlx must be made of constants, so values
// reach SQLite only as parameters.
func TestSQLIsBuiltFromConstants(t *testing.T) {
	fset, files := parseStore(t)
	c := newSQLChecker(fset, files)
	if v := c.violations(); len(v) > 0 {
		t.Errorf("SQL built from something other than constants (use ? parameters, or explain the case in sqlAllowed):\n  %s",
			strings.Join(v, "\n  "))
	}
	for key := range sqlAllowed {
		if !c.allowedUsed[key] {
			t.Errorf("sqlAllowed entry %q matches no call any more: remove it", key)
		}
	}
	// The check saw the calls it is meant to see.
	seen := 0
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok {
				if _, ok := sqlMethods[sel.Sel.Name]; ok {
					seen++
				}
			}
			return true
		})
	}
	if seen < 20 {
		t.Errorf("found %d SQL calls in the store's source, want at least 20: is the check reading the right files?", seen)
	}
}

// TestSQLCheckerCatchesInjection holds the checker to the patterns it
// exists to catch, and to the safe forms it must let through.
func TestSQLCheckerCatchesInjection(t *testing.T) {
	const src = `package store

const cols = "uid, status"

var table = map[string]string{"a": "SELECT 1"}

func (db *DB) concat(ctx context.Context, id string) {
	db.x.ExecContext(ctx, "DELETE FROM orders WHERE uid = '"+id+"'")
}

func (db *DB) sprintf(ctx context.Context, id string) {
	db.x.GetContext(ctx, &n, fmt.Sprintf("SELECT * FROM orders WHERE uid = '%s'", id))
}

func (db *DB) scanned(ctx context.Context) {
	var q string
	db.x.QueryRowContext(ctx, "SELECT sql FROM saved").Scan(&q)
	db.x.ExecContext(ctx, q)
}

func (db *DB) local(ctx context.Context, name string) {
	q := "SELECT * FROM " + name
	db.x.QueryContext(ctx, q)
}

func (db *DB) reassigned(ctx context.Context, name string) {
	q := "SELECT 1"
	q = name
	db.x.SelectContext(ctx, &out, q)
}

func (db *DB) viaHelper(ctx context.Context, name string) {
	run(ctx, db, "SELECT * FROM "+name)
}

func run(ctx context.Context, db *DB, q string) {
	db.x.ExecContext(ctx, q)
}

var mutable = "SELECT 1"

func setMutable(s string) { mutable = s }

func (db *DB) mutated(ctx context.Context) {
	db.x.ExecContext(ctx, mutable)
}

func (db *DB) builderWithValue(ctx context.Context, name string) {
	db.x.PrepareContext(ctx, sqliteStmtText(insertSQL{head: "INSERT INTO " + name}, 1))
}

func (db *DB) good(ctx context.Context, id string) {
	db.x.ExecContext(ctx, "DELETE FROM orders WHERE uid = ?", id)
	db.x.GetContext(ctx, &n, "SELECT "+cols+" FROM orders WHERE uid = ?", id)
	q, ok := table[id]
	db.x.GetContext(ctx, &n, q)
	for _, q := range []string{"DELETE FROM a WHERE id = ?", "DELETE FROM b WHERE id = ?"} {
		db.x.ExecContext(ctx, q, id)
	}
	s, err := db.x.PrepareContext(ctx, "INSERT INTO t VALUES (?)")
	s.ExecContext(ctx, id)
}
`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "fake.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range newSQLChecker(fset, []*ast.File{f}).violations() {
		got = append(got, strings.TrimSuffix(strings.Fields(v)[1], ":")) // the function's name
	}
	want := []string{"concat", "sprintf", "scanned", "local", "reassigned", "run", "mutated", "builderWithValue"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("functions flagged (-want +got):\n%s", d)
	}
}
