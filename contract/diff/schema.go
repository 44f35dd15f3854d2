package diff

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	lowbase "github.com/pb33f/libopenapi/datamodel/low/base"
	"github.com/pb33f/libopenapi/what-changed/model"
)

// schema walks a schema's changes and its nested schemas. The pointer grows
// with each nesting so a finding says exactly which property changed.
func (w *walker) schema(s site, sc *model.SchemaChanges) {
	if sc == nil {
		return
	}
	if sc.PropertyChanges != nil {
		w.schemaProps(s, sc.Changes)
	}
	for _, name := range sortedKeys(sc.SchemaPropertyChanges) {
		w.schema(s.at("properties", name), sc.SchemaPropertyChanges[name])
	}
	single := []struct {
		key string
		ch  *model.SchemaChanges
	}{
		{"items", sc.ItemsChanges}, {"additionalProperties", sc.AdditionalPropertiesChanges},
		{"not", sc.NotChanges}, {"if", sc.IfChanges}, {"then", sc.ThenChanges}, {"else", sc.ElseChanges},
		{"propertyNames", sc.PropertyNamesChanges}, {"contains", sc.ContainsChanges},
		{"unevaluatedItems", sc.UnevaluatedItemsChanges}, {"unevaluatedProperties", sc.UnevaluatedPropertiesChanges},
		{"contentSchema", sc.ContentSchemaChanges},
	}
	for _, n := range single {
		if n.ch != nil {
			w.schema(s.at(n.key), n.ch)
		}
	}
	lists := []struct {
		key string
		chs []*model.SchemaChanges
	}{
		{"allOf", sc.AllOfChanges}, {"anyOf", sc.AnyOfChanges}, {"oneOf", sc.OneOfChanges}, {"prefixItems", sc.PrefixItemsChanges},
	}
	for _, l := range lists {
		// what-changed pairs list members by content, not position, so the
		// index is the pair's, which is close to but not always the file's.
		for i, ch := range l.chs {
			w.schema(s.at(l.key, strconv.Itoa(i)), ch)
		}
	}
	for _, m := range []struct {
		key string
		chs map[string]*model.SchemaChanges
	}{{"dependentSchemas", sc.DependentSchemasChanges}, {"patternProperties", sc.PatternPropertiesChanges}} {
		for _, name := range sortedKeys(m.chs) {
			w.schema(s.at(m.key, name), m.chs[name])
		}
	}
	if sc.DiscriminatorChanges != nil {
		w.all(s.at("discriminator"), RuleSchemaChanged, sc.DiscriminatorChanges.GetAllChanges())
	}
	if sc.ExternalDocChanges != nil {
		w.all(s.at("externalDocs"), RuleMetadataChanged, sc.ExternalDocChanges.GetAllChanges())
	}
	if sc.XMLChanges != nil {
		w.all(s.at("xml"), RuleMetadataChanged, sc.XMLChanges.GetAllChanges())
	}
	if sc.ExtensionChanges != nil {
		w.all(s, RuleMetadataChanged, sc.ExtensionChanges.GetAllChanges())
	}
	w.all(s.at("dependentRequired"), RuleSchemaChanged, sc.DependentRequiredChanges)
	w.all(s.at("$vocabulary"), RuleMetadataChanged, sc.VocabularyChanges)
}

// propertyName is the name of a property a "properties" change adds or
// removes. what-changed sometimes puts a removed key on the new side, so
// both sides are looked at.
func propertyName(c *model.Change) string {
	if c.ChangeType == model.ObjectAdded || c.ChangeType == model.PropertyAdded {
		if c.New != "" {
			return c.New
		}
		return c.Original
	}
	if c.Original != "" {
		return c.Original
	}
	return c.New
}

func proxyHash(o any) (uint64, bool) {
	p, ok := o.(*lowbase.SchemaProxy)
	if !ok || p == nil {
		return 0, false
	}
	return p.Hash(), true
}

// renames pairs removed and added properties of one object whose schemas
// are identical: the usual shape of a rename. A pair is only made when the
// match is unambiguous.
func renames(cs []*model.Change) map[*model.Change]*model.Change {
	type prop struct {
		c *model.Change
		h uint64
	}
	var removed, added []prop
	for _, c := range cs {
		if c.Property != "properties" {
			continue
		}
		switch c.ChangeType {
		case model.ObjectRemoved:
			if h, ok := proxyHash(c.OriginalObject); ok {
				removed = append(removed, prop{c, h})
			}
		case model.ObjectAdded:
			if h, ok := proxyHash(c.NewObject); ok {
				added = append(added, prop{c, h})
			}
		}
	}
	out := map[*model.Change]*model.Change{}
	for _, r := range removed {
		var match []prop
		for _, a := range added {
			if a.h == r.h {
				match = append(match, a)
			}
		}
		others := 0
		for _, r2 := range removed {
			if r2.h == r.h {
				others++
			}
		}
		if len(match) == 1 && others == 1 {
			out[r.c] = match[0].c
		}
	}
	return out
}

// schemaProps classifies the changes to one schema's own keywords.
func (w *walker) schemaProps(s site, cs []*model.Change) {
	renamed := renames(cs)
	paired := map[*model.Change]bool{}
	for _, to := range renamed {
		paired[to] = true
	}
	for _, c := range cs {
		if c == nil || paired[c] {
			continue
		}
		p := c.Property
		switch p {
		case "properties":
			name := propertyName(c)
			ptr := s.ptr + "/properties/" + escape(name)
			switch {
			case renamed[c] != nil:
				to := propertyName(renamed[c])
				ev := event{site: s, rule: RulePropertyRenamed, ptr: ptr, subject: name + "->" + to,
					message: fmt.Sprintf("property %q renamed to %q", name, to), change: c}
				// The new name's line is where the rename can be seen in
				// the new file.
				w.events = append(w.events, ev)
				w.events[len(w.events)-1].change = mergeRename(c, renamed[c])
			case c.ChangeType == model.ObjectAdded || c.ChangeType == model.PropertyAdded:
				w.emit(s, RulePropertyAdded, ptr, name, fmt.Sprintf("property %q added", name), c)
			case c.ChangeType == model.ObjectRemoved || c.ChangeType == model.PropertyRemoved:
				w.emit(s, RulePropertyRemoved, ptr, name, fmt.Sprintf("property %q removed", name), c)
			default:
				w.emit(s, RuleSchemaChanged, ptr, name, describe(c), c)
			}
		case "required":
			switch c.ChangeType {
			case model.PropertyAdded, model.ObjectAdded:
				w.emit(s, RuleRequiredAdded, s.ptr+"/properties/"+escape(c.New), c.New,
					fmt.Sprintf("property %q became required", c.New), c)
			case model.PropertyRemoved, model.ObjectRemoved:
				w.emit(s, RuleRequiredRemoved, s.ptr+"/properties/"+escape(c.Original), c.Original,
					fmt.Sprintf("property %q is no longer required", c.Original), c)
			default:
				w.emit(s, RuleSchemaChanged, s.ptr+"/required", "", describe(c), c)
			}
		case "enum":
			switch c.ChangeType {
			case model.PropertyAdded, model.ObjectAdded:
				w.emit(s, RuleEnumValueAdded, s.ptr+"/enum", c.New, fmt.Sprintf("enum value %q added", c.New), c)
			case model.PropertyRemoved, model.ObjectRemoved:
				w.emit(s, RuleEnumValueRemoved, s.ptr+"/enum", c.Original, fmt.Sprintf("enum value %q removed", c.Original), c)
			default:
				w.emit(s, RuleSchemaChanged, s.ptr+"/enum", "", describe(c), c)
			}
		case "type":
			w.typeChange(s, c)
		case "nullable":
			now, was := c.New == "true", c.Original == "true"
			switch {
			case now && !was:
				w.emit(s, RuleNullableAdded, s.ptr+"/nullable", "", "became nullable", c)
			case was && !now:
				w.emit(s, RuleNullableRemoved, s.ptr+"/nullable", "", "is no longer nullable", c)
			}
		case "maxLength", "maxItems", "maxProperties", "maximum", "maxContains":
			w.bound(s, c, true)
		case "minLength", "minItems", "minProperties", "minimum", "minContains":
			w.bound(s, c, false)
		case "exclusiveMaximum", "exclusiveMinimum":
			if isBool(c.Original) || isBool(c.New) {
				w.flag(s, c, "true")
			} else {
				w.bound(s, c, p == "exclusiveMaximum")
			}
		case "uniqueItems":
			w.flag(s, c, "true")
		case "pattern", "format", "multipleOf", "const":
			w.valueConstraint(s, c)
		case "additionalProperties", "unevaluatedProperties":
			switch {
			case c.New == "false" && c.Original != "false":
				w.emit(s, RuleConstraintNarrowed, s.ptr+"/"+p, "", p+" set to false: unknown properties are rejected", c)
			case c.Original == "false" && c.New != "false":
				w.emit(s, RuleConstraintWidened, s.ptr+"/"+p, "", p+" no longer false: unknown properties are allowed", c)
			default:
				w.emit(s, RuleSchemaChanged, s.ptr+"/"+p, "", describe(c), c)
			}
		case "default":
			w.emit(s, RuleDefaultChanged, s.ptr+"/default", "", describe(c), c)
		case "$ref":
			w.emit(s, RuleRefChanged, s.ptr, "", fmt.Sprintf("$ref changed from %s to %s", refName(c.Original), refName(c.New)), c)
		case "anyOf", "oneOf":
			switch c.ChangeType {
			case model.ObjectAdded, model.PropertyAdded:
				w.emit(s, RuleOptionAdded, s.ptr+"/"+p, subjectOf(c), fmt.Sprintf("%s alternative added%s", p, refSuffix(c.New)), c)
			case model.ObjectRemoved, model.PropertyRemoved:
				w.emit(s, RuleOptionRemoved, s.ptr+"/"+p, subjectOf(c), fmt.Sprintf("%s alternative removed%s", p, refSuffix(c.Original)), c)
			default:
				w.emit(s, RuleSchemaChanged, s.ptr+"/"+p, "", describe(c), c)
			}
		case "deprecated":
			w.emit(s, RuleDeprecated, s.ptr+"/deprecated", "", describe(c), c)
		case "description", "title", "example", "examples", "externalDocs", "xml", "$comment", "$id", "$anchor", "$schema", "contentEncoding", "contentMediaType":
			w.emit(s, RuleMetadataChanged, s.ptr+"/"+escape(p), "", describe(c), c)
		default:
			w.emit(s, RuleSchemaChanged, s.ptr+"/"+escape(p), "", describe(c), c)
		}
	}
}

// mergeRename builds one change out of a removal and the matching addition,
// so the finding carries the old name's line and the new name's line.
func mergeRename(removed, added *model.Change) *model.Change {
	c := *removed
	ctx := model.ChangeContext{}
	if removed.Context != nil {
		ctx = *removed.Context
		if ctx.OriginalLine == nil {
			ctx.OriginalLine, ctx.OriginalColumn = ctx.NewLine, ctx.NewColumn
		}
	}
	ctx.NewLine, ctx.NewColumn = nil, nil
	if added.Context != nil {
		ctx.NewLine, ctx.NewColumn = added.Context.NewLine, added.Context.NewColumn
	}
	c.Context = &ctx
	c.ChangeType = model.Modified
	c.Original, c.New = propertyName(removed), propertyName(added)
	return &c
}

func refName(ref string) string {
	if i := strings.LastIndex(ref, "/"); i >= 0 && strings.HasPrefix(ref, "#") {
		return ref[i+1:]
	}
	return orNone(ref)
}

func refSuffix(v string) string {
	if strings.HasPrefix(v, "#/") {
		return " (" + refName(v) + ")"
	}
	return ""
}

func isBool(s string) bool { return s == "true" || s == "false" }

// bound judges a numeric limit. upper is true for max* keywords, where a
// lower value narrows what is valid.
func (w *walker) bound(s site, c *model.Change, upper bool) {
	p := c.Property
	ptr := s.ptr + "/" + p
	switch c.ChangeType {
	case model.PropertyAdded, model.ObjectAdded:
		w.emit(s, RuleConstraintNarrowed, ptr, "", fmt.Sprintf("%s %s added", p, c.New), c)
		return
	case model.PropertyRemoved, model.ObjectRemoved:
		w.emit(s, RuleConstraintWidened, ptr, "", fmt.Sprintf("%s %s removed", p, c.Original), c)
		return
	}
	old, err1 := strconv.ParseFloat(c.Original, 64)
	nw, err2 := strconv.ParseFloat(c.New, 64)
	if err1 != nil || err2 != nil {
		w.emit(s, RuleConstraintChanged, ptr, "", describe(c), c)
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
	w.emit(s, rule, ptr, "", fmt.Sprintf("%s changed from %s to %s", p, c.Original, c.New), c)
}

// flag judges a boolean keyword whose `on` value narrows what is valid.
func (w *walker) flag(s site, c *model.Change, on string) {
	ptr := s.ptr + "/" + c.Property
	now, was := c.New == on, c.Original == on
	switch {
	case now && !was:
		w.emit(s, RuleConstraintNarrowed, ptr, "", fmt.Sprintf("%s set to %s", c.Property, on), c)
	case was && !now:
		w.emit(s, RuleConstraintWidened, ptr, "", fmt.Sprintf("%s no longer %s", c.Property, on), c)
	default:
		w.emit(s, RuleSchemaChanged, ptr, "", describe(c), c)
	}
}

// valueConstraint judges pattern, format, multipleOf and const: adding one
// narrows, removing one widens, and changing one to another cannot be told.
func (w *walker) valueConstraint(s site, c *model.Change) {
	ptr := s.ptr + "/" + c.Property
	switch c.ChangeType {
	case model.PropertyAdded, model.ObjectAdded:
		w.emit(s, RuleConstraintNarrowed, ptr, "", fmt.Sprintf("%s %s added", c.Property, short(c.New)), c)
	case model.PropertyRemoved, model.ObjectRemoved:
		w.emit(s, RuleConstraintWidened, ptr, "", fmt.Sprintf("%s %s removed", c.Property, short(c.Original)), c)
	default:
		w.emit(s, RuleConstraintChanged, ptr, "", describe(c), c)
	}
}

// typeSet returns a schema's types; 3.1 allows a list.
func typeSet(sch *lowbase.Schema) []string {
	if sch == nil || sch.Type.IsEmpty() {
		return nil
	}
	v := sch.Type.Value
	if v.IsA() {
		if v.A == "" {
			return nil
		}
		return []string{v.A}
	}
	out := make([]string, 0, len(v.B))
	for _, t := range v.B {
		out = append(out, t.Value)
	}
	slices.Sort(out)
	return out
}

// typeChange tells a real type change from a schema gaining or losing null
// (3.1 nullability) and from integer widening to number.
func (w *walker) typeChange(s site, c *model.Change) {
	ptr := s.ptr + "/type"
	old := typeSet(lowSchema(c.OriginalObject))
	nw := typeSet(lowSchema(c.NewObject))
	if old == nil && c.Original != "" {
		old = []string{c.Original}
	}
	if nw == nil && c.New != "" {
		nw = []string{c.New}
	}
	oldS, newS := strings.Join(old, ","), strings.Join(nw, ",")
	without := func(ts []string, t string) []string {
		return slices.DeleteFunc(slices.Clone(ts), func(x string) bool { return x == t })
	}
	switch {
	case len(old) == 0 && len(nw) > 0:
		w.emit(s, RuleConstraintNarrowed, ptr, "", "type "+newS+" added", c)
	case len(nw) == 0 && len(old) > 0:
		w.emit(s, RuleConstraintWidened, ptr, "", "type "+oldS+" removed", c)
	case !slices.Contains(old, "null") && slices.Contains(nw, "null") && slices.Equal(old, without(nw, "null")):
		w.emit(s, RuleNullableAdded, ptr, "", fmt.Sprintf("became nullable (type %s to %s)", oldS, newS), c)
	case slices.Contains(old, "null") && !slices.Contains(nw, "null") && slices.Equal(without(old, "null"), nw):
		w.emit(s, RuleNullableRemoved, ptr, "", fmt.Sprintf("is no longer nullable (type %s to %s)", oldS, newS), c)
	case oldS == "integer" && newS == "number":
		w.emit(s, RuleConstraintWidened, ptr, "", "type changed from integer to number", c)
	case oldS == "number" && newS == "integer":
		w.emit(s, RuleConstraintNarrowed, ptr, "", "type changed from number to integer", c)
	default:
		w.emit(s, RuleTypeChanged, ptr, oldS+"->"+newS, fmt.Sprintf("type changed from %s to %s", orNone(oldS), orNone(newS)), c)
	}
}
