package webhooks

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/reconkit/reconkit/contract"
	"github.com/reconkit/reconkit/contract/format"
	"github.com/reconkit/reconkit/markdown"
)

// driftChecks are the checks the drift walker reports, in the order of
// contract.Checks: the vocabulary JUnit cases and SARIF rules use.
var driftChecks = []string{
	contract.CheckUndocumentedField,
	contract.CheckMissingRequiredField,
	contract.CheckTypeChanged,
	contract.CheckUnknownEnumValue,
	contract.CheckFormatViolation,
	contract.CheckNullabilityChanged,
	contract.CheckEnvelopeChanged,
}

// The names of what a log can show besides drift, for JUnit and SARIF.
const (
	RuleSignature  = "webhook_signature"
	RuleInputError = "input_error"
	RuleDropped    = "drift_not_tallied"
)

// phrase says what a check found, after the field's name.
var phrase = map[string]string{
	contract.CheckMissingRequiredField: "missing",
	contract.CheckUndocumentedField:    "undocumented",
	contract.CheckTypeChanged:          "of another type",
	contract.CheckUnknownEnumValue:     "with an unknown enum value",
	contract.CheckFormatViolation:      "breaking its format",
	contract.CheckNullabilityChanged:   "null",
	contract.CheckEnvelopeChanged:      "envelope changed",
}

// line is the finding as a person reads it:
// `body.refund_amount` missing in 3 of 1,204 refund deliveries, first at
// log.jsonl:77 [missing_required_field, breaking, spec line 1015].
// The first delivery's message follows when it says more than the
// phrase (a type, a value).
func (f Finding) line() string {
	p := phrase[f.Check]
	if p == "" {
		p = f.Check
	}
	s := fmt.Sprintf("`%s` %s in %s of %s %s deliveries, first at %s", f.Field, p, count(f.Count), count(f.Of), f.Kind, f.First)
	if f.Check != contract.CheckMissingRequiredField && f.Check != contract.CheckUndocumentedField {
		s += ": " + f.Message
	}
	s += fmt.Sprintf(" [%s, %s", f.Check, f.Severity)
	if f.SpecLine > 0 {
		s += fmt.Sprintf(", spec line %d", f.SpecLine)
	}
	return s + "]"
}

// count writes n with thousands separators: 1,204.
func count(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func plural(n int64, one, many string) string {
	if n == 1 {
		return count(n) + " " + one
	}
	return count(n) + " " + many
}

func (r *Report) verdict() string {
	if r.Failed() {
		return "FAIL (--fail-on " + r.level() + ")"
	}
	return "pass (--fail-on " + r.level() + ")"
}

// signatureLine summarises the signatures in one line.
func (r *Report) signatureLine() string {
	s := r.Signatures
	if !s.Checked {
		return fmt.Sprintf("not verified (no sign key): %s signed, %s unsigned", count(s.Signed), count(s.Unsigned))
	}
	out := fmt.Sprintf("%s of %s verified (%s raw, %s compact)", count(s.Verified()), plural(r.Deliveries(), "delivery", "deliveries"), count(s.Raw), count(s.Compact))
	if s.Invalid > 0 {
		out += fmt.Sprintf(", %s invalid (first at %s)", count(s.Invalid), s.FirstInvalid)
	}
	if s.Unsigned > 0 {
		out += fmt.Sprintf(", %s unsigned (first at %s)", count(s.Unsigned), s.FirstUnsigned)
	}
	return out
}

// WriteText writes the console report: deliveries per kind, each drift
// with its counts and first line, signatures, input errors, the verdict.
func (r *Report) WriteText(w io.Writer) error {
	ew := format.NewPrinter(w)
	var lines int
	for _, f := range r.Files {
		lines += f.Lines
	}
	ew.Printf("contract webhooks: %s against %s (%s)\n", r.Spec, plural(int64(len(r.Files)), "log", "logs"), plural(int64(lines), "line", "lines"))
	for _, k := range r.Kinds {
		ew.Printf("  %s: %s\n", k.Name, plural(k.Deliveries, "delivery", "deliveries"))
	}
	ew.Printf("signatures: %s\n", r.signatureLine())
	if len(r.Drift) == 0 && r.DroppedDrift == 0 {
		ew.Printf("drift: none\n")
	} else {
		ew.Printf("drift:\n")
		for _, f := range r.Drift {
			ew.Printf("  %s\n", f.line())
		}
		if r.DroppedDrift > 0 {
			ew.Printf("  %s not tallied: more than %s distinct findings\n", plural(r.DroppedDrift, "drift", "drifts"), count(int64(len(r.Drift))))
		}
	}
	if r.InputErrors.Count > 0 {
		ew.Printf("input errors: %s\n", count(r.InputErrors.Count))
		for _, e := range r.InputErrors.First {
			ew.Printf("  %s: %s\n", e.at(), e.Reason)
		}
		if n := r.InputErrors.Count - int64(len(r.InputErrors.First)); n > 0 {
			ew.Printf("  and %s more\n", count(n))
		}
	}
	ew.Printf("result: %s\n", r.verdict())
	return ew.Err()
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	out := struct {
		Passed bool `json:"passed"`
		*Report
	}{!r.Failed(), r}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// WriteMarkdown writes a summary for a CI job page or a pull request.
func (r *Report) WriteMarkdown(w io.Writer) error {
	ew := format.NewPrinter(w)
	ew.Printf("## contract webhooks `%s`\n\n**%s**: %s, signatures %s\n\n", markdown.Code(r.Spec), r.verdict(), plural(r.Deliveries(), "delivery", "deliveries"), r.signatureLine())
	ew.Printf("| Kind | Operation | Deliveries |\n|---|---|---:|\n")
	for _, k := range r.Kinds {
		ew.Printf("| %s | `%s` | %s |\n", markdown.Text(k.Name), markdown.Code(k.OperationID), count(k.Deliveries))
	}
	if len(r.Drift) > 0 {
		ew.Printf("\n| Kind | Field | Check | Severity | Deliveries | First | Message |\n|---|---|---|---|---:|---|---|\n")
		for _, f := range r.Drift {
			ew.Printf("| %s | `%s` | `%s` | %s | %s of %s | %s | %s |\n", markdown.Text(f.Kind), markdown.Code(f.Field), f.Check, f.Severity,
				count(f.Count), count(f.Of), markdown.Text(f.First.String()), markdown.Text(f.Message))
		}
	}
	if r.DroppedDrift > 0 {
		ew.Printf("\n%s not tallied: the cap on distinct findings was reached.\n", plural(r.DroppedDrift, "drift", "drifts"))
	}
	if r.InputErrors.Count > 0 {
		ew.Printf("\n%s:\n\n", plural(r.InputErrors.Count, "input error", "input errors"))
		for _, e := range r.InputErrors.First {
			ew.Printf("- %s:%d: %s\n", markdown.Text(e.File), e.Line, markdown.Text(e.Reason))
		}
	}
	return ew.Err()
}

// WriteJUnit writes one test suite per kind, with one case per drift
// check (failing on breaking drift, or any drift with --fail-on drift;
// the rest listed as output), and a suite for the log itself: signatures,
// input errors and drift not tallied.
func (r *Report) WriteJUnit(w io.Writer) error {
	doc := format.JUnitSuites{Name: "contract webhooks"}
	for _, k := range r.Kinds {
		suite := format.JUnitSuite{Name: "webhook " + k.Name}
		for _, check := range driftChecks {
			c := format.JUnitCase{Name: check, Classname: k.OperationID}
			var fails, notes []string
			for _, f := range r.Drift {
				if f.Kind != k.Name || f.Check != check {
					continue
				}
				if f.Severity == contract.Breaking || r.level() == FailOnDrift {
					fails = append(fails, f.line())
				} else {
					notes = append(notes, f.line())
				}
			}
			if len(fails) > 0 && r.level() != FailOnNone {
				c.Failure = &format.JUnitFailure{Message: fmt.Sprintf("%d %s findings", len(fails), check), Type: check, Text: strings.Join(fails, "\n")}
				suite.Failures++
			} else {
				notes = append(fails, notes...)
			}
			if len(notes) > 0 {
				c.SystemOut = &format.JUnitText{Text: strings.Join(notes, "\n")}
			}
			suite.Cases = append(suite.Cases, c)
		}
		suite.Tests = len(suite.Cases)
		doc.Suites = append(doc.Suites, suite)
	}
	log := format.JUnitSuite{Name: "webhook log"}
	sig := format.JUnitCase{Name: RuleSignature, Classname: "log", SystemOut: &format.JUnitText{Text: r.signatureLine()}}
	switch {
	case !r.Signatures.Checked:
		sig.Skipped = &format.JUnitSkipped{Message: "no sign key given"}
		log.Skipped++
	case r.Signatures.Failed() > 0 && r.level() != FailOnNone:
		sig.Failure = &format.JUnitFailure{Message: fmt.Sprintf("%d deliveries failed verification", r.Signatures.Failed()), Type: RuleSignature, Text: r.signatureLine()}
		log.Failures++
	}
	in := format.JUnitCase{Name: RuleInputError, Classname: "log"}
	if r.InputErrors.Count > 0 {
		var lines []string
		for _, e := range r.InputErrors.First {
			lines = append(lines, fmt.Sprintf("%s: %s", e.at(), e.Reason))
		}
		if r.level() != FailOnNone {
			in.Failure = &format.JUnitFailure{Message: fmt.Sprintf("%d unusable lines", r.InputErrors.Count), Type: RuleInputError, Text: strings.Join(lines, "\n")}
			log.Failures++
		} else {
			in.SystemOut = &format.JUnitText{Text: strings.Join(lines, "\n")}
		}
	}
	dropped := format.JUnitCase{Name: RuleDropped, Classname: "log"}
	if r.DroppedDrift > 0 && r.level() != FailOnNone {
		dropped.Failure = &format.JUnitFailure{Message: fmt.Sprintf("%d drifts not tallied", r.DroppedDrift), Type: RuleDropped}
		log.Failures++
	}
	log.Cases = []format.JUnitCase{sig, in, dropped}
	log.Tests = len(log.Cases)
	doc.Suites = append(doc.Suites, log)
	for _, s := range doc.Suites {
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		doc.Skipped += s.Skipped
	}
	return format.WriteJUnit(w, doc)
}

// WriteSARIF writes a SARIF 2.1.0 log: each drift finding at the spec
// line of the schema that disagrees (as `contract test` places it), and
// signature failures and input errors at their line of the log.
func (r *Report) WriteSARIF(w io.Writer) error {
	driver := format.SARIFDriver{Name: "contract webhooks"}
	index := map[string]int{}
	addRule := func(id, desc string, sev contract.Severity) {
		index[id] = len(driver.Rules)
		driver.Rules = append(driver.Rules, format.SARIFRule{ID: id, ShortDescription: format.SARIFText{Text: desc}, DefaultConfig: format.SARIFRuleConfig{Level: sarifLevel(sev)}})
	}
	for _, c := range contract.Checks {
		for _, d := range driftChecks {
			if c.Name == d {
				addRule(c.Name, c.Description, c.Severity)
			}
		}
	}
	addRule(RuleSignature, "A delivery's Signature header verifies under the sign key (raw payload or its compact form).", contract.Breaking)
	addRule(RuleInputError, "A log line is a delivery: JSON, within the length limit, with a body holding a JSON object.", contract.Breaking)
	addRule(RuleDropped, "Every drift was tallied: the log has fewer distinct findings than the cap.", contract.Breaking)

	results := []format.SARIFResult{}
	for _, f := range r.Drift {
		results = append(results, format.SARIFResult{
			RuleID:    f.Check,
			RuleIndex: index[f.Check],
			Level:     sarifLevel(f.Severity),
			Message:   format.SARIFText{Text: f.line()},
			Locations: format.At(r.Spec, f.SpecLine),
		})
	}
	s := r.Signatures
	for _, bad := range []struct {
		n     int64
		at    *Location
		label string
	}{{s.Invalid, s.FirstInvalid, "a signature that does not verify"}, {s.Unsigned, s.FirstUnsigned, "no Signature header"}} {
		if !s.Checked || bad.n == 0 || bad.at == nil {
			continue
		}
		verb := "carry"
		if bad.n == 1 {
			verb = "carries"
		}
		results = append(results, format.SARIFResult{
			RuleID:    RuleSignature,
			RuleIndex: index[RuleSignature],
			Level:     "error",
			Message:   format.SARIFText{Text: fmt.Sprintf("%s %s %s, first at %s", plural(bad.n, "delivery", "deliveries"), verb, bad.label, bad.at)},
			Locations: format.At(bad.at.File, bad.at.Line),
		})
	}
	for _, e := range r.InputErrors.First {
		results = append(results, format.SARIFResult{
			RuleID:    RuleInputError,
			RuleIndex: index[RuleInputError],
			Level:     "error",
			Message:   format.SARIFText{Text: e.Reason},
			Locations: format.At(e.File, e.Line),
		})
	}
	if r.DroppedDrift > 0 {
		results = append(results, format.SARIFResult{
			RuleID:    RuleDropped,
			RuleIndex: index[RuleDropped],
			Level:     "error",
			Message:   format.SARIFText{Text: fmt.Sprintf("%s not tallied: the cap on distinct findings was reached", plural(r.DroppedDrift, "drift", "drifts"))},
			Locations: format.At(r.Spec, 1),
		})
	}
	return format.WriteSARIF(w, driver, results)
}

func sarifLevel(s contract.Severity) string {
	if s == contract.Breaking {
		return "error"
	}
	return "warning"
}
