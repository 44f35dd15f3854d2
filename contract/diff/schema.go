package diff

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/reconkit/reconkit/contract/pointer"
	"github.com/reconkit/reconkit/contract/specnode"
	"gopkg.in/yaml.v3"
)

// annotations are schema keywords that describe without constraining.
var annotations = map[string]bool{
	"description": true, "title": true, "example": true, "examples": true, "$comment": true,
	"$id": true, "$anchor": true, "$dynamicAnchor": true, "$schema": true, "externalDocs": true,
	"xml": true, "$defs": true, "definitions": true, "$vocabulary": true, "deprecated": true,
}

// schemaTarget follows a schema's $refs to the schema they name; keywords
// beside a $ref (allowed in 3.1) are not merged in.
func (d *rawDoc) schemaTarget(n *yaml.Node) *yaml.Node {
	return d.deref(n)
}

// schema compares two schemas at s. A $ref to the same component on both
// sides stops here: the component is compared once, at its source. Any
// other pair of $refs, or a $ref against an inline schema, is compared by
// what it points at, so an inline schema replaced by a reference to an
// identical component is no change.
func (w *walker) schema(s site, o, n *yaml.Node) {
	o, n = specnode.Alias(o), specnode.Alias(n)
	if o == nil || n == nil {
		return
	}
	ro, rn := refOf(o), refOf(n)
	if ro != "" && ro == rn {
		if _, ok := componentKey(ro); ok {
			return
		}
	}
	ot, nt := w.o.schemaTarget(o), w.n.schemaTarget(n)
	if ot == nil || nt == nil || sameNode(ot, nt) {
		return
	}
	key := [2]*yaml.Node{ot, nt}
	if w.comparing[key] {
		return
	}
	w.comparing[key] = true
	defer delete(w.comparing, key)
	w.schemaBody(s, ot, nt)
}

func isBoolSchema(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && (n.Value == "true" || n.Value == "false")
}

// schemaBody compares two schemas whose $refs are followed.
func (w *walker) schemaBody(s site, o, n *yaml.Node) {
	child := s
	child.param = false
	// Boolean schemas (3.1): true accepts anything, false nothing.
	if isBoolSchema(o) || isBoolSchema(n) {
		open := func(x *yaml.Node) bool { return !isBoolSchema(x) || x.Value == "true" }
		v := nodes(o, n)
		switch {
		case open(o) && isBoolSchema(n) && n.Value == "false", isBoolSchema(o) && o.Value == "true" && !isBoolSchema(n):
			w.emit(s, RuleConstraintNarrowed, s.ptr, "", fmt.Sprintf("schema changed from %s to %s: fewer values are valid", short(text(o)), short(text(n))), v)
		default:
			w.emit(s, RuleConstraintWidened, s.ptr, "", fmt.Sprintf("schema changed from %s to %s: more values are valid", short(text(o)), short(text(n))), v)
		}
		return
	}
	// A single allOf member with nothing but annotations beside it is that
	// member (the usual way to put a description or nullable on a $ref).
	bothAllOf := specnode.Get(o, "allOf") != nil && specnode.Get(n, "allOf") != nil
	if m, nullable, ok := soleAllOf(n); ok && !bothAllOf {
		if nullable && !w.nullable(w.o, o) {
			w.emit(s, RuleNullableAdded, s.ptr+"/nullable", "", "became nullable (nullable allOf wrapper)", keys(o, n, "nullable"))
		}
		w.schema(s, o, m)
		return
	}
	if m, nullable, ok := soleAllOf(o); ok && !bothAllOf {
		if nullable && !w.nullable(w.n, n) {
			w.emit(s, RuleNullableRemoved, s.ptr+"/nullable", "", "is no longer nullable (nullable allOf wrapper removed)", keys(o, n, "nullable"))
		}
		w.schema(s, m, n)
		return
	}
	// A parameter that took one value and now takes an array still
	// accepts the old wire form: a single value is an array of one.
	if s.param {
		ot, nt := typeSet(o), typeSet(n)
		if len(ot) == 1 && ot[0] != "array" && slices.Equal(nt, []string{"array"}) && specnode.Get(n, "items") != nil {
			w.emit(s, RuleConstraintWidened, s.ptr+"/type", "", fmt.Sprintf("type changed from %s to an array of it: the old single value is still accepted", ot[0]), keys(o, n, "type"))
			w.schema(child.at("items"), o, specnode.Get(n, "items"))
			return
		}
		if slices.Equal(ot, []string{"array"}) && len(nt) == 1 && nt[0] != "array" && specnode.Get(o, "items") != nil {
			w.emit(s, RuleConstraintNarrowed, s.ptr+"/type", "", fmt.Sprintf("type changed from an array to %s: only one value is accepted", nt[0]), keys(o, n, "type"))
			w.schema(child, specnode.Get(o, "items"), n)
			return
		}
	}
	// Enum values moved into oneOf/anyOf branches (or out of them) are
	// compared as the sets of values they allow.
	if ov, ok1 := w.valueSet(w.o, o, 0); ok1 {
		if nv, ok2 := w.valueSet(w.n, n, 0); ok2 && (composedValues(o) || composedValues(n)) {
			w.valueDiff(s, RuleEnumValueAdded, ov, nv, o, n)
			return
		}
	}
	handled := map[string]bool{}
	w.composition(s, o, n, handled)
	for _, k := range unionKeys(o, n) {
		if handled[k] {
			continue
		}
		ov, nv := specnode.Get(o, k), specnode.Get(n, k)
		if sameNode(ov, nv) {
			continue
		}
		ptr := s.ptr + "/" + pointer.Escape(k)
		v := keys(o, n, k)
		switch k {
		case "type":
			w.typeChange(s, o, n)
		case "nullable":
			switch {
			case isTrue(nv) && !isTrue(ov):
				w.emit(s, RuleNullableAdded, ptr, "", "became nullable", v)
			case isTrue(ov) && !isTrue(nv):
				w.emit(s, RuleNullableRemoved, ptr, "", "is no longer nullable", v)
			}
		case "format":
			w.format(s, ov, nv, v)
		case "multipleOf":
			w.multipleOf(s, ov, nv, v)
		case "pattern", "const":
			w.valueConstraint(s, k, ov, nv, v)
		case "enum":
			w.enum(s, k, ov, nv, o, n)
		case "x-extensible-enum":
			w.enum(s, k, ov, nv, o, n)
		case "maxLength", "maxItems", "maxProperties", "maximum", "maxContains":
			w.bound(s, k, ov, nv, v, true)
		case "minLength", "minItems", "minProperties", "minimum", "minContains":
			w.bound(s, k, ov, nv, v, false)
		case "exclusiveMaximum", "exclusiveMinimum":
			if (ov == nil || isBool(ov.Value)) && (nv == nil || isBool(nv.Value)) {
				w.flag(s, k, ov, nv, v)
			} else if ov != nil && nv != nil && (isBool(ov.Value) || isBool(nv.Value)) {
				w.emit(s, RuleConstraintChanged, ptr, "", describe(k, ov, nv), v)
			} else {
				w.bound(s, k, ov, nv, v, k == "exclusiveMaximum")
			}
		case "uniqueItems":
			w.flag(s, k, ov, nv, v)
		case "required":
			w.required(s, o, n)
		case "properties":
			w.properties(child, o, n)
		case "additionalProperties", "unevaluatedProperties", "unevaluatedItems":
			w.additional(child, k, o, n)
		case "items", "contains", "propertyNames", "contentSchema":
			w.subschema(child, k, ov, nv, v)
		case "then", "else":
			// added or removed with their if, they are part of that change
			if (ov == nil || nv == nil) && (specnode.Get(o, "if") == nil) != (specnode.Get(n, "if") == nil) {
				continue
			}
			w.subschema(child, k, ov, nv, v)
		case "if", "not":
			if ov == nil || nv == nil {
				w.subschema(child, k, ov, nv, v)
				continue
			}
			w.emit(s, RuleConstraintChanged, ptr, "", k+" schema changed: which values are valid cannot be told narrower or wider", v)
		case "prefixItems":
			w.prefixItems(child, ov, nv)
		case "dependentRequired":
			w.dependentRequired(s, ov, nv)
		case "dependentSchemas", "patternProperties":
			w.schemaMap(child, k, ov, nv)
		case "discriminator":
			w.discriminator(s, ov, nv)
		case "readOnly", "writeOnly":
			w.access(s, k, ov, nv, v)
		case "default":
			w.emit(s, RuleDefaultChanged, ptr, "", describe("default", ov, nv), v)
		case "contentMediaType", "contentEncoding":
			// Annotations to a validator, but they say how the string is to
			// be read: base64 added or gone changes the value clients see.
			w.emit(s, RuleConstraintChanged, ptr, "", describe(k, ov, nv), v)
		case "deprecated":
			w.deprecated(s, ptr, "schema", o, n)
		case "$ref":
			// followed above; a sibling-only difference is in the target
		default:
			if annotations[k] || strings.HasPrefix(k, "x-") {
				w.emit(s, RuleMetadataChanged, ptr, "", describe(k, ov, nv), v)
				continue
			}
			w.emit(s, RuleSchemaChanged, ptr, "", describe(k, ov, nv), v)
		}
	}
}

// soleAllOf returns the one member of an allOf that has nothing beside it
// but annotations (and nullable, which it also reports).
func soleAllOf(n *yaml.Node) (*yaml.Node, bool, bool) {
	all := items(specnode.Get(n, "allOf"))
	if len(all) != 1 {
		return nil, false, false
	}
	ks, _ := pairs(n)
	for _, k := range ks {
		if k.Value != "allOf" && k.Value != "nullable" && !annotations[k.Value] && !strings.HasPrefix(k.Value, "x-") {
			return nil, false, false
		}
	}
	return all[0], isTrue(specnode.Get(n, "nullable")), true
}

// nullable reports whether a schema admits null.
func (w *walker) nullable(d *rawDoc, n *yaml.Node) bool {
	n = d.schemaTarget(n)
	return isTrue(specnode.Get(n, "nullable")) || slices.Contains(typeSet(n), "null")
}

// options returns a schema's oneOf or anyOf list and which keyword it is.
func options(n *yaml.Node) (string, []*yaml.Node) {
	for _, k := range []string{"oneOf", "anyOf"} {
		if l := items(specnode.Get(n, k)); len(l) > 0 {
			return k, l
		}
	}
	return "", nil
}

// onlyAnnotated reports whether a schema has nothing beside its
// composition keywords but annotations, nullable and a discriminator.
func onlyAnnotated(n *yaml.Node, except ...string) bool {
	ks, _ := pairs(n)
	for _, k := range ks {
		if slices.Contains(except, k.Value) || annotations[k.Value] || strings.HasPrefix(k.Value, "x-") {
			continue
		}
		switch k.Value {
		case "nullable", "discriminator":
			continue
		}
		return false
	}
	return true
}

// composition compares allOf, oneOf and anyOf, marking what it handled.
func (w *walker) composition(s site, o, n *yaml.Node, handled map[string]bool) {
	child := s
	child.param = false
	ok, ol := options(o)
	nk, nl := options(n)
	switch {
	case ok == "" && nk == "":
	case ok != "" && nk != "":
		handled["oneOf"], handled["anyOf"] = true, true
		if ok != nk {
			rule := RuleConstraintWidened
			if nk == "oneOf" {
				rule = RuleConstraintNarrowed
			}
			w.emit(s, rule, s.ptr+"/"+nk, "", fmt.Sprintf("%s changed to %s", ok, nk), vals{oldLine: keyLine(o, ok), newLine: keyLine(n, nk)})
		}
		w.compareOptions(child, nk, ol, nl, RuleOptionAdded, RuleOptionRemoved)
	case nk != "" && onlyAnnotated(n, nk):
		// Wrapped: the old schema is now one of the alternatives
		// (`oneOf: [{$ref: X}, {type: 'null'}]`).
		handled["oneOf"], handled["anyOf"] = true, true
		w.wrapped(s, o, n, nk, nl, false)
		for _, k := range unionKeys(o, n) {
			if k != "nullable" && k != "discriminator" && !annotations[k] {
				handled[k] = true
			}
		}
	case ok != "" && onlyAnnotated(o, ok):
		handled["oneOf"], handled["anyOf"] = true, true
		w.wrapped(s, o, n, ok, ol, true)
		for _, k := range unionKeys(o, n) {
			if k != "nullable" && k != "discriminator" && !annotations[k] {
				handled[k] = true
			}
		}
	case nk != "":
		handled[nk] = true
		w.emit(s, RuleConstraintNarrowed, s.ptr+"/"+nk, "", nk+" added beside the schema's own keywords: values must also match one of its alternatives", vals{newLine: keyLine(n, nk)})
	default:
		handled[ok] = true
		w.emit(s, RuleConstraintWidened, s.ptr+"/"+ok, "", ok+" removed: values no longer have to match one of its alternatives", vals{oldLine: keyLine(o, ok)})
	}
	oa, na := items(specnode.Get(o, "allOf")), items(specnode.Get(n, "allOf"))
	if len(oa) > 0 || len(na) > 0 {
		handled["allOf"] = true
		// Each allOf member is one more condition: one added narrows, one
		// removed widens.
		w.compareOptions(child, "allOf", oa, na, RuleConstraintNarrowed, RuleConstraintWidened)
	}
}

// wrapped compares a plain schema with one that became (or stopped being)
// one alternative among others.
func (w *walker) wrapped(s site, o, n *yaml.Node, key string, list []*yaml.Node, unwrap bool) {
	if unwrap {
		w.compareOptions(s, key, list, []*yaml.Node{n}, RuleOptionAdded, RuleOptionRemoved)
		return
	}
	w.compareOptions(s, key, []*yaml.Node{o}, list, RuleOptionAdded, RuleOptionRemoved)
}

// isNullSchema reports whether a schema admits only null.
func (d *rawDoc) isNullSchema(n *yaml.Node) bool {
	n = d.schemaTarget(n)
	if ts := typeSet(n); len(ts) == 1 && ts[0] == "null" {
		return true
	}
	if e := items(specnode.Get(n, "enum")); len(e) == 1 && e[0].ShortTag() == "!!null" {
		return true
	}
	return false
}

func refLabel(n *yaml.Node) string {
	if r := refOf(n); r != "" {
		return refName(r)
	}
	return short(text(n))
}

// compareOptions pairs the members of two oneOf/anyOf/allOf lists: by
// $ref, then by identical content, then by type, then the one left on each
// side. Unpaired members are added or removed (a null alternative is
// nullability); pairs are compared.
func (w *walker) compareOptions(s site, key string, ol, nl []*yaml.Node, added, removed string) {
	pairOf := make([]int, len(ol))
	taken := make([]bool, len(nl))
	for i := range pairOf {
		pairOf[i] = -1
	}
	match := func(eq func(a, b *yaml.Node) bool) {
		for i, a := range ol {
			if pairOf[i] >= 0 {
				continue
			}
			for j, b := range nl {
				if !taken[j] && eq(a, b) {
					pairOf[i], taken[j] = j, true
					break
				}
			}
		}
	}
	match(func(a, b *yaml.Node) bool { return refOf(a) != "" && refOf(a) == refOf(b) })
	match(func(a, b *yaml.Node) bool { return sameNode(w.o.schemaTarget(a), w.n.schemaTarget(b)) })
	match(func(a, b *yaml.Node) bool {
		ta, tb := typeSet(w.o.schemaTarget(a)), typeSet(w.n.schemaTarget(b))
		return len(ta) > 0 && slices.Equal(ta, tb) && !slices.Equal(ta, []string{"null"}) &&
			countType(w.o, ol, ta) == 1 && countType(w.n, nl, tb) == 1
	})
	var lo, ln []int
	for i := range ol {
		if pairOf[i] < 0 && !w.o.isNullSchema(ol[i]) {
			lo = append(lo, i)
		}
	}
	for j := range nl {
		if !taken[j] && !w.n.isNullSchema(nl[j]) {
			ln = append(ln, j)
		}
	}
	if len(lo) == 1 && len(ln) == 1 {
		pairOf[lo[0]], taken[ln[0]] = ln[0], true
	}
	for i, a := range ol {
		j := pairOf[i]
		if j >= 0 {
			w.schema(s.at(key, strconv.Itoa(j)), a, nl[j])
			continue
		}
		v := vals{old: refLabel(a), oldLine: line(a)}
		if key != "allOf" && w.o.isNullSchema(a) {
			w.emit(s, RuleNullableRemoved, s.ptr+"/"+key, "null", fmt.Sprintf("is no longer nullable (null alternative removed from %s)", key), v)
			continue
		}
		w.emit(s, removed, s.ptr+"/"+key+"/"+strconv.Itoa(i), "-"+text(a), fmt.Sprintf("%s member removed: %s", key, refLabel(a)), v)
	}
	for j, b := range nl {
		if taken[j] {
			continue
		}
		v := vals{new: refLabel(b), newLine: line(b)}
		if key != "allOf" && w.n.isNullSchema(b) {
			w.emit(s, RuleNullableAdded, s.ptr+"/"+key, "null", fmt.Sprintf("became nullable (null alternative added to %s)", key), v)
			continue
		}
		w.emit(s, added, s.ptr+"/"+key+"/"+strconv.Itoa(j), "+"+text(b), fmt.Sprintf("%s member added: %s", key, refLabel(b)), v)
	}
}

func countType(d *rawDoc, l []*yaml.Node, t []string) int {
	c := 0
	for _, x := range l {
		if slices.Equal(typeSet(d.schemaTarget(x)), t) {
			c++
		}
	}
	return c
}

// valueSet returns the values a schema allows when it lists them: enum,
// const, or oneOf/anyOf alternatives that each list theirs (a null
// alternative allows null).
func (w *walker) valueSet(d *rawDoc, n *yaml.Node, depth int) ([]*yaml.Node, bool) {
	n = d.schemaTarget(n)
	if n == nil || depth > 8 {
		return nil, false
	}
	if e := specnode.Get(n, "enum"); e != nil {
		return items(e), true
	}
	if c := specnode.Get(n, "const"); c != nil {
		return []*yaml.Node{c}, true
	}
	if slices.Equal(typeSet(n), []string{"null"}) {
		return []*yaml.Node{{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null", Line: n.Line}}, true
	}
	_, l := options(n)
	if len(l) == 0 {
		return nil, false
	}
	var out []*yaml.Node
	for _, b := range l {
		vs, ok := w.valueSet(d, b, depth+1)
		if !ok {
			return nil, false
		}
		out = append(out, vs...)
	}
	return out, true
}

// composedValues reports whether a schema lists its values through
// alternatives rather than its own enum or const.
func composedValues(n *yaml.Node) bool {
	_, l := options(n)
	return len(l) > 0 && specnode.Get(n, "enum") == nil && specnode.Get(n, "const") == nil
}

func containsNode(l []*yaml.Node, x *yaml.Node) bool {
	for _, y := range l {
		if sameNode(x, y) {
			return true
		}
	}
	return false
}

// valueDiff reports values removed from and added to a list of allowed
// values.
func (w *walker) valueDiff(s site, addedRule string, ov, nv []*yaml.Node, o, n *yaml.Node) {
	ptr := s.ptr + "/enum"
	if specnode.Get(n, "enum") == nil && specnode.Get(o, "enum") == nil {
		if k, _ := options(n); k != "" {
			ptr = s.ptr + "/" + k
		}
	}
	for _, x := range ov {
		if !containsNode(nv, x) {
			w.emit(s, RuleEnumValueRemoved, ptr, x.Value, fmt.Sprintf("enum value %q removed", x.Value), vals{old: x.Value, oldLine: x.Line})
		}
	}
	for _, x := range nv {
		if !containsNode(ov, x) {
			w.emit(s, addedRule, ptr, x.Value, fmt.Sprintf("enum value %q added", x.Value), vals{new: x.Value, newLine: x.Line})
		}
	}
}

// enum compares enum (or x-extensible-enum) lists. An enum added narrows
// and one removed widens; x-extensible-enum is documentation that the list
// will grow, so its being added or removed changes no valid value.
func (w *walker) enum(s site, k string, ov, nv, o, n *yaml.Node) {
	ptr := s.ptr + "/" + k
	v := keys(o, n, k)
	ext := k == "x-extensible-enum"
	switch {
	case ov == nil && ext, nv == nil && ext:
		w.emit(s, RuleMetadataChanged, ptr, "", describe(k, ov, nv), v)
	case ov == nil:
		w.emit(s, RuleConstraintNarrowed, ptr, "", "enum added: only "+short(text(nv))+" are valid", v)
	case nv == nil:
		w.emit(s, RuleConstraintWidened, ptr, "", "enum removed (was "+short(text(ov))+")", v)
	default:
		added := RuleEnumValueAdded
		if ext {
			added = RuleExtensibleEnumAdded
		}
		for _, x := range items(ov) {
			if !containsNode(items(nv), x) {
				w.emit(s, RuleEnumValueRemoved, ptr, x.Value, fmt.Sprintf("%s value %q removed", k, x.Value), vals{old: x.Value, oldLine: x.Line})
			}
		}
		for _, x := range items(nv) {
			if !containsNode(items(ov), x) {
				w.emit(s, added, ptr, x.Value, fmt.Sprintf("%s value %q added", k, x.Value), vals{new: x.Value, newLine: x.Line})
			}
		}
	}
}

// access returns "readOnly", "writeOnly" or "" for a property's schema.
func (d *rawDoc) access(n *yaml.Node) string {
	for _, x := range []*yaml.Node{specnode.Alias(n), d.schemaTarget(n)} {
		if isTrue(specnode.Get(x, "readOnly")) {
			return "readOnly"
		}
		if isTrue(specnode.Get(x, "writeOnly")) {
			return "writeOnly"
		}
	}
	return ""
}

// onlyFor is the one direction a property with this access binds.
func onlyFor(acc string) Direction {
	switch acc {
	case "readOnly":
		return Response
	case "writeOnly":
		return Request
	}
	return ""
}

func (w *walker) access(s site, k string, ov, nv *yaml.Node, v vals) {
	ptr := s.ptr + "/" + k
	switch {
	case isTrue(nv) && !isTrue(ov):
		rule := RuleReadOnlyAdded
		msg := "became readOnly: clients may no longer send it"
		if k == "writeOnly" {
			rule, msg = RuleWriteOnlyAdded, "became writeOnly: responses no longer carry it"
		}
		w.emit(s, rule, ptr, "", msg, v)
	case isTrue(ov) && !isTrue(nv):
		rule, msg := RuleReadOnlyRemoved, "is no longer readOnly"
		if k == "writeOnly" {
			rule, msg = RuleWriteOnlyRemoved, "is no longer writeOnly"
		}
		w.emit(s, rule, ptr, "", msg, v)
	}
}

func stringSet(n *yaml.Node) []string {
	var out []string
	for _, x := range items(n) {
		out = append(out, x.Value)
	}
	return out
}

func itemLine(list *yaml.Node, v string) int {
	for _, x := range items(list) {
		if x.Value == v {
			return x.Line
		}
	}
	return 0
}

// required compares required lists. A readOnly property binds only
// responses and a writeOnly one only requests.
func (w *walker) required(s site, o, n *yaml.Node) {
	or, nr := specnode.Get(o, "required"), specnode.Get(n, "required")
	os, ns := stringSet(or), stringSet(nr)
	for _, name := range ns {
		if slices.Contains(os, name) {
			continue
		}
		ps := s
		ps.only = restrict(s.only, onlyFor(w.n.access(specnode.Get(specnode.Get(n, "properties"), name))))
		w.emit(ps, RuleRequiredAdded, s.ptr+"/properties/"+pointer.Escape(name), name,
			fmt.Sprintf("property %q became required%s", name, accessNote(ps.only, s.only)), vals{new: name, newLine: itemLine(nr, name)})
	}
	for _, name := range os {
		if slices.Contains(ns, name) {
			continue
		}
		ps := s
		ps.only = restrict(s.only, onlyFor(w.o.access(specnode.Get(specnode.Get(o, "properties"), name))))
		w.emit(ps, RuleRequiredRemoved, s.ptr+"/properties/"+pointer.Escape(name), name,
			fmt.Sprintf("property %q is no longer required%s", name, accessNote(ps.only, s.only)), vals{old: name, oldLine: itemLine(or, name)})
	}
}

func accessNote(only, outer Direction) string {
	switch {
	case only == outer:
		return ""
	case only == Response:
		return " (readOnly: binds responses only)"
	case only == Request:
		return " (writeOnly: binds requests only)"
	}
	return ""
}

// restrict narrows the directions a change binds; a readOnly property
// inside a writeOnly one binds nothing.
func restrict(outer, inner Direction) Direction {
	switch {
	case inner == "":
		return outer
	case outer == "" || outer == inner:
		return inner
	}
	return noDirection
}

// noDirection marks a change that binds neither direction.
const noDirection Direction = "none"

// properties compares the properties of two object schemas, pairing a
// removed and an added property with identical schemas as a rename.
func (w *walker) properties(s site, o, n *yaml.Node) {
	op, np := specnode.Get(o, "properties"), specnode.Get(n, "properties")
	var removed, added []string
	for _, name := range unionKeys(op, np) {
		a, b := specnode.Get(op, name), specnode.Get(np, name)
		switch {
		case a == nil:
			added = append(added, name)
		case b == nil:
			removed = append(removed, name)
		case !sameNode(a, b):
			ps := s.at("properties", name)
			oa, na := w.o.access(a), w.n.access(b)
			if oa == na {
				ps.only = restrict(s.only, onlyFor(oa))
			}
			if oa == "readOnly" && na != "readOnly" && slices.Contains(stringSet(specnode.Get(n, "required")), name) {
				rs := s
				rs.only = restrict(s.only, Request)
				w.emit(rs, RuleRequiredAdded, ps.ptr, name, fmt.Sprintf("property %q is required and no longer readOnly: clients must now send it", name),
					vals{newLine: keyLine(np, name)})
			}
			w.schema(ps, a, b)
		}
	}
	renamed := map[string]string{}
	for _, r := range removed {
		var match []string
		for _, a := range added {
			if sameNode(specnode.Get(op, r), specnode.Get(np, a)) {
				match = append(match, a)
			}
		}
		others := 0
		for _, r2 := range removed {
			if sameNode(specnode.Get(op, r), specnode.Get(op, r2)) {
				others++
			}
		}
		if len(match) == 1 && others == 1 {
			taken := false
			for _, t := range renamed {
				taken = taken || t == match[0]
			}
			if !taken {
				renamed[r] = match[0]
			}
		}
	}
	isRenameTarget := map[string]bool{}
	for r, a := range renamed {
		isRenameTarget[a] = true
		ps := s
		ps.only = restrict(s.only, onlyFor(w.o.access(specnode.Get(op, r))))
		w.emit(ps, RulePropertyRenamed, s.ptr+"/properties/"+pointer.Escape(r), r+"->"+a,
			fmt.Sprintf("property %q renamed to %q", r, a), vals{old: r, new: a, oldLine: keyLine(op, r), newLine: keyLine(np, a)})
	}
	for _, r := range removed {
		if _, ok := renamed[r]; ok {
			continue
		}
		ps := s
		ps.only = restrict(s.only, onlyFor(w.o.access(specnode.Get(op, r))))
		w.emit(ps, RulePropertyRemoved, s.ptr+"/properties/"+pointer.Escape(r), r,
			fmt.Sprintf("property %q removed%s", r, accessNote(ps.only, s.only)), vals{old: r, oldLine: keyLine(op, r)})
	}
	for _, a := range added {
		if isRenameTarget[a] {
			continue
		}
		w.emit(s, RulePropertyAdded, s.ptr+"/properties/"+pointer.Escape(a), a,
			fmt.Sprintf("property %q added", a), vals{new: a, newLine: keyLine(np, a)})
	}
}

// openness classifies additionalProperties-like keywords: absent or true
// accepts anything, false nothing, a schema what matches it.
func openness(n *yaml.Node) string {
	switch {
	case n == nil || (isBoolSchema(n) && n.Value == "true"):
		return "open"
	case isBoolSchema(n):
		return "closed"
	}
	return "schema"
}

// additional compares additionalProperties, unevaluatedProperties and
// unevaluatedItems. unevaluated* has no effect beside an
// additionalProperties (or items) that decides every other member.
func (w *walker) additional(s site, k string, o, n *yaml.Node) {
	ov, nv := specnode.Get(o, k), specnode.Get(n, k)
	ptr := s.ptr + "/" + k
	v := keys(o, n, k)
	sibling := map[string]string{"unevaluatedProperties": "additionalProperties", "unevaluatedItems": "items"}[k]
	// Composition could leave members unevaluated that the sibling does
	// not see, so the shortcut is only taken without it.
	composed := func(x *yaml.Node) bool {
		k, _ := options(x)
		return k != "" || specnode.Get(x, "allOf") != nil
	}
	if sibling != "" && specnode.Get(o, sibling) != nil && specnode.Get(n, sibling) != nil && !composed(o) && !composed(n) {
		w.emit(s, RuleMetadataChanged, ptr, "", describe(k, ov, nv)+": no effect, "+sibling+" already decides every other member", v)
		return
	}
	a, b := openness(ov), openness(nv)
	switch {
	case a == b && a == "schema":
		w.schema(s.at(k), ov, nv)
	case a == b:
	case a == "open" || b == "closed":
		w.emit(s, RuleConstraintNarrowed, ptr, "", fmt.Sprintf("%s changed from %s to %s: fewer values are valid", k, orNone(short(text(ov))), short(text(nv))), v)
	default:
		w.emit(s, RuleConstraintWidened, ptr, "", fmt.Sprintf("%s changed from %s to %s: more values are valid", k, short(text(ov)), orNone(short(text(nv)))), v)
	}
}

// subschema compares a keyword holding one schema that constrains more
// when present (items, contains, propertyNames, not, if/then/else,
// contentSchema).
func (w *walker) subschema(s site, k string, ov, nv *yaml.Node, v vals) {
	ptr := s.ptr + "/" + k
	switch {
	case ov == nil:
		w.emit(s, RuleConstraintNarrowed, ptr, "", fmt.Sprintf("%s added: %s", k, short(text(nv))), v)
	case nv == nil:
		w.emit(s, RuleConstraintWidened, ptr, "", fmt.Sprintf("%s removed (was %s)", k, short(text(ov))), v)
	default:
		w.schema(s.at(k), ov, nv)
	}
}

func (w *walker) prefixItems(s site, ov, nv *yaml.Node) {
	ol, nl := items(ov), items(nv)
	switch {
	case ov == nil:
		w.emit(s, RuleConstraintNarrowed, s.ptr+"/prefixItems", "", fmt.Sprintf("prefixItems added: the first %d items must match %s", len(nl), short(text(nv))), vals{newLine: line(nv)})
		return
	case nv == nil:
		w.emit(s, RuleConstraintWidened, s.ptr+"/prefixItems", "", fmt.Sprintf("prefixItems removed (was %s)", short(text(ov))), vals{oldLine: line(ov)})
		return
	}
	for i := 0; i < max(len(ol), len(nl)); i++ {
		ptr := s.ptr + "/prefixItems/" + strconv.Itoa(i)
		switch {
		case i >= len(ol):
			w.emit(s, RuleConstraintNarrowed, ptr, "", fmt.Sprintf("prefixItems %d added: item %d must match %s", i, i, short(text(nl[i]))), vals{newLine: line(nl[i])})
		case i >= len(nl):
			w.emit(s, RuleConstraintWidened, ptr, "", fmt.Sprintf("prefixItems %d removed", i), vals{oldLine: line(ol[i])})
		default:
			w.schema(s.at("prefixItems", strconv.Itoa(i)), ol[i], nl[i])
		}
	}
}

func (w *walker) dependentRequired(s site, ov, nv *yaml.Node) {
	for _, name := range unionKeys(ov, nv) {
		a, b := stringSet(specnode.Get(ov, name)), stringSet(specnode.Get(nv, name))
		ptr := s.ptr + "/dependentRequired/" + pointer.Escape(name)
		for _, x := range b {
			if !slices.Contains(a, x) {
				w.emit(s, RuleConstraintNarrowed, ptr, "+"+x, fmt.Sprintf("dependentRequired: %q now requires %q", name, x), vals{new: x, newLine: itemLine(specnode.Get(nv, name), x)})
			}
		}
		for _, x := range a {
			if !slices.Contains(b, x) {
				w.emit(s, RuleConstraintWidened, ptr, "-"+x, fmt.Sprintf("dependentRequired: %q no longer requires %q", name, x), vals{old: x, oldLine: itemLine(specnode.Get(ov, name), x)})
			}
		}
	}
}

// schemaMap compares dependentSchemas or patternProperties: an entry
// added constrains more, one removed less.
func (w *walker) schemaMap(s site, k string, ov, nv *yaml.Node) {
	for _, name := range unionKeys(ov, nv) {
		a, b := specnode.Get(ov, name), specnode.Get(nv, name)
		ptr := s.ptr + "/" + k + "/" + pointer.Escape(name)
		switch {
		case a == nil:
			w.emit(s, RuleConstraintNarrowed, ptr, name, fmt.Sprintf("%s %q added", k, name), vals{newLine: keyLine(nv, name)})
		case b == nil:
			w.emit(s, RuleConstraintWidened, ptr, name, fmt.Sprintf("%s %q removed", k, name), vals{oldLine: keyLine(ov, name)})
		case !sameNode(a, b):
			w.schema(s.at(k, name), a, b)
		}
	}
}

func (w *walker) discriminator(s site, ov, nv *yaml.Node) {
	ptr := s.ptr + "/discriminator"
	if a, b := specnode.Get(ov, "propertyName"), specnode.Get(nv, "propertyName"); !sameNode(a, b) {
		w.emit(s, RuleSchemaChanged, ptr+"/propertyName", "", describe("discriminator propertyName", a, b), keys(ov, nv, "propertyName"))
	}
	om, nm := specnode.Get(ov, "mapping"), specnode.Get(nv, "mapping")
	for _, k := range unionKeys(om, nm) {
		a, b := specnode.Get(om, k), specnode.Get(nm, k)
		switch {
		case a == nil:
			w.emit(s, RuleOptionAdded, ptr+"/mapping", k, fmt.Sprintf("discriminator value %q added", k), vals{new: k, newLine: keyLine(nm, k)})
		case b == nil:
			w.emit(s, RuleOptionRemoved, ptr+"/mapping", k, fmt.Sprintf("discriminator value %q removed", k), vals{old: k, oldLine: keyLine(om, k)})
		case !sameNode(a, b):
			w.emit(s, RuleSchemaChanged, ptr+"/mapping/"+pointer.Escape(k), k, describe("discriminator value "+k, a, b), keys(om, nm, k))
		}
	}
}

func refName(ref string) string {
	if i := strings.LastIndex(ref, "/"); i >= 0 && strings.HasPrefix(ref, "#") {
		return ref[i+1:]
	}
	return orNone(ref)
}

func isBool(s string) bool { return s == "true" || s == "false" }

// bound judges a numeric limit. upper is true for max* keywords, where a
// lower value narrows what is valid.
func (w *walker) bound(s site, k string, ov, nv *yaml.Node, v vals, upper bool) {
	ptr := s.ptr + "/" + k
	switch {
	case ov == nil:
		w.emit(s, RuleConstraintNarrowed, ptr, "", fmt.Sprintf("%s %s added", k, nv.Value), v)
		return
	case nv == nil:
		w.emit(s, RuleConstraintWidened, ptr, "", fmt.Sprintf("%s %s removed", k, ov.Value), v)
		return
	}
	old, err1 := strconv.ParseFloat(ov.Value, 64)
	nw, err2 := strconv.ParseFloat(nv.Value, 64)
	if err1 != nil || err2 != nil {
		w.emit(s, RuleConstraintChanged, ptr, "", describe(k, ov, nv), v)
		return
	}
	narrowed := nw > old
	if upper {
		narrowed = nw < old
	}
	rule := RuleConstraintWidened
	if narrowed {
		rule = RuleConstraintNarrowed
	}
	w.emit(s, rule, ptr, "", fmt.Sprintf("%s changed from %s to %s", k, ov.Value, nv.Value), v)
}

// flag judges a boolean keyword whose true value narrows what is valid.
func (w *walker) flag(s site, k string, ov, nv *yaml.Node, v vals) {
	ptr := s.ptr + "/" + k
	now, was := isTrue(nv), isTrue(ov)
	switch {
	case now && !was:
		w.emit(s, RuleConstraintNarrowed, ptr, "", k+" set to true", v)
	case was && !now:
		w.emit(s, RuleConstraintWidened, ptr, "", k+" no longer true", v)
	}
}

// valueConstraint judges pattern, multipleOf and const: adding one
// narrows, removing one widens, and changing one to another cannot be told.
func (w *walker) valueConstraint(s site, k string, ov, nv *yaml.Node, v vals) {
	ptr := s.ptr + "/" + k
	switch {
	case ov == nil:
		w.emit(s, RuleConstraintNarrowed, ptr, "", fmt.Sprintf("%s %s added", k, short(text(nv))), v)
	case nv == nil:
		w.emit(s, RuleConstraintWidened, ptr, "", fmt.Sprintf("%s %s removed", k, short(text(ov))), v)
	default:
		w.emit(s, RuleConstraintChanged, ptr, "", describe(k, ov, nv), v)
	}
}

// multipleOf judges a divisor: one that divides the old one accepts every
// old value (10 to 5 widens), a multiple of the old one accepts fewer.
func (w *walker) multipleOf(s site, ov, nv *yaml.Node, v vals) {
	if ov != nil && nv != nil {
		a, err1 := strconv.ParseFloat(ov.Value, 64)
		b, err2 := strconv.ParseFloat(nv.Value, 64)
		divides := func(x, y float64) bool { // x divides y
			q := y / x
			return x > 0 && q == float64(int64(q))
		}
		ptr := s.ptr + "/multipleOf"
		switch {
		case err1 != nil || err2 != nil:
		case divides(b, a):
			w.emit(s, RuleConstraintWidened, ptr, "", fmt.Sprintf("multipleOf changed from %s to %s, which divides it: more values are valid", ov.Value, nv.Value), v)
			return
		case divides(a, b):
			w.emit(s, RuleConstraintNarrowed, ptr, "", fmt.Sprintf("multipleOf changed from %s to %s, a multiple of it: fewer values are valid", ov.Value, nv.Value), v)
			return
		}
	}
	w.valueConstraint(s, "multipleOf", ov, nv, v)
}

// formatWider lists format changes that only widen what is valid.
var formatWider = map[[2]string]bool{
	{"int32", "int64"}: true, {"float", "double"}: true, {"int32", "double"}: true,
}

func (w *walker) format(s site, ov, nv *yaml.Node, v vals) {
	if ov != nil && nv != nil {
		ptr := s.ptr + "/format"
		switch {
		case formatWider[[2]string{ov.Value, nv.Value}]:
			w.emit(s, RuleConstraintWidened, ptr, "", describe("format", ov, nv), v)
			return
		case formatWider[[2]string{nv.Value, ov.Value}]:
			w.emit(s, RuleConstraintNarrowed, ptr, "", describe("format", ov, nv), v)
			return
		}
	}
	w.valueConstraint(s, "format", ov, nv, v)
}

// typeSet returns a schema's types, sorted; 3.1 allows a list.
func typeSet(n *yaml.Node) []string {
	t := specnode.Get(n, "type")
	if t == nil {
		return nil
	}
	if t.Kind == yaml.ScalarNode {
		if t.Value == "" {
			return nil
		}
		return []string{t.Value}
	}
	out := stringSet(t)
	slices.Sort(out)
	return out
}

// covers reports whether every type of a is allowed by b (number allows
// integer).
func covers(b, a []string) bool {
	for _, t := range a {
		if !slices.Contains(b, t) && !(t == "integer" && slices.Contains(b, "number")) {
			return false
		}
	}
	return true
}

// typeChange tells a real type change from a schema gaining or losing null
// (3.1 nullability), from types added or removed (integer widening to
// number), and from a type appearing where there was none.
func (w *walker) typeChange(s site, o, n *yaml.Node) {
	ptr := s.ptr + "/type"
	v := keys(o, n, "type")
	old, nw := typeSet(o), typeSet(n)
	oldS, newS := strings.Join(old, ","), strings.Join(nw, ",")
	v.old, v.new = oldS, newS
	without := func(ts []string) []string {
		return slices.DeleteFunc(slices.Clone(ts), func(x string) bool { return x == "null" })
	}
	on, nn := without(old), without(nw)
	oNull, nNull := len(on) != len(old), len(nn) != len(nw)
	switch {
	case len(old) == 0:
		w.emit(s, RuleConstraintNarrowed, ptr, "", "type "+newS+" added", v)
	case len(nw) == 0:
		w.emit(s, RuleConstraintWidened, ptr, "", "type "+oldS+" removed", v)
	case slices.Equal(on, nn) && nNull:
		w.emit(s, RuleNullableAdded, ptr, "", fmt.Sprintf("became nullable (type %s to %s)", oldS, newS), v)
	case slices.Equal(on, nn) && oNull:
		w.emit(s, RuleNullableRemoved, ptr, "", fmt.Sprintf("is no longer nullable (type %s to %s)", oldS, newS), v)
	case covers(nw, old):
		w.emit(s, RuleConstraintWidened, ptr, "", fmt.Sprintf("type changed from %s to %s: more values are valid", oldS, newS), v)
	case covers(old, nw):
		w.emit(s, RuleConstraintNarrowed, ptr, "", fmt.Sprintf("type changed from %s to %s: fewer values are valid", oldS, newS), v)
	default:
		w.emit(s, RuleTypeChanged, ptr, oldS+"->"+newS, fmt.Sprintf("type changed from %s to %s", oldS, newS), v)
	}
}
