package reconcli

import (
	"errors"
	"log/slog"
	"math"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/time/rate"

	"github.com/reconkit/reconkit/config"
	"github.com/reconkit/reconkit/fetch"
	"github.com/reconkit/reconkit/recon"
)

// configFlags are the flags every command that reads recon.yaml takes.
// A flag that is set overrides the file and the environment.
type configFlags struct {
	path     string
	database string
	merchant string
}

func (f *configFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&f.path, "config", "c", "", "config file (recon.yaml); without one, the built-in defaults point at a local sandbox")
	cmd.Flags().StringVar(&f.database, "db", "", "database: an SQLite file path or a postgres:// URL (overrides config database)")
	cmd.Flags().StringVar(&f.merchant, "merchant", "", "merchant id the command's rows belong to (overrides config merchant)")
}

// load reads and validates the config; every problem comes back at once
// as config.Problems, which maps to exit code 2.
func (f *configFlags) load(e *env, apply func(*config.Config)) (config.Config, error) {
	return f.loadFor(e, apply, config.AllSecrets)
}

// loadFor is load for a command that uses only the credentials in need.
func (f *configFlags) loadFor(e *env, apply func(*config.Config), need config.Secrets) (config.Config, error) {
	cfg, err := config.Load(f.path, e.getenv)
	// The file's own problems (misspelt keys, values of the wrong type)
	// are listed with Validate's, so one run shows every one.
	var problems config.Problems
	if err != nil && !errors.As(err, &problems) {
		return cfg, usageError(err)
	}
	if f.database != "" {
		cfg.Database = f.database
	}
	if f.merchant != "" {
		cfg.Merchant = f.merchant
	}
	if apply != nil {
		apply(&cfg)
	}
	if err := cfg.ValidateFor(need); err != nil {
		var more config.Problems
		if !errors.As(err, &more) {
			return cfg, err
		}
		problems = append(problems, more...)
	}
	problems = append(problems, matchProblems(cfg)...)
	if len(problems) > 0 {
		return cfg, problems
	}
	return cfg, nil
}

func units(cfg config.Config) recon.Units { return recon.Units(cfg.Units) }

// clientOptions turns the http section into fetch options. Each API gets
// its own limiter: the limit is per API, as gateways enforce it.
func clientOptions(cfg config.Config, baseURL string, log *slog.Logger) fetch.Options {
	o := fetch.Options{
		BaseURL:     baseURL,
		Timeout:     cfg.HTTP.Timeout,
		MaxAttempts: cfg.HTTP.MaxAttempts,
		Concurrency: cfg.HTTP.Concurrency,
		Version:     Version,
		OnRequest: func(ri fetch.RequestInfo) {
			if ri.Retry {
				log.Warn("request retried", "api", ri.API, "endpoint", ri.Endpoint, "attempt", ri.Attempt,
					"status", ri.StatusCode, "wait_seconds", ri.Wait.Seconds(), "error", errString(ri.Err))
			}
		},
	}
	if cfg.HTTP.RateLimit > 0 {
		burst := int(math.Max(1, math.Ceil(cfg.HTTP.RateLimit/10)))
		o.Limiter = rate.NewLimiter(rate.Limit(cfg.HTTP.RateLimit), burst)
	}
	return o
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// newXepeng is the Xepeng client of cfg, drawing a bar of pages read
// when a person watches.
func newXepeng(e *env, cfg config.Config, log *slog.Logger) *fetch.Xepeng {
	o := clientOptions(cfg, cfg.Xepeng.BaseURL, log)
	o.Progress = e.pageProgress("xepeng pages")
	return fetch.NewXepeng(o, cfg.Xepeng.ClientID, cfg.Xepeng.ClientSecret)
}

// newOxPay is the OxPay client of cfg, drawing a bar of the
// transactions confirmed by id when a person watches.
func newOxPay(e *env, cfg config.Config, log *slog.Logger) *fetch.OxPay {
	o := clientOptions(cfg, cfg.OxPay.BaseURL, log)
	o.Progress = e.pageProgress("oxpay ids confirmed")
	return fetch.NewOxPay(o, cfg.OxPay.APIKey, cfg.OxPay.SignKey)
}

func nowUTC() time.Time { return time.Now().UTC() }
