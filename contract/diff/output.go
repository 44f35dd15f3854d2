package diff

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/reconkit/reconkit/contract/format"
	"github.com/reconkit/reconkit/markdown"
)

// location renders where a finding is in both files, "old.yaml:12 -> new.yaml:14".
func (r *Report) location(f Finding) string {
	if f.File != "" {
		return fmt.Sprintf("%s:%d", f.File, f.NewLine)
	}
	var parts []string
	if f.OldLine > 0 {
		parts = append(parts, fmt.Sprintf("%s:%d", r.OldName, f.OldLine))
	}
	if f.NewLine > 0 {
		parts = append(parts, fmt.Sprintf("%s:%d", r.NewName, f.NewLine))
	}
	return strings.Join(parts, " -> ")
}

func (f Finding) verdict() string {
	switch {
	case f.Ignored != nil:
		return "IGNORED"
	case f.Rule == RuleIgnoreExpired:
		return "EXPIRED"
	case f.Breaking:
		return "BREAKING"
	}
	return "ok"
}

// judgement says in words how the directions were judged, for findings
// whose rule depends on direction.
func (f Finding) judgement() string {
	if len(f.Directions) == 0 {
		return ""
	}
	var parts []string
	for _, d := range f.Directions {
		word := "not breaking"
		for _, b := range f.BreakingIn {
			if b == d {
				word = "breaking"
			}
		}
		parts = append(parts, fmt.Sprintf("%s in %ss", word, d))
	}
	return strings.Join(parts, ", ")
}

func (f Finding) where() string {
	if f.Component != "" {
		return "component " + f.Component
	}
	if f.Method != "" {
		return f.Method + " " + f.Path
	}
	return f.Path
}

func opsList(ops []Operation) string {
	var parts []string
	for _, o := range ops {
		s := o.String()
		if len(o.Directions) > 0 {
			var ds []string
			for _, d := range o.Directions {
				ds = append(ds, string(d))
			}
			s += " (" + strings.Join(ds, "+") + ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ", ")
}

func (r *Report) verdictLine() string {
	s := r.Summary
	status := "pass"
	if r.Failed {
		status = "FAIL"
	}
	return fmt.Sprintf("%d changes: %d breaking, %d not breaking, %d ignored, %d expired ignore entries; fail-on %s: %s",
		s.Total, s.Breaking, s.NonBreaking, s.Ignored, s.Expired, r.FailOn, status)
}

// WriteText writes the console form: one block per finding, breaking first.
func (r *Report) WriteText(w io.Writer) error {
	ew := format.NewPrinter(w)
	ew.Printf("contract diff %s -> %s\n", r.OldName, r.NewName)
	for _, f := range r.Findings {
		ew.Printf("\n%-8s %s  %s\n", f.verdict(), f.Rule, f.Pointer)
		ew.Printf("         %s", f.Message)
		if j := f.judgement(); j != "" {
			ew.Printf(" (%s)", j)
		}
		ew.Printf("\n")
		if loc := r.location(f); loc != "" {
			ew.Printf("         at %s\n", loc)
		}
		if w := f.where(); w != "" && f.Component != "" {
			ew.Printf("         in %s\n", w)
		}
		if len(f.Operations) > 0 {
			ew.Printf("         reaches %s\n", opsList(f.Operations))
		}
		if f.Ignored != nil {
			ew.Printf("         ignored until %s: %s\n", f.Ignored.Expires, f.Ignored.Reason)
		}
		ew.Printf("         id %s\n", f.ID)
	}
	for _, wn := range r.Warnings {
		ew.Printf("\nwarning: %s\n", wn)
	}
	ew.Printf("\n%s\n", r.verdictLine())
	return ew.Err()
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteMarkdown writes a summary and a table, for pull-request comments.
func (r *Report) WriteMarkdown(w io.Writer) error {
	ew := format.NewPrinter(w)
	ew.Printf("## contract diff `%s` → `%s`\n\n", markdown.Code(r.OldName), markdown.Code(r.NewName))
	ew.Printf("%s\n\n", r.verdictLine())
	if len(r.Findings) > 0 {
		ew.Printf("| | Rule | Change | Where | Reaches | Lines |\n|---|---|---|---|---|---|\n")
		for _, f := range r.Findings {
			change := f.Message
			if j := f.judgement(); j != "" {
				change += " (" + j + ")"
			}
			if f.Ignored != nil {
				change += fmt.Sprintf(" — ignored until %s: %s", f.Ignored.Expires, f.Ignored.Reason)
			}
			ew.Printf("| %s | `%s` | %s | `%s` | %s | %s |\n", f.verdict(), f.Rule, markdown.Text(change),
				markdown.Code(f.Pointer), markdown.Text(opsList(f.Operations)), markdown.Text(r.location(f)))
		}
	}
	for _, wn := range r.Warnings {
		ew.Printf("\n> warning: %s\n", markdown.Text(wn))
	}
	return ew.Err()
}

// fails reports whether a finding crosses the report's fail-on level, which
// is what makes its JUnit test case a failure.
func (r *Report) fails(f Finding) bool {
	if f.Ignored != nil || r.FailOn == FailOnNone {
		return false
	}
	return r.FailOn == FailOnAny || f.Breaking
}

// WriteJUnit writes one test case per finding: a failure when the finding
// crosses the fail-on level, skipped when an ignore entry accepts it.
func (r *Report) WriteJUnit(w io.Writer) error {
	suite := format.JUnitSuite{Name: fmt.Sprintf("contract diff %s -> %s", r.OldName, r.NewName)}
	for _, f := range r.Findings {
		class := f.where()
		if class == "" {
			class = "document"
		}
		c := format.JUnitCase{Name: f.Rule + " " + f.Pointer, Classname: class}
		detail := f.Message
		if j := f.judgement(); j != "" {
			detail += " (" + j + ")"
		}
		detail += "\nat " + r.location(f)
		if len(f.Operations) > 0 {
			detail += "\nreaches " + opsList(f.Operations)
		}
		detail += "\nid " + f.ID
		switch {
		case f.Ignored != nil:
			c.Skipped = &format.JUnitSkipped{Message: fmt.Sprintf("ignored until %s: %s", f.Ignored.Expires, f.Ignored.Reason)}
			suite.Skipped++
		case r.fails(f):
			c.Failure = &format.JUnitFailure{Message: f.Message, Type: f.Rule, Text: detail}
			suite.Failures++
		default:
			c.SystemOut = &format.JUnitText{Text: detail}
		}
		suite.Cases = append(suite.Cases, c)
	}
	suite.Tests = len(suite.Cases)
	doc := format.JUnitSuites{Name: "contract diff", JUnitCounts: suite.JUnitCounts, Suites: []format.JUnitSuite{suite}}
	return format.WriteJUnit(w, doc)
}

// sarifURI turns a document name into a repository-relative path: a
// REV:PATH name keeps its PATH, which is what code-scanning tools can open.
func sarifURI(name string) string {
	if rev, path, ok := strings.Cut(name, ":"); ok && !strings.Contains(name, "://") && !isWindowsDrive(name) && rev != "" && path != "" {
		return path
	}
	return name
}

// WriteSARIF writes a SARIF 2.1.0 log: every rule in the driver, one
// result per finding (error when breaking, note when not, warning for an
// expired ignore entry), ignored findings as suppressed results.
func (r *Report) WriteSARIF(w io.Writer) error {
	driver := format.SARIFDriver{Name: "contract diff"}
	index := map[string]int{}
	for i, rule := range Rules {
		level := "note"
		if rule.Request == Breaking || rule.Response == Breaking {
			level = "error"
		}
		if rule.ID == RuleIgnoreExpired {
			level = "warning"
		}
		driver.Rules = append(driver.Rules, format.SARIFRule{
			ID:               rule.ID,
			ShortDescription: format.SARIFText{Text: rule.Summary},
			DefaultConfig:    format.SARIFRuleConfig{Level: level},
			Properties:       map[string]string{"request": rule.Request.String(), "response": rule.Response.String()},
		})
		index[rule.ID] = i
	}
	results := []format.SARIFResult{}
	for _, f := range r.Findings {
		level := "note"
		switch {
		case f.Rule == RuleIgnoreExpired:
			level = "warning"
		case f.Breaking:
			level = "error"
		}
		uri, line := r.NewName, f.NewLine
		switch {
		case f.File != "":
			uri = f.File
		case line == 0 && f.OldLine > 0:
			uri, line = r.OldName, f.OldLine
		}
		text := f.Message
		if j := f.judgement(); j != "" {
			text += " (" + j + ")"
		}
		if len(f.Operations) > 0 {
			text += "; reaches " + opsList(f.Operations)
		}
		text += " [" + f.Pointer + "]"
		res := format.SARIFResult{
			RuleID:              f.Rule,
			RuleIndex:           index[f.Rule],
			Level:               level,
			Message:             format.SARIFText{Text: text},
			Locations:           format.At(sarifURI(uri), line),
			PartialFingerprints: map[string]string{"contractDiffId/v1": f.ID},
		}
		if f.Ignored != nil {
			res.Suppressions = []format.SARIFSuppression{{Kind: "external", Justification: f.Ignored.Reason + " (until " + f.Ignored.Expires + ")"}}
		}
		results = append(results, res)
	}
	return format.WriteSARIF(w, driver, results)
}
