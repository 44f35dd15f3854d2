package diff

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Fail-on levels for Options.FailOn and Report.Crossed.
const (
	FailOnBreaking = "breaking"
	FailOnAny      = "any"
	FailOnNone     = "none"
)

// ErrFailOn is returned for a --fail-on value that is not one of the levels.
var ErrFailOn = errors.New("fail-on must be breaking, any or none")

// Options are the inputs of one comparison.
type Options struct {
	Old, New         []byte // the two documents, YAML or JSON
	OldName, NewName string // how findings name the files (path or REV:PATH)
	FailOn           string // breaking (default), any or none
	Ignore           *IgnoreFile
	Now              time.Time // judges ignore-entry expiry; zero means time.Now()
}

// Finding is one change between the documents.
type Finding struct {
	// ID is stable for the same change at the same place: an ignore file
	// can name it.
	ID       string `json:"id"`
	Rule     string `json:"rule"`
	Breaking bool   `json:"breaking"`
	Message  string `json:"message"`
	// Pointer is the JSON pointer of what changed, in the new document
	// (or the old one when it was removed). Parameters are addressed by
	// name rather than index.
	Pointer string `json:"pointer"`
	// Component is set when the change is inside a shared component, as
	// "schemas/customer"; Operations then lists everything it reaches.
	Component string `json:"component,omitempty"`
	// Path and Method are set when the change sits in one operation.
	Path   string `json:"path,omitempty"`
	Method string `json:"method,omitempty"`
	// Operations are the operations the change reaches.
	Operations []Operation `json:"operations,omitempty"`
	// Directions are the directions the change was judged in;
	// BreakingIn those in which it breaks clients.
	Directions []Direction `json:"directions,omitempty"`
	BreakingIn []Direction `json:"breakingIn,omitempty"`
	OldLine    int         `json:"oldLine,omitempty"`
	NewLine    int         `json:"newLine,omitempty"`
	Old        string      `json:"old,omitempty"`
	New        string      `json:"new,omitempty"`
	// File overrides the document a finding points into: ignore-expired
	// findings point at the ignore file.
	File string `json:"file,omitempty"`
	// Ignored is set when an ignore-file entry accepted the change.
	Ignored *Ignored `json:"ignored,omitempty"`
}

// Ignored records which ignore entry accepted a finding, and why.
type Ignored struct {
	Reason  string `json:"reason"`
	Expires string `json:"expires"`
}

// Summary counts the findings of a report.
type Summary struct {
	Total       int `json:"total"`
	Breaking    int `json:"breaking"`
	NonBreaking int `json:"nonBreaking"`
	Ignored     int `json:"ignored"`
	Expired     int `json:"expiredIgnores"`
}

// Report is the result of a comparison.
type Report struct {
	OldName  string    `json:"old"`
	NewName  string    `json:"new"`
	FailOn   string    `json:"failOn"`
	Failed   bool      `json:"failed"`
	Summary  Summary   `json:"summary"`
	Findings []Finding `json:"findings"`
	// Warnings are problems libopenapi met while building either document
	// (circular references, unresolved refs); the comparison went on with
	// what it could build.
	Warnings []string `json:"warnings,omitempty"`
}

// Crossed reports whether the findings reach a fail-on level: any
// unignored breaking finding for "breaking", any unignored finding at all
// for "any", never for "none". An unknown level counts as "breaking".
func (r *Report) Crossed(failOn string) bool {
	if failOn == FailOnNone {
		return false
	}
	for _, f := range r.Findings {
		if f.Ignored != nil {
			continue
		}
		if failOn == FailOnAny || f.Breaking {
			return true
		}
	}
	return false
}

// ValidFailOn checks a fail-on level; empty means breaking.
func ValidFailOn(s string) error {
	switch s {
	case "", FailOnBreaking, FailOnAny, FailOnNone:
		return nil
	}
	return fmt.Errorf("%w: got %q", ErrFailOn, s)
}

// Run compares opts.Old with opts.New and judges every change.
func Run(ctx context.Context, opts Options) (*Report, error) {
	if err := ValidFailOn(opts.FailOn); err != nil {
		return nil, err
	}
	if opts.FailOn == "" {
		opts.FailOn = FailOnBreaking
	}
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	rep := &Report{OldName: opts.OldName, NewName: opts.NewName, FailOn: opts.FailOn, Findings: []Finding{}}
	// The two documents are read side by side: each step is independent
	// per document and the machine has more than one core.
	var oldRaw, newRaw *rawDoc
	err := both(
		func() (err error) { oldRaw, err = scanRaw(opts.Old, opts.OldName); return err },
		func() (err error) { newRaw, err = scanRaw(opts.New, opts.NewName); return err })
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	w := &walker{o: oldRaw, n: newRaw, comparing: map[[2]*yaml.Node]bool{}}
	w.document()
	for _, d := range []*rawDoc{oldRaw, newRaw} {
		for _, ref := range sortedKeys(d.unresolved) {
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("%s: $ref %s points at nothing; what it should name was not compared", d.name, ref))
		}
	}

	r := &reach{graphs: []*refGraph{oldRaw.graph, newRaw.graph}}

	if fs := findings(w.events, r); len(fs) > 0 {
		rep.Findings = fs
	}
	applyIgnores(rep, opts.Ignore, opts.Now)
	rep.summarise()
	rep.Failed = rep.Crossed(opts.FailOn)
	return rep, nil
}

// both runs a and b at the same time and returns a's error, else b's.
func both(a, b func() error) error {
	var errB error
	done := make(chan struct{})
	go func() {
		defer close(done)
		errB = b()
	}()
	errA := a()
	<-done
	if errA != nil {
		return errA
	}
	return errB
}

// findings judges each event and merges events that are one change seen
// from several operations: what-changed compares parameters, request
// bodies and responses that come from components inline, once per use,
// and every copy carries the same lines.
func findings(events []event, r *reach) []Finding {
	var out []Finding
	merged := map[string]int{}
	for _, e := range events {
		f := judge(e, r)
		key := ""
		if f.Component == "" && (f.OldLine != 0 || f.NewLine != 0) {
			key = fmt.Sprintf("%s|%s|%s|%s|%d|%d", f.Rule, f.Message, f.Old, f.New, f.OldLine, f.NewLine)
		}
		if i, ok := merged[key]; ok && key != "" {
			out[i] = mergeFindings(out[i], f)
			continue
		}
		if key != "" {
			merged[key] = len(out)
		}
		out = append(out, f)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Breaking != b.Breaking {
			return a.Breaking
		}
		if a.Pointer != b.Pointer {
			return a.Pointer < b.Pointer
		}
		return a.Message < b.Message
	})
	uniqueIDs(out)
	return out
}

func mergeFindings(a, b Finding) Finding {
	seen := map[string]bool{}
	for _, o := range a.Operations {
		seen[o.String()] = true
	}
	for _, o := range b.Operations {
		if !seen[o.String()] {
			a.Operations = append(a.Operations, o)
		}
	}
	if len(a.Operations) > 1 {
		a.Path, a.Method = "", ""
	}
	a.Directions = unionDirs(a.Directions, b.Directions)
	a.BreakingIn = unionDirs(a.BreakingIn, b.BreakingIn)
	a.Breaking = a.Breaking || b.Breaking
	return a
}

func unionDirs(a, b []Direction) []Direction {
	m := map[Direction]bool{}
	for _, d := range a {
		m[d] = true
	}
	for _, d := range b {
		m[d] = true
	}
	return sortedDirs(m)
}

// findingID hashes what identifies a change, so the id survives unrelated
// edits elsewhere in the file (lines are deliberately left out).
func findingID(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(h[:6])
}

// judge turns an event into a Finding: the directions it is seen from
// come from the operation it sits in or, for a component schema, from
// every operation that reaches the component in either document.
func judge(e event, r *reach) Finding {
	rule := ruleByID[e.rule]
	f := Finding{
		Rule:      e.rule,
		Message:   e.message,
		Pointer:   e.ptr,
		Component: e.comp,
		Path:      e.path,
		Method:    e.method,
		Old:       short(e.old),
		New:       short(e.new),
		OldLine:   e.oldLine,
		NewLine:   e.newLine,
	}
	f.ID = findingID(e.rule, e.ptr, e.subject, f.Old, f.New)
	var dirs []Direction
	switch {
	case e.comp != "":
		f.Operations, dirs = r.operations(e.comp)
		if len(f.Operations) == 0 {
			f.Message += " (not used by any operation)"
		}
	case e.path != "" && e.method != "":
		f.Operations = []Operation{{Method: e.method, Path: e.path}}
		if e.dir != "" {
			dirs = []Direction{e.dir}
			f.Operations[0].Directions = dirs
		}
	case e.dir != "":
		dirs = []Direction{e.dir}
	}
	// With no direction known (a component nothing uses, a document-level
	// change), a directional rule is judged both ways: a gate should not
	// pass a change because it could not tell who reads it.
	judged := dirs
	if len(judged) == 0 {
		judged = []Direction{Request, Response}
	}
	for _, d := range judged {
		// Inside a readOnly property only responses are bound, inside a
		// writeOnly one only requests.
		if e.only != "" && e.only != d {
			continue
		}
		if rule.verdict(d) == Breaking {
			f.BreakingIn = append(f.BreakingIn, d)
		}
	}
	f.Breaking = len(f.BreakingIn) > 0
	if rule.directional() || e.only != "" {
		f.Directions = dirs
	} else {
		f.BreakingIn = nil
	}
	return f
}

// uniqueIDs keeps finding ids unique within a report, so one ignore entry
// never hides two changes: a repeated id gets the finding's position among
// its twins appended.
func uniqueIDs(fs []Finding) {
	count := map[string]int{}
	for i := range fs {
		id := fs[i].ID
		count[id]++
		if n := count[id]; n > 1 {
			fs[i].ID = fmt.Sprintf("%s-%d", id, n)
		}
	}
}

func (r *Report) summarise() {
	s := Summary{}
	for _, f := range r.Findings {
		s.Total++
		switch {
		case f.Ignored != nil:
			s.Ignored++
		case f.Rule == RuleIgnoreExpired:
			s.Expired++
		case f.Breaking:
			s.Breaking++
		default:
			s.NonBreaking++
		}
	}
	r.Summary = s
}
