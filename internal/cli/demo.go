package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/reconkit/reconkit/config"
	"github.com/reconkit/reconkit/ingest"
	"github.com/reconkit/reconkit/internal/job"
	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/sandbox"
	"github.com/reconkit/reconkit/sandbox/gen"
)

func newDemoCmd(e *env) *cobra.Command {
	var (
		dir    string
		orders int
		seed   int64
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
			opts := gen.Options{Seed: seed, Orders: orders}
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
			if err := cfg.Validate(); err != nil {
				return err
			}
			// A demo starts from a clean database every time.
			for _, suffix := range []string{"", "-wal", "-shm"} {
				os.Remove(cfg.Database + suffix)
			}
			db, err := openStore(ctx, cfg)
			if err != nil {
				return err
			}
			defer db.Close()

			xr, err := job.PullXepeng(ctx, db, newXepeng(cfg, e.logger), cfg.Xepeng.PageSize, units(cfg), e.logger)
			if err != nil {
				return err
			}
			wr, err := job.IngestWebhooks(ctx, db, []string{filepath.Join(inbox, gen.WebhooksFile)},
				ingest.WebhookOptions{SignKey: cfg.OxPay.SignKey, Units: units(cfg)}, false, e.logger)
			if err != nil {
				return err
			}
			lopts, err := ledgerOptions(cfg)
			if err != nil {
				return err
			}
			lr, err := job.IngestLedger(ctx, db, []string{filepath.Join(inbox, gen.LedgerCSVFile)}, lopts, false, e.logger)
			if err != nil {
				return err
			}
			or, err := job.ConfirmOxPay(ctx, db, newOxPay(cfg, e.logger), job.ConfirmUnconfirmed, units(cfg), nowUTC, e.logger)
			if err != nil {
				return err
			}
			// The generated night runs over DefaultDays from the default
			// start; a business date a week later closes every settlement
			// window, so what is missing is missing.
			date := gen.DefaultStart(cfg.Location()).AddDate(0, 0, 7).Format("2006-01-02")
			mopts, err := matchOptions(cfg, date)
			if err != nil {
				return err
			}
			runID, err := db.StartRun(ctx, recon.Run{Command: "demo", BusinessDate: date, StartedAt: time.Now().UTC(), Status: recon.RunRunning, Version: Version})
			if err != nil {
				return err
			}
			mr, err := job.Match(ctx, db, runID, mopts, cfg.ReportDir, date, e.logger)
			if err != nil {
				return err
			}
			if err := db.FinishRun(ctx, runID, recon.RunOK, "", "", ""); err != nil {
				return err
			}
			wb := job.WorkbookName(cfg.ReportDir, date)
			if err := job.Workbook(ctx, db, runID, wb, date, cfg.Location(), e.logger); err != nil {
				return err
			}
			mr.Exports = append(mr.Exports, wb)
			w := e.stdout
			fmt.Fprintf(w, "\nreconkit demo: a generated night of %d orders against a sandbox at %s\n\n", orders, url)
			fmt.Fprintf(w, "  Xepeng orders          %8d\n", xr.Orders.Total())
			fmt.Fprintf(w, "  Xepeng payment links   %8d\n", xr.PaymentLinks.Total())
			fmt.Fprintf(w, "  OxPay transactions     %8d  (confirmed by id; %d ids unknown to the gateway)\n", or.Transactions.Total(), or.NotFound)
			fmt.Fprintf(w, "  webhook deliveries     %8d  (%d input errors)\n", wr.Rows, wr.Errors)
			fmt.Fprintf(w, "  ledger lines           %8d  (%d input errors)\n", lr.Rows, lr.Errors)
			fmt.Fprintf(w, "  anomalies injected     %8d  (answer key: %s)\n\n", len(data.Anomalies), filepath.Join(inbox, gen.ExpectedFile))
			printSummary(w, runID, mr)
			fmt.Fprintf(w, "\n  database  %s\n  inputs    %s\n  took      %.1fs\n", cfg.Database, inbox, time.Since(start).Seconds())
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "demo", "directory for the demo's inputs, database and reports")
	cmd.Flags().IntVar(&orders, "orders", 5000, "orders in the generated night")
	cmd.Flags().Int64Var(&seed, "seed", 1, "seed of the generated world")
	return cmd
}
