package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/reconkit/reconkit/contract"
)

// The JUnit XML shape CI systems read (Jenkins, GitLab, GitHub actions
// reporters): testsuites > testsuite > testcase > failure | skipped.

// JUnitSuites is the <testsuites> root.
type JUnitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []JUnitSuite `xml:"testsuite"`
}

// JUnitSuite is one <testsuite>: one spec run.
type JUnitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr,omitempty"`
	Properties *JUnitProps     `xml:"properties,omitempty"`
	Cases      []JUnitTestCase `xml:"testcase"`
}

// JUnitProps holds the run's settings as <property> elements.
type JUnitProps struct {
	Props []JUnitProp `xml:"property"`
}

// JUnitProp is one <property name value>.
type JUnitProp struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

// JUnitTestCase is one operation and check.
type JUnitTestCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *JUnitFailure `xml:"failure,omitempty"`
	Skipped   *JUnitSkipped `xml:"skipped,omitempty"`
	SystemOut *JUnitText    `xml:"system-out,omitempty"`
}

// JUnitText is element text kept readable as CDATA.
type JUnitText struct {
	Text string `xml:",cdata"`
}

// JUnitFailure carries the failing findings and the response excerpt.
type JUnitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",cdata"`
}

// JUnitSkipped marks an operation the config skipped.
type JUnitSkipped struct {
	Message string `xml:"message,attr,omitempty"`
}

// BuildJUnit turns a result into the JUnit document: one test case per
// operation and check, failing when the check has a finding that fails
// the gate. Warnings and accepted findings go to system-out.
func BuildJUnit(r *contract.Result) JUnitSuites {
	stem := strings.TrimSuffix(path.Base(strings.ReplaceAll(r.Spec, `\`, "/")), path.Ext(r.Spec))
	suite := JUnitSuite{
		Name:      "contract " + stem,
		Time:      seconds(r.Seconds),
		Timestamp: r.Started.UTC().Format("2006-01-02T15:04:05"),
		Properties: &JUnitProps{Props: []JUnitProp{
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
			tc := JUnitTestCase{Name: c.Name, Classname: stem + "." + o.OperationID, Time: seconds(per)}
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
				tc.Failure = &JUnitFailure{Message: xmlSafe(msg), Type: c.Name, Text: xmlSafe(failureText(failing))}
				suite.Failures++
			}
			if len(notes) > 0 {
				tc.SystemOut = &JUnitText{Text: xmlSafe(failureText(notes))}
			}
			suite.Cases = append(suite.Cases, tc)
			suite.Tests++
		}
	}
	for _, id := range r.Skipped {
		suite.Cases = append(suite.Cases, JUnitTestCase{
			Name: "operation", Classname: stem + "." + id, Time: seconds(0),
			Skipped: &JUnitSkipped{Message: "skipped by config"},
		})
		suite.Tests++
		suite.Skipped++
	}
	return JUnitSuites{
		Name:     "contract",
		Tests:    suite.Tests,
		Failures: suite.Failures,
		Skipped:  suite.Skipped,
		Time:     suite.Time,
		Suites:   []JUnitSuite{suite},
	}
}

// JUnit writes the JUnit XML document.
func JUnit(w io.Writer, r *contract.Result) error {
	doc := BuildJUnit(r)
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("write junit: %w", err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("write junit: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
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
