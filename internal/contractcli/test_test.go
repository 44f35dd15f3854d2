package contractcli

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestSandboxPassesWithNoFinding(t *testing.T) {
	for _, tc := range []struct {
		name, spec, suffix string
	}{
		{"xepeng", xepengSpec, ""},
		{"oxpay", oxpaySpec, "/oxpay"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			jsonPath := filepath.Join(dir, "r.json")
			code, out, errOut := runCLI(t, sandboxEnv, "test", "--spec", tc.spec, "--base-url", startSandbox(t)+tc.suffix, "--json", jsonPath)
			if code != ExitOK {
				t.Fatalf("exit %d, want 0\n%s\n%s", code, out, errOut)
			}
			r := readJSONReport(t, jsonPath)
			if !r.Passed || len(r.Findings) != 0 {
				t.Errorf("got passed=%v with findings %+v, want a clean pass", r.Passed, r.Findings)
			}
			if r.Summary.OperationsFailed != 0 || r.Summary.Operations < 7 {
				t.Errorf("summary %+v, want every operation called and passed", r.Summary)
			}
			if !strings.Contains(out, "result: PASS") {
				t.Errorf("console output lacks the verdict:\n%s", out)
			}
		})
	}
}

// xepengDrift is one rewrite per kind of drift the gate must report.
func xepengDrift() []rewrite {
	return []rewrite{
		{"GET", regexp.MustCompile(`^/openapi/payment-links/[^/]+$`), func(b map[string]any) {
			d := obj(b, "data")
			d["checkout_url"] = d["payment_url"] // renamed field
			delete(d, "payment_url")
		}},
		{"GET", regexp.MustCompile(`^/openapi/orders/[^/]+$`), func(b map[string]any) {
			d := obj(b, "data")
			d["total_amount"] = fmt.Sprint(d["total_amount"]) // type changed
			d["created_at"] = "2024-05-01 03:00:00"           // not RFC 3339
		}},
		{"GET", regexp.MustCompile(`^/openapi/orders$`), func(b map[string]any) {
			delete(obj(obj(b, "data"), "pagination"), "total_items") // required field dropped
		}},
		{"POST", regexp.MustCompile(`^/openapi/payment-links/generate$`), func(b map[string]any) {
			obj(b, "data")["qr_code"] = "data:image/png;base64,AAAA" // field added
		}},
		{"PUT", regexp.MustCompile(`/inactivate$`), func(b map[string]any) {
			obj(b, "data")["status"] = "disabled" // enum value added
		}},
		{"PUT", regexp.MustCompile(`^/openapi/orders/[^/]+$`), func(b map[string]any) {
			delete(b, "status") // envelope switched to the PHP README's
			b["success"] = true
		}},
		{"GET", regexp.MustCompile(`^/openapi/payment-links$`), func(b map[string]any) {
			for _, l := range obj(b, "data")["payment_links"].([]any) {
				l.(map[string]any)["currency"] = nil // nullability changed
			}
		}},
	}
}

func TestDriftIsReportedAndBaselined(t *testing.T) {
	dir := t.TempDir()
	base := driftProxy(t, startSandbox(t), xepengDrift())
	jsonPath, junitPath := filepath.Join(dir, "r.json"), filepath.Join(dir, "r.xml")
	sarifPath, mdPath := filepath.Join(dir, "r.sarif"), filepath.Join(dir, "r.md")
	baselinePath := filepath.Join(dir, "baseline.yaml")
	code, out, errOut := runCLI(t, sandboxEnv, "test", "--spec", xepengSpec, "--base-url", base,
		"--json", jsonPath, "--junit", junitPath, "--sarif", sarifPath, "--markdown", mdPath,
		"--write-baseline", baselinePath, "--baseline-reason", "drift under test")
	if code != ExitFail {
		t.Fatalf("exit %d, want 1\n%s\n%s", code, out, errOut)
	}
	r := readJSONReport(t, jsonPath)
	type key struct{ op, check, ptr string }
	var got []key
	for _, f := range r.Findings {
		got = append(got, key{f.OperationID, f.Check, f.Pointer})
		if f.SpecLine == 0 {
			t.Errorf("%s %s %s has no spec line", f.OperationID, f.Check, f.Pointer)
		}
	}
	want := []key{
		{"getPaymentLink", "missing_required_field", "/data/payment_url"},
		{"getPaymentLink", "undocumented_field", "/data/checkout_url"},
		{"getOrder", "type_changed", "/data/total_amount"},
		{"getOrder", "format_violation", "/data/created_at"},
		{"listOrders", "missing_required_field", "/data/pagination/total_items"},
		{"generatePaymentLink", "undocumented_field", "/data/qr_code"},
		{"inactivatePaymentLink", "unknown_enum_value", "/data/status"},
		{"updateOrder", "envelope_changed", ""},
		{"listPaymentLinks", "nullability_changed", "/data/payment_links/0/currency"},
		// libopenapi-validator agrees where the schema is violated...
		{"getPaymentLink", "response_schema_conformance", ""},
		{"getOrder", "response_schema_conformance", ""},
		{"listOrders", "response_schema_conformance", ""},
		{"inactivatePaymentLink", "response_schema_conformance", ""},
		{"updateOrder", "response_schema_conformance", ""},
		{"listPaymentLinks", "response_schema_conformance", ""},
	}
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("missing finding %+v", w)
		}
	}
	// ...and only there: an added field is legal JSON Schema, so only the
	// drift walk reports it.
	if slices.Contains(got, key{"generatePaymentLink", "response_schema_conformance", ""}) {
		t.Error("an undocumented field failed schema validation; the schemas allow extra properties")
	}
	if len(got) != len(want) {
		t.Errorf("got %d findings, want %d: %+v", len(got), len(want), got)
	}
	for _, s := range secrets {
		if strings.Contains(out+errOut, s) {
			t.Errorf("console output contains a secret")
		}
	}

	// With those findings in a baseline, the gate passes.
	code, out, errOut = runCLI(t, sandboxEnv, "test", "--spec", xepengSpec, "--base-url", base, "--baseline", baselinePath, "--json", jsonPath)
	if code != ExitOK {
		t.Fatalf("with the baseline: exit %d, want 0\n%s\n%s", code, out, errOut)
	}
	r = readJSONReport(t, jsonPath)
	if r.Summary.Accepted == 0 || r.Summary.Breaking != 0 {
		t.Errorf("with the baseline: summary %+v, want accepted findings and no breaking one", r.Summary)
	}

	// Once the entries expire, the gate fails again.
	raw, err := os.ReadFile(baselinePath)
	if err != nil {
		t.Fatal(err)
	}
	expired := regexp.MustCompile(`expires: "?\d{4}-\d{2}-\d{2}"?`).ReplaceAll(raw, []byte("expires: 2020-01-01"))
	expiredPath := writeFile(t, dir, "expired.yaml", string(expired))
	code, out, _ = runCLI(t, sandboxEnv, "test", "--spec", xepengSpec, "--base-url", base, "--baseline", expiredPath)
	if code != ExitFail {
		t.Fatalf("with an expired baseline: exit %d, want 1\n%s", code, out)
	}
	if !strings.Contains(out, "baseline entry expired 2020-01-01") {
		t.Errorf("console output does not say the baseline expired:\n%s", out)
	}

	checkJUnit(t, junitPath)
	checkSARIF(t, sarifPath, xepengSpec)
	md, err := os.ReadFile(mdPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"Contract test ❌ failed", "### Breaking findings", "`envelope_changed`", "| ❌ | `getOrder` |"} {
		if !strings.Contains(string(md), w) {
			t.Errorf("markdown lacks %q", w)
		}
	}
}

// TestSecretsNeverReachReports makes the server echo the API key into a
// response, then reads every report for it.
func TestSecretsNeverReachReports(t *testing.T) {
	dir := t.TempDir()
	base := driftProxy(t, startSandbox(t), []rewrite{
		{"GET", regexp.MustCompile(`^/oxpay/payment/`), func(b map[string]any) {
			obj(b, "body")["debug"] = "Authorization: Bearer " + sandboxEnv["OXPAY_API_KEY"] + " key " + sandboxEnv["OXPAY_SIGN_KEY"]
			obj(b, "headers")["status_code"] = 9
		}},
	})
	paths := map[string]string{}
	args := []string{"test", "--spec", oxpaySpec, "--base-url", base + "/oxpay"}
	for _, f := range []string{"junit", "json", "markdown", "sarif"} {
		paths[f] = filepath.Join(dir, "r."+f)
		args = append(args, "--"+f, paths[f])
	}
	code, out, errOut := runCLI(t, sandboxEnv, args...)
	if code != ExitFail {
		t.Fatalf("exit %d, want 1\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "unknown_enum_value") || !strings.Contains(out, "/headers/status_code") {
		t.Errorf("console output lacks the OxPay drift:\n%s", out)
	}
	texts := map[string]string{"stdout": out, "stderr": errOut}
	for name, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		texts[name] = string(b)
	}
	for name, text := range texts {
		for _, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("%s contains a secret", name)
			}
		}
	}
	if !strings.Contains(texts["junit"], "[REDACTED]") {
		t.Error("the JUnit excerpt does not show the redaction")
	}
}

func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	badSpec := writeFile(t, dir, "bad.yaml", "openapi: 3.1.0\ninfo:\n  title: x\n  version: '1'\npaths:\n  /a:\n    get:\n      responses: {\n")
	badConfig := writeFile(t, dir, "contract.yaml", "base_url: http://127.0.0.1:1\nseverities: {nope: breaking}\n")
	noEnv := map[string]string{}
	tests := []struct {
		name     string
		env      map[string]string
		args     []string
		want     int
		inStderr string
	}{
		{"spec that does not load", sandboxEnv, []string{"test", "--spec", badSpec, "--base-url", "http://127.0.0.1:1"}, ExitUsage, "bad.yaml:9:1:"},
		{"missing spec flag", sandboxEnv, []string{"test", "--base-url", "http://127.0.0.1:1"}, ExitUsage, "--spec is required"},
		{"unknown flag", sandboxEnv, []string{"test", "--nope"}, ExitUsage, "unknown flag"},
		{"bad config", sandboxEnv, []string{"test", "--spec", xepengSpec, "--config", badConfig}, ExitUsage, `unknown check "nope"`},
		{"no base URL", sandboxEnv, []string{"test", "--spec", xepengSpec}, ExitUsage, "no base URL"},
		{"secrets not in the environment", noEnv, []string{"test", "--spec", xepengSpec, "--base-url", "http://127.0.0.1:1"}, ExitUsage, "XEPENG_CLIENT_ID and XEPENG_CLIENT_SECRET"},
		{"unreachable target", sandboxEnv, []string{"test", "--spec", xepengSpec, "--base-url", "http://127.0.0.1:1"}, ExitUnreachable, "target unreachable"},
		{"load reports lines too", nil, []string{"load", badSpec}, ExitUsage, "bad.yaml:9:1:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, tc.env, tc.args...)
			if code != tc.want {
				t.Errorf("exit %d, want %d\n%s\n%s", code, tc.want, out, errOut)
			}
			if !strings.Contains(errOut, tc.inStderr) {
				t.Errorf("stderr %q lacks %q", errOut, tc.inStderr)
			}
		})
	}
}

func TestConfigFileDrivesTheRun(t *testing.T) {
	dir := t.TempDir()
	url := startSandbox(t)
	cfg := writeFile(t, dir, "contract.yaml", fmt.Sprintf(`base_url: %s
run_id: cfg1
skip: [listOrders]
specs:
  oxpay-openapi.yaml:
    base_url: %s/oxpay
    auth: {kind: oxpay, api_key_env: MY_KEY, sign_key_env: MY_SIGN}
    vars: {terminal_id: "10000000000001"}
`, url, url))
	env := map[string]string{"MY_KEY": sandboxEnv["OXPAY_API_KEY"], "MY_SIGN": sandboxEnv["OXPAY_SIGN_KEY"]}
	jsonPath := filepath.Join(dir, "r.json")
	code, out, errOut := runCLI(t, env, "test", "--spec", oxpaySpec, "--config", cfg, "--json", jsonPath)
	if code != ExitOK {
		t.Fatalf("exit %d, want 0\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "run cfg1") {
		t.Errorf("the run id from the config was not used:\n%s", out)
	}
	if !strings.Contains(errOut, "skip names listOrders") {
		t.Errorf("stderr does not note the skip entry OxPay lacks: %q", errOut)
	}
	// The same file drives the Xepeng run, which skips listOrders.
	code, out, errOut = runCLI(t, sandboxEnv, "test", "--spec", xepengSpec, "--config", cfg, "--timeout", time.Second.String())
	if code != ExitOK {
		t.Fatalf("xepeng with skip: exit %d\n%s", code, errOut)
	}
	if !regexp.MustCompile(`SKIP\s+listOrders`).MatchString(out) {
		t.Errorf("console output does not show listOrders skipped:\n%s", out)
	}
}

// TestExampleConfig runs the documented example config: its baseline is
// found relative to the config file, and its one entry, which no finding
// needs, is listed as unused.
func TestExampleConfig(t *testing.T) {
	code, out, errOut := runCLI(t, sandboxEnv, "test", "--spec", xepengSpec, "--config", "../../testdata/contract/contract.yaml", "--base-url", startSandbox(t))
	if code != ExitOK {
		t.Fatalf("exit %d, want 0\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "listPaymentLinks undocumented_field /data/payment_links/*/fee") {
		t.Errorf("the unused baseline entry is not listed:\n%s", out)
	}
}
