package reconcli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/reconkit/reconkit/config"
	"github.com/reconkit/reconkit/internal/job"
)

func newFetchCmd(e *env) *cobra.Command {
	var (
		cf      configFlags
		confirm string
		skipXep bool
		full    bool
	)
	cmd := &cobra.Command{
		Use:   "fetch",
		Short: "Pull Xepeng orders and payment links, and confirm OxPay transactions by id",
		Long: `Pull every page of Xepeng orders and payment links into the database, then
ask OxPay for transactions by id as oxpay.confirm (or --oxpay-confirm) says:

  all          every transaction id known from webhooks, the ledger or earlier pulls
  unconfirmed  only ids with no API record yet (run after ingesting webhooks)
  none         do not call OxPay; validly signed final webhooks stand in

Orders and links are read from the last pull's newest item minus
xepeng.lookback (every page on the first pull, or with --full). Each API's
pull is stored in one transaction: a pull that fails leaves the database as
it was. An API that cannot be reached after retries, or within
http.deadline, exits 3. Takes the run lock (exit 4 while a run holds it).`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := cf.load(e, func(c *config.Config) {
				if confirm != "" {
					c.OxPay.Confirm = confirm
				}
			})
			if err != nil {
				return err
			}
			return runFetch(cmd.Context(), e, cfg, skipXep, full)
		},
	}
	cf.register(cmd)
	cmd.Flags().StringVar(&confirm, "oxpay-confirm", "", "all, unconfirmed or none (overrides oxpay.confirm)")
	cmd.Flags().BoolVar(&skipXep, "skip-xepeng", false, "only confirm OxPay transactions")
	cmd.Flags().BoolVar(&full, "full", false, "read every page of orders and payment links, not only those since the last pull")
	return cmd
}

// fetchCounts is what the run record of a fetch keeps.
type fetchCounts struct {
	Xepeng *job.XepengResult `json:"xepeng,omitempty"`
	OxPay  *job.OxPayResult  `json:"oxpay,omitempty"`
}

func runFetch(ctx context.Context, e *env, cfg config.Config, skipXep, full bool) (err error) {
	ctx, cancel := context.WithTimeout(ctx, cfg.HTTP.Deadline)
	defer cancel()
	s, err := job.Begin(ctx, job.SessionOptions{Command: "fetch", Database: cfg.Database, Merchant: cfg.Merchant, ReportDir: cfg.ReportDir,
		Version: Version, Log: e.logger})
	if err != nil {
		return err
	}
	var counts fetchCounts
	defer func() { err = s.Finish(err, counts, nil) }()
	if !skipXep {
		res, err := job.PullXepeng(ctx, s.DB, newXepeng(e, cfg, s.Log),
			job.PullOptions{PageSize: cfg.Xepeng.PageSize, Lookback: cfg.Xepeng.Lookback, Full: full}, units(cfg), s.Log)
		if err != nil {
			return err
		}
		counts.Xepeng = &res
	}
	if cfg.OxPay.Confirm == job.ConfirmNone {
		return nil
	}
	res, err := job.ConfirmOxPay(ctx, s.DB, newOxPay(e, cfg, s.Log), cfg.OxPay.Confirm, units(cfg), nowUTC, s.Log)
	if err != nil {
		return err
	}
	counts.OxPay = &res
	return nil
}
