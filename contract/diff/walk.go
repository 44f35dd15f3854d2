package diff

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/pb33f/libopenapi/datamodel/low"
	lowbase "github.com/pb33f/libopenapi/datamodel/low/base"
	lowv3 "github.com/pb33f/libopenapi/datamodel/low/v3"
	"github.com/pb33f/libopenapi/what-changed/model"
)

// site is where in the document tree a change sits: the walker carries it
// down the what-changed tree, because a model.Change on its own only knows
// the name of the property that changed.
type site struct {
	ptr      string    // JSON pointer of the object holding the change
	path     string    // API path, or "webhook:NAME"; empty under components
	method   string    // upper-case method; empty for path-level and components
	dir      Direction // empty when the walk cannot tell (components, endpoints)
	comp     string    // component key ("schemas/customer") under components
	inverted bool      // inside a webhook or callback
}

func (s site) at(tokens ...string) site {
	for _, t := range tokens {
		s.ptr += "/" + escape(t)
	}
	return s
}

// event is one classified change before it becomes a Finding.
type event struct {
	site
	rule    string
	ptr     string
	subject string
	message string
	change  *model.Change
}

type walker struct {
	oldDoc, newDoc *rawDoc
	events         []event
}

func (w *walker) emit(s site, rule, ptr, subject, message string, c *model.Change) {
	w.events = append(w.events, event{site: s, rule: rule, ptr: ptr, subject: subject, message: message, change: c})
}

// document walks the root of the what-changed tree.
func (w *walker) document(dc *model.DocumentChanges) {
	if dc == nil {
		return
	}
	root := site{}
	if dc.PropertyChanges != nil {
		for _, c := range dc.Changes {
			switch c.Property {
			case "security":
				w.emit(root, RuleSecurityChanged, "/security", "", describe(c), c)
			case "servers":
				w.emit(root, RuleServerChanged, "/servers", "", describe(c), c)
			case "openapi", "jsonSchemaDialect", "$self", "info", "tags", "externalDocs":
				w.emit(root, RuleMetadataChanged, "/"+escape(c.Property), "", describe(c), c)
			default:
				w.emit(root, RuleOtherChanged, "/"+escape(c.Property), "", describe(c), c)
			}
		}
	}
	if dc.InfoChanges != nil {
		w.all(root.at("info"), RuleMetadataChanged, dc.InfoChanges.GetAllChanges())
	}
	for _, tc := range dc.TagChanges {
		w.all(root.at("tags"), RuleMetadataChanged, tc.GetAllChanges())
	}
	if dc.ExternalDocChanges != nil {
		w.all(root.at("externalDocs"), RuleMetadataChanged, dc.ExternalDocChanges.GetAllChanges())
	}
	if dc.ExtensionChanges != nil {
		w.all(root, RuleMetadataChanged, dc.ExtensionChanges.GetAllChanges())
	}
	for _, sc := range dc.ServerChanges {
		w.all(root.at("servers"), RuleServerChanged, sc.GetAllChanges())
	}
	for _, sc := range dc.SecurityRequirementChanges {
		w.all(root.at("security"), RuleSecurityChanged, sc.GetAllChanges())
	}
	if pc := dc.PathsChanges; pc != nil {
		s := root.at("paths")
		if pc.PropertyChanges != nil {
			for _, c := range pc.Changes {
				w.pathAddedOrRemoved(s, "paths", c)
			}
		}
		for _, p := range sortedKeys(pc.PathItemsChanges) {
			ps := s.at(p)
			ps.path = p
			w.pathItem(ps, pc.PathItemsChanges[p])
		}
		if pc.ExtensionChanges != nil {
			w.all(s, RuleMetadataChanged, pc.ExtensionChanges.GetAllChanges())
		}
	}
	for _, name := range sortedKeys(dc.WebhookChanges) {
		ws := root.at("webhooks", name)
		ws.path = "webhook:" + name
		ws.inverted = true
		w.pathItem(ws, dc.WebhookChanges[name])
	}
	w.components(root.at("components"), dc.ComponentsChanges)
}

// pathAddedOrRemoved turns a whole path appearing or vanishing into one
// endpoint finding per operation it holds, since clients call operations,
// not paths.
func (w *walker) pathAddedOrRemoved(s site, section string, c *model.Change) {
	p := c.Property
	var doc *rawDoc
	rule := RuleEndpointAdded
	switch c.ChangeType {
	case model.ObjectAdded, model.PropertyAdded:
		doc = w.newDoc
	case model.ObjectRemoved, model.PropertyRemoved:
		doc, rule = w.oldDoc, RuleEndpointRemoved
	default:
		w.emit(s, RuleOtherChanged, s.ptr+"/"+escape(p), "", describe(c), c)
		return
	}
	methods := doc.methodsOf(section, p)
	verb := "added"
	if rule == RuleEndpointRemoved {
		verb = "removed"
	}
	if len(methods) == 0 {
		ps := s.at(p)
		ps.path = p
		w.emit(ps, rule, ps.ptr, p, fmt.Sprintf("path %s %s", p, verb), c)
		return
	}
	for _, m := range methods {
		ps := s.at(p, m)
		ps.path, ps.method = p, strings.ToUpper(m)
		if section == "webhooks" {
			ps.path = "webhook:" + p
		}
		w.emit(ps, rule, ps.ptr, ps.method+" "+p, fmt.Sprintf("operation %s %s %s", ps.method, p, verb), c)
	}
}

func (w *walker) pathItem(s site, pic *model.PathItemChanges) {
	if pic == nil {
		return
	}
	if pic.PropertyChanges != nil {
		for _, c := range pic.Changes {
			switch {
			case httpMethods[c.Property]:
				os := s.at(c.Property)
				os.method = strings.ToUpper(c.Property)
				rule, verb := RuleEndpointAdded, "added"
				if c.ChangeType == model.PropertyRemoved || c.ChangeType == model.ObjectRemoved {
					rule, verb = RuleEndpointRemoved, "removed"
				}
				w.emit(os, rule, os.ptr, os.method+" "+s.path, fmt.Sprintf("operation %s %s %s", os.method, s.path, verb), c)
			case c.Property == "parameters":
				ps := s
				ps.dir = dirOf(Request, s.inverted)
				w.parameterSet(ps, c)
			case c.Property == "servers":
				w.emit(s, RuleServerChanged, s.ptr+"/servers", "", describe(c), c)
			case c.Property == "summary" || c.Property == "description":
				w.emit(s, RuleMetadataChanged, s.ptr+"/"+c.Property, "", describe(c), c)
			default:
				w.emit(s, RuleOtherChanged, s.ptr+"/"+escape(c.Property), "", describe(c), c)
			}
		}
	}
	ops := map[string]*model.OperationChanges{
		"get": pic.GetChanges, "put": pic.PutChanges, "post": pic.PostChanges,
		"delete": pic.DeleteChanges, "options": pic.OptionsChanges, "head": pic.HeadChanges,
		"patch": pic.PatchChanges, "trace": pic.TraceChanges, "query": pic.QueryChanges,
	}
	for m, oc := range pic.AdditionalOperationChanges {
		ops[m] = oc
	}
	for _, m := range sortedKeys(ops) {
		if ops[m] == nil {
			continue
		}
		os := s.at(m)
		os.method = strings.ToUpper(m)
		w.operation(os, ops[m])
	}
	for _, pc := range pic.ParameterChanges {
		ps := s
		ps.dir = dirOf(Request, s.inverted)
		w.parameter(ps.at("parameters", pc.Name), pc)
	}
	for _, sc := range pic.ServerChanges {
		w.all(s.at("servers"), RuleServerChanged, sc.GetAllChanges())
	}
	if pic.ExtensionChanges != nil {
		w.all(s, RuleMetadataChanged, pic.ExtensionChanges.GetAllChanges())
	}
}

func (w *walker) operation(s site, oc *model.OperationChanges) {
	req := s
	req.dir = dirOf(Request, s.inverted)
	if oc.PropertyChanges != nil {
		for _, c := range oc.Changes {
			switch c.Property {
			case "parameters":
				w.parameterSet(req, c)
			case "requestBody":
				w.requestBodyAddedOrRemoved(req, c)
			case "responses":
				w.emit(s, RuleOtherChanged, s.ptr+"/responses", "", describe(c), c)
			case "operationId":
				w.emit(s, RuleOperationIDChanged, s.ptr+"/operationId", "", describe(c), c)
			case "deprecated":
				w.emit(s, RuleDeprecated, s.ptr+"/deprecated", "", describe(c), c)
			case "security":
				w.emit(s, RuleSecurityChanged, s.ptr+"/security", "", describe(c), c)
			case "servers":
				w.emit(s, RuleServerChanged, s.ptr+"/servers", "", describe(c), c)
			case "callbacks":
				w.emit(s, RuleOtherChanged, s.ptr+"/callbacks", subjectOf(c), describe(c), c)
			case "tags", "summary", "description", "externalDocs":
				w.emit(s, RuleMetadataChanged, s.ptr+"/"+c.Property, "", describe(c), c)
			default:
				w.emit(s, RuleOtherChanged, s.ptr+"/"+escape(c.Property), "", describe(c), c)
			}
		}
	}
	for _, pc := range oc.ParameterChanges {
		w.parameter(req.at("parameters", pc.Name), pc)
	}
	if oc.RequestBodyChanges != nil {
		w.requestBody(req.at("requestBody"), oc.RequestBodyChanges)
	}
	if oc.ResponsesChanges != nil {
		rs := s
		rs.dir = dirOf(Response, s.inverted)
		w.responses(rs.at("responses"), oc.ResponsesChanges)
	}
	for _, sc := range oc.SecurityRequirementChanges {
		w.all(s.at("security"), RuleSecurityChanged, sc.GetAllChanges())
	}
	for _, sc := range oc.ServerChanges {
		w.all(s.at("servers"), RuleServerChanged, sc.GetAllChanges())
	}
	if oc.ExternalDocChanges != nil {
		w.all(s.at("externalDocs"), RuleMetadataChanged, oc.ExternalDocChanges.GetAllChanges())
	}
	if oc.ExtensionChanges != nil {
		w.all(s, RuleMetadataChanged, oc.ExtensionChanges.GetAllChanges())
	}
	for _, name := range sortedKeys(oc.CallbackChanges) {
		cc := oc.CallbackChanges[name]
		if cc == nil {
			continue
		}
		cs := s.at("callbacks", name)
		if cc.PropertyChanges != nil {
			w.all(cs, RuleOtherChanged, cc.Changes)
		}
		for _, expr := range sortedKeys(cc.ExpressionChanges) {
			// The callback's operations stay attributed to the operation
			// that registers them; only the direction flips.
			es := cs.at(expr)
			es.inverted = !s.inverted
			w.callbackPathItem(es, cc.ExpressionChanges[expr])
		}
	}
}

// callbackPathItem walks a callback's path item, keeping the registering
// operation as the finding's operation.
func (w *walker) callbackPathItem(s site, pic *model.PathItemChanges) {
	if pic == nil {
		return
	}
	if pic.PropertyChanges != nil {
		w.all(s, RuleOtherChanged, pic.Changes)
	}
	ops := map[string]*model.OperationChanges{
		"get": pic.GetChanges, "put": pic.PutChanges, "post": pic.PostChanges,
		"delete": pic.DeleteChanges, "patch": pic.PatchChanges,
	}
	for _, m := range sortedKeys(ops) {
		if ops[m] != nil {
			w.operation(s.at(m), ops[m])
		}
	}
}

// parameterSet handles parameters appearing or vanishing on an operation or
// path item: one at a time (ObjectAdded/Removed, named by the change) or a
// whole list where there was none (PropertyAdded/Removed).
func (w *walker) parameterSet(s site, c *model.Change) {
	switch c.ChangeType {
	case model.ObjectAdded:
		p, _ := c.NewObject.(*lowv3.Parameter)
		w.parameterAdded(s, c, p)
	case model.ObjectRemoved:
		name := c.Original
		if p, ok := c.OriginalObject.(*lowv3.Parameter); ok && p != nil {
			name = p.Name.Value
		}
		w.emit(s, RuleParameterRemoved, s.ptr+"/parameters/"+escape(name), name,
			fmt.Sprintf("parameter %q removed", name), c)
	case model.PropertyAdded:
		if ps, ok := c.NewObject.([]low.ValueReference[*lowv3.Parameter]); ok {
			for _, p := range ps {
				w.parameterAdded(s, c, p.Value)
			}
			return
		}
		w.emit(s, RuleOtherChanged, s.ptr+"/parameters", "", describe(c), c)
	case model.PropertyRemoved:
		if ps, ok := c.OriginalObject.([]low.ValueReference[*lowv3.Parameter]); ok {
			for _, p := range ps {
				if p.Value == nil {
					continue
				}
				name := p.Value.Name.Value
				w.emit(s, RuleParameterRemoved, s.ptr+"/parameters/"+escape(name), name,
					fmt.Sprintf("parameter %q removed", name), c)
			}
			return
		}
		w.emit(s, RuleParameterRemoved, s.ptr+"/parameters", "", "parameters removed", c)
	default:
		w.emit(s, RuleOtherChanged, s.ptr+"/parameters", "", describe(c), c)
	}
}

func (w *walker) parameterAdded(s site, c *model.Change, p *lowv3.Parameter) {
	if p == nil {
		w.emit(s, RuleOtherChanged, s.ptr+"/parameters", c.New, describe(c), c)
		return
	}
	name := p.Name.Value
	in := p.In.Value
	if p.Required.Value {
		w.emit(s, RuleRequiredParameterAdded, s.ptr+"/parameters/"+escape(name), name,
			fmt.Sprintf("required %s parameter %q added", in, name), c)
		return
	}
	w.emit(s, RuleParameterAdded, s.ptr+"/parameters/"+escape(name), name,
		fmt.Sprintf("optional %s parameter %q added", in, name), c)
}

func (w *walker) parameter(s site, pc *model.ParameterChanges) {
	if pc == nil {
		return
	}
	if pc.PropertyChanges != nil {
		for _, c := range pc.Changes {
			switch c.Property {
			case "required":
				w.requiredFlag(s, s.ptr+"/required", "parameter "+strconv.Quote(pc.Name), c)
			case "in":
				w.emit(s, RuleParameterLocationChanged, s.ptr+"/in", pc.Name, describe(c), c)
			case "style", "explode", "allowReserved", "allowEmptyValue":
				w.emit(s, RuleParameterStyleChanged, s.ptr+"/"+c.Property, pc.Name, describe(c), c)
			case "deprecated":
				w.emit(s, RuleDeprecated, s.ptr+"/deprecated", pc.Name, describe(c), c)
			case "schema":
				w.emit(s, RuleSchemaChanged, s.ptr+"/schema", pc.Name, describe(c), c)
			case "description", "example", "examples":
				w.emit(s, RuleMetadataChanged, s.ptr+"/"+c.Property, pc.Name, describe(c), c)
			default:
				w.emit(s, RuleOtherChanged, s.ptr+"/"+escape(c.Property), pc.Name, describe(c), c)
			}
		}
	}
	if pc.SchemaChanges != nil {
		w.schema(s.at("schema"), pc.SchemaChanges)
	}
	for _, mt := range sortedKeys(pc.ContentChanges) {
		w.mediaType(s.at("content", mt), pc.ContentChanges[mt])
	}
	for _, ec := range pc.ExamplesChanges {
		if ec != nil {
			w.all(s.at("examples"), RuleMetadataChanged, ec.GetAllChanges())
		}
	}
	if pc.ExtensionChanges != nil {
		w.all(s, RuleMetadataChanged, pc.ExtensionChanges.GetAllChanges())
	}
}

// requiredFlag judges a `required: true|false` flag flipping on a
// parameter, header or request body.
func (w *walker) requiredFlag(s site, ptr, what string, c *model.Change) {
	now := c.New == "true"
	was := c.Original == "true"
	switch {
	case now && !was:
		w.emit(s, RuleRequiredAdded, ptr, what, what+" became required", c)
	case was && !now:
		w.emit(s, RuleRequiredRemoved, ptr, what, what+" became optional", c)
	default:
		w.emit(s, RuleOtherChanged, ptr, what, describe(c), c)
	}
}

func (w *walker) requestBodyAddedOrRemoved(s site, c *model.Change) {
	ptr := s.ptr + "/requestBody"
	switch c.ChangeType {
	case model.PropertyAdded, model.ObjectAdded:
		if rb, ok := c.NewObject.(*lowv3.RequestBody); ok && rb != nil && rb.Required.Value {
			w.emit(s, RuleRequiredBodyAdded, ptr, "", "required request body added", c)
			return
		}
		w.emit(s, RuleRequestBodyAdded, ptr, "", "optional request body added", c)
	case model.PropertyRemoved, model.ObjectRemoved:
		w.emit(s, RuleRequestBodyRemoved, ptr, "", "request body removed", c)
	default:
		w.emit(s, RuleOtherChanged, ptr, "", describe(c), c)
	}
}

func (w *walker) requestBody(s site, rbc *model.RequestBodyChanges) {
	if rbc.PropertyChanges != nil {
		for _, c := range rbc.Changes {
			switch c.Property {
			case "required":
				w.requiredFlag(s, s.ptr+"/required", "request body", c)
			case "content":
				w.mediaTypeAddedOrRemoved(s, c)
			case "description":
				w.emit(s, RuleMetadataChanged, s.ptr+"/description", "", describe(c), c)
			default:
				w.emit(s, RuleOtherChanged, s.ptr+"/"+escape(c.Property), "", describe(c), c)
			}
		}
	}
	for _, mt := range sortedKeys(rbc.ContentChanges) {
		w.mediaType(s.at("content", mt), rbc.ContentChanges[mt])
	}
	if rbc.ExtensionChanges != nil {
		w.all(s, RuleMetadataChanged, rbc.ExtensionChanges.GetAllChanges())
	}
}

func (w *walker) mediaTypeAddedOrRemoved(s site, c *model.Change) {
	switch c.ChangeType {
	case model.ObjectAdded, model.PropertyAdded:
		w.emit(s, RuleMediaTypeAdded, s.ptr+"/content/"+escape(c.New), c.New,
			fmt.Sprintf("content type %s added", c.New), c)
	case model.ObjectRemoved, model.PropertyRemoved:
		w.emit(s, RuleMediaTypeRemoved, s.ptr+"/content/"+escape(c.Original), c.Original,
			fmt.Sprintf("content type %s removed", c.Original), c)
	default:
		w.emit(s, RuleOtherChanged, s.ptr+"/content", "", describe(c), c)
	}
}

func (w *walker) mediaType(s site, mtc *model.MediaTypeChanges) {
	if mtc == nil {
		return
	}
	if mtc.PropertyChanges != nil {
		for _, c := range mtc.Changes {
			switch c.Property {
			case "schema", "itemSchema":
				w.emit(s, RuleSchemaChanged, s.ptr+"/"+c.Property, "", describe(c), c)
			case "example", "examples":
				w.emit(s, RuleMetadataChanged, s.ptr+"/"+c.Property, "", describe(c), c)
			default:
				w.emit(s, RuleOtherChanged, s.ptr+"/"+escape(c.Property), "", describe(c), c)
			}
		}
	}
	if mtc.SchemaChanges != nil {
		w.schema(s.at("schema"), mtc.SchemaChanges)
	}
	if mtc.ItemSchemaChanges != nil {
		w.schema(s.at("itemSchema"), mtc.ItemSchemaChanges)
	}
	for _, name := range sortedKeys(mtc.ExampleChanges) {
		if ec := mtc.ExampleChanges[name]; ec != nil {
			w.all(s.at("examples", name), RuleMetadataChanged, ec.GetAllChanges())
		}
	}
	for _, enc := range [](map[string]*model.EncodingChanges){mtc.EncodingChanges, mtc.ItemEncodingChanges} {
		for _, name := range sortedKeys(enc) {
			if ec := enc[name]; ec != nil {
				w.all(s.at("encoding", name), RuleOtherChanged, ec.GetAllChanges())
			}
		}
	}
	if mtc.ExtensionChanges != nil {
		w.all(s, RuleMetadataChanged, mtc.ExtensionChanges.GetAllChanges())
	}
}

func (w *walker) responses(s site, rc *model.ResponsesChanges) {
	if rc.PropertyChanges != nil {
		for _, c := range rc.Changes {
			switch c.Property {
			case "codes", "default":
				code := c.New
				if c.Property == "default" {
					code = "default"
				}
				switch c.ChangeType {
				case model.ObjectAdded, model.PropertyAdded:
					w.emit(s, RuleResponseAdded, s.ptr+"/"+escape(code), code,
						fmt.Sprintf("response %s added", code), c)
				case model.ObjectRemoved, model.PropertyRemoved:
					if c.Property == "codes" {
						code = c.Original
					}
					rule := RuleResponseRemoved
					if successCode(code) {
						rule = RuleSuccessResponseRemoved
					}
					w.emit(s, rule, s.ptr+"/"+escape(code), code, fmt.Sprintf("response %s removed", code), c)
				default:
					w.emit(s, RuleOtherChanged, s.ptr, code, describe(c), c)
				}
			default:
				w.emit(s, RuleOtherChanged, s.ptr+"/"+escape(c.Property), "", describe(c), c)
			}
		}
	}
	for _, code := range sortedKeys(rc.ResponseChanges) {
		w.response(s.at(code), rc.ResponseChanges[code])
	}
	if rc.DefaultChanges != nil {
		w.response(s.at("default"), rc.DefaultChanges)
	}
	if rc.ExtensionChanges != nil {
		w.all(s, RuleMetadataChanged, rc.ExtensionChanges.GetAllChanges())
	}
}

// successCode reports whether clients depend on a response code being
// there: 2xx and 3xx codes, their ranges, and default.
func successCode(code string) bool {
	return code == "default" || strings.HasPrefix(code, "2") || strings.HasPrefix(code, "3")
}

func (w *walker) response(s site, rc *model.ResponseChanges) {
	if rc == nil {
		return
	}
	if rc.PropertyChanges != nil {
		for _, c := range rc.Changes {
			switch c.Property {
			case "content":
				w.mediaTypeAddedOrRemoved(s, c)
			case "headers":
				switch c.ChangeType {
				case model.ObjectAdded, model.PropertyAdded:
					w.emit(s, RuleHeaderAdded, s.ptr+"/headers/"+escape(c.New), c.New,
						fmt.Sprintf("header %s added", c.New), c)
				case model.ObjectRemoved, model.PropertyRemoved:
					w.emit(s, RuleHeaderRemoved, s.ptr+"/headers/"+escape(c.Original), c.Original,
						fmt.Sprintf("header %s removed", c.Original), c)
				default:
					w.emit(s, RuleOtherChanged, s.ptr+"/headers", "", describe(c), c)
				}
			case "description", "links", "summary":
				w.emit(s, RuleMetadataChanged, s.ptr+"/"+c.Property, "", describe(c), c)
			default:
				w.emit(s, RuleOtherChanged, s.ptr+"/"+escape(c.Property), "", describe(c), c)
			}
		}
	}
	for _, name := range sortedKeys(rc.HeadersChanges) {
		w.header(s.at("headers", name), name, rc.HeadersChanges[name])
	}
	for _, mt := range sortedKeys(rc.ContentChanges) {
		w.mediaType(s.at("content", mt), rc.ContentChanges[mt])
	}
	for _, name := range sortedKeys(rc.LinkChanges) {
		if lc := rc.LinkChanges[name]; lc != nil {
			w.all(s.at("links", name), RuleMetadataChanged, lc.GetAllChanges())
		}
	}
	if rc.ExtensionChanges != nil {
		w.all(s, RuleMetadataChanged, rc.ExtensionChanges.GetAllChanges())
	}
}

func (w *walker) header(s site, name string, hc *model.HeaderChanges) {
	if hc == nil {
		return
	}
	if hc.PropertyChanges != nil {
		for _, c := range hc.Changes {
			switch c.Property {
			case "required":
				w.requiredFlag(s, s.ptr+"/required", "header "+name, c)
			case "deprecated":
				w.emit(s, RuleDeprecated, s.ptr+"/deprecated", name, describe(c), c)
			case "description", "example", "examples":
				w.emit(s, RuleMetadataChanged, s.ptr+"/"+c.Property, name, describe(c), c)
			case "style", "explode":
				w.emit(s, RuleParameterStyleChanged, s.ptr+"/"+c.Property, name, describe(c), c)
			case "schema":
				w.emit(s, RuleSchemaChanged, s.ptr+"/schema", name, describe(c), c)
			default:
				w.emit(s, RuleOtherChanged, s.ptr+"/"+escape(c.Property), name, describe(c), c)
			}
		}
	}
	if hc.SchemaChanges != nil {
		w.schema(s.at("schema"), hc.SchemaChanges)
	}
	for _, mt := range sortedKeys(hc.ContentChanges) {
		w.mediaType(s.at("content", mt), hc.ContentChanges[mt])
	}
	for _, ec := range hc.ExamplesChanges {
		if ec != nil {
			w.all(s.at("examples"), RuleMetadataChanged, ec.GetAllChanges())
		}
	}
	if hc.ExtensionChanges != nil {
		w.all(s, RuleMetadataChanged, hc.ExtensionChanges.GetAllChanges())
	}
}

// components walks components: schemas and security schemes are compared
// at the source by what-changed (everything else is compared inline where
// it is used, and only additions and removals show here).
func (w *walker) components(s site, cc *model.ComponentsChanges) {
	if cc == nil {
		return
	}
	if cc.PropertyChanges != nil {
		for _, c := range cc.Changes {
			kind := c.Property
			switch c.ChangeType {
			case model.ObjectAdded, model.PropertyAdded:
				cs := s.at(kind, c.New)
				w.emit(cs, RuleComponentAdded, cs.ptr, c.New, fmt.Sprintf("%s %q added", singular(kind), c.New), c)
			case model.ObjectRemoved, model.PropertyRemoved:
				cs := s.at(kind, c.Original)
				w.emit(cs, RuleComponentRemoved, cs.ptr, c.Original, fmt.Sprintf("%s %q removed", singular(kind), c.Original), c)
			default:
				w.emit(s, RuleOtherChanged, s.ptr+"/"+escape(kind), "", describe(c), c)
			}
		}
	}
	for _, name := range sortedKeys(cc.SchemaChanges) {
		cs := s.at("schemas", name)
		cs.comp = "schemas/" + name
		w.schema(cs, cc.SchemaChanges[name])
	}
	for _, name := range sortedKeys(cc.SecuritySchemeChanges) {
		if sc := cc.SecuritySchemeChanges[name]; sc != nil {
			w.all(s.at("securitySchemes", name), RuleSecuritySchemeChanged, sc.GetAllChanges())
		}
	}
	if cc.ExtensionChanges != nil {
		w.all(s, RuleMetadataChanged, cc.ExtensionChanges.GetAllChanges())
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

// all emits every change with one rule, each at the object's pointer plus
// the property name.
func (w *walker) all(s site, rule string, cs []*model.Change) {
	for _, c := range cs {
		if c == nil {
			continue
		}
		ptr := s.ptr
		if c.Property != "" {
			ptr += "/" + escape(c.Property)
		}
		w.emit(s, rule, ptr, subjectOf(c), describe(c), c)
	}
}

func subjectOf(c *model.Change) string {
	if c.New != "" {
		return c.New
	}
	return c.Original
}

// describe renders a change libopenapi reported in words, for rules that
// have no better sentence of their own.
func describe(c *model.Change) string {
	old, nw := short(c.Original), short(c.New)
	switch c.ChangeType {
	case model.PropertyAdded, model.ObjectAdded:
		if nw != "" {
			return fmt.Sprintf("%s added: %s", c.Property, nw)
		}
		return c.Property + " added"
	case model.PropertyRemoved, model.ObjectRemoved:
		if old != "" {
			return fmt.Sprintf("%s removed (was %s)", c.Property, old)
		}
		return c.Property + " removed"
	default:
		if old != "" || nw != "" {
			return fmt.Sprintf("%s changed from %s to %s", c.Property, orNone(old), orNone(nw))
		}
		return c.Property + " changed"
	}
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// short keeps long descriptions from flooding a one-line message.
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

// lowSchema returns the low-level schema a what-changed schema change
// carries as its original or new object, if any.
func lowSchema(o any) *lowbase.Schema {
	switch v := o.(type) {
	case *lowbase.Schema:
		return v
	case *lowbase.SchemaProxy:
		if v != nil {
			return v.Schema()
		}
	}
	return nil
}
