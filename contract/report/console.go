package report

import (
	"fmt"
	"github.com/reconkit/reconkit/contract/format"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/reconkit/reconkit/contract"
)

// Console writes the human summary: pass or fail per operation, then the
// findings grouped by check, then the totals.
func Console(w io.Writer, r *contract.Result) error {
	ew := format.NewPrinter(w)
	ew.Printf("contract test: %s (%s) against %s, auth %s, run %s, seed %d (repeat with --seed %d)\n\n", r.Spec, r.Title, r.BaseURL, r.Auth, r.RunID, r.Seed, r.Seed)
	tw := tabwriter.NewWriter(ew, 0, 2, 2, ' ', 0)
	for _, o := range r.Operations {
		status := "PASS"
		if !o.Passed() {
			status = "FAIL"
		}
		var failed []string
		for _, c := range o.Checks {
			if c.Outcome == contract.OutcomeFail {
				failed = append(failed, c.Name)
			}
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s %s\t%s\t%s\n", status, o.OperationID, o.Method, o.Path, plural(o.Calls, "call"), strings.Join(failed, ", "))
	}
	for _, id := range r.Skipped {
		fmt.Fprintf(tw, "  SKIP\t%s\t\t\tskipped by config\n", id)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if n := len(r.NotSelected); n > 0 {
		ew.Printf("  (%s not selected by the filters: %s)\n", plural(n, "operation"), strings.Join(r.NotSelected, ", "))
	}
	groups := groupByCheck(r.Findings)
	if len(groups) > 0 {
		ew.Printf("\nFindings by check:\n")
	}
	for _, g := range groups {
		ew.Printf("  %s (%d, %s)\n", g.check, len(g.findings), g.findings[0].Severity)
		for _, f := range g.findings {
			ew.Printf("    %s%s\n", findingLine(f), acceptedNote(f))
			if f.Case != "" {
				ew.Printf("      case: %s\n", f.Case)
			}
			if f.Fails() && f.Reproducer != "" {
				ew.Printf("      reproduce (exits non-zero while it fails):\n%s\n", indent(f.Reproducer, "        "))
			}
		}
	}
	if len(r.Flaky) > 0 {
		ew.Printf("\nFlaky calls (failed, then passed on a retry; not failures):\n")
		for _, x := range r.Flaky {
			ew.Printf("  %s step %s: first attempt %s, passed on attempt %d\n", x.OperationID, x.Step, x.First, x.Attempts)
		}
	}
	if c := r.Coverage; c != nil {
		ew.Printf("\nCoverage: operations %s, documented statuses %s, parameters %s, enum values %s\n", c.Operations, c.Statuses, c.Parameters, c.EnumValues)
		for _, m := range c.Missed {
			var parts []string
			if m.NotCalled {
				parts = append(parts, "never called")
			}
			if len(m.Statuses) > 0 {
				parts = append(parts, "statuses "+strings.Join(m.Statuses, ", "))
			}
			if len(m.Parameters) > 0 {
				parts = append(parts, "parameters "+strings.Join(m.Parameters, ", "))
			}
			if len(m.EnumValues) > 0 {
				parts = append(parts, "enum values "+strings.Join(m.EnumValues, ", "))
			}
			ew.Printf("  %s missed %s\n", m.OperationID, strings.Join(parts, "; "))
		}
	}
	if len(r.Readings) > 0 {
		ew.Printf("\nReadings the server took, where the documents allow more than one:\n")
		for _, x := range r.Readings {
			ew.Printf("  %s: %s in %s (%s, first at %s)\n", x.Reading, x.Alternative, x.OperationID, plural(x.Count, "value"), pointerOf(&x.Pointer))
		}
	}
	if len(r.UnusedBaseline) > 0 {
		ew.Printf("\nBaseline entries that matched nothing (the drift is gone; delete them):\n")
		for _, e := range r.UnusedBaseline {
			ew.Printf("  line %d: %s %s %s\n", e.Line, e.Operation, e.Check, pointerOf(e.Pointer))
		}
	}
	s := r.Summary()
	ew.Printf("\n%s, %d passed, %d failed; %s: %d breaking, %s, %d accepted by the baseline\n",
		plural(s.Operations, "operation"), s.OperationsPassed, s.OperationsFailed, plural(s.Findings, "finding"), s.Breaking, plural(s.Warnings, "warning"), s.Accepted)
	ew.Printf("%s in %.1fs; %s generated (%d positive, %d negative), %d shrunk; %s\n",
		plural(r.Calls, "call"), r.Seconds, plural(r.Cases.Positive+r.Cases.Negative, "case"), r.Cases.Positive, r.Cases.Negative, r.Cases.Shrunk, plural(len(r.Flaky), "flaky call"))
	return ew.Err()
}

type group struct {
	check    string
	findings []contract.Finding
}

// groupByCheck groups findings in the order of contract.Checks.
func groupByCheck(fs []contract.Finding) []group {
	var out []group
	for _, c := range contract.Checks {
		var g group
		for _, f := range fs {
			if f.Check == c.Name {
				g.check = c.Name
				g.findings = append(g.findings, f)
			}
		}
		if len(g.findings) > 0 {
			out = append(out, g)
		}
	}
	return out
}

func findingLine(f contract.Finding) string {
	s := f.OperationID
	if w := f.Where(); w != "" {
		s += " " + w
	}
	if f.Status != 0 {
		s += fmt.Sprintf(" [%d]", f.Status)
	}
	s += ": " + f.Message
	if f.SpecLine > 0 {
		s += fmt.Sprintf(" (spec line %d)", f.SpecLine)
	}
	return s
}

func acceptedNote(f contract.Finding) string {
	switch {
	case f.Accepted:
		return " — accepted: " + f.AcceptedReason
	case f.BaselineExpired != "":
		return " — baseline entry expired " + f.BaselineExpired
	}
	return ""
}

func pointerOf(p *string) string {
	if p == nil {
		return "(any pointer)"
	}
	if *p == "" {
		return "(document)"
	}
	return *p
}

func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// indent prefixes every line of s.
func indent(s, prefix string) string {
	return prefix + strings.ReplaceAll(s, "\n", "\n"+prefix)
}
