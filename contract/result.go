package contract

import (
	"cmp"
	"slices"
	"strings"
	"time"
)

// Outcomes of a check for one operation, after the baseline.
const (
	OutcomePass     = "pass"
	OutcomeFail     = "fail"     // a breaking finding no live baseline entry accepts
	OutcomeWarning  = "warning"  // only warnings
	OutcomeAccepted = "accepted" // only findings the baseline accepts (and warnings)
)

// Result is everything one run found.
type Result struct {
	Spec     string    `json:"spec"`
	Title    string    `json:"title"`
	BaseURL  string    `json:"base_url"`
	RunID    string    `json:"run_id"`
	Started  time.Time `json:"started"`
	Seconds  float64   `json:"seconds"`
	Auth     string    `json:"auth"`
	Baseline string    `json:"baseline,omitempty"`
	// Seed decided the generated cases; the same seed, spec and server
	// state give the same cases.
	Seed int64 `json:"seed"`
	// Calls counts every HTTP request sent, retries and negative calls
	// included.
	Calls int `json:"calls"`
	// Cases counts the generated cases run, positive and negative.
	Cases CaseCount `json:"cases"`
	// Operations has one entry per operation of the spec the run was to
	// call, in spec order.
	Operations []OperationResult `json:"operations"`
	// Findings are sorted with SortFindings.
	Findings []Finding `json:"findings"`
	// Skipped lists operations the config told the run to leave alone.
	Skipped []string `json:"skipped,omitempty"`
	// NotSelected lists operations the filters (tag, path, method,
	// operationId) left out.
	NotSelected []string `json:"not_selected,omitempty"`
	// Flaky lists calls that failed (a transport error, 5xx or 429) and
	// then passed on a retry: reported, not failed.
	Flaky []Flaky `json:"flaky,omitempty"`
	// Coverage says what the run exercised of the spec.
	Coverage *Coverage `json:"coverage,omitempty"`
	// UnusedBaseline lists baseline entries that matched nothing: the
	// drift they accepted is gone and the entry can be deleted.
	UnusedBaseline []BaselineEntry `json:"unused_baseline_entries,omitempty"`
	// Readings says, where the public documents allow more than one
	// reading of a field (the spec's x-reconkit-reading alternatives),
	// which reading the server's responses took, per operation.
	Readings []Reading `json:"readings,omitempty"`
}

// CaseCount counts generated cases.
type CaseCount struct {
	Positive int `json:"positive"`
	Negative int `json:"negative"`
	// Shrunk counts failing cases replaced by a smaller variant that
	// still fails.
	Shrunk int `json:"shrunk"`
}

// Flaky is one call that passed only on a retry.
type Flaky struct {
	OperationID string `json:"operation_id"`
	Step        string `json:"step"`
	Attempts    int    `json:"attempts"`
	// First says how the first attempt failed: "503", "429" or the
	// transport error.
	First string `json:"first"`
}

// Reading counts the responses of one operation that took one
// alternative of a reading: e.g. the order total sent as "amount".
type Reading struct {
	Reading     string `json:"reading"`
	OperationID string `json:"operation_id"`
	Alternative string `json:"alternative"`
	Count       int    `json:"count"`
	Pointer     string `json:"pointer"` // the first value that took it
}

// sawReadings counts what one response's readings took.
func (r *Result) sawReadings(opID string, seen []Seen) {
	for _, s := range seen {
		i := slices.IndexFunc(r.Readings, func(x Reading) bool {
			return x.Reading == s.Reading && x.OperationID == opID && x.Alternative == s.Alternative
		})
		if i < 0 {
			r.Readings = append(r.Readings, Reading{Reading: s.Reading, OperationID: opID, Alternative: s.Alternative, Pointer: s.Pointer})
			i = len(r.Readings) - 1
		}
		r.Readings[i].Count++
	}
}

// sortReadings orders the readings by name, operation and alternative.
func (r *Result) sortReadings() {
	slices.SortFunc(r.Readings, func(a, b Reading) int {
		return cmp.Or(strings.Compare(a.Reading, b.Reading), strings.Compare(a.OperationID, b.OperationID),
			strings.Compare(a.Alternative, b.Alternative))
	})
}

// OperationResult is the outcome of every check run on one operation,
// over all its calls.
type OperationResult struct {
	OperationID string        `json:"operation_id"`
	Method      string        `json:"method"`
	Path        string        `json:"path"`
	SpecLine    int           `json:"spec_line,omitempty"`
	Calls       int           `json:"calls"`
	Seconds     float64       `json:"seconds"`
	Checks      []CheckResult `json:"checks"`
	ran         map[string]bool
}

// CheckResult is one check's outcome for one operation.
type CheckResult struct {
	Name    string `json:"name"`
	Outcome string `json:"outcome"`
}

// Passed reports whether no check of the operation failed.
func (o OperationResult) Passed() bool {
	return !slices.ContainsFunc(o.Checks, func(c CheckResult) bool { return c.Outcome == OutcomeFail })
}

// Passed reports whether the gate passes: no finding fails it.
func (r *Result) Passed() bool {
	return !slices.ContainsFunc(r.Findings, func(f Finding) bool { return f.Fails() })
}

// Summary counts a result for report headers.
type Summary struct {
	Operations       int `json:"operations"`
	OperationsPassed int `json:"operations_passed"`
	OperationsFailed int `json:"operations_failed"`
	Checks           int `json:"checks"`
	ChecksFailed     int `json:"checks_failed"`
	Findings         int `json:"findings"`
	Breaking         int `json:"breaking"` // breaking and not accepted
	Warnings         int `json:"warnings"`
	Accepted         int `json:"accepted"`
}

// Summary counts operations, checks and findings.
func (r *Result) Summary() Summary {
	var s Summary
	for _, o := range r.Operations {
		s.Operations++
		if o.Passed() {
			s.OperationsPassed++
		} else {
			s.OperationsFailed++
		}
		for _, c := range o.Checks {
			s.Checks++
			if c.Outcome == OutcomeFail {
				s.ChecksFailed++
			}
		}
	}
	for _, f := range r.Findings {
		s.Findings++
		switch {
		case f.Accepted:
			s.Accepted++
		case f.Severity == Breaking:
			s.Breaking++
		default:
			s.Warnings++
		}
	}
	return s
}

// FindingsFor returns the findings of one operation and check.
func (r *Result) FindingsFor(opID, check string) []Finding {
	var out []Finding
	for _, f := range r.Findings {
		if f.OperationID == opID && f.Check == check {
			out = append(out, f)
		}
	}
	return out
}

// finalize sorts the findings and works out every check's outcome. It
// runs after Run and again after ApplyBaseline.
func (r *Result) finalize() {
	SortFindings(r.Findings)
	for i := range r.Operations {
		o := &r.Operations[i]
		names := map[string]bool{}
		for _, c := range o.Checks {
			names[c.Name] = true
		}
		for n := range o.ran {
			names[n] = true
		}
		for _, f := range r.Findings {
			if f.OperationID == o.OperationID {
				names[f.Check] = true
			}
		}
		o.Checks = o.Checks[:0]
		for _, ci := range Checks {
			if names[ci.Name] {
				o.Checks = append(o.Checks, CheckResult{Name: ci.Name, Outcome: r.outcome(o.OperationID, ci.Name)})
			}
		}
	}
}

func (r *Result) outcome(opID, check string) string {
	out := OutcomePass
	for _, f := range r.Findings {
		if f.OperationID != opID || f.Check != check {
			continue
		}
		switch {
		case f.Fails():
			return OutcomeFail
		case f.Accepted:
			out = OutcomeAccepted
		case out == OutcomePass:
			out = OutcomeWarning
		}
	}
	return out
}
