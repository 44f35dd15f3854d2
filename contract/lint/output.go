package lint

import (
	"fmt"
	"io"
	"strings"

	"github.com/reconkit/reconkit/contract/format"
	"github.com/reconkit/reconkit/markdown"
)

func (r *Report) verdictLine() string {
	status := "pass"
	if r.Failed() {
		status = "FAIL"
	}
	return fmt.Sprintf("%d errors, %d warnings from %d causes: %s", r.Summary.Errors, r.Summary.Warnings, r.Summary.Causes, status)
}

// WriteText writes one line per root cause, file:line first so editors and
// terminals can jump to it: a cause behind several findings shows the
// count and its first location (--json has every finding).
func (r *Report) WriteText(w io.Writer) error {
	ew := format.NewPrinter(w)
	for _, c := range r.Causes {
		if c.Count == 1 {
			ew.Printf("%s:%d: %s [%s] %s", r.Name, c.Line, c.Severity, c.Rule, c.Message)
		} else {
			ew.Printf("%s:%d: %s [%s] %d times: %s; first: %s", r.Name, c.Line, c.Severity, c.Rule, c.Count, c.Cause, c.Message)
		}
		if c.Location != "" {
			ew.Printf(" (at %s)", c.Location)
		}
		ew.Printf("\n")
	}
	ew.Printf("%s: %s\n", r.Name, r.verdictLine())
	return ew.Err()
}

// WriteMarkdown writes a summary and a table, for pull-request comments.
func (r *Report) WriteMarkdown(w io.Writer) error {
	ew := format.NewPrinter(w)
	ew.Printf("## contract lint `%s`\n\n%s\n", markdown.Code(r.Name), r.verdictLine())
	if len(r.Causes) > 0 {
		ew.Printf("\n| Severity | Rule | Count | First line | First location | Problem |\n|---|---|---|---|---|---|\n")
		for _, c := range r.Causes {
			problem := c.Message
			if c.Count > 1 {
				problem = c.Cause + "; first: " + c.Message
			}
			ew.Printf("| %s | `%s` | %d | %d | `%s` | %s |\n", c.Severity, c.Rule, c.Count, c.Line, markdown.Code(c.Location), markdown.Text(problem))
		}
	}
	return ew.Err()
}

// WriteJUnit writes one test case per rule, failing with every error
// finding of that rule; warnings are listed as the case's output. A
// document without problems still shows each rule as a passing case.
func (r *Report) WriteJUnit(w io.Writer) error {
	suite := format.JUnitSuite{Name: "contract lint " + r.Name}
	for _, rule := range Rules {
		c := format.JUnitCase{Name: rule.ID, Classname: r.Name}
		var errs, warns []string
		for _, f := range r.Findings {
			if f.Rule != rule.ID {
				continue
			}
			line := fmt.Sprintf("%s:%d: %s (at %s)", r.Name, f.Line, f.Message, f.Location)
			if f.Severity == Error {
				errs = append(errs, line)
			} else {
				warns = append(warns, line)
			}
		}
		if len(errs) > 0 {
			c.Failure = &format.JUnitFailure{Message: fmt.Sprintf("%d %s findings", len(errs), rule.ID), Type: rule.ID, Text: strings.Join(errs, "\n")}
			suite.Failures++
		}
		if len(warns) > 0 {
			c.SystemOut = &format.JUnitText{Text: strings.Join(warns, "\n")}
		}
		suite.Cases = append(suite.Cases, c)
	}
	suite.Tests = len(suite.Cases)
	doc := format.JUnitSuites{Name: "contract lint", JUnitCounts: suite.JUnitCounts, Suites: []format.JUnitSuite{suite}}
	return format.WriteJUnit(w, doc)
}

// WriteSARIF writes a SARIF 2.1.0 log with every rule and one result per
// finding.
func (r *Report) WriteSARIF(w io.Writer) error {
	driver := format.SARIFDriver{Name: "contract lint"}
	index := map[string]int{}
	for i, rule := range Rules {
		driver.Rules = append(driver.Rules, format.SARIFRule{ID: rule.ID, ShortDescription: format.SARIFText{Text: rule.Summary}, DefaultConfig: format.SARIFRuleConfig{Level: rule.Severity}})
		index[rule.ID] = i
	}
	results := []format.SARIFResult{}
	for _, f := range r.Findings {
		text := f.Message
		if f.Location != "" {
			text += " [" + f.Location + "]"
		}
		results = append(results, format.SARIFResult{
			RuleID:    f.Rule,
			RuleIndex: index[f.Rule],
			Level:     f.Severity,
			Message:   format.SARIFText{Text: text},
			Locations: format.At(r.Name, f.Line),
		})
	}
	return format.WriteSARIF(w, driver, results)
}
