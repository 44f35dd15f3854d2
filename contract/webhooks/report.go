package webhooks

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/reconkit/reconkit/contract"
	"github.com/reconkit/reconkit/contract/pointer"
)

// Report is what a Checker found in every log it read.
type Report struct {
	Spec string `json:"spec"`
	// FailOn is the --fail-on level Failed judges by; "" means breaking.
	FailOn string       `json:"fail_on"`
	Files  []FileStat   `json:"files"`
	Kinds  []KindReport `json:"kinds"`
	// Drift lists one finding per (kind, check, field), in the kinds'
	// document order, then by field and check.
	Drift []Finding `json:"drift"`
	// DroppedDrift counts drift occurrences not tallied because
	// Options.MaxFindings distinct findings were already held.
	DroppedDrift int64       `json:"dropped_drift"`
	Signatures   Signatures  `json:"signatures"`
	InputErrors  InputErrors `json:"input_errors"`
}

// FileStat is one log read.
type FileStat struct {
	Name        string `json:"name"`
	Gzip        bool   `json:"gzip"`
	Lines       int    `json:"lines"` // physical lines, blank ones included
	Deliveries  int64  `json:"deliveries"`
	InputErrors int64  `json:"input_errors"`
}

// KindReport is one webhook of the spec and how many deliveries were of
// its kind.
type KindReport struct {
	Name        string `json:"name"`
	OperationID string `json:"operation_id"`
	SpecLine    int    `json:"spec_line"`
	Deliveries  int64  `json:"deliveries"`
}

// Finding is one drift, with the names `contract test` uses, counted
// over the deliveries of one kind.
type Finding struct {
	Kind        string            `json:"kind"`
	OperationID string            `json:"operation_id"`
	Check       string            `json:"check"`
	Severity    contract.Severity `json:"severity"`
	// Pointer is RFC 6901 into the payload, array indices as "*";
	// Field is the same for people: body.refund_amount.
	Pointer string `json:"pointer"`
	Field   string `json:"field"`
	// Count deliveries of Of (the kind's total) showed it.
	Count    int64    `json:"count"`
	Of       int64    `json:"of"`
	First    Location `json:"first"`
	Message  string   `json:"message"` // the first delivery's
	SpecLine int      `json:"spec_line,omitempty"`
}

// Location is a line of a log.
type Location struct {
	File string `json:"file"`
	Line int    `json:"line"`
}

// String writes file:line, as lint and diff name places, so that the
// parentheses around a signature's first failure do not nest.
func (l Location) String() string { return fmt.Sprintf("%s:%d", l.File, l.Line) }

// Signatures counts the deliveries by their Signature header. Raw,
// Compact and Invalid are counted only when Checked (a sign key was
// given); then Signed = Raw + Compact + Invalid.
type Signatures struct {
	Checked       bool      `json:"checked"`
	Signed        int64     `json:"signed"`
	Unsigned      int64     `json:"unsigned"`
	Raw           int64     `json:"raw"`
	Compact       int64     `json:"compact"`
	Invalid       int64     `json:"invalid"`
	FirstInvalid  *Location `json:"first_invalid,omitempty"`
	FirstUnsigned *Location `json:"first_unsigned,omitempty"`
}

// Verified is the number of deliveries whose signature verified.
func (s Signatures) Verified() int64 { return s.Raw + s.Compact }

// Failed is the number of deliveries that did not verify, unsigned ones
// included (the spec requires the header). It is 0 when not Checked.
func (s Signatures) Failed() int64 {
	if !s.Checked {
		return 0
	}
	return s.Invalid + s.Unsigned
}

// InputErrors counts log lines that were not deliveries at all (broken
// JSON, too long, no body), keeping the first few in full.
type InputErrors struct {
	Count int64        `json:"count"`
	First []InputError `json:"first"`
}

// InputError is one unusable line and why.
type InputError struct {
	File   string `json:"file"`
	Line   int    `json:"line"`
	Reason string `json:"reason"`
}

// at is where the line is, written as every other place is.
func (e InputError) at() Location { return Location{File: e.File, Line: e.Line} }

// Report returns what has been found so far.
func (c *Checker) Report() *Report {
	r := &Report{
		Spec:         c.spec,
		DroppedDrift: c.dropped,
		Signatures:   c.sig,
		InputErrors:  c.inputErrs,
		Drift:        []Finding{},
	}
	r.InputErrors.First = append([]InputError{}, c.inputErrs.First...)
	for _, f := range c.files {
		r.Files = append(r.Files, *f)
	}
	for i, k := range c.kinds {
		r.Kinds = append(r.Kinds, KindReport{Name: k.Name, OperationID: k.OperationID, SpecLine: k.Line, Deliveries: c.deliveries[i]})
	}
	type entry struct {
		key driftKey
		t   *tally
	}
	entries := make([]entry, 0, len(c.drift))
	for k, t := range c.drift {
		entries = append(entries, entry{k, t})
	}
	slices.SortFunc(entries, func(a, b entry) int {
		return cmp.Or(cmp.Compare(a.key.kind, b.key.kind), cmp.Compare(a.key.ptr, b.key.ptr), cmp.Compare(a.key.check, b.key.check))
	})
	for _, e := range entries {
		k := c.kinds[e.key.kind]
		r.Drift = append(r.Drift, Finding{
			Kind:        k.Name,
			OperationID: k.OperationID,
			Check:       e.key.check,
			Severity:    contract.DefaultSeverity(e.key.check),
			Pointer:     e.key.ptr,
			Field:       fieldName(e.key.ptr),
			Count:       e.t.count,
			Of:          c.deliveries[e.key.kind],
			First:       e.t.first,
			Message:     e.t.message,
			SpecLine:    e.t.specLine,
		})
	}
	return r
}

// fieldName writes a pointer the way people name a field:
// /body/refund_amount is body.refund_amount.
func fieldName(ptr string) string {
	if ptr == "" {
		return "(payload)"
	}
	toks := strings.Split(strings.TrimPrefix(ptr, "/"), "/")
	for i, t := range toks {
		toks[i] = pointer.Unescape(t)
	}
	return strings.Join(toks, ".")
}

// The --fail-on levels.
const (
	FailOnBreaking = "breaking" // breaking drift (contract.DefaultSeverity), and the problems below
	FailOnDrift    = "drift"    // any drift, warnings such as undocumented_field too
	FailOnNone     = "none"     // never
)

// ValidFailOn checks a --fail-on value.
func ValidFailOn(level string) error {
	switch level {
	case FailOnBreaking, FailOnDrift, FailOnNone:
		return nil
	}
	return fmt.Errorf("--fail-on %q: want %s, %s or %s", level, FailOnBreaking, FailOnDrift, FailOnNone)
}

// Failed reports whether the report crosses its FailOn level. At
// breaking and drift, signature failures (when checked), input errors and
// drift that was dropped uncounted fail too: a log that could not be read
// whole, or whose deliveries are not provably the API's, is not clean.
func (r *Report) Failed() bool {
	level := r.level()
	if level == FailOnNone {
		return false
	}
	if r.Signatures.Failed() > 0 || r.InputErrors.Count > 0 || r.DroppedDrift > 0 {
		return true
	}
	for _, f := range r.Drift {
		if level == FailOnDrift || f.Severity == contract.Breaking {
			return true
		}
	}
	return false
}

func (r *Report) level() string {
	if r.FailOn == "" {
		return FailOnBreaking
	}
	return r.FailOn
}

// Deliveries is the number of deliveries over all kinds.
func (r *Report) Deliveries() int64 {
	var n int64
	for _, k := range r.Kinds {
		n += k.Deliveries
	}
	return n
}
