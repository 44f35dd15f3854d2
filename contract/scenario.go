package contract

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/reconkit/reconkit/contract/specnode"
	"gopkg.in/yaml.v3"
)

// ScenarioFile is a file of stateful scenarios (specs/scenario.yaml):
// ordered calls that pass ids from one response to the next, for specs
// whose OpenAPI links do not say enough on their own.
type ScenarioFile struct {
	Scenarios []Scenario `yaml:"scenarios"`
}

// Scenario is one ordered set of steps for one spec. Cleanup steps run
// after every other call of the run, even when earlier steps failed, as
// long as the values they need exist.
type Scenario struct {
	Name        string         `yaml:"name"`
	Spec        string         `yaml:"spec"` // the spec's file name or info.title
	Description string         `yaml:"description"`
	Steps       []ScenarioStep `yaml:"steps"`
	Cleanup     []ScenarioStep `yaml:"cleanup"`
}

// ScenarioStep is one call. Values may hold ${...} expressions:
// ${vars.NAME}, ${run_id}, ${steps.ID.body#/json/pointer},
// ${steps.ID.header.NAME} and ${steps.ID.status}, each optionally
// followed by |query:NAME to take a query parameter out of a URL.
type ScenarioStep struct {
	ID        string `yaml:"id"`
	Operation string `yaml:"operation"`
	// Example picks a named example of the request body; the first one
	// in the spec otherwise.
	Example string `yaml:"example"`
	// Params sets path, query and header parameters by name. A path
	// parameter left out comes from an OpenAPI link of an earlier step.
	Params map[string]any `yaml:"params"`
	// Body replaces the example body entirely.
	Body any `yaml:"body"`
	// Set overrides members of the body by JSON pointer.
	Set map[string]any `yaml:"set"`
	// Expect lists the statuses that count as success; any 2xx if empty.
	Expect []int `yaml:"expect"`
	line   int
}

// UnmarshalYAML keeps the step's line for error messages.
func (s *ScenarioStep) UnmarshalYAML(n *yaml.Node) error {
	if err := knownKeys(n, "id", "operation", "example", "params", "body", "set", "expect"); err != nil {
		return err
	}
	type plain ScenarioStep
	var p plain
	if err := n.Decode(&p); err != nil {
		return err
	}
	*s = ScenarioStep(p)
	s.line = n.Line
	return nil
}

// ParseScenarios reads a scenario file. Unknown keys are errors.
func ParseScenarios(data []byte) (*ScenarioFile, error) {
	var f ScenarioFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("parse scenarios: %w", err)
	}
	// Default ids are the operationId, numbered from the second use on,
	// unique across the file so any scenario's steps can be named.
	used := map[string]bool{}
	for i := range f.Scenarios {
		for _, st := range append(slices.Clone(f.Scenarios[i].Steps), f.Scenarios[i].Cleanup...) {
			used[st.ID] = st.ID != ""
		}
	}
	for i := range f.Scenarios {
		sc := &f.Scenarios[i]
		for _, list := range [][]ScenarioStep{sc.Steps, sc.Cleanup} {
			for j := range list {
				st := &list[j]
				st.Body = specnode.StringKeys(st.Body)
				specnode.StringKeys(st.Params)
				specnode.StringKeys(st.Set)
				if st.ID == "" && st.Operation != "" {
					st.ID = st.Operation
					for n := 2; used[st.ID]; n++ {
						st.ID = fmt.Sprintf("%s_%d", st.Operation, n)
					}
					used[st.ID] = true
				}
			}
		}
	}
	return &f, nil
}

// For returns the scenarios written for spec, matched by file name or
// title.
func (f *ScenarioFile) For(spec *Spec) []Scenario {
	if f == nil {
		return nil
	}
	var out []Scenario
	for _, sc := range f.Scenarios {
		if sc.Spec == filepath.Base(spec.Name) || (sc.Spec != "" && sc.Spec == spec.Title) {
			out = append(out, sc)
		}
	}
	return out
}

// validateScenario checks a scenario against its spec: every operation
// exists, step ids are unique, and every ${steps.ID...} names an earlier
// step.
func validateScenario(sc Scenario, spec *Spec, ids map[string]bool) error {
	var errs []error
	steps := append(slices.Clone(sc.Steps), sc.Cleanup...)
	for i := range steps {
		st := &steps[i]
		where := fmt.Sprintf("scenario %s, step %d (line %d)", sc.Name, i+1, st.line)
		if st.Operation == "" {
			errs = append(errs, fmt.Errorf("%s: no operation", where))
			continue
		}
		if spec.Operation(st.Operation) == nil {
			errs = append(errs, fmt.Errorf("%s: operation %q is not in %s", where, st.Operation, spec.Name))
		}
		if ids[st.ID] {
			errs = append(errs, fmt.Errorf("%s: step id %q is used twice", where, st.ID))
		}
		for _, ref := range stepRefs(st.Params, st.Body, st.Set) {
			if !ids[ref] {
				errs = append(errs, fmt.Errorf("%s: ${steps.%s...} does not name an earlier step", where, ref))
			}
		}
		for p := range st.Set {
			if !strings.HasPrefix(p, "/") {
				errs = append(errs, fmt.Errorf("%s: set key %q is not a JSON pointer", where, p))
			}
		}
		ids[st.ID] = true
	}
	return errors.Join(errs...)
}

// stepRefs lists the step ids named by ${steps.ID...} in values.
func stepRefs(vals ...any) []string {
	var out []string
	var walk func(x any)
	walk = func(x any) {
		switch t := x.(type) {
		case string:
			for _, m := range exprRE.FindAllStringSubmatch(t, -1) {
				if rest, ok := strings.CutPrefix(strings.TrimSpace(m[1]), "steps."); ok {
					id, _, _ := strings.Cut(rest, ".")
					out = append(out, id)
				}
			}
		case map[string]any:
			for _, v := range t {
				walk(v)
			}
		case []any:
			for _, v := range t {
				walk(v)
			}
		}
	}
	for _, v := range vals {
		walk(v)
	}
	return out
}
