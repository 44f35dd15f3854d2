package reconcli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/reconkit/reconkit/sandbox"
	"github.com/reconkit/reconkit/sandbox/gen"
)

func newSandboxCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sandbox",
		Short: "Run a local fake of both APIs, or write the inputs finance would have",
		Long: `The sandbox is one local HTTP server that behaves like the Xepeng Open API
(under /openapi/...) and the OxPay Payments API (under /oxpay/...), seeded
with a generated world of orders, payment links and transactions. The same
seed always gives the same world, and "sandbox generate" writes the
matching webhook log, ledger export and answer key.`,
	}
	cmd.AddCommand(newSandboxServeCmd(e), newSandboxGenerateCmd(e))
	return cmd
}

// genFlags are the world-shaping flags shared by serve and generate, so
// that the same values give a server and files that agree.
type genFlags struct {
	seed        int64
	orders      int
	firstTxn    int64
	start       string
	days        int
	zone        string
	anomaly     float64
	signKey     string
	voidStyle   string
	ledgerStyle string
}

// voidStyleUsage explains --void-style, shared by sandbox serve, sandbox
// generate and demo.
const voidStyleUsage = "how the gateway reports a void: same-id (the sale keeps its id and turns voided) or own-id (a VOID transaction with an id of its own, as OxPay's document describes it)"

// ledgerStyleUsage explains --ledger-style, shared by sandbox serve,
// sandbox generate and demo.
const ledgerStyleUsage = "how finance books the gateway's money: gross (a line per transaction), net (a deposit per gateway business day and currency, net of fees and refunds; generate writes settlement.yaml, the recon.yaml section that describes them) or mixed (half one way, half the other)"

// parseLedgerStyle reads --ledger-style as a usage error when it is
// none of the three.
func parseLedgerStyle(s string) (gen.LedgerStyle, error) {
	v, err := gen.ParseLedgerStyle(s)
	if err != nil {
		return "", usageError(fmt.Errorf("--ledger-style: %w", err))
	}
	return v, nil
}

// parseVoidStyle reads --void-style as a usage error when it is neither.
func parseVoidStyle(s string) (gen.VoidStyle, error) {
	v, err := gen.ParseVoidStyle(s)
	if err != nil {
		return "", usageError(fmt.Errorf("--void-style: %w", err))
	}
	return v, nil
}

func (g *genFlags) register(cmd *cobra.Command) {
	def := sandbox.DefaultConfig()
	cmd.Flags().Int64Var(&g.seed, "seed", 1, "seed of the generated world")
	cmd.Flags().IntVar(&g.orders, "orders", 1000, "number of orders to generate")
	cmd.Flags().Int64Var(&g.firstTxn, "first-txn-id", gen.DefaultFirstTxnID, "first oxpay_txn_id, so that worlds generated with ranges apart can share one database")
	cmd.Flags().StringVar(&g.start, "start", "2026-11-01", "first business day (YYYY-MM-DD)")
	cmd.Flags().IntVar(&g.days, "days", 3, "number of business days the orders spread over")
	cmd.Flags().StringVar(&g.zone, "timezone", "Asia/Jakarta", "time zone that cuts business days")
	cmd.Flags().Float64Var(&g.anomaly, "anomaly-rate", 0.02, "share of orders given an injected anomaly")
	cmd.Flags().StringVar(&g.signKey, "sign-key", def.OxPaySignKey, "OxPay sign key that signs the webhook log")
	cmd.Flags().StringVar(&g.voidStyle, "void-style", string(gen.VoidSameID), voidStyleUsage)
	cmd.Flags().StringVar(&g.ledgerStyle, "ledger-style", string(gen.LedgerGross), ledgerStyleUsage)
}

func (g *genFlags) options() (gen.Options, error) {
	loc, err := time.LoadLocation(g.zone)
	if err != nil {
		return gen.Options{}, usageError(fmt.Errorf("--timezone %q: %w", g.zone, err))
	}
	start, err := time.ParseInLocation("2006-01-02", g.start, loc)
	if err != nil {
		return gen.Options{}, usageError(fmt.Errorf("--start %q: want YYYY-MM-DD", g.start))
	}
	if g.orders < 0 || g.days < 1 || g.anomaly < 0 || g.anomaly > 1 {
		return gen.Options{}, usageError(errors.New("--orders must be >= 0, --days >= 1 and --anomaly-rate within 0..1"))
	}
	voids, err := parseVoidStyle(g.voidStyle)
	if err != nil {
		return gen.Options{}, err
	}
	ledger, err := parseLedgerStyle(g.ledgerStyle)
	if err != nil {
		return gen.Options{}, err
	}
	rate := g.anomaly
	if rate == 0 {
		rate = -1 // gen reads a zero rate as "the default"; asked for none, give none
	}
	return gen.Options{Seed: g.seed, Orders: g.orders, FirstTxnID: g.firstTxn, Start: start, Days: g.days, Zone: loc,
		SignKey: g.signKey, AnomalyRate: rate, VoidStyle: voids, LedgerStyle: ledger}, nil
}

func newSandboxServeCmd(e *env) *cobra.Command {
	var (
		g      genFlags
		addr   string
		faults string
		cfg    = sandbox.DefaultConfig()
		// defects plants bugs (sandbox.ParseDefects) for contract test.
		defects string
	)
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve both fake APIs until interrupted",
		Long: `Serve the Xepeng and OxPay sandbox on --addr until SIGINT or SIGTERM.

Default credentials (override with the flags):
  Xepeng client id   sandbox-client      (X-Client-ID)
  Xepeng secret      sandbox-secret      (signs X-Signature)
  OxPay API key      ak-sandbox          (Authorization: Bearer)
  OxPay sign key     sandbox-sign-key    (Signature header)

Point recon at it with xepeng.base_url http://ADDR and oxpay.base_url
http://ADDR/oxpay.

--void-style says how voids look, in the generated world and in answers
to POST /oxpay/void: same-id (default: the sale keeps its id and turns
voided) or own-id (as OxPay's document describes it: a VOID transaction
with an id of its own naming the sale in oxpay_original_txn_id, its
webhook carrying only its own id). Generate the files with the same
--void-style.

--faults makes a share of the API's requests fail on purpose, to rehearse
a bad night (browser pages are never faulted):

  --faults rate=0.05,kinds=500|502|503|429|timeout|reset|truncated|slow,seed=7

  rate=R               share of requests faulted, 0..1 (required)
  kinds=K|K...         drawn from: 500 502 503 429 (error envelopes; 429 and
                       503 with Retry-After), timeout (held, then 504),
                       reset (connection reset, no answer), cut-body (half
                       the body, then the connection closes), truncated (200
                       with half the body, honest Content-Length), nonjson
                       (200 text/html), slow (right answer, late); default all
  seed=N               which requests fail (default 0)
  max-consecutive=N    faults in a row on one request (default 2)
  slow=D               delay of a slow answer (default 2s)
  hold=D               how long a timeout holds a request (default 60s)
  retry-after=N        Retry-After seconds of 429 and 503 (default 1)

Which requests fail depends only on the seed and on each request's
method, path and query and how often it was asked before, never on
arrival order, so a run repeats its faults. A request is never faulted
more than max-consecutive times in a row: a client that tries each call
max-consecutive+1 times (recon's http.max_attempts, default 5) gets
through.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts, err := g.options()
			if err != nil {
				return err
			}
			if faults != "" {
				if cfg.Faults, err = sandbox.ParseFaults(faults); err != nil {
					return usageError(fmt.Errorf("--faults: %w", err))
				}
			}
			data, err := gen.Generate(opts)
			if err != nil {
				return fmt.Errorf("generate sandbox world: %w", err)
			}
			if cfg.Defects, err = sandbox.ParseDefects(defects); err != nil {
				return usageError(fmt.Errorf("--defects: %w", err))
			}
			cfg.OxPaySignKey = g.signKey
			cfg.VoidStyle = opts.VoidStyle
			cfg.Logger = e.logger
			srv := sandbox.New(cfg, data)
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			e.logger.Info("sandbox listening", "addr", addr, "orders", len(data.Orders),
				"payment_links", len(data.Links), "transactions", len(data.Transactions), "void_style", string(cfg.VoidStyle))
			if cfg.Faults.Enabled() {
				e.logger.Info("sandbox injects faults", "faults", cfg.Faults.String())
			}
			return srv.Serve(ctx, addr)
		},
	}
	g.register(cmd)
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:8080", "address to listen on")
	cmd.Flags().StringVar(&cfg.XepengClientID, "client-id", cfg.XepengClientID, "Xepeng client id the sandbox accepts")
	cmd.Flags().StringVar(&cfg.XepengClientSecret, "client-secret", cfg.XepengClientSecret, "Xepeng client secret the sandbox verifies signatures with")
	cmd.Flags().StringVar(&cfg.OxPayAPIKey, "api-key", cfg.OxPayAPIKey, "OxPay API key the sandbox accepts as bearer token")
	cmd.Flags().StringVar(&defects, "defects", "", "plant bugs for contract test to find: all, or any of boundary-crash, invalid-enum, page2-field")
	cmd.Flags().StringVar(&faults, "faults", "", "fail a share of API requests on purpose, e.g. rate=0.05,kinds=500|503|timeout,seed=7 (see above)")
	return cmd
}

func newSandboxGenerateCmd(e *env) *cobra.Command {
	var (
		g   genFlags
		out string
	)
	cmd := &cobra.Command{
		Use:   "generate",
		Short: "Write the webhook log, ledger export and answer key of a seeded world",
		Long: `Write into --out the inputs finance would have for the world that
"sandbox serve" with the same flags serves:

  webhooks.jsonl  the webhook log the merchant's receiver wrote
  ledger.csv      the ledger export (Date,Reference,Description,Debit,Credit,Currency;
                  DD/MM/YYYY; 1.250.000,00)
  ledger.xlsx     the same rows as a workbook
  expected.csv    the answer key: every anomaly injected on purpose

With --ledger-style net or mixed, the ledger books the gateway's net
settlement deposits (a Fee column beside), the answer key holds the
settlement anomalies, and one more file says how the gateway settles:

  settlement.yaml the settlement: section (fees, calendar, reference
                  pattern) and the ledger's fee column, to add to recon.yaml

The same flags always give byte-identical files.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts, err := g.options()
			if err != nil {
				return err
			}
			return generateFiles(cmd.Context(), e, opts, out)
		},
	}
	g.register(cmd)
	cmd.Flags().StringVar(&out, "out", "sandbox-data", "directory to write into")
	return cmd
}

func generateFiles(_ context.Context, e *env, opts gen.Options, out string) error {
	start := time.Now()
	data, err := gen.Generate(opts)
	if err != nil {
		return fmt.Errorf("generate sandbox world: %w", err)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", out, err)
	}
	if err := data.WriteFiles(out); err != nil {
		return fmt.Errorf("write sandbox files to %s: %w", out, err)
	}
	e.logger.Info("sandbox files written", "dir", out, "orders", len(data.Orders),
		"webhook_deliveries", len(data.Webhooks), "ledger_lines", len(data.Ledger),
		"anomalies", len(data.Anomalies), "seconds", time.Since(start).Seconds())
	return nil
}
