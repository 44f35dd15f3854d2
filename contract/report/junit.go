package report

import (
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/reconkit/reconkit/contract"
	"github.com/reconkit/reconkit/contract/format"
)

// BuildJUnit turns a result into the JUnit document: one test case per
// operation and check, failing when the check has a finding that fails
// the gate. Warnings and accepted findings go to system-out.
func BuildJUnit(r *contract.Result) format.JUnitSuites {
	stem := strings.TrimSuffix(path.Base(strings.ReplaceAll(r.Spec, `\`, "/")), path.Ext(r.Spec))
	suite := format.JUnitSuite{
		Name:        "contract " + stem,
		JUnitCounts: format.JUnitCounts{Errors: new(0), Time: seconds(r.Seconds)},
		Timestamp:   r.Started.UTC().Format("2006-01-02T15:04:05"),
		Properties: &format.JUnitProperties{Properties: []format.JUnitProperty{
			{Name: "spec", Value: r.Spec},
			{Name: "title", Value: r.Title},
			{Name: "base_url", Value: r.BaseURL},
			{Name: "auth", Value: r.Auth},
			{Name: "run_id", Value: r.RunID},
			{Name: "seed", Value: fmt.Sprint(r.Seed)},
		}},
	}
	for _, o := range r.Operations {
		per := 0.0
		if len(o.Checks) > 0 {
			per = o.Seconds / float64(len(o.Checks))
		}
		for _, c := range o.Checks {
			tc := format.JUnitCase{Name: c.Name, Classname: stem + "." + o.OperationID, Time: seconds(per)}
			var failing, notes []contract.Finding
			for _, f := range r.FindingsFor(o.OperationID, c.Name) {
				if f.Fails() {
					failing = append(failing, f)
				} else {
					notes = append(notes, f)
				}
			}
			if len(failing) > 0 {
				msg := failing[0].Message
				if len(failing) > 1 {
					msg += fmt.Sprintf(" (and %d more)", len(failing)-1)
				}
				tc.Failure = &format.JUnitFailure{Message: xmlSafe(msg), Type: c.Name, CDATA: xmlSafe(failureText(failing))}
				suite.Failures++
			}
			if len(notes) > 0 {
				tc.SystemOut = &format.JUnitText{CDATA: xmlSafe(failureText(notes))}
			}
			suite.Cases = append(suite.Cases, tc)
			suite.Tests++
		}
	}
	for _, id := range r.Skipped {
		suite.Cases = append(suite.Cases, format.JUnitCase{
			Name: "operation", Classname: stem + "." + id, Time: seconds(0),
			Skipped: &format.JUnitSkipped{Message: "skipped by config"},
		})
		suite.Tests++
		suite.Skipped++
	}
	return format.JUnitSuites{Name: "contract", JUnitCounts: suite.JUnitCounts, Suites: []format.JUnitSuite{suite}}
}

// JUnit writes the JUnit XML document.
func JUnit(w io.Writer, r *contract.Result) error {
	if err := format.WriteJUnit(w, BuildJUnit(r)); err != nil {
		return fmt.Errorf("write junit: %w", err)
	}
	return nil
}

// failureText lists findings with their location, spec line, baseline
// state and the (redacted) excerpt of the exchange.
func failureText(fs []contract.Finding) string {
	var b strings.Builder
	for i, f := range fs {
		if i > 0 {
			b.WriteString("\n----\n")
		}
		fmt.Fprintf(&b, "%s %s", f.Severity, f.Check)
		if w := f.Where(); w != "" {
			b.WriteString(" at " + w)
		}
		if f.Status != 0 {
			fmt.Fprintf(&b, " (status %d)", f.Status)
		}
		if f.SpecLine > 0 {
			fmt.Fprintf(&b, ", spec line %d", f.SpecLine)
		}
		if f.Step != "" {
			fmt.Fprintf(&b, ", step %s", f.Step)
		}
		b.WriteString("\n" + f.Message + "\n")
		if n := acceptedNote(f); n != "" {
			b.WriteString(strings.TrimPrefix(n, " — ") + "\n")
		}
		if f.Case != "" {
			b.WriteString("case: " + f.Case + "\n")
		}
		if f.Excerpt != "" {
			b.WriteString("\n" + f.Excerpt + "\n")
		}
		if f.Reproducer != "" {
			b.WriteString("\nreproduce (exits non-zero while it fails):\n" + f.Reproducer + "\n")
		}
	}
	return b.String()
}

func seconds(s float64) string { return fmt.Sprintf("%.3f", s) }

// xmlSafe replaces the characters XML 1.0 cannot carry at all (most
// control characters), which a response body may hold.
func xmlSafe(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return r
		case r < 0x20, r == 0xFFFE, r == 0xFFFF, r >= 0xD800 && r <= 0xDFFF:
			return '\uFFFD'
		}
		return r
	}, s)
}
