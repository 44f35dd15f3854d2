package webhooks

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/reconkit/reconkit/contract/format"
)

// driftedReport is the drifted log against the 3.0 test spec, whose
// lines do not move when specs/ is edited.
func driftedReport(t *testing.T) *Report {
	t.Helper()
	return check(t, newChecker(t, spec30, Options{SignKey: signKey}), "drifted.jsonl", driftedLog())
}

func TestOutputGolden(t *testing.T) {
	for _, tc := range []struct {
		file  string
		write func(*Report, io.Writer) error
	}{
		{"drifted.txt", (*Report).WriteText},
		{"drifted.md", (*Report).WriteMarkdown},
		{"drifted.junit.xml", (*Report).WriteJUnit},
		{"drifted.sarif", (*Report).WriteSARIF},
	} {
		t.Run(tc.file, func(t *testing.T) {
			var b bytes.Buffer
			if err := tc.write(driftedReport(t), &b); err != nil {
				t.Fatal(err)
			}
			golden(t, tc.file, b.Bytes())
			if strings.Contains(b.String(), signKey) {
				t.Error("the output holds the sign key")
			}
		})
	}
}

func TestJSONRoundTrip(t *testing.T) {
	r := driftedReport(t)
	var b bytes.Buffer
	if err := r.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Passed bool `json:"passed"`
		Report
	}
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.Passed {
		t.Error("passed is true for a drifted log")
	}
	if diff := cmp.Diff(*r, got.Report); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

func TestJUnitFailOn(t *testing.T) {
	for _, tc := range []struct {
		level    string
		failures int
	}{
		// Breaking: type_changed, unknown_enum_value (payment),
		// missing_required_field (refund, void), signatures, input errors.
		{FailOnBreaking, 6},
		// Drift: the undocumented field too.
		{FailOnDrift, 7},
		{FailOnNone, 0},
	} {
		t.Run(tc.level, func(t *testing.T) {
			r := driftedReport(t)
			r.FailOn = tc.level
			var b bytes.Buffer
			if err := r.WriteJUnit(&b); err != nil {
				t.Fatal(err)
			}
			var doc format.JUnitSuites
			if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
				t.Fatal(err)
			}
			if doc.Failures != tc.failures {
				t.Errorf("%d failures, want %d", doc.Failures, tc.failures)
			}
		})
	}
}

// TestMarkdownEscapesSpecText writes a report whose kind, operationId,
// field and message are hostile Markdown: each stays in its table cell,
// and neither HTML nor emphasis nor a code span reaches the page.
func TestMarkdownEscapesSpecText(t *testing.T) {
	hostile := "<script>alert(`1`)</script> | *b* _i_\nnext"
	r := &Report{
		Spec:  "spec.yaml",
		Kinds: []KindReport{{Name: hostile, OperationID: hostile, Deliveries: 1}},
		Drift: []Finding{{Kind: hostile, Check: "undocumented_field", Severity: "warning", Field: "body." + hostile,
			Count: 1, Of: 1, First: Location{File: "log.jsonl", Line: 1}, Message: "field " + hostile}},
	}
	var md bytes.Buffer
	if err := r.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	text := `&lt;script&gt;alert('1')&lt;/script&gt; \| \*b\* \_i\_ next`
	code := "`<script>alert('1')</script> \\| *b* _i_ next`"
	for _, want := range []string{
		"| " + text + " | " + code + " | 1 |",
		"| " + text + " | `body." + code[1:] + " | `undocumented_field` | warning | 1 of 1 | log.jsonl:1 | field " + text + " |",
	} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("markdown lacks %s:\n%s", want, md.String())
		}
	}
}
