package diff

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/reconkit/reconkit/contract/pointer"
	"github.com/reconkit/reconkit/contract/specnode"
	"gopkg.in/yaml.v3"
)

// site is where in the document tree a comparison is: the walker carries
// it down both trees together.
type site struct {
	ptr      string    // JSON pointer of the object being compared, in the new document
	path     string    // API path, or "webhook:NAME"; empty under components
	method   string    // upper-case method; empty for path-level and components
	dir      Direction // empty when the walk cannot tell (components, endpoints)
	comp     string    // component key ("schemas/customer") under components
	inverted bool      // inside a webhook or callback
	// only is set inside a readOnly property (Response) or a writeOnly one
	// (Request): a change there binds only that direction.
	only Direction
	// param is set for the top schema of a parameter or header, whose wire
	// form is not JSON: a single value is also an array of one.
	param bool
}

func (s site) at(tokens ...string) site {
	for _, t := range tokens {
		s.ptr += "/" + pointer.Escape(t)
	}
	return s
}

// vals are the two sides of a change as the finding shows them: the
// values in words and the lines in each file (0 on a side that lacks it).
type vals struct {
	old, new         string
	oldLine, newLine int
}

// event is one classified change before it becomes a Finding.
type event struct {
	site
	rule    string
	ptr     string
	subject string
	message string
	vals
}

type walker struct {
	o, n   *rawDoc
	events []event
	// comparing holds the schema pairs under comparison, so recursive
	// schemas reached through different $refs end.
	comparing map[[2]*yaml.Node]bool
	// ops collects every operation present in both documents, for the
	// security pass.
	ops []opPair
}

type opPair struct {
	s    site
	o, n *yaml.Node // the operations
}

func (w *walker) emit(s site, rule, ptr, subject, message string, v vals) {
	w.events = append(w.events, event{site: s, rule: rule, ptr: ptr, subject: subject, message: message, vals: v})
}

// nodes builds vals from two value nodes.
func nodes(o, n *yaml.Node) vals {
	return vals{old: text(o), new: text(n), oldLine: line(o), newLine: line(n)}
}

// keys builds vals from the values of key in two maps, with the key's line.
func keys(o, n *yaml.Node, key string) vals {
	return vals{old: text(specnode.Get(o, key)), new: text(specnode.Get(n, key)), oldLine: keyLine(o, key), newLine: keyLine(n, key)}
}

// document compares the two roots.
func (w *walker) document() {
	o, n := w.o.root, w.n.root
	root := site{}
	for _, k := range unionKeys(o, n) {
		ov, nv := specnode.Get(o, k), specnode.Get(n, k)
		if sameNode(ov, nv) && k != "paths" && k != "webhooks" {
			continue
		}
		switch k {
		case "paths":
			w.paths(root.at("paths"), "paths", ov, nv)
		case "webhooks":
			w.paths(root.at("webhooks"), "webhooks", ov, nv)
		case "components":
			w.components(root.at("components"), ov, nv)
		case "servers":
			w.servers(root.at("servers"), ov, nv)
		case "security":
			// judged per operation by the security pass
		case "info", "tags", "externalDocs", "openapi", "jsonSchemaDialect", "$self":
			w.metadata(root, o, n, k)
		default:
			if strings.HasPrefix(k, "x-") {
				w.metadata(root, o, n, k)
			} else {
				w.emit(root, RuleOtherChanged, "/"+pointer.Escape(k), k, describe(k, ov, nv), keys(o, n, k))
			}
		}
	}
	w.security()
}

// metadata reports a changed key that does not affect clients.
func (w *walker) metadata(s site, o, n *yaml.Node, k string) {
	ov, nv := specnode.Get(o, k), specnode.Get(n, k)
	if sameNode(ov, nv) {
		return
	}
	w.emit(s, RuleMetadataChanged, s.ptr+"/"+pointer.Escape(k), k, describe(k, ov, nv), keys(o, n, k))
}

// unionKeys lists the keys of two maps: the new map's in order, then those
// only the old one has.
func unionKeys(o, n *yaml.Node) []string {
	var out []string
	seen := map[string]bool{}
	ok, _ := pairs(n)
	ko, _ := pairs(o)
	for _, k := range append(ok, ko...) {
		if !seen[k.Value] {
			seen[k.Value] = true
			out = append(out, k.Value)
		}
	}
	return out
}

// describe renders a change in words, for rules with no better sentence.
func describe(what string, o, n *yaml.Node) string {
	ov, nv := short(text(o)), short(text(n))
	switch {
	case o == nil:
		if nv != "" {
			return fmt.Sprintf("%s added: %s", what, nv)
		}
		return what + " added"
	case n == nil:
		if ov != "" {
			return fmt.Sprintf("%s removed (was %s)", what, ov)
		}
		return what + " removed"
	case ov != "" || nv != "":
		return fmt.Sprintf("%s changed from %s to %s", what, orNone(ov), orNone(nv))
	}
	return what + " changed"
}

// pathTemplate turns "/books/{bookId}" into "/books/{}" and the names of
// its parameters in order: two paths with one template are one URL.
func pathTemplate(p string) (string, []string) {
	var b strings.Builder
	var names []string
	for {
		i := strings.IndexByte(p, '{')
		j := strings.IndexByte(p[max(i, 0):], '}')
		if i < 0 || j < 0 {
			b.WriteString(p)
			return b.String(), names
		}
		b.WriteString(p[:i] + "{}")
		names = append(names, p[i+1:i+j])
		p = p[i+j+1:]
	}
}

// paths compares paths (or webhooks). Paths are paired by their template,
// so a renamed path parameter is the same operation.
func (w *walker) paths(s site, section string, o, n *yaml.Node) {
	ok, ov := pairs(o)
	nk, nv := pairs(n)
	newIdx := map[string]int{}
	tmplCount := map[string]int{}
	for i, k := range nk {
		newIdx[k.Value] = i
		if section == "paths" {
			t, _ := pathTemplate(k.Value)
			tmplCount[t]++
		}
	}
	oldTmpl := map[string]int{}
	if section == "paths" {
		for _, k := range ok {
			t, _ := pathTemplate(k.Value)
			oldTmpl[t]++
		}
	}
	pairedNew := map[int]bool{}
	type pair struct{ oi, ni int }
	var ps []pair
	var removed []int
	for i, k := range ok {
		if j, found := newIdx[k.Value]; found {
			ps = append(ps, pair{i, j})
			pairedNew[j] = true
			continue
		}
		removed = append(removed, i)
	}
	var stillRemoved []int
	for _, i := range removed {
		t, _ := pathTemplate(ok[i].Value)
		match := -1
		if section == "paths" && oldTmpl[t] == 1 && tmplCount[t] == 1 {
			for j, k := range nk {
				if t2, _ := pathTemplate(k.Value); t2 == t && !pairedNew[j] {
					match = j
				}
			}
		}
		if match < 0 {
			stillRemoved = append(stillRemoved, i)
			continue
		}
		ps = append(ps, pair{i, match})
		pairedNew[match] = true
	}
	for _, i := range stillRemoved {
		w.pathAddedOrRemoved(s, section, ok[i].Value, ov[i], w.o, false)
	}
	for j, k := range nk {
		if !pairedNew[j] {
			w.pathAddedOrRemoved(s, section, k.Value, nv[j], w.n, true)
		}
	}
	sort.Slice(ps, func(a, b int) bool { return nk[ps[a].ni].Value < nk[ps[b].ni].Value })
	for _, p := range ps {
		oldKey, newKey := ok[p.oi], nk[p.ni]
		at := s.at(newKey.Value)
		at.path = newKey.Value
		if section == "webhooks" {
			at.path = "webhook:" + newKey.Value
			at.inverted = true
		}
		if oldKey.Value != newKey.Value {
			_, on := pathTemplate(oldKey.Value)
			_, nn := pathTemplate(newKey.Value)
			for i := range on {
				if on[i] != nn[i] {
					w.emit(at, RulePathParamRenamed, at.ptr, on[i]+"->"+nn[i],
						fmt.Sprintf("path parameter {%s} renamed to {%s} (%s is now %s)", on[i], nn[i], oldKey.Value, newKey.Value),
						vals{old: oldKey.Value, new: newKey.Value, oldLine: oldKey.Line, newLine: newKey.Line})
				}
			}
		}
		w.pathItem(at, section, oldKey.Value, newKey.Value, ov[p.oi], nv[p.ni])
	}
}

// pathAddedOrRemoved reports a whole path appearing or vanishing as one
// endpoint finding per operation it holds, since clients call operations.
// A path without operations is only metadata.
func (w *walker) pathAddedOrRemoved(s site, section, p string, item *yaml.Node, d *rawDoc, added bool) {
	rule, verb := RuleEndpointRemoved, "removed"
	if added {
		rule, verb = RuleEndpointAdded, "added"
	}
	pi := d.deref(item)
	ps := s.at(p)
	ps.path = p
	if section == "webhooks" {
		ps.path = "webhook:" + p
	}
	var v vals
	found := false
	ks, _ := pairs(pi)
	for _, k := range ks {
		if !httpMethods[k.Value] {
			continue
		}
		found = true
		os := ps.at(k.Value)
		os.method = strings.ToUpper(k.Value)
		v = vals{oldLine: k.Line}
		if added {
			v = vals{newLine: k.Line}
		}
		w.emit(os, rule, os.ptr, os.method+" "+p, fmt.Sprintf("operation %s %s %s", os.method, ps.path, verb), v)
	}
	if !found {
		v = vals{oldLine: line(item)}
		if added {
			v = vals{newLine: line(item)}
		}
		w.emit(ps, RuleMetadataChanged, ps.ptr, p, fmt.Sprintf("path %s, which has no operations, %s", p, verb), v)
	}
}

// pathItem compares two path items; oldKey and newKey are their paths,
// which differ when a path parameter was renamed.
func (w *walker) pathItem(s site, section, oldKey, newKey string, o, n *yaml.Node) {
	o, n = w.o.deref(o), w.n.deref(n)
	same := oldKey == newKey && sameNode(o, n)
	for _, k := range unionKeys(o, n) {
		ov, nv := specnode.Get(o, k), specnode.Get(n, k)
		switch {
		case httpMethods[k]:
			os := s.at(k)
			os.method = strings.ToUpper(k)
			switch {
			case ov == nil:
				w.emit(os, RuleEndpointAdded, os.ptr, os.method+" "+newKey, fmt.Sprintf("operation %s %s added", os.method, s.path), vals{newLine: keyLine(n, k)})
			case nv == nil:
				w.emit(os, RuleEndpointRemoved, os.ptr, os.method+" "+oldKey, fmt.Sprintf("operation %s %s removed", os.method, s.path), vals{oldLine: keyLine(o, k)})
			default:
				w.ops = append(w.ops, opPair{s: os, o: ov, n: nv})
				if same {
					continue
				}
				w.operation(os, oldKey, newKey, o, n, ov, nv)
			}
		case sameNode(ov, nv):
		case k == "parameters":
			// compared with each operation, as they apply to each
		case k == "servers":
			w.servers(s.at("servers"), ov, nv)
		case k == "summary" || k == "description" || strings.HasPrefix(k, "x-"):
			w.metadata(s, o, n, k)
		default:
			w.emit(s, RuleOtherChanged, s.ptr+"/"+pointer.Escape(k), k, describe(k, ov, nv), keys(o, n, k))
		}
	}
}

func (w *walker) operation(s site, oldKey, newKey string, oPI, nPI, o, n *yaml.Node) {
	req := s
	req.dir = dirOf(Request, s.inverted)
	resp := s
	resp.dir = dirOf(Response, s.inverted)
	w.parameters(req, oldKey, newKey, oPI, nPI, o, n)
	for _, k := range unionKeys(o, n) {
		ov, nv := specnode.Get(o, k), specnode.Get(n, k)
		if sameNode(ov, nv) {
			continue
		}
		switch k {
		case "parameters", "security":
		case "requestBody":
			w.requestBody(req.at("requestBody"), ov, nv)
		case "responses":
			w.responses(resp.at("responses"), ov, nv)
		case "operationId":
			w.emit(s, RuleOperationIDChanged, s.ptr+"/operationId", "", describe("operationId", ov, nv), keys(o, n, k))
		case "deprecated":
			w.deprecated(s, s.ptr+"/deprecated", "operation "+s.method+" "+s.path, o, n)
		case "callbacks":
			w.callbacks(s.at("callbacks"), ov, nv)
		case "servers":
			w.servers(s.at("servers"), ov, nv)
		case "tags", "summary", "description", "externalDocs":
			w.metadata(s, o, n, k)
		default:
			if strings.HasPrefix(k, "x-") {
				w.metadata(s, o, n, k)
				continue
			}
			w.emit(s, RuleOtherChanged, s.ptr+"/"+pointer.Escape(k), k, describe(k, ov, nv), keys(o, n, k))
		}
	}
}

func (w *walker) deprecated(s site, ptr, what string, o, n *yaml.Node) {
	was, now := isTrue(specnode.Get(o, "deprecated")), isTrue(specnode.Get(n, "deprecated"))
	if was == now {
		return
	}
	msg := what + " deprecated"
	if was {
		msg = what + " no longer deprecated"
	}
	w.emit(s, RuleDeprecated, ptr, what, msg, keys(o, n, "deprecated"))
}

func isTrue(n *yaml.Node) bool { return n != nil && n.Kind == yaml.ScalarNode && n.Value == "true" }

// callbacks compares an operation's callbacks. Their operations are the API
// calling the client, so directions flip; findings stay attributed to the
// operation that registers them.
func (w *walker) callbacks(s site, o, n *yaml.Node) {
	for _, name := range unionKeys(o, n) {
		oc, nc := w.o.deref(specnode.Get(o, name)), w.n.deref(specnode.Get(n, name))
		cs := s.at(name)
		for _, expr := range unionKeys(oc, nc) {
			oe, ne := specnode.Get(oc, expr), specnode.Get(nc, expr)
			es := cs.at(expr)
			es.inverted = !s.inverted
			switch {
			case oe == nil:
				w.emit(es, RuleEndpointAdded, es.ptr, name+" "+expr, fmt.Sprintf("callback %s %s added", name, expr), vals{newLine: keyLine(nc, expr)})
			case ne == nil:
				w.emit(es, RuleEndpointRemoved, es.ptr, name+" "+expr, fmt.Sprintf("callback %s %s removed", name, expr), vals{oldLine: keyLine(oc, expr)})
			case !sameNode(oe, ne):
				oe, ne = w.o.deref(oe), w.n.deref(ne)
				for _, m := range unionKeys(oe, ne) {
					om, nm := specnode.Get(oe, m), specnode.Get(ne, m)
					if !httpMethods[m] || sameNode(om, nm) {
						continue
					}
					ms := es.at(m)
					switch {
					case om == nil:
						w.emit(ms, RuleEndpointAdded, ms.ptr, name+" "+m, fmt.Sprintf("callback %s %s %s added", name, strings.ToUpper(m), expr), vals{newLine: keyLine(ne, m)})
					case nm == nil:
						w.emit(ms, RuleEndpointRemoved, ms.ptr, name+" "+m, fmt.Sprintf("callback %s %s %s removed", name, strings.ToUpper(m), expr), vals{oldLine: keyLine(oe, m)})
					default:
						w.operation(ms, expr, expr, oe, ne, om, nm)
					}
				}
			}
		}
	}
}

// param is one parameter as an operation sees it.
type param struct {
	key  string // "in:name", or "path#i" for the i-th path parameter
	name string
	in   string
	node *yaml.Node // the parameter object, $refs followed
	ref  string     // its $ref, if it is one
	line int
}

// effectiveParams merges path-level and operation-level parameters (the
// latter override by name and location). Path parameters are keyed by
// their position in the path template, so renaming one pairs it.
func (d *rawDoc) effectiveParams(key string, pi, op *yaml.Node) []param {
	_, names := pathTemplate(key)
	pos := map[string]int{}
	for i, nm := range names {
		pos[nm] = i
	}
	var out []param
	idx := map[string]int{}
	for _, list := range []*yaml.Node{specnode.Get(pi, "parameters"), specnode.Get(op, "parameters")} {
		for _, raw := range items(list) {
			p := d.deref(raw)
			if p == nil {
				continue
			}
			name, in := text(specnode.Get(p, "name")), text(specnode.Get(p, "in"))
			k := in + ":" + name
			if i, ok := pos[name]; ok && in == "path" {
				k = "path#" + strconv.Itoa(i)
			}
			pp := param{key: k, name: name, in: in, node: p, ref: refOf(raw), line: line(raw)}
			if i, ok := idx[k]; ok {
				out[i] = pp
				continue
			}
			idx[k] = len(out)
			out = append(out, pp)
		}
	}
	return out
}

func (w *walker) parameters(s site, oldKey, newKey string, oPI, nPI, o, n *yaml.Node) {
	olds := w.o.effectiveParams(oldKey, oPI, o)
	news := w.n.effectiveParams(newKey, nPI, n)
	byKey := map[string]param{}
	for _, p := range news {
		byKey[p.key] = p
	}
	matched := map[string]bool{}
	var removed []param
	for _, op := range olds {
		np, ok := byKey[op.key]
		if !ok {
			removed = append(removed, op)
			continue
		}
		matched[op.key] = true
		if op.ref != "" && op.ref == np.ref {
			continue // compared once, at the component
		}
		if sameNode(op.node, np.node) {
			continue
		}
		w.parameter(s.at("parameters", np.name), op.node, np.node, np.name)
	}
	var added []param
	for _, np := range news {
		if !matched[np.key] {
			added = append(added, np)
		}
	}
	// A parameter that vanished from one location and appeared in another
	// under the same name moved.
	for _, op := range removed {
		moved := -1
		for i, np := range added {
			if np.name == op.name && np.in != op.in {
				moved = i
			}
		}
		if moved >= 0 {
			np := added[moved]
			added = slices.Delete(added, moved, moved+1)
			w.emit(s, RuleParameterLocationChanged, s.ptr+"/parameters/"+pointer.Escape(np.name), np.name,
				fmt.Sprintf("parameter %q moved from %s to %s", np.name, op.in, np.in),
				vals{old: op.in, new: np.in, oldLine: keyLine(op.node, "in"), newLine: keyLine(np.node, "in")})
			continue
		}
		w.emit(s, RuleParameterRemoved, s.ptr+"/parameters/"+pointer.Escape(op.name), op.in+":"+op.name,
			fmt.Sprintf("%s parameter %q removed", op.in, op.name), vals{oldLine: op.line})
	}
	for _, np := range added {
		ptr := s.ptr + "/parameters/" + pointer.Escape(np.name)
		if isTrue(specnode.Get(np.node, "required")) {
			w.emit(s, RuleRequiredParameterAdded, ptr, np.in+":"+np.name,
				fmt.Sprintf("required %s parameter %q added", np.in, np.name), vals{newLine: np.line})
			continue
		}
		w.emit(s, RuleParameterAdded, ptr, np.in+":"+np.name,
			fmt.Sprintf("optional %s parameter %q added", np.in, np.name), vals{newLine: np.line})
	}
}

// styleDefaults are a parameter's serialisation fields as OpenAPI defines
// them when absent.
func styleOf(p *yaml.Node, in string) map[string]string {
	style := text(specnode.Get(p, "style"))
	if style == "" {
		style = "simple"
		if in == "query" || in == "cookie" || in == "" {
			style = "form"
		}
	}
	explode := text(specnode.Get(p, "explode"))
	if explode == "" {
		explode = strconv.FormatBool(style == "form")
	}
	or := func(k, d string) string {
		if v := text(specnode.Get(p, k)); v != "" {
			return v
		}
		return d
	}
	return map[string]string{"style": style, "explode": explode,
		"allowReserved": or("allowReserved", "false"), "allowEmptyValue": or("allowEmptyValue", "false")}
}

// parameter compares one parameter (or header: in is empty) on both sides.
func (w *walker) parameter(s site, o, n *yaml.Node, name string) {
	in := text(specnode.Get(n, "in"))
	what := "parameter " + strconv.Quote(name)
	if strings.Contains(s.ptr, "/headers/") {
		what = "header " + name
	}
	os, ns := styleOf(o, text(specnode.Get(o, "in"))), styleOf(n, in)
	for _, k := range []string{"style", "explode", "allowReserved", "allowEmptyValue"} {
		if k == "explode" && os["style"] != ns["style"] {
			continue // its default follows the style, reported with it
		}
		if os[k] != ns[k] {
			v := keys(o, n, k)
			v.old, v.new = os[k], ns[k]
			w.emit(s, RuleParameterStyleChanged, s.ptr+"/"+k, name, fmt.Sprintf("%s %s changed from %s to %s", what, k, os[k], ns[k]), v)
		}
	}
	for _, k := range unionKeys(o, n) {
		ov, nv := specnode.Get(o, k), specnode.Get(n, k)
		if sameNode(ov, nv) {
			continue
		}
		switch k {
		case "style", "explode", "allowReserved", "allowEmptyValue":
		case "required":
			w.requiredFlag(s, s.ptr+"/required", what, o, n)
		case "in":
			w.emit(s, RuleParameterLocationChanged, s.ptr+"/in", name, describe(what+" in", ov, nv), keys(o, n, k))
		case "name":
			if in == "path" && s.comp == "" {
				continue // paired by position in the path: reported as path-parameter-renamed
			}
			w.emit(s, RuleParameterRemoved, s.ptr+"/name", text(ov), fmt.Sprintf("parameter %q renamed to %q; clients still send %q", text(ov), text(nv), text(ov)), keys(o, n, k))
		case "deprecated":
			w.deprecated(s, s.ptr+"/deprecated", what, o, n)
		case "schema":
			ss := s.at("schema")
			ss.param = true
			w.schema(ss, ov, nv)
		case "content":
			w.content(s, o, n)
		case "description", "example", "examples":
			w.metadata(s, o, n, k)
		default:
			if strings.HasPrefix(k, "x-") {
				w.metadata(s, o, n, k)
				continue
			}
			w.emit(s, RuleOtherChanged, s.ptr+"/"+pointer.Escape(k), name, describe(k, ov, nv), keys(o, n, k))
		}
	}
}

// requiredFlag judges a `required: true|false` flag flipping on a
// parameter, header or request body.
func (w *walker) requiredFlag(s site, ptr, what string, o, n *yaml.Node) {
	was, now := isTrue(specnode.Get(o, "required")), isTrue(specnode.Get(n, "required"))
	v := keys(o, n, "required")
	switch {
	case now && !was:
		w.emit(s, RuleRequiredAdded, ptr, what, what+" became required", v)
	case was && !now:
		w.emit(s, RuleRequiredRemoved, ptr, what, what+" became optional", v)
	}
}

func (w *walker) requestBody(s site, o, n *yaml.Node) {
	switch {
	case o == nil:
		nb := w.n.deref(n)
		if isTrue(specnode.Get(nb, "required")) {
			w.emit(s, RuleRequiredBodyAdded, s.ptr, "", "required request body added", vals{newLine: line(n)})
			return
		}
		w.emit(s, RuleRequestBodyAdded, s.ptr, "", "optional request body added", vals{newLine: line(n)})
		return
	case n == nil:
		w.emit(s, RuleRequestBodyRemoved, s.ptr, "", "request body removed", vals{oldLine: line(o)})
		return
	}
	if r := refOf(o); r != "" && r == refOf(n) {
		return // compared once, at the component
	}
	w.requestBodyContent(s, w.o.deref(o), w.n.deref(n))
}

func (w *walker) requestBodyContent(s site, o, n *yaml.Node) {
	for _, k := range unionKeys(o, n) {
		ov, nv := specnode.Get(o, k), specnode.Get(n, k)
		if sameNode(ov, nv) {
			continue
		}
		switch k {
		case "required":
			w.requiredFlag(s, s.ptr+"/required", "request body", o, n)
		case "content":
			w.content(s, o, n)
		case "description":
			w.metadata(s, o, n, k)
		default:
			if strings.HasPrefix(k, "x-") {
				w.metadata(s, o, n, k)
				continue
			}
			w.emit(s, RuleOtherChanged, s.ptr+"/"+pointer.Escape(k), "", describe(k, ov, nv), keys(o, n, k))
		}
	}
}

// content compares the content maps of two objects (request body,
// response, parameter, header).
func (w *walker) content(s site, oParent, nParent *yaml.Node) {
	o, n := specnode.Get(oParent, "content"), specnode.Get(nParent, "content")
	for _, mt := range unionKeys(o, n) {
		om, nm := specnode.Get(o, mt), specnode.Get(n, mt)
		ms := s.at("content", mt)
		switch {
		case om == nil:
			w.emit(s, RuleMediaTypeAdded, ms.ptr, mt, fmt.Sprintf("content type %s added", mt), vals{new: mt, newLine: keyLine(n, mt)})
		case nm == nil:
			w.emit(s, RuleMediaTypeRemoved, ms.ptr, mt, fmt.Sprintf("content type %s removed", mt), vals{old: mt, oldLine: keyLine(o, mt)})
		case !sameNode(om, nm):
			w.mediaType(ms, om, nm)
		}
	}
}

func (w *walker) mediaType(s site, o, n *yaml.Node) {
	for _, k := range unionKeys(o, n) {
		ov, nv := specnode.Get(o, k), specnode.Get(n, k)
		if sameNode(ov, nv) {
			continue
		}
		switch k {
		case "schema", "itemSchema":
			w.schema(s.at(k), ov, nv)
		case "encoding", "itemEncoding", "prefixEncoding":
			w.emit(s, RuleParameterStyleChanged, s.ptr+"/"+k, k, describe(k, ov, nv), keys(o, n, k))
		case "example", "examples":
			w.metadata(s, o, n, k)
		default:
			if strings.HasPrefix(k, "x-") {
				w.metadata(s, o, n, k)
				continue
			}
			w.emit(s, RuleOtherChanged, s.ptr+"/"+pointer.Escape(k), k, describe(k, ov, nv), keys(o, n, k))
		}
	}
}

func (w *walker) responses(s site, o, n *yaml.Node) {
	for _, code := range unionKeys(o, n) {
		ov, nv := specnode.Get(o, code), specnode.Get(n, code)
		if sameNode(ov, nv) {
			continue
		}
		if strings.HasPrefix(code, "x-") {
			w.metadata(s, o, n, code)
			continue
		}
		rs := s.at(code)
		switch {
		case ov == nil:
			w.emit(s, RuleResponseAdded, rs.ptr, code, fmt.Sprintf("response %s added", code), vals{newLine: keyLine(n, code)})
		case nv == nil:
			rule := RuleResponseRemoved
			if successCode(code) {
				rule = RuleSuccessResponseRemoved
			}
			w.emit(s, rule, rs.ptr, code, fmt.Sprintf("response %s removed", code), vals{oldLine: keyLine(o, code)})
		default:
			if r := refOf(ov); r != "" && r == refOf(nv) {
				continue // compared once, at the component
			}
			w.response(rs, w.o.deref(ov), w.n.deref(nv))
		}
	}
}

// successCode reports whether clients depend on a response code being
// there: 2xx and 3xx codes, their ranges, and default.
func successCode(code string) bool {
	return code == "default" || strings.HasPrefix(code, "2") || strings.HasPrefix(code, "3")
}

func (w *walker) response(s site, o, n *yaml.Node) {
	for _, k := range unionKeys(o, n) {
		ov, nv := specnode.Get(o, k), specnode.Get(n, k)
		if sameNode(ov, nv) {
			continue
		}
		switch k {
		case "headers":
			for _, h := range unionKeys(ov, nv) {
				oh, nh := specnode.Get(ov, h), specnode.Get(nv, h)
				hs := s.at("headers", h)
				switch {
				case oh == nil:
					w.emit(s, RuleHeaderAdded, hs.ptr, h, fmt.Sprintf("header %s added", h), vals{newLine: keyLine(nv, h)})
				case nh == nil:
					w.emit(s, RuleHeaderRemoved, hs.ptr, h, fmt.Sprintf("header %s removed", h), vals{oldLine: keyLine(ov, h)})
				case sameNode(oh, nh):
				case refOf(oh) != "" && refOf(oh) == refOf(nh):
				default:
					w.parameter(hs, w.o.deref(oh), w.n.deref(nh), h)
				}
			}
		case "content":
			w.content(s, o, n)
		case "description", "links", "summary":
			w.metadata(s, o, n, k)
		default:
			if strings.HasPrefix(k, "x-") {
				w.metadata(s, o, n, k)
				continue
			}
			w.emit(s, RuleOtherChanged, s.ptr+"/"+pointer.Escape(k), k, describe(k, ov, nv), keys(o, n, k))
		}
	}
}

// servers pairs server entries by URL.
func (w *walker) servers(s site, o, n *yaml.Node) {
	find := func(list *yaml.Node, url string) *yaml.Node {
		for _, e := range items(list) {
			if text(specnode.Get(e, "url")) == url {
				return e
			}
		}
		return nil
	}
	for _, e := range items(o) {
		url := text(specnode.Get(e, "url"))
		ne := find(n, url)
		if ne == nil {
			w.emit(s, RuleServerRemoved, s.ptr, url, fmt.Sprintf("server %s removed", url), vals{old: url, oldLine: line(e)})
			continue
		}
		if sameNode(e, ne) {
			continue
		}
		ov, nv := specnode.Get(e, "variables"), specnode.Get(ne, "variables")
		changed := false
		for _, name := range unionKeys(ov, nv) {
			a, b := specnode.Get(ov, name), specnode.Get(nv, name)
			if a == nil || b == nil || text(specnode.Get(a, "default")) != text(specnode.Get(b, "default")) || len(removedValues(specnode.Get(a, "enum"), specnode.Get(b, "enum"))) > 0 {
				changed = true
			}
		}
		if changed {
			w.emit(s, RuleServerChanged, s.ptr, url, fmt.Sprintf("server %s variables changed", url), vals{oldLine: line(e), newLine: line(ne)})
		} else {
			w.emit(s, RuleMetadataChanged, s.ptr, url, fmt.Sprintf("server %s description or variables documentation changed", url), vals{oldLine: line(e), newLine: line(ne)})
		}
	}
	for _, e := range items(n) {
		url := text(specnode.Get(e, "url"))
		if find(o, url) == nil {
			w.emit(s, RuleServerAdded, s.ptr, url, fmt.Sprintf("server %s added", url), vals{new: url, newLine: line(e)})
		}
	}
}

// removedValues lists the items of list a that list b lacks.
func removedValues(a, b *yaml.Node) []*yaml.Node {
	var out []*yaml.Node
	for _, x := range items(a) {
		found := false
		for _, y := range items(b) {
			if sameNode(x, y) {
				found = true
				break
			}
		}
		if !found {
			out = append(out, x)
		}
	}
	return out
}

// components compares components. Schemas, parameters, request bodies,
// responses and headers are compared at the source, once, and every
// operation reaching them through $refs is listed on the finding.
func (w *walker) components(s site, o, n *yaml.Node) {
	for _, kind := range unionKeys(o, n) {
		om, nm := specnode.Get(o, kind), specnode.Get(n, kind)
		if sameNode(om, nm) {
			continue
		}
		if strings.HasPrefix(kind, "x-") {
			w.metadata(s, o, n, kind)
			continue
		}
		for _, name := range unionKeys(om, nm) {
			ov, nv := specnode.Get(om, name), specnode.Get(nm, name)
			cs := s.at(kind, name)
			cs.comp = kind + "/" + name
			switch {
			case ov == nil:
				w.emit(cs, RuleComponentAdded, cs.ptr, name, fmt.Sprintf("%s %q added", singular(kind), name), vals{newLine: keyLine(nm, name)})
				continue
			case nv == nil:
				w.emit(cs, RuleComponentRemoved, cs.ptr, name, fmt.Sprintf("%s %q removed", singular(kind), name), vals{oldLine: keyLine(om, name)})
				continue
			case sameNode(ov, nv):
				continue
			}
			switch kind {
			case "schemas":
				w.schema(cs, ov, nv)
			case "parameters":
				w.parameter(cs, w.o.deref(ov), w.n.deref(nv), text(specnode.Get(w.n.deref(nv), "name")))
			case "headers":
				w.parameter(cs, w.o.deref(ov), w.n.deref(nv), name)
			case "requestBodies":
				w.requestBodyContent(cs, w.o.deref(ov), w.n.deref(nv))
			case "responses":
				w.response(cs, w.o.deref(ov), w.n.deref(nv))
			case "securitySchemes":
				w.securityScheme(cs, w.o.deref(ov), w.n.deref(nv))
			case "examples", "links":
				w.emit(cs, RuleMetadataChanged, cs.ptr, name, fmt.Sprintf("%s %q changed", singular(kind), name), nodes(ov, nv))
			default:
				w.emit(cs, RuleOtherChanged, cs.ptr, name, fmt.Sprintf("%s %q changed", singular(kind), name), nodes(ov, nv))
			}
		}
	}
}

func singular(kind string) string {
	switch kind {
	case "schemas":
		return "schema"
	case "requestBodies":
		return "request body"
	case "securitySchemes":
		return "security scheme"
	}
	return strings.TrimSuffix(kind, "s")
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// short keeps long values from flooding a one-line message.
func short(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 60 {
		return s[:57] + "..."
	}
	return s
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
