package config

import (
	"fmt"
	"reflect"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// fileCheck walks a YAML document against the Config type before it is
// decoded, so that every problem of the file is found in one pass and
// named the way the user wrote it: the key's YAML path and line, and
// what the value should be in words ("a whole number"), never a Go type.
// yaml.v3 alone stops at the first unknown key (with KnownFields) and
// words a type error as "cannot unmarshal !!str `abc` into int".
type fileCheck struct {
	problems Problems
	set      map[string]bool // the YAML paths the file sets
	lines    map[string]int  // and their lines
}

var durationType = reflect.TypeFor[time.Duration]()

// walk checks node n as the value of a Go value of type t at path.
func (c *fileCheck) walk(n *yaml.Node, t reflect.Type, path string) {
	for n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return // an empty value keeps the default, as yaml.v3 decodes it
	}
	c.set[path] = true
	if c.lines != nil {
		c.lines[path] = n.Line
	}
	if t.Kind() == reflect.Pointer {
		t = t.Elem() // an optional section: its value is checked as the section
	}
	switch {
	case t.Kind() == reflect.Struct || t.Kind() == reflect.Map:
		if n.Kind != yaml.MappingNode {
			c.mismatch(n, t, path)
			return
		}
		c.mapping(n, t, path, map[string]int{})
	case t.Kind() == reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			c.mismatch(n, t, path)
			return
		}
		for i, e := range n.Content {
			c.walk(e, t.Elem(), fmt.Sprintf("%s[%d]", path, i))
		}
	default:
		// yaml.v3 itself decides what a scalar may be, so that this check
		// and the decode that follows never disagree.
		if n.Kind != yaml.ScalarNode || n.Decode(reflect.New(t).Interface()) != nil {
			c.mismatch(n, t, path)
		}
	}
}

// mapping checks the keys of a mapping node: a struct's keys must be its
// fields, a map's keys are free (Validate checks those it knows). seen
// holds the keys already written, with their lines.
func (c *fileCheck) mapping(n *yaml.Node, t reflect.Type, path string, seen map[string]int) {
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Tag == "!!merge" {
			merges = append(merges, v)
			continue
		}
		at := join(path, k.Value)
		if first, ok := seen[k.Value]; ok {
			c.add(at, k.Line, "set twice (first on line %d)", first)
			continue
		}
		seen[k.Value] = k.Line
		if t.Kind() == reflect.Map {
			c.walk(v, t.Elem(), at)
			continue
		}
		f, ok := field(t, k.Value)
		if !ok {
			c.add(at, k.Line, "unknown key; %s", c.hint(t, path, k.Value))
			continue
		}
		c.walk(v, f.Type, at)
	}
	// Keys written in place override merged ones (YAML's merge key), so
	// merged mappings are checked last and only for what is not yet set.
	for _, m := range merges {
		for m.Kind == yaml.AliasNode {
			m = m.Alias
		}
		list := []*yaml.Node{m}
		if m.Kind == yaml.SequenceNode {
			list = m.Content
		}
		for _, e := range list {
			for e.Kind == yaml.AliasNode {
				e = e.Alias
			}
			if e.Kind != yaml.MappingNode {
				c.add(join(path, "<<"), e.Line, "a merge key must refer to a mapping")
				continue
			}
			override := make(map[string]int, len(seen))
			for k, line := range seen {
				override[k] = line
			}
			c.mapping(withoutKeys(e, seen), t, path, override)
		}
	}
}

// withoutKeys returns a mapping node without the keys in seen.
func withoutKeys(n *yaml.Node, seen map[string]int) *yaml.Node {
	out := *n
	out.Content = nil
	for i := 0; i+1 < len(n.Content); i += 2 {
		if _, ok := seen[n.Content[i].Value]; !ok || n.Content[i].Tag == "!!merge" {
			out.Content = append(out.Content, n.Content[i], n.Content[i+1])
		}
	}
	return &out
}

// hint suggests the nearest key of struct t for a misspelt one, or lists
// its keys when none is close.
func (c *fileCheck) hint(t reflect.Type, path, key string) string {
	keys := yamlKeys(t)
	best, dist := "", 0
	for _, k := range keys {
		if d := editDistance(strings.ToLower(key), k); best == "" || d < dist {
			best, dist = k, d
		}
	}
	// Close means at most one edit in a short key and two in a longer
	// one: "tolerence" is tolerance, "colour" is no key of xepeng.
	if dist <= 2 && dist <= max(1, len(key)/3) {
		return "did you mean " + best + "?"
	}
	where := path
	if where == "" {
		where = "the top level"
	}
	return where + " takes " + strings.Join(keys, ", ")
}

func (c *fileCheck) mismatch(n *yaml.Node, t reflect.Type, path string) {
	var found string
	switch {
	case n.Kind == yaml.ScalarNode && t.Kind() != reflect.Struct && t.Kind() != reflect.Map && t.Kind() != reflect.Slice:
		c.add(path, n.Line, "%q is not %s", n.Value, describe(t))
		return
	case n.Kind == yaml.ScalarNode:
		found = fmt.Sprintf("%q", n.Value)
	case n.Kind == yaml.SequenceNode:
		found = "a list"
	default:
		found = "a mapping"
	}
	c.add(path, n.Line, "must be %s, not %s", describe(t), found)
}

func (c *fileCheck) add(path string, line int, format string, args ...any) {
	if path == "" {
		path = "the top level"
	}
	c.problems = append(c.problems, fmt.Sprintf("%s (line %d): ", path, line)+fmt.Sprintf(format, args...))
}

// describe says in words what a value of type t is written as.
func describe(t reflect.Type) string {
	switch {
	case t == durationType:
		return "a duration such as 15s, 30m or 72h"
	case t.Kind() == reflect.Bool:
		return "true or false"
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
		return "a whole number"
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		return "a number"
	case t.Kind() == reflect.String:
		return "text"
	case t.Kind() == reflect.Slice:
		return "a list"
	}
	return "a mapping"
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// field finds the field of struct t whose yaml tag is key.
func field(t reflect.Type, key string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		if f := t.Field(i); tagName(f) == key {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// yamlKeys lists the keys of struct t in field order.
func yamlKeys(t reflect.Type) []string {
	var keys []string
	for i := range t.NumField() {
		if k := tagName(t.Field(i)); k != "" && k != "-" {
			keys = append(keys, k)
		}
	}
	return keys
}

func tagName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	return name
}

// editDistance is the optimal string alignment distance of a and b:
// insertions, deletions, substitutions and swaps of neighbours count one
// each, so "lookbakc" is one edit from "lookback".
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}
