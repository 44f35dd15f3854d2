package lint

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

func (r *Report) verdictLine() string {
	status := "pass"
	if r.Failed() {
		status = "FAIL"
	}
	return fmt.Sprintf("%d errors, %d warnings: %s", r.Summary.Errors, r.Summary.Warnings, status)
}

// WriteText writes one line per finding, file:line first so editors and
// terminals can jump to it.
func (r *Report) WriteText(w io.Writer) error {
	ew := &errWriter{w: w}
	for _, f := range r.Findings {
		ew.printf("%s:%d: %s [%s] %s", r.Name, f.Line, f.Severity, f.Rule, f.Message)
		if f.Location != "" {
			ew.printf(" (at %s)", f.Location)
		}
		ew.printf("\n")
	}
	ew.printf("%s: %s\n", r.Name, r.verdictLine())
	return ew.err
}

func mdEscape(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "|", `\|`), "\n", " ")
}

// WriteMarkdown writes a summary and a table, for pull-request comments.
func (r *Report) WriteMarkdown(w io.Writer) error {
	ew := &errWriter{w: w}
	ew.printf("## contract lint `%s`\n\n%s\n", r.Name, r.verdictLine())
	if len(r.Findings) > 0 {
		ew.printf("\n| Severity | Rule | Line | Location | Problem |\n|---|---|---|---|---|\n")
		for _, f := range r.Findings {
			ew.printf("| %s | `%s` | %d | `%s` | %s |\n", f.Severity, f.Rule, f.Line, mdEscape(f.Location), mdEscape(f.Message))
		}
	}
	return ew.err
}

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// WriteJUnit writes one test case per rule, failing with every error
// finding of that rule; warnings are listed as the case's output. A
// document without problems still shows each rule as a passing case.
func (r *Report) WriteJUnit(w io.Writer) error {
	suite := junitSuite{Name: "contract lint " + r.Name}
	for _, rule := range Rules {
		c := junitCase{Name: rule.ID, Classname: r.Name}
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
			c.Failure = &junitFailure{Message: fmt.Sprintf("%d %s findings", len(errs), rule.ID), Type: rule.ID, Text: strings.Join(errs, "\n")}
			suite.Failures++
		}
		c.SystemOut = strings.Join(warns, "\n")
		suite.Cases = append(suite.Cases, c)
	}
	suite.Tests = len(suite.Cases)
	doc := junitSuites{Name: "contract lint", Tests: suite.Tests, Failures: suite.Failures, Suites: []junitSuite{suite}}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// SARIF 2.1.0, the subset code-scanning tools read.
type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name  string      `json:"name"`
	Rules []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID               string          `json:"id"`
	ShortDescription sarifText       `json:"shortDescription"`
	DefaultConfig    sarifRuleConfig `json:"defaultConfiguration"`
}

type sarifRuleConfig struct {
	Level string `json:"level"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifResult struct {
	RuleID    string          `json:"ruleId"`
	RuleIndex int             `json:"ruleIndex"`
	Level     string          `json:"level"`
	Message   sarifText       `json:"message"`
	Locations []sarifLocation `json:"locations"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           sarifRegion   `json:"region"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine int `json:"startLine"`
}

// SARIFSchema is the schema URI written into SARIF logs.
const SARIFSchema = "https://json.schemastore.org/sarif-2.1.0.json"

// WriteSARIF writes a SARIF 2.1.0 log with every rule and one result per
// finding.
func (r *Report) WriteSARIF(w io.Writer) error {
	driver := sarifDriver{Name: "contract lint"}
	index := map[string]int{}
	for i, rule := range Rules {
		driver.Rules = append(driver.Rules, sarifRule{ID: rule.ID, ShortDescription: sarifText{Text: rule.Summary}, DefaultConfig: sarifRuleConfig{Level: rule.Severity}})
		index[rule.ID] = i
	}
	results := []sarifResult{}
	for _, f := range r.Findings {
		line := f.Line
		if line <= 0 {
			line = 1
		}
		text := f.Message
		if f.Location != "" {
			text += " [" + f.Location + "]"
		}
		results = append(results, sarifResult{
			RuleID:    f.Rule,
			RuleIndex: index[f.Rule],
			Level:     f.Severity,
			Message:   sarifText{Text: text},
			Locations: []sarifLocation{{PhysicalLocation: sarifPhysical{ArtifactLocation: sarifArtifact{URI: r.Name}, Region: sarifRegion{StartLine: line}}}},
		})
	}
	log := sarifLog{Schema: SARIFSchema, Version: "2.1.0", Runs: []sarifRun{{Tool: sarifTool{Driver: driver}, Results: results}}}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(log)
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err != nil {
		return
	}
	_, e.err = fmt.Fprintf(e.w, format, args...)
}
