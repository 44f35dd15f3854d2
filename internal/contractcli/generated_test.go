package contractcli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/reconkit/reconkit/contract"
	"github.com/reconkit/reconkit/sandbox"
)

// startDefective serves the sandbox with every planted defect.
func startDefective(t *testing.T) string {
	t.Helper()
	startSandbox(t) // builds the shared dataset
	cfg := sandbox.DefaultConfig()
	cfg.Defects = sandbox.Defects()
	u, stop, err := sandbox.New(cfg, data).Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return u
}

// TestReproducersFailInAShell runs the default `contract test` against
// the sandbox with every defect planted: it finds each one, prints a
// reproducer for it on the console and in the JUnit and JSON reports,
// and the JSON's reproducer, run with /bin/sh with the secrets in the
// environment, exits non-zero.
func TestReproducersFailInAShell(t *testing.T) {
	for _, tool := range []string{"sh", "curl", "openssl", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed: %v", tool, err)
		}
	}
	dir := t.TempDir()
	jsonPath, junitPath := filepath.Join(dir, "r.json"), filepath.Join(dir, "r.xml")
	code, out, errOut := runCLI(t, sandboxEnv, "test", "--spec", xepengSpec, "--base-url", startDefective(t),
		"--seed", "7", "--json", jsonPath, "--junit", junitPath)
	if code != ExitFail {
		t.Fatalf("exit %d, want 1\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "seed 7 (repeat with --seed 7)") {
		t.Errorf("the console does not print the seed:\n%s", out)
	}
	junit, err := os.ReadFile(junitPath)
	if err != nil {
		t.Fatal(err)
	}
	r := readJSONReport(t, jsonPath)
	for _, want := range []struct{ op, check, ptr string }{
		{"listPaymentLinks", contract.CheckNotAServerError, ""},
		{"updateOrder", contract.CheckNegConstraint, "/status"},
		{"listOrders", contract.CheckMissingRequiredField, "/data/orders/0/currency"},
	} {
		var f *contract.Finding
		for i := range r.Findings {
			if g := r.Findings[i]; g.OperationID == want.op && g.Check == want.check && g.Pointer == want.ptr {
				f = &r.Findings[i]
			}
		}
		if f == nil {
			t.Errorf("no %+v finding", want)
			continue
		}
		last := f.Reproducer[strings.LastIndex(f.Reproducer, "\n")+1:]
		if !strings.Contains(out, last) || !strings.Contains(string(junit), last) {
			t.Errorf("%s %s: the reproducer is not on the console and in the JUnit report:\n%s", want.op, want.check, f.Reproducer)
		}
		cmd := exec.Command("/bin/sh", "-c", f.Reproducer)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"),
			contract.EnvXepengClientID + "=" + sandboxEnv[contract.EnvXepengClientID],
			contract.EnvXepengClientSecret + "=" + sandboxEnv[contract.EnvXepengClientSecret]}
		sh, err := cmd.CombinedOutput()
		if err == nil {
			t.Errorf("%s %s: the reproducer exited 0:\n%s\n%s", want.op, want.check, f.Reproducer, sh)
		}
		for _, s := range secrets {
			if strings.Contains(f.Reproducer, s) {
				t.Errorf("a reproducer contains a secret")
			}
		}
	}
}

// TestSelectionFlags drives the filters, workers, retries, extra headers
// and --max-cases from the command line.
func TestSelectionFlags(t *testing.T) {
	base := startSandbox(t)
	dir := t.TempDir()
	jsonPath := filepath.Join(dir, "r.json")
	env := map[string]string{"TRACE": "trace-secret-1"}
	for k, v := range sandboxEnv {
		env[k] = v
	}
	code, out, errOut := runCLI(t, env, "test", "--spec", xepengSpec, "--base-url", base, "--operation-id", "getOrder,listOrders",
		"--workers", "2", "--retries", "1", "--header", "X-Trace: ${env:TRACE}", "--max-cases", "3", "--json", jsonPath)
	if code != ExitOK {
		t.Fatalf("exit %d, want 0\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "6 operations not selected by the filters") || strings.Contains(out, "trace-secret-1") {
		t.Errorf("console output:\n%s", out)
	}
	raw, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), `"coverage"`) || !strings.Contains(string(raw), `"negative": `) {
		t.Errorf("the JSON report lacks the coverage or the case counts")
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--header", "no colon"}, "want 'Name: value'"},
		{[]string{"--workers", "0"}, "--workers >= 1"},
		{[]string{"--header", "X-A: ${env:NOPE}"}, "NOPE"},
	} {
		code, _, errOut := runCLI(t, sandboxEnv, append([]string{"test", "--spec", xepengSpec, "--base-url", base}, tc.args...)...)
		if code != ExitUsage || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, stderr %q, want exit 2 naming %q", tc.args, code, errOut, tc.want)
		}
	}
}
