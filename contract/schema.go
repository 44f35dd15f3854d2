package contract

import (
	"encoding/json"
	"math/big"
	"slices"

	"github.com/pb33f/libopenapi/datamodel/high/base"
)

// view is a schema with its allOf branches folded in: what the drift
// walker and the body generator need, without $ref or allOf in the way.
// oneOf and anyOf stay as alternatives, chosen against the data.
type view struct {
	types    []string // allowed JSON types; empty means any
	nullable bool     // OpenAPI 3.0 nullable, or an enum or type that lists null
	// props are the declared properties in document order; hasProps is
	// set when any schema in the fold declares properties.
	props     []namedProp
	hasProps  bool
	required  []string
	reqLine   map[string]int // where each required name is listed
	patterns  []patternProp
	addl      *base.SchemaProxy // additionalProperties as a schema
	addlFalse bool              // additionalProperties: false
	items     *base.SchemaProxy
	enum      []any
	hasEnum   bool
	format    string
	alts      [][]*base.SchemaProxy // each entry is one oneOf/anyOf list
	line      int
	schema    *base.Schema // the outermost schema, for examples and bounds
	writeOnly bool
}

type namedProp struct {
	name  string
	proxy *base.SchemaProxy
}

type patternProp struct {
	pattern string
	proxy   *base.SchemaProxy
}

// maxFoldDepth bounds allOf nesting; deeper (or circular) allOf chains
// are cut off rather than followed forever.
const maxFoldDepth = 32

// schemaLine is the spec line of a schema's own node.
func schemaLine(s *base.Schema) int {
	if s == nil {
		return 0
	}
	if low := s.GoLow(); low != nil && low.RootNode != nil {
		return low.RootNode.Line
	}
	return 0
}

// proxyLine is the spec line where a schema is used: its key (a property
// name) when it has one, else the schema itself.
func proxyLine(sp *base.SchemaProxy) int {
	if sp == nil {
		return 0
	}
	if k := sp.GetSchemaKeyNode(); k != nil && k.Line > 0 {
		return k.Line
	}
	if v := sp.GetValueNode(); v != nil && v.Line > 0 {
		return v.Line
	}
	return schemaLine(sp.Schema())
}

// fold builds the view of s. version 3.0 honours nullable.
func fold(s *base.Schema, version float32) *view {
	v := &view{reqLine: map[string]int{}, schema: s, line: schemaLine(s)}
	v.add(s, version, 0)
	return v
}

func (v *view) add(s *base.Schema, version float32, depth int) {
	if s == nil || depth > maxFoldDepth {
		return
	}
	if len(v.types) == 0 && len(s.Type) > 0 {
		for _, t := range s.Type {
			if t == "null" {
				v.nullable = true
				continue
			}
			v.types = append(v.types, t)
		}
		if len(v.types) == 0 { // type: null alone
			v.types = []string{"null"}
		}
	}
	if s.Nullable != nil && *s.Nullable && version < 3.1 {
		v.nullable = true
	}
	if s.WriteOnly != nil && *s.WriteOnly {
		v.writeOnly = true
	}
	if s.Properties != nil && s.Properties.Len() > 0 {
		v.hasProps = true
		for name, p := range s.Properties.FromOldest() {
			if !slices.ContainsFunc(v.props, func(n namedProp) bool { return n.name == name }) {
				v.props = append(v.props, namedProp{name, p})
			}
		}
	}
	if len(s.Required) > 0 {
		line := schemaLine(s)
		if low := s.GoLow(); low != nil && low.Required.KeyNode != nil {
			line = low.Required.KeyNode.Line
		}
		for _, r := range s.Required {
			if !slices.Contains(v.required, r) {
				v.required = append(v.required, r)
				v.reqLine[r] = line
			}
		}
	}
	if s.PatternProperties != nil {
		for pat, p := range s.PatternProperties.FromOldest() {
			v.patterns = append(v.patterns, patternProp{pat, p})
		}
	}
	if ap := s.AdditionalProperties; ap != nil {
		switch {
		case ap.IsA() && ap.A != nil:
			if v.addl == nil {
				v.addl = ap.A
			}
		case ap.IsB() && !ap.B:
			v.addlFalse = true
		}
	}
	if v.items == nil && s.Items != nil && s.Items.IsA() {
		v.items = s.Items.A
	}
	if !v.hasEnum && len(s.Enum) > 0 {
		v.hasEnum = true
		for _, n := range s.Enum {
			var x any
			if err := n.Decode(&x); err == nil {
				v.enum = append(v.enum, x)
				if x == nil {
					v.nullable = true
				}
			}
		}
	}
	if !v.hasEnum && s.Const != nil {
		var x any
		if err := s.Const.Decode(&x); err == nil {
			v.hasEnum = true
			v.enum = []any{x}
		}
	}
	if v.format == "" {
		v.format = s.Format
	}
	if len(s.OneOf) > 0 {
		v.alts = append(v.alts, s.OneOf)
	}
	if len(s.AnyOf) > 0 {
		v.alts = append(v.alts, s.AnyOf)
	}
	for _, sub := range s.AllOf {
		v.add(sub.Schema(), version, depth+1)
	}
}

// with returns a copy of v with alternative alt folded in and the
// alternative list it came from removed.
func (v *view) with(altList int, alt *base.SchemaProxy, version float32) *view {
	c := *v
	c.props = slices.Clone(v.props)
	c.required = slices.Clone(v.required)
	c.reqLine = make(map[string]int, len(v.reqLine))
	for k, l := range v.reqLine {
		c.reqLine[k] = l
	}
	c.patterns = slices.Clone(v.patterns)
	c.alts = slices.Delete(slices.Clone(v.alts), altList, altList+1)
	c.add(alt.Schema(), version, 1)
	if s := alt.Schema(); s != nil && v.line == 0 {
		c.line = schemaLine(s)
	}
	return &c
}

// prop returns the declared property called name.
func (v *view) prop(name string) *base.SchemaProxy {
	for _, p := range v.props {
		if p.name == name {
			return p.proxy
		}
	}
	return nil
}

// allows reports whether the view admits JSON type t.
func (v *view) allows(t string) bool {
	if len(v.types) == 0 {
		return true
	}
	if slices.Contains(v.types, t) {
		return true
	}
	return t == "integer" && slices.Contains(v.types, "number")
}

// jsonType names the JSON type of a value decoded with UseNumber.
// Integral numbers are "integer", as JSON Schema counts 5.0 as one.
func jsonType(x any) string {
	switch t := x.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case json.Number:
		if isIntegral(t) {
			return "integer"
		}
		return "number"
	case float64, float32:
		if f, ok := t.(float64); ok && f == float64(int64(f)) {
			return "integer"
		}
		return "number"
	case int, int64, int32, uint64:
		return "integer"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	}
	return "unknown"
}

func isIntegral(n json.Number) bool {
	f, ok := new(big.Float).SetString(n.String())
	return ok && f.IsInt()
}

// sameValue compares a decoded JSON value with a YAML-decoded enum value.
func sameValue(data, enum any) bool {
	dn, dNum := numberOf(data)
	en, eNum := numberOf(enum)
	if dNum || eNum {
		return dNum && eNum && dn.Cmp(en) == 0
	}
	switch d := data.(type) {
	case nil:
		return enum == nil
	case string:
		e, ok := enum.(string)
		return ok && d == e
	case bool:
		e, ok := enum.(bool)
		return ok && d == e
	}
	a, err1 := json.Marshal(data)
	b, err2 := json.Marshal(enum)
	return err1 == nil && err2 == nil && string(a) == string(b)
}

func numberOf(x any) (*big.Float, bool) {
	var s string
	switch t := x.(type) {
	case json.Number:
		s = t.String()
	case int:
		return new(big.Float).SetInt64(int64(t)), true
	case int64:
		return new(big.Float).SetInt64(t), true
	case uint64:
		return new(big.Float).SetUint64(t), true
	case float64:
		return big.NewFloat(t), true
	default:
		return nil, false
	}
	f, ok := new(big.Float).SetString(s)
	return f, ok
}
