package contract

import (
	"encoding/json"
	"math/big"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"

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
	// readings names, per entry of alts, the reading its schema's
	// x-reconkit-reading extension says the alternatives are (see
	// Reading); "" for a plain oneOf/anyOf.
	readings  []string
	line      int
	schema    *base.Schema // the outermost schema, for examples and bounds
	writeOnly bool
	version   float32   // the OpenAPI version it was folded for
	cands     *altViews // the alternatives of alts[0], built once; nil without alts
}

// altViews holds a view's candidates for its first oneOf/anyOf list.
type altViews struct {
	once  sync.Once
	views []*view
}

type namedProp struct {
	name  string
	proxy *base.SchemaProxy
}

type patternProp struct {
	pattern string
	re      *regexp.Regexp // nil when the pattern is not Go syntax
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
	v := &view{reqLine: map[string]int{}, schema: s, line: schemaLine(s), version: version}
	v.add(s, version, 0)
	if len(v.alts) > 0 {
		v.cands = &altViews{}
	}
	return v
}

// The drift walker needs the view of every schema it passes, on every
// call, and a view depends only on its schema and the OpenAPI version:
// folding it again each time (enum values YAML-decoded anew) was most of
// a walk. So the walker's views are folded once per schema and shared by
// every walk, concurrent ones included. A shared view is never changed:
// with copies before it adds, and candidates are built under a sync.Once.
type viewKey struct {
	proxy   *base.SchemaProxy
	version float32
}

// usedView is a cached view with the spec line where its schema is used.
type usedView struct {
	view *view
	line int
}

// maxCachedViews bounds the cache (walking every response of Stripe's
// 3 MB spec takes under 3,000 views). A process that loads spec after
// spec (a test binary, a fuzzer) would otherwise keep every one alive
// through it; past the bound the cache starts over. Views already handed
// out stay valid, as nothing changes them.
const maxCachedViews = 1 << 14

var (
	viewCache   sync.Map // viewKey → *usedView
	cachedViews atomic.Int64
)

// cachedView returns the view of the schema sp points to, and proxyLine
// of sp, folding it on first use. Callers must not change the view.
func cachedView(sp *base.SchemaProxy, version float32) *usedView {
	k := viewKey{sp, version}
	if u, ok := viewCache.Load(k); ok {
		return u.(*usedView)
	}
	u := &usedView{view: fold(sp.Schema(), version), line: proxyLine(sp)}
	if got, loaded := viewCache.LoadOrStore(k, u); loaded {
		return got.(*usedView)
	}
	if cachedViews.Add(1) > maxCachedViews {
		viewCache.Clear()
		cachedViews.Store(0)
	}
	return u
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
			re, err := regexp.Compile(pat)
			if err != nil {
				re = nil // skipped when matching, as JSON Schema's regex dialect is not Go's
			}
			v.patterns = append(v.patterns, patternProp{pat, re, p})
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
	reading := ""
	if n := s.Extensions.GetOrZero(readingExtension); n != nil {
		reading = n.Value
	}
	if len(s.OneOf) > 0 {
		v.alts = append(v.alts, s.OneOf)
		v.readings = append(v.readings, reading)
	}
	if len(s.AnyOf) > 0 {
		v.alts = append(v.alts, s.AnyOf)
		v.readings = append(v.readings, reading)
	}
	for _, sub := range s.AllOf {
		v.add(sub.Schema(), version, depth+1)
	}
}

// with returns a copy of v with alternative alt folded in and the
// alternative list it came from removed. v is left as it was: it may be
// shared (cachedView).
func (v *view) with(altList int, alt *base.SchemaProxy, version float32) *view {
	c := *v
	c.version = version
	c.cands = nil
	// add only appends to these; clipped, an append cannot write into
	// v's arrays.
	c.types = slices.Clip(v.types)
	c.enum = slices.Clip(v.enum)
	c.props = slices.Clone(v.props)
	c.required = slices.Clone(v.required)
	c.reqLine = make(map[string]int, len(v.reqLine))
	for k, l := range v.reqLine {
		c.reqLine[k] = l
	}
	c.patterns = slices.Clone(v.patterns)
	c.alts = slices.Delete(slices.Clone(v.alts), altList, altList+1)
	c.readings = slices.Delete(slices.Clone(v.readings), altList, altList+1)
	c.add(alt.Schema(), version, 1)
	if s := alt.Schema(); s != nil && v.line == 0 {
		c.line = schemaLine(s)
	}
	if len(c.alts) > 0 {
		c.cands = &altViews{}
	}
	return &c
}

// candidates returns v with each alternative of its first oneOf/anyOf
// list folded in, in list order. They are built once per view, so that a
// cached view's walks do not fold its alternatives again.
func (v *view) candidates() []*view {
	build := func() []*view {
		out := make([]*view, len(v.alts[0]))
		for i, alt := range v.alts[0] {
			out[i] = v.with(0, alt, v.version)
		}
		return out
	}
	if v.cands == nil {
		return build()
	}
	v.cands.once.Do(func() { v.cands.views = build() })
	return v.cands.views
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
	// Most numbers are plain integers; only the others need big.Float
	// (5.0, 1e3, past int64).
	if _, err := strconv.ParseInt(string(n), 10, 64); err == nil {
		return true
	}
	f, ok := new(big.Float).SetString(n.String())
	return ok && f.IsInt()
}

// sameValue compares a decoded JSON value with a YAML-decoded enum value.
func sameValue(data, enum any) bool {
	// The common case, an integer against a YAML integer, without
	// big.Float; anything else (5.0, 1e3, big numbers) takes the long way.
	if d, ok := data.(json.Number); ok {
		if e, ok := enum.(int); ok {
			if i, err := strconv.ParseInt(string(d), 10, 64); err == nil {
				return i == int64(e)
			}
		}
	}
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
