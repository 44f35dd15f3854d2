package cli

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
			lk, err := acquireLock(cfg.Database + ".lock")
			if err != nil {
				return err
			}
			defer lk.release()
			ctx, cancel := context.WithTimeout(cmd.Context(), cfg.HTTP.Deadline)
			defer cancel()
			db, err := openStore(ctx, cfg)
			if err != nil {
				return err
			}
			defer db.Close()
			if !skipXep {
				if _, err := job.PullXepeng(ctx, db, newXepeng(e, cfg, e.logger),
					job.PullOptions{PageSize: cfg.Xepeng.PageSize, Lookback: cfg.Xepeng.Lookback, Full: full}, units(cfg), e.logger); err != nil {
					return err
				}
			}
			if cfg.OxPay.Confirm == job.ConfirmNone {
				return nil
			}
			_, err = job.ConfirmOxPay(ctx, db, newOxPay(cfg, e.logger), cfg.OxPay.Confirm, units(cfg), nowUTC, e.logger)
			return err
		},
	}
	cf.register(cmd)
	cmd.Flags().StringVar(&confirm, "oxpay-confirm", "", "all, unconfirmed or none (overrides oxpay.confirm)")
	cmd.Flags().BoolVar(&skipXep, "skip-xepeng", false, "only confirm OxPay transactions")
	cmd.Flags().BoolVar(&full, "full", false, "read every page of orders and payment links, not only those since the last pull")
	return cmd
}
