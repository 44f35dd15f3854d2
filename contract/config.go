package contract

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Auth kinds.
const (
	AuthAuto       = "auto" // pick from the spec's security schemes
	AuthXepengHMAC = "xepeng_hmac"
	AuthOxPay      = "oxpay"
	AuthBearer     = "bearer"
	AuthBasic      = "basic"
	AuthAPIKey     = "api_key"
	AuthOAuth2     = "oauth2_client_credentials"
	AuthNone       = "none"
)

// Config is contract.yaml. Top-level settings apply to every spec; a
// section under specs, keyed by the spec's file name or its info.title,
// overrides them for that spec.
type Config struct {
	// BaseURL is where the API under test lives; --base-url wins.
	BaseURL string `yaml:"base_url"`
	// Timeout bounds each request.
	Timeout time.Duration `yaml:"timeout"`
	// ResponseTime is the budget of the response_time check.
	ResponseTime time.Duration `yaml:"response_time"`
	Auth         AuthConfig    `yaml:"auth"`
	// Vars are values for parameters and body fields of the same name
	// (merchant_id, terminal_id, ...), and ${vars.NAME} in scenarios.
	Vars map[string]any `yaml:"vars"`
	// Severities overrides the default severity of checks by name.
	Severities map[string]Severity `yaml:"severities"`
	// Baseline is the file of accepted findings; --baseline wins.
	Baseline string `yaml:"baseline"`
	// Scenario is the scenario file; empty means the one embedded from
	// specs/scenario.yaml.
	Scenario string `yaml:"scenario"`
	// Skip lists operationIds not to call.
	Skip []string `yaml:"skip"`
	// Negative turns the negative (self-guarding) checks on or off; on
	// when unset.
	Negative *bool `yaml:"negative"`
	// NegativeStatuses overrides, per auth negative check, which statuses
	// count as a refusal (401 or 403 by default; 400 too for OxPay's
	// signature). 2xx and 5xx are never allowed.
	NegativeStatuses map[string][]int `yaml:"negative_statuses"`
	// RunID makes created records unique (${run_id}); empty means one
	// derived from the clock.
	RunID string                `yaml:"run_id"`
	Specs map[string]SpecConfig `yaml:"specs"`
}

// SpecConfig overrides Config for one spec. Empty fields inherit.
type SpecConfig struct {
	BaseURL      string              `yaml:"base_url"`
	ResponseTime time.Duration       `yaml:"response_time"`
	Auth         *AuthConfig         `yaml:"auth"`
	Vars         map[string]any      `yaml:"vars"`
	Severities   map[string]Severity `yaml:"severities"`
	Baseline     string              `yaml:"baseline"`
	Skip         []string            `yaml:"skip"`
	Negative     *bool               `yaml:"negative"`
	// NegativeStatuses entries replace the top level's check by check.
	NegativeStatuses map[string][]int `yaml:"negative_statuses"`
}

// AuthConfig says how to authenticate and which environment variables
// hold the secrets. Secrets never live in the file.
type AuthConfig struct {
	Kind            string `yaml:"kind"`
	ClientIDEnv     string `yaml:"client_id_env"`
	ClientSecretEnv string `yaml:"client_secret_env"`
	APIKeyEnv       string `yaml:"api_key_env"`
	SignKeyEnv      string `yaml:"sign_key_env"`
	TokenEnv        string `yaml:"token_env"`
	UsernameEnv     string `yaml:"username_env"`
	PasswordEnv     string `yaml:"password_env"`
	// In and Name say where api_key sends the key (header or query, and
	// its name); the spec's apiKey scheme when empty.
	In   string `yaml:"in"`
	Name string `yaml:"name"`
	// TokenURL and Scopes are the OAuth2 client-credentials settings; the
	// spec's flow when empty.
	TokenURL string   `yaml:"token_url"`
	Scopes   []string `yaml:"scopes"`
	// Headers are sent with every request; a value written ${env:NAME}
	// is read from the environment and treated as a secret.
	Headers map[string]string `yaml:"headers"`
}

// Default environment variable names of the secrets.
const (
	EnvXepengClientID     = "XEPENG_CLIENT_ID"
	EnvXepengClientSecret = "XEPENG_CLIENT_SECRET"
	EnvOxPayAPIKey        = "OXPAY_API_KEY"
	EnvOxPaySignKey       = "OXPAY_SIGN_KEY"
	EnvBearerToken        = "CONTRACT_BEARER_TOKEN"
	EnvUsername           = "CONTRACT_USERNAME"
	EnvPassword           = "CONTRACT_PASSWORD"
	EnvAPIKey             = "CONTRACT_API_KEY"
	EnvOAuthClientID      = "CONTRACT_CLIENT_ID"
	EnvOAuthClientSecret  = "CONTRACT_CLIENT_SECRET"
)

// DefaultConfig is what an absent contract.yaml means: it works against
// the sandbox once the credential variables are set.
func DefaultConfig() Config {
	return Config{
		Timeout:      10 * time.Second,
		ResponseTime: 2 * time.Second,
		Auth:         AuthConfig{Kind: AuthAuto},
	}
}

// ParseConfig reads contract.yaml over DefaultConfig. Unknown keys are an
// error, so a misspelt setting is not silently ignored.
func ParseConfig(r io.Reader) (Config, error) {
	cfg := DefaultConfig()
	b, err := io.ReadAll(r)
	if err != nil {
		return cfg, fmt.Errorf("read config: %w", err)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return cfg, nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil {
		return cfg, fmt.Errorf("parse config: %w", err)
	}
	return cfg, nil
}

var authKinds = []string{AuthAuto, AuthXepengHMAC, AuthOxPay, AuthBearer, AuthBasic, AuthAPIKey, AuthOAuth2, AuthNone}

// Validate lists every problem at once.
func (c Config) Validate() error {
	var errs []error
	check := func(where string, s SpecConfig) {
		if s.BaseURL != "" {
			if u, err := url.Parse(s.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				errs = append(errs, fmt.Errorf("%sbase_url %q: want an absolute http or https URL", where, s.BaseURL))
			}
		}
		if s.ResponseTime < 0 {
			errs = append(errs, fmt.Errorf("%sresponse_time %v: must not be negative", where, s.ResponseTime))
		}
		if s.Auth != nil && s.Auth.Kind != "" && !slices.Contains(authKinds, s.Auth.Kind) {
			errs = append(errs, fmt.Errorf("%sauth.kind %q: want one of %s", where, s.Auth.Kind, strings.Join(authKinds, ", ")))
		}
		for _, name := range slices.Sorted(maps.Keys(s.NegativeStatuses)) {
			if !slices.Contains([]string{CheckNegUnsigned, CheckNegWrongSignature, CheckNegStaleTimestamp, CheckNegWrongClientID}, name) {
				errs = append(errs, fmt.Errorf("%snegative_statuses: %q is not an auth negative check", where, name))
			}
			for _, code := range s.NegativeStatuses[name] {
				if code < 400 || code > 499 {
					errs = append(errs, fmt.Errorf("%snegative_statuses.%s: %d is not a 4xx status", where, name, code))
				}
			}
		}
		for _, name := range slices.Sorted(maps.Keys(s.Severities)) {
			sev := s.Severities[name]
			if !KnownCheck(name) {
				errs = append(errs, fmt.Errorf("%sseverities: unknown check %q", where, name))
			}
			if sev != Breaking && sev != Warning {
				errs = append(errs, fmt.Errorf("%sseverities.%s %q: want breaking or warning", where, name, sev))
			}
		}
	}
	auth := c.Auth
	check("", SpecConfig{BaseURL: c.BaseURL, ResponseTime: c.ResponseTime, Auth: &auth, Severities: c.Severities, NegativeStatuses: c.NegativeStatuses})
	if c.Timeout < 0 {
		errs = append(errs, fmt.Errorf("timeout %v: must not be negative", c.Timeout))
	}
	for _, key := range slices.Sorted(maps.Keys(c.Specs)) {
		check("specs."+key+".", c.Specs[key])
	}
	return errors.Join(errs...)
}

// Settings is the configuration in force for one spec.
type Settings struct {
	BaseURL      string
	Timeout      time.Duration
	ResponseTime time.Duration
	Auth         AuthConfig
	Vars         map[string]any
	Severities   map[string]Severity
	Baseline     string
	Scenario     string
	Skip         []string
	Negative     bool
	// NegativeStatuses is nil when neither level overrides anything.
	NegativeStatuses map[string][]int
	RunID            string
}

// ForSpec merges the top level with the section for the spec named by
// its file name (base name) or title.
func (c Config) ForSpec(specFile, title string) Settings {
	s := Settings{
		BaseURL:      c.BaseURL,
		Timeout:      c.Timeout,
		ResponseTime: c.ResponseTime,
		Auth:         c.Auth,
		Vars:         maps.Clone(c.Vars),
		Severities:   maps.Clone(c.Severities),
		Baseline:     c.Baseline,
		Scenario:     c.Scenario,
		Skip:         slices.Clone(c.Skip),
		Negative:     c.Negative == nil || *c.Negative,
		RunID:        c.RunID,
	}
	if len(c.NegativeStatuses) > 0 {
		s.NegativeStatuses = maps.Clone(c.NegativeStatuses)
	}
	if s.Vars == nil {
		s.Vars = map[string]any{}
	}
	if s.Severities == nil {
		s.Severities = map[string]Severity{}
	}
	sc, ok := c.Specs[filepath.Base(specFile)]
	if !ok {
		sc, ok = c.Specs[title]
	}
	if !ok {
		return s
	}
	if sc.BaseURL != "" {
		s.BaseURL = sc.BaseURL
	}
	if sc.ResponseTime > 0 {
		s.ResponseTime = sc.ResponseTime
	}
	if sc.Auth != nil {
		s.Auth = *sc.Auth
	}
	maps.Copy(s.Vars, sc.Vars)
	maps.Copy(s.Severities, sc.Severities)
	if sc.Baseline != "" {
		s.Baseline = sc.Baseline
	}
	s.Skip = append(s.Skip, sc.Skip...)
	if sc.Negative != nil {
		s.Negative = *sc.Negative
	}
	if len(sc.NegativeStatuses) > 0 {
		if s.NegativeStatuses == nil {
			s.NegativeStatuses = map[string][]int{}
		}
		maps.Copy(s.NegativeStatuses, sc.NegativeStatuses)
	}
	return s
}

// Severity returns the severity in force for a check.
func (s Settings) Severity(check string) Severity {
	if sev, ok := s.Severities[check]; ok {
		return sev
	}
	return DefaultSeverity(check)
}
