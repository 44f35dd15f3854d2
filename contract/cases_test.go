package contract

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/reconkit/reconkit/sandbox"
)

// startDefective serves the sandbox with the given defects planted.
func startDefective(t testing.TB, defects ...sandbox.Defect) string {
	t.Helper()
	cfg := sandbox.DefaultConfig()
	cfg.Defects = defects
	url, stop, err := sandbox.New(cfg, testData(t)).Start("127.0.0.1:0")
	if err != nil {
		t.Fatalf("start sandbox: %v", err)
	}
	t.Cleanup(stop)
	return url
}

// needTools skips a test that pastes reproducers into a shell where the
// tools they use are missing.
func needTools(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"sh", "curl", "openssl", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed: %v", tool, err)
		}
	}
}

// paste runs a reproducer with /bin/sh, the secrets in the environment
// only, and returns its exit code and output.
func paste(t *testing.T, script string, env ...string) (int, string) {
	t.Helper()
	cmd := exec.Command("/bin/sh", "-c", script)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, env...)
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), string(out)
	}
	if err != nil {
		t.Fatalf("run reproducer: %v", err)
	}
	return 0, string(out)
}

var xepengEnv = []string{
	EnvXepengClientID + "=" + sandbox.DefaultXepengClientID,
	EnvXepengClientSecret + "=" + sandbox.DefaultXepengClientSecret,
}

// TestGeneratedCasesFindPlantedDefects plants each defect alone and
// checks that the generated cases find it, that its reproducer names no
// secret, and that pasted into a shell it fails against the defective
// sandbox and passes against a good one.
func TestGeneratedCasesFindPlantedDefects(t *testing.T) {
	needTools(t)
	tg := targets()[0]
	for _, tc := range []struct {
		defect           sandbox.Defect
		op, check, where string
		shrunk           bool
	}{
		{sandbox.DefectBoundaryCrash, "listPaymentLinks", CheckNotAServerError, "", true},
		{sandbox.DefectInvalidEnum, "updateOrder", CheckNegConstraint, "/status", false},
		{sandbox.DefectPage2Field, "listOrders", CheckMissingRequiredField, "/data/orders/0/currency", true},
	} {
		t.Run(string(tc.defect), func(t *testing.T) {
			base := startDefective(t, tc.defect)
			res := runTarget(t, tg, base, nil)
			var got *Finding
			for i, f := range res.Findings {
				if f.OperationID == tc.op && f.Check == tc.check && f.Pointer == tc.where {
					got = &res.Findings[i]
				}
			}
			if got == nil {
				for _, f := range res.Findings {
					t.Logf("finding: %s", f)
				}
				t.Fatalf("no %s finding on %s at %q", tc.check, tc.op, tc.where)
			}
			t.Logf("%s\ncase: %s\n%s", got, got.Case, got.Reproducer)
			if got.Case == "" || tc.shrunk != strings.Contains(got.Case, "shrunk") {
				t.Errorf("case %q, want a generated case (shrunk: %v)", got.Case, tc.shrunk)
			}
			if strings.Contains(got.Reproducer, sandbox.DefaultXepengClientSecret) || !strings.Contains(got.Reproducer, "$XEPENG_CLIENT_SECRET") {
				t.Errorf("the reproducer should name the secret's variable, never its value:\n%s", got.Reproducer)
			}
			if code, out := paste(t, got.Reproducer, xepengEnv...); code == 0 {
				t.Errorf("the reproducer exited 0 against the defective sandbox:\n%s", out)
			}
			if code, out := paste(t, got.Reproducer); code == 0 {
				t.Errorf("the reproducer exited 0 without the secret in the environment:\n%s", out)
			}
			if tc.defect != sandbox.DefectInvalidEnum { // its record exists only on the defective sandbox
				good := strings.ReplaceAll(got.Reproducer, base, startSandbox(t))
				if code, out := paste(t, good, xepengEnv...); code != 0 {
					t.Errorf("the reproducer exited %d against a good sandbox:\n%s", code, out)
				}
			}
		})
	}
}

// TestStatefulWithoutScenario runs Xepeng with no scenario at all: ids
// from links and from responses carry an order from create to activate to
// a payment link, and nothing fails.
func TestStatefulWithoutScenario(t *testing.T) {
	tg := targets()[0]
	spec := mustLoad(t, tg.file, tg.raw)
	plan, err := NewPlan(spec, nil, PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	auth, _ := NewAuth(tg.auth, tg.creds, nil)
	res, err := Run(context.Background(), plan, RunOptions{BaseURL: startSandbox(t), Auth: auth, Negative: true, MaxCases: 5, Seed: 3, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range res.Findings {
		t.Errorf("finding: %s\n%s", f, f.Excerpt)
	}
	for _, m := range res.Coverage.Missed {
		if m.NotCalled || slices.ContainsFunc(m.Statuses, func(s string) bool { return strings.HasPrefix(s, "2") }) {
			t.Errorf("%s missed a success: %+v", m.OperationID, m)
		}
	}
}

// TestFilterRunsOnlySelected tests getOrder alone: the scenario's other
// steps still run to create the order, unjudged.
func TestFilterRunsOnlySelected(t *testing.T) {
	tg := targets()[0]
	spec := mustLoad(t, tg.file, tg.raw)
	plan, err := NewPlan(spec, embeddedScenarios(t).For(spec), PlanOptions{Filter: Filter{OperationIDs: []string{"getOrder"}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.NotSelected) != len(spec.Operations)-1 {
		t.Errorf("not selected %v, want every operation but getOrder", plan.NotSelected)
	}
	auth, _ := NewAuth(tg.auth, tg.creds, nil)
	res, err := Run(context.Background(), plan, RunOptions{BaseURL: startSandbox(t), Auth: auth, Negative: true, MaxCases: 10, Workers: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Operations) != 1 || res.Operations[0].OperationID != "getOrder" || res.Operations[0].Calls == 0 {
		t.Fatalf("operations %+v, want getOrder alone, called", res.Operations)
	}
	for _, f := range res.Findings {
		t.Errorf("finding: %s", f)
	}
	for _, tc := range []struct {
		f    Filter
		op   string
		want bool
	}{
		{Filter{Tags: []string{"payment link"}}, "getPaymentLink", true},
		{Filter{Tags: []string{"Order"}}, "getPaymentLink", false},
		{Filter{Paths: []string{"/openapi/orders/*"}}, "getOrder", true},
		{Filter{Paths: []string{"/openapi/payment-links"}}, "inactivatePaymentLink", true},
		{Filter{Methods: []string{"put"}}, "updateOrder", true},
		{Filter{Methods: []string{"put"}, OperationIDs: []string{"getOrder"}}, "getOrder", false},
	} {
		if got := tc.f.Selects(spec.Operation(tc.op)); got != tc.want {
			t.Errorf("%+v selects %s: got %v, want %v", tc.f, tc.op, got, tc.want)
		}
	}
}

// TestRetriesReportFlaky runs against a sandbox that fails a third of
// the requests with 500 or 502 (never more than twice in a row): with three retries nothing fails, and the calls that needed a
// retry are listed as flaky.
func TestRetriesReportFlaky(t *testing.T) {
	cfg := sandbox.DefaultConfig()
	// 503 and 429 take the same path with a Retry-After wait; they are
	// left out to keep the test fast.
	cfg.Faults = sandbox.Faults{Rate: 0.3, Seed: 5, Kinds: []sandbox.FaultKind{sandbox.Fault500, sandbox.Fault502}}
	url, stop, err := sandbox.New(cfg, testData(t)).Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	tg := targets()[0]
	spec := mustLoad(t, tg.file, tg.raw)
	plan, err := NewPlan(spec, embeddedScenarios(t).For(spec), PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	auth, _ := NewAuth(tg.auth, tg.creds, nil)
	opts := RunOptions{BaseURL: url, Auth: auth, Negative: true, RunID: "flaky", Retries: 3, RetryBackoff: time.Millisecond}
	res, err := Run(context.Background(), plan, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range res.Findings {
		t.Errorf("finding with retries: %s", f)
	}
	if len(res.Flaky) == 0 {
		t.Error("no flaky call reported")
	}
	// Without retries the same night fails.
	opts.Retries, opts.RunID = 0, "flaky2"
	res, err = Run(context.Background(), plan, opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.Passed() || len(res.Flaky) != 0 {
		t.Errorf("without retries: passed=%v flaky=%d, want a failure and no flaky call", res.Passed(), len(res.Flaky))
	}
}

// TestHTMLAnswerToUnsignedRequest: a proxy answering 200 text/html to
// everything is not the API accepting an unsigned request, and the
// finding says the body was not the API's.
func TestHTMLAnswerToUnsignedRequest(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte("<html><body>Please wait</body></html>"))
	}))
	t.Cleanup(srv.Close)
	tg := targets()[0]
	spec := mustLoad(t, tg.file, tg.raw)
	plan, err := NewPlan(spec, nil, PlanOptions{Filter: Filter{OperationIDs: []string{"listOrders"}}})
	if err != nil {
		t.Fatal(err)
	}
	auth, _ := NewAuth(tg.auth, tg.creds, nil)
	res, err := Run(context.Background(), plan, RunOptions{BaseURL: srv.URL, Auth: auth, Negative: true})
	if err != nil {
		t.Fatal(err)
	}
	fs := res.FindingsFor("listOrders", CheckNegUnsigned)
	if len(fs) != 1 {
		t.Fatalf("got %d %s findings, want 1", len(fs), CheckNegUnsigned)
	}
	if msg := fs[0].Message; strings.Contains(msg, "accepted") || !strings.Contains(msg, `"text/html; charset=utf-8" body the spec does not document`) {
		t.Errorf("message %q should say the body was not the API's", msg)
	}
}
