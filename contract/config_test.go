package contract

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseConfigAndForSpec(t *testing.T) {
	src := `base_url: http://127.0.0.1:8080
response_time: 500ms
vars:
  merchant_id: "100000001"
severities:
  undocumented_field: breaking
skip: [capturePayment]
specs:
  oxpay-openapi.yaml:
    base_url: http://127.0.0.1:8080/oxpay
    auth: {kind: oxpay, api_key_env: MY_KEY}
    vars: {terminal_id: "10000000000001"}
    severities: {response_time: breaking}
    negative_statuses: {negative_wrong_signature: [400, 401]}
`
	cfg, err := ParseConfig(strings.NewReader(src))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("validate: %v", err)
	}
	got := cfg.ForSpec("specs/oxpay-openapi.yaml", "OxPay")
	want := Settings{
		BaseURL:          "http://127.0.0.1:8080/oxpay",
		Timeout:          10 * time.Second,
		ResponseTime:     500 * time.Millisecond,
		Auth:             AuthConfig{Kind: AuthOxPay, APIKeyEnv: "MY_KEY"},
		Vars:             map[string]any{"merchant_id": "100000001", "terminal_id": "10000000000001"},
		Severities:       map[string]Severity{CheckUndocumentedField: Breaking, CheckResponseTime: Breaking},
		Skip:             []string{"capturePayment"},
		Negative:         true,
		NegativeStatuses: map[string][]int{CheckNegWrongSignature: {400, 401}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("settings (-want +got):\n%s", diff)
	}
	if got.Severity(CheckUndocumentedField) != Breaking || got.Severity(CheckFormatViolation) != Breaking || got.Severity("x") != Breaking {
		t.Error("severity overrides or defaults wrong")
	}
	other := cfg.ForSpec("xepeng-openapi.yaml", "Xepeng")
	if other.BaseURL != "http://127.0.0.1:8080" || other.Severity(CheckResponseTime) != Warning {
		t.Errorf("the oxpay section leaked into another spec: %+v", other)
	}
}

func TestConfigValidateListsEveryProblem(t *testing.T) {
	src := `base_url: ftp://x
auth: {kind: magic}
severities: {typo_check: breaking, type_changed: fatal}
specs:
  a.yaml:
    negative_statuses: {negative_wrong_signature: [200]}
`
	cfg, err := ParseConfig(strings.NewReader(src))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	err = cfg.Validate()
	for _, want := range []string{`base_url "ftp://x"`, `auth.kind "magic"`, `unknown check "typo_check"`, `severities.type_changed "fatal"`, "specs.a.yaml.negative_statuses.negative_wrong_signature: 200"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("got %v, want it to mention %s", err, want)
		}
	}
	if _, err := ParseConfig(strings.NewReader("base_ur: x\n")); err == nil {
		t.Error("a misspelt key parsed without error")
	}
}

func TestRedactor(t *testing.T) {
	r := NewRedactor("sandbox-secret", "", "sandbox-secret-longer")
	got := r.String("a sandbox-secret-longer and a sandbox-secret")
	if want := "a [REDACTED] and a [REDACTED]"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
