package reconcli

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/reconkit/reconkit/internal/job"
)

func newReportCmd(e *env) *cobra.Command {
	var (
		cf    configFlags
		runID int64
		out   string
	)
	cmd := &cobra.Command{
		Use:   "report --run ID [--out FILE]",
		Short: "Write the Excel workbook of a run for finance",
		Long: `Write the reconciliation workbook of a run that matched (recon run, recon
match): a Summary sheet (what needs action first, the control line gateway
net − ledger net, a chart of exceptions by category), one sheet per
exception category with Status and Notes columns for finance, and the
Sales, Refunds & voids and Input errors sheets. --out defaults to
report_dir/recon-DATE.xlsx. The file is written to a temporary name and
renamed, so yesterday's workbook stays whole until today's is complete.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runID <= 0 {
				return usageError(errors.New("--run ID is required (see the runs table, or the run line recon run prints)"))
			}
			cfg, err := cf.loadFor(e, nil, 0) // offline: no API is called
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			db, err := job.Open(ctx, cfg.Database, cfg.Merchant)
			if err != nil {
				return err
			}
			defer db.Close()
			run, err := db.GetRun(ctx, runID)
			if err != nil {
				return usageError(fmt.Errorf("run %d: %w", runID, err))
			}
			if out == "" {
				out = job.WorkbookName(cfg.ReportDir, run.BusinessDate)
			}
			// The warnings the run recorded are said again on the banner.
			var counts job.NightCounts
			_ = json.Unmarshal([]byte(run.Counts), &counts) // a run of another command has none
			wo := job.WorkbookOptions{Path: out, Date: run.BusinessDate, Zone: cfg.Location(), LinkHosts: cfg.LinkHosts(), Warnings: counts.Warnings}
			if err := job.Workbook(ctx, db, runID, wo, e.logger); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "wrote %s\n", out)
			return nil
		},
	}
	cf.register(cmd)
	cmd.Flags().Int64Var(&runID, "run", 0, "run id whose results to report")
	cmd.Flags().StringVar(&out, "out", "", "workbook path (default report_dir/recon-DATE.xlsx)")
	return cmd
}
