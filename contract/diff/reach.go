package diff

import (
	"sort"
	"strings"

	"github.com/reconkit/reconkit/contract/pointer"
)

// Operation names one operation a finding reaches, with the directions in
// which it reaches it.
type Operation struct {
	Method     string      `json:"method"`
	Path       string      `json:"path"`
	Directions []Direction `json:"directions,omitempty"`
}

// String renders the operation the way people write it: "GET /v1/customers".
func (o Operation) String() string { return o.Method + " " + o.Path }

type opKey struct{ method, path string }

type use struct {
	op  opKey
	dir Direction
}

// reach answers which operations lead to a component ("schemas/customer",
// "responses/Error", ...) through $refs, in the old or the new document.
// what-changed reports a component schema change once, under components,
// so this is how that one finding learns which operations it breaks.
// Answers are computed per component on demand, walking references
// backwards: storing every component's operations up front costs tens of
// megabytes on a large spec for the handful a diff asks about.
type reach struct {
	graphs []*refGraph // one per document
	memo   map[string]reachAnswer
}

type reachAnswer struct {
	ops  []Operation
	dirs []Direction
}

// refGraph is one document's reference graph: component ids, who refers to
// each component, and the components each operation section refers to.
type refGraph struct {
	ids   map[string]int
	rev   [][]int
	roots map[use][]int
}

func (g *refGraph) id(key string) int {
	if i, ok := g.ids[key]; ok {
		return i
	}
	g.ids[key] = len(g.rev)
	g.rev = append(g.rev, nil)
	return len(g.rev) - 1
}

var httpMethods = map[string]bool{
	"get": true, "put": true, "post": true, "delete": true, "options": true,
	"head": true, "patch": true, "trace": true, "query": true,
}

// uses adds every operation section that reaches key in this graph: the
// components that lead to key are found walking references backwards,
// then each section referring to one of them reaches key.
func (g *refGraph) uses(key string, into map[use]bool) {
	k, ok := g.ids[key]
	if !ok {
		return
	}
	seen := make([]bool, len(g.rev))
	stack := []int{k}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[n] {
			continue
		}
		seen[n] = true
		stack = append(stack, g.rev[n]...)
	}
	for u, targets := range g.roots {
		for _, t := range targets {
			if seen[t] {
				into[u] = true
				break
			}
		}
	}
}

// rootUses returns the operations and directions a $ref at source path sp
// belongs to: the section of the operation it sits in decides the
// direction, flipped under webhooks and callbacks, where the API is the
// client.
func rootUses(methodsOf func(section, path string) []string, sp []string) []use {
	if len(sp) < 3 {
		return nil
	}
	var path string
	inverted := false
	switch sp[0] {
	case "paths":
		path = pointer.Unescape(sp[1])
	case "webhooks":
		path = "webhook:" + pointer.Unescape(sp[1])
		inverted = true
	default:
		return nil
	}
	if sp[2] == "parameters" {
		// A path-level parameter belongs to every operation of the path.
		var out []use
		for _, m := range methodsOf(sp[0], pointer.Unescape(sp[1])) {
			out = append(out, use{opKey{strings.ToUpper(m), path}, dirOf(Request, inverted)})
		}
		return out
	}
	if !httpMethods[sp[2]] || len(sp) < 4 {
		return nil
	}
	op := opKey{strings.ToUpper(sp[2]), path}
	rest := sp[3:]
	// A callback's operation is the API calling the client, so its
	// sections are judged the other way round, on behalf of the operation
	// that registers it.
	if rest[0] == "callbacks" && len(rest) >= 5 {
		inverted = !inverted
		rest = rest[4:]
	}
	switch rest[0] {
	case "parameters", "requestBody":
		return []use{{op, dirOf(Request, inverted)}}
	case "responses":
		return []use{{op, dirOf(Response, inverted)}}
	}
	return nil
}

func dirOf(d Direction, inverted bool) Direction {
	if !inverted {
		return d
	}
	if d == Request {
		return Response
	}
	return Request
}

// componentKey turns "#/components/schemas/customer" into "schemas/customer".
func componentKey(def string) (string, bool) {
	rest, ok := strings.CutPrefix(def, "#/components/")
	if !ok {
		return "", false
	}
	kind, name, ok := strings.Cut(rest, "/")
	if !ok || strings.Contains(name, "/") {
		return "", false
	}
	return kind + "/" + pointer.Unescape(name), true
}

// operations returns the operations reaching a component in either
// document, sorted by path then method, each with the directions it
// reaches it in, and the union of those directions.
func (r *reach) operations(key string) ([]Operation, []Direction) {
	if a, ok := r.memo[key]; ok {
		return a.ops, a.dirs
	}
	uses := map[use]bool{}
	for _, g := range r.graphs {
		g.uses(key, uses)
	}
	byOp := map[opKey]map[Direction]bool{}
	all := map[Direction]bool{}
	for u := range uses {
		if byOp[u.op] == nil {
			byOp[u.op] = map[Direction]bool{}
		}
		byOp[u.op][u.dir] = true
		all[u.dir] = true
	}
	ops := make([]Operation, 0, len(byOp))
	for k, ds := range byOp {
		ops = append(ops, Operation{Method: k.method, Path: k.path, Directions: sortedDirs(ds)})
	}
	sort.Slice(ops, func(i, j int) bool {
		if ops[i].Path != ops[j].Path {
			return ops[i].Path < ops[j].Path
		}
		return ops[i].Method < ops[j].Method
	})
	if r.memo == nil {
		r.memo = map[string]reachAnswer{}
	}
	a := reachAnswer{ops: ops, dirs: sortedDirs(all)}
	r.memo[key] = a
	return a.ops, a.dirs
}

func sortedDirs(ds map[Direction]bool) []Direction {
	var out []Direction
	for _, d := range []Direction{Request, Response} {
		if ds[d] {
			out = append(out, d)
		}
	}
	return out
}
