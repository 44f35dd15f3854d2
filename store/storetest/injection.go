package storetest

import (
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/store"
)

// hostile() are values from outside (API fields, webhook and ledger
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

// keyLimit, when not 0, is the longest text a backend keeps in an
// indexed column (Backend.MaxKeyBytes), set while the suite runs.
var keyLimit int

// hostile returns hostileStrings, each cut to keyLimit bytes.
func hostile() []string {
	if keyLimit == 0 {
		return hostileStrings
	}
	out := make([]string, len(hostileStrings))
	for i, h := range hostileStrings {
		out[i] = h[:min(len(h), keyLimit)]
	}
	return out
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
	files    []store.InputFile
	results  []recon.MatchResult
	excepts  []recon.Exception
	runInput []recon.Run
}

func buildHostileRows() hostileRows {
	var r hostileRows
	day := injectionDay
	booked := time.Date(2024, 3, 2, 0, 0, 0, 0, time.UTC)
	for i, h := range hostile() {
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
		r.files = append(r.files, store.InputFile{ID: n, Kind: h, Path: h, SHA256: h, Rows: i, Errors: i, IngestedAt: day})
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
func tables(t *testing.T, db store.Backend) []string {
	t.Helper()
	q := `SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`
	if isPostgres(t, db) {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY table_name`
	}
	var names []string
	if err := rawDB(t, db).SelectContext(context.Background(), &names, q); err != nil {
		t.Fatalf("list tables: %v", err)
	}
	return names
}

func testHostileStringsRoundTrip(t *testing.T, b Backend) {
	ctx := context.Background()
	db := b.Open(t, store.DefaultMerchant)
	version, err := db.SchemaVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	schema := tables(t, db)
	r := buildHostileRows()
	n := len(hostile())

	// Runs first: a Load holds the write lock until it commits.
	runIDs := make([]int64, n)
	for i, run := range r.runInput {
		if runIDs[i], err = db.StartRun(ctx, run); err != nil {
			t.Fatalf("StartRun %q: %v", clipName(run.Command), err)
		}
	}
	for i, h := range hostile() {
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
		for i, h := range hostile() {
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
	for _, h := range hostile() {
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
	for _, st := range []func() (store.UpsertStats, error){
		func() (store.UpsertStats, error) { return db.UpsertOrders(ctx, r.orders) },
		func() (store.UpsertStats, error) { return db.UpsertPaymentLinks(ctx, r.links) },
		func() (store.UpsertStats, error) { return db.UpsertTransactions(ctx, r.txns) },
	} {
		got, err := st()
		if err != nil {
			t.Fatalf("reload: %v", err)
		}
		if want := (store.UpsertStats{Unchanged: n}); got != want {
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
		"schema_migrations": int64(version)} {
		if got, err := db.Count(ctx, table); err != nil || got != want {
			t.Errorf("count %s: got %d, %v; want %d", table, got, err, want)
		}
	}
	for _, q := range []string{`SELECT COUNT(*) FROM match_results`, `SELECT COUNT(*) FROM exceptions`} {
		var got int
		if getRaw(t, db, &got, q); got != n {
			t.Errorf("%s: got %d; want %d", q, got, n)
		}
	}
	if b.Check != nil {
		b.Check(t, db)
	}

	// A copy (a backup) holds the same rows.
	if b.Copy != nil {
		checkHostileReads(t, b.Copy(t, db), r, runIDs)
	}
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
func checkHostileReads(t *testing.T, db store.Backend, r hostileRows, runIDs []int64) {
	t.Helper()
	ctx := context.Background()
	n := len(hostile())
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
	for _, h := range hostile() {
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
	for i, h := range hostile() {
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
		if _, err := db.GetRun(ctx, id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetRun(%d): got %v, want store.ErrNotFound", id, err)
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
	var reportResults []store.ReportResult
	err = db.ReportResults(ctx, matchRun, func(b []store.ReportResult) error {
		for _, x := range b {
			x.PaidAt, x.BookedOn = clonePtr(x.PaidAt), clonePtr(x.BookedOn) // the batch's times are reused
			reportResults = append(reportResults, x)
		}
		return nil
	})
	var wantReport []store.ReportResult
	for _, x := range wantResults {
		u := r.links[x.LedgerEntryID-1].PaymentURL
		if x.PaymentLinkUID == "" {
			u = "" // the join skips an empty uid
		}
		wantReport = append(wantReport, store.ReportResult{MatchResult: x, PaymentURL: u})
	}
	if d := cmp.Diff(wantReport, reportResults); err != nil || d != "" {
		t.Errorf("ReportResults: %v (-want +got):\n%s", err, d)
	}
	reportExcepts, err := db.ReportExceptions(ctx, matchRun)
	if err != nil {
		t.Fatalf("ReportExceptions: %v", err)
	}
	var wantRE []store.ReportException
	for _, x := range r.excepts {
		i := x.InputErrorID - 1 // every id of the row is its hostile string's
		e := store.ReportException{Exception: x, ExceptionFacts: store.ExceptionFacts{PaymentURL: r.links[i].PaymentURL,
			OrderCreatedAt: &r.orders[i].CreatedAt, LinkPaidAt: r.links[i].PaidAt, WebhookReceivedAt: &r.hooks[i].ReceivedAt,
			LedgerBookedOn: &r.ledger[i].BookedOn, LedgerCurrency: r.ledger[i].Currency, LedgerMinor: r.ledger[i].AmountMinor},
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
	var wantCounts []store.ResultCount
	for _, x := range r.results {
		c := store.ResultCount{Kind: x.Kind, Currency: x.Currency, Rows: 1}
		if x.Clean {
			c.Clean, c.CleanGatewayMinor = 1, x.GatewayMinor
		}
		wantCounts = append(wantCounts, c)
	}
	wantCounts = byteOrder(wantCounts, func(c store.ResultCount) string { return c.Kind })
	if d := cmp.Diff(wantCounts, counts); err != nil || d != "" {
		t.Errorf("ReportResultCounts: %v (-want +got):\n%s", err, d)
	}
	totals, err := db.ReportSourceTotals(ctx)
	if err != nil {
		t.Fatalf("ReportSourceTotals: %v", err)
	}
	var orderTotals []store.SourceTotal
	for _, s := range totals {
		if s.Source == store.SourceOrders {
			orderTotals = append(orderTotals, s)
		}
	}
	var wantOrderTotals []store.SourceTotal
	for _, o := range r.orders {
		wantOrderTotals = append(wantOrderTotals, store.SourceTotal{Source: store.SourceOrders, Currency: o.Currency, Rows: 1, AmountMinor: o.AmountMinor})
	}
	wantOrderTotals = byteOrder(wantOrderTotals, func(s store.SourceTotal) string { return s.Currency })
	if d := cmp.Diff(wantOrderTotals, orderTotals); d != "" {
		t.Errorf("ReportSourceTotals, orders (-want +got):\n%s", d)
	}

	// The candidate ids of the confirmation pass: every webhook's
	// original id lacks an API record; every hostile id has one.
	var origs, all []string
	for _, h := range hostile() {
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
		if _, err := db.Count(ctx, name); !errors.Is(err, store.ErrUnknownTable) {
			t.Errorf("Count(%q): got %v, want store.ErrUnknownTable", name, err)
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
