package contract

import (
	"fmt"
	"slices"
	"strings"

	"github.com/reconkit/reconkit/contract/pointer"
)

// Coverage says how much of the spec a run exercised: operations called,
// documented statuses received, parameters sent and request enum values
// sent (in parameters and bodies), each as done out of documented, with
// what was missed per operation.
type Coverage struct {
	Operations Ratio `json:"operations"`
	Statuses   Ratio `json:"statuses"`
	Parameters Ratio `json:"parameters"`
	EnumValues Ratio `json:"enum_values"`
	// Missed lists, per operation that missed anything, what it missed.
	Missed []MissedCoverage `json:"missed,omitempty"`
}

// Ratio is a count of what was exercised out of what is documented.
type Ratio struct {
	Done  int `json:"done"`
	Total int `json:"total"`
}

// String is "3/4 (75%)".
func (r Ratio) String() string {
	if r.Total == 0 {
		return "0/0"
	}
	return fmt.Sprintf("%d/%d (%d%%)", r.Done, r.Total, r.Done*100/r.Total)
}

// MissedCoverage is what one operation's calls never exercised.
type MissedCoverage struct {
	OperationID string   `json:"operation_id"`
	NotCalled   bool     `json:"not_called,omitempty"`
	Statuses    []string `json:"statuses,omitempty"`    // documented, never received
	Parameters  []string `json:"parameters,omitempty"`  // "query page"
	EnumValues  []string `json:"enum_values,omitempty"` // "body /status=inactive"
}

// coverage tracks what the calls covered; the runner's mu guards it.
type coverage struct {
	spec *Spec
	ops  map[string]*opCoverage
}

type opCoverage struct {
	called   bool
	statuses map[string]bool // documented keys: "200", "4XX", "default"
	params   map[string]bool // "query page"
	enums    map[string]bool // "query limit=5", "body /status=active"
	targets  []enumTarget
}

// enumTarget is one enum a request of the operation can carry.
type enumTarget struct {
	in     string // query, header, path or body
	where  string // parameter name, or body pointer with * for items
	values []string
}

func newCoverage(spec *Spec) *coverage {
	c := &coverage{spec: spec, ops: map[string]*opCoverage{}}
	version := spec.SchemaVersion()
	for _, op := range spec.Operations {
		oc := &opCoverage{statuses: map[string]bool{}, params: map[string]bool{}, enums: map[string]bool{}}
		for _, p := range op.Params {
			if skipParam(p) || p.Schema == nil || p.Schema.Schema() == nil {
				continue
			}
			if vals := enumStrings(resolvedView(p.Schema.Schema(), version)); len(vals) > 0 {
				oc.targets = append(oc.targets, enumTarget{p.In, p.Name, vals})
			}
		}
		if rb := op.Op.RequestBody; rb != nil && rb.Content != nil {
			if _, mt := pickMediaType(rb.Content); mt != nil && mt.Schema != nil && mt.Schema.Schema() != nil {
				bodyEnums(resolvedView(mt.Schema.Schema(), version), "", 0, version, &oc.targets)
			}
		}
		c.ops[op.ID] = oc
	}
	return c
}

func enumStrings(v *view) []string {
	if !v.hasEnum {
		return nil
	}
	var out []string
	for _, e := range v.enum {
		if e != nil {
			out = append(out, scalarString(normalizeJSON(e)))
		}
	}
	return out
}

// bodyEnums collects the enums of a request body schema.
func bodyEnums(v *view, ptr string, depth int, version float32, out *[]enumTarget) {
	if depth > maxGenDepth {
		return
	}
	if vals := enumStrings(v); len(vals) > 0 && ptr != "" {
		*out = append(*out, enumTarget{"body", ptr, vals})
		return
	}
	for _, p := range v.props {
		if ps := p.proxy.Schema(); ps != nil && !(ps.ReadOnly != nil && *ps.ReadOnly) {
			bodyEnums(resolvedView(ps, version), childPointer(ptr, p.name), depth+1, version, out)
		}
	}
	if v.items != nil && v.items.Schema() != nil {
		bodyEnums(resolvedView(v.items.Schema(), version), ptr+"/*", depth+1, version, out)
	}
}

// saw counts one call of op.
func (c *coverage) saw(op *Operation, req *request, resp *response) {
	oc := c.ops[op.ID]
	if oc == nil {
		return
	}
	oc.called = true
	if _, key := matchResponse(op, resp.status); key != "" {
		oc.statuses[key] = true
	}
	for _, p := range op.Params {
		sent := ""
		switch p.In {
		case "path":
			sent = req.path[p.Name]
		case "query":
			sent = req.query.Get(p.Name)
		case "header":
			sent = req.header.Get(p.Name)
		}
		if sent != "" || (p.In == "query" && req.query.Has(p.Name)) {
			oc.params[p.In+" "+p.Name] = true
		}
	}
	for _, t := range oc.targets {
		var got []any
		switch t.in {
		case "path":
			got = []any{req.path[t.where]}
		case "query":
			for _, v := range req.query[t.where] {
				got = append(got, v)
			}
		case "header":
			got = []any{req.header.Get(t.where)}
		case "body":
			got = valuesAt(req.bodyValue, t.where)
		}
		for _, g := range got {
			if s := scalarString(g); slices.Contains(t.values, s) {
				oc.enums[t.in+" "+t.where+"="+s] = true
			}
		}
	}
}

// valuesAt returns the values at a pointer whose * tokens match every
// array item.
func valuesAt(doc any, ptr string) []any {
	if ptr == "" {
		return []any{doc}
	}
	tok, rest, _ := strings.Cut(strings.TrimPrefix(ptr, "/"), "/")
	if rest != "" {
		rest = "/" + rest
	}
	switch t := doc.(type) {
	case map[string]any:
		if v, ok := t[pointer.Unescape(tok)]; ok {
			return valuesAt(v, rest)
		}
	case []any:
		if tok == "*" {
			var out []any
			for _, x := range t {
				out = append(out, valuesAt(x, rest)...)
			}
			return out
		}
	}
	return nil
}

// result sums up the coverage of the operations the run was to call.
func (c *coverage) result(ops []OperationResult) *Coverage {
	out := &Coverage{}
	for _, o := range ops {
		op := c.spec.Operation(o.OperationID)
		oc := c.ops[o.OperationID]
		if op == nil || oc == nil {
			continue
		}
		var m MissedCoverage
		out.Operations.Total++
		if oc.called {
			out.Operations.Done++
		} else {
			m.NotCalled = true
		}
		for _, key := range documentedStatuses(op) {
			if key == "none" {
				continue
			}
			out.Statuses.Total++
			if oc.statuses[key] {
				out.Statuses.Done++
			} else {
				m.Statuses = append(m.Statuses, key)
			}
		}
		for _, p := range op.Params {
			if skipParam(p) {
				continue
			}
			name := p.In + " " + p.Name
			out.Parameters.Total++
			if oc.params[name] {
				out.Parameters.Done++
			} else {
				m.Parameters = append(m.Parameters, name)
			}
		}
		for _, t := range oc.targets {
			for _, v := range t.values {
				key := t.in + " " + t.where + "=" + v
				out.EnumValues.Total++
				if oc.enums[key] {
					out.EnumValues.Done++
				} else {
					m.EnumValues = append(m.EnumValues, key)
				}
			}
		}
		if m.NotCalled || len(m.Statuses)+len(m.Parameters)+len(m.EnumValues) > 0 {
			m.OperationID = o.OperationID
			out.Missed = append(out.Missed, m)
		}
	}
	return out
}
