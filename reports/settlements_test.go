package reports

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/sandbox/gen"
)

// TestSettlementWorkbook: a generated world whose ledger books net
// settlement deposits, every settlement category planted (and one that
// books half one way, half the other): the control explains gateway net
// − ledger net to 0 in every currency, the fees a line of their own; the
// Settlements sheet has a row per batch whose Transactions cell links to
// the batch's first member on Settlement members, and the members add up
// to the batch's gross.
func TestSettlementWorkbook(t *testing.T) {
	for _, style := range []gen.LedgerStyle{gen.LedgerNet, gen.LedgerMixed} {
		t.Run(string(style), func(t *testing.T) {
			db, run, zone := worldStore(t, gen.Options{Seed: 7, Orders: 1500, LedgerStyle: style})
			book := filepath.Join(t.TempDir(), "recon.xlsx")
			var ctl []ControlLine
			opts := WorkbookOptions{Path: book, Zone: zone, OnControl: func(c []ControlLine) { ctl = c }}
			if err := WriteWorkbook(context.Background(), db, run, opts); err != nil {
				t.Fatal(err)
			}
			if len(ctl) == 0 {
				t.Fatal("no control line")
			}
			for _, l := range ctl {
				t.Logf("%+v", l)
				if l.Unexplained != 0 {
					t.Errorf("%s: unexplained %d: %+v", l.Currency, l.Unexplained, l)
				}
				if l.Fees <= 0 {
					t.Errorf("%s: fees %d, want the batches' fees", l.Currency, l.Fees)
				}
			}
			batches, err := db.SettlementBatches(context.Background(), run)
			if err != nil {
				t.Fatal(err)
			}
			checkSettlementSheets(t, book, batches)
		})
	}
}

func checkSettlementSheets(t *testing.T, book string, batches []recon.SettlementBatch) {
	t.Helper()
	f, err := excelize.OpenFile(book)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(SheetSettlements)
	if err != nil {
		t.Fatal(err)
	}
	members, err := f.GetRows(SheetSettlementMembers)
	if err != nil {
		t.Fatal(err)
	}
	header := -1
	for i, r := range rows {
		if len(r) > 0 && r[0] == "Outcome" {
			header = i
		}
	}
	if header < 0 || len(rows)-header-1 != len(batches) {
		t.Fatalf("Settlements: header at %d, %d rows for %d batches", header, len(rows)-header-1, len(batches))
	}
	col := func(name string) int {
		for i, h := range rows[header] {
			if h == name {
				return i
			}
		}
		t.Fatalf("Settlements has no column %q", name)
		return -1
	}
	outcomes := map[string]int{}
	for r := header + 1; r < len(rows); r++ {
		outcomes[rows[r][col("Outcome")]]++
		cell, _ := excelize.CoordinatesToCellName(col("Transactions")+1, r+1)
		formula, err := f.GetCellFormula(SheetSettlements, cell)
		if err != nil || !strings.Contains(formula, "#'"+SheetSettlementMembers+"'!A") {
			t.Fatalf("Settlements %s: formula %q, %v: want a link to the members", cell, formula, err)
		}
		target, _ := strconv.Atoi(formula[strings.Index(formula, "!A")+2 : strings.Index(formula, `",`)])
		n, _ := strconv.Atoi(rows[r][col("Transactions")])
		day, cur := rows[r][col("Batch day")], rows[r][col("Currency")]
		var batch string
		for _, b := range batches {
			if b.Currency == cur && strings.HasSuffix(day, b.Day[8:]) && b.Transactions == n {
				batch = b.Day + " " + b.Currency
			}
		}
		if target < 1 || target+n-1 > len(members) {
			t.Fatalf("Settlements row %d links to member row %d of %d for %d members", r+1, target, len(members), n)
		}
		for k := target; k < target+n; k++ {
			if got := members[k-1][0]; got != batch {
				t.Fatalf("Settlements row %d (%s): member row %d is of batch %q", r+1, batch, k, got)
			}
		}
	}
	// A batched transaction's row says its batch, never that its line is
	// not due yet.
	sales, err := f.GetRows(SheetSales)
	if err != nil {
		t.Fatal(err)
	}
	settled := 0
	for _, r := range sales {
		for _, c := range r {
			if strings.Contains(c, "settled in batch ") {
				settled++
			}
			if strings.Contains(c, detailNoLineYet) {
				t.Fatalf("a Sales row says %q: %v", detailNoLineYet, r)
			}
		}
	}
	if settled == 0 {
		t.Error("no Sales row says its settlement batch")
	}
	t.Logf("batches by outcome %v; %d member rows; first row %q", outcomes, len(members), rows[header+1])
	for _, o := range []string{recon.BatchPaid, recon.BatchMismatch, recon.BatchMissing} {
		if outcomes[o] == 0 {
			t.Errorf("no batch %s: %v", o, outcomes)
		}
	}
}
