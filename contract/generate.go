package contract

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp/syntax"
	"strings"
	"time"
	"unicode"

	"github.com/pb33f/libopenapi/datamodel/high/base"
	"github.com/pb33f/libopenapi/orderedmap"
	"github.com/reconkit/reconkit/contract/specnode"
	yaml4 "go.yaml.in/yaml/v4"
)

// maxGenDepth bounds generation through nested (possibly circular)
// schemas: deeper optional structure is left out, deeper required
// structure is cut off.
const maxGenDepth = 8

// generator builds request values from schemas where the spec has no
// example. It is deterministic: the same schema and vars give the same
// value, so a run can be repeated and diffed.
type generator struct {
	version float32
	vars    map[string]any
	now     time.Time
}

// value returns a value for the schema of a field called name.
func (g *generator) value(sp *base.SchemaProxy, name string, depth int) any {
	if v, ok := g.vars[name]; ok && name != "" {
		return normalizeJSON(v)
	}
	if sp == nil {
		return "example"
	}
	s := sp.Schema()
	if s == nil || depth > maxGenDepth {
		return nil
	}
	if x, ok := schemaExample(s); ok {
		return x
	}
	v := fold(s, g.version)
	for len(v.alts) > 0 && len(v.alts[0]) > 0 {
		v = v.with(0, v.alts[0][0], g.version)
	}
	if v.hasEnum {
		for _, e := range v.enum {
			if e != nil {
				return normalizeJSON(e)
			}
		}
	}
	typ := ""
	switch {
	case len(v.types) > 0:
		typ = v.types[0]
	case v.hasProps:
		typ = "object"
	case v.items != nil:
		typ = "array"
	default:
		typ = "string"
	}
	switch typ {
	case "object":
		obj := map[string]any{}
		for _, p := range v.props {
			_, isVar := g.vars[p.name]
			if !isVar && !containsString(v.required, p.name) {
				continue
			}
			if ps := p.proxy.Schema(); ps != nil && ps.ReadOnly != nil && *ps.ReadOnly {
				continue
			}
			if x := g.value(p.proxy, p.name, depth+1); x != nil || containsString(v.required, p.name) {
				obj[p.name] = x
			}
		}
		return obj
	case "array":
		n := 1
		if s.MinItems != nil && *s.MinItems > 1 {
			n = int(min(*s.MinItems, 5))
		}
		arr := make([]any, 0, n)
		for range n {
			arr = append(arr, g.value(v.items, "", depth+1))
		}
		return arr
	case "integer":
		return json.Number(fmt.Sprint(int64(g.number(s, true))))
	case "number":
		return json.Number(fmt.Sprint(g.number(s, false)))
	case "boolean":
		return true
	case "null":
		return nil
	}
	return g.str(s, v.format)
}

// number picks the smallest round value inside the schema's bounds.
func (g *generator) number(s *base.Schema, integer bool) float64 {
	x := 1.0
	if s.Minimum != nil {
		x = *s.Minimum
	}
	if s.ExclusiveMinimum != nil {
		if s.ExclusiveMinimum.IsB() {
			x = s.ExclusiveMinimum.B + 1
		} else if s.ExclusiveMinimum.A && s.Minimum != nil {
			x = *s.Minimum + 1
		}
	}
	if s.Maximum != nil && x > *s.Maximum {
		x = *s.Maximum
	}
	if integer {
		return float64(int64(x))
	}
	return x
}

func (g *generator) str(s *base.Schema, format string) string {
	var out string
	switch format {
	case "date-time":
		out = g.now.UTC().Add(24 * time.Hour).Truncate(time.Second).Format(time.RFC3339)
	case "date":
		out = g.now.UTC().Add(24 * time.Hour).Format(time.DateOnly)
	case "time":
		out = "12:00:00Z"
	case "email":
		out = "contract-test@example.com"
	case "uri", "url":
		out = "https://example.com/contract-test"
	case "uuid":
		out = "00000000-0000-4000-8000-000000000000"
	case "ipv4":
		out = "192.0.2.1"
	case "ipv6":
		out = "2001:db8::1"
	default:
		if s.Pattern != "" {
			if p, ok := sampleFromPattern(s.Pattern); ok {
				out = p
				break
			}
		}
		out = "example"
	}
	if s.MinLength != nil && int64(len(out)) < *s.MinLength {
		out += strings.Repeat("x", int(*s.MinLength)-len(out))
	}
	if s.MaxLength != nil && *s.MaxLength >= 0 && int64(len(out)) > *s.MaxLength {
		out = out[:*s.MaxLength]
	}
	return out
}

// sampleFromPattern returns a short string the regular expression
// matches, taking the first branch of every choice and the minimum of
// every repetition.
func sampleFromPattern(pattern string) (string, bool) {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return "", false
	}
	var b strings.Builder
	if !sampleRegexp(re.Simplify(), &b, 0) {
		return "", false
	}
	return b.String(), true
}

func sampleRegexp(re *syntax.Regexp, b *strings.Builder, depth int) bool {
	if depth > 100 {
		return false
	}
	switch re.Op {
	case syntax.OpNoMatch:
		return false
	case syntax.OpLiteral:
		b.WriteString(string(re.Rune))
	case syntax.OpCharClass:
		r, ok := pickRune(re.Rune)
		if !ok {
			return false
		}
		b.WriteRune(r)
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		b.WriteByte('a')
	case syntax.OpCapture, syntax.OpPlus:
		return sampleRegexp(re.Sub[0], b, depth+1)
	case syntax.OpRepeat:
		for range re.Min {
			if !sampleRegexp(re.Sub[0], b, depth+1) {
				return false
			}
		}
	case syntax.OpConcat:
		for _, s := range re.Sub {
			if !sampleRegexp(s, b, depth+1) {
				return false
			}
		}
	case syntax.OpAlternate:
		return sampleRegexp(re.Sub[0], b, depth+1)
	}
	// Anchors, word boundaries, empty matches, star and quest add nothing.
	return true
}

// pickRune prefers a letter or digit from a character class, so
// generated ids look like ids.
func pickRune(ranges []rune) (rune, bool) {
	if len(ranges) < 2 {
		return 0, false
	}
	for _, want := range []rune{'A', 'a', '0'} {
		for i := 0; i+1 < len(ranges); i += 2 {
			if ranges[i] <= want && want <= ranges[i+1] {
				return want, true
			}
		}
	}
	for i := 0; i+1 < len(ranges); i += 2 {
		for r := ranges[i]; r <= ranges[i+1] && r < ranges[i]+256; r++ {
			if unicode.IsPrint(r) {
				return r, true
			}
		}
	}
	return ranges[0], true
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// schemaExample returns the schema's own example, examples[0] or default.
func schemaExample(s *base.Schema) (any, bool) {
	switch {
	case s.Example != nil:
		return nodeValue(s.Example)
	case len(s.Examples) > 0:
		return nodeValue(s.Examples[0])
	case s.Default != nil:
		return nodeValue(s.Default)
	}
	return nil, false
}

// firstExample returns the name and value of the first example of a map
// of them (document order) that has an inline value.
func firstExample(examples *orderedmap.Map[string, *base.Example]) (string, any, bool) {
	if examples == nil {
		return "", nil, false
	}
	for name, ex := range examples.FromOldest() {
		if ex == nil || ex.Value == nil {
			continue
		}
		if v, ok := nodeValue(ex.Value); ok {
			return name, v, true
		}
	}
	return "", nil, false
}

// namedExample returns the example called name.
func namedExample(examples *orderedmap.Map[string, *base.Example], name string) (any, bool) {
	if examples == nil {
		return nil, false
	}
	ex, ok := examples.Get(name)
	if !ok || ex == nil || ex.Value == nil {
		return nil, false
	}
	return nodeValue(ex.Value)
}

// nodeValue decodes a YAML node into the JSON value model the rest of
// the package uses: map[string]any, []any, string, bool, nil and
// json.Number.
func nodeValue(n *yaml4.Node) (any, bool) {
	var x any
	if err := n.Decode(&x); err != nil {
		return nil, false
	}
	return normalizeJSON(x), true
}

// normalizeJSON round-trips a value through encoding/json so every
// number is a json.Number and every map has string keys.
func normalizeJSON(x any) any {
	x = specnode.StringKeys(x)
	b, err := json.Marshal(x)
	if err != nil {
		return x
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err != nil {
		return x
	}
	return out
}

// deepCopy copies a JSON value so a step can change its own.
func deepCopy(x any) any {
	switch t := x.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, v := range t {
			m[k] = deepCopy(v)
		}
		return m
	case []any:
		a := make([]any, len(t))
		for i, v := range t {
			a[i] = deepCopy(v)
		}
		return a
	}
	return x
}

// overrideVars sets every object member named like a var to the var's
// value, at any depth, so merchant and terminal ids from config reach
// bodies built from examples as well as generated ones.
func overrideVars(x any, vars map[string]any) any {
	if len(vars) == 0 {
		return x
	}
	switch t := x.(type) {
	case map[string]any:
		for k, v := range t {
			if val, ok := vars[k]; ok {
				t[k] = normalizeJSON(val)
				continue
			}
			t[k] = overrideVars(v, vars)
		}
	case []any:
		for i, v := range t {
			t[i] = overrideVars(v, vars)
		}
	}
	return x
}
