package job

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/reconkit/reconkit/fetch"
	"github.com/reconkit/reconkit/ingest"
	"github.com/reconkit/reconkit/match"
	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/reports"
	"github.com/reconkit/reconkit/sandbox"
	"github.com/reconkit/reconkit/sandbox/gen"
	"github.com/reconkit/reconkit/store"
	"github.com/reconkit/reconkit/store/sqlite"
)

// nightOptions are the options of a night against a sandbox serving a
// generated world, with that world's webhook log and ledger export in
// dir, as recon demo sets them up.
func nightOptions(t *testing.T, dir string) NightOptions {
	t.Helper()
	data, err := gen.Generate(gen.Options{Seed: 3, Orders: 300})
	if err != nil {
		t.Fatal(err)
	}
	inbox := filepath.Join(dir, "inbox")
	if err := os.MkdirAll(inbox, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := data.WriteFiles(inbox); err != nil {
		t.Fatal(err)
	}
	scfg := sandbox.DefaultConfig()
	url, stop, err := sandbox.New(scfg, data).Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)

	zone, err := time.LoadLocation(gen.DefaultZone)
	if err != nil {
		t.Fatal(err)
	}
	date := gen.DefaultStart(zone).AddDate(0, 0, 7)
	mopts := match.DefaultOptions()
	mopts.Zone, mopts.AsOf = zone, date
	return NightOptions{
		BusinessDate: date.Format("2006-01-02"),
		Zone:         zone,
		Database:     filepath.Join(dir, "recon.db"),
		ReportDir:    filepath.Join(dir, "reports"),
		Version:      "test",
		Log:          quiet,
		WebhookFiles: []string{filepath.Join(inbox, gen.WebhooksFile)},
		LedgerFiles:  []string{filepath.Join(inbox, gen.LedgerCSVFile)},
		Xepeng: func(*slog.Logger) *fetch.Xepeng {
			return fetch.NewXepeng(fetch.Options{BaseURL: url}, scfg.XepengClientID, scfg.XepengClientSecret)
		},
		OxPay: func(*slog.Logger) *fetch.OxPay {
			return fetch.NewOxPay(fetch.Options{BaseURL: url + "/oxpay"}, scfg.OxPayAPIKey, scfg.OxPaySignKey)
		},
		Pull:                 PullOptions{PageSize: 100},
		Confirm:              ConfirmUnconfirmed,
		Deadline:             time.Minute,
		Units:                recon.DefaultUnits(),
		SignKey:              scfg.OxPaySignKey,
		MaxBadSignatureShare: DefaultMaxBadSignatureShare,
		Ledger: ingest.LedgerOptions{Date: "Date", Reference: "Reference", Description: "Description",
			Debit: "Debit", Credit: "Credit", Currency: "Currency", DateLayout: "02/01/2006", Decimal: ',', Thousands: '.'},
		Match: mopts,
	}
}

// TestNight: a night commits its run with the files in place, and a
// second night of the same date replaces it. A wrong sign key is no
// error of the night: it commits, and its warnings say so.
func TestNight(t *testing.T) {
	ctx := context.Background()
	o := nightOptions(t, t.TempDir())
	first, err := Night(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	c := first.Counts
	if c.Xepeng.Orders.Total() != 300 || c.Webhooks.Rows == 0 || c.Ledger.Rows == 0 || c.OxPay.Asked == 0 || c.Match.Summary.Results == 0 {
		t.Errorf("counts of the first night: %+v", c)
	}
	if len(c.Warnings) != 0 || len(first.Control) == 0 {
		t.Errorf("first night: warnings %q, control %+v; want none, and a control line", c.Warnings, first.Control)
	}
	wantFiles := []string{WorkbookName(o.ReportDir, o.BusinessDate), ResolvedName(o.ReportDir, o.BusinessDate)}
	csvPath, jsonPath := ExportNames(o.ReportDir, o.BusinessDate)
	summary, _ := reports.DigestNames(o.ReportDir, o.BusinessDate)
	wantFiles = append(wantFiles, csvPath, jsonPath, summary)
	for _, p := range wantFiles {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("after the night: %v", err)
		}
	}
	if len(c.Match.Exports) != len(wantFiles) {
		t.Errorf("exports %q; want the %d files", c.Match.Exports, len(wantFiles))
	}

	o.SignKey = "not-the-sign-key"
	second, err := Night(ctx, o)
	if err != nil {
		t.Fatalf("a night under a wrong sign key: %v", err)
	}
	if len(second.Counts.Warnings) == 0 || second.Counts.Match.Replaced != 1 {
		t.Errorf("second night: warnings %q, replaced %d; want a warning, and the first run replaced",
			second.Counts.Warnings, second.Counts.Match.Replaced)
	}
	db, err := sqlite.Open(ctx, o.Database, store.DefaultMerchant)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for id, want := range map[int64]string{first.RunID: recon.RunReplaced, second.RunID: recon.RunOK} {
		r, err := db.GetRun(ctx, id)
		if err != nil || r.Status != want {
			t.Errorf("run %d: %s, %v; want %s", id, r.Status, err, want)
		}
	}
}
