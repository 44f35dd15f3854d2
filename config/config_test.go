package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "recon.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// withCredentials is the default config with every credential set.
func withCredentials() Config {
	c := Default()
	c.Xepeng.ClientID, c.Xepeng.ClientSecret = "id", "secret"
	c.OxPay.APIKey, c.OxPay.SignKey = "ak", "sk"
	return c
}

func TestDefaultWithCredentialsIsValid(t *testing.T) {
	if err := withCredentials().Validate(); err != nil {
		t.Fatalf("default config invalid: %v", err)
	}
}

// TestValidateForNeedsOnlyItsSecrets: an offline command validates
// without any credential, ingesting webhooks needs the sign key only.
func TestValidateForNeedsOnlyItsSecrets(t *testing.T) {
	cfg := Default()
	if err := cfg.ValidateFor(0); err != nil {
		t.Errorf("offline: %v", err)
	}
	var p Problems
	if err := cfg.ValidateFor(OxPaySignKey); !errors.As(err, &p) || len(p) != 1 || !strings.Contains(p[0], EnvOxPaySignKey) {
		t.Errorf("sign key only: got %v, want one problem naming %s", err, EnvOxPaySignKey)
	}
}

func TestMissingCredentialsNameTheVariable(t *testing.T) {
	err := Default().Validate()
	for _, want := range []string{EnvXepengClientID, EnvXepengClientSecret, EnvOxPayAPIKey, EnvOxPaySignKey} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("got %v, want a problem naming %s", err, want)
		}
	}
}

func TestLoadExpandsAndOverrides(t *testing.T) {
	p := writeConfig(t, `
timezone: Asia/Singapore
xepeng:
  base_url: https://staging-api.xepeng.com
  client_id: ${MY_ID}
  client_secret: from-file
oxpay:
  sign_key: ${MISSING_VAR}
`)
	cfg, err := Load(p, env(map[string]string{"MY_ID": "cid-1", EnvXepengClientSecret: "from-env"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Timezone != "Asia/Singapore" || cfg.Xepeng.ClientID != "cid-1" {
		t.Fatalf("got timezone %q client id %q", cfg.Timezone, cfg.Xepeng.ClientID)
	}
	if cfg.Xepeng.ClientSecret != "from-env" {
		t.Fatalf("environment must override the file: got %q", cfg.Xepeng.ClientSecret)
	}
	if cfg.OxPay.SignKey != "" {
		t.Fatalf("unset ${VAR} must expand to empty, got %q", cfg.OxPay.SignKey)
	}
	if cfg.Database != "recon.db" {
		t.Fatalf("unset keys keep defaults: got database %q", cfg.Database)
	}
}

func TestLoadRejectsUnknownKey(t *testing.T) {
	p := writeConfig(t, "timezon: Asia/Jakarta\n")
	if _, err := Load(p, env(nil)); err == nil || !strings.Contains(err.Error(), "timezon") {
		t.Fatalf("got %v, want an error naming the unknown key", err)
	}
}

func TestLoadEmptyFile(t *testing.T) {
	cfg, err := Load(writeConfig(t, ""), env(nil))
	if err != nil || cfg.Timezone != "Asia/Jakarta" {
		t.Fatalf("got %v, %q", err, cfg.Timezone)
	}
}

// TestMatchingSettlementRules: the weekend roll and the payment lag are
// on by default, and a config can turn them off.
func TestMatchingSettlementRules(t *testing.T) {
	def := Default().Matching
	if !def.WeekendRoll || def.PaymentLag != time.Hour {
		t.Errorf("defaults: weekend_roll %v, payment_lag %s; want true, 1h", def.WeekendRoll, def.PaymentLag)
	}
	path := filepath.Join(t.TempDir(), "recon.yaml")
	if err := os.WriteFile(path, []byte("matching:\n  weekend_roll: false\n  payment_lag: 0s\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(path, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Matching.WeekendRoll || cfg.Matching.PaymentLag != 0 || cfg.Matching.ReplayWindow != 24*time.Hour {
		t.Errorf("loaded %+v; want weekend_roll false, payment_lag 0, the default replay window", cfg.Matching)
	}
}

func TestValidateListsEveryProblem(t *testing.T) {
	cfg := withCredentials()
	cfg.Timezone = "Mars/Olympus"
	cfg.Xepeng.BaseURL = "ftp://x"
	cfg.OxPay.Confirm = "sometimes"
	cfg.Ledger.Columns.Amount = "Amount" // with debit and credit also set
	cfg.Ledger.DateLayout = "DD/MM"
	cfg.Matching.Tolerance.Percent = "abc"
	cfg.Units = Units{"stripe": {"XXX": 9}}
	cfg.Matching.PaymentLag = 25 * time.Hour
	err := cfg.Validate()
	var p Problems
	if !errors.As(err, &p) {
		t.Fatalf("got %v, want Problems", err)
	}
	for _, want := range []string{"timezone", "xepeng.base_url", "oxpay.confirm", "ledger.columns", "ledger.date_layout", "tolerance.percent", "units.stripe", "units.stripe.XXX", "matching.payment_lag"} {
		found := false
		for _, s := range p {
			if strings.Contains(s, want) {
				found = true
			}
		}
		if !found {
			t.Errorf("no problem mentions %q in %v", want, p)
		}
	}
}

func TestGoDateLayout(t *testing.T) {
	tests := map[string]string{
		"DD/MM/YYYY": "02/01/2006",
		"YYYY-MM-DD": "2006-01-02",
		"2006-01-02": "2006-01-02",
	}
	for in, want := range tests {
		got, err := GoDateLayout(in)
		if err != nil || got != want {
			t.Errorf("GoDateLayout(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := GoDateLayout("MM/YYYY"); err == nil {
		t.Error("a layout without a day must be rejected")
	}
}

// TestExampleConfig keeps recon.example.yaml loadable and valid: it is
// the documentation users copy.
func TestExampleConfig(t *testing.T) {
	creds := map[string]string{EnvXepengClientID: "id", EnvXepengClientSecret: "s", EnvOxPayAPIKey: "ak", EnvOxPaySignKey: "sk"}
	cfg, err := Load("../recon.example.yaml", env(creds))
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("recon.example.yaml does not validate: %v", err)
	}
	if cfg.Xepeng.ClientID != "id" || cfg.HTTP.RateLimit != 20 || len(cfg.Inputs.Webhooks) != 1 {
		t.Fatalf("example not read as written: %+v", cfg)
	}
}
