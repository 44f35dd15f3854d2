package diff

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/reconkit/reconkit/contract/format"
)

const testdata = "../../testdata/contract/diff/"

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testdata, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func run(t testing.TB, oldName, newName string, opts Options) *Report {
	t.Helper()
	opts.Old, opts.New = readFile(t, oldName), readFile(t, newName)
	opts.OldName, opts.NewName = oldName, newName
	if opts.Now.IsZero() {
		opts.Now = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	}
	rep, err := Run(context.Background(), opts)
	if err != nil {
		t.Fatalf("Run(%s, %s): %v", oldName, newName, err)
	}
	return rep
}

// brief is the part of a Finding the rule tests pin down.
type brief struct {
	Rule       string
	Breaking   bool
	Pointer    string
	Operations []string
	Directions []Direction
	BreakingIn []Direction
}

func briefs(fs []Finding) []brief {
	var out []brief
	for _, f := range fs {
		b := brief{Rule: f.Rule, Breaking: f.Breaking, Pointer: f.Pointer, Directions: f.Directions, BreakingIn: f.BreakingIn}
		for _, o := range f.Operations {
			b.Operations = append(b.Operations, opsList([]Operation{o}))
		}
		out = append(out, b)
	}
	return out
}

var (
	req  = []Direction{Request}
	resp = []Direction{Response}
)

func TestRunRules(t *testing.T) {
	orderOps := []string{"POST /orders (response)", "GET /orders/{id} (response)"}
	customerOps := []string{"GET /customers (response)", "POST /customers (request+response)", "GET /customers/{id} (response)"}
	tests := []struct {
		base, new string
		want      []brief
	}{
		{"base-3.1.yaml", "endpoint-removed.yaml", []brief{{
			Rule: RuleEndpointRemoved, Breaking: true, Pointer: "/paths/~1customers~1{id}/delete",
			Operations: []string{"DELETE /customers/{id}"}}}},
		{"base-3.1.yaml", "endpoint-added.yaml", []brief{{
			Rule: RuleEndpointAdded, Pointer: "/paths/~1orders~1{id}~1cancel/post",
			Operations: []string{"POST /orders/{id}/cancel"}}}},
		{"base-3.1.yaml", "property-removed-response.yaml", []brief{{
			Rule: RulePropertyRemoved, Breaking: true, Pointer: "/components/schemas/Order/properties/note", Operations: orderOps}}},
		{"base-3.1.yaml", "property-added.yaml", []brief{{
			Rule: RulePropertyAdded, Pointer: "/components/schemas/Order/properties/created_at", Operations: orderOps}}},
		{"base-3.1.yaml", "property-renamed.yaml", []brief{{
			Rule: RulePropertyRenamed, Breaking: true, Pointer: "/components/schemas/Order/properties/note", Operations: orderOps}}},
		{"base-3.1.yaml", "type-changed.yaml", []brief{{
			Rule: RuleTypeChanged, Breaking: true, Pointer: "/components/schemas/Order/properties/amount/type", Operations: orderOps}}},
		{"base-3.1.yaml", "required-added-request.yaml", []brief{{
			Rule: RuleRequiredAdded, Breaking: true, Pointer: "/components/schemas/CreateOrder/properties/currency",
			Operations: []string{"POST /orders (request)"}, Directions: req, BreakingIn: req}}},
		{"base-3.1.yaml", "required-added-response.yaml", []brief{{
			Rule: RuleRequiredAdded, Pointer: "/components/schemas/Order/properties/amount", Operations: orderOps, Directions: resp}}},
		{"base-3.1.yaml", "enum-added-response.yaml", []brief{{
			Rule: RuleEnumValueAdded, Breaking: true, Pointer: "/components/schemas/Order/properties/status/enum",
			Operations: orderOps, Directions: resp, BreakingIn: resp}}},
		{"base-3.1.yaml", "enum-added-request.yaml", []brief{{
			Rule: RuleEnumValueAdded, Pointer: "/components/schemas/CreateOrder/properties/currency/enum",
			Operations: []string{"POST /orders (request)"}, Directions: req}}},
		{"base-3.1.yaml", "enum-removed-request.yaml", []brief{{
			Rule: RuleEnumValueRemoved, Breaking: true, Pointer: "/components/schemas/CreateOrder/properties/currency/enum",
			Operations: []string{"POST /orders (request)"}, Directions: req, BreakingIn: req}}},
		{"base-3.1.yaml", "nullable-added-response.yaml", []brief{{
			Rule: RuleNullableAdded, Breaking: true, Pointer: "/components/schemas/Order/properties/note/type",
			Operations: orderOps, Directions: resp, BreakingIn: resp}}},
		{"base-3.1.yaml", "nullable-added-request.yaml", []brief{{
			Rule: RuleNullableAdded, Pointer: "/components/schemas/CreateOrder/properties/note/type",
			Operations: []string{"POST /orders (request)"}, Directions: req}}},
		{"base-3.1.yaml", "constraint-narrowed-request.yaml", []brief{{
			Rule: RuleConstraintNarrowed, Breaking: true, Pointer: "/components/schemas/CreateOrder/properties/amount/minimum",
			Operations: []string{"POST /orders (request)"}, Directions: req, BreakingIn: req}}},
		{"base-3.1.yaml", "constraint-widened-request.yaml", []brief{{
			Rule: RuleConstraintWidened, Pointer: "/components/schemas/CreateOrder/properties/amount/minimum",
			Operations: []string{"POST /orders (request)"}, Directions: req}}},
		{"base-3.1.yaml", "required-parameter-added.yaml", []brief{{
			Rule: RuleRequiredParameterAdded, Breaking: true, Pointer: "/paths/~1customers/get/parameters/region",
			Operations: []string{"GET /customers (request)"}}}},
		{"base-3.1.yaml", "parameter-added.yaml", []brief{{
			Rule: RuleParameterAdded, Pointer: "/paths/~1customers/get/parameters/region",
			Operations: []string{"GET /customers (request)"}}}},
		{"base-3.1.yaml", "success-response-removed.yaml", []brief{
			{Rule: RuleSuccessResponseRemoved, Breaking: true, Pointer: "/paths/~1orders/post/responses/201", Operations: []string{"POST /orders (response)"}},
			{Rule: RuleResponseAdded, Pointer: "/paths/~1orders/post/responses/202", Operations: []string{"POST /orders (response)"}},
		}},
		{"base-3.1.yaml", "media-type-removed.yaml", []brief{
			{Rule: RuleMediaTypeRemoved, Breaking: true, Pointer: "/paths/~1orders/post/responses/201/content/application~1json", Operations: []string{"POST /orders (response)"}},
			{Rule: RuleMediaTypeAdded, Pointer: "/paths/~1orders/post/responses/201/content/application~1xml", Operations: []string{"POST /orders (response)"}},
		}},
		// One change to a shared component is one finding listing every
		// operation it reaches, judged in both directions.
		{"base-3.1.yaml", "shared-enum-added.yaml", []brief{{
			Rule: RuleEnumValueAdded, Breaking: true, Pointer: "/components/schemas/Customer/properties/tier/enum",
			Operations: customerOps, Directions: []Direction{Request, Response}, BreakingIn: resp}}},
		// Address is only reached through Customer.
		{"base-3.1.yaml", "shared-nested-removed.yaml", []brief{{
			Rule: RulePropertyRemoved, Breaking: true, Pointer: "/components/schemas/Address/properties/city", Operations: customerOps}}},
		{"base-3.0.yaml", "3.0-nullable-added-response.yaml", []brief{{
			Rule: RuleNullableAdded, Breaking: true, Pointer: "/components/schemas/Order/properties/note/nullable",
			Operations: orderOps, Directions: resp, BreakingIn: resp}}},
		{"base-3.0.yaml", "3.0-nullable-added-request.yaml", []brief{{
			Rule: RuleNullableAdded, Pointer: "/components/schemas/CreateOrder/properties/note/nullable",
			Operations: []string{"POST /orders (request)"}, Directions: req}}},
		{"base-3.0.yaml", "3.0-enum-added-response.yaml", []brief{{
			Rule: RuleEnumValueAdded, Breaking: true, Pointer: "/components/schemas/Order/properties/status/enum",
			Operations: orderOps, Directions: resp, BreakingIn: resp}}},
		{"base-3.0.yaml", "3.0-required-added-request.yaml", []brief{{
			Rule: RuleRequiredAdded, Breaking: true, Pointer: "/components/schemas/CreateOrder/properties/note",
			Operations: []string{"POST /orders (request)"}, Directions: req, BreakingIn: req}}},
		{"base-3.0.yaml", "3.0-endpoint-removed.yaml", []brief{{
			Rule: RuleEndpointRemoved, Breaking: true, Pointer: "/paths/~1orders~1{id}/get",
			Operations: []string{"GET /orders/{id}"}}}},
		{"base-3.1.yaml", "base-3.1.yaml", nil},
		// A $ref replaced by an identical inline copy is no change; the
		// copy is only seen to be identical if Order is compared in full.
		{"base-3.1.yaml", "ref-inlined.yaml", nil},
	}
	for _, tc := range tests {
		t.Run(strings.TrimSuffix(tc.new, ".yaml"), func(t *testing.T) {
			rep := run(t, tc.base, tc.new, Options{})
			if diff := cmp.Diff(tc.want, briefs(rep.Findings)); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
			wantCrossed := false
			for _, b := range tc.want {
				wantCrossed = wantCrossed || b.Breaking
			}
			if got := rep.Crossed(FailOnBreaking); got != wantCrossed {
				t.Errorf("Crossed(breaking) got %v, want %v", got, wantCrossed)
			}
			if got := rep.Crossed(FailOnAny); got != (len(tc.want) > 0) {
				t.Errorf("Crossed(any) got %v, want %v", got, len(tc.want) > 0)
			}
			if rep.Crossed(FailOnNone) {
				t.Error("Crossed(none) got true, want false")
			}
		})
	}
}

func TestFindingLines(t *testing.T) {
	rep := run(t, "base-3.1.yaml", "type-changed.yaml", Options{})
	if len(rep.Findings) != 1 {
		t.Fatalf("got %d findings, want 1", len(rep.Findings))
	}
	f := rep.Findings[0]
	// Both point at the "type:" line of Order's amount, 137 in each file.
	if f.OldLine != 137 || f.NewLine != 137 {
		t.Errorf("lines got old %d new %d, want 137 and 137", f.OldLine, f.NewLine)
	}
	if f.Old != "integer" || f.New != "string" {
		t.Errorf("values got %q -> %q, want integer -> string", f.Old, f.New)
	}
	rep = run(t, "base-3.1.yaml", "property-removed-response.yaml", Options{})
	if f := rep.Findings[0]; f.OldLine != 138 || f.NewLine != 0 {
		t.Errorf("removal lines got old %d new %d, want 138 and 0", f.OldLine, f.NewLine)
	}
}

func TestFindingIDStable(t *testing.T) {
	a := run(t, "base-3.1.yaml", "shared-enum-added.yaml", Options{})
	// The same change in a file with unrelated lines shifted keeps its id.
	shifted := bytes.Replace(readFile(t, "shared-enum-added.yaml"), []byte("info:\n"), []byte("# a comment\n\ninfo:\n"), 1)
	b, err := Run(context.Background(), Options{Old: readFile(t, "base-3.1.yaml"), New: shifted, OldName: "a", NewName: "b"})
	if err != nil {
		t.Fatal(err)
	}
	if a.Findings[0].ID != b.Findings[0].ID {
		t.Errorf("id got %s after shifting lines, want %s", b.Findings[0].ID, a.Findings[0].ID)
	}
	if a.Findings[0].NewLine == b.Findings[0].NewLine {
		t.Errorf("new line got %d in both, want it to move", a.Findings[0].NewLine)
	}
}

func TestRunRejects(t *testing.T) {
	base := readFile(t, "base-3.1.yaml")
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"bad fail-on", Options{Old: base, New: base, FailOn: "sometimes"}, "fail-on"},
		{"swagger 2", Options{Old: []byte("swagger: '2.0'\ninfo: {title: x, version: '1'}\npaths: {}\n"), New: base, OldName: "old.yaml"}, "old.yaml"},
		{"not yaml", Options{Old: base, New: []byte("openapi: [3.1\n"), NewName: "new.yaml"}, "new.yaml"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Run(context.Background(), tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got error %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}

func TestIgnoreFile(t *testing.T) {
	shared := run(t, "base-3.1.yaml", "shared-enum-added.yaml", Options{})
	id := shared.Findings[0].ID
	tests := []struct {
		name        string
		ignore      string
		wantIgnored bool
		wantExpired bool
	}{
		{"by id", "- id: " + id + "\n  reason: clients were told\n  expires: 2025-12-31\n", true, false},
		{"by rule and pointer prefix", "- rule: enum-value-added\n  pointer: /components/schemas/Customer\n  reason: clients were told\n  expires: 2025-06-01\n", true, false},
		{"by operation", "ignore:\n  - operation: POST /customers\n    reason: clients were told\n    expires: 2025-07-01\n", true, false},
		{"other path", "- path: /orders\n  reason: not this one\n  expires: 2025-07-01\n", false, false},
		{"expired", "- id: " + id + "\n  reason: clients were told\n  expires: 2025-05-31\n", false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ig, err := ParseIgnoreFile([]byte(tc.ignore), "ignore.yaml")
			if err != nil {
				t.Fatal(err)
			}
			rep := run(t, "base-3.1.yaml", "shared-enum-added.yaml", Options{Ignore: ig})
			var change, expired *Finding
			for i := range rep.Findings {
				switch rep.Findings[i].Rule {
				case RuleIgnoreExpired:
					expired = &rep.Findings[i]
				case RuleEnumValueAdded:
					change = &rep.Findings[i]
				}
			}
			if change == nil {
				t.Fatal("the enum change is missing from the report")
			}
			if got := change.Ignored != nil; got != tc.wantIgnored {
				t.Errorf("ignored got %v, want %v", got, tc.wantIgnored)
			}
			if got := expired != nil; got != tc.wantExpired {
				t.Errorf("expired finding got %v, want %v", got, tc.wantExpired)
			}
			if expired != nil && (expired.File != "ignore.yaml" || expired.NewLine != 1 || expired.Breaking) {
				t.Errorf("expired finding got file %q line %d breaking %v, want ignore.yaml line 1 not breaking", expired.File, expired.NewLine, expired.Breaking)
			}
			if got := rep.Crossed(FailOnBreaking); got == tc.wantIgnored {
				t.Errorf("Crossed(breaking) got %v, want %v", got, !tc.wantIgnored)
			}
			wantSummary := Summary{Total: 1, Breaking: 1}
			switch {
			case tc.wantIgnored:
				wantSummary = Summary{Total: 1, Ignored: 1}
			case tc.wantExpired:
				wantSummary = Summary{Total: 2, Breaking: 1, Expired: 1}
			}
			if diff := cmp.Diff(wantSummary, rep.Summary); diff != "" {
				t.Errorf("summary (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseIgnoreFileErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"no reason", "- rule: enum-value-added\n  expires: 2025-01-01\n", "line 1: reason is required"},
		{"no expiry", "- rule: enum-value-added\n  reason: x\n", "expires (YYYY-MM-DD) is required"},
		{"bad date", "- rule: enum-value-added\n  reason: x\n  expires: 01/02/2025\n", "not a YYYY-MM-DD date"},
		{"unknown key", "- rule: enum-value-added\n  reason: x\n  expiry: 2025-01-01\n", `unknown key "expiry"`},
		{"unknown rule", "- rule: enum-added\n  reason: x\n  expires: 2025-01-01\n", `unknown rule "enum-added"`},
		{"selects nothing", "- reason: x\n  expires: 2025-01-01\n", "selects nothing"},
		{"not a list", "ignore: 3\n", "want a list"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseIgnoreFile([]byte(tc.in), "ignore.yaml")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func FuzzParseIgnoreFile(f *testing.F) {
	f.Add([]byte("- id: abc\n  reason: x\n  expires: 2025-01-01\n"))
	f.Add([]byte("ignore:\n  - operation: GET /x\n    reason: y\n    expires: 2025-01-01\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ig, err := ParseIgnoreFile(b, "f")
		if err == nil && ig == nil {
			t.Fatal("nil file without error")
		}
	})
}

func TestWriteSARIF(t *testing.T) {
	ig, err := ParseIgnoreFile([]byte("- rule: property-removed\n  reason: gone\n  expires: 2025-01-01\n"), "ignore.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rep := run(t, "base-3.1.yaml", "success-response-removed.yaml", Options{Ignore: ig})
	var buf bytes.Buffer
	if err := rep.WriteSARIF(&buf); err != nil {
		t.Fatal(err)
	}
	var log struct {
		Schema  string `json:"$schema"`
		Version string `json:"version"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Name  string `json:"name"`
					Rules []struct {
						ID string `json:"id"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				RuleID    string `json:"ruleId"`
				RuleIndex int    `json:"ruleIndex"`
				Level     string `json:"level"`
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct {
							URI string `json:"uri"`
						} `json:"artifactLocation"`
						Region struct {
							StartLine int `json:"startLine"`
						} `json:"region"`
					} `json:"physicalLocation"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(buf.Bytes(), &log); err != nil {
		t.Fatalf("SARIF is not JSON: %v", err)
	}
	if log.Version != "2.1.0" || log.Schema != format.SARIFSchema {
		t.Errorf("version %q schema %q, want 2.1.0 and %s", log.Version, log.Schema, format.SARIFSchema)
	}
	if len(log.Runs) != 1 {
		t.Fatalf("got %d runs, want 1", len(log.Runs))
	}
	run := log.Runs[0]
	if run.Tool.Driver.Name != "contract diff" || len(run.Tool.Driver.Rules) != len(Rules) {
		t.Errorf("driver %q with %d rules, want contract diff with %d", run.Tool.Driver.Name, len(run.Tool.Driver.Rules), len(Rules))
	}
	type res struct {
		Rule, Level, URI string
		Line             int
	}
	var got []res
	for _, r := range run.Results {
		if run.Tool.Driver.Rules[r.RuleIndex].ID != r.RuleID {
			t.Errorf("result %s has ruleIndex %d, which is rule %s", r.RuleID, r.RuleIndex, run.Tool.Driver.Rules[r.RuleIndex].ID)
		}
		pl := r.Locations[0].PhysicalLocation
		got = append(got, res{r.RuleID, r.Level, pl.ArtifactLocation.URI, pl.Region.StartLine})
	}
	want := []res{
		{RuleSuccessResponseRemoved, "error", "base-3.1.yaml", 72},
		{RuleResponseAdded, "note", "success-response-removed.yaml", 72},
		{RuleIgnoreExpired, "warning", "ignore.yaml", 1},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
}

func TestWriteJUnit(t *testing.T) {
	ig, err := ParseIgnoreFile([]byte("- rule: response-added\n  reason: fine\n  expires: 2030-01-01\n"), "ignore.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rep := run(t, "base-3.1.yaml", "success-response-removed.yaml", Options{Ignore: ig})
	var buf bytes.Buffer
	if err := rep.WriteJUnit(&buf); err != nil {
		t.Fatal(err)
	}
	var suites struct {
		XMLName  xml.Name `xml:"testsuites"`
		Failures int      `xml:"failures,attr"`
		Suites   []struct {
			Tests int `xml:"tests,attr"`
			Cases []struct {
				Name    string `xml:"name,attr"`
				Failure *struct {
					Type string `xml:"type,attr"`
				} `xml:"failure"`
				Skipped *struct{} `xml:"skipped"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(buf.Bytes(), &suites); err != nil {
		t.Fatalf("JUnit does not parse: %v\n%s", err, buf.String())
	}
	if len(suites.Suites) != 1 || suites.Suites[0].Tests != 2 || suites.Failures != 1 {
		t.Fatalf("got %+v, want one suite of 2 tests with 1 failure", suites)
	}
	cases := suites.Suites[0].Cases
	if cases[0].Failure == nil || cases[0].Failure.Type != RuleSuccessResponseRemoved {
		t.Errorf("first case %q got failure %+v, want a %s failure", cases[0].Name, cases[0].Failure, RuleSuccessResponseRemoved)
	}
	if cases[1].Skipped == nil || cases[1].Failure != nil {
		t.Errorf("second case %q got skipped %v failure %v, want skipped only", cases[1].Name, cases[1].Skipped, cases[1].Failure)
	}
}

func TestWriteTextJSONMarkdown(t *testing.T) {
	rep := run(t, "base-3.1.yaml", "shared-enum-added.yaml", Options{})
	var text, js, md bytes.Buffer
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if err := rep.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	if err := rep.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"BREAKING enum-value-added  /components/schemas/Customer/properties/tier/enum",
		`enum value "platinum" added (not breaking in requests, breaking in responses)`,
		"at shared-enum-added.yaml:114",
		"reaches GET /customers (response), POST /customers (request+response), GET /customers/{id} (response)",
		"fail-on breaking: FAIL",
	} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text output lacks %q:\n%s", want, text.String())
		}
	}
	var back Report
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(*rep, back); diff != "" {
		t.Errorf("JSON round trip (-want +got):\n%s", diff)
	}
	if !strings.Contains(md.String(), "| BREAKING | `enum-value-added` |") {
		t.Errorf("markdown lacks the finding row:\n%s", md.String())
	}
}

func TestLoadRef(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	dir := t.TempDir()
	gitRun := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"}, args...)...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	gitRun("init", "-q")
	if err := os.MkdirAll(filepath.Join(dir, "specs"), 0o755); err != nil {
		t.Fatal(err)
	}
	spec := filepath.Join(dir, "specs", "api.yaml")
	if err := os.WriteFile(spec, []byte("v1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	gitRun("add", ".")
	gitRun("commit", "-q", "-m", "one")
	if err := os.WriteFile(spec, []byte("v2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		ref, want, wantErr string
	}{
		{"specs/api.yaml", "v2\n", ""},
		{"HEAD:specs/api.yaml", "v1\n", ""},
		{"nosuchrev:specs/api.yaml", "", "nosuchrev"},
		{"specs/missing.yaml", "", "missing.yaml"},
	}
	for _, tc := range tests {
		t.Run(tc.ref, func(t *testing.T) {
			b, name, err := LoadRef(tc.ref, dir)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("got error %v, want one mentioning %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tc.want || name != tc.ref {
				t.Errorf("got %q named %q, want %q named %q", b, name, tc.want, tc.ref)
			}
		})
	}
}

// TestRulesDocumented keeps the rule table in docs/contract-diff-lint.md
// in step with the code.
func TestRulesDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/contract-diff-lint.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range Rules {
		row := "| `" + r.ID + "` | " + r.Request.String() + " | " + r.Response.String() + " |"
		if !bytes.Contains(doc, []byte(row)) {
			t.Errorf("docs/contract-diff-lint.md lacks the row starting %q", row)
		}
	}
}

const stripeSpec = "/work/shared/reference/stripe-openapi-3mb.yaml"

// editStripe changes the type of customer.balance, a property of a schema
// reached by hundreds of operations.
func editStripe(tb testing.TB) (old, nw []byte) {
	b, err := os.ReadFile(stripeSpec)
	if err != nil {
		tb.Skipf("%s not present", stripeSpec)
	}
	i := bytes.Index(b, []byte("\n    customer:\n"))
	from := []byte("          type: integer\n")
	j := bytes.Index(b[i:], from)
	if i < 0 || j < 0 {
		tb.Fatal("customer schema not found in the Stripe spec")
	}
	j += i
	nw = append(append(append([]byte{}, b[:j]...), "          type: string\n"...), b[j+len(from):]...)
	return b, nw
}

func TestStripeOneSharedChange(t *testing.T) {
	if testing.Short() {
		t.Skip("large spec")
	}
	old, nw := editStripe(t)
	rep, err := Run(context.Background(), Options{Old: old, New: nw, OldName: "old", NewName: "new"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Findings) != 1 {
		t.Fatalf("got %d findings, want 1: %+v", len(rep.Findings), rep.Findings)
	}
	f := rep.Findings[0]
	if f.Rule != RuleTypeChanged || f.Pointer != "/components/schemas/customer/properties/balance/type" || !f.Breaking {
		t.Errorf("got %s at %s breaking %v, want type-changed at customer.balance, breaking", f.Rule, f.Pointer, f.Breaking)
	}
	if len(f.Operations) < 50 {
		t.Errorf("got %d operations reached, want the many that return customers", len(f.Operations))
	}
	found := false
	for _, o := range f.Operations {
		found = found || o.String() == "GET /v1/customers/{customer}"
	}
	if !found {
		t.Error("GET /v1/customers/{customer} is not among the operations reached")
	}
}

// TestWebhookDirection: a webhook's request body is sent by the API, so a
// new enum value in it breaks receivers, as a response would.
func TestWebhookDirection(t *testing.T) {
	spec := func(values string) []byte {
		return []byte(`openapi: 3.1.0
info: {title: Hooks, version: '1'}
paths: {}
webhooks:
  orderPaid:
    post:
      operationId: orderPaid
      requestBody:
        content:
          application/json:
            schema:
              $ref: '#/components/schemas/Event'
      responses:
        '200':
          description: Received.
components:
  schemas:
    Event:
      type: object
      properties:
        status:
          type: string
          enum: [` + values + `]
`)
	}
	rep, err := Run(context.Background(), Options{Old: spec("paid"), New: spec("paid, refunded"), OldName: "a", NewName: "b"})
	if err != nil {
		t.Fatal(err)
	}
	want := []brief{{Rule: RuleEnumValueAdded, Breaking: true, Pointer: "/components/schemas/Event/properties/status/enum",
		Operations: []string{"POST webhook:orderPaid (response)"}, Directions: resp, BreakingIn: resp}}
	if diff := cmp.Diff(want, briefs(rep.Findings)); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
}

// TestAnchorsNotStubbed: a document using YAML anchors is compared whole,
// since blanking an unchanged schema could cut an anchor used elsewhere.
func TestAnchorsNotStubbed(t *testing.T) {
	base := string(readFile(t, "base-3.1.yaml"))
	anchored := strings.Replace(base, "        line1:\n          type: string\n", "        line1: &str\n          type: string\n", 1)
	anchored = strings.Replace(anchored, "        note:\n          type: string\n    CreateOrder:", "        note: *str\n    CreateOrder:", 1)
	changed := strings.Replace(anchored, "            - pending\n            - paid\n", "            - pending\n            - paid\n            - refunded\n", 1)
	rep, err := Run(context.Background(), Options{Old: []byte(anchored), New: []byte(changed), OldName: "a", NewName: "b"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Findings) != 1 || rep.Findings[0].Rule != RuleEnumValueAdded {
		t.Errorf("got %+v, want one enum-value-added", briefs(rep.Findings))
	}
}

// TestNoChangeJSON: a report with no change has an empty list of
// findings, not null, so consumers need no special case.
func TestNoChangeJSON(t *testing.T) {
	rep := run(t, "base-3.1.yaml", "base-3.1.yaml", Options{})
	var js bytes.Buffer
	if err := rep.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(js.String(), `"findings": []`) {
		t.Errorf("JSON got no empty findings list:\n%s", js.String())
	}
}

// FuzzRun compares a fixture with mutations of another: whatever the
// second document holds, Run returns a report or an error, never panics
// or runs away.
func FuzzRun(f *testing.F) {
	base := readFile(f, "base-3.1.yaml")
	for _, name := range []string{"shared-enum-added.yaml", "type-changed.yaml", "pairs/nullable-wrap-response.revision.yaml", "pairs/security-op-replaces-global.revision.yaml"} {
		f.Add(readFile(f, name))
	}
	f.Add([]byte("openapi: 3.1.0\na: &a [*a]\n"))
	f.Add([]byte("openapi: 3.1.0\npaths:\n  /x:\n    $ref: '#/paths/~1x'\n"))
	f.Fuzz(func(t *testing.T, nw []byte) {
		rep, err := Run(context.Background(), Options{Old: base, New: nw, OldName: "a", NewName: "b"})
		if err == nil && rep == nil {
			t.Fatal("nil report without error")
		}
	})
}

// TestMarkdownEscapesSpecText compares specs whose property name is
// hostile Markdown: the finding stays one table row, and neither HTML nor
// emphasis nor a code span from the spec reaches the page.
func TestMarkdownEscapesSpecText(t *testing.T) {
	const spec = `openapi: 3.1.0
info: {title: t, version: "1"}
paths:
  /refunds: {$ref: '#/components/pathItems/<b>|x'}
  /orders:
    get:
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema:
                type: object
                properties:
%s`
	name := `"<script>alert(` + "`1`" + `)</script> | *b* _i_\nnext"`
	rep, err := Run(context.Background(), Options{
		Old: fmt.Appendf(nil, spec, "                  "+name+": {type: string}\n                  id: {type: string}\n"), OldName: "old.yaml",
		New: fmt.Appendf(nil, spec, "                  id: {type: string}\n"), NewName: "new.yaml",
	})
	if err != nil {
		t.Fatal(err)
	}
	var md bytes.Buffer
	if err := rep.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`| property "&lt;script&gt;alert('1')&lt;/script&gt; \| \*b\* \_i\_\nnext" removed |`,
		"| `/paths/~1orders/get/responses/200/content/application~1json/schema/properties/<script>alert('1')<~1script> \\| *b* _i_ next` |",
		`> warning: old.yaml: $ref #/components/pathItems/&lt;b&gt;\|x points at nothing`,
	} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("markdown lacks %s:\n%s", want, md.String())
		}
	}
	for _, line := range strings.Split(md.String(), "\n") {
		if strings.HasPrefix(line, "|") && strings.Count(line, "|")-strings.Count(line, `\|`) != 7 {
			t.Errorf("got a table row of %d cells, want 6: %s", strings.Count(line, "|")-strings.Count(line, `\|`)-1, line)
		}
	}
}
