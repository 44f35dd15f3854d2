package docfake

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/reconkit/reconkit/store/dbtest"
)

var (
	dumpDir = flag.String("docfake.dump", "", "write the docfake world (served state, inbox files, recon.yaml, answer key) into this directory")
	keepDir = flag.String("docfake.keep", "", "run each night in DIR/<variant> and keep its files (database, reports, inbox) instead of a temporary directory")
)

// TestIndependentNight runs the real recon binary against the document-
// written fakes and scores its exceptions against the world's answer key.
// It fails unless precision and recall are both 1.
//
// amount_column is the main variant: the ledger with one signed amount
// column configured as recon.example.yaml says. The debit_credit variants
// differ only in the ledger layout (and the last also in the Xepeng
// envelope and webhook-log form), so that matching is measured even when
// the one-column config does not load.
func TestIndependentNight(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the recon binary")
	}
	bin := buildRecon(t)
	w := Generate(Options{Seed: 1})
	t.Logf("world: %d orders, %d payment links, %d gateway transactions, %d webhook deliveries, %d ledger lines, %d planted anomalies; business day %s, run date %s",
		len(w.Orders), len(w.Links), len(w.Txns), len(w.Deliveries), len(w.Ledger), len(w.Key),
		w.Day.Format(time.DateOnly), w.RunDate.Format(time.DateOnly))

	cases := []struct {
		name     string
		envelope string
		files    FileOptions
	}{
		{"amount_column", EnvelopeStatus, FileOptions{}},
		{"debit_credit", EnvelopeStatus, FileOptions{Ledger: LedgerDebitCredit}},
		{"debit_credit_php_envelope_string_bodies", EnvelopeSuccess, FileOptions{
			Ledger: LedgerDebitCredit, PlainJSONL: true, BodyAsString: true, LowerHeader: true, UTC: true}},
	}
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				night(t, bin, w, tc.envelope, tc.files, b)
			})
		}
	})
}

func night(t *testing.T, bin string, w *World, envelope string, files FileOptions, b dbtest.Backend) {
	xep := NewXepeng(w, XepengOptions{Envelope: envelope})
	oxp := NewOxPay(w, OxPayOptions{})
	xs := httptest.NewServer(xep)
	defer xs.Close()
	os_ := httptest.NewServer(oxp)
	defer os_.Close()

	dir := t.TempDir()
	if *keepDir != "" {
		dir = filepath.Join(*keepDir, filepath.Base(t.Name()))
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
	}
	inboxDir := filepath.Join(dir, "inbox")
	if err := os.MkdirAll(inboxDir, 0o755); err != nil {
		t.Fatal(err)
	}
	in, err := w.WriteInbox(inboxDir, files)
	if err != nil {
		t.Fatal(err)
	}
	ledger := files.Ledger
	if ledger == "" {
		ledger = LedgerAmount
	}
	database := "" // SQLite's: Dir/recon.db, kept with -docfake.keep
	if b.Name != dbtest.SQLite.Name {
		database = b.Database(t)
	}
	var cfg bytes.Buffer
	if err := WriteConfig(&cfg, ConfigParams{
		Dir: dir, Database: database, XepengURL: xs.URL, OxPayURL: os_.URL,
		WebhookGlob: in.WebhookGlob, LedgerGlob: in.LedgerGlob, Ledger: ledger,
	}); err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dir, "recon.yaml")
	if err := os.WriteFile(cfgPath, cfg.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}

	date := w.RunDate.Format(time.DateOnly)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "run", "--config", cfgPath, "--date", date, "--oxpay-confirm", "all", "--log-format", "text")
	cmd.Dir = dir
	cmd.Env = append(cleanEnv(),
		"XEPENG_CLIENT_ID="+ClientID, "XEPENG_CLIENT_SECRET="+ClientSecret,
		"OXPAY_API_KEY="+APIKey, "OXPAY_SIGN_KEY="+SignKey)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err = cmd.Run()
	code := 0
	if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run recon: %v", err)
	}
	t.Logf("recon run --date %s: exit %d in %s", date, code, time.Since(start).Round(time.Millisecond))
	t.Logf("fake Xepeng answered %s; fake OxPay answered %s", summarize(xep.Requests()), summarize(oxp.Requests()))

	csvPath := filepath.Join(dir, "reports", "exceptions-"+date+".csv")
	f, err := os.Open(csvPath)
	if err != nil {
		t.Fatalf("recon run exited %d and wrote no %s (%v); its output ends:\n%s",
			code, filepath.Base(csvPath), err, tail(out.String(), 40))
	}
	defer f.Close()
	if code != 0 {
		t.Errorf("recon run exited %d (0 expected: no threshold is set); its output ends:\n%s", code, tail(out.String(), 25))
	}
	got, err := ReadExceptions(f)
	if err != nil {
		t.Fatal(err)
	}
	s := Compare(w.Key, got)
	t.Logf("score against the answer key:\n%s", s.Report(w))
	if s.Precision() != 1 || s.Recall() != 1 {
		t.Errorf("precision %.3f, recall %.3f; want 1 and 1", s.Precision(), s.Recall())
	}
}

// cleanEnv is the environment without credentials the caller may have set.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "XEPENG_") || strings.HasPrefix(kv, "OXPAY_") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// summarize counts requests by status, and names the refused ones.
func summarize(reqs []Request) string {
	by := map[int]int{}
	var refused []string
	for _, r := range reqs {
		by[r.Status]++
		if r.Status >= 400 && len(refused) < 5 {
			refused = append(refused, fmt.Sprintf("%s %s -> %d %s", r.Method, r.Path, r.Status, r.Note))
		}
	}
	codes := make([]int, 0, len(by))
	for c := range by {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	var parts []string
	for _, c := range codes {
		parts = append(parts, fmt.Sprintf("%d×%d", by[c], c))
	}
	s := fmt.Sprintf("%d requests (%s)", len(reqs), strings.Join(parts, ", "))
	if len(refused) > 0 {
		s += "; refused e.g. " + strings.Join(refused, "; ")
	}
	return s
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// buildRecon builds ./cmd/recon from the module root into a temporary
// directory.
func buildRecon(t *testing.T) string {
	t.Helper()
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(gomod)))
	bin := filepath.Join(t.TempDir(), "recon")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/recon")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/recon: %v\n%s", err, out)
	}
	return bin
}

// TestDumpWorld writes the world for a human: go test ./internal/docfake
// -run TestDumpWorld -docfake.dump DIR.
func TestDumpWorld(t *testing.T) {
	if *dumpDir == "" {
		t.Skip("set -docfake.dump DIR to write the world")
	}
	w := Generate(Options{Seed: 1})
	inbox := filepath.Join(*dumpDir, "inbox")
	if err := os.MkdirAll(inbox, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteState(*dumpDir); err != nil {
		t.Fatal(err)
	}
	in, err := w.WriteInbox(inbox, FileOptions{PlainJSONL: true})
	if err != nil {
		t.Fatal(err)
	}
	var cfg bytes.Buffer
	if err := WriteConfig(&cfg, ConfigParams{
		Dir: *dumpDir, XepengURL: "http://127.0.0.1:XEPENG_PORT", OxPayURL: "http://127.0.0.1:OXPAY_PORT",
		WebhookGlob: in.WebhookGlob, LedgerGlob: in.LedgerGlob, Ledger: LedgerAmount,
	}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(*dumpDir, "recon.yaml"), cfg.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote the world (business day %s, run date %s) to %s", w.Day.Format(time.DateOnly), w.RunDate.Format(time.DateOnly), *dumpDir)
}
