package reconcli

import (
	"fmt"
	neturl "net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/reconkit/reconkit/config"
	"github.com/reconkit/reconkit/internal/job"
	"github.com/reconkit/reconkit/sandbox"
	"github.com/reconkit/reconkit/sandbox/gen"
)

func newDemoCmd(e *env) *cobra.Command {
	var (
		dir       string
		orders    int
		seed      int64
		voidStyle string
	)
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run a night against a sandbox started in-process (no credentials, loopback only)",
		Long: `Start the sandbox in-process on a free 127.0.0.1 port, write a generated
night's webhook log and ledger export into DIR/inbox, and run the phases
against them as the nightly job would: pull Xepeng orders and links, ingest
the webhook log and the ledger, and confirm unconfirmed OxPay transactions.
The database is DIR/recon.db; DIR/inbox/expected.csv is the answer key of
the anomalies injected on purpose.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			start := time.Now()
			voids, err := parseVoidStyle(voidStyle)
			if err != nil {
				return err
			}
			opts := gen.Options{Seed: seed, Orders: orders, VoidStyle: voids}
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
			// config it would read.
			res, err := night(ctx, e, cfg, runOptions{date: date, unexplained: -1})
			if err != nil {
				return err
			}
			counts, w := res.Counts, e.stdout
			fmt.Fprintf(w, "\nreconkit demo: a generated night of %d orders against a sandbox at %s\n\n", orders, url)
			fmt.Fprintf(w, "  Xepeng orders          %8d\n", counts.Xepeng.Orders.Total())
			fmt.Fprintf(w, "  Xepeng payment links   %8d\n", counts.Xepeng.PaymentLinks.Total())
			fmt.Fprintf(w, "  OxPay transactions     %8d  (confirmed by id; %d ids unknown to the gateway)\n", counts.OxPay.Transactions.Total(), counts.OxPay.NotFound)
			fmt.Fprintf(w, "  webhook deliveries     %8d  (%d input errors)\n", counts.Webhooks.Rows, counts.Webhooks.Errors)
			fmt.Fprintf(w, "  ledger lines           %8d  (%d input errors)\n", counts.Ledger.Rows, counts.Ledger.Errors)
			fmt.Fprintf(w, "  anomalies injected     %8d  (answer key: %s)\n", len(data.Anomalies), filepath.Join(inbox, gen.ExpectedFile))
			fmt.Fprintf(w, "\n  run %d  database %s  inputs %s  took %.1fs\n", res.RunID, cfg.Database, inbox, time.Since(start).Seconds())
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "demo", "directory for the demo's inputs, database and reports")
	cmd.Flags().IntVar(&orders, "orders", 5000, "orders in the generated night")
	cmd.Flags().Int64Var(&seed, "seed", 1, "seed of the generated world")
	cmd.Flags().StringVar(&voidStyle, "void-style", string(gen.VoidSameID), voidStyleUsage)
	return cmd
}
