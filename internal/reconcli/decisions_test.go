package reconcli

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/xuri/excelize/v2"

	"github.com/reconkit/reconkit/reports"
	"github.com/reconkit/reconkit/sandbox/gen"
	"github.com/reconkit/reconkit/sign"
	"github.com/reconkit/reconkit/store/dbtest"
	"github.com/reconkit/reconkit/store/postgres"
)

// decisionNights is a generated world served by a sandbox, a config
// that runs its nights, and where they write.
type decisionNights struct {
	cfg, database, inbox, reportDir string
	data                            *gen.Dataset
}

func newDecisionNights(t *testing.T, b dbtest.Backend) *decisionNights {
	t.Helper()
	url, data := startSandbox(t, 400)
	cfg, database := nightSetupOn(t, url, data, b)
	dir := filepath.Dir(cfg)
	return &decisionNights{cfg: cfg, database: database, inbox: filepath.Join(dir, "inbox"), reportDir: filepath.Join(dir, "reports"), data: data}
}

func (n *decisionNights) recon(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	return runCLI(t, sandboxEnv, append(args, "--config", n.cfg)...)
}

func (n *decisionNights) night(t *testing.T, date string, args ...string) int {
	t.Helper()
	code, _, errs := n.recon(t, append([]string{"run", "--date", date}, args...)...)
	if code != 0 && code != ExitThreshold {
		t.Fatalf("run %s: exit %d\n%s", date, code, errs)
	}
	return code
}

func (n *decisionNights) book(date string) string {
	return filepath.Join(n.reportDir, "recon-"+date+".xlsx")
}

// redeliver adds a webhook log to the inbox with one delivery of the
// world's first notification (a clean sale) again, an hour later per
// step, for another amount, signed: the night after sees a webhook
// amount mismatch whose amount is the latest delivery's.
func (n *decisionNights) redeliver(t *testing.T, step int, amount int64) string {
	t.Helper()
	d := n.data.Webhooks[0]
	var payload map[string]any
	if err := json.Unmarshal(d.Payload, &payload); err != nil {
		t.Fatal(err)
	}
	body := payload["body"].(map[string]any)
	body["transaction_amount"] = amount
	raw, err := json.Marshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	line, err := json.Marshal(map[string]any{
		"received_at": d.ReceivedAt.Add(time.Duration(step) * time.Hour).UTC().Format(time.RFC3339),
		"headers":     map[string]string{"Signature": sign.OxPay(n.data.Options.SignKey, raw)},
		"body":        json.RawMessage(raw),
	})
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(n.inbox, fmt.Sprintf("webhooks-again-%d.jsonl", step)), string(line)+"\n")
	return body["oxpay_txn_id"].(string)
}

// bookSheet is a category sheet of a workbook as read back: its header
// row, its columns by header, and its rows.
type bookSheet struct {
	name   string
	header int // 1-based
	cols   map[string]int
	rows   [][]string // every row, 0-based
}

func (s *bookSheet) cell(row int, header string) string {
	r := s.rows[row-1]
	if c := s.cols[header]; c < len(r) {
		return r[c]
	}
	return ""
}

// rowsWhere returns the 1-based rows below the header whose column has
// the value.
func (s *bookSheet) rowsWhere(header, value string) []int {
	var out []int
	for r := s.header + 1; r <= len(s.rows); r++ {
		if s.cell(r, header) == value {
			out = append(out, r)
		}
	}
	return out
}

func (s *bookSheet) data() []int {
	var out []int
	for r := s.header + 1; r <= len(s.rows); r++ {
		if s.cell(r, reports.HeaderKey) != "" {
			out = append(out, r)
		}
	}
	return out
}

// readBook reads a workbook's sheets, those with decisions by name.
func readBook(t *testing.T, path string) (map[string]*bookSheet, *excelize.File) {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	out := map[string]*bookSheet{}
	for _, name := range f.GetSheetList() {
		rows, err := f.GetRows(name)
		if err != nil {
			t.Fatal(err)
		}
		s := &bookSheet{name: name, rows: rows, cols: map[string]int{}}
		for i, r := range rows {
			if len(r) > 1 && r[1] == "Detail" { // a data sheet's header row
				s.header = i + 1
				for c, v := range r {
					s.cols[v] = c
				}
				break
			}
		}
		out[name] = s
	}
	return out, f
}

// edit is a cell finance sets.
type edit struct {
	sheet string
	row   int
	col   int // 0-based
	value string
}

func (s *bookSheet) decide(row int, decision, note string) []edit {
	return []edit{{s.name, row, s.cols[reports.HeaderDecision], decision}, {s.name, row, s.cols[reports.HeaderNote], note}}
}

// editor saves a copy of the workbook in with the edits made, as
// finance would, at out.
type editor func(t *testing.T, in, out string, edits []edit)

// editWithExcelize sets the cells with excelize and saves.
func editWithExcelize(t *testing.T, in, out string, edits []edit) {
	t.Helper()
	f, err := excelize.OpenFile(in)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, e := range edits {
		ref, _ := excelize.CoordinatesToCellName(e.col+1, e.row)
		if err := f.SetCellStr(e.sheet, ref, e.value); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.SaveAs(out); err != nil {
		t.Fatal(err)
	}
}

// editWithLibreOffice has LibreOffice Calc, headless, do what finance
// does: open the workbook, set the cells, save it as .xlsx (a Basic
// macro in a throwaway user profile, run by a macro:/// URL). It skips
// the test where soffice is not installed.
func editWithLibreOffice(t *testing.T, in, out string, edits []edit) {
	t.Helper()
	soffice, err := exec.LookPath("soffice")
	if err != nil {
		t.Skip("soffice is not on PATH (apt-get install libreoffice-calc): the LibreOffice round trip is not checked")
	}
	dir := t.TempDir()
	profile := filepath.Join(dir, "profile")
	run := func(args ...string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, soffice, append([]string{"-env:UserInstallation=" + fileURL(profile), "--headless", "--norestore"}, args...)...)
		cmd.Env = append(os.Environ(), "HOME="+dir)
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("soffice %s: %v\n%s", strings.Join(args, " "), err, b)
		}
	}
	// The first start makes the profile; the macro then replaces its
	// Standard library's Module1, which "My Macros" trusts.
	run("--terminate_after_init")
	if err := os.WriteFile(filepath.Join(profile, "user", "basic", "Standard", "Module1.xba"), []byte(calcEditMacro), 0o644); err != nil {
		t.Fatal(err)
	}
	var tsv strings.Builder
	for _, e := range edits {
		if strings.ContainsAny(e.sheet+e.value, "\t\r\n") {
			t.Fatalf("edit %+v: the macro reads one edit a line, tab-separated", e)
		}
		fmt.Fprintf(&tsv, "%s\t%d\t%d\t%s\n", e.sheet, e.row, e.col, e.value)
	}
	editsPath := writeFile(t, filepath.Join(dir, "edits.tsv"), tsv.String())
	saved := filepath.Join(dir, "saved.xlsx")
	run(fmt.Sprintf(`macro:///Standard.Module1.Edit("%s","%s","%s")`, fileURL(in), fileURL(saved), fileURL(editsPath)))
	if msg, err := os.ReadFile(saved + ".error"); err == nil {
		t.Fatalf("the LibreOffice macro failed: %s", msg)
	}
	if app := zipEntry(t, saved, "docProps/app.xml"); !strings.Contains(app, "LibreOffice") {
		t.Fatalf("the saved workbook does not say LibreOffice wrote it: %.200s", app)
	}
	if err := os.Rename(saved, out); err != nil {
		t.Fatal(err)
	}
}

// zipEntry returns one file of a zip (an .xlsx) as text.
func zipEntry(t *testing.T, path, name string) string {
	t.Helper()
	z, err := zip.OpenReader(path)
	if err != nil {
		t.Fatalf("LibreOffice saved no workbook: %v", err)
	}
	defer z.Close()
	r, err := z.Open(name)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func fileURL(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	return (&url.URL{Scheme: "file", Path: abs}).String()
}

// calcEditMacro opens a workbook hidden, sets each cell an edits file
// names (sheet, 1-based row, 0-based column, text; tab-separated, UTF-8)
// as typed text, saves the workbook with Calc's Excel 2007-365 filter,
// and quits; on an error it writes the error beside the output file, so
// that the test says what failed rather than finding no file.
const calcEditMacro = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE script:module PUBLIC "-//OpenOffice.org//DTD OfficeDocument 1.0//EN" "module.dtd">
<script:module xmlns:script="http://openoffice.org/2000/script" script:name="Module1" script:language="StarBasic">
Sub Edit(inURL As String, outURL As String, editsURL As String)
  On Error GoTo Failed
  sfa = createUnoService(&quot;com.sun.star.ucb.SimpleFileAccess&quot;)
  Dim load(0) As New com.sun.star.beans.PropertyValue
  load(0).Name = &quot;Hidden&quot; : load(0).Value = True
  doc = StarDesktop.loadComponentFromURL(inURL, &quot;_blank&quot;, 0, load())
  tis = createUnoService(&quot;com.sun.star.io.TextInputStream&quot;)
  tis.setInputStream(sfa.openFileRead(editsURL))
  tis.setEncoding(&quot;UTF-8&quot;)
  Do While Not tis.isEOF()
    line = tis.readLine()
    If line &lt;&gt; &quot;&quot; Then
      parts = Split(line, Chr(9))
      cell = doc.Sheets.getByName(parts(0)).getCellByPosition(CLng(parts(2)), CLng(parts(1)) - 1)
      cell.setString(parts(3))
    End If
  Loop
  tis.closeInput()
  Dim save(1) As New com.sun.star.beans.PropertyValue
  save(0).Name = &quot;FilterName&quot; : save(0).Value = &quot;Calc MS Excel 2007 XML&quot;
  save(1).Name = &quot;Overwrite&quot; : save(1).Value = True
  doc.storeToURL(outURL, save())
  doc.close(True)
  StarDesktop.terminate()
  Exit Sub
Failed:
  tos = createUnoService(&quot;com.sun.star.io.TextOutputStream&quot;)
  tos.setOutputStream(sfa.openFileWrite(outURL &amp; &quot;.error&quot;))
  tos.writeString(&quot;line &quot; &amp; Erl &amp; &quot;: &quot; &amp; Error$)
  tos.closeOutput()
  StarDesktop.terminate()
End Sub
</script:module>
`

// TestDecisionsAcrossNights is finance's workflow over two nights: the
// first night's workbook is decided in (with excelize, and once through
// LibreOffice), imported, and the date re-run; the next night shows
// every decision, carries the accepted ones out of what needs action and
// into the control as explained by decision, reopens the one whose
// amount changed, and leaves --fail-on-category to the rest; the
// history verifies, is exported, and an edited entry is found.
func TestDecisionsAcrossNights(t *testing.T) {
	t.Run("excelize", func(t *testing.T) {
		dbtest.Each(t, func(t *testing.T, b dbtest.Backend) { testDecisionsAcrossNights(t, b, editWithExcelize) })
	})
	t.Run("libreoffice", func(t *testing.T) { testDecisionsAcrossNights(t, dbtest.SQLite, editWithLibreOffice) })
}

func testDecisionsAcrossNights(t *testing.T, b dbtest.Backend, save editor) {
	const d1, d2 = "2026-11-10", "2026-11-11"
	n := newDecisionNights(t, b)
	wamTxn := n.redeliver(t, 2, 10_950_000) // the first night's webhook amount mismatch
	n.night(t, d1)
	book, _ := readBook(t, n.book(d1))

	amounts, unmatched, missing, wam := book["Amount mismatch"], book["Ledger unmatched"], book["Ledger missing"], book["Webhook amount mismatch"]
	amounts0 := amounts.data()
	for _, s := range []*bookSheet{amounts, unmatched, missing, wam} {
		if s == nil || len(s.data()) == 0 {
			t.Fatalf("the first night's workbook lacks a category sheet with rows: %v", s)
		}
	}
	wamRows := wam.rowsWhere("OxPay txn ID", wamTxn)
	if len(wamRows) != 1 {
		t.Fatalf("the redelivered sale %s is on %d rows of %s", wamTxn, len(wamRows), wam.name)
	}
	var edits []edit
	for _, r := range amounts.data() {
		edits = append(edits, amounts.decide(r, "accepted", "customer paid the old price; agreed with sales")...)
	}
	fee := unmatched.data()[0]
	edits = append(edits, unmatched.decide(fee, "Written off", "bank fee, written off")...)
	edits = append(edits, missing.decide(missing.data()[0], "investigating", "asked the bank on 3 Dec")...)
	edits = append(edits, wam.decide(wamRows[0], "accepted", "the gateway resent a test amount")...)
	decided := len(amounts.data()) + 3
	finance := filepath.Join(t.TempDir(), "recon-"+d1+"-finance.xlsx")
	save(t, n.book(d1), finance, edits)

	code, out, errs := n.recon(t, "decisions", "import", finance, "--by", "alice")
	if code != 0 || !strings.Contains(out, fmt.Sprintf("%d decisions recorded by alice", decided)) {
		t.Fatalf("import: exit %d, want %d decisions recorded\n%s%s", code, decided, out, errs)
	}
	if code, out, _ := n.recon(t, "decisions", "import", finance, "--by", "alice"); code != 0 || !strings.Contains(out, " 0 decisions recorded") {
		t.Errorf("the same file again: exit %d, want nothing recorded\n%s", code, out)
	}

	// A re-run of the date shows the decisions: they key on the
	// exception, not on the run.
	n.night(t, d1)
	again, _ := readBook(t, n.book(d1))
	if got := again["Ledger unmatched"].cell(fee, reports.HeaderDecision); got != "written off" {
		t.Errorf("the re-run's workbook: Ledger unmatched row %d decision %q, want written off", fee, got)
	}

	// The next night: the redelivered sale's latest webhook has another
	// amount again, so its accepted mismatch reopens.
	n.redeliver(t, 3, 10_990_000)
	if code := n.night(t, d2, "--fail-on-category", "AMOUNT_MISMATCH", "--fail-on-unexplained", "0"); code != 0 {
		t.Errorf("--fail-on-category AMOUNT_MISMATCH with every one accepted: exit %d, want 0", code)
	}
	if code := n.night(t, d2, "--fail-on-category", "WEBHOOK_AMOUNT_MISMATCH"); code != ExitThreshold {
		t.Errorf("--fail-on-category WEBHOOK_AMOUNT_MISMATCH with the accepted one reopened: exit %d, want %d", code, ExitThreshold)
	}
	next, f := readBook(t, n.book(d2))

	t.Run("the next night shows the decisions", func(t *testing.T) {
		for _, tc := range []struct {
			sheet            string
			rows             []int
			decision, note   string
			decidedByAliceAs string
		}{
			{"Amount mismatch", next["Amount mismatch"].data(), "accepted", "customer paid the old price; agreed with sales", "accepted by alice"},
			{"Ledger unmatched", next["Ledger unmatched"].rowsWhere(reports.HeaderKey, unmatched.cell(fee, reports.HeaderKey)), "written off", "bank fee, written off", "written off by alice"},
			{"Ledger missing", next["Ledger missing"].rowsWhere(reports.HeaderKey, missing.cell(missing.data()[0], reports.HeaderKey)), "investigating", "asked the bank on 3 Dec", "investigating by alice"},
		} {
			if len(tc.rows) == 0 {
				t.Errorf("%s: the decided rows are gone from the next night", tc.sheet)
			}
			s := next[tc.sheet]
			for _, r := range tc.rows {
				if d, no, by := s.cell(r, reports.HeaderDecision), s.cell(r, reports.HeaderNote), s.cell(r, reports.HeaderDecided); d != tc.decision || no != tc.note || !strings.HasPrefix(by, tc.decidedByAliceAs) {
					t.Errorf("%s row %d: %q %q %q; want %q %q, decided %q...", tc.sheet, r, d, no, by, tc.decision, tc.note, tc.decidedByAliceAs)
				}
			}
		}
	})

	t.Run("an accepted exception whose amount changed reopens, saying so", func(t *testing.T) {
		s := next["Webhook amount mismatch"]
		rows := s.rowsWhere("OxPay txn ID", wamTxn)
		if len(rows) != 1 {
			t.Fatalf("the redelivered sale is on %d rows", len(rows))
		}
		r := rows[0]
		if d, no, by := s.cell(r, reports.HeaderDecision), s.cell(r, reports.HeaderNote), s.cell(r, reports.HeaderDecided); d != "" || no != "" ||
			!strings.Contains(by, "REOPENED: accepted by alice") || !strings.Contains(by, "difference was IDR 500;") || !strings.Contains(by, "it is now IDR 900") {
			t.Errorf("row %d: decision %q, note %q, decided %q; want none, and why it reopened with both amounts", r, d, no, by)
		}
	})

	t.Run("the exports say what finance decided", func(t *testing.T) {
		var rows []map[string]any
		if err := json.Unmarshal(mustRead(t, filepath.Join(n.reportDir, "exceptions-"+d2+".json")), &rows); err != nil {
			t.Fatal(err)
		}
		amounts, reopened := 0, 0
		for _, r := range rows {
			switch {
			case r["category"] == "AMOUNT_MISMATCH":
				amounts++
				if r["decision"] != "accepted" || r["decided_by"] != "alice" || r["explained"] != true || r["reopened"] != false ||
					r["decision_note"] != "customer paid the old price; agreed with sales" {
					t.Errorf("an accepted amount mismatch in the JSON export: %v", r)
				}
			case r["category"] == "WEBHOOK_AMOUNT_MISMATCH" && r["oxpay_txn_id"] == wamTxn:
				reopened++
				if r["decision"] != "accepted" || r["explained"] != false || r["reopened"] != true {
					t.Errorf("the reopened webhook amount mismatch in the JSON export: %v", r)
				}
			case r["decision"] == "":
				if r["explained"] != false || r["reopened"] != false || r["decided_by"] != "" || r["decided_at"] != "" {
					t.Errorf("an undecided exception in the JSON export: %v", r)
				}
			}
		}
		if amounts != len(amounts0) || reopened != 1 {
			t.Errorf("JSON export: %d accepted amount mismatches (want %d), %d reopened (want 1)", amounts, len(amounts0), reopened)
		}
		recs, err := csv.NewReader(bytes.NewReader(mustRead(t, filepath.Join(n.reportDir, "exceptions-"+d2+".csv")))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != len(rows)+1 || !slices.Equal(recs[0], reports.ExceptionColumns) {
			t.Fatalf("CSV export: %d records, header %v; want %d and %v", len(recs), recs[0], len(rows)+1, reports.ExceptionColumns)
		}
		col := map[string]int{}
		for i, h := range recs[0] {
			col[h] = i
		}
		for i, rec := range recs[1:] {
			r := rows[i]
			if rec[col["decision"]] != r["decision"] || rec[col["explained"]] != strconv.FormatBool(r["explained"].(bool)) ||
				rec[col["decided_at"]] != r["decided_at"] {
				t.Errorf("CSV record %d %v disagrees with the JSON export's %v", i+1, rec, r)
			}
		}
	})

	t.Run("accepted exceptions leave what needs action but not the control", func(t *testing.T) {
		// The next night matched only what its input reached: the
		// written-off fee's line it carried over is not in its control
		// (the Summary says so), and the re-run of the first date, which
		// matched whole, holds its share.
		byDecision := controlOf(again[reports.SheetSummary])["explained by decision (accepted or written off)"]
		if !slices.ContainsFunc(byDecision, func(v string) bool { return v != "0" && v != "0.00" }) {
			t.Errorf("the re-run's control's explained by decision: %q, want the written-off fee's share", byDecision)
		}
		sum := next[reports.SheetSummary]
		var banner, decisionsLine, scope string
		control := controlOf(sum)
		var needingAction []string // section 1's categories
		listing := false
		for _, r := range sum.rows {
			if len(r) == 0 {
				continue
			}
			switch {
			case strings.HasPrefix(r[0], "Of what this run matched"):
				scope = r[0]
			case strings.Contains(r[0], "ACTION NEEDED"):
				banner = r[0]
			case strings.HasPrefix(r[0], "Explained by decision"):
				decisionsLine = r[0]
			case strings.HasPrefix(r[0], "Category (click"):
				listing = true
			case r[0] == "All needing action":
				listing = false
			case listing:
				needingAction = append(needingAction, r[0])
			}
		}
		if !strings.Contains(banner, fmt.Sprintf("%d explained by decision", len(amounts.data())+1)) {
			t.Errorf("banner %q: want the accepted and written-off ones counted apart", banner)
		}
		if !strings.Contains(decisionsLine, "Reopened: 1") {
			t.Errorf("decisions line %q: want the reopened one named", decisionsLine)
		}
		if len(needingAction) == 0 || slices.Contains(needingAction, "Amount mismatch") || !slices.Contains(needingAction, "Webhook amount mismatch") {
			t.Errorf("needing action: %q; want Amount mismatch (every one accepted) gone, the reopened Webhook amount mismatch there", needingAction)
		}
		if !strings.Contains(scope, "exceptions carried unchanged from it are left out") {
			t.Errorf("the next night's control says %q of its scope, want that it is of the rows the night reached", scope)
		}
		for i, v := range control["Unexplained"] {
			if v != "0" && v != "0.00" {
				t.Errorf("Unexplained column %d: %q, want 0: decisions move no money out of the control", i, v)
			}
		}
	})

	t.Run("the Decision column is a drop-down, Decision and Note are unlocked, the key is hidden", func(t *testing.T) {
		s := next["Ledger unmatched"]
		dv, err := f.GetDataValidations(s.name)
		if err != nil || len(dv) != 1 || dv[0].Type != "list" || !strings.Contains(dv[0].Formula1, "written off") {
			t.Fatalf("data validations of %s: %+v, %v", s.name, dv, err)
		}
		col, _ := excelize.ColumnNumberToName(s.cols[reports.HeaderDecision] + 1)
		if !strings.HasPrefix(dv[0].Sqref, col) {
			t.Errorf("the drop-down covers %s, want column %s", dv[0].Sqref, col)
		}
		for _, h := range []string{reports.HeaderDecision, reports.HeaderNote} {
			ref, _ := excelize.CoordinatesToCellName(s.cols[h]+1, s.header+1)
			id, _ := f.GetCellStyle(s.name, ref)
			st, err := f.GetStyle(id)
			if err != nil || st.Protection == nil || st.Protection.Locked {
				t.Errorf("%s %s is locked: %+v %v", s.name, ref, st, err)
			}
		}
		key, _ := excelize.ColumnNumberToName(s.cols[reports.HeaderKey] + 1)
		if visible, err := f.GetColVisible(s.name, key); err != nil || visible {
			t.Errorf("the key column %s is visible (%v)", key, err)
		}
	})

	// Accepted again on the new money: the reopened exception is
	// explained once more, its entry naming the decision before.
	s := next["Webhook amount mismatch"]
	redo := filepath.Join(t.TempDir(), "recon-"+d2+"-finance.xlsx")
	editWithExcelize(t, n.book(d2), redo, s.decide(s.rowsWhere("OxPay txn ID", wamTxn)[0], "accepted", "the gateway resent it again"))
	if code, out, errs := n.recon(t, "decisions", "import", redo); code != 0 || !strings.Contains(out, " 1 decisions recorded") {
		t.Fatalf("import of the second night's decision: exit %d\n%s%s", code, out, errs)
	}
	if code := n.night(t, d2, "--fail-on-category", "WEBHOOK_AMOUNT_MISMATCH"); code != 0 {
		t.Errorf("after accepting it again: exit %d, want 0", code)
	}

	t.Run("the history verifies and exports", func(t *testing.T) {
		code, out, errs := n.recon(t, "decisions", "verify")
		if code != 0 || !strings.Contains(out, fmt.Sprintf("verifies: %d entries", decided+1)) {
			t.Fatalf("verify: exit %d\n%s%s", code, out, errs)
		}
		code, out, errs = n.recon(t, "decisions", "export")
		if code != 0 {
			t.Fatalf("export: exit %d\n%s", code, errs)
		}
		recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
		if err != nil || len(recs) != decided+2 {
			t.Fatalf("export: %d records, %v; want a header and %d entries", len(recs), err, decided+1)
		}
		last := recs[len(recs)-1]
		col := func(name string) string {
			for i, h := range recs[0] {
				if h == name {
					return last[i]
				}
			}
			return ""
		}
		if col("decision") != "accepted" || col("previous") != "accepted" || col("decided_by") == "" || col("business_date") != d2 ||
			col("difference_minor") == "" || len(col("source_sha256")) != 64 || col("prev_hash") != recs[len(recs)-2][len(last)-1] {
			t.Errorf("the last entry: %q", last)
		}
	})

	t.Run("an edited entry is found", func(t *testing.T) {
		x := rawPool(t, n.database)
		for _, q := range untrigger(n.database) {
			if _, err := x.Exec(q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		if _, err := x.Exec(x.Rebind(`UPDATE decisions SET note = ? WHERE seq = 2`), "refund booked by hand on 3 Dec"); err != nil {
			t.Fatal(err)
		}
		code, _, errs := n.recon(t, "decisions", "verify")
		if code != ExitThreshold || !strings.Contains(errs, "entry 2 ") || !strings.Contains(errs, "changed after it was written") {
			t.Errorf("verify after an edit: exit %d, want %d naming entry 2\n%s", code, ExitThreshold, errs)
		}
	})
}

// rawPool opens the database as a tamperer would, around recon.
func rawPool(t *testing.T, database string) *sqlx.DB {
	t.Helper()
	db := openDB(t, database)
	return db.(interface{ X() *sqlx.DB }).X()
}

// untrigger is what a tamperer runs first: the tables refuse an UPDATE.
func untrigger(database string) []string {
	if postgres.IsURL(database) {
		return []string{`ALTER TABLE decisions DISABLE TRIGGER USER`}
	}
	return []string{`DROP TRIGGER decisions_no_update`}
}

// TestDecisionsBadInput: a workbook of another run, a renamed sheet, a
// deleted key column, a CSV with a BOM and semicolons, and rows that
// are wrong each end in an error that says what and where, and nothing
// is recorded.
func TestDecisionsBadInput(t *testing.T) {
	dbtest.Each(t, testDecisionsBadInput)
}

func testDecisionsBadInput(t *testing.T, b dbtest.Backend) {
	const date = "2026-11-10"
	const earlier = "2026-11-01" // most settlement windows still open
	n := newDecisionNights(t, b)
	n.night(t, date)
	n.night(t, earlier)
	other := newDecisionNights(t, b)
	other.night(t, date)
	book, _ := readBook(t, n.book(date))
	s := book["Ledger unmatched"]
	row := s.data()[0]
	key := s.cell(row, reports.HeaderKey)
	decided := s.decide(row, "written off", "bank fee")
	dir := t.TempDir()
	keyCol, _ := excelize.ColumnNumberToName(s.cols[reports.HeaderKey] + 1)

	late := book["Ledger missing"]
	lateKey := late.cell(late.data()[0], reports.HeaderKey)
	for _, tc := range []struct {
		name string
		file func(t *testing.T) string
		want []string
	}{
		{"a workbook of another run", func(t *testing.T) string {
			out := filepath.Join(dir, "other.xlsx")
			editWithExcelize(t, other.book(date), out, decided)
			return out
		}, []string{"other.xlsx is a workbook of another run", "run 1 of " + date}},
		{"a renamed sheet", func(t *testing.T) string {
			out := filepath.Join(dir, "renamed.xlsx")
			editWithExcelize(t, n.book(date), out, decided)
			f, err := excelize.OpenFile(out)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if err := f.SetSheetName(s.name, "Fees checked"); err != nil {
				t.Fatal(err)
			}
			if err := f.Save(); err != nil {
				t.Fatal(err)
			}
			return out
		}, []string{"sheet 'Fees checked': not a sheet recon wrote (renamed?)", "whose sheet is 'Ledger unmatched'"}},
		{"a deleted key column", func(t *testing.T) string {
			out := filepath.Join(dir, "deleted.xlsx")
			editWithExcelize(t, n.book(date), out, decided)
			f, err := excelize.OpenFile(out)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if err := f.RemoveCol(s.name, keyCol); err != nil {
				t.Fatal(err)
			}
			if err := f.Save(); err != nil {
				t.Fatal(err)
			}
			return out
		}, []string{"sheet 'Ledger unmatched': the Exception key column is gone"}},
		{"a decision not in the list, and a key of another merchant", func(t *testing.T) string {
			out := filepath.Join(dir, "wrong.xlsx")
			acme := "acme" + key[strings.Index(key, ":"):]
			editWithExcelize(t, n.book(date), out, append(s.decide(row, "done", ""),
				edit{s.name, row + 1, s.cols[reports.HeaderKey], acme}, edit{s.name, row + 1, s.cols[reports.HeaderDecision], "accepted"}))
			return out
		}, []string{fmt.Sprintf("sheet 'Ledger unmatched' row %d: decision \"done\" is not one of", row),
			fmt.Sprintf("sheet 'Ledger unmatched' row %d: the exception key is merchant \"acme\"'s", row+1)}},
		{"a CSV with a BOM and semicolons", func(t *testing.T) string {
			return writeFile(t, filepath.Join(dir, "semicolons.csv"), "\ufeffkey;decision;note\n"+key+";written off;bank fee\n")
		}, []string{"semicolons.csv line 1: the columns are separated by semicolons"}},
		{"a CSV with an unknown key", func(t *testing.T) string {
			return writeFile(t, filepath.Join(dir, "keys.csv"), "key,decision,note\n"+key+",written off,bank fee\n"+
				"default:"+strings.Repeat("QUJD", 8)+",accepted,\n")
		}, []string{"line 3: unknown exception key"}},
		{"a CSV with a key of another date", func(t *testing.T) string {
			return writeFile(t, filepath.Join(dir, "date.csv"), "key,decision,note\n"+lateKey+",investigating,\n")
		}, []string{"line 2: the exception is of another date: it is not open on " + earlier, "it was last open on " + date}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{"decisions", "import", tc.file(t)}
			if strings.HasSuffix(args[2], "date.csv") {
				args = append(args, "--date", earlier)
			}
			code, out, errs := n.recon(t, args...)
			if code != ExitUsage {
				t.Errorf("exit %d, want %d\n%s%s", code, ExitUsage, out, errs)
			}
			for _, w := range tc.want {
				if !strings.Contains(errs, w) {
					t.Errorf("the error lacks %q:\n%s", w, errs)
				}
			}
			if ds, err := openDB(t, n.database).Decisions(context.Background()); err != nil || len(ds) != 0 {
				t.Errorf("%d decisions recorded (%v), want none", len(ds), err)
			}
		})
	}

}

// controlOf reads the Summary's control lines by label: the parts of the
// difference, and Unexplained.
func controlOf(sum *bookSheet) map[string][]string {
	control := map[string][]string{}
	for _, r := range sum.rows {
		if len(r) > 0 && (strings.HasPrefix(r[0], "  explained by") || r[0] == "Unexplained") {
			control[strings.TrimSpace(r[0])] = r[1:]
		}
	}
	return control
}
