package contractcli

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/reconkit/reconkit/contract"
	"github.com/reconkit/reconkit/sandbox"
	"github.com/reconkit/reconkit/sandbox/gen"
)

// driftedLog is contract/webhooks' drifted fixture: 21 deliveries with
// known drift, one forged and one unsigned, and two unusable lines.
const driftedLog = "../../contract/webhooks/testdata/drifted.jsonl"

// cleanLogs writes a sandbox webhook log without injected anomalies, and
// a gzipped copy, and returns their paths.
func cleanLogs(t *testing.T) (plain, gz string) {
	t.Helper()
	ds, err := gen.Generate(gen.Options{Seed: 3, Orders: 150, AnomalyRate: -1})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := ds.WriteWebhooks(&b); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	plain = writeFile(t, dir, "webhooks.jsonl", b.String())
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write(b.Bytes())
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	gz = writeFile(t, dir, "webhooks.jsonl.gz", z.String())
	return plain, gz
}

func TestWebhooksCleanLog(t *testing.T) {
	plain, gz := cleanLogs(t)
	code, out, errs := runCLI(t, sandboxEnv, "webhooks", "--spec", oxpaySpec, plain, gz)
	if code != ExitOK {
		t.Fatalf("exit %d, want 0\n%s%s", code, out, errs)
	}
	for _, want := range []string{"against 2 logs", "drift: none", "deliveries verified", "result: pass"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "invalid") || strings.Contains(out, "unsigned") {
		t.Errorf("a clean log has signature failures:\n%s", out)
	}
}

func TestWebhooksDriftedLog(t *testing.T) {
	dir := t.TempDir()
	jsonPath := filepath.Join(dir, "report.json")
	sarifPath := filepath.Join(dir, "report.sarif")
	code, out, errs := runCLI(t, sandboxEnv, "webhooks", "--spec", oxpaySpec, "--json", jsonPath, "--sarif", sarifPath, driftedLog)
	if code != ExitFail {
		t.Fatalf("exit %d, want %d\n%s%s", code, ExitFail, out, errs)
	}
	for _, want := range []string{
		"  payment: 12 deliveries\n",
		"`body.refund_amount` missing in 3 of 6 refund deliveries, first at " + driftedLog + ":6 [",
		"`body.transaction_amount` of another type in 3 of 12 payment deliveries, first at " + driftedLog + ":2:",
		"19 of 21 deliveries verified (18 raw, 1 compact), 1 invalid (first at " + driftedLog + ":11)",
		"input errors: 2\n",
		"result: FAIL (--fail-on breaking)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if errs != "" {
		t.Errorf("stderr %q: a failed gate is explained by the report alone", errs)
	}
	raw, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Passed bool `json:"passed"`
		Drift  []struct {
			Check string `json:"check"`
			Field string `json:"field"`
			Count int    `json:"count"`
		} `json:"drift"`
	}
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Passed || len(rep.Drift) != 6 || rep.Drift[4].Field != "body.refund_amount" || rep.Drift[4].Count != 3 || rep.Drift[4].Check != contract.CheckMissingRequiredField {
		t.Errorf("JSON report: %+v", rep)
	}
	sarif, err := os.ReadFile(sarifPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range append([]string{out}, string(raw), string(sarif)) {
		for _, secret := range secrets {
			if strings.Contains(s, secret) {
				t.Errorf("the output holds a secret")
			}
		}
	}
}

func TestWebhooksExitCodes(t *testing.T) {
	plain, _ := cleanLogs(t)
	noKey := map[string]string{}
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		want int
	}{
		{"drift, --fail-on none", sandboxEnv, []string{"--spec", oxpaySpec, "--fail-on", "none", driftedLog}, ExitOK},
		{"drift, --fail-on drift", sandboxEnv, []string{"--spec", oxpaySpec, "--fail-on", "drift", driftedLog}, ExitFail},
		{"clean, the key from the flag", noKey, []string{"--spec", oxpaySpec, "--sign-key", sandbox.DefaultOxPaySignKey, plain}, ExitOK},
		{"clean, no key: nothing verified, nothing fails", noKey, []string{"--spec", oxpaySpec, plain}, ExitOK},
		{"clean, the wrong key", noKey, []string{"--spec", oxpaySpec, "--sign-key", "not-the-key", plain}, ExitFail},
		{"no --spec", sandboxEnv, []string{plain}, ExitUsage},
		{"no log", sandboxEnv, []string{"--spec", oxpaySpec}, ExitUsage},
		{"a log that is not there", sandboxEnv, []string{"--spec", oxpaySpec, plain, "no-such.jsonl"}, ExitUsage},
		{"a spec without webhooks", sandboxEnv, []string{"--spec", xepengSpec, plain}, ExitUsage},
		{"a spec that is not there", sandboxEnv, []string{"--spec", "no-such.yaml", plain}, ExitUsage},
		{"bad --fail-on", sandboxEnv, []string{"--spec", oxpaySpec, "--fail-on", "sometimes", plain}, ExitUsage},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := runCLI(t, tc.env, append([]string{"webhooks"}, tc.args...)...)
			if code != tc.want {
				t.Errorf("exit %d, want %d\n%s%s", code, tc.want, out, errs)
			}
			if strings.Contains(out+errs, sandbox.DefaultOxPaySignKey) {
				t.Error("the output holds the sign key")
			}
		})
	}
}
