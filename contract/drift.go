package contract

import (
	"encoding/json"
	"fmt"
	"math"
	"net"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pb33f/libopenapi/datamodel/high/base"
)

// Drift is one difference between a JSON value and its schema, found by
// walking the value against the resolved schema. It is independent of
// libopenapi-validator on purpose: the validator stops at the first
// failing branch and its strict mode only runs after a clean pass, while
// a drift report must list every difference at once.
type Drift struct {
	Check   string // one of the drift check names
	Pointer string // RFC 6901 pointer to the field
	Message string
	Line    int // spec line of the schema that disagrees
	// Occurrences counts list elements with the same drift; Pointer
	// names the first.
	Occurrences int
}

// maxWalkDepth bounds recursion through nested data; JSON deeper than
// this is not a contract anyone checks field by field.
const maxWalkDepth = 64

// WalkDrift compares doc (decoded with json.Decoder.UseNumber) with the
// schema and returns every drift, deduplicated across list elements and
// sorted by pointer and check. version is the spec's OpenAPI version
// (3.0 honours nullable). At the root, required fields that are gone
// together with undocumented fields that appeared are reported once, as
// envelope_changed, instead of field by field.
func WalkDrift(schema *base.SchemaProxy, doc any, version float32) []Drift {
	drifts, _ := WalkDriftReadings(schema, doc, version)
	return drifts
}

// WalkDriftReadings is WalkDrift that also says which alternative of
// each reading (see Reading) the value took.
func WalkDriftReadings(schema *base.SchemaProxy, doc any, version float32) ([]Drift, []Seen) {
	if schema == nil {
		return nil, nil
	}
	root := cachedView(schema, version)
	if root.view.schema == nil {
		return nil, nil
	}
	w := &walker{version: version, path: make([]step, 0, 8)}
	w.walk(root.view, root.line, doc, 0)
	return dedupe(w.out), w.seen
}

// readingExtension marks a oneOf/anyOf whose alternatives are the
// readings public documents allow of one thing, such as the field an
// order's total comes in. The walker then notes which one a response
// took, so `contract test` tells the team which reading the server
// really uses.
const readingExtension = "x-reconkit-reading"

// Seen is the alternative a value took in one reading: the reading's
// name, the alternative's title (or its place in the list, from 1) and
// the pointer of the value.
type Seen struct {
	Reading     string
	Alternative string
	Pointer     string
}

type walker struct {
	version float32
	out     []Drift
	// probe is set while choosing a oneOf branch: every missing and
	// extra field counts on its own there, so envelope folding must not
	// make a bad branch look good.
	probe bool
	// seen lists the alternative each reading took (never in a probe).
	seen []Seen
	// path is where the value being walked sits: a stack of keys and
	// list indices, joined into a JSON pointer only when a drift is
	// reported there. Most values have none, and building every field's
	// pointer up front was a good part of a walk.
	path []step
}

// step is one key or list index of a path.
type step struct {
	key     string
	index   int // when isIndex
	isIndex bool
}

// pointer is the JSON pointer of the current path.
func (w *walker) pointer() string {
	ptr := ""
	for _, s := range w.path {
		if s.isIndex {
			ptr = indexPointer(ptr, s.index)
		} else {
			ptr = childPointer(ptr, s.key)
		}
	}
	return ptr
}

func (w *walker) add(check, ptr string, line int, format string, args ...any) {
	w.out = append(w.out, Drift{Check: check, Pointer: ptr, Line: line, Message: fmt.Sprintf(format, args...)})
}

// walk checks x against v. line is where the value's schema is used
// (its property key), for type, enum, format and null findings.
func (w *walker) walk(v *view, line int, x any, depth int) {
	if depth > maxWalkDepth {
		return
	}
	if line == 0 {
		line = v.line
	}
	if len(v.alts) > 0 {
		w.walk(w.choose(v, x, depth), line, x, depth)
		return
	}
	if x == nil {
		if !v.nullable && len(v.types) > 0 && !slices.Contains(v.types, "null") {
			w.add(CheckNullabilityChanged, w.pointer(), line, "null where the schema allows only %s", strings.Join(v.types, " or "))
		}
		return
	}
	got := jsonType(x)
	if !v.allows(got) {
		w.add(CheckTypeChanged, w.pointer(), line, "type changed: the schema says %s, the response has %s %s", strings.Join(v.types, " or "), got, excerptValue(x))
		return
	}
	if v.hasEnum && got != "object" && got != "array" {
		if !slices.ContainsFunc(v.enum, func(e any) bool { return sameValue(x, e) }) {
			w.add(CheckUnknownEnumValue, w.pointer(), line, "value %s is not one of the documented values %s", excerptValue(x), enumList(v.enum))
		}
	}
	if v.format != "" {
		if msg := formatProblem(v.format, x); msg != "" {
			w.add(CheckFormatViolation, w.pointer(), line, "%s", msg)
		}
	}
	switch t := x.(type) {
	case map[string]any:
		w.object(v, t, depth)
	case []any:
		if v.items == nil {
			return
		}
		iv := cachedView(v.items, w.version)
		for i, el := range t {
			w.path = append(w.path, step{index: i, isIndex: true})
			w.walk(iv.view, iv.line, el, depth+1)
			w.path = w.path[:len(w.path)-1]
		}
	}
}

// walkField checks the value of field key against the schema sp points
// to.
func (w *walker) walkField(sp *base.SchemaProxy, key string, x any, depth int) {
	u := cachedView(sp, w.version)
	w.path = append(w.path, step{key: key})
	w.walk(u.view, u.line, x, depth)
	w.path = w.path[:len(w.path)-1]
}

func (w *walker) object(v *view, obj map[string]any, depth int) {
	var missing, extra []string
	for _, name := range v.required {
		if _, ok := obj[name]; ok {
			continue
		}
		if p := v.prop(name); p != nil && p.Schema() != nil && p.Schema().WriteOnly != nil && *p.Schema().WriteOnly {
			continue // write-only fields are never sent back
		}
		missing = append(missing, name)
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if p := v.prop(k); p != nil {
			w.walkField(p, k, obj[k], depth+1)
			continue
		}
		if pp := v.patternFor(k); pp != nil {
			w.walkField(pp, k, obj[k], depth+1)
			continue
		}
		if !v.hasProps && v.addl != nil {
			// A map: its keys are data, not field names.
			w.walkField(v.addl, k, obj[k], depth+1)
			continue
		}
		if v.hasProps || v.addlFalse {
			extra = append(extra, k)
		}
	}
	if len(w.path) == 0 && !w.probe && len(missing) > 0 && len(extra) > 0 {
		w.add(CheckEnvelopeChanged, "", v.line, "the envelope changed: documented {%s}, the response has {%s} (%s missing, %s undocumented)",
			strings.Join(envelopeKeys(v), ", "), strings.Join(keys, ", "), strings.Join(missing, ", "), strings.Join(extra, ", "))
		return
	}
	var ptr string
	if len(missing) > 0 || len(extra) > 0 {
		ptr = w.pointer()
	}
	for _, name := range missing {
		line := v.reqLine[name]
		if line == 0 {
			line = v.line
		}
		w.add(CheckMissingRequiredField, childPointer(ptr, name), line, "required field %q is missing", name)
	}
	for _, k := range extra {
		w.add(CheckUndocumentedField, childPointer(ptr, k), v.line, "field %q is not in the schema", k)
	}
}

func envelopeKeys(v *view) []string {
	keys := make([]string, 0, len(v.props))
	for _, p := range v.props {
		keys = append(keys, p.name)
	}
	return keys
}

// patternFor returns the patternProperties schema whose pattern matches
// key. Patterns that do not compile in Go's syntax are skipped.
func (v *view) patternFor(key string) *base.SchemaProxy {
	for _, p := range v.patterns {
		if p.re != nil && p.re.MatchString(key) {
			return p.proxy
		}
	}
	return nil
}

// choose picks, for the first oneOf/anyOf list of v, the alternative the
// data fits best (fewest drifts, the first on a tie), and returns v with
// it folded in.
func (w *walker) choose(v *view, x any, depth int) *view {
	var best *view
	bestN := math.MaxInt
	for _, cand := range v.candidates() {
		// The probe starts where w is. Sharing w's path array is safe:
		// w waits, and uses nothing past its own length, while the probe
		// pushes and pops above it.
		probe := &walker{version: w.version, probe: true, path: w.path}
		probe.walk(cand, cand.line, x, depth)
		if n := len(probe.out); n < bestN {
			best, bestN = cand, n
		}
		if bestN == 0 {
			break
		}
	}
	if !w.probe && v.readings[0] != "" {
		w.seen = append(w.seen, Seen{Reading: v.readings[0], Alternative: altTitle(v.alts[0], slices.Index(v.candidates(), best)),
			Pointer: w.pointer()})
	}
	return best
}

// altTitle names alternative i of a list: its title, or its place.
func altTitle(alts []*base.SchemaProxy, i int) string {
	if i >= 0 && i < len(alts) {
		if s := alts[i].Schema(); s != nil && s.Title != "" {
			return s.Title
		}
	}
	return strconv.Itoa(i + 1)
}

// dedupe keeps the first of drifts that differ only by list index and
// counts the rest, then sorts by pointer and check.
func dedupe(in []Drift) []Drift {
	type key struct{ check, ptr string }
	idx := map[key]int{}
	var out []Drift
	for _, d := range in {
		k := key{d.Check, GenericPointer(d.Pointer)}
		if i, ok := idx[k]; ok {
			out[i].Occurrences++
			continue
		}
		d.Occurrences = 1
		idx[k] = len(out)
		out = append(out, d)
	}
	slices.SortStableFunc(out, func(a, b Drift) int {
		if c := strings.Compare(a.Pointer, b.Pointer); c != 0 {
			return c
		}
		return strings.Compare(a.Check, b.Check)
	})
	return out
}

var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// formatProblem checks the formats clients commonly parse; unknown
// formats are annotations and pass.
func formatProblem(format string, x any) string {
	if n, ok := x.(json.Number); ok {
		var bits int
		switch format {
		case "int32":
			bits = 32
		case "int64":
			bits = 64
		default:
			return ""
		}
		if _, err := strconv.ParseInt(n.String(), 10, bits); err != nil && isIntegral(n) {
			return fmt.Sprintf("%s does not fit in %s", n, format)
		}
		return ""
	}
	s, ok := x.(string)
	if !ok {
		return ""
	}
	bad := false
	switch format {
	case "date-time":
		_, err := time.Parse(time.RFC3339Nano, s)
		bad = err != nil || !strings.ContainsAny(s[min(10, len(s)):], "Zz+-")
	case "date":
		_, err := time.Parse(time.DateOnly, s)
		bad = err != nil
	case "time":
		_, err := time.Parse("15:04:05Z07:00", s)
		if err != nil {
			_, err = time.Parse("15:04:05.999999999Z07:00", s)
		}
		bad = err != nil
	case "email":
		a, err := mail.ParseAddress(s)
		bad = err != nil || a.Address != s
	case "uri", "url":
		u, err := url.Parse(s)
		bad = err != nil || !u.IsAbs() || strings.ContainsAny(s, " \t\n")
	case "uri-reference":
		_, err := url.Parse(s)
		bad = err != nil || strings.ContainsAny(s, " \t\n")
	case "uuid":
		bad = !uuidRE.MatchString(s)
	case "ipv4":
		ip := net.ParseIP(s)
		bad = ip == nil || ip.To4() == nil || strings.Contains(s, ":")
	case "ipv6":
		ip := net.ParseIP(s)
		bad = ip == nil || !strings.Contains(s, ":")
	default:
		return ""
	}
	if bad {
		return fmt.Sprintf("%s is not a valid %s", excerptValue(s), format)
	}
	return ""
}

// excerptValue renders a value for a message, cut short.
func excerptValue(x any) string {
	b, err := json.Marshal(x)
	if err != nil {
		return fmt.Sprint(x)
	}
	s := string(b)
	if len(s) > 60 {
		s = s[:57] + "..."
	}
	return s
}

func enumList(vals []any) string {
	parts := make([]string, len(vals))
	for i, v := range vals {
		parts[i] = excerptValue(v)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}
