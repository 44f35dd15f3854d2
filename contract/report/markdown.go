package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/reconkit/reconkit/contract"
	"github.com/reconkit/reconkit/contract/format"
	"github.com/reconkit/reconkit/markdown"
)

// Markdown writes a summary for a CI job page (GitHub's
// $GITHUB_STEP_SUMMARY, GitLab's report artifacts): the verdict, a table
// of operations and the findings grouped by severity.
func Markdown(w io.Writer, r *contract.Result) error {
	ew := format.NewPrinter(w)
	s := r.Summary()
	verdict := "✅ passed"
	if !r.Passed() {
		verdict = "❌ failed"
	}
	ew.Printf("## Contract test %s: %s\n\n", verdict, markdown.Text(r.Title))
	ew.Printf("`%s` against `%s` (auth %s, run %s): %s, %d passed, %d failed; %d breaking, %s, %d accepted.\n\n",
		markdown.Code(r.Spec), markdown.Code(r.BaseURL), r.Auth, markdown.Text(r.RunID), plural(s.Operations, "operation"), s.OperationsPassed, s.OperationsFailed, s.Breaking, plural(s.Warnings, "warning"), s.Accepted)
	ew.Printf("| Result | Operation | Request | Calls | Failed checks |\n|---|---|---|---:|---|\n")
	for _, o := range r.Operations {
		mark := "✅"
		if !o.Passed() {
			mark = "❌"
		}
		var failed []string
		for _, c := range o.Checks {
			if c.Outcome == contract.OutcomeFail {
				failed = append(failed, "`"+c.Name+"`")
			}
		}
		ew.Printf("| %s | `%s` | `%s %s` | %d | %s |\n", mark, markdown.Code(o.OperationID), o.Method, markdown.Code(o.Path), o.Calls, strings.Join(failed, ", "))
	}
	for _, id := range r.Skipped {
		ew.Printf("| ⏭️ | `%s` | | 0 | skipped by config |\n", markdown.Code(id))
	}
	sections := []struct {
		title string
		keep  func(contract.Finding) bool
	}{
		{"Breaking findings", func(f contract.Finding) bool { return f.Fails() }},
		{"Warnings", func(f contract.Finding) bool { return !f.Accepted && f.Severity == contract.Warning }},
		{"Accepted by the baseline", func(f contract.Finding) bool { return f.Accepted }},
	}
	for _, sec := range sections {
		var fs []contract.Finding
		for _, f := range r.Findings {
			if sec.keep(f) {
				fs = append(fs, f)
			}
		}
		if len(fs) == 0 {
			continue
		}
		ew.Printf("\n### %s (%d)\n\n| Check | Operation | Where | Status | Spec line | Message |\n|---|---|---|---:|---:|---|\n", sec.title, len(fs))
		for _, g := range groupByCheck(fs) {
			for _, f := range g.findings {
				line := ""
				if f.SpecLine > 0 {
					line = fmt.Sprint(f.SpecLine)
				}
				status := ""
				if f.Status != 0 {
					status = fmt.Sprint(f.Status)
				}
				ew.Printf("| `%s` | `%s` | %s | %s | %s | %s |\n", f.Check, markdown.Code(f.OperationID), markdown.Text(f.Where()), status, line, markdown.Text(f.Message+acceptedNote(f)))
			}
		}
	}
	if c := r.Coverage; c != nil {
		ew.Printf("\n**Coverage**: operations %s, documented statuses %s, parameters %s, enum values %s. %s, %d generated cases (%d negative), %d shrunk, %d flaky, seed %d.\n",
			c.Operations, c.Statuses, c.Parameters, c.EnumValues, plural(r.Calls, "call"), r.Cases.Positive+r.Cases.Negative, r.Cases.Negative, r.Cases.Shrunk, len(r.Flaky), r.Seed)
	}
	if len(r.Readings) > 0 {
		ew.Printf("\n### Readings the server took\n\n| Reading | Operation | Alternative | Values |\n|---|---|---|---:|\n")
		for _, x := range r.Readings {
			ew.Printf("| %s | `%s` | %s | %d |\n", markdown.Text(x.Reading), markdown.Code(x.OperationID), markdown.Text(x.Alternative), x.Count)
		}
	}
	if len(r.UnusedBaseline) > 0 {
		ew.Printf("\n### Baseline entries that matched nothing\n\n")
		for _, e := range r.UnusedBaseline {
			ew.Printf("- line %d: `%s` `%s` %s\n", e.Line, markdown.Code(e.Operation), e.Check, markdown.Text(pointerOf(e.Pointer)))
		}
	}
	return ew.Err()
}
