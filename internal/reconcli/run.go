package reconcli

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/reconkit/reconkit/config"
	"github.com/reconkit/reconkit/ingest"
	"github.com/reconkit/reconkit/internal/job"
	"github.com/reconkit/reconkit/reports"
)

// runOptions are the flags of recon run.
type runOptions struct {
	cf      configFlags
	date    string
	confirm string
	full    bool
	th      thresholds
	// unexplained is --fail-on-unexplained: the largest unexplained
	// control difference, in minor units, a run may end with; -1 is off.
	unexplained int64
}

func newRunCmd(e *env) *cobra.Command {
	var o runOptions
	cmd := &cobra.Command{
		Use:   "run",
		Short: "The nightly job: fetch, ingest, confirm and match, in one locked run",
		Long: `Run the night in order, as cron does:

  1. pull Xepeng orders and payment links: the pages from the last pull's
     newest item minus xepeng.lookback (every page on the first run, or
     with --full)
  2. ingest the webhook logs matching inputs.webhooks
  3. ingest the ledger exports matching inputs.ledger
  4. confirm OxPay transactions by id as oxpay.confirm says
  5. match, store results and exceptions with the run, carry open
     exceptions forward (first seen, age), and write
     report_dir/exceptions-DATE.csv and .json and resolved-DATE.csv
  6. write the finance workbook report_dir/recon-DATE.xlsx

Each phase stores its rows in one transaction, so a failed phase leaves the
database as the previous phase left it, and a re-run continues from there
(every load is idempotent). Reports are written to a temporary file and
renamed, so the previous night's stay whole until the new ones are. A
re-run of a date replaces that date's results, and the files, only once
it has succeeded whole: results, exports and workbook; a re-run that
fails leaves the date's previous run, its files and the ageing of its
exceptions as they were. A lock file beside the database keeps two runs
from overlapping: the second exits 4. Each run is recorded in the runs
table with its status, counts, inputs and version.
All calls to the APIs share one deadline (http.deadline).

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
	cmd.Flags().BoolVar(&o.full, "full", false, "read every page of orders and payment links, not only those since the last pull")
	cmd.Flags().Int64Var(&o.unexplained, "fail-on-unexplained", -1, "exit 1 if the control's unexplained difference in any currency exceeds this many minor units (0: any; -1: off)")
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
	// Reverified counts the stored deliveries verified again with this
	// run's sign key; Warnings are what the run found wrong with its own
	// footing (a sign key that failed most signatures), shown first on
	// the workbook's Summary.
	Reverified job.ReverifyResult `json:"reverified"`
	Warnings   []string           `json:"warnings,omitempty"`
}

func runNight(ctx context.Context, e *env, o runOptions) error {
	cfg, err := o.cf.load(e, func(c *config.Config) {
		if o.confirm != "" {
			c.OxPay.Confirm = o.confirm
		}
	})
	if err != nil {
		return err
	}
	_, _, err = night(ctx, e, cfg, o)
	return err
}

// night runs the whole night on a validated config and prints the
// summary; demo runs it too. It returns the run's id and counts.
func night(ctx context.Context, e *env, cfg config.Config, o runOptions) (runID int64, counts runCounts, err error) {
	date, err := businessDate(o.date, cfg.Location(), time.Now())
	if err != nil {
		return 0, counts, err
	}
	webhookFiles, err := globAll(cfg.Inputs.Webhooks)
	if err != nil {
		return 0, counts, err
	}
	ledgerFiles, err := globAll(cfg.Inputs.Ledger)
	if err != nil {
		return 0, counts, err
	}
	lopts, err := ledgerOptions(cfg)
	if err != nil {
		return 0, counts, err
	}
	mopts, err := matchOptions(cfg, date)
	if err != nil {
		return 0, counts, err
	}
	if err := o.th.validate(); err != nil {
		return 0, counts, err
	}
	if o.cf.path != "" {
		// A config file others can read must not hold a secret.
		ws, err := config.FileWarnings(o.cf.path)
		if err != nil {
			return 0, counts, usageError(err)
		}
		for _, w := range ws {
			e.logger.Warn(w)
		}
	}

	s, err := job.Begin(ctx, job.SessionOptions{Command: "run", BusinessDate: date, Database: cfg.Database,
		ReportDir: cfg.ReportDir, Reports: true, Version: Version, Log: e.logger})
	if err != nil {
		return 0, counts, err
	}
	runID, db, log := s.RunID, s.DB, s.Log
	defer func() { err = s.Finish(err, counts, runInputs(counts)) }()
	log.Info("inputs found", "webhook_files", len(webhookFiles), "ledger_files", len(ledgerFiles))
	if len(webhookFiles) == 0 || len(ledgerFiles) == 0 {
		log.Warn("an input glob matched no file", "webhooks", cfg.Inputs.Webhooks, "ledger", cfg.Inputs.Ledger)
	}

	// Every API call of the run shares one deadline, retries included.
	netCtx, cancel := context.WithDeadline(ctx, s.Started.Add(cfg.HTTP.Deadline))
	defer cancel()
	pull := job.PullOptions{PageSize: cfg.Xepeng.PageSize, Lookback: cfg.Xepeng.Lookback, Full: o.full}
	if counts.Xepeng, err = job.PullXepeng(netCtx, db, newXepeng(e, cfg, log), pull, units(cfg), log); err != nil {
		return runID, counts, deadlineError(netCtx, cfg, err)
	}
	// Deliveries a wrong sign key failed on an earlier night are
	// verified again with tonight's key before anything is matched.
	if counts.Reverified, err = job.ReverifyWebhooks(ctx, db, cfg.OxPay.SignKey, false, log); err != nil {
		return runID, counts, err
	}
	wopts := ingest.WebhookOptions{SignKey: cfg.OxPay.SignKey, Units: units(cfg)}
	if counts.Webhooks, err = job.IngestWebhooks(ctx, db, webhookFiles, wopts, false, log); err != nil {
		return runID, counts, err
	}
	counts.Warnings = job.SignKeyWarnings(counts.Webhooks.Files, cfg.Webhooks.MaxBadSignatureShare)
	for _, w := range counts.Warnings {
		log.Error(w)
	}
	if counts.Ledger, err = job.IngestLedger(ctx, db, ledgerFiles, lopts, false, log); err != nil {
		return runID, counts, err
	}
	if counts.OxPay, err = job.ConfirmOxPay(netCtx, db, newOxPay(cfg, log), cfg.OxPay.Confirm, units(cfg), nowUTC, log); err != nil {
		return runID, counts, deadlineError(netCtx, cfg, err)
	}
	// The exports and the workbook are staged; the commit puts them in
	// place and, in the same transaction, records the run ok and replaces
	// the date's earlier runs. Until then those stand, files and all.
	files := s.Files()
	if counts.Match, err = job.Match(ctx, db, runID, mopts, files, cfg.ReportDir, date, log); err != nil {
		return runID, counts, err
	}
	wb := job.WorkbookName(cfg.ReportDir, date)
	var control []reports.ControlLine
	err = job.Workbook(ctx, db, runID, job.WorkbookOptions{Path: wb, Date: date, Zone: cfg.Location(), Files: files,
		OnControl: func(c []reports.ControlLine) { control = c }, LinkHosts: cfg.LinkHosts(), Warnings: counts.Warnings}, log)
	if err != nil {
		return runID, counts, err
	}
	if _, err = s.Commit(ctx, files, func(replaced int) (any, any) {
		counts.Match.Replaced = replaced
		return counts, runInputs(counts)
	}); err != nil {
		return runID, counts, err
	}
	counts.Match.Exports = files.Paths()
	printSummary(e.stdout, runID, counts.Match)
	// A sign key that failed most signatures is the first thing to fix:
	// every finding about webhooks rests on it.
	if err = signKeyError(counts.Warnings); err != nil {
		return runID, counts, err
	}
	// Exceptions are results; only a threshold the caller set fails the
	// command, and the run stays ok.
	if err = o.th.check(counts.Match.Summary); err != nil {
		return runID, counts, err
	}
	return runID, counts, unexplainedCheck(o.unexplained, control)
}

// signKeyError is the error a command ends with when a sign key failed
// most of a log's signatures: exit 2, as for any credential to fix rather
// than retry (recon run ends so after its reports are written).
func signKeyError(warnings []string) error {
	if len(warnings) == 0 {
		return nil
	}
	return withCode(ExitUsage, fmt.Errorf("%s (a run with the right key verifies the stored deliveries again)",
		strings.Join(warnings, "; ")))
}

// runInputs is the input files a night read, for its run record.
func runInputs(c runCounts) []ingest.Result {
	return append(append([]ingest.Result{}, c.Webhooks.Files...), c.Ledger.Files...)
}

// deadlineError says plainly when a network phase failed because the
// run's http.deadline passed (which exits 3, as an unreachable source).
func deadlineError(ctx context.Context, cfg config.Config, err error) error {
	if errors.Is(context.Cause(ctx), context.DeadlineExceeded) && errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("http.deadline of %s passed: %w", cfg.HTTP.Deadline, err)
	}
	return err
}

// unexplainedCheck fails with exit 1 when a currency's unexplained
// control difference exceeds limit minor units (limit < 0: no check).
func unexplainedCheck(limit int64, control []reports.ControlLine) error {
	if limit < 0 {
		return nil
	}
	var crossed []string
	for _, l := range control {
		if u := l.Unexplained; u > limit || -u > limit {
			crossed = append(crossed, fmt.Sprintf("%s %d minor units", l.Currency, u))
		}
	}
	if len(crossed) > 0 {
		return withCode(ExitThreshold, fmt.Errorf("threshold crossed: unexplained control difference %s (limit %d minor units)", strings.Join(crossed, ", "), limit))
	}
	return nil
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
