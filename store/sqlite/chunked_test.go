package sqlite

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/store"
)

// TestTableScans holds each table's query to its width: the rowid (id
// where the table names it) and width columns, the merchant its only
// parameter.
func TestTableScans(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	s := snapshotOf(t, db)
	for _, table := range slices.Sorted(maps.Keys(tableScans)) {
		sc := tableScans[table]
		rows, err := s.conn.QueryxContext(ctx, sc.query, db.Merchant())
		if err != nil {
			t.Fatalf("%s: %v", table, err)
		}
		cols, err := rows.Columns()
		rows.Close()
		if err != nil || len(cols) != 1+sc.width || (cols[0] != "rowid" && cols[0] != "id") {
			t.Errorf("%s: columns %q (%v), want the rowid and %d more", table, cols, err, sc.width)
		}
	}
}

// snapshotOf opens a Snapshot of db, closed when t ends.
func snapshotOf(t *testing.T, db *DB) *Snapshot {
	t.Helper()
	s, err := db.readSnapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// The separators a text of joined values would use, which values may
// hold all the same.
const (
	unitSep   = "\x1f"
	recordSep = "\x1e"
)

// oddValue returns a value that would make a row of width fields (the
// rowid included), holding it as field j, cut into two rows of that
// width if rows and values were joined with the separators.
func oddValue(width, j int) string {
	return strings.Repeat(unitSep, width-1-j) + recordSep + "99999" + strings.Repeat(unitSep, j)
}

// scanned is what ScanChunked gave for one row: the rowid, then the
// fields.
type scanned []string

// chunkedWorld stores n rows in each table, with values holding the
// separators in some of them, and returns what a scan of each table must
// give.
func chunkedWorld(t *testing.T, db *DB, n int) map[string][]scanned {
	t.Helper()
	ctx := context.Background()
	odd := map[int]string{ // by row: the first, middle and last of chunks of 1, 2, 3, 7
		0: unitSep, 3: recordSep, 6: recordSep + unitSep, 7: "a" + recordSep + "1" + unitSep + "b",
		13: "", 20: "", 29: "", // crafted per table below
	}
	text := func(i, width, j int, clean string) string {
		v, ok := odd[i]
		if !ok {
			return clean
		}
		if v == "" {
			v = oddValue(width, j)
		}
		return clean + v
	}
	stored := func(t time.Time) string { return sqliteTimeText(t).(string) }
	want := map[string][]scanned{}
	row := func(table string, i int, fields ...string) {
		want[table] = append(want[table], append(scanned{strconv.Itoa(i + 1)}, fields...))
	}

	orders, links, txns := sampleOrders(n), sampleLinks(n), sampleTransactions(n)
	hooks, ledger := sampleWebhooks(n), sampleLedger(n)
	for i := range n {
		o := &orders[i]
		o.UID = text(i, 4, 1, o.UID)
		// Every sixth order and link has an unknown amount: NULL, read
		// as "", beside the problem (holding a separator now and then).
		amount, problem := strconv.FormatInt(o.AmountMinor, 10), ""
		if i%6 == 0 {
			amount, problem = "", text(i, 12, 1, "no total")
			o.AmountMinor, o.AmountProblem = 0, problem
		}
		row("orders", i, o.UID, o.Currency, amount, problem)

		l := &links[i]
		l.Status = text(i, 7, 3, l.Status)
		paid := ""
		if l.PaidAt != nil {
			paid = stored(*l.PaidAt)
		}
		amount, problem = strconv.FormatInt(l.AmountMinor, 10), ""
		if i%6 == 0 {
			amount, problem = "", "amount is missing"
			l.AmountMinor, l.AmountProblem = 0, problem
		}
		row("payment_links", i, l.UID, l.OrderUID, l.Status, l.Currency, amount, problem, paid)

		x := &txns[i]
		x.MerchantReferenceID = text(i, 9, 2, x.MerchantReferenceID)
		x.OriginalTxnID = fmt.Sprintf("OXO%d", i)
		x.RefundAmountMinor = int64(i)
		row("transactions", i, x.OxpayTxnID, x.MerchantReferenceID, x.OriginalTxnID, x.Type, x.State, x.Currency,
			strconv.FormatInt(x.AmountMinor, 10), strconv.FormatInt(x.RefundAmountMinor, 10), x.Brand)

		h := &hooks[i]
		h.SigCheck = text(i, 10, 8, h.SigCheck)
		h.DedupKey = fmt.Sprintf("%064x", i+1)
		row("webhook_events", i, stored(h.ReceivedAt), h.OxpayTxnID, h.Kind, h.State, h.Currency,
			strconv.FormatInt(h.AmountMinor, 10), strconv.FormatInt(h.RefundAmountMinor, 10), h.SigCheck, h.DedupKey[:16])

		e := &ledger[i]
		e.Reference = text(i, 5, 2, e.Reference)
		row("ledger_entries", i, e.BookedOn.Format(time.DateOnly), e.Reference, e.Currency, strconv.FormatInt(e.AmountMinor, 10))
	}
	var err error
	_, err1 := db.UpsertOrders(ctx, orders)
	_, err2 := db.UpsertPaymentLinks(ctx, links)
	_, err3 := db.UpsertTransactions(ctx, txns)
	_, err4 := db.InsertWebhookEvents(ctx, hooks)
	_, err5 := db.InsertLedgerEntries(ctx, ledger)
	if err = errors.Join(err1, err2, err3, err4, err5); err != nil {
		t.Fatalf("load: %v", err)
	}
	return want
}

// scanAll reads a whole table through scanChunked, every value as text
// (NULL as ""). It keeps the strings as they come, uncloned: they must
// stay valid after later chunks are read.
func scanAll(ctx context.Context, s *Snapshot, table string, chunk int) ([]scanned, error) {
	var got []scanned
	err := s.scanChunked(ctx, table, chunk, func(rowid int64, vals []scanVal) error {
		row := scanned{strconv.FormatInt(rowid, 10)}
		for _, v := range vals {
			row = append(row, v.text())
		}
		got = append(got, row)
		return nil
	}, nil)
	return got, err
}

// TestScanChunked reads every table in chunks of a few rows, with values
// that hold separators of joined text (in a chunk's first, middle or
// last row) and NULLs: every value comes back as stored.
func TestScanChunked(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	want := chunkedWorld(t, db, 30)
	for _, chunk := range []int{1, 2, 3, 7, 16384} {
		t.Run(fmt.Sprintf("chunks of %d", chunk), func(t *testing.T) {
			s := snapshotOf(t, db)
			for _, table := range slices.Sorted(maps.Keys(tableScans)) {
				got, err := scanAll(ctx, s, table, chunk)
				if err != nil {
					t.Fatalf("%s: %v", table, err)
				}
				if d := cmp.Diff(want[table], got); d != "" {
					t.Errorf("%s (-want +got):\n%s", table, d)
				}
			}
		})
	}
}

// TestScanChunkedRefuses holds scanChunked to its list: any other table,
// and a chunk of no rows, is refused before any SQL.
func TestScanChunkedRefuses(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	s := snapshotOf(t, db)
	tests := []struct {
		name  string
		table string
		chunk int
		want  error // nil: any error
	}{
		{"unknown table", "runs", 10, ErrNoScan},
		{"table as SQL", "orders; DROP TABLE orders", 10, ErrNoScan},
		{"no rows per chunk", "orders", 0, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			called := false
			err := s.scanChunked(ctx, tc.table, tc.chunk, func(int64, []scanVal) error { called = true; return nil }, nil)
			if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) {
				t.Errorf("got %v, want %v", err, tc.want)
			}
			if called {
				t.Error("fn was called")
			}
		})
	}
	if n, err := db.Count(ctx, "orders"); err != nil || n != 0 {
		t.Errorf("orders: %d rows, %v; want the table there and empty", n, err)
	}
}

// TestScanChunkedStopsOnError returns fn's error, wrapped, and calls fn
// no more, from a chunk's first, middle and last row.
func TestScanChunkedStopsOnError(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	chunkedWorld(t, db, 30)
	stop := errors.New("stop")
	for _, table := range []string{"orders", "ledger_entries"} {
		for _, at := range []int{10, 11, 12} {
			t.Run(fmt.Sprintf("%s row %d", table, at), func(t *testing.T) {
				s := snapshotOf(t, db)
				calls := 0
				err := s.scanChunked(ctx, table, 3, func(rowid int64, _ []scanVal) error {
					calls++
					if rowid == int64(at) {
						return stop
					}
					return nil
				}, nil)
				if !errors.Is(err, stop) || calls != at {
					t.Errorf("got %v after %d calls, want %v after %d", err, calls, stop, at)
				}
			})
		}
	}
}

// TestScanChunkedLargeRow reads rows larger than a whole packing buffer
// among small ones: the buffer grows, and no row is lost or cut.
func TestScanChunkedLargeRow(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	orders := sampleOrders(5)
	orders[1].UID = strings.Repeat("u", scanBuf)
	orders[3].UID = strings.Repeat("v", 3*scanBuf)
	if _, err := db.UpsertOrders(ctx, orders); err != nil {
		t.Fatal(err)
	}
	s := snapshotOf(t, db)
	got, err := scanAll(ctx, s, "orders", 16384)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(orders) {
		t.Fatalf("got %d rows, want %d", len(got), len(orders))
	}
	for i, o := range orders {
		if got[i][1] != o.UID {
			t.Errorf("row %d: uid of %d bytes, want %d", i+1, len(got[i][1]), len(o.UID))
		}
	}
}

// TestScanValues reads the values a column's declared type does not
// promise: an integer column holding text, NULL where a value must be.
func TestScanValues(t *testing.T) {
	tests := []struct {
		name     string
		v        scanVal
		text     string
		n        int64
		known    bool
		wantErr  bool
		nullable bool // nullableInt's result for a NULL
	}{
		{"integer", scanVal{i: -42, kind: valInt}, "-42", -42, true, false, false},
		{"integer as text", scanVal{s: "1234", kind: valText}, "1234", 1234, true, false, false},
		{"not an integer", scanVal{s: "12x", kind: valText}, "12x", 0, false, true, false},
		{"NULL", scanVal{kind: valNull}, "", 0, false, true, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.v.text(); got != tc.text {
				t.Errorf("text: got %q, want %q", got, tc.text)
			}
			n, err := tc.v.int()
			if (err != nil) != tc.wantErr || (err == nil && n != tc.n) {
				t.Errorf("int: got %d, %v; want %d, error %v", n, err, tc.n, tc.wantErr)
			}
			n, known, err := tc.v.nullableInt()
			if tc.nullable {
				if err != nil || known {
					t.Errorf("nullableInt of NULL: got %d, %v, %v; want unknown, no error", n, known, err)
				}
			} else if known != tc.known || (err != nil) != tc.wantErr || n != tc.n {
				t.Errorf("nullableInt: got %d, %v, %v; want %d, %v, error %v", n, known, err, tc.n, tc.known, tc.wantErr)
			}
		})
	}
}

// TestReadSnapshot reads one snapshot while another connection writes:
// the write does not wait for it (it holds no write lock; one that did
// would fail the write after the busy timeout) and it goes on seeing the
// rows as they were at its first read.
func TestReadSnapshot(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	if _, err := db.UpsertOrders(ctx, sampleOrders(5)); err != nil {
		t.Fatal(err)
	}
	s, err := db.readSnapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := s.Count(ctx, "orders"); err != nil || n != 5 {
		t.Fatalf("Count: %d, %v; want 5", n, err)
	}
	if _, err := db.UpsertOrders(ctx, sampleOrders(8)); err != nil {
		t.Fatalf("write beside a read snapshot: %v", err)
	}
	got, err := scanAll(ctx, s, "orders", 2)
	if n, cerr := s.Count(ctx, "orders"); err != nil || cerr != nil || n != 5 || len(got) != 5 {
		t.Errorf("in the snapshot after the write: Count %d (%v), %d rows scanned (%v); want 5 and 5", n, cerr, len(got), err)
	}
	if _, err := s.Count(ctx, "no_such_table"); !errors.Is(err, store.ErrUnknownTable) {
		t.Errorf("Count of an unknown table: got %v, want store.ErrUnknownTable", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close again: %v, want nothing done", err)
	}
	s, err = db.readSnapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n, err := s.Count(ctx, "orders"); err != nil || n != 8 {
		t.Errorf("a new snapshot: Count %d, %v; want 8", n, err)
	}
}

// TestWebhookReferences reads the references of every event, and of the
// events of some transaction ids, matched byte for byte.
func TestWebhookReferences(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	type ref struct {
		ID        int64
		Orig, Ref string
	}
	ids := []string{"A", "B", "a\x00b", "\xff\xfe", "'; DROP TABLE webhook_events; --", "%"}
	var hooks []recon.WebhookEvent
	var all []ref
	for i, id := range append(ids, "A") { // A twice: a redelivery
		hooks = append(hooks, recon.WebhookEvent{DeliveryKey: strconv.Itoa(i), OxpayTxnID: id, OriginalTxnID: "O" + id,
			MerchantReferenceID: "M" + id, Kind: "payment", ReceivedAt: ts(1, i, 0)})
		all = append(all, ref{int64(i + 1), "O" + id, "M" + id})
	}
	if _, err := db.InsertWebhookEvents(ctx, hooks); err != nil {
		t.Fatal(err)
	}
	s := snapshotOf(t, db)
	byID := func(a, b ref) int { return int(a.ID - b.ID) }
	tests := []struct {
		name string
		ids  []string // nil: every event
		want []ref
	}{
		{"every event", nil, all},
		{"none", []string{}, nil},
		{"some", []string{"A", "a\x00b", "nope", "a"}, []ref{all[0], all[2], all[6]}},
		{"hostile", []string{"\xff\xfe", "'; DROP TABLE webhook_events; --", "%"}, []ref{all[3], all[4], all[5]}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []ref
			fn := func(id int64, orig, r string) error { got = append(got, ref{id, orig, r}); return nil }
			var err error
			if tc.ids == nil {
				err = s.WebhookReferences(ctx, fn)
			} else {
				err = s.WebhookReferencesOf(ctx, tc.ids, fn)
			}
			if err != nil {
				t.Fatal(err)
			}
			slices.SortFunc(got, byID)
			if d := cmp.Diff(tc.want, got, cmpopts.EquateEmpty()); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
	stop := errors.New("stop")
	if err := s.WebhookReferencesOf(ctx, ids, func(int64, string, string) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("fn's error: got %v, want %v", err, stop)
	}
}

// TestSnapshotInputErrors reads the input errors in load order, without
// their recording time.
func TestSnapshotInputErrors(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	in := []recon.InputError{
		{Source: "ledger", File: "l.csv", Line: 9, Text: "x", Reason: "bad date"},
		{Source: "webhooks", File: "w.jsonl", Line: 2, Text: "{", Reason: "not JSON"},
	}
	if _, err := db.InsertInputErrors(ctx, in); err != nil {
		t.Fatal(err)
	}
	s := snapshotOf(t, db)
	got, err := s.InputErrors(ctx)
	if err != nil {
		t.Fatal(err)
	}
	in[0].ID, in[1].ID = 1, 2
	if d := cmp.Diff(in, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}
