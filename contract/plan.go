package contract

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/pb33f/libopenapi/datamodel/high/base"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"
	"github.com/pb33f/libopenapi/orderedmap"
)

// Phases of a plan, in the order they run.
const (
	PhaseScenario  = "scenario"
	PhaseOperation = "operation"
	PhaseCleanup   = "cleanup"
)

// Plan is the ordered list of calls a run makes: scenario steps, then one
// call for every operation no scenario step called, then the scenarios'
// cleanup steps. Building it calls nothing.
type Plan struct {
	Spec  *Spec
	Steps []*Step
	// Skipped lists the operationIds the config skips, in spec order.
	Skipped []string
	// UnknownSkips lists skip entries this spec has no operation for; one
	// config serves several specs, so they are not an error.
	UnknownSkips []string
	// NotSelected lists the operations the filters leave out, in spec
	// order.
	NotSelected []string
}

// Step is one planned call.
type Step struct {
	ID       string
	Op       *Operation
	Phase    string
	Scenario string
	// Expect lists the statuses that count as success; empty means any 2xx.
	Expect []int
	// Params are values given by the scenario, by parameter name; they
	// may hold ${...} expressions and win over links and defaults.
	Params map[string]any
	// Defaults are the planned parameter values (from vars, examples or
	// schemas), used when neither the scenario nor a link gives one.
	Defaults []ParamValue
	// MediaType, Body and HasBody describe the request body. Body may
	// hold ${...} expressions, resolved when the step runs.
	MediaType  string
	Body       any
	HasBody    bool
	BodySource string // "scenario", "example NAME", "schema example" or "generated"
	// Setup marks a scenario step on an operation the filters leave out:
	// it runs, so later steps get its ids, but nothing judges it.
	Setup bool
}

// hasVar reports whether a config var gives the parameter's value.
func (s *Step) hasVar(in, name string) bool {
	for _, d := range s.Defaults {
		if d.In == in && d.Name == name {
			return d.Source == "var"
		}
	}
	return false
}

// Filter selects operations: an operation is selected when it matches
// every non-empty list (any entry of a list will do). Paths are matched
// as path.Match globs against the spec's path template, or as a prefix.
type Filter struct {
	Tags         []string
	Paths        []string
	Methods      []string
	OperationIDs []string
}

// Empty reports whether the filter selects everything.
func (f Filter) Empty() bool {
	return len(f.Tags) == 0 && len(f.Paths) == 0 && len(f.Methods) == 0 && len(f.OperationIDs) == 0
}

// Selects reports whether op passes the filter.
func (f Filter) Selects(op *Operation) bool {
	if len(f.OperationIDs) > 0 && !slices.Contains(f.OperationIDs, op.ID) {
		return false
	}
	if len(f.Methods) > 0 && !slices.ContainsFunc(f.Methods, func(m string) bool { return strings.EqualFold(m, op.Method) }) {
		return false
	}
	if len(f.Paths) > 0 && !slices.ContainsFunc(f.Paths, func(p string) bool {
		ok, _ := path.Match(p, op.Path)
		return ok || strings.HasPrefix(op.Path, p)
	}) {
		return false
	}
	if len(f.Tags) > 0 && !slices.ContainsFunc(op.Op.Tags, func(t string) bool {
		return slices.ContainsFunc(f.Tags, func(w string) bool { return strings.EqualFold(w, t) })
	}) {
		return false
	}
	return true
}

// ParamValue is one planned parameter.
type ParamValue struct {
	In       string // path, query or header
	Name     string
	Value    any
	Required bool
	Source   string // "var", "example", "generated"
}

// PlanOptions carries the settings planning needs.
type PlanOptions struct {
	Vars map[string]any
	Skip []string
	// Now dates generated date-time values; time.Now when nil.
	Now func() time.Time
	// Filter selects the operations to test; scenario steps on the others
	// still run, unjudged, when a selected step may need their ids.
	Filter Filter
}

// NewPlan plans calls for every operation of spec, using the scenarios
// written for it.
func NewPlan(spec *Spec, scenarios []Scenario, opts PlanOptions) (*Plan, error) {
	if len(spec.Operations) == 0 {
		return nil, errNoOperations
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	g := &generator{version: spec.SchemaVersion(), vars: opts.Vars, now: now()}
	p := &Plan{Spec: spec}
	var errs []error
	for _, id := range opts.Skip {
		if spec.Operation(id) == nil && !slices.Contains(p.UnknownSkips, id) {
			p.UnknownSkips = append(p.UnknownSkips, id)
		}
	}
	skip := func(id string) bool { return slices.Contains(opts.Skip, id) }
	selected := func(op *Operation) bool { return opts.Filter.Selects(op) }
	ids := map[string]bool{}
	called := map[string]bool{}
	var cleanup []*Step
	for _, sc := range scenarios {
		if err := validateScenario(sc, spec, ids); err != nil {
			errs = append(errs, err)
			continue
		}
		if !opts.Filter.Empty() && !slices.ContainsFunc(append(slices.Clone(sc.Steps), sc.Cleanup...), func(st ScenarioStep) bool {
			return selected(spec.Operation(st.Operation))
		}) {
			continue // nothing in it is under test
		}
		add := func(st ScenarioStep, phase string) {
			op := spec.Operation(st.Operation)
			if skip(op.ID) {
				return
			}
			step, err := g.step(op, st, phase, sc.Name)
			if err != nil {
				errs = append(errs, err)
				return
			}
			step.Setup = !selected(op)
			called[op.ID] = true
			if phase == PhaseCleanup {
				cleanup = append(cleanup, step)
			} else {
				p.Steps = append(p.Steps, step)
			}
		}
		for _, st := range sc.Steps {
			add(st, PhaseScenario)
		}
		for _, st := range sc.Cleanup {
			add(st, PhaseCleanup)
		}
	}
	for _, op := range spec.Operations {
		if skip(op.ID) {
			p.Skipped = append(p.Skipped, op.ID)
			continue
		}
		if !selected(op) {
			p.NotSelected = append(p.NotSelected, op.ID)
			continue
		}
		if called[op.ID] {
			continue
		}
		id := op.ID
		for n := 2; ids[id]; n++ {
			id = fmt.Sprintf("%s_%d", op.ID, n)
		}
		ids[id] = true
		step, err := g.step(op, ScenarioStep{ID: id, Operation: op.ID}, PhaseOperation, "")
		if err != nil {
			errs = append(errs, err)
			continue
		}
		p.Steps = append(p.Steps, step)
	}
	p.Steps = append(p.Steps, cleanup...)
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("plan %s: %w", spec.Name, err)
	}
	return p, nil
}

// step plans one call of op, with the scenario's values where it has any.
func (g *generator) step(op *Operation, st ScenarioStep, phase, scenario string) (*Step, error) {
	s := &Step{
		ID:       st.ID,
		Op:       op,
		Phase:    phase,
		Scenario: scenario,
		Expect:   st.Expect,
		Params:   st.Params,
	}
	for _, prm := range op.Params {
		if skipParam(prm) {
			continue
		}
		required := prm.Required != nil && *prm.Required || prm.In == "path"
		val, src, ok := g.param(prm)
		if !ok && !required {
			continue
		}
		s.Defaults = append(s.Defaults, ParamValue{In: prm.In, Name: prm.Name, Value: val, Required: required, Source: src})
	}
	if rb := op.Op.RequestBody; rb != nil && rb.Content != nil {
		mtName, mt := pickMediaType(rb.Content)
		if mt != nil {
			s.MediaType = mtName
			s.HasBody = true
			body, src, err := g.body(mt, st)
			if err != nil {
				return nil, fmt.Errorf("step %s (%s): %w", st.ID, op.ID, err)
			}
			s.Body, s.BodySource = body, src
		}
	} else if st.Body != nil {
		s.HasBody = true
		s.MediaType = "application/json"
		s.Body, s.BodySource = normalizeJSON(st.Body), "scenario"
	}
	return s, nil
}

// skipParam leaves out header parameters that the HTTP client or the
// auth layer owns; OpenAPI says such definitions are ignored.
func skipParam(p *v3.Parameter) bool {
	if p.In == "cookie" {
		return p.Required == nil || !*p.Required
	}
	if p.In != "header" {
		return false
	}
	switch strings.ToLower(p.Name) {
	case "authorization", "content-type", "accept":
		return true
	}
	return false
}

// param plans one parameter value: a var of the same name, the
// parameter's example, its schema's example, or a generated value (the
// last only for required parameters, reported by ok=false otherwise).
func (g *generator) param(p *v3.Parameter) (any, string, bool) {
	if v, ok := g.vars[p.Name]; ok {
		return normalizeJSON(v), "var", true
	}
	if p.Example != nil {
		if v, ok := nodeValue(p.Example); ok {
			return v, "example", true
		}
	}
	if _, v, ok := firstExample(p.Examples); ok {
		return v, "example", true
	}
	if p.Schema != nil && p.Schema.Schema() != nil {
		if v, ok := schemaExample(p.Schema.Schema()); ok {
			return v, "example", true
		}
	}
	return g.value(p.Schema, "", 0), "generated", false
}

// pickMediaType prefers JSON, then form encoding, then the first listed.
func pickMediaType(content *orderedmap.Map[string, *v3.MediaType]) (string, *v3.MediaType) {
	var firstName string
	var first *v3.MediaType
	var form string
	for name, mt := range content.FromOldest() {
		if mt == nil {
			continue
		}
		if isJSONMediaType(name) {
			return name, mt
		}
		if first == nil {
			firstName, first = name, mt
		}
		if form == "" && strings.HasPrefix(name, "application/x-www-form-urlencoded") {
			form = name
		}
	}
	if form != "" {
		mt, _ := content.Get(form)
		return form, mt
	}
	return firstName, first
}

// isJSONMediaType reports whether a media type carries JSON.
func isJSONMediaType(mt string) bool {
	mt, _, _ = strings.Cut(strings.ToLower(strings.TrimSpace(mt)), ";")
	mt = strings.TrimSpace(mt)
	return mt == "application/json" || strings.HasSuffix(mt, "+json") || mt == "application/*" || mt == "*/*"
}

// body plans a request body from the scenario, the spec's examples or the
// schema, then applies vars and the scenario's set overrides.
func (g *generator) body(mt *v3.MediaType, st ScenarioStep) (any, string, error) {
	var body any
	var src string
	switch {
	case st.Body != nil:
		body, src = normalizeJSON(st.Body), "scenario"
	case st.Example != "":
		v, ok := namedExample(mt.Examples, st.Example)
		if !ok {
			return nil, "", fmt.Errorf("no request example called %q", st.Example)
		}
		body, src = v, "example "+st.Example
	case mt.Example != nil:
		if v, ok := nodeValue(mt.Example); ok {
			body, src = v, "example"
		}
	}
	if src == "" {
		if name, v, ok := firstExample(mt.Examples); ok {
			body, src = v, "example "+name
		}
	}
	if src == "" && mt.Schema != nil && mt.Schema.Schema() != nil {
		if v, ok := schemaExample(mt.Schema.Schema()); ok {
			body, src = v, "schema example"
		}
	}
	if src == "" {
		body, src = g.value(mt.Schema, "", 0), "generated"
	}
	body = overrideVars(deepCopy(body), g.vars)
	for _, ptr := range sortedKeys(st.Set) {
		var ok bool
		body, ok = setPointer(body, ptr, normalizeJSON(st.Set[ptr]))
		if !ok {
			return nil, "", fmt.Errorf("set %s: the body has no parent for that pointer", ptr)
		}
	}
	return body, src, nil
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// bodySchema returns the schema of a step's request body.
func (s *Step) bodySchema() *base.SchemaProxy {
	if rb := s.Op.Op.RequestBody; rb != nil && rb.Content != nil {
		if mt, ok := rb.Content.Get(s.MediaType); ok && mt != nil {
			return mt.Schema
		}
	}
	return nil
}
