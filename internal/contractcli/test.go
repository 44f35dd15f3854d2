package contractcli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/reconkit/reconkit/contract"
	"github.com/reconkit/reconkit/contract/report"
	"github.com/reconkit/reconkit/specs"
)

// testOptions are the flags of `contract test`.
type testOptions struct {
	spec           string
	baseURL        string
	config         string
	baseline       string
	scenario       string
	junit          string
	json           string
	markdown       string
	sarif          string
	runID          string
	noNegative     bool
	timeout        time.Duration
	writeBaseline  string
	baselineReason string
	baselineDays   int

	// now is the clock; tests fix it.
	now func() time.Time
}

// embeddedScenario is the scenario file shipped in package specs.
const embeddedScenario = "scenario.yaml"

func newTestCmd(stdout, stderr io.Writer, getenv func(string) string) *cobra.Command {
	o := &testOptions{now: time.Now}
	cmd := &cobra.Command{
		Use:   "test --spec FILE --base-url URL [--config contract.yaml]",
		Short: "Call every operation of a spec and check every response against it",
		Long: `Call every operation of an OpenAPI 3 spec (scenario steps first, passing ids
from response to request; then every operation no step called; then the
scenarios' cleanup), judge each response with named checks and drift
findings, prove the server refuses unsigned, stale and malformed requests,
and gate on the breaking findings a baseline does not accept.

Secrets come from the environment only: XEPENG_CLIENT_ID and
XEPENG_CLIENT_SECRET (xepeng_hmac), OXPAY_API_KEY and OXPAY_SIGN_KEY
(oxpay), CONTRACT_BEARER_TOKEN (bearer), or the variables contract.yaml
names. CONTRACT_BASE_URL stands in for --base-url.

` + exitCodesHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runTest(cmd.Context(), o, stdout, stderr, getenv)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.spec, "spec", "", "OpenAPI 3 document to test (required)")
	f.StringVar(&o.baseURL, "base-url", "", "base URL of the API under test (default $CONTRACT_BASE_URL, then the config's base_url)")
	f.StringVar(&o.config, "config", "", "contract.yaml")
	f.StringVar(&o.baseline, "baseline", "", "YAML file of accepted findings (default: the config's baseline)")
	f.StringVar(&o.scenario, "scenario", "", "scenario file (default: the config's scenario, then the embedded specs/scenario.yaml)")
	f.StringVar(&o.junit, "junit", "", "write a JUnit XML report to FILE")
	f.StringVar(&o.json, "json", "", "write a JSON report to FILE")
	f.StringVar(&o.markdown, "markdown", "", "write a Markdown summary to FILE")
	f.StringVar(&o.sarif, "sarif", "", "write a SARIF 2.1.0 report to FILE")
	f.StringVar(&o.runID, "run-id", "", "value of ${run_id}, which keeps created records unique (default: from the clock)")
	f.BoolVar(&o.noNegative, "no-negative", false, "skip the negative checks (unsigned, stale and malformed requests)")
	f.DurationVar(&o.timeout, "timeout", 0, "timeout of each request (default: the config's timeout, 10s)")
	f.StringVar(&o.writeBaseline, "write-baseline", "", "write every failing finding to FILE as a baseline to review")
	f.StringVar(&o.baselineReason, "baseline-reason", "accepted when the baseline was written; say why", "reason written into --write-baseline entries")
	f.IntVar(&o.baselineDays, "baseline-days", 30, "days until --write-baseline entries expire")
	return cmd
}

// usage wraps an error as exit code 2.
func usage(format string, args ...any) error {
	return &codeError{ExitUsage, fmt.Errorf(format, args...)}
}

func runTest(ctx context.Context, o *testOptions, stdout, stderr io.Writer, getenv func(string) string) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if o.spec == "" {
		return usage("--spec is required")
	}
	cfg, cfgDir, err := readConfig(o.config)
	if err != nil {
		return err
	}
	raw, err := os.ReadFile(o.spec)
	if err != nil {
		return usage("read spec: %w", err)
	}
	spec, err := contract.Load(o.spec, raw)
	if err != nil {
		return err
	}
	set := cfg.ForSpec(o.spec, spec.Title)
	baseURL := firstOf(o.baseURL, getenv("CONTRACT_BASE_URL"), set.BaseURL)
	if baseURL == "" {
		return usage("no base URL: give --base-url, set CONTRACT_BASE_URL or base_url in the config")
	}
	if err := (contract.Config{BaseURL: baseURL}).Validate(); err != nil {
		return usage("%w", err)
	}
	scenarios, err := readScenarios(firstOf(o.scenario, inDir(cfgDir, set.Scenario)))
	if err != nil {
		return err
	}
	plan, err := contract.NewPlan(spec, scenarios.For(spec), contract.PlanOptions{Vars: set.Vars, Skip: set.Skip, Now: o.now})
	if err != nil {
		return usage("%w", err)
	}
	if len(plan.UnknownSkips) > 0 {
		fmt.Fprintf(stderr, "contract: note: skip names %s, which %s does not have\n", strings.Join(plan.UnknownSkips, ", "), o.spec)
	}
	auth, err := newAuth(spec, set.Auth, getenv, o.now)
	if err != nil {
		return err
	}
	var baseline *contract.Baseline
	baselinePath := firstOf(o.baseline, inDir(cfgDir, set.Baseline))
	if baselinePath != "" {
		b, err := os.ReadFile(baselinePath)
		if err != nil {
			return usage("read baseline: %w", err)
		}
		if baseline, err = contract.ParseBaseline(b); err != nil {
			return usage("%s: %w", baselinePath, err)
		}
	}
	runID := firstOf(o.runID, set.RunID, strconv.FormatInt(o.now().UnixMilli(), 36))
	timeout := set.Timeout
	if o.timeout > 0 {
		timeout = o.timeout
	}
	res, err := contract.Run(ctx, plan, contract.RunOptions{
		BaseURL:          baseURL,
		Timeout:          timeout,
		Auth:             auth,
		ResponseTime:     set.ResponseTime,
		Severity:         set.Severity,
		Negative:         set.Negative && !o.noNegative,
		NegativeStatuses: set.NegativeStatuses,
		RunID:            runID,
		Vars:             set.Vars,
		Now:              o.now,
		UserAgent:        "reconkit-contract/" + Version + " (compatible; contract test)",
	})
	if err != nil {
		return err
	}
	res.Baseline = baselinePath
	res.ApplyBaseline(baseline, o.now())
	if err := report.Console(stdout, res); err != nil {
		return usage("write console report: %w", err)
	}
	if err := writeReports(o, res); err != nil {
		return err
	}
	if o.writeBaseline != "" {
		b := contract.BaselineFor(res, o.baselineReason, o.now().AddDate(0, 0, o.baselineDays))
		out, err := b.Marshal()
		if err != nil {
			return usage("%w", err)
		}
		if err := os.WriteFile(o.writeBaseline, out, 0o644); err != nil {
			return usage("write baseline: %w", err)
		}
		fmt.Fprintf(stdout, "wrote %d baseline entries to %s\n", len(b.Accepted), o.writeBaseline)
	}
	if !res.Passed() {
		fmt.Fprintf(stdout, "result: FAIL (exit %d)\n", ExitFail)
		return errGateFailed
	}
	fmt.Fprintln(stdout, "result: PASS")
	return nil
}

// readConfig reads contract.yaml, or returns the defaults when no file is
// given. The directory is where relative paths in it are resolved.
func readConfig(path string) (contract.Config, string, error) {
	if path == "" {
		return contract.DefaultConfig(), "", nil
	}
	f, err := os.Open(path)
	if err != nil {
		return contract.Config{}, "", usage("read config: %w", err)
	}
	defer f.Close()
	cfg, err := contract.ParseConfig(f)
	if err != nil {
		return cfg, "", usage("%s: %w", path, err)
	}
	if err := cfg.Validate(); err != nil {
		return cfg, "", usage("%s: %w", path, err)
	}
	return cfg, filepath.Dir(path), nil
}

// readScenarios reads the scenario file, or the embedded one.
func readScenarios(path string) (*contract.ScenarioFile, error) {
	var raw []byte
	var err error
	name := path
	if path == "" {
		name = "embedded specs/" + embeddedScenario
		raw, err = fs.ReadFile(specs.FS(), embeddedScenario)
	} else {
		raw, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, usage("read scenario: %w", err)
	}
	f, err := contract.ParseScenarios(raw)
	if err != nil {
		return nil, usage("%s: %w", name, err)
	}
	return f, nil
}

// newAuth picks the auth kind (the spec decides when the config says
// auto) and reads its secrets from the environment variables the config
// names. A missing variable is named in the error; a value never is.
func newAuth(spec *contract.Spec, ac contract.AuthConfig, getenv func(string) string, now func() time.Time) (*contract.Auth, error) {
	kind := ac.Kind
	if kind == "" || kind == contract.AuthAuto {
		kind = contract.DetectAuth(spec)
	}
	var c contract.Credentials
	var missing []string
	read := func(dst *string, configured, def string) {
		name := firstOf(configured, def)
		*dst = getenv(name)
		if *dst == "" {
			missing = append(missing, name)
		}
	}
	switch kind {
	case contract.AuthXepengHMAC:
		read(&c.ClientID, ac.ClientIDEnv, contract.EnvXepengClientID)
		read(&c.ClientSecret, ac.ClientSecretEnv, contract.EnvXepengClientSecret)
	case contract.AuthOxPay:
		read(&c.APIKey, ac.APIKeyEnv, contract.EnvOxPayAPIKey)
		read(&c.SignKey, ac.SignKeyEnv, contract.EnvOxPaySignKey)
	case contract.AuthBearer:
		read(&c.Token, ac.TokenEnv, contract.EnvBearerToken)
	}
	if len(missing) > 0 {
		return nil, usage("auth %s needs the environment variables %s", kind, strings.Join(missing, " and "))
	}
	a, err := contract.NewAuth(kind, c, now)
	if err != nil {
		return nil, usage("%w", err)
	}
	return a, nil
}

// writeReports writes every report file asked for. Each is written whole
// to a buffer first, so a failed run never leaves half a file.
func writeReports(o *testOptions, res *contract.Result) error {
	writers := []struct {
		path  string
		write func(io.Writer) error
	}{
		{o.junit, func(w io.Writer) error { return report.JUnit(w, res) }},
		{o.json, func(w io.Writer) error { return report.JSON(w, res) }},
		{o.markdown, func(w io.Writer) error { return report.Markdown(w, res) }},
		{o.sarif, func(w io.Writer) error { return report.SARIF(w, res, filepath.ToSlash(o.spec), Version) }},
	}
	var errs []error
	for _, wr := range writers {
		if wr.path == "" {
			continue
		}
		var buf bytes.Buffer
		if err := wr.write(&buf); err != nil {
			errs = append(errs, fmt.Errorf("render %s: %w", wr.path, err))
			continue
		}
		if err := os.WriteFile(wr.path, buf.Bytes(), 0o644); err != nil {
			errs = append(errs, fmt.Errorf("write report: %w", err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return usage("%w", err)
	}
	return nil
}

func firstOf(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

// inDir resolves a path from the config relative to the config's
// directory.
func inDir(dir, path string) string {
	if path == "" || dir == "" || filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(dir, path)
}
