package reconcli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/reconkit/reconkit/config"
	"github.com/reconkit/reconkit/internal/job"
	"github.com/reconkit/reconkit/match"
	"github.com/reconkit/reconkit/recon"
)

func newMatchCmd(e *env) *cobra.Command {
	var (
		cf    configFlags
		date  string
		whole bool
		th    thresholds
	)
	cmd := &cobra.Command{
		Use:   "match",
		Short: "Match what the database holds and write the exceptions",
		Long: `Match orders, payment links, gateway transactions, webhook deliveries and
ledger lines already in the database (those changed since the last good
run and what they reach, unless --whole-match; see recon run), store the
results and exceptions with a new run, and write report_dir/exceptions-DATE.csv and .json and
resolved-DATE.csv. A re-run of a date replaces the date's earlier run,
and its files, only once it has succeeded. Takes the run lock (exit 4
while a run holds it).

Exit 1 when a threshold set by --fail-on-category is crossed.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := cf.loadFor(e, nil, 0) // offline: no API is called
			if err != nil {
				return err
			}
			d, err := businessDate(date, cfg.Location(), time.Now())
			if err != nil {
				return err
			}
			opts, err := matchOptions(cfg, d)
			if err != nil {
				return err
			}
			opts.Whole = whole
			if err := th.validate(); err != nil {
				return err
			}
			return runMatch(cmd.Context(), e, cfg, d, opts, th)
		},
	}
	cf.register(cmd)
	cmd.Flags().StringVar(&date, "date", "", "business date YYYY-MM-DD (default: yesterday in the configured time zone)")
	cmd.Flags().BoolVar(&whole, "whole-match", false, "match every stored row, not only those changed since the last good run and what they reach")
	th.register(cmd)
	return cmd
}

// runMatch matches what the database holds as a recorded run for date:
// staged exports, then one commit that puts them in place, records the
// run ok and replaces the date's earlier runs.
func runMatch(ctx context.Context, e *env, cfg config.Config, date string, opts match.Options, th thresholds) (err error) {
	s, err := job.Begin(ctx, job.SessionOptions{Command: "match", BusinessDate: date, Database: cfg.Database, Merchant: cfg.Merchant,
		ReportDir: cfg.ReportDir, Reports: true, Version: Version, Log: e.logger})
	if err != nil {
		return err
	}
	var res job.MatchResult
	defer func() { err = s.Finish(err, res, nil) }()
	files := s.Files()
	if res, err = job.Match(ctx, s.DB, s.RunID, opts, files, cfg.ReportDir, date, s.Log); err != nil {
		return err
	}
	if _, err = s.Commit(ctx, files, func(replaced int) (any, any) {
		res.Replaced = replaced
		return res, nil
	}); err != nil {
		return err
	}
	printSummary(e.stdout, s.RunID, res)
	return th.check(res)
}

// matchOptions maps the matching section onto the engine's options for a
// business date: windows that have not closed by the end of that day are
// pending, not missing.
func matchOptions(cfg config.Config, date string) (match.Options, error) {
	opts := engineOptions(cfg)
	// loadFor has checked the engine's rules (matchProblems); the check
	// here stands guard for a caller that changed the config since.
	if err := opts.Validate(); err != nil {
		return opts, usageError(fmt.Errorf("matching: %w", err))
	}
	d, err := time.ParseInLocation("2006-01-02", date, cfg.Location())
	if err != nil {
		return opts, usageError(fmt.Errorf("business date %q: %w", date, err))
	}
	opts.AsOf = d
	return opts, nil
}

// engineOptions maps the matching section onto the engine's options. A
// percent that does not read is left at 0: config.Validate reports it.
func engineOptions(cfg config.Config) match.Options {
	m := cfg.Matching
	opts := match.DefaultOptions()
	opts.Zone = cfg.Location()
	if m.Reference != "" {
		opts.Reference = m.Reference
	}
	opts.ToleranceAbs = m.Tolerance.AbsoluteMinor
	opts.TolerancePercentE4, _ = m.Tolerance.PercentE4()
	if w := m.SettlementWindow; len(w) == 2 {
		opts.SettlementMinDays, opts.SettlementMaxDays = w[0], w[1]
	}
	opts.ReplayWindow, opts.WeekendRoll, opts.PaymentLag = m.ReplayWindow, m.WeekendRoll, m.PaymentLag
	if s := cfg.Settlement; s != nil {
		// Values that do not read are config.Validate's to report, by
		// their YAML path and line; what reads is mapped.
		so := &match.SettlementOptions{}
		so.Schedule, _ = s.Schedule()
		so.Calendar, _ = s.Calendar(opts.Zone)
		so.Pattern, _ = s.Pattern()
		opts.Settlement = so
	}
	return opts
}

// matchKeys names the config key each engine option comes from, so the
// engine's rules (match.Options.Validate, their one home) are reported
// by YAML path with the config's other problems.
var matchKeys = map[string]string{
	"Reference":           "matching.reference",
	"ToleranceAbs":        "matching.tolerance.absolute_minor",
	"TolerancePercentE4":  "matching.tolerance.percent",
	"PaymentLag":          "matching.payment_lag",
	"ReplayWindow":        "matching.replay_window",
	"SettlementWindow":    "matching.settlement_window_days",
	"Settlement.Fees":     "settlement.fees",
	"Settlement.Calendar": "settlement",
	"Settlement.Pattern":  "settlement.reference_pattern",
}

// matchProblems checks the engine's rules on the matching section and
// names each problem by its YAML path.
func matchProblems(cfg config.Config) config.Problems {
	var mp match.Problems
	if !errors.As(engineOptions(cfg).Validate(), &mp) {
		return nil
	}
	var out config.Problems
	for _, p := range mp {
		key := matchKeys[p.Field]
		if key == "" {
			key = "matching"
		}
		out = append(out, key+": "+p.Message)
	}
	return out
}

// thresholds are the --fail-on-* flags: crossing one makes a completed
// run exit 1, so cron or CI can alert on it.
type thresholds struct {
	categories []string
}

func (t *thresholds) register(cmd *cobra.Command) {
	cmd.Flags().StringSliceVar(&t.categories, "fail-on-category", nil, "exit 1 if any exception of these categories is found, not counting those accepted or written off (e.g. LEDGER_MISSING,AMOUNT_MISMATCH)")
}

func (t *thresholds) validate() error {
	for _, c := range t.categories {
		if _, ok := recon.Category(strings.TrimSpace(c)).Info(); !ok {
			codes := make([]string, len(recon.Categories))
			for i, info := range recon.Categories {
				codes[i] = string(info.Code)
			}
			return usageError(fmt.Errorf("--fail-on-category %q is not a category; the categories are %s", c, strings.Join(codes, ", ")))
		}
	}
	return nil
}

// check fails with exit 1 when a run has exceptions of a category
// --fail-on-category names, other than those finance accepted or wrote
// off on the money they have.
func (t *thresholds) check(res job.MatchResult) error {
	if err := t.validate(); err != nil {
		return err
	}
	var crossed []string
	for _, c := range t.categories {
		code := recon.Category(strings.TrimSpace(c))
		if n := res.Summary.Count(code) - res.Decisions.ByCategory[code]; n > 0 {
			crossed = append(crossed, fmt.Sprintf("%s: %d", c, n))
		}
	}
	if len(crossed) > 0 {
		return withCode(ExitThreshold, fmt.Errorf("threshold crossed: %s", strings.Join(crossed, ", ")))
	}
	return nil
}

// printSummary writes the one-screen summary a person reads after a run.
func printSummary(w io.Writer, runID int64, res job.MatchResult) {
	s := res.Summary
	fmt.Fprintf(w, "run %d: %d transactions, %d matched clean (%.1f%%), %d exceptions, %d pending settlement\n",
		runID, s.Results, s.Matched, 100*s.MatchRate, s.Exceptions, s.PendingSettlement)
	byCat := map[recon.Category]int{}
	for _, c := range s.Categories {
		byCat[c.Category] += c.Count
	}
	for _, info := range recon.Categories {
		if n := byCat[info.Code]; n > 0 {
			fmt.Fprintf(w, "  %-28s %6d  %s\n", info.Code, n, info.Severity)
		}
	}
	for _, p := range res.Exports {
		fmt.Fprintf(w, "  wrote %s\n", p)
	}
}
