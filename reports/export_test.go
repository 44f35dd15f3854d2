package reports

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/reconkit/reconkit/match"
	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/settle"
	"github.com/reconkit/reconkit/store"
	"github.com/reconkit/reconkit/store/sqlite"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/match and testdata/settle")

const goldenDir = "../testdata/match"

// goldenSet is a fixed dataset whose exports are golden, and the
// options it is matched with.
type goldenSet struct {
	dir  string
	opts func() match.Options
}

// goldenSets are testdata/match, which holds every category but the
// settlement ones, matched one line to one transaction, and
// testdata/settle, the same with net settlements.
var goldenSets = []goldenSet{{goldenDir, goldenOptions}, {"../testdata/settle", settleGoldenOptions}}

func goldenOptions() match.Options {
	opts := match.DefaultOptions()
	opts.Zone = time.FixedZone("WIB", 7*3600)
	return opts
}

// settleGoldenOptions are testdata/settle's: a gateway in Jakarta paying
// out T+1, Card at 2.5% + Rp2.000 (3% + S$0.30 in SGD), QRIS at 0.7% but
// at least Rp1.000.
func settleGoldenOptions() match.Options {
	opts := goldenOptions()
	opts.Settlement = &match.SettlementOptions{
		Schedule: settle.Schedule{Rules: []settle.FeeRule{
			{Brand: "Card", PercentE4: 25000, FixedMinor: 200000},
			{Brand: "Card", Currency: "SGD", PercentE4: 30000, FixedMinor: 30},
			{Brand: "QRIS", PercentE4: 7000, MinMinor: 100000},
		}},
		Calendar: settle.Calendar{Zone: opts.Zone, PayoutDays: 1},
		Pattern:  regexp.MustCompile(`OXPAY SETTLEMENT (?P<date>\d{4}-\d{2}-\d{2}) (?P<currency>[A-Z]{3})`),
	}
	return opts
}

// goldenExceptions matches the fixed dataset of testdata/match, which
// holds at least one case of every category but the settlement ones.
func goldenExceptions(t *testing.T) []recon.Exception {
	t.Helper()
	return goldenSetExceptions(t, goldenSets[0])
}

func goldenSetExceptions(t *testing.T, g goldenSet) []recon.Exception {
	t.Helper()
	out, err := match.Match(goldenSetInput(t, g.dir), g.opts())
	if err != nil {
		t.Fatal(err)
	}
	return out.Exceptions
}

// goldenInput reads the fixed dataset of testdata/match.
func goldenInput(t *testing.T) match.Input {
	t.Helper()
	return goldenSetInput(t, goldenDir)
}

func goldenSetInput(t *testing.T, dir string) match.Input {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "input.json"))
	if err != nil {
		t.Fatal(err)
	}
	var in match.Input
	if err := json.Unmarshal(b, &in); err != nil {
		t.Fatalf("%s/input.json: %v", dir, err)
	}
	return in
}

// goldenWriters are the golden exports.
var goldenWriters = []struct {
	file  string
	write func(io.Writer, []recon.Exception) error
}{
	{"exceptions.csv", func(w io.Writer, es []recon.Exception) error { return WriteExceptionsCSV(w, es, goldenAnnotations(es)) }},
	{"exceptions.json", func(w io.Writer, es []recon.Exception) error {
		return WriteExceptionsJSON(w, es, goldenAnnotations(es))
	}},
}

func TestGoldenExports(t *testing.T) {
	seen := map[recon.Category]bool{}
	for _, set := range goldenSets {
		es := goldenSetExceptions(t, set)
		for _, x := range es {
			seen[x.Category] = true
		}
		for _, g := range goldenWriters {
			t.Run(filepath.Base(set.dir)+"/"+g.file, func(t *testing.T) {
				var got bytes.Buffer
				if err := g.write(&got, es); err != nil {
					t.Fatal(err)
				}
				path := filepath.Join(set.dir, g.file)
				if *update {
					if err := WriteFileAtomic(path, func(w io.Writer) error { _, err := w.Write(got.Bytes()); return err }); err != nil {
						t.Fatal(err)
					}
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got.Bytes(), want) {
					t.Errorf("%s differs from the golden file:\n%s", g.file, cmp.Diff(string(want), got.String()))
				}
				shuffled := slices.Clone(es)
				rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
				var again bytes.Buffer
				if err := g.write(&again, shuffled); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got.Bytes(), again.Bytes()) {
					t.Error("shuffled exceptions give other bytes")
				}
			})
		}
	}
	for _, c := range recon.Categories {
		if !seen[c.Code] {
			t.Errorf("no golden dataset has %s: add a case to testdata/match/input.json (or testdata/settle's)", c.Code)
		}
	}
}

// TestGoldenExportsThroughTheStore loads each golden dataset into a
// database and runs the match twice under two run ids, as the nightly
// job would on unchanged inputs: both runs export exactly the golden
// bytes. (input.json numbers its webhook events and ledger entries
// 1, 2, 3... as the store does, so Match and Run name the same ids.)
func TestGoldenExportsThroughTheStore(t *testing.T) {
	for _, set := range goldenSets {
		t.Run(filepath.Base(set.dir), func(t *testing.T) { goldenThroughTheStore(t, set) })
	}
}

func goldenThroughTheStore(t *testing.T, set goldenSet) {
	ctx := context.Background()
	in := goldenSetInput(t, set.dir)
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "recon.db"), store.DefaultMerchant)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for i := range in.Webhooks {
		in.Webhooks[i].DeliveryKey = strconv.Itoa(i)
	}
	for i := range in.Ledger {
		in.Ledger[i].RowHash = strconv.Itoa(i)
	}
	load, err := db.BeginLoad(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, err1 := load.Orders(in.Orders)
	_, err2 := load.PaymentLinks(in.Links)
	_, err3 := load.Transactions(in.Transactions)
	_, err4 := load.WebhookEvents(in.Webhooks)
	_, err5 := load.LedgerEntries(in.Ledger)
	_, err6 := load.InputErrors(in.InputErrors)
	if err := errors.Join(err1, err2, err3, err4, err5, err6, load.Commit()); err != nil {
		t.Fatal(err)
	}
	opts := set.opts()
	for _, g := range goldenWriters {
		want, err := os.ReadFile(filepath.Join(set.dir, g.file))
		if err != nil {
			t.Fatal(err)
		}
		for range 2 {
			run, err := db.StartRun(ctx, recon.Run{Command: "match"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := match.Run(ctx, db, run, opts); err != nil {
				t.Fatal(err)
			}
			es, err := db.Exceptions(ctx, run)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), g.file)
			if err := WriteFileAtomic(path, func(w io.Writer) error { return g.write(w, es) }); err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("run %d: %s differs from the golden file:\n%s", run, g.file, cmp.Diff(string(want), string(got)))
			}
		}
	}
}

// TestCSVCells reads the export back: text cells that look like formulas
// are quoted, amounts are plain integers, negatives included.
func TestCSVCells(t *testing.T) {
	es := []recon.Exception{
		{Category: recon.LedgerUnmatched, Severity: "high", LedgerRef: `=HYPERLINK("x")`, Currency: "IDR",
			ActualMinor: -50000, DifferenceMinor: -50000, Detail: "-ADJ booked"},
		{Category: recon.AmountMismatch, Severity: "critical", OrderUID: "+62", PaymentLinkUID: "@x", OxpayTxnID: "\t1",
			MerchantReferenceID: "\rm", Currency: "SGD", ExpectedMinor: 100, ActualMinor: 90, DifferenceMinor: -10, Detail: "plain"},
	}
	// Only the second in report order is known to be open since an
	// earlier day, and has a decision: accepted on its money, by someone
	// whose name and note a spreadsheet would run as formulas.
	k := recon.ExceptionKey(&es[0])
	ann := Annotations{Date: "2024-03-14", FirstSeen: map[string]string{k: "2024-03-10"},
		Decisions: map[string]recon.Decision{k: {ExceptionKey: k, Decision: recon.DecisionAccepted, Note: "-ADJ agreed",
			DecidedBy: "@anna", DecidedAt: time.Date(2024, 3, 13, 8, 0, 0, 500, time.FixedZone("WIB", 7*3600)),
			Currency: "IDR", ActualMinor: -50000, DifferenceMinor: -50000}}}
	var buf bytes.Buffer
	if err := WriteExceptionsCSV(&buf, es, ann); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		ExceptionColumns,
		{"AMOUNT_MISMATCH", "critical", "'+62", "'@x", "'\t1", "'\rm", "", "SGD", "100", "90", "-10", "plain", "", "",
			"", "", "", "", "false", "false"},
		{"LEDGER_UNMATCHED", "high", "", "", "", "", `'=HYPERLINK("x")`, "IDR", "0", "-50000", "-50000", "'-ADJ booked", "2024-03-10", "4",
			"accepted", "'-ADJ agreed", "'@anna", "2024-03-13T01:00:00.0000005Z", "true", "false"},
	}
	if d := cmp.Diff(want, recs); d != "" {
		t.Fatalf("csv (-want +got):\n%s", d)
	}
	for _, rec := range recs[1:] {
		for _, cell := range rec[8:11] {
			if _, err := strconv.ParseInt(cell, 10, 64); err != nil {
				t.Errorf("amount cell %q is not an integer", cell)
			}
		}
	}
}

func TestCSVSafe(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"ORD-1", "ORD-1"},
		{"=1+1", "'=1+1"},
		{"+1", "'+1"},
		{"-1", "'-1"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\tx", "'\tx"},
		{"\rx", "'\rx"},
		{" =1", " =1"},
		{"a=b", "a=b"},
	}
	for _, tc := range tests {
		if got := CSVSafe(tc.in); got != tc.want {
			t.Errorf("CSVSafe(%q): got %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestJSONKeepsTextAndColumns(t *testing.T) {
	es := []recon.Exception{{Category: recon.LedgerUnmatched, Severity: "high", LedgerRef: "=x<y>", ActualMinor: -5, DifferenceMinor: -5}}
	var buf bytes.Buffer
	if err := WriteExceptionsJSON(&buf, es, Annotations{}); err != nil {
		t.Fatal(err)
	}
	var rows []map[string]any
	dec := json.NewDecoder(bytes.NewReader(buf.Bytes()))
	dec.UseNumber()
	if err := dec.Decode(&rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0]["ledger_ref"] != "=x<y>" || rows[0]["actual_minor"] != json.Number("-5") {
		t.Fatalf("got %v, want the text unchanged and the amount a number", rows)
	}
	var keys []string
	for k := range rows[0] {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	want := slices.Sorted(slices.Values(ExceptionColumns))
	if d := cmp.Diff(want, keys); d != "" {
		t.Fatalf("keys (-want +got):\n%s", d)
	}
	// The keys come out in column order.
	if !strings.Contains(buf.String(), `"category": "LEDGER_UNMATCHED",
    "severity": "high",`) {
		t.Errorf("keys out of column order:\n%s", buf.String())
	}

	buf.Reset()
	if err := WriteExceptionsJSON(&buf, nil, Annotations{}); err != nil || buf.String() != "[]\n" {
		t.Fatalf("no exceptions: got %q, %v; want []", buf.String(), err)
	}
}

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "exceptions.csv")
	write := func(s string) func(io.Writer) error {
		return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
	}
	if err := WriteFileAtomic(path, write("first")); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err := WriteFileAtomic(path, func(w io.Writer) error {
		io.WriteString(w, "half")
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("failed write: got %v, want boom", err)
	}
	if got, _ := os.ReadFile(path); string(got) != "first" {
		t.Fatalf("after a failed write: got %q, want the old content", got)
	}
	if err := WriteFileAtomic(path, write("second")); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); string(got) != "second" {
		t.Fatalf("got %q, want second", got)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("got %d files in the directory, want only the target (no temporaries left)", len(entries))
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o644 {
		t.Errorf("mode: got %v, want 0644", fi.Mode().Perm())
	}
	if err := WriteFileAtomic(filepath.Join(dir, "missing", "x.csv"), write("x")); err == nil {
		t.Fatal("write into a missing directory: got nil error")
	}
}

// goldenAnnotations gives every exception a first-seen date 0 to 3 days
// before the golden business date, and one of four decision states (none;
// accepted on its money; written off on other money, so reopened;
// investigating), each chosen by its key, so that the same findings in
// any order (or read back from a store) are annotated the same way.
func goldenAnnotations(es []recon.Exception) Annotations {
	a := Annotations{Date: "2026-11-05", FirstSeen: map[string]string{}, Decisions: map[string]recon.Decision{}}
	at := time.Date(2026, 11, 4, 9, 30, 0, 0, time.UTC)
	for i := range es {
		x := &es[i]
		k := recon.ExceptionKey(x)
		a.FirstSeen[k] = fmt.Sprintf("2026-11-%02d", 5-len(k)%4)
		d := recon.Decision{ExceptionKey: k, Category: x.Category, Currency: x.Currency, ExpectedMinor: x.ExpectedMinor,
			ActualMinor: x.ActualMinor, DifferenceMinor: x.DifferenceMinor, DecidedBy: "=finance", DecidedAt: at}
		switch len(k) % 4 {
		case 1:
			d.Decision, d.Note = recon.DecisionAccepted, "agreed with the gateway"
		case 2:
			d.Decision, d.Note = recon.DecisionWrittenOff, "-small difference"
			d.DifferenceMinor++
		case 3:
			d.Decision = recon.DecisionInvestigating
		default:
			continue
		}
		a.Decisions[k] = d
	}
	return a
}
