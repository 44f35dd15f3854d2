package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/reconkit/reconkit/contract"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// sample is a fixed result with a breaking finding, a warning, an
// accepted finding, an expired acceptance, a skipped operation and an
// unused baseline entry.
func sample() *contract.Result {
	ptr := "/data/x"
	return &contract.Result{
		Spec: "specs/xepeng-openapi.yaml", Title: "Xepeng | API", BaseURL: "http://127.0.0.1:8080",
		RunID: "r1", Started: time.Date(2024, 5, 1, 3, 0, 0, 0, time.UTC), Seconds: 0.25, Auth: "xepeng_hmac",
		Seed: 42, Calls: 12, Cases: contract.CaseCount{Positive: 5, Negative: 3, Shrunk: 1},
		Flaky: []contract.Flaky{{OperationID: "createOrder", Step: "create_order", Attempts: 2, First: "503"}},
		Coverage: &contract.Coverage{
			Operations: contract.Ratio{Done: 2, Total: 3}, Statuses: contract.Ratio{Done: 3, Total: 6},
			Parameters: contract.Ratio{Done: 1, Total: 1}, EnumValues: contract.Ratio{Done: 1, Total: 2},
			Missed: []contract.MissedCoverage{{OperationID: "getOrder", Statuses: []string{"404"}, EnumValues: []string{"body /status=inactive"}}},
		},
		Operations: []contract.OperationResult{
			{OperationID: "createOrder", Method: "POST", Path: "/openapi/orders", Calls: 1, Seconds: 0.1, SpecLine: 35,
				Checks: []contract.CheckResult{{Name: "not_a_server_error", Outcome: "pass"}, {Name: "undocumented_field", Outcome: "warning"}}},
			{OperationID: "getOrder", Method: "GET", Path: "/openapi/orders/{order_uid}", Calls: 1, Seconds: 0.1, SpecLine: 170,
				Checks: []contract.CheckResult{{Name: "type_changed", Outcome: "fail"}, {Name: "format_violation", Outcome: "accepted"}, {Name: "unknown_enum_value", Outcome: "fail"}}},
		},
		Findings: []contract.Finding{
			{OperationID: "createOrder", Method: "POST", Path: "/openapi/orders", Status: 201, Check: "undocumented_field", In: "body", Pointer: "/data/qr_code", Message: `field "qr_code" is not in the schema`, Severity: contract.Warning, SpecLine: 751},
			{OperationID: "getOrder", Method: "GET", Path: "/openapi/orders/{order_uid}", Status: 200, Check: "format_violation", In: "body", Pointer: "/data/created_at", Message: "not a date-time", Severity: contract.Breaking, SpecLine: 701, Accepted: true, AcceptedReason: "fix in 2.4"},
			{OperationID: "getOrder", Method: "GET", Path: "/openapi/orders/{order_uid}", Status: 200, Check: "type_changed", In: "body", Pointer: "/data/total_amount", Message: "the schema says integer, the response has string", Severity: contract.Breaking, SpecLine: 695, Excerpt: "GET http://127.0.0.1:8080/openapi/orders/o1\n\nHTTP 200\n\n{\"data\":{\"total_amount\":\"1\x00\"}}",
				Case: "query page = 2 (minimum + 1); shrunk: query limit", Reproducer: "ts=$(date +%s)\ncurl -sS -X GET 'http://127.0.0.1:8080/openapi/orders/o1' | tee /dev/stderr | jq -e 'getpath([\"data\",\"total_amount\"]) | type != \"string\"' >/dev/null"},
			{OperationID: "getOrder", Method: "GET", Path: "/openapi/orders/{order_uid}", Status: 200, Check: "unknown_enum_value", In: "body", Pointer: "/data/status", Message: "value \"x\" is not one of [a, b]", Severity: contract.Breaking, SpecLine: 758, BaselineExpired: "2024-01-01"},
		},
		Skipped:        []string{"listOrders"},
		UnusedBaseline: []contract.BaselineEntry{{Operation: "listOrders", Check: "undocumented_field", Pointer: &ptr, Line: 3}},
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run with -update to create it): %v", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s (-want +got):\n%s", name, diff)
	}
}

func TestGolden(t *testing.T) {
	for _, tc := range []struct {
		name  string
		write func(*bytes.Buffer) error
	}{
		{"console", func(b *bytes.Buffer) error { return Console(b, sample()) }},
		{"markdown", func(b *bytes.Buffer) error { return Markdown(b, sample()) }},
		{"junit", func(b *bytes.Buffer) error { return JUnit(b, sample()) }},
		{"sarif", func(b *bytes.Buffer) error { return SARIF(b, sample(), `specs\xepeng-openapi.yaml`, "1.0") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := tc.write(&b); err != nil {
				t.Fatal(err)
			}
			golden(t, tc.name, b.Bytes())
		})
	}
}

func TestJUnitCounts(t *testing.T) {
	doc := BuildJUnit(sample())
	s := doc.Suites[0]
	// 5 checks run plus the skipped operation; failing: type_changed and
	// unknown_enum_value (expired acceptance); accepted and warnings pass.
	if s.Tests != 6 || s.Failures != 2 || s.Skipped != 1 || doc.Tests != 6 || doc.Failures != 2 {
		t.Errorf("got tests=%d failures=%d skipped=%d, want 6, 2, 1", s.Tests, s.Failures, s.Skipped)
	}
	for _, c := range s.Cases {
		if c.Failure != nil && strings.ContainsRune(c.Failure.Text, 0) {
			t.Error("a control character reached the XML")
		}
	}
}

func TestSARIFSuppressesAcceptedFindings(t *testing.T) {
	log := BuildSARIF(sample(), "specs/x.yaml", "1.0")
	var suppressed, levels []string
	for _, r := range log.Runs[0].Results {
		if len(r.Suppressions) > 0 {
			suppressed = append(suppressed, r.RuleID)
		}
		levels = append(levels, r.RuleID+"="+r.Level)
		if got := log.Runs[0].Tool.Driver.Rules[r.RuleIndex].ID; got != r.RuleID {
			t.Errorf("result %s points at rule %s", r.RuleID, got)
		}
	}
	if diff := cmp.Diff([]string{"format_violation"}, suppressed); diff != "" {
		t.Errorf("suppressed (-want +got):\n%s", diff)
	}
	want := []string{"undocumented_field=warning", "format_violation=error", "type_changed=error", "unknown_enum_value=error"}
	if diff := cmp.Diff(want, levels); diff != "" {
		t.Errorf("levels (-want +got):\n%s", diff)
	}
}

func TestJSONHasVerdictAndEmptyFindings(t *testing.T) {
	var b bytes.Buffer
	if err := JSON(&b, &contract.Result{Spec: "s"}); err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got["passed"] != true {
		t.Errorf("passed = %v, want true", got["passed"])
	}
	if f, ok := got["findings"].([]any); !ok || len(f) != 0 {
		t.Errorf("findings = %v, want []", got["findings"])
	}
}

// TestMarkdownEscapesSpecText writes a result whose title, operationId,
// path and message are hostile Markdown: each stays in its table cell,
// and neither HTML nor emphasis nor a code span reaches the page.
func TestMarkdownEscapesSpecText(t *testing.T) {
	hostile := "<script>alert(`1`)</script> | *b* _i_\nnext"
	r := sample()
	r.Title = hostile
	r.Operations[0].OperationID, r.Operations[0].Path = hostile, "/"+hostile
	r.Findings[0].OperationID, r.Findings[0].Message = hostile, hostile
	var md bytes.Buffer
	if err := Markdown(&md, r); err != nil {
		t.Fatal(err)
	}
	text := `&lt;script&gt;alert('1')&lt;/script&gt; \| \*b\* \_i\_ next`
	code := "<script>alert('1')</script> \\| *b* _i_ next"
	for _, want := range []string{
		"## Contract test ❌ failed: " + text + "\n",
		"| ✅ | `" + code + "` | `POST /" + code + "` | 1 |  |",
		"| `undocumented_field` | `" + code + "` | body /data/qr\\_code | 201 | 751 | " + text + " |",
	} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("markdown lacks %s:\n%s", want, md.String())
		}
	}
}
