package reconcli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/user"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/reconkit/reconkit/config"
	"github.com/reconkit/reconkit/decide"
	"github.com/reconkit/reconkit/internal/job"
	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/reports"
)

func newDecisionsCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "decisions",
		Short: "Finance's decisions on exceptions: import them from the workbook, export and verify their history",
		Long: `Finance answers the workbook in the workbook: on each category sheet, pick
a Decision for an exception (open, investigating, accepted, written off,
fixed at source) and write why in Note, save, and import the file. Each
decision is kept, never changed, with who made it, when, from which file
(its SHA-256), the decision before it and the money it was made on; each
entry holds the hash of the one before, so an edited history is found.

The next night shows each exception's latest decision on its sheet.
Accepted and written-off exceptions need no action (they leave the
Summary's first section and --fail-on-category) but stay in the control
as explained by decision; when their amounts change they reopen.`,
	}
	cmd.AddCommand(newDecisionsImportCmd(e), newDecisionsExportCmd(e), newDecisionsVerifyCmd(e))
	return cmd
}

// decisionsImportOptions are the flags of recon decisions import.
type decisionsImportOptions struct {
	cf   configFlags
	by   string
	date string
}

func newDecisionsImportCmd(e *env) *cobra.Command {
	var o decisionsImportOptions
	cmd := &cobra.Command{
		Use:   "import FILE.xlsx|FILE.csv",
		Short: "Record the decisions of a workbook finance saved, or of a CSV",
		Long: `Read finance's decisions back and record them: from the workbook recon
wrote, as saved by Excel or LibreOffice (the Decision and Note columns of
its category sheets; rows are known by their hidden Exception key), or
from a CSV with the columns key, decision and note (comma-separated; the
keys are the workbook's, or those recon decisions export writes).

Decisions are checked against the latest successful run of their date:
the workbook's own date, or for a CSV --date (default: the latest date
matched). A row that shows what the workbook showed adds nothing; to undo
a decision, choose open. An unknown key, a key of another merchant or
date, a decision not in the list, a renamed sheet or a deleted key column
is an error naming the sheet and row; every problem is listed, and
nothing is recorded (exit 2). Takes the run lock (exit 4 while a run
holds it).`,
		Args: func(cmd *cobra.Command, args []string) error { return usageError(cobra.ExactArgs(1)(cmd, args)) },
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := o.cf.loadFor(e, nil, 0) // offline: no API is called
			if err != nil {
				return err
			}
			if o.date != "" {
				if _, err := time.Parse(time.DateOnly, o.date); err != nil {
					return usageError(fmt.Errorf("--date %q: want YYYY-MM-DD", o.date))
				}
			}
			by, err := decider(e, o.by)
			if err != nil {
				return err
			}
			return runDecisionsImport(cmd.Context(), e, cfg, job.ImportOptions{Path: args[0], Date: o.date, By: by})
		},
	}
	o.cf.register(cmd)
	cmd.Flags().StringVar(&o.by, "by", "", "who decided (default: the user running recon)")
	cmd.Flags().StringVar(&o.date, "date", "", "business date YYYY-MM-DD a CSV's decisions are for (default: the latest matched); a workbook names its own")
	return cmd
}

// decider is who the decisions are recorded as: --by, else the user
// running recon.
func decider(e *env, by string) (string, error) {
	if by = strings.TrimSpace(by); by != "" {
		return by, nil
	}
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username, nil
	}
	for _, k := range []string{"USER", "USERNAME", "LOGNAME"} {
		if v := e.getenv(k); v != "" {
			return v, nil
		}
	}
	return "", usageError(errors.New("cannot tell who is running recon: say who decided with --by NAME"))
}

func runDecisionsImport(ctx context.Context, e *env, cfg config.Config, o job.ImportOptions) (err error) {
	s, err := job.Begin(ctx, job.SessionOptions{Command: "decisions import", Database: cfg.Database, Merchant: cfg.Merchant,
		Version: Version, Log: e.logger})
	if err != nil {
		return err
	}
	var res job.ImportResult
	defer func() { err = s.Finish(err, res, []string{o.Path}) }()
	res, err = job.ImportDecisions(ctx, s.DB, o, s.Log)
	if errors.Is(err, job.ErrBadDecisions) {
		return usageError(err)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "imported %s (sha256 %s): %d rows read, %d decisions recorded by %s against run %d of %s; the history has %d entries, head %s\n",
		res.File, res.SHA256, res.Rows, res.Recorded, o.By, res.RunID, res.Date, res.Seq, headText(res.Head))
	return nil
}

// headText is a history's head hash as printed.
func headText(h string) string {
	if h == "" {
		return "(empty)"
	}
	return h
}

func newDecisionsExportCmd(e *env) *cobra.Command {
	var (
		cf  configFlags
		out string
	)
	cmd := &cobra.Command{
		Use:   "export [--out FILE]",
		Short: "Write the decision history as CSV",
		Long: `Write every decision of the merchant, in the order recorded, as CSV: the
exception's key, the decision and note, then the entry's number, run,
money decided on, the decision before, who, when (UTC), the file and its
SHA-256, and the chain's hashes. To stdout, or to --out (written to a
temporary file and renamed).`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, ds, err := readHistory(cmd.Context(), e, cf)
			if err != nil {
				return err
			}
			write := func(w io.Writer) error { return reports.WriteDecisionsCSV(w, ds) }
			if out == "" {
				return write(e.stdout)
			}
			if err := reports.WriteFileAtomic(out, write); err != nil {
				return err
			}
			fmt.Fprintf(e.stderr, "wrote %s: %d decisions\n", out, len(ds))
			return nil
		},
	}
	cf.register(cmd)
	cmd.Flags().StringVar(&out, "out", "", "write the CSV to this file rather than stdout")
	return cmd
}

func newDecisionsVerifyCmd(e *env) *cobra.Command {
	var cf configFlags
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Check that the decision history is as recorded",
		Long: `Recompute every decision's hash, in order, each over the entry's content and
the hash of the entry before it, and say the first entry that does not
verify (exit 1): one changed after it was written, or removed, inserted
or reordered. A history that verifies prints its length and its head,
the last entry's hash: note it, so that entries cut from the end are
found too (the history is then shorter, with another head).`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			merchant, ds, err := readHistory(cmd.Context(), e, cf)
			if err != nil {
				return err
			}
			head, err := decide.Verify(ds)
			if err != nil {
				return withCode(ExitThreshold, err)
			}
			fmt.Fprintf(e.stdout, "the decision history of merchant %s verifies: %d entries, head %s\n", merchant, len(ds), headText(head))
			return nil
		},
	}
	cf.register(cmd)
	return cmd
}

// readHistory reads the merchant's decision history, in the order
// written, without the run lock: entries are only ever appended, each in
// a transaction of its import.
func readHistory(ctx context.Context, e *env, cf configFlags) (merchant string, ds []recon.Decision, err error) {
	cfg, err := cf.loadFor(e, nil, 0) // offline: no API is called
	if err != nil {
		return "", nil, err
	}
	db, err := job.Open(ctx, cfg.Database, cfg.Merchant)
	if err != nil {
		return "", nil, err
	}
	defer db.Close()
	ds, err = db.Decisions(ctx)
	return db.Merchant(), ds, err
}
