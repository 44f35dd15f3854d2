package reconcli

import (
	"encoding/csv"
	"fmt"
	neturl "net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/reconkit/reconkit/config"
	"github.com/reconkit/reconkit/internal/job"
	"github.com/reconkit/reconkit/reports"
	"github.com/reconkit/reconkit/sandbox"
	"github.com/reconkit/reconkit/sandbox/gen"
)

func newDemoCmd(e *env) *cobra.Command {
	var (
		dir         string
		orders      int
		seed        int64
		voidStyle   string
		ledgerStyle string
	)
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run a night against a sandbox started in-process (no credentials, loopback only)",
		Long: `Start the sandbox in-process on a free 127.0.0.1 port, write a generated
night's webhook log and ledger export into DIR/inbox, and run the phases
against them as the nightly job would: pull Xepeng orders and links, ingest
the webhook log and the ledger, and confirm unconfirmed OxPay transactions.
The database is DIR/recon.db; DIR/inbox/expected.csv is the answer key of
the anomalies planted on purpose, and the first line printed says how many
of them the run found, and whether it reported anything else. The last
says what to open: the workbook, or the summary for a chat or a browser.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			start := time.Now()
			voids, err := parseVoidStyle(voidStyle)
			if err != nil {
				return err
			}
			ledger, err := parseLedgerStyle(ledgerStyle)
			if err != nil {
				return err
			}
			opts := gen.Options{Seed: seed, Orders: orders, VoidStyle: voids, LedgerStyle: ledger}
			data, err := gen.Generate(opts)
			if err != nil {
				return fmt.Errorf("generate demo world: %w", err)
			}
			inbox := filepath.Join(dir, "inbox")
			if err := os.MkdirAll(inbox, 0o755); err != nil {
				return err
			}
			if err := data.WriteFiles(inbox); err != nil {
				return fmt.Errorf("write demo inputs: %w", err)
			}
			scfg := sandbox.DefaultConfig()
			url, stop, err := sandbox.New(scfg, data).Start("127.0.0.1:0")
			if err != nil {
				return fmt.Errorf("start sandbox: %w", err)
			}
			defer stop()

			cfg := config.Default()
			cfg.Database = filepath.Join(dir, "recon.db")
			cfg.ReportDir = filepath.Join(dir, "reports")
			cfg.Xepeng.BaseURL, cfg.OxPay.BaseURL = url, url+"/oxpay"
			cfg.Xepeng.ClientID, cfg.Xepeng.ClientSecret = scfg.XepengClientID, scfg.XepengClientSecret
			cfg.OxPay.APIKey, cfg.OxPay.SignKey = scfg.OxPayAPIKey, scfg.OxPaySignKey
			cfg.Inputs.Webhooks = []string{filepath.Join(inbox, "*.jsonl")}
			// Only the CSV: ledger.xlsx holds the same lines, and
			// expected.csv is the answer key, not a ledger export.
			cfg.Inputs.Ledger = []string{filepath.Join(inbox, gen.LedgerCSVFile)}
			cfg.OxPay.Confirm = job.ConfirmUnconfirmed
			// A net ledger: the gateway's settlements, as the generator
			// describes them to recon.yaml.
			if err := settlementConfig(&cfg, data); err != nil {
				return err
			}
			// The generated payment links point at the sandbox's pay host.
			if u, err := neturl.Parse(gen.PaymentURLBase); err == nil {
				cfg.Workbook.LinkHosts = []string{u.Hostname()}
			}
			if err := cfg.Validate(); err != nil {
				return err
			}
			// A demo starts from a clean database every time.
			for _, suffix := range []string{"", "-wal", "-shm"} {
				os.Remove(cfg.Database + suffix)
			}

			// The generated night runs over DefaultDays from the default
			// start; a business date a week later closes every settlement
			// window, so what is missing is missing.
			date := gen.DefaultStart(cfg.Location()).AddDate(0, 0, 7).Format("2006-01-02")
			// The same code path as recon run under cron, with the
			// config it would read; the demo prints its own summary.
			res, err := night(ctx, e, cfg, runOptions{date: date, unexplained: -1, summaryHTML: true, ownSummary: true})
			removeLockFile(cfg.Database)
			if err != nil {
				return err
			}
			csvPath, _ := job.ExportNames(cfg.ReportDir, date)
			key, err := checkAnswerKey(data.Anomalies, csvPath)
			if err != nil {
				return err
			}
			counts, w := res.Counts, e.stdout
			fmt.Fprintf(w, "reconkit demo: %s\n\n", key)
			printSummary(w, res.RunID, counts.Match)
			fmt.Fprintf(w, "\n  a generated night of %d orders against a sandbox at %s, in %.1fs:\n", orders, url, time.Since(start).Seconds())
			fmt.Fprintf(w, "  Xepeng orders          %8d\n", counts.Xepeng.Orders.Total())
			fmt.Fprintf(w, "  Xepeng payment links   %8d\n", counts.Xepeng.PaymentLinks.Total())
			fmt.Fprintf(w, "  OxPay transactions     %8d  (confirmed by id; %d ids unknown to the gateway)\n", counts.OxPay.Transactions.Total(), counts.OxPay.NotFound)
			fmt.Fprintf(w, "  webhook deliveries     %8d  (%d input errors)\n", counts.Webhooks.Rows, counts.Webhooks.Errors)
			fmt.Fprintf(w, "  ledger lines           %8d  (%d input errors)\n", counts.Ledger.Rows, counts.Ledger.Errors)
			if st := counts.Match.Summary.Settlement; st != nil {
				fmt.Fprintf(w, "  settlement batches     %8d  (%d paid, %d off by more than the tolerance, %d missing, %d pending: the Settlements sheet)\n",
					st.Batches, st.Paid, st.Mismatched, st.Missing, st.Pending)
			}
			fmt.Fprintf(w, "  anomalies planted      %8d  (answer key: %s)\n", len(data.Anomalies), filepath.Join(inbox, gen.ExpectedFile))
			fmt.Fprintf(w, "  database %s\n", cfg.Database)
			md, html := reports.DigestNames(cfg.ReportDir, date)
			fmt.Fprintf(w, "\nNext: open %s (the night for a chat: %s, or %s in a browser)\n",
				job.WorkbookName(cfg.ReportDir, date), md, html)
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "demo", "directory for the demo's inputs, database and reports")
	cmd.Flags().IntVar(&orders, "orders", 5000, "orders in the generated night")
	cmd.Flags().Int64Var(&seed, "seed", 1, "seed of the generated world")
	cmd.Flags().StringVar(&voidStyle, "void-style", string(gen.VoidSameID), voidStyleUsage)
	cmd.Flags().StringVar(&ledgerStyle, "ledger-style", string(gen.LedgerGross), ledgerStyleUsage)
	return cmd
}

// settlementConfig adds the generated world's settlement section and
// ledger fee column (gen's SettlementConfig, recon.yaml text) to cfg;
// nothing for a gross world.
func settlementConfig(cfg *config.Config, data *gen.Dataset) error {
	text := data.SettlementConfig()
	if text == "" {
		return nil
	}
	var part struct {
		Settlement *config.Settlement `yaml:"settlement"`
		Ledger     struct {
			Columns struct {
				Fee string `yaml:"fee"`
			} `yaml:"columns"`
		} `yaml:"ledger"`
	}
	if err := yaml.Unmarshal([]byte(text), &part); err != nil {
		return fmt.Errorf("the sandbox's settlement section: %w", err)
	}
	cfg.Settlement, cfg.Ledger.Columns.Fee = part.Settlement, part.Ledger.Columns.Fee
	return nil
}

// checkAnswerKey compares the exceptions a run exported (the CSV, as
// finance gets it) with the generator's answer key, the way the
// answer-key tests do: an exception and an anomaly are the same when
// their category and every id they name are. It returns the demo's headline:
// "100 of 100 planted anomalies found, nothing else reported", or what
// was missed and what was reported but not planted.
func checkAnswerKey(planted []gen.Anomaly, exceptionsCSV string) (string, error) {
	want := map[string]bool{}
	for _, a := range planted {
		want[answerKey(string(a.Category), a.OrderUID, a.PaymentLinkUID, a.OxpayTxnID, a.MerchantReferenceID, a.LedgerRef)] = true
	}
	f, err := os.Open(exceptionsCSV)
	if err != nil {
		return "", fmt.Errorf("compare with the answer key: %w", err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil || len(rows) == 0 {
		return "", fmt.Errorf("compare with the answer key: read %s: %v", exceptionsCSV, err)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	got := map[string]bool{}
	for _, r := range rows[1:] {
		cell := func(name string) string {
			if i, ok := col[name]; ok && i < len(r) {
				return r[i]
			}
			return ""
		}
		got[answerKey(cell("category"), cell("order_uid"), cell("payment_link_uid"), cell("oxpay_txn_id"),
			cell("merchant_reference_id"), cell("ledger_ref"))] = true
	}
	found, extra := 0, 0
	for k := range want {
		if got[k] {
			found++
		}
	}
	for k := range got {
		if !want[k] {
			extra++
		}
	}
	text := fmt.Sprintf("%d of %d planted anomalies found", found, len(want))
	switch {
	case extra == 0 && found == len(want):
		return text + ", nothing else reported", nil
	case extra == 0:
		return text + fmt.Sprintf(" (%d missed), nothing else reported", len(want)-found), nil
	}
	return text + fmt.Sprintf(", %d exceptions reported that were not planted (compare %s with the answer key)", extra, exceptionsCSV), nil
}

// answerKey is an exception's identity in the answer key, its ids made
// CSV-safe as the export writes them.
func answerKey(category string, ids ...string) string {
	parts := []string{category}
	for _, id := range ids {
		parts = append(parts, reports.CSVSafe(id))
	}
	return strings.Join(parts, "|")
}

// removeLockFile removes the lock file a demo's run left beside its
// database, once the run has released it: the demo's directory is its
// own, and a lock file there only puzzles whoever looks. A lock file
// that notes a failure for the next run to record, or that another
// process holds, stays.
func removeLockFile(database string) {
	_, lock, err := job.LockPath(database)
	if err != nil {
		return
	}
	l, err := job.LockDatabase(database)
	if err != nil {
		return // held: not ours to remove
	}
	defer l.Release()
	b, err := os.ReadFile(lock)
	if err != nil || strings.Count(string(b), "\n") > 1 {
		return // a failure noted for the next run
	}
	os.Remove(lock)
}
