package reports

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"

	"github.com/reconkit/reconkit/match"
	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/sandbox/gen"
	"github.com/reconkit/reconkit/store"
	"github.com/reconkit/reconkit/store/sqlite"
)

// emptyRun opens a store with one run and nothing matched, for tests
// that write their own rows.
func emptyRun(t *testing.T) (*sqlite.DB, int64) {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "recon.db"), store.DefaultMerchant)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	run, err := db.StartRun(ctx, recon.Run{Command: "match", BusinessDate: "2024-03-14",
		StartedAt: time.Date(2024, 3, 15, 0, 0, 0, 0, time.UTC), Status: recon.RunOK})
	if err != nil {
		t.Fatal(err)
	}
	return db, run
}

// TestFormulaInjection writes text from outside that a spreadsheet would
// run as a formula into every kind of text cell, and reads it back as
// exactly that text, never a formula.
func TestFormulaInjection(t *testing.T) {
	hostile := []string{"=1+1", "@SUM(A1)", "+1", "-1", "\tTAB", "\rCR", "=HYPERLINK(\"http://x\",\"y\")",
		"_x0041_ stays", "a\x01b", "<b>&amp;</b>", " padded ", "line\nbreak"}
	db, run := emptyRun(t)
	ctx := context.Background()
	var es []recon.Exception
	var rs []recon.MatchResult
	for i, h := range hostile {
		es = append(es, recon.Exception{Category: recon.LedgerUnmatched, Severity: recon.SeverityHigh, OrderUID: h,
			OxpayTxnID: h, MerchantReferenceID: h, LedgerRef: h, Currency: "IDR", ActualMinor: int64(i), DifferenceMinor: int64(i), Detail: h})
		rs = append(rs, recon.MatchResult{Kind: match.KindSale, OrderUID: h, PaymentLinkUID: h, OxpayTxnID: strconv.Itoa(i),
			MerchantReferenceID: h, State: h, Source: match.SourceAPI, Currency: "IDR", GatewayMinor: 100})
	}
	load, err := db.BeginLoad(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := load.Exceptions(run, es); err != nil {
		t.Fatal(err)
	}
	if _, err := load.MatchResults(run, rs); err != nil {
		t.Fatal(err)
	}
	if err := load.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := db.RecordInputFile(ctx, store.InputFile{Kind: "ledger", Path: "=cmd|' /C calc'!A0", SHA256: "@x", IngestedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "r.xlsx")
	if err := WriteWorkbook(ctx, db, run, WorkbookOptions{Path: out}); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenFile(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	check := func(t *testing.T, sheet, ref, want string, wantType excelize.CellType) {
		t.Helper()
		got, err := f.GetCellValue(sheet, ref, excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%s!%s: got %q, want %q", sheet, ref, got, want)
		}
		if formula, _ := f.GetCellFormula(sheet, ref); formula != "" {
			t.Errorf("%s!%s: got formula %q, want none", sheet, ref, formula)
		}
		if typ, _ := f.GetCellType(sheet, ref); typ != wantType {
			t.Errorf("%s!%s: got cell type %v, want %v", sheet, ref, typ, wantType)
		}
	}
	sheet := CategorySheetName(recon.LedgerUnmatched)
	for i, h := range hostile {
		t.Run(strconv.Quote(h), func(t *testing.T) {
			row := i + 3 // below the totals row and the header
			// Detail, order, txn, merchant reference, ledger reference.
			for _, col := range []string{"B", "G", "H", "I", "J"} {
				check(t, sheet, fmt.Sprintf("%s%d", col, row), h, excelize.CellTypeInlineString)
			}
			// Sales: order uid, payment link uid (no URL: text), state.
			for _, col := range []string{"R", "S", "P"} {
				check(t, SheetSales, fmt.Sprintf("%s%d", col, row), h, excelize.CellTypeInlineString)
			}
		})
	}
	t.Run("summary input file path", func(t *testing.T) {
		r := 0
		rows, _ := f.GetRows(SheetSummary)
		for i, row := range rows {
			if len(row) > 0 && row[0] == "File" {
				r = i + 2
			}
		}
		if r == 0 {
			t.Fatal("no input files table on Summary")
		}
		check(t, SheetSummary, fmt.Sprintf("A%d", r), "=cmd|' /C calc'!A0", excelize.CellTypeSharedString)
		check(t, SheetSummary, fmt.Sprintf("F%d", r), "@x", excelize.CellTypeSharedString)
	})
}

// countingCtx reports cancellation from its limit-th Err call on, so a
// test can stop a write at every point it checks.
type countingCtx struct {
	context.Context
	calls *atomic.Int64
	limit int64
}

func (c countingCtx) Err() error {
	if c.calls.Add(1) > c.limit {
		return context.Canceled
	}
	return nil
}

// dirEntries lists a directory's names.
func dirEntries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

// TestCrashSafety stops a workbook write at each point where it checks
// its context, and with a failing reader: every failure leaves the
// previous file byte for byte and no temporary file behind, in the
// target's directory or the temporary one.
func TestCrashSafety(t *testing.T) {
	db, run, zone := worldStore(t, gen.Options{Seed: 3, Orders: 300})
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	dir := t.TempDir()
	out := filepath.Join(dir, "recon-2024-03-14.xlsx")
	previous := []byte("yesterday's good workbook")
	reset := func(t *testing.T) {
		if err := os.WriteFile(out, previous, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	intact := func(t *testing.T) {
		t.Helper()
		got, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, previous) {
			t.Errorf("the previous workbook changed: got %d bytes, want the %d it had", len(got), len(previous))
		}
		if d := cmp.Diff([]string{filepath.Base(out)}, dirEntries(t, dir)); d != "" {
			t.Errorf("files beside the workbook (-want +got):\n%s", d)
		}
		if left := dirEntries(t, tmp); len(left) > 0 {
			t.Errorf("temporary files left: %v", left)
		}
	}
	opts := WorkbookOptions{Path: out, Zone: zone}

	t.Run("cancelled at every check", func(t *testing.T) {
		succeeded := false
		for limit := int64(0); limit < 500 && !succeeded; limit++ {
			reset(t)
			ctx := countingCtx{Context: context.Background(), calls: new(atomic.Int64), limit: limit}
			err := WriteWorkbook(ctx, db, run, opts)
			if err == nil {
				succeeded = true
				t.Logf("the write got through once it could check its context %d times", limit)
				break
			}
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("cancelled after %d checks: got %v, want context.Canceled", limit, err)
			}
			intact(t)
			if t.Failed() {
				t.Fatalf("after a cancellation at check %d", limit+1)
			}
		}
		if !succeeded {
			t.Fatal("the write never got through")
		}
		if _, err := excelize.OpenFile(out); err != nil {
			t.Errorf("the finished workbook does not open: %v", err)
		}
	})

	t.Run("reader fails mid-way", func(t *testing.T) {
		reset(t)
		ctx := context.Background()
		rep, err := loadReport(ctx, db, run, nil)
		if err != nil {
			t.Fatal(err)
		}
		boom := errors.New("disk on fire")
		src := failingResults{results: storeResults{db: db, runID: run}, after: 100, err: boom}
		o, err := opts.normalized()
		if err != nil {
			t.Fatal(err)
		}
		err = WriteFileAtomic(out, func(w io.Writer) error { return writeWorkbook(ctx, w, rep, &src, o) })
		if !errors.Is(err, boom) {
			t.Fatalf("got %v, want the reader's error", err)
		}
		intact(t)
	})
}

// failingResults hands over its first after rows and then fails.
type failingResults struct {
	results
	after, seen int
	err         error
}

func (f *failingResults) each(ctx context.Context, fn func([]store.ReportResult) error) error {
	return f.results.each(ctx, func(rs []store.ReportResult) error {
		n := min(len(rs), f.after-f.seen)
		if err := fn(rs[:n]); err != nil {
			return err
		}
		if f.seen += n; f.seen == f.after {
			return f.err
		}
		return nil
	})
}

// TestSheetOverflow makes Excel's row limit tiny and checks that the
// results continue on numbered sheets, in order, each with its own
// totals per currency.
func TestSheetOverflow(t *testing.T) {
	defer func(n int) { maxSheetRows = n }(maxSheetRows)
	maxSheetRows = 12 // 9 rows a sheet: header and two totals rows
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "recon.db"), store.DefaultMerchant)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := synthesize(ctx, db, 40, 20); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "r.xlsx")
	if err := WriteWorkbook(ctx, db, 1, WorkbookOptions{Path: out}); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenFile(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var matched []string
	for _, s := range f.GetSheetList() {
		if strings.HasPrefix(s, SheetSales) {
			matched = append(matched, s)
		}
	}
	if d := cmp.Diff([]string{"Sales", "Sales (2)", "Sales (3)", "Sales (4)", "Sales (5)"}, matched); d != "" {
		t.Fatalf("Sales sheets (-want +got):\n%s", d)
	}
	// synthesize makes every seventh sale SGD; rows come IDR first, each
	// currency in the order the results were written.
	var want, got []string
	for _, cur := range []string{"IDR", "SGD"} {
		for i := range 40 {
			if (i%7 == 0) == (cur == "SGD") {
				want = append(want, fmt.Sprint(10_000_000+i))
			}
		}
	}
	for _, s := range matched {
		rows, err := f.GetRows(s, excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) > maxSheetRows {
			t.Errorf("%s: %d rows, over the limit of %d", s, len(rows), maxSheetRows)
		}
		header := 0
		for i, r := range rows {
			if len(r) > 0 && r[0] == "Category" {
				header = i
			}
		}
		// Each totals row adds up its own currency's rows on this sheet.
		sums := map[string]int64{}
		for _, r := range rows[header+1:] {
			got = append(got, r[9])
			v, _ := strconv.ParseInt(r[22], 10, 64) // gateway amount (minor)
			sums[r[3]] += v
		}
		for i := range header {
			cur, _ := f.GetCellValue(s, fmt.Sprintf("D%d", i+1))
			cached, _ := f.GetCellValue(s, fmt.Sprintf("W%d", i+1), excelize.Options{RawCellValue: true})
			if cached != strconv.FormatInt(sums[cur], 10) {
				t.Errorf("%s: %s total of the gateway amounts: got %s, want %d", s, cur, cached, sums[cur])
			}
		}
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("OxPay txn ids across the Sales sheets (-want +got):\n%s", d)
	}
}

// TestControlOverWorlds checks the control line on generated worlds
// with every kind of anomaly: whatever the breaks, the exceptions (and
// settlements not yet due) explain the difference between the gateway
// and the ledger to the last minor unit.
func TestControlOverWorlds(t *testing.T) {
	worlds := []struct {
		name string
		opts gen.Options
		asOf bool
	}{
		{"seed 1", gen.Options{Seed: 1, Orders: 2000}, false},
		{"seed 2", gen.Options{Seed: 2, Orders: 2000}, false},
		{"20% anomalies over 7 days", gen.Options{Seed: 9, Orders: 3000, AnomalyRate: 0.2, Days: 7}, false},
		{"windows still open", gen.Options{Seed: 4, Orders: 1000, AnomalyRate: 0.2}, true},
	}
	for _, w := range worlds {
		t.Run(w.name, func(t *testing.T) {
			t.Parallel()
			var asOf time.Time
			if w.asOf {
				ds, err := gen.Generate(w.opts)
				if err != nil {
					t.Fatal(err)
				}
				asOf = ds.Options.Start // every window is still open
			}
			db, run, _ := worldStoreAsOf(t, w.opts, asOf)
			lines := controlOf(t, db, run)
			var differs, awaiting bool
			for _, l := range lines {
				if l.Unexplained != 0 {
					t.Errorf("%s: unexplained %d minor units: %+v", l.Currency, l.Unexplained, l)
				}
				differs = differs || l.Difference != 0
				awaiting = awaiting || l.AwaitingYet != 0
			}
			if !differs {
				t.Errorf("no currency differs between gateway and ledger; the world should have breaks: %+v", lines)
			}
			if w.asOf && !awaiting {
				t.Errorf("no transaction awaits its ledger line although windows are open: %+v", lines)
			}
			// The gateway and ledger nets, added up independently.
			ledger := map[string]int64{}
			entries, err := db.LedgerEntries(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range entries {
				ledger[e.Currency] += e.AmountMinor
			}
			for _, l := range lines {
				if l.LedgerNet != ledger[l.Currency] {
					t.Errorf("%s ledger net: got %d, want %d", l.Currency, l.LedgerNet, ledger[l.Currency])
				}
			}
		})
	}
}

// controlOf computes a run's control lines the way the workbook does.
func controlOf(t *testing.T, db *sqlite.DB, run int64) []ControlLine {
	t.Helper()
	ctx := context.Background()
	rep, err := loadReport(ctx, db, run, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rep.abandon()
	ctl := newControl(rep.exceptions, rep.explained)
	err = db.ReportResults(ctx, run, func(rs []store.ReportResult) error {
		for i := range rs {
			ctl.result(&rs[i])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := rep.summaryData(); err != nil {
		t.Fatal(err)
	}
	return summarize(rep, ctl, nil).control
}

// TestUnexplainedIsRed removes one exception from a run (the ledger line
// booked under "=1+1" that matches nothing): the control no longer
// balances, and the Summary shows the gap on red.
func TestUnexplainedIsRed(t *testing.T) {
	db, run := goldenStore(t)
	ctx := context.Background()
	if _, err := db.X().ExecContext(ctx, `DELETE FROM exceptions WHERE run_id = ? AND category = ?`, run, recon.LedgerUnmatched); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "r.xlsx")
	if err := WriteWorkbook(ctx, db, run, WorkbookOptions{Path: out, Zone: goldenZone}); err != nil {
		t.Fatal(err)
	}
	_, cells := readWorkbook(t, out)
	r := findRow(cells, SheetSummary, "A", "Unexplained")
	f, err := excelize.OpenFile(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tests := []struct {
		ref, value string
		red        bool
	}{
		{fmt.Sprintf("C%d", r), "-5", true},   // SGD: the line nobody listed
		{fmt.Sprintf("E%d", r), "-500", true}, // its minor units
		{fmt.Sprintf("B%d", r), "0", false},   // IDR still balances
		{fmt.Sprintf("D%d", r), "0", false},
	}
	for _, tc := range tests {
		c, _ := cellOf(cells, SheetSummary, tc.ref)
		if c.Value != tc.value {
			t.Errorf("%s: got %q, want %q", tc.ref, c.Value, tc.value)
		}
		id, _ := f.GetCellStyle(SheetSummary, tc.ref)
		st, _ := f.GetStyle(id)
		red := st != nil && len(st.Fill.Color) > 0 && strings.EqualFold(st.Fill.Color[0], "C00000")
		if red != tc.red {
			t.Errorf("%s: red fill %v, want %v", tc.ref, red, tc.red)
		}
	}
	if banner, _ := f.GetCellValue(SheetSummary, "A4"); !strings.Contains(banner, "UNEXPLAINED difference in SGD") {
		t.Errorf("banner: got %q, want it to name the unexplained SGD difference", banner)
	}
}

// TestEmptyRun writes the workbook of a run that matched nothing: the
// fixed sheets are there, empty but for their headers, and the banner
// says all is clear.
func TestEmptyRun(t *testing.T) {
	db, run := emptyRun(t)
	out := filepath.Join(t.TempDir(), "r.xlsx")
	if err := WriteWorkbook(context.Background(), db, run, WorkbookOptions{Path: out}); err != nil {
		t.Fatal(err)
	}
	sheets, cells := readWorkbook(t, out)
	var names []string
	for _, s := range sheets {
		names = append(names, s.Name)
	}
	if d := cmp.Diff([]string{SheetSummary, SheetInputErrors, SheetSales, SheetRefunds}, names); d != "" {
		t.Errorf("sheets (-want +got):\n%s", d)
	}
	if c, _ := cellOf(cells, SheetSales, "A1"); c.Value != "Category" {
		t.Errorf("Sales!A1: got %q, want the header", c.Value)
	}
	if c, _ := cellOf(cells, SheetSummary, "A4"); !strings.HasPrefix(c.Value, "All clear") {
		t.Errorf("banner: got %q, want all clear", c.Value)
	}
	if err := WriteWorkbook(context.Background(), db, run, WorkbookOptions{}); !errors.Is(err, ErrNoPath) {
		t.Errorf("no path: got %v, want ErrNoPath", err)
	}
	if err := WriteWorkbook(context.Background(), db, run+1, WorkbookOptions{Path: out}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown run: got %v, want store.ErrNotFound", err)
	}
}
