package docfake

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"

	"github.com/reconkit/reconkit/store/dbtest"
)

// TestIndependentIncrementalNight holds recon's incremental night to its
// whole match on the document-written world, whose order uids and
// merchant references are random UUIDs (recon's own generator numbers
// them in order, which its spans of keys rely on to look for less).
//
// The world's webhook deliveries and ledger lines arrive over two
// nights, every other one on the first: the second night's rows reach
// the first night's orders, transactions, deliveries and lines by their
// keys. The second night's run must match incrementally and write the
// same exports, byte for byte, as `recon match --whole-match` of the same
// date and database afterwards, and both must score 1 and 1 against the
// answer key. Its workbook, which takes the first-seen dates and the
// resolved breaks from the night's own carry-forward, must show what
// `recon report` of the same run shows, which reads them back.
func TestIndependentIncrementalNight(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the recon binary")
	}
	bin := buildRecon(t)
	w := Generate(Options{Seed: 2})
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		xs := httptest.NewServer(NewXepeng(w, XepengOptions{Envelope: EnvelopeStatus}))
		defer xs.Close()
		os_ := httptest.NewServer(NewOxPay(w, OxPayOptions{}))
		defer os_.Close()

		dir := t.TempDir()
		inbox := filepath.Join(dir, "inbox")
		if err := os.MkdirAll(inbox, 0o755); err != nil {
			t.Fatal(err)
		}
		database := ""
		if b.Name != dbtest.SQLite.Name {
			database = b.Database(t)
		}
		var cfg bytes.Buffer
		err := WriteConfig(&cfg, ConfigParams{
			Dir: dir, Database: database, XepengURL: xs.URL, OxPayURL: os_.URL,
			WebhookGlob: filepath.Join(inbox, "oxpay-*.jsonl"), LedgerGlob: filepath.Join(inbox, "ledger-*.csv"), Ledger: LedgerAmount,
		})
		if err != nil {
			t.Fatal(err)
		}
		cfgPath := filepath.Join(dir, "recon.yaml")
		if err := os.WriteFile(cfgPath, cfg.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		recon := func(args ...string) []byte {
			t.Helper()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, append(args, "--config", cfgPath, "--log-format", "json")...)
			cmd.Dir = dir
			cmd.Env = append(cleanEnv(),
				"XEPENG_CLIENT_ID="+ClientID, "XEPENG_CLIENT_SECRET="+ClientSecret,
				"OXPAY_API_KEY="+APIKey, "OXPAY_SIGN_KEY="+SignKey)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("recon %v: %v; its log ends:\n%s", args, err, tail(stderr.String(), 25))
			}
			return stderr.Bytes()
		}

		// The first night: every other delivery and ledger line, a day
		// before the world's run date.
		writePart(t, w, inbox, "a", 0)
		first := w.RunDate.AddDate(0, 0, -1).Format(time.DateOnly)
		recon("run", "--date", first, "--oxpay-confirm", "all")

		// The second night: the rest.
		writePart(t, w, inbox, "b", 1)
		date := w.RunDate.Format(time.DateOnly)
		log := recon("run", "--date", date, "--oxpay-confirm", "all")
		scope := matchScope(t, log)
		if scope.Msg != "matched what the night reached" {
			t.Fatalf("the second night matched whole (%q, because %q), want incremental", scope.Msg, scope.Because)
		}
		t.Logf("the second night read %d transactions, %d deliveries, %d ledger lines, %d orders; carried %d exceptions",
			scope.Transactions, scope.Webhooks, scope.Ledger, scope.Orders, scope.Carried)
		reports := filepath.Join(dir, "reports")
		names := []string{"exceptions-" + date + ".csv", "exceptions-" + date + ".json", "resolved-" + date + ".csv"}
		incremental := readAll(t, reports, names)

		// The night's workbook takes the first-seen dates and the resolved
		// breaks from its own carry-forward; `recon report` reads them
		// back from the store. Both must show the same.
		again := filepath.Join(dir, "again.xlsx")
		recon("report", "--run", strconv.FormatInt(scope.RunID, 10), "--out", again)
		night, read := sheetValues(t, filepath.Join(reports, "recon-"+date+".xlsx")), sheetValues(t, again)
		if d := cmp.Diff(night, read); d != "" {
			t.Errorf("the night's workbook differs from recon report's of the same run (-night +report):\n%s", d)
		}
		if n := resolvedCount(night["Summary"]); n == 0 {
			t.Errorf("the second night's Summary counts no resolved break: the comparison above shows nothing of them")
		}

		log = recon("match", "--date", date, "--whole-match")
		if s := matchScope(t, log); s.Msg != "matched whole" {
			t.Fatalf("--whole-match: %q", s.Msg)
		}
		whole := readAll(t, reports, names)
		for i, n := range names {
			if !bytes.Equal(incremental[i], whole[i]) {
				t.Errorf("%s: the incremental night wrote (%d bytes) other than the whole match of the same date (%d bytes):\n%s",
					n, len(incremental[i]), len(whole[i]), firstDiff(incremental[i], whole[i]))
			}
		}
		for i, label := range []string{"incremental", "whole"} {
			got, err := ReadExceptions(bytes.NewReader([][]byte{incremental[0], whole[0]}[i]))
			if err != nil {
				t.Fatal(err)
			}
			s := Compare(w.Key, got)
			if s.Precision() != 1 || s.Recall() != 1 {
				t.Errorf("%s: precision %.3f, recall %.3f against the answer key; want 1 and 1:\n%s", label, s.Precision(), s.Recall(), s.Report(w))
			}
		}
	})
}

// writePart writes every other webhook delivery and ledger line of the
// world (identical lines together), from the first (part 0) or the
// second (part 1), to
// oxpay-NAME.jsonl and ledger-NAME.csv in dir.
func writePart(t *testing.T, w *World, dir, name string, part int) {
	t.Helper()
	var log bytes.Buffer
	for i, d := range w.Deliveries {
		if i%2 != part {
			continue
		}
		line, err := logLine(d, FileOptions{PlainJSONL: true})
		if err != nil {
			t.Fatal(err)
		}
		log.Write(line)
		log.WriteByte('\n')
	}
	// Identical lines (a sale booked twice) come in the same export: in
	// two, the second would be the first exported again.
	var lines []*LedgerLine
	first := map[LedgerLine]int{}
	for i, l := range w.Ledger {
		j, seen := first[*l]
		if !seen {
			first[*l], j = i, i
		}
		if j%2 == part {
			lines = append(lines, l)
		}
	}
	var ledger bytes.Buffer
	if err := writeLedger(&ledger, lines, LedgerAmount); err != nil {
		t.Fatal(err)
	}
	for file, data := range map[string][]byte{"oxpay-" + name + ".jsonl": log.Bytes(), "ledger-" + name + ".csv": ledger.Bytes()} {
		if err := os.WriteFile(filepath.Join(dir, file), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// scopeLine is the log record recon writes of how a match read.
type scopeLine struct {
	Msg          string `json:"msg"`
	Because      string `json:"because"`
	Transactions int    `json:"transactions"`
	Webhooks     int    `json:"webhook_events"`
	Ledger       int    `json:"ledger_entries"`
	Orders       int    `json:"orders"`
	Carried      int    `json:"carried_exceptions"`
	RunID        int64  `json:"run_id"`
}

// resolvedCount is the count in the Summary's "N resolved", 0 if none.
func resolvedCount(rows [][]string) int {
	re := regexp.MustCompile(`(\d+) resolved`)
	for _, r := range rows {
		for _, c := range r {
			if m := re.FindStringSubmatch(c); m != nil {
				n, _ := strconv.Atoi(m[1])
				return n
			}
		}
	}
	return 0
}

// sheetValues reads every cell of a workbook, by sheet, as stored; the
// Summary's line that says when the report was written is left out.
func sheetValues(t *testing.T, path string) map[string][][]string {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][][]string{}
	for _, sheet := range f.GetSheetList() {
		rows, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			for i, c := range r {
				if strings.Contains(c, "report written") {
					r[i] = ""
				}
			}
		}
		out[sheet] = rows
	}
	return out
}

// matchScope finds the scope record in a JSON log.
func matchScope(t *testing.T, log []byte) scopeLine {
	t.Helper()
	for _, line := range bytes.Split(log, []byte("\n")) {
		var s scopeLine
		if json.Unmarshal(line, &s) == nil && (s.Msg == "matched what the night reached" || s.Msg == "matched whole") {
			return s
		}
	}
	t.Fatalf("no scope record in the log:\n%s", tail(string(log), 20))
	return scopeLine{}
}

func readAll(t *testing.T, dir string, names []string) [][]byte {
	t.Helper()
	out := make([][]byte, len(names))
	for i, n := range names {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		out[i] = b
	}
	return out
}

// firstDiff shows the first line where a and b differ.
func firstDiff(a, b []byte) string {
	la, lb := bytes.Split(a, []byte("\n")), bytes.Split(b, []byte("\n"))
	for i := 0; i < len(la) || i < len(lb); i++ {
		var x, y []byte
		if i < len(la) {
			x = la[i]
		}
		if i < len(lb) {
			y = lb[i]
		}
		if !bytes.Equal(x, y) {
			return "line " + strconv.Itoa(i+1) + ":\n  incremental: " + string(x) + "\n  whole:       " + string(y)
		}
	}
	return "(the same lines)"
}
