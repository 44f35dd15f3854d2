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
	ew.Printf("contract test: %s (%s) against %s, auth %s, run %s\n\n", r.Spec, r.Title, r.BaseURL, r.Auth, r.RunID)
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
	groups := groupByCheck(r.Findings)
	if len(groups) > 0 {
		ew.Printf("\nFindings by check:\n")
	}
	for _, g := range groups {
		ew.Printf("  %s (%d, %s)\n", g.check, len(g.findings), g.findings[0].Severity)
		for _, f := range g.findings {
			ew.Printf("    %s%s\n", findingLine(f), acceptedNote(f))
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
