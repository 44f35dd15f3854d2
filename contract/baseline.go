package contract

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Baseline is a file of accepted findings. An accepted finding is still
// reported, but does not fail the gate until its entry expires.
type Baseline struct {
	Accepted []BaselineEntry `yaml:"accepted" json:"accepted"`
}

// BaselineEntry accepts the findings of one check on one operation at one
// pointer. Pointer may use "*" for any one token (e.g. /data/orders/*/fee);
// leaving it out accepts the check at every pointer.
type BaselineEntry struct {
	Operation string  `yaml:"operation" json:"operation"`
	Check     string  `yaml:"check" json:"check"`
	Pointer   *string `yaml:"pointer,omitempty" json:"pointer,omitempty"`
	Reason    string  `yaml:"reason" json:"reason"`
	// Expires is the last day (YYYY-MM-DD, UTC) the entry accepts
	// anything.
	Expires string `yaml:"expires" json:"expires"`
	Line    int    `yaml:"-" json:"line,omitempty"`
	expires time.Time
}

// UnmarshalYAML keeps the entry's line for messages.
func (e *BaselineEntry) UnmarshalYAML(n *yaml.Node) error {
	if err := knownKeys(n, "operation", "check", "pointer", "reason", "expires"); err != nil {
		return err
	}
	type plain BaselineEntry
	var p plain
	if err := n.Decode(&p); err != nil {
		return err
	}
	*e = BaselineEntry(p)
	e.Line = n.Line
	return nil
}

// ParseBaseline reads a baseline file and checks every entry: operation,
// check, reason and a valid expiry date are required, so nothing is
// accepted forever or without saying why.
func ParseBaseline(data []byte) (*Baseline, error) {
	var b Baseline
	if len(bytes.TrimSpace(data)) == 0 {
		return &b, nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&b); err != nil {
		return nil, fmt.Errorf("parse baseline: %w", err)
	}
	var errs []error
	for i := range b.Accepted {
		e := &b.Accepted[i]
		where := fmt.Sprintf("baseline line %d", e.Line)
		if e.Operation == "" {
			errs = append(errs, fmt.Errorf("%s: operation is required", where))
		}
		if e.Check == "" {
			errs = append(errs, fmt.Errorf("%s: check is required", where))
		} else if !KnownCheck(e.Check) {
			errs = append(errs, fmt.Errorf("%s: unknown check %q", where, e.Check))
		}
		if e.Reason == "" {
			errs = append(errs, fmt.Errorf("%s: reason is required", where))
		}
		t, err := time.Parse(time.DateOnly, e.Expires)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: expires %q: want a date like 2025-12-31", where, e.Expires))
		}
		e.expires = t
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &b, nil
}

func (e *BaselineEntry) matches(f Finding) bool {
	if e.Operation != f.OperationID || e.Check != f.Check {
		return false
	}
	return e.Pointer == nil || pointerMatches(*e.Pointer, f.Pointer)
}

// live reports whether the entry still accepts findings on day today.
func (e *BaselineEntry) live(today time.Time) bool {
	y, m, d := today.UTC().Date()
	return !time.Date(y, m, d, 0, 0, 0, 0, time.UTC).After(e.expires)
}

// ApplyBaseline marks the findings a live entry covers as accepted, notes
// the ones only an expired entry covers, and lists entries that matched
// nothing. It can be called once per result.
func (r *Result) ApplyBaseline(b *Baseline, today time.Time) {
	if b == nil {
		return
	}
	used := make([]bool, len(b.Accepted))
	for i := range r.Findings {
		f := &r.Findings[i]
		for j := range b.Accepted {
			e := &b.Accepted[j]
			if !e.matches(*f) {
				continue
			}
			used[j] = true
			if e.live(today) {
				f.Accepted, f.AcceptedReason, f.BaselineExpired = true, e.Reason, ""
				break
			}
			if !f.Accepted {
				f.BaselineExpired = e.Expires
			}
		}
	}
	for j, e := range b.Accepted {
		if !used[j] {
			r.UnusedBaseline = append(r.UnusedBaseline, e)
		}
	}
	r.finalize()
}

// BaselineFor writes an entry for every finding of r that fails the gate,
// so a team can accept today's drift and fix it by expires. Entries are
// deduplicated by operation, check and pointer, with list
// indices written as "*" so the entry holds when the list changes.
func BaselineFor(r *Result, reason string, expires time.Time) *Baseline {
	b := &Baseline{}
	seen := map[string]bool{}
	for _, f := range r.Findings {
		if !f.Fails() {
			continue
		}
		ptr := GenericPointer(f.Pointer)
		key := f.OperationID + "\x00" + f.Check + "\x00" + ptr
		if seen[key] {
			continue
		}
		seen[key] = true
		b.Accepted = append(b.Accepted, BaselineEntry{
			Operation: f.OperationID,
			Check:     f.Check,
			Pointer:   &ptr,
			Reason:    reason,
			Expires:   expires.UTC().Format(time.DateOnly),
		})
	}
	return b
}

// Marshal renders the baseline as YAML.
func (b *Baseline) Marshal() ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(b); err != nil {
		return nil, fmt.Errorf("render baseline: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("render baseline: %w", err)
	}
	return buf.Bytes(), nil
}

// knownKeys rejects keys a mapping should not have. yaml.v3's KnownFields
// does not reach into custom unmarshalers, so they call this themselves.
func knownKeys(n *yaml.Node, allowed ...string) error {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		found := false
		for _, a := range allowed {
			if k.Value == a {
				found = true
				break
			}
		}
		if !found {
			return fmt.Errorf("line %d: field %s not found (known: %s)", k.Line, k.Value, strings.Join(allowed, ", "))
		}
	}
	return nil
}
