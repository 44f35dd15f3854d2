package lint

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/reconkit/reconkit/contract/pointer"
	"github.com/reconkit/reconkit/contract/specnode"
	"gopkg.in/yaml.v3"
)

// The structural checks read the plain YAML tree: what a spec validator
// reports before any tool can use the document.

var paramLocations = map[string]bool{"query": true, "header": true, "path": true, "cookie": true}

var schemaTypes = map[string]bool{"string": true, "number": true, "integer": true, "boolean": true, "array": true, "object": true, "null": true}

// only31Keywords are schema keywords JSON Schema 2020-12 (OpenAPI 3.1)
// has and OpenAPI 3.0's schema object does not: a 3.0 tool ignores them.
var only31Keywords = []string{"const", "prefixItems", "contains", "minContains", "maxContains", "dependentRequired",
	"dependentSchemas", "patternProperties", "propertyNames", "unevaluatedProperties", "unevaluatedItems",
	"if", "then", "else", "$defs", "contentSchema", "contentMediaType", "contentEncoding", "examples",
	"$id", "$anchor", "$dynamicRef", "$dynamicAnchor", "$schema", "$comment"}

// subschemaKeys hold one schema; subschemaLists a list of them;
// subschemaMaps a map of them.
var (
	subschemaKeys  = []string{"items", "additionalProperties", "not", "if", "then", "else", "contains", "propertyNames", "unevaluatedItems", "unevaluatedProperties", "contentSchema"}
	subschemaLists = []string{"allOf", "anyOf", "oneOf", "prefixItems"}
	subschemaMaps  = []string{"properties", "patternProperties", "dependentSchemas", "$defs", "definitions"}
)

// structure runs every structural check.
func (l *linter) structure() {
	l.info()
	l.only31Fields()
	l.servers(specnode.Get(l.raw, "servers"), ptr("servers"))
	l.paths()
	l.schemas()
}

func (l *linter) info() {
	k, info := specnode.Key(l.raw, "info")
	if info == nil || info.Kind != yaml.MappingNode {
		l.add(RuleInfoIncomplete, "the document has no info object (title and version are required)", "/info", line(k))
		return
	}
	var missing []string
	for _, f := range []string{"title", "version"} {
		if v := specnode.Get(info, f); v == nil || strings.TrimSpace(v.Value) == "" {
			missing = append(missing, "info."+f)
		}
	}
	if len(missing) > 0 {
		l.add(RuleInfoIncomplete, fmt.Sprintf("%s is missing; OpenAPI requires it", strings.Join(missing, " and ")), "/info", line(k))
	}
}

func line(n *yaml.Node) int {
	if n == nil {
		return 0
	}
	return n.Line
}

// only31Fields reports fields of the OpenAPI object that 3.1 added, in a
// 3.0 document.
func (l *linter) only31Fields() {
	if l.version != 3.0 {
		return
	}
	for _, f := range [][]string{{"webhooks"}, {"jsonSchemaDialect"}, {"info", "summary"}, {"info", "license", "identifier"}, {"components", "pathItems"}} {
		parent := l.raw
		for _, t := range f[:len(f)-1] {
			parent = specnode.Get(parent, t)
		}
		if k, _ := specnode.Key(parent, f[len(f)-1]); k != nil {
			l.add(RuleOnly31, fmt.Sprintf("%s is an OpenAPI 3.1 field; this document says openapi 3.0, whose tools ignore it", strings.Join(f, ".")), ptr(f...), k.Line)
		}
	}
}

// serverVar matches a {variable} in a server URL.
var serverVar = regexp.MustCompile(`\{([^{}]*)\}`)

func (l *linter) servers(list *yaml.Node, loc string) {
	if list == nil || list.Kind != yaml.SequenceNode {
		return
	}
	for i, s := range list.Content {
		u := specnode.Get(s, "url")
		if u == nil {
			continue
		}
		sloc := loc + "/" + strconv.Itoa(i) + "/url"
		depth, bad := 0, false
		for _, c := range u.Value {
			switch c {
			case '{':
				depth++
				bad = bad || depth > 1
			case '}':
				depth--
				bad = bad || depth < 0
			}
		}
		if bad || depth != 0 {
			l.add(RuleServerURL, fmt.Sprintf("server URL %q has unbalanced braces", u.Value), sloc, u.Line)
			continue
		}
		vars := specnode.Get(s, "variables")
		for _, m := range serverVar.FindAllStringSubmatch(u.Value, -1) {
			if specnode.Get(vars, m[1]) == nil {
				l.add(RuleServerURL, fmt.Sprintf("server URL %q uses {%s}, which its variables do not define", u.Value, m[1]), sloc, u.Line)
			}
		}
	}
}

// pathTemplate returns a path with its parameter names blanked ("/pets/{}")
// and the names, in order.
func pathTemplate(p string) (string, []string) {
	var b strings.Builder
	var names []string
	for {
		i := strings.IndexByte(p, '{')
		if i < 0 {
			b.WriteString(p)
			return b.String(), names
		}
		j := strings.IndexByte(p[i:], '}')
		if j < 0 {
			b.WriteString(p)
			return b.String(), names
		}
		b.WriteString(p[:i] + "{}")
		names = append(names, p[i+1:i+j])
		p = p[i+j+1:]
	}
}

// paths checks path keys and the parameters of every operation.
func (l *linter) paths() {
	paths := specnode.Get(l.raw, "paths")
	if paths == nil || paths.Kind != yaml.MappingNode {
		return
	}
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(paths.Content); i += 2 {
		k, pi := paths.Content[i], l.deref(paths.Content[i+1])
		loc := ptr("paths", k.Value)
		if !strings.HasPrefix(k.Value, "/") {
			l.add(RulePathInvalid, fmt.Sprintf("path %q does not start with /", k.Value), loc, k.Line)
		}
		// A path with a query string is reported as path-query-string;
		// its template would only repeat that.
		query := strings.Contains(k.Value, "?")
		key, _ := strings.CutSuffix(k.Value, "/")
		tmpl, names := pathTemplate(key)
		if first, ok := seen[tmpl]; ok && !query {
			l.add(RulePathConflict, fmt.Sprintf("path %q and %q (line %d) are the same URL with other parameter names; a server cannot tell which one a request is for", k.Value, first.Value, first.Line), loc, k.Line)
		} else if !query {
			seen[tmpl] = k
		}
		l.servers(specnode.Get(pi, "servers"), loc+"/servers")
		pathLevel := l.parameterList(specnode.Get(pi, "parameters"), loc+"/parameters")
		for _, method := range httpMethods {
			opKey, op := specnode.Key(pi, method)
			if op == nil || op.Kind != yaml.MappingNode {
				continue
			}
			oloc := loc + "/" + method
			l.servers(specnode.Get(op, "servers"), oloc+"/servers")
			own := l.parameterList(specnode.Get(op, "parameters"), oloc+"/parameters")
			declared := map[string]bool{}
			if query {
				continue
			}
			for _, p := range append(pathLevel, own...) {
				if p.in == "path" {
					declared[p.name] = true
					if !slices.Contains(names, p.name) {
						l.add(RulePathParamMismatch, fmt.Sprintf("%s %s declares path parameter %q, which the path does not have", strings.ToUpper(method), k.Value, p.name), p.loc, p.line)
					}
				}
			}
			for _, nm := range names {
				if !declared[nm] {
					l.add(RulePathParamMismatch, fmt.Sprintf("%s %s does not declare the path parameter {%s}", strings.ToUpper(method), k.Value, nm), oloc, opKey.Line)
				}
			}
		}
	}
}

type rawParam struct {
	name, in, loc string
	line          int
}

// parameterList checks one parameters list and returns its parameters.
func (l *linter) parameterList(list *yaml.Node, loc string) []rawParam {
	if list == nil || list.Kind != yaml.SequenceNode {
		return nil
	}
	var out []rawParam
	first := map[string]int{}
	for i, raw := range list.Content {
		p := l.deref(raw)
		if p == nil || p.Kind != yaml.MappingNode {
			continue
		}
		ploc := loc + "/" + strconv.Itoa(i)
		name, in := specnode.Get(p, "name"), specnode.Get(p, "in")
		if name == nil || in == nil {
			continue
		}
		rp := rawParam{name: name.Value, in: in.Value, loc: ploc, line: raw.Line}
		out = append(out, rp)
		if !paramLocations[in.Value] {
			l.add(RuleParamIn, fmt.Sprintf("parameter %q has in: %q; OpenAPI knows query, header, path and cookie", name.Value, in.Value), ploc+"/in", in.Line)
		}
		if in.Value == "path" {
			if r := specnode.Get(p, "required"); r == nil || r.Value != "true" {
				l.add(RulePathParamRequired, fmt.Sprintf("path parameter %q is not required: true, which OpenAPI demands of every path parameter", name.Value), ploc, raw.Line)
			}
		}
		key := in.Value + "\x00" + name.Value
		if in.Value == "header" {
			key = strings.ToLower(key)
		}
		if j, ok := first[key]; ok {
			l.add(RuleParamDuplicate, fmt.Sprintf("parameter %q in %s is declared twice in one list (first at line %d)", name.Value, in.Value, list.Content[j].Line), ploc, raw.Line)
		} else {
			first[key] = i
		}
	}
	return out
}

// deref follows a local $ref of a non-schema object.
func (l *linter) deref(n *yaml.Node) *yaml.Node {
	for range 16 {
		r := specnode.Get(n, "$ref")
		if r == nil {
			return n
		}
		t := specnode.Resolve(l.raw, strings.TrimPrefix(r.Value, "#"))
		if t == nil || !strings.HasPrefix(r.Value, "#") {
			return nil
		}
		n = t
	}
	return n
}

// schemas finds every schema in the document (component schemas and each
// `schema` of a parameter, header or media type) and checks it and its
// subschemas.
func (l *linter) schemas() {
	done := map[*yaml.Node]bool{}
	var find func(n *yaml.Node, path []string)
	find = func(n *yaml.Node, path []string) {
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				p := append(path, k.Value)
				switch {
				case len(p) == 3 && p[0] == "components" && p[1] == "schemas":
					l.schema(v, ptr(p...), done, 0)
				case k.Value == "schema" || k.Value == "itemSchema":
					l.schema(v, ptr(p...), done, 0)
				case strings.HasPrefix(k.Value, "x-") || k.Value == "example" || k.Value == "examples":
				default:
					find(v, p)
				}
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				find(c, append(path, strconv.Itoa(i)))
			}
		}
	}
	find(l.raw, nil)
}

// ecmaOnly matches regex syntax ECMA-262 (the dialect JSON Schema uses)
// has and Go's RE2 does not: lookaround and backreferences. A pattern
// using them is not reported as invalid.
var ecmaOnly = regexp.MustCompile(`\(\?<?[=!]|\\[1-9]|\\k<`)

// unicodeEscape is ECMA's \uXXXX, which RE2 spells \x{XXXX}.
var unicodeEscape = regexp.MustCompile(`\\u([0-9a-fA-F]{4})`)

func (l *linter) schema(n *yaml.Node, loc string, done map[*yaml.Node]bool, depth int) {
	n = specnode.Alias(n) // an anchored schema is checked once, where it is first reached
	if n == nil || n.Kind != yaml.MappingNode || done[n] || depth > 64 {
		return
	}
	done[n] = true
	if specnode.Get(n, "$ref") != nil && l.version == 3.0 {
		return // siblings of a 3.0 $ref are ignored
	}
	if p := specnode.Get(n, "pattern"); p != nil && p.Kind == yaml.ScalarNode && !ecmaOnly.MatchString(p.Value) {
		if _, err := regexp.Compile(unicodeEscape.ReplaceAllString(p.Value, `\x{$1}`)); err != nil {
			l.add(RulePatternInvalid, fmt.Sprintf("pattern %q is not a valid regular expression: %v", p.Value, strings.TrimPrefix(err.Error(), "error parsing regexp: ")), loc+"/pattern", p.Line)
		}
	}
	if t := specnode.Get(n, "type"); t != nil {
		var ts []*yaml.Node
		switch t.Kind {
		case yaml.ScalarNode:
			ts = []*yaml.Node{t}
		case yaml.SequenceNode:
			ts = t.Content
			if l.version == 3.0 {
				l.add(RuleOnly31, "type as a list is OpenAPI 3.1; in 3.0 use one type (and nullable: true for null)", loc+"/type", t.Line)
			}
		}
		for _, x := range ts {
			switch {
			case !schemaTypes[x.Value]:
				l.add(RuleTypeUnknown, fmt.Sprintf("type %q is not a JSON Schema type (string, number, integer, boolean, array, object%s)", x.Value, map[bool]string{true: "", false: ", null"}[l.version == 3.0]), loc+"/type", x.Line)
			case x.Value == "null" && l.version == 3.0:
				l.add(RuleOnly31, `type "null" is OpenAPI 3.1; in 3.0 write nullable: true`, loc+"/type", x.Line)
			}
		}
	}
	if l.version == 3.0 {
		for _, kw := range only31Keywords {
			if k, _ := specnode.Key(n, kw); k != nil {
				l.add(RuleOnly31, fmt.Sprintf("%s is a JSON Schema 2020-12 keyword (OpenAPI 3.1); a 3.0 tool ignores it", kw), loc+"/"+pointer.Escape(kw), k.Line)
			}
		}
		for _, kw := range []string{"exclusiveMinimum", "exclusiveMaximum"} {
			if v := specnode.Get(n, kw); v != nil && v.Value != "true" && v.Value != "false" {
				l.add(RuleOnly31, fmt.Sprintf("%s: %s is the OpenAPI 3.1 form; in 3.0 it is a boolean beside minimum/maximum", kw, v.Value), loc+"/"+kw, v.Line)
			}
		}
	}
	for _, k := range subschemaKeys {
		l.schema(specnode.Get(n, k), loc+"/"+k, done, depth+1)
	}
	for _, k := range subschemaLists {
		if list := specnode.Get(n, k); list != nil && list.Kind == yaml.SequenceNode {
			for i, c := range list.Content {
				l.schema(c, loc+"/"+k+"/"+strconv.Itoa(i), done, depth+1)
			}
		}
	}
	for _, k := range subschemaMaps {
		if m := specnode.Get(n, k); m != nil && m.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(m.Content); i += 2 {
				l.schema(m.Content[i+1], loc+"/"+k+"/"+pointer.Escape(m.Content[i].Value), done, depth+1)
			}
		}
	}
	if items := specnode.Get(n, "items"); items != nil && items.Kind == yaml.SequenceNode {
		for i, c := range items.Content {
			l.schema(c, loc+"/items/"+strconv.Itoa(i), done, depth+1)
		}
	}
}
