package contractcli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
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
	seed           int64
	seedSet        bool
	maxCases       int
	retries        int
	workers        int
	tags           []string
	paths          []string
	methods        []string
	operationIDs   []string
	headers        []string

	// now is the clock; tests fix it.
	now func() time.Time
}

// defaultMaxCases is --max-cases unless given: enough for every boundary
// of the sandbox's operations, and the run stays within seconds.
const defaultMaxCases = 30

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
then vary each operation's first good call with generated cases (boundary
values, optional fields, and values just outside each constraint, which
must get a 4xx; seeded, capped by --max-cases, failing ones shrunk), and
gate on the breaking findings a baseline does not accept. Every failure
carries a curl reproducer that exits non-zero while it still fails.

Auth kinds: xepeng_hmac, oxpay, bearer, basic, api_key,
oauth2_client_credentials, none (auto picks one from the spec).

Secrets come from the environment only: XEPENG_CLIENT_ID and
XEPENG_CLIENT_SECRET (xepeng_hmac), OXPAY_API_KEY and OXPAY_SIGN_KEY
(oxpay), CONTRACT_BEARER_TOKEN (bearer), CONTRACT_USERNAME and
CONTRACT_PASSWORD (basic), CONTRACT_API_KEY (api_key), CONTRACT_CLIENT_ID
and CONTRACT_CLIENT_SECRET (oauth2_client_credentials), or the variables
contract.yaml names. CONTRACT_BASE_URL stands in for --base-url.

` + exitCodesHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.seedSet = cmd.Flags().Changed("seed")
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
	f.Int64Var(&o.seed, "seed", 0, "seed of the generated cases, printed on every run (default: from the clock)")
	f.IntVar(&o.maxCases, "max-cases", defaultMaxCases, "generated cases per operation at most (boundary values, optional fields, values outside each constraint); 0 turns them off")
	f.IntVar(&o.retries, "retries", 0, "try a call again this many times after a transport error, 5xx or 429 (with backoff); one that then passes is reported flaky")
	f.IntVar(&o.workers, "workers", 1, "run the generated cases of this many operations at once (scenario steps stay in order)")
	f.StringSliceVar(&o.tags, "tag", nil, "test only operations with this tag (repeatable)")
	f.StringSliceVar(&o.paths, "path", nil, "test only operations under this path template, as a prefix or glob (repeatable)")
	f.StringSliceVar(&o.methods, "method", nil, "test only operations of this HTTP method (repeatable)")
	f.StringSliceVar(&o.operationIDs, "operation-id", nil, "test only this operationId (repeatable)")
	f.StringArrayVar(&o.headers, "header", nil, "send this header with every request, 'Name: value'; ${env:NAME} in the value reads a secret from the environment (repeatable)")
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
	filter := contract.Filter{Tags: o.tags, Paths: o.paths, Methods: o.methods, OperationIDs: o.operationIDs}
	plan, err := contract.NewPlan(spec, scenarios.For(spec), contract.PlanOptions{Vars: set.Vars, Skip: set.Skip, Now: o.now, Filter: filter})
	if err != nil {
		return usage("%w", err)
	}
	if len(plan.UnknownSkips) > 0 {
		fmt.Fprintf(stderr, "contract: note: skip names %s, which %s does not have\n", strings.Join(plan.UnknownSkips, ", "), o.spec)
	}
	if o.maxCases < 0 || o.retries < 0 || o.workers < 1 {
		return usage("--max-cases and --retries must be >= 0 and --workers >= 1")
	}
	ac := set.Auth
	if len(o.headers) > 0 {
		ac.Headers = maps.Clone(ac.Headers)
		if ac.Headers == nil {
			ac.Headers = map[string]string{}
		}
		for _, h := range o.headers {
			name, value, ok := strings.Cut(h, ":")
			if !ok || strings.TrimSpace(name) == "" {
				return usage("--header %q: want 'Name: value'", h)
			}
			ac.Headers[strings.TrimSpace(name)] = strings.TrimSpace(value)
		}
	}
	auth, err := newAuth(spec, ac, getenv, o.now)
	if err != nil {
		return err
	}
	seed := o.seed
	if !o.seedSet {
		seed = o.now().UnixNano() % 1_000_000_000
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
		MaxCases:         o.maxCases,
		Seed:             seed,
		Retries:          o.retries,
		Workers:          o.workers,
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

// envRef matches ${env:NAME} in a configured header value.
var envRef = regexp.MustCompile(`\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}`)

// shellTemplate renders a header value with ${env:NAME} references as
// the inside of a double-quoted shell word, for reproducers.
func shellTemplate(value string) string {
	var b strings.Builder
	last := 0
	esc := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "$", `\$`, "`", "\\`")
	for _, m := range envRef.FindAllStringSubmatchIndex(value, -1) {
		b.WriteString(esc.Replace(value[last:m[0]]))
		b.WriteString("${" + value[m[2]:m[3]] + "}")
		last = m[1]
	}
	b.WriteString(esc.Replace(value[last:]))
	return b.String()
}

// newAuth picks the auth kind (the spec decides when the config says
// auto) and reads its secrets from the environment variables the config
// names. A missing variable is named in the error; a value never is.
func newAuth(spec *contract.Spec, ac contract.AuthConfig, getenv func(string) string, now func() time.Time) (*contract.Auth, error) {
	kind := ac.Kind
	if kind == "" || kind == contract.AuthAuto {
		kind = contract.DetectAuth(spec)
	}
	c := contract.Credentials{Env: map[string]string{}, KeyIn: ac.In, KeyName: ac.Name, TokenURL: ac.TokenURL, Scopes: ac.Scopes}
	var missing []string
	read := func(dst *string, key, configured, def string) {
		name := firstOf(configured, def)
		c.Env[key] = name
		*dst = getenv(name)
		if *dst == "" {
			missing = append(missing, name)
		}
	}
	switch kind {
	case contract.AuthXepengHMAC:
		read(&c.ClientID, "client_id", ac.ClientIDEnv, contract.EnvXepengClientID)
		read(&c.ClientSecret, "client_secret", ac.ClientSecretEnv, contract.EnvXepengClientSecret)
	case contract.AuthOxPay:
		read(&c.APIKey, "api_key", ac.APIKeyEnv, contract.EnvOxPayAPIKey)
		read(&c.SignKey, "sign_key", ac.SignKeyEnv, contract.EnvOxPaySignKey)
	case contract.AuthBearer:
		read(&c.Token, "token", ac.TokenEnv, contract.EnvBearerToken)
	case contract.AuthBasic:
		read(&c.Username, "username", ac.UsernameEnv, contract.EnvUsername)
		read(&c.Password, "password", ac.PasswordEnv, contract.EnvPassword)
	case contract.AuthAPIKey:
		read(&c.APIKey, "api_key", ac.APIKeyEnv, contract.EnvAPIKey)
		if c.KeyIn == "" && c.KeyName == "" {
			c.KeyIn, c.KeyName = contract.DetectAPIKey(spec)
		}
	case contract.AuthOAuth2:
		read(&c.ClientID, "client_id", ac.ClientIDEnv, contract.EnvOAuthClientID)
		read(&c.ClientSecret, "client_secret", ac.ClientSecretEnv, contract.EnvOAuthClientSecret)
		if c.TokenURL == "" {
			c.TokenURL, c.Scopes = contract.DetectOAuth2(spec)
			if len(ac.Scopes) > 0 {
				c.Scopes = ac.Scopes
			}
		}
		if c.TokenURL == "" {
			return nil, usage("auth %s needs a token URL: give auth.token_url in the config, or a clientCredentials flow in the spec", kind)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(ac.Headers)) {
		value := ac.Headers[name]
		if c.Headers == nil {
			c.Headers = map[string]string{}
		}
		if m := envRef.FindAllStringSubmatch(value, -1); len(m) > 0 {
			for _, x := range m {
				if getenv(x[1]) == "" {
					missing = append(missing, x[1])
				}
			}
			c.Env["header:"+name] = shellTemplate(value)
			value = envRef.ReplaceAllStringFunc(value, func(s string) string { return getenv(envRef.FindStringSubmatch(s)[1]) })
			c.SecretHeaders = append(c.SecretHeaders, name)
		}
		c.Headers[name] = value
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
