package reconcli

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/reconkit/reconkit/config"
	"github.com/reconkit/reconkit/fetch"
	"github.com/reconkit/reconkit/internal/job"
	"github.com/reconkit/reconkit/reports"
)

// runOptions are the flags of recon run.
type runOptions struct {
	cf      configFlags
	date    string
	confirm string
	full    bool
	// whole is --whole-match (match.Options.Whole).
	whole bool
	th    thresholds
	// unexplained is --fail-on-unexplained: the largest unexplained
	// control difference, in minor units, a run may end with; -1 is off.
	unexplained int64
	// summaryHTML is --summary-html: summary-DATE.html beside the .md.
	summaryHTML bool
	// ownSummary says the caller prints the run's summary itself (the
	// demo, which puts its headline first).
	ownSummary bool
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
  5. match what the night's input reached (every row on a first night,
     after a change of rules or options, with net settlements, or with
     --whole-match), carry the exceptions it did not reach over from the
     last good run, store results and exceptions with the run, age the
     open exceptions (first seen), and write
     report_dir/exceptions-DATE.csv and .json and resolved-DATE.csv
  6. write the finance workbook report_dir/recon-DATE.xlsx, and
     report_dir/summary-DATE.md, the night in figures for a chat or an
     e-mail (with --summary-html also summary-DATE.html, one page with a
     chart, the same figures)

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
	cmd.Flags().BoolVar(&o.whole, "whole-match", false, "match every stored row, not only those the night's input reached")
	cmd.Flags().Int64Var(&o.unexplained, "fail-on-unexplained", -1, "exit 1 if the control's unexplained difference in any currency exceeds this many minor units (0: any; -1: off); what exceptions accepted or written off explain is not unexplained")
	cmd.Flags().BoolVar(&o.summaryHTML, "summary-html", false, "also write report_dir/summary-DATE.html: the summary as one self-contained page with a chart")
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

func runNight(ctx context.Context, e *env, o runOptions) error {
	cfg, err := o.cf.load(e, func(c *config.Config) {
		if o.confirm != "" {
			c.OxPay.Confirm = o.confirm
		}
	})
	if err != nil {
		return err
	}
	_, err = night(ctx, e, cfg, o)
	return err
}

// night runs job.Night on a validated config, prints the summary and
// applies the thresholds; demo runs it too.
func night(ctx context.Context, e *env, cfg config.Config, o runOptions) (job.NightResult, error) {
	date, err := businessDate(o.date, cfg.Location(), time.Now())
	if err != nil {
		return job.NightResult{}, err
	}
	webhookFiles, err := globAll(cfg.Inputs.Webhooks)
	if err != nil {
		return job.NightResult{}, err
	}
	ledgerFiles, err := globAll(cfg.Inputs.Ledger)
	if err != nil {
		return job.NightResult{}, err
	}
	lopts, err := ledgerOptions(cfg)
	if err != nil {
		return job.NightResult{}, err
	}
	mopts, err := matchOptions(cfg, date)
	if err != nil {
		return job.NightResult{}, err
	}
	mopts.Whole = o.whole
	if err := o.th.validate(); err != nil {
		return job.NightResult{}, err
	}
	if o.cf.path != "" {
		// A config file others can read must not hold a secret.
		ws, err := config.FileWarnings(o.cf.path)
		if err != nil {
			return job.NightResult{}, usageError(err)
		}
		for _, w := range ws {
			e.logger.Warn(w)
		}
	}

	// A bar on the terminal follows the night's phases (none under cron).
	log, stopBar := e.startPhases(nightPhases(len(webhookFiles), len(ledgerFiles)))
	res, err := job.Night(ctx, job.NightOptions{
		BusinessDate:         date,
		Zone:                 cfg.Location(),
		Database:             cfg.Database,
		Merchant:             cfg.Merchant,
		ReportDir:            cfg.ReportDir,
		Version:              Version,
		Log:                  log,
		WebhookFiles:         webhookFiles,
		LedgerFiles:          ledgerFiles,
		WebhookGlobs:         cfg.Inputs.Webhooks,
		LedgerGlobs:          cfg.Inputs.Ledger,
		Xepeng:               func(log *slog.Logger) *fetch.Xepeng { return newXepeng(e, cfg, log) },
		OxPay:                func(log *slog.Logger) *fetch.OxPay { return newOxPay(e, cfg, log) },
		Pull:                 job.PullOptions{PageSize: cfg.Xepeng.PageSize, Lookback: cfg.Xepeng.Lookback, Full: o.full},
		Confirm:              cfg.OxPay.Confirm,
		Deadline:             cfg.HTTP.Deadline,
		Units:                units(cfg),
		SignKey:              cfg.OxPay.SignKey,
		MaxBadSignatureShare: cfg.Webhooks.MaxBadSignatureShare,
		Ledger:               lopts,
		Match:                mopts,
		LinkHosts:            cfg.LinkHosts(),
		SummaryHTML:          o.summaryHTML,
	})
	stopBar()
	if err != nil {
		return res, err
	}
	if !o.ownSummary {
		printSummary(e.stdout, res.RunID, res.Counts.Match)
	}
	// A sign key that failed most signatures is the first thing to fix:
	// every finding about webhooks rests on it.
	if err := signKeyError(res.Counts.Warnings); err != nil {
		return res, err
	}
	// Exceptions are results; only a threshold the caller set fails the
	// command, and the run stays ok.
	if err := o.th.check(res.Counts.Match); err != nil {
		return res, err
	}
	return res, unexplainedCheck(o.unexplained, res.Control)
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
