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
