package lint

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/reconkit/reconkit/contract/format"
	"github.com/reconkit/reconkit/specs"
)

const testdata = "../../testdata/contract/lint/"

func lintFile(t testing.TB, path string) *Report {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Run(b, path)
	if err != nil {
		t.Fatalf("Run(%s): %v", path, err)
	}
	return rep
}

type brief struct {
	Rule, Severity string
	Line           int
	Location       string
}

func briefs(fs []Finding) []brief {
	out := []brief{}
	for _, f := range fs {
		out = append(out, brief{f.Rule, f.Severity, f.Line, f.Location})
	}
	return out
}

// TestRunQuirks runs lint on a small spec that reproduces, once each, the
// problems of the vendor's OxPay document, so the checks run everywhere.
func TestRunQuirks(t *testing.T) {
	rep := lintFile(t, testdata+"quirks.yaml")
	want := []brief{
		{RuleExampleInvalid, Error, 31, "/paths/~1payment/post/responses/200/content/application~1json/examples/paid/value/headers/gateway_response_datetime"},
		{RulePathQueryString, Error, 32, "/paths/~1payment?session_id={session_id}"},
		{RuleRefUnresolved, Error, 47, "/paths/~1payment?session_id={session_id}/get/responses/200/content/application~1json/schema"},
		{RuleOperationIDMissing, Warning, 49, "/paths/~1refund/post"},
		{RuleNoSuccessResponse, Warning, 49, "/paths/~1refund/post/responses"},
		{RuleOperationIDDuplicate, Error, 54, "/paths/~1void/post"},
		{RuleExampleInvalid, Error, 71, "/components/schemas/Payment/properties/channel/example"},
		{RuleSecuritySchemeType, Error, 83, "/components/securitySchemes/Signature/type"},
		{RuleSecuritySchemeFields, Error, 84, "/components/securitySchemes/Bearer Token"},
		{RuleExampleInvalid, Error, 100, "/x-webhooks/payment/post/requestBody/content/application~1json/examples/grabpay/value/headers/gateway_response_datetime"},
	}
	if diff := cmp.Diff(want, briefs(rep.Findings)); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	// The two gateway_response_datetime examples are one cause.
	if got := (Summary{Errors: 8, Warnings: 2, Causes: 9}); rep.Summary != got {
		t.Errorf("summary got %+v, want %+v", rep.Summary, got)
	}
	if !rep.Failed() {
		t.Error("Failed() got false, want true")
	}
	if msg := rep.Findings[0].Message; !strings.Contains(msg, "'20240111071316' is not valid date-time") {
		t.Errorf("example message got %q, want it to name the value and the format", msg)
	}
}

func TestRunClean(t *testing.T) {
	tests := []struct {
		name string
		spec []byte
	}{
		{"testdata clean.yaml", mustRead(t, testdata+"clean.yaml")},
		{specs.XepengFile, specs.Xepeng()},
		{specs.OxPayFile, specs.OxPay()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := Run(tc.spec, tc.name)
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Findings) != 0 {
				var buf bytes.Buffer
				_ = rep.WriteText(&buf)
				t.Errorf("got %d findings, want none:\n%s", len(rep.Findings), buf.String())
			}
		})
	}
}

// TestAliases lints a spec that shares its info, path items, a schema
// and security schemes through YAML anchors: what an alias stands for is
// read where the alias is (no "no info object", no unresolved $ref
// through an aliased schema), and its problems are reported at each use.
func TestAliases(t *testing.T) {
	rep := lintFile(t, testdata+"aliases.yaml")
	want := []brief{
		{RulePatternInvalid, Error, 5, "/paths/~1payments~1{id}/get/parameters/0/schema/pattern"},
		{RuleOperationIDMissing, Warning, 10, "/paths/~1orders~1{id}/get"},
		{RuleOperationIDMissing, Warning, 10, "/paths/~1refunds~1{id}/get"},
		{RuleSecuritySchemeFields, Error, 55, "/components/securitySchemes/Token"},
		{RuleSecuritySchemeFields, Error, 57, "/components/securitySchemes/Renewed"},
	}
	if d := cmp.Diff(want, briefs(rep.Findings)); d != "" {
		t.Errorf("findings (-want +got):\n%s", d)
	}
}

func mustRead(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const vendorSpec = "/work/shared/reference/oxpay-openapi-vendor.yaml"

// TestVendorSpec lints the vendor's published OxPay document, where it is
// present: each known problem is reported with its line and nothing
// crashes.
func TestVendorSpec(t *testing.T) {
	b, err := os.ReadFile(vendorSpec)
	if err != nil {
		t.Skipf("%s not present", vendorSpec)
	}
	rep, err := Run(b, "oxpay-openapi-vendor.yaml")
	if err != nil {
		t.Fatal(err)
	}
	has := func(rule string, line int, text string) bool {
		for _, f := range rep.Findings {
			if f.Rule == rule && f.Line == line && strings.Contains(f.Message, text) {
				return true
			}
		}
		return false
	}
	tests := []struct {
		rule string
		line int
		text string
	}{
		{RulePathQueryString, 1055, "/payment?session_id={session_id}"},
		{RuleSecuritySchemeType, 2835, `type "signature"`},
		{RuleSecuritySchemeFields, 2846, `"Bearer Token" of type apiKey lacks name and in`},
		{RuleExampleInvalid, 98, "'20240103101433' is not valid date-time"},
		{RuleExampleInvalid, 2900, "'20240111071316' is not valid date-time"},
	}
	for _, tc := range tests {
		if !has(tc.rule, tc.line, tc.text) {
			t.Errorf("no %s finding at line %d mentioning %q", tc.rule, tc.line, tc.text)
		}
	}
	if !rep.Failed() {
		t.Error("Failed() got false, want true")
	}
}

func TestRunRejects(t *testing.T) {
	tests := []struct {
		name, spec, want string
	}{
		{"not yaml", "openapi: [3.1\n", "read x.yaml"},
		{"swagger 2", "swagger: '2.0'\ninfo: {title: x, version: '1'}\npaths: {}\n", "only OpenAPI 3.0 and 3.1"},
		{"a list", "- 1\n", "not an OpenAPI document"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Run([]byte(tc.spec), "x.yaml")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestExternalRef(t *testing.T) {
	spec := "openapi: 3.1.0\ninfo: {title: x, version: '1'}\npaths:\n  /a:\n    get:\n      operationId: a\n      responses:\n        '200':\n          $ref: 'other.yaml#/components/responses/Ok'\n"
	rep, err := Run([]byte(spec), "x.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := []brief{{RuleRefExternal, Warning, 9, "/paths/~1a/get/responses/200"}}
	if diff := cmp.Diff(want, briefs(rep.Findings)); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
}

func FuzzRun(f *testing.F) {
	f.Add([]byte("openapi: 3.1.0\ninfo: {title: x, version: '1'}\npaths: {}\n"))
	f.Add([]byte("openapi: 3.0.0\npaths:\n  /a?b:\n    get: {}\ncomponents:\n  securitySchemes:\n    s: {type: x}\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		rep, err := Run(b, "f.yaml")
		if err == nil && rep == nil {
			t.Fatal("nil report without error")
		}
	})
}

func TestWriteSARIF(t *testing.T) {
	rep := lintFile(t, testdata+"quirks.yaml")
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
	if log.Version != "2.1.0" || log.Schema != format.SARIFSchema || len(log.Runs) != 1 {
		t.Fatalf("got version %q schema %q runs %d, want 2.1.0, %s, 1", log.Version, log.Schema, len(log.Runs), format.SARIFSchema)
	}
	r := log.Runs[0]
	if r.Tool.Driver.Name != "contract lint" || len(r.Tool.Driver.Rules) != len(Rules) {
		t.Errorf("driver %q with %d rules, want contract lint with %d", r.Tool.Driver.Name, len(r.Tool.Driver.Rules), len(Rules))
	}
	if len(r.Results) != len(rep.Findings) {
		t.Fatalf("got %d results, want %d", len(r.Results), len(rep.Findings))
	}
	first := r.Results[0]
	loc := first.Locations[0].PhysicalLocation
	if first.RuleID != RuleExampleInvalid || first.Level != "error" || loc.Region.StartLine != 31 || !strings.HasSuffix(loc.ArtifactLocation.URI, "quirks.yaml") {
		t.Errorf("first result got %s %s %s:%d, want example-invalid error quirks.yaml:31", first.RuleID, first.Level, loc.ArtifactLocation.URI, loc.Region.StartLine)
	}
}

func TestWriteJUnit(t *testing.T) {
	rep := lintFile(t, testdata+"quirks.yaml")
	var buf bytes.Buffer
	if err := rep.WriteJUnit(&buf); err != nil {
		t.Fatal(err)
	}
	var suites struct {
		XMLName xml.Name `xml:"testsuites"`
		Suites  []struct {
			Failures int `xml:"failures,attr"`
			Cases    []struct {
				Name    string `xml:"name,attr"`
				Failure *struct {
					Text string `xml:",chardata"`
				} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(buf.Bytes(), &suites); err != nil {
		t.Fatalf("JUnit does not parse: %v", err)
	}
	if len(suites.Suites) != 1 || len(suites.Suites[0].Cases) != len(Rules) {
		t.Fatalf("got %+v, want one suite with a case per rule", suites)
	}
	failed := map[string]bool{}
	for _, c := range suites.Suites[0].Cases {
		failed[c.Name] = c.Failure != nil
	}
	// Six rules have error findings; warnings do not fail a case.
	want := map[string]bool{RuleExampleInvalid: true, RulePathQueryString: true, RuleRefUnresolved: true,
		RuleOperationIDDuplicate: true, RuleSecuritySchemeType: true, RuleSecuritySchemeFields: true}
	for _, r := range Rules {
		if failed[r.ID] != want[r.ID] {
			t.Errorf("case %s failed %v, want %v", r.ID, failed[r.ID], want[r.ID])
		}
	}
}

func TestWriteTextMarkdownJSON(t *testing.T) {
	rep := lintFile(t, testdata+"quirks.yaml")
	var text, md, js bytes.Buffer
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if err := rep.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	if err := rep.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	if want := "quirks.yaml:83: error [security-scheme-unknown-type]"; !strings.Contains(text.String(), want) {
		t.Errorf("text lacks %q:\n%s", want, text.String())
	}
	if want := "| error | `path-query-string` | 1 | 32 |"; !strings.Contains(md.String(), want) {
		t.Errorf("markdown lacks %q:\n%s", want, md.String())
	}
	var back Report
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(*rep, back); diff != "" {
		t.Errorf("JSON round trip (-want +got):\n%s", diff)
	}
}

// TestRulesDocumented keeps the lint rule table in the docs in step.
func TestRulesDocumented(t *testing.T) {
	doc := mustRead(t, "../../docs/contract-diff-lint.md")
	for _, r := range Rules {
		if row := "| `" + r.ID + "` | " + r.Severity + " |"; !bytes.Contains(doc, []byte(row)) {
			t.Errorf("docs/contract-diff-lint.md lacks the row starting %q", row)
		}
	}
}

const stripeSpec = "/work/shared/reference/stripe-openapi-3mb.yaml"

// BenchmarkLintStripe lints the 3 MB Stripe spec. Target: under 5 s.
func BenchmarkLintStripe(b *testing.B) {
	spec, err := os.ReadFile(stripeSpec)
	if err != nil {
		b.Skipf("%s not present", stripeSpec)
	}
	var worst float64
	for b.Loop() {
		runtime.GC()
		var peak uint64
		stop, done := make(chan struct{}), make(chan struct{})
		go func() {
			defer close(done)
			var m runtime.MemStats
			for {
				runtime.ReadMemStats(&m)
				peak = max(peak, m.HeapAlloc)
				select {
				case <-stop:
					return
				case <-time.After(5 * time.Millisecond):
				}
			}
		}()
		if _, err := Run(spec, "stripe.yaml"); err != nil {
			b.Fatal(err)
		}
		close(stop)
		<-done
		worst = max(worst, float64(peak)/(1<<20))
	}
	b.ReportMetric(worst, "peak-heap-MiB")
}

// TestStructure finds each structural defect of a spec validator's list
// once, at its line, and nothing in a 3.1 document that uses 3.1 freely.
func TestStructure(t *testing.T) {
	rep := lintFile(t, testdata+"structure-3.0.yaml")
	type at struct {
		Rule string
		Line int
	}
	var got []at
	for _, f := range rep.Findings {
		if f.Rule == RuleBuildError {
			continue // libopenapi's own opinion of the same defects
		}
		got = append(got, at{f.Rule, f.Line})
	}
	want := []at{
		{RuleInfoIncomplete, 3},
		{RuleOnly31, 5},
		{RuleServerURL, 7},
		{RuleServerURL, 8},
		{RulePathParamRequired, 14},
		{RuleParamDuplicate, 22},
		{RuleParamIn, 27},
		{RulePathConflict, 37},
		{RulePathInvalid, 49},
		{RulePathParamMismatch, 50},
		{RulePatternInvalid, 62},
		{RuleTypeUnknown, 64},
		{RuleOnly31, 66}, // type as a list
		{RuleOnly31, 66}, // type null
		{RuleOnly31, 68}, // const
		{RuleOnly31, 71}, // numeric exclusiveMaximum
		{RuleOnly31, 75}, // webhooks
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	clean := lintFile(t, testdata+"structure-3.1.yaml")
	if len(clean.Findings) != 0 {
		var buf bytes.Buffer
		_ = clean.WriteText(&buf)
		t.Errorf("3.1 document: got %d findings, want none:\n%s", len(clean.Findings), buf.String())
	}
}

// TestGroupByCause: the same field failing the same way in several
// examples is one cause, shown once with its count in the text report and
// kept whole in JSON.
func TestGroupByCause(t *testing.T) {
	spec := `openapi: 3.1.0
info: {title: x, version: '1'}
paths:
  /a:
    get:
      operationId: a
      responses:
        '200':
          description: OK
          content:
            application/json:
              schema:
                type: object
                properties:
                  at: {type: string, format: date-time}
                  n: {type: integer}
              examples:
                one: {value: {at: '20240101', n: 1}}
                two: {value: {at: '20240102', n: 2}}
                three: {value: {at: '20240103', n: x}}
`
	rep, err := Run([]byte(spec), "g.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Findings) != 4 || len(rep.Causes) != 2 || rep.Summary.Causes != 2 {
		t.Fatalf("got %d findings in %d causes, want 4 in 2:\n%+v", len(rep.Findings), len(rep.Causes), rep.Causes)
	}
	if c := rep.Causes[0]; c.Count != 3 || c.Line != 18 || !strings.Contains(c.Cause, `"at" does not match its schema (format)`) {
		t.Errorf("first cause got %+v, want the date-time format of \"at\" three times from line 18", c)
	}
	var text bytes.Buffer
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if lines := strings.Count(text.String(), "\n"); lines != 3 {
		t.Errorf("text got %d lines, want one per cause and the verdict:\n%s", lines, text.String())
	}
	if want := "g.yaml:18: error [example-invalid] 3 times: "; !strings.Contains(text.String(), want) {
		t.Errorf("text lacks %q:\n%s", want, text.String())
	}
}

// TestMarkdownEscapesSpecText lints a spec whose path is hostile
// Markdown: the finding stays one table row, and neither HTML nor
// emphasis nor a code span from the spec reaches the page.
func TestMarkdownEscapesSpecText(t *testing.T) {
	spec := `openapi: 3.1.0
info: {title: t, version: "1"}
paths:
  "/orders?<script>alert(` + "`1`" + `)</script> | *b* _i_\nnext":
    get:
      operationId: listOrders
      responses:
        '200': {description: ok}
`
	rep, err := Run([]byte(spec), "spec.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var md bytes.Buffer
	if err := rep.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	text := `&lt;script&gt;alert('1')&lt;/script&gt; \| \*b\* \_i\_`
	row := "| error | `path-query-string` | 1 | 4 | `/paths/~1orders?<script>alert('1')<~1script> \\| *b* _i_ next` | " +
		`path "/orders?` + text + `\nnext" holds a query string (?` + text + ` next); declare the query parameters under parameters and use the path "/orders" |`
	if !strings.Contains(md.String(), "\n"+row+"\n") {
		t.Errorf("markdown lacks the row\n%s\nin\n%s", row, md.String())
	}
}
