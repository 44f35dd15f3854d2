package diff

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// IgnoreFile is a list of accepted changes. Every entry says why and until
// when: an entry past its expiry stops ignoring and is reported itself, so
// an accepted break cannot be forgotten.
type IgnoreFile struct {
	Name    string
	Entries []IgnoreEntry
}

// IgnoreEntry selects findings by id, or by any of rule, path, operation
// (an HTTP method, or "METHOD /path") and pointer (the finding's pointer or
// a prefix of it); every field given must match.
type IgnoreEntry struct {
	ID        string `yaml:"id"`
	Rule      string `yaml:"rule"`
	Path      string `yaml:"path"`
	Operation string `yaml:"operation"`
	Pointer   string `yaml:"pointer"`
	Reason    string `yaml:"reason"`
	Expires   string `yaml:"expires"`

	// Line is where the entry starts in the ignore file.
	Line    int `yaml:"-"`
	expires time.Time
}

// ParseIgnoreFile reads an ignore file: a YAML list of entries, or a map
// with the list under "ignore". Every problem is reported at once, with
// its line.
func ParseIgnoreFile(b []byte, name string) (*IgnoreFile, error) {
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&root); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("ignore file %s: %w", name, err)
	}
	f := &IgnoreFile{Name: name}
	if len(root.Content) == 0 {
		return f, nil
	}
	list := root.Content[0]
	if list.Kind == yaml.MappingNode {
		var found *yaml.Node
		for i := 0; i+1 < len(list.Content); i += 2 {
			if list.Content[i].Value == "ignore" {
				found = list.Content[i+1]
			}
		}
		if found == nil {
			return nil, fmt.Errorf("ignore file %s: line %d: want a list of entries or an \"ignore:\" list", name, list.Line)
		}
		list = found
	}
	if list.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("ignore file %s: line %d: want a list of entries", name, list.Line)
	}
	var problems []string
	for _, n := range list.Content {
		var e IgnoreEntry
		if err := decodeStrict(n, &e); err != nil {
			problems = append(problems, fmt.Sprintf("line %d: %v", n.Line, err))
			continue
		}
		e.Line = n.Line
		if e.ID == "" && e.Rule == "" && e.Path == "" && e.Operation == "" && e.Pointer == "" {
			problems = append(problems, fmt.Sprintf("line %d: entry selects nothing: give id, or rule/path/operation/pointer", n.Line))
		}
		if e.Rule != "" {
			if _, ok := ruleByID[e.Rule]; !ok {
				problems = append(problems, fmt.Sprintf("line %d: unknown rule %q", n.Line, e.Rule))
			}
		}
		if strings.TrimSpace(e.Reason) == "" {
			problems = append(problems, fmt.Sprintf("line %d: reason is required", n.Line))
		}
		if e.Expires == "" {
			problems = append(problems, fmt.Sprintf("line %d: expires (YYYY-MM-DD) is required", n.Line))
		} else if t, err := time.Parse(time.DateOnly, e.Expires); err != nil {
			problems = append(problems, fmt.Sprintf("line %d: expires %q is not a YYYY-MM-DD date", n.Line, e.Expires))
		} else {
			e.expires = t
		}
		f.Entries = append(f.Entries, e)
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("ignore file %s: %s", name, strings.Join(problems, "; "))
	}
	return f, nil
}

// decodeStrict decodes one entry, rejecting unknown keys so a typo such as
// "expiry:" is an error instead of an entry that never expires.
func decodeStrict(n *yaml.Node, e *IgnoreEntry) error {
	if n.Kind != yaml.MappingNode {
		return errors.New("entry is not a map")
	}
	known := map[string]bool{"id": true, "rule": true, "path": true, "operation": true, "pointer": true, "reason": true, "expires": true}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i].Value; !known[k] {
			return fmt.Errorf("unknown key %q", k)
		}
	}
	return n.Decode(e)
}

// expired reports whether the entry's last day is before now's date.
func (e IgnoreEntry) expired(now time.Time) bool {
	y, m, d := now.UTC().Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	return e.expires.Before(today)
}

func (e IgnoreEntry) matches(f *Finding) bool {
	if e.ID != "" && e.ID != f.ID {
		return false
	}
	if e.Rule != "" && e.Rule != f.Rule {
		return false
	}
	if e.Pointer != "" && f.Pointer != e.Pointer && !strings.HasPrefix(f.Pointer, strings.TrimSuffix(e.Pointer, "/")+"/") {
		return false
	}
	method, path := e.Operation, e.Path
	if m, p, ok := strings.Cut(e.Operation, " "); ok {
		method, path = m, strings.TrimSpace(p)
		if e.Path != "" && e.Path != path {
			return false
		}
	}
	if method == "" && path == "" {
		return true
	}
	ops := f.Operations
	if len(ops) == 0 && f.Path != "" {
		ops = []Operation{{Method: f.Method, Path: f.Path}}
	}
	for _, o := range ops {
		if (path == "" || o.Path == path) && (method == "" || strings.EqualFold(o.Method, method)) {
			return true
		}
	}
	return false
}

func (e IgnoreEntry) describe() string {
	if e.ID != "" {
		return "id " + e.ID
	}
	var parts []string
	for _, kv := range [][2]string{{"rule", e.Rule}, {"path", e.Path}, {"operation", e.Operation}, {"pointer", e.Pointer}} {
		if kv[1] != "" {
			parts = append(parts, kv[0]+" "+kv[1])
		}
	}
	return strings.Join(parts, ", ")
}

// applyIgnores marks findings that a live entry accepts, and reports each
// expired entry as a finding of its own.
func applyIgnores(rep *Report, f *IgnoreFile, now time.Time) {
	if f == nil {
		return
	}
	for _, e := range f.Entries {
		if e.expired(now) {
			rep.Findings = append(rep.Findings, Finding{
				ID:      findingID(RuleIgnoreExpired, f.Name, e.describe(), e.Expires),
				Rule:    RuleIgnoreExpired,
				Message: fmt.Sprintf("ignore entry (%s) expired on %s and no longer ignores anything (reason was: %s)", e.describe(), e.Expires, short(e.Reason)),
				Pointer: e.Pointer,
				File:    f.Name,
				NewLine: e.Line,
			})
			continue
		}
		for i := range rep.Findings {
			fd := &rep.Findings[i]
			if fd.Ignored == nil && fd.Rule != RuleIgnoreExpired && e.matches(fd) {
				fd.Ignored = &Ignored{Reason: e.Reason, Expires: e.Expires}
			}
		}
	}
}
