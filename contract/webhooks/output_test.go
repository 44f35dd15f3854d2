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
