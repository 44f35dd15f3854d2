package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"time"

	"github.com/spf13/cobra"

	"github.com/reconkit/reconkit/config"
	"github.com/reconkit/reconkit/ingest"
	"github.com/reconkit/reconkit/internal/job"
	"github.com/reconkit/reconkit/recon"
)

// runOptions are the flags of recon run.
type runOptions struct {
	cf      configFlags
	date    string
	confirm string
	th      thresholds
}

func newRunCmd(e *env) *cobra.Command {
	var o runOptions
	cmd := &cobra.Command{
		Use:   "run",
		Short: "The nightly job: fetch, ingest, confirm and match, in one locked run",
		Long: `Run the night in order, as cron does:

  1. pull every page of Xepeng orders and payment links
  2. ingest the webhook logs matching inputs.webhooks
  3. ingest the ledger exports matching inputs.ledger
  4. confirm OxPay transactions by id as oxpay.confirm says
  5. match, store results and exceptions with the run, and write
     report_dir/exceptions-DATE.csv and .json
  6. write the finance workbook report_dir/recon-DATE.xlsx

Each phase stores its rows in one transaction, so a failed phase leaves the
database as the previous phase left it, and a re-run continues from there
(every load is idempotent). A lock file beside the database keeps two runs
from overlapping: the second exits 4. Each run is recorded in the runs
table with its status, counts, inputs and version.

--date (default: yesterday in the configured time zone) names the business
day the run is for.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runNight(cmd.Context(), e, o)
		},
	}
	o.cf.register(cmd)
	cmd.Flags().StringVar(&o.date, "date", "", "business date YYYY-MM-DD (default: yesterday in the configured time zone)")
	cmd.Flags().StringVar(&o.confirm, "oxpay-confirm", "", "all, unconfirmed or none (overrides oxpay.confirm)")
	o.th.register(cmd)
	return cmd
}

// businessDate resolves --date, defaulting to yesterday in zone.
func businessDate(flag string, zone *time.Location, now time.Time) (string, error) {
	if flag == "" {
		return now.In(zone).AddDate(0, 0, -1).Format("2006-01-02"), nil
	}
	d, err := time.ParseInLocation("2006-01-02", flag, zone)
	if err != nil {
		return "", usageError(fmt.Errorf("--date %q: want YYYY-MM-DD", flag))
	}
	return d.Format("2006-01-02"), nil
}

// runCounts is what the run record keeps of each phase.
type runCounts struct {
	Xepeng   job.XepengResult `json:"xepeng"`
	Webhooks job.IngestResult `json:"webhooks"`
	Ledger   job.IngestResult `json:"ledger"`
	OxPay    job.OxPayResult  `json:"oxpay"`
	Match    job.MatchResult  `json:"match"`
}

func runNight(ctx context.Context, e *env, o runOptions) (err error) {
	cfg, err := o.cf.load(e, func(c *config.Config) {
		if o.confirm != "" {
			c.OxPay.Confirm = o.confirm
		}
	})
	if err != nil {
		return err
	}
	date, err := businessDate(o.date, cfg.Location(), time.Now())
	if err != nil {
		return err
	}
	webhookFiles, err := globAll(cfg.Inputs.Webhooks)
	if err != nil {
		return err
	}
	ledgerFiles, err := globAll(cfg.Inputs.Ledger)
	if err != nil {
		return err
	}
	lopts, err := ledgerOptions(cfg)
	if err != nil {
		return err
	}
	mopts, err := matchOptions(cfg, date)
	if err != nil {
		return err
	}
	if err := o.th.validate(); err != nil {
		return err
	}

	lk, err := acquireLock(cfg.Database + ".lock")
	if err != nil {
		return err
	}
	defer lk.release()

	db, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	started := time.Now().UTC()
	runID, err := db.StartRun(ctx, recon.Run{Command: "run", BusinessDate: date, StartedAt: started, Status: recon.RunRunning, Version: Version})
	if err != nil {
		return fmt.Errorf("record run start: %w", err)
	}
	log := e.logger.With("run_id", runID, "business_date", date)
	log.Info("run started", "database", cfg.Database, "webhook_files", len(webhookFiles), "ledger_files", len(ledgerFiles))
	if len(webhookFiles) == 0 || len(ledgerFiles) == 0 {
		log.Warn("an input glob matched no file", "webhooks", cfg.Inputs.Webhooks, "ledger", cfg.Inputs.Ledger)
	}

	var counts runCounts
	defer func() {
		status, errText := recon.RunOK, ""
		if err != nil {
			status, errText = recon.RunFailed, err.Error()
		}
		c, _ := json.Marshal(counts)
		in, _ := json.Marshal(append(append([]ingest.Result{}, counts.Webhooks.Files...), counts.Ledger.Files...))
		// A cancelled context must not stop the run from being marked.
		if ferr := db.FinishRun(context.WithoutCancel(ctx), runID, status, errText, string(c), string(in)); ferr != nil && err == nil {
			err = fmt.Errorf("record run end: %w", ferr)
		}
		log.Info("run finished", "status", status, "seconds", time.Since(started).Seconds())
	}()

	if counts.Xepeng, err = job.PullXepeng(ctx, db, newXepeng(cfg, log), cfg.Xepeng.PageSize, units(cfg), log); err != nil {
		return err
	}
	wopts := ingest.WebhookOptions{SignKey: cfg.OxPay.SignKey, Units: units(cfg)}
	if counts.Webhooks, err = job.IngestWebhooks(ctx, db, webhookFiles, wopts, false, log); err != nil {
		return err
	}
	if counts.Ledger, err = job.IngestLedger(ctx, db, ledgerFiles, lopts, false, log); err != nil {
		return err
	}
	if counts.OxPay, err = job.ConfirmOxPay(ctx, db, newOxPay(cfg, log), cfg.OxPay.Confirm, units(cfg), nowUTC, log); err != nil {
		return err
	}
	if counts.Match, err = job.Match(ctx, db, runID, mopts, cfg.ReportDir, date, log); err != nil {
		return err
	}
	// The workbook shows the run's status, so the run is marked done
	// first; should the workbook fail, the deferred finish marks it failed.
	c, _ := json.Marshal(counts)
	if err = db.FinishRun(ctx, runID, recon.RunOK, "", string(c), ""); err != nil {
		return fmt.Errorf("record run end: %w", err)
	}
	wb := job.WorkbookName(cfg.ReportDir, date)
	if err = job.Workbook(ctx, db, runID, wb, date, cfg.Location(), log); err != nil {
		return err
	}
	counts.Match.Exports = append(counts.Match.Exports, wb)
	printSummary(e.stdout, runID, counts.Match)
	// Exceptions are results; only a threshold the caller set fails the run.
	return o.th.check(counts.Match.Summary)
}

// globAll expands config globs, sorted and without duplicates.
func globAll(patterns []string) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	for _, p := range patterns {
		m, err := filepath.Glob(p)
		if err != nil {
			return nil, usageError(fmt.Errorf("input glob %q: %w", p, err))
		}
		for _, f := range m {
			if !seen[f] {
				seen[f] = true
				out = append(out, f)
			}
		}
	}
	sort.Strings(out)
	return out, nil
}
