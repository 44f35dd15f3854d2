package reconcli

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/reconkit/reconkit/config"
	"github.com/reconkit/reconkit/ingest"
	"github.com/reconkit/reconkit/internal/job"
)

func newIngestCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ingest",
		Short: "Load webhook logs or ledger exports into the database",
		Long: `Load the webhook logs the merchant's receiver wrote, or finance's ledger
exports, into the database. Each command stores all its files in one
transaction. A line that cannot be used becomes an input error (file, line,
text, reason) and the rest still loads; --strict instead stores nothing and
exits 1 when any line is bad. Ingesting the same file again adds nothing.`,
	}
	cmd.AddCommand(newIngestWebhooksCmd(e), newIngestLedgerCmd(e))
	return cmd
}

func newIngestWebhooksCmd(e *env) *cobra.Command {
	var (
		cf       configFlags
		strict   bool
		reverify bool
	)
	cmd := &cobra.Command{
		Use:   "webhooks FILE...",
		Short: "Load webhook logs (JSON Lines, .jsonl or .jsonl.gz)",
		Long: `Load webhook logs: one delivery per line,
  {"received_at": RFC 3339, "headers": {"Signature": "..."}, "body": <payload>}
where body is the JSON object as received or a JSON string of the raw bytes.
Each delivery's Signature is verified with oxpay.sign_key (OXPAY_SIGN_KEY)
over the raw bytes or their compact form; unsigned and badly signed
deliveries are stored and flagged, never trusted.

Stored deliveries that failed under another sign key are verified again
with this one first (a wrong OXPAY_SIGN_KEY, since corrected). When more
than webhooks.max_bad_signature_share of a log's signed deliveries fail,
the command says to check OXPAY_SIGN_KEY and exits 2. --reverify also
verifies again every stored delivery of the given logs that failed,
whatever key failed it, from the logs themselves: the way to mend
deliveries stored before recon kept their signatures.`,
		Args: minArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := cf.loadFor(e, nil, config.OxPaySignKey) // verifies signatures, calls no API
			if err != nil {
				return err
			}
			paths, err := expand(args)
			if err != nil {
				return err
			}
			o := job.WebhookPhaseOptions{Read: ingest.WebhookOptions{SignKey: cfg.OxPay.SignKey, Units: units(cfg)},
				Strict: strict, FromLogs: reverify, MaxBadSignatureShare: cfg.Webhooks.MaxBadSignatureShare}
			var warnings []string
			err = runIngest(cmd.Context(), e, cfg, "ingest webhooks", func(ctx context.Context, s *job.Session) (job.IngestResult, error) {
				p, err := job.Webhooks(ctx, s.DB, paths, o, s.Log)
				if err == nil && reverify {
					fmt.Fprintf(e.stdout, "verified again: %d stored deliveries that had failed, %d of them verify now\n", p.FromLogs.Checked, p.FromLogs.Passed)
				}
				warnings = p.Warnings
				return p.Ingest, err
			})
			if err != nil {
				return err
			}
			return signKeyError(warnings)
		},
	}
	cf.register(cmd)
	cmd.Flags().BoolVar(&strict, "strict", false, "fail (exit 1, nothing stored) if any line is bad")
	cmd.Flags().BoolVar(&reverify, "reverify", false, "also verify again, from these logs, every stored delivery of theirs that failed its signature check")
	return cmd
}

func newIngestLedgerCmd(e *env) *cobra.Command {
	var (
		cf     configFlags
		strict bool
		sheet  string
	)
	cmd := &cobra.Command{
		Use:   "ledger FILE...",
		Short: "Load ledger exports (.csv or .xlsx) with the configured column mapping",
		Long: `Load finance's ledger exports. Columns, date layout, separators and the
default currency come from the ledger section of the config; the default
is the sandbox's export (Date,Reference,Description,Debit,Credit,Currency,
DD/MM/YYYY, 1.250.000,00). A header without a mapped column fails the
command naming the column.`,
		Args: minArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := cf.loadFor(e, func(c *config.Config) {
				if sheet != "" {
					c.Ledger.Sheet = sheet
				}
			}, 0) // the ledger needs no credential
			if err != nil {
				return err
			}
			paths, err := expand(args)
			if err != nil {
				return err
			}
			opts, err := ledgerOptions(cfg)
			if err != nil {
				return err
			}
			return runIngest(cmd.Context(), e, cfg, "ingest ledger", func(ctx context.Context, s *job.Session) (job.IngestResult, error) {
				return job.IngestLedger(ctx, s.DB, paths, opts, strict, s.Log)
			})
		},
	}
	cf.register(cmd)
	cmd.Flags().BoolVar(&strict, "strict", false, "fail (exit 1, nothing stored) if any row is bad")
	cmd.Flags().StringVar(&sheet, "sheet", "", "XLSX sheet to read (default: the first)")
	return cmd
}

// ledgerOptions turns the ledger section into reader options.
func ledgerOptions(cfg config.Config) (ingest.LedgerOptions, error) {
	l := cfg.Ledger
	layout, err := config.GoDateLayout(l.DateLayout)
	if err != nil {
		return ingest.LedgerOptions{}, usageError(fmt.Errorf("ledger.date_layout: %w", err))
	}
	f := l.Format()
	delim, auto := l.DelimiterRune()
	if auto {
		delim = ingest.AutoDelimiter
	}
	return ingest.LedgerOptions{
		Delimiter: delim,
		Date:      l.Columns.Date, Reference: l.Columns.Reference, Description: l.Columns.Description,
		Amount: l.Columns.Amount, Debit: l.Columns.Debit, Credit: l.Columns.Credit,
		Currency: l.Columns.Currency, TxnType: l.Columns.TxnType, Fee: l.Columns.Fee,
		DateLayout: layout, Decimal: f.Decimal, Thousands: f.Thousands,
		DefaultCurrency: l.DefaultCurrency, Sheet: l.Sheet,
	}, nil
}

// expand resolves glob patterns; a pattern that matches nothing is an
// error naming it, so a missing export is never silently skipped.
func expand(patterns []string) ([]string, error) {
	var out []string
	for _, p := range patterns {
		m, err := filepath.Glob(p)
		if err != nil {
			return nil, usageError(fmt.Errorf("pattern %q: %w", p, err))
		}
		if len(m) == 0 {
			return nil, usageError(fmt.Errorf("%s: no such file", p))
		}
		sort.Strings(m)
		out = append(out, m...)
	}
	return out, nil
}

// runIngest runs an ingest as a recorded run of command.
func runIngest(ctx context.Context, e *env, cfg config.Config, command string, load func(context.Context, *job.Session) (job.IngestResult, error)) (err error) {
	s, err := job.Begin(ctx, job.SessionOptions{Command: command, Database: cfg.Database, Merchant: cfg.Merchant, ReportDir: cfg.ReportDir,
		Version: Version, Log: e.logger})
	if err != nil {
		return err
	}
	var res job.IngestResult
	defer func() { err = s.Finish(err, res, res.Files) }()
	res, err = load(ctx, s)
	return reportIngest(e, res, err)
}

// inputErrorText names an input error's file and line once: the ingest
// readers start a reason with its line ("line 4: ..."), so the line is
// said there rather than again after the file.
func inputErrorText(file string, line int, reason string) string {
	if strings.HasPrefix(reason, "line ") || strings.HasPrefix(reason, "lines ") {
		return file + ": " + reason
	}
	return fmt.Sprintf("%s:%d: %s", file, line, reason)
}

// reportIngest prints the first input errors so the person at the
// terminal sees them, and turns --strict failures into exit 1.
func reportIngest(e *env, res job.IngestResult, err error) error {
	for _, ie := range res.First {
		fmt.Fprintf(e.stderr, "input error: %s\n", inputErrorText(ie.File, ie.Line, ie.Reason))
	}
	if n := res.Errors - len(res.First); n > 0 {
		fmt.Fprintf(e.stderr, "... and %d more input errors (all stored)\n", n)
	}
	var se *job.StrictError
	if errors.As(err, &se) {
		return withCode(ExitThreshold, err)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%d files, %d rows read, %d added, %d input errors, %d already ingested\n",
		len(res.Files), res.Rows, res.Added, res.Errors, len(res.Skipped))
	return nil
}
