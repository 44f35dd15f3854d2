package lint

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/pb33f/libopenapi"
	"github.com/pb33f/libopenapi-validator/config"
	"github.com/pb33f/libopenapi-validator/schema_validation"
	"github.com/pb33f/libopenapi/datamodel"
	"github.com/pb33f/libopenapi/datamodel/high/base"
	v3high "github.com/pb33f/libopenapi/datamodel/high/v3"
	"github.com/pb33f/libopenapi/orderedmap"
	"github.com/reconkit/reconkit/contract/pointer"
	"github.com/reconkit/reconkit/contract/specnode"
	"gopkg.in/yaml.v3"
)

// Severities.
const (
	Error   = "error"
	Warning = "warning"
)

// Rule ids. They are stable: CI dashboards and SARIF consumers refer to them.
const (
	RuleBuildError           = "build-error"
	RuleCircularReference    = "circular-reference"
	RuleRefUnresolved        = "ref-unresolved"
	RuleRefExternal          = "ref-external"
	RulePathQueryString      = "path-query-string"
	RuleSecuritySchemeType   = "security-scheme-unknown-type"
	RuleSecuritySchemeFields = "security-scheme-incomplete"
	RuleNoSuccessResponse    = "success-response-missing"
	RuleOperationIDMissing   = "operation-id-missing"
	RuleOperationIDDuplicate = "operation-id-duplicate"
	RuleExampleInvalid       = "example-invalid"
	RulePathInvalid          = "path-invalid"
	RulePathConflict         = "path-conflict"
	RulePathParamMismatch    = "path-parameter-mismatch"
	RulePathParamRequired    = "path-parameter-not-required"
	RuleParamDuplicate       = "parameter-duplicate"
	RuleParamIn              = "parameter-in-invalid"
	RulePatternInvalid       = "schema-pattern-invalid"
	RuleTypeUnknown          = "schema-type-unknown"
	RuleServerURL            = "server-url-invalid"
	RuleOnly31               = "openapi-3.1-only"
	RuleInfoIncomplete       = "info-incomplete"
)

// Rule describes one lint rule.
type Rule struct {
	ID       string
	Severity string
	Summary  string
}

// Rules lists every rule, in the order the documentation shows them.
var Rules = []Rule{
	{RuleExampleInvalid, Error, "An example (media type, parameter, header or schema example) does not validate against its own schema, formats included."},
	{RuleInfoIncomplete, Error, "info lacks its title or version."},
	{RulePathInvalid, Error, "A path key does not start with `/`."},
	{RulePathConflict, Error, "Two paths differ only in their parameter names (`/pets/{id}` and `/pets/{name}`): one URL, two operations."},
	{RulePathParamMismatch, Error, "An operation lacks a parameter for a `{name}` of its path, or declares a path parameter its path does not have."},
	{RulePathParamRequired, Error, "A path parameter is not `required: true`."},
	{RuleParamDuplicate, Error, "A parameter list declares the same name and location twice."},
	{RuleParamIn, Error, "A parameter's `in` is not query, header, path or cookie."},
	{RulePatternInvalid, Error, "A schema's `pattern` is not a valid regular expression (ECMA-262 lookaround and backreferences are accepted)."},
	{RuleTypeUnknown, Error, "A schema's `type` is not string, number, integer, boolean, array, object (or null in 3.1)."},
	{RuleServerURL, Error, "A server URL has unbalanced braces, or a `{variable}` its variables do not define."},
	{RuleOnly31, Error, "A 3.1-only keyword or field (const, prefixItems, if/then/else, type lists, numeric exclusiveMaximum, webhooks, info.summary, ...) in a 3.0 document, whose tools ignore it."},
	{RulePathQueryString, Error, "A path key holds a query string (`/payment?session_id={id}`); query parameters belong in `parameters`."},
	{RuleSecuritySchemeType, Error, "A security scheme's type is not apiKey, http, oauth2, openIdConnect or mutualTLS."},
	{RuleSecuritySchemeFields, Error, "A security scheme lacks a field its type requires (apiKey: name and in; http: scheme; oauth2: flows; openIdConnect: openIdConnectUrl)."},
	{RuleRefUnresolved, Error, "A local $ref points at nothing in the document."},
	{RuleRefExternal, Warning, "A $ref points outside the document; lint reads one file and does not follow it."},
	{RuleNoSuccessResponse, Warning, "An operation declares no 1xx, 2xx or 3xx response."},
	{RuleOperationIDMissing, Warning, "An operation has no operationId."},
	{RuleOperationIDDuplicate, Error, "Two operations share an operationId."},
	{RuleCircularReference, Warning, "A schema refers to itself through required properties, so no finite value can satisfy it (libopenapi's circular reference check)."},
	{RuleBuildError, Error, "libopenapi could not build part of the document."},
}

var ruleByID = func() map[string]Rule {
	m := map[string]Rule{}
	for _, r := range Rules {
		m[r.ID] = r
	}
	return m
}()

// Finding is one problem in the document.
type Finding struct {
	Rule     string `json:"rule"`
	Severity string `json:"severity"`
	Message  string `json:"message"`
	// Location is the JSON pointer of the problem in the document.
	Location string `json:"location"`
	Line     int    `json:"line"`
	// Cause names the root cause the finding shares with others: the same
	// field failing the same way in many examples is one cause.
	Cause string `json:"cause"`
}

// Cause is a group of findings with one root cause, as the console and
// Markdown reports show them: the count and the first location.
type Cause struct {
	Rule     string `json:"rule"`
	Severity string `json:"severity"`
	Cause    string `json:"cause"`
	Count    int    `json:"count"`
	// First is the first finding of the group, in document order.
	Line     int    `json:"line"`
	Location string `json:"location"`
	Message  string `json:"message"`
}

// Summary counts findings by severity.
type Summary struct {
	Errors   int `json:"errors"`
	Warnings int `json:"warnings"`
	// Causes counts the distinct root causes of the findings.
	Causes int `json:"causes"`
}

// Report is the result of linting one document.
type Report struct {
	Name     string    `json:"name"`
	Summary  Summary   `json:"summary"`
	Findings []Finding `json:"findings"`
	// Causes groups the findings by root cause, in order of first line.
	Causes []Cause `json:"causes"`
}

// Failed reports whether any finding is an error.
func (r *Report) Failed() bool { return r.Summary.Errors > 0 }

// linter collects findings for one document.
type linter struct {
	name     string
	version  float32
	raw      *yaml.Node
	model    *v3high.Document
	findings []Finding
	// examples already validated, by line and column: a component used
	// in many places is one example, checked once.
	seen      map[[2]int]bool
	validator schema_validation.SchemaValidator
	// exampleNodes finds the plain YAML node at a line and column, to
	// point a failure at the failing value inside an example.
	exampleNodes map[[2]int]*yaml.Node
	opIDs        map[string][]string
}

func (l *linter) add(rule, msg, loc string, line int) {
	l.addCause(rule, msg, loc, line, "")
}

// addCause adds a finding with its root cause; an empty cause is the
// message with its quoted values blanked.
func (l *linter) addCause(rule, msg, loc string, line int, cause string) {
	if cause == "" {
		cause = normalize(msg)
	}
	l.findings = append(l.findings, Finding{Rule: rule, Severity: ruleByID[rule].Severity, Message: msg, Location: loc, Line: line, Cause: cause})
}

var (
	quotedDouble = regexp.MustCompile(`"[^"]*"`)
	quotedSingle = regexp.MustCompile(`'[^']*'`)
	gotNumber    = regexp.MustCompile(`got -?[0-9][0-9.eE+-]*`)
)

// normalize blanks the values in a message, so findings that differ only
// in them share a cause.
func normalize(msg string) string {
	msg = quotedDouble.ReplaceAllString(msg, `"…"`)
	msg = quotedSingle.ReplaceAllString(msg, `'…'`)
	return gotNumber.ReplaceAllString(msg, "got …")
}

// group builds the report's causes from its findings.
func (r *Report) group() {
	r.Causes = []Cause{}
	idx := map[[2]string]int{}
	for _, f := range r.Findings {
		k := [2]string{f.Rule, f.Cause}
		if i, ok := idx[k]; ok {
			r.Causes[i].Count++
			continue
		}
		idx[k] = len(r.Causes)
		r.Causes = append(r.Causes, Cause{Rule: f.Rule, Severity: f.Severity, Cause: f.Cause, Count: 1, Line: f.Line, Location: f.Location, Message: f.Message})
	}
}

// Run lints one OpenAPI 3.0 or 3.1 document. It returns an error only when
// the document is not YAML or JSON, or not OpenAPI 3; every other problem,
// including those libopenapi meets building its model, is a finding, and
// the checks go on with whatever part of the model was built.
func Run(spec []byte, name string) (*Report, error) {
	l := &linter{name: name, seen: map[[2]int]bool{}, exampleNodes: map[[2]int]*yaml.Node{}, opIDs: map[string][]string{}}
	var root yaml.Node
	if err := yaml.Unmarshal(spec, &root); err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(root.Content) == 0 || root.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("read %s: not an OpenAPI document (want a map at the top)", name)
	}
	l.raw = root.Content[0]
	ver := specnode.Get(l.raw, "openapi")
	if ver == nil || !strings.HasPrefix(ver.Value, "3.") {
		return nil, fmt.Errorf("read %s: only OpenAPI 3.0 and 3.1 documents can be linted (no openapi: 3.x field)", name)
	}
	l.version = 3.1
	if strings.HasPrefix(ver.Value, "3.0") {
		l.version = 3.0
	}

	l.scanRaw()
	l.structure()

	cfg := datamodel.NewDocumentConfiguration()
	cfg.AllowRemoteReferences = false
	cfg.AllowFileReferences = false
	// libopenapi logs what it cannot resolve; lint reports it instead.
	cfg.Logger = slog.New(slog.DiscardHandler)
	doc, err := libopenapi.NewDocumentWithConfiguration(spec, cfg)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	m, buildErr := doc.BuildV3Model()
	if buildErr != nil {
		l.buildErrors(buildErr)
	}
	if m != nil {
		l.model = &m.Model
		l.validator = schema_validation.NewSchemaValidatorWithLogger(slog.New(slog.DiscardHandler), config.WithFormatAssertions())
		l.checkModel()
		l.xWebhooks()
	}
	l.duplicateOperationIDs()

	// Validation of a oneOf reports a failing value once per branch it
	// fails in; the same message at the same place is one finding.
	rep := &Report{Name: name, Findings: []Finding{}}
	seen := map[Finding]bool{}
	for _, f := range l.findings {
		if !seen[f] {
			seen[f] = true
			rep.Findings = append(rep.Findings, f)
		}
	}
	sort.SliceStable(rep.Findings, func(i, j int) bool {
		a, b := rep.Findings[i], rep.Findings[j]
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Rule < b.Rule
	})
	for _, f := range rep.Findings {
		if f.Severity == Error {
			rep.Summary.Errors++
		} else {
			rep.Summary.Warnings++
		}
	}
	rep.group()
	rep.Summary.Causes = len(rep.Causes)
	return rep, nil
}

var lineCol = regexp.MustCompile(`\[(\d+):(\d+)\]\s*$`)

// buildErrors turns libopenapi's build errors into findings. Unresolved
// references are left to the raw $ref check, which names the pointer.
func (l *linter) buildErrors(err error) {
	for _, msg := range strings.Split(err.Error(), "\n") {
		msg = strings.TrimSpace(msg)
		if msg == "" {
			continue
		}
		low := strings.ToLower(msg)
		if strings.Contains(low, "cannot resolve reference") || strings.Contains(low, "unable to locate reference") ||
			strings.Contains(low, "component") && strings.Contains(low, "does not exist") {
			continue
		}
		line := 0
		if m := lineCol.FindStringSubmatch(msg); m != nil {
			line, _ = strconv.Atoi(m[1])
		}
		rule := RuleBuildError
		if strings.Contains(low, "circular reference") {
			rule = RuleCircularReference
		}
		l.add(rule, msg, "", line)
	}
}

func ptr(tokens ...string) string {
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		b.WriteString(pointer.Escape(t))
	}
	return b.String()
}

var knownSchemeTypes = map[string][]string{
	"apiKey":        {"name", "in"},
	"http":          {"scheme"},
	"oauth2":        {"flows"},
	"openIdConnect": {"openIdConnectUrl"},
	"mutualTLS":     nil,
}

var httpMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// scanRaw checks what libopenapi's model drops or keeps without judging:
// path keys, security scheme types and fields, and every $ref.
func (l *linter) scanRaw() {
	if paths := specnode.Get(l.raw, "paths"); paths != nil && paths.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(paths.Content); i += 2 {
			k := paths.Content[i]
			if before, query, ok := strings.Cut(k.Value, "?"); ok {
				l.add(RulePathQueryString, fmt.Sprintf("path %q holds a query string (?%s); declare the query parameters under parameters and use the path %q", k.Value, query, before),
					ptr("paths", k.Value), k.Line)
			}
		}
	}
	l.operations()
	schemes := specnode.Get(specnode.Get(l.raw, "components"), "securitySchemes")
	if schemes != nil && schemes.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(schemes.Content); i += 2 {
			name, s := schemes.Content[i], specnode.Alias(schemes.Content[i+1])
			if s.Kind != yaml.MappingNode || specnode.Get(s, "$ref") != nil {
				continue
			}
			loc := ptr("components", "securitySchemes", name.Value)
			t := specnode.Get(s, "type")
			if t == nil {
				l.add(RuleSecuritySchemeFields, fmt.Sprintf("security scheme %q has no type", name.Value), loc, name.Line)
				continue
			}
			required, ok := knownSchemeTypes[t.Value]
			if !ok {
				l.add(RuleSecuritySchemeType, fmt.Sprintf("security scheme %q has type %q; OpenAPI knows apiKey, http, oauth2, openIdConnect and mutualTLS (a request signature is usually an apiKey header)", name.Value, t.Value),
					loc+"/type", t.Line)
				continue
			}
			var missing []string
			for _, f := range required {
				if specnode.Get(s, f) == nil {
					missing = append(missing, f)
				}
			}
			if len(missing) > 0 {
				l.add(RuleSecuritySchemeFields, fmt.Sprintf("security scheme %q of type %s lacks %s", name.Value, t.Value, strings.Join(missing, " and ")), loc, name.Line)
			}
		}
	}
	var path []string
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				if k.Value == "$ref" && v.Kind == yaml.ScalarNode {
					l.checkRef(ptr(path...), v)
				}
				switch k.Value {
				case "example", "examples", "value":
					l.indexExample(v)
				}
				path = append(path, k.Value)
				walk(v)
				path = path[:len(path)-1]
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				path = append(path, strconv.Itoa(i))
				walk(c)
				path = path[:len(path)-1]
			}
		}
	}
	walk(l.raw)
}

// indexExample remembers where the nodes of an example are, so a failing
// value can be reported at its own line.
func (l *linter) indexExample(n *yaml.Node) {
	if n.Kind != yaml.MappingNode && n.Kind != yaml.SequenceNode {
		return
	}
	l.exampleNodes[[2]int{n.Line, n.Column}] = n
}

func (l *linter) checkRef(loc string, v *yaml.Node) {
	ref := v.Value
	if !strings.HasPrefix(ref, "#") {
		l.add(RuleRefExternal, fmt.Sprintf("$ref %q points outside the document and was not checked", ref), loc, v.Line)
		return
	}
	if specnode.Resolve(l.raw, strings.TrimPrefix(ref, "#")) == nil {
		l.add(RuleRefUnresolved, fmt.Sprintf("$ref %q points at nothing in the document", ref), loc, v.Line)
	}
}

// operations checks operationIds and success responses on the plain
// YAML: the model drops a path item it cannot build, and these checks
// should not depend on an unrelated schema building.
func (l *linter) operations() {
	for _, section := range []string{"paths", "webhooks", "x-webhooks"} {
		items := specnode.Get(l.raw, section)
		if items == nil || items.Kind != yaml.MappingNode {
			continue
		}
		for i := 0; i+1 < len(items.Content); i += 2 {
			key, pi := items.Content[i].Value, items.Content[i+1]
			for _, method := range httpMethods {
				opKey, op := specnode.Key(pi, method)
				if op == nil || op.Kind != yaml.MappingNode {
					continue
				}
				loc := ptr(section, key, method)
				what := strings.ToUpper(method) + " " + key
				if section != "paths" {
					what = "webhook " + key + " " + strings.ToUpper(method)
				}
				idv := ""
				if id := specnode.Get(op, "operationId"); id != nil {
					idv = id.Value
				}
				l.noteOperationID(idv, loc, opKey.Line, what)
				// A webhook's responses are the receiver's business.
				if section != "paths" {
					continue
				}
				success := false
				if rs := specnode.Get(op, "responses"); rs != nil && rs.Kind == yaml.MappingNode {
					for j := 0; j < len(rs.Content); j += 2 {
						if c := rs.Content[j].Value; c != "" && c[0] >= '1' && c[0] <= '3' {
							success = true
						}
					}
				}
				if !success {
					l.add(RuleNoSuccessResponse, what+" declares no success (1xx, 2xx or 3xx) response", loc+"/responses", opKey.Line)
				}
			}
		}
	}
}

// noteOperationID records an operationId for the duplicate check, or
// reports its absence.
func (l *linter) noteOperationID(id, loc string, line int, what string) {
	if id == "" {
		l.add(RuleOperationIDMissing, what+" has no operationId", loc, line)
		return
	}
	l.opIDs[id] = append(l.opIDs[id], fmt.Sprintf("%s\x00%d\x00%s", loc, line, what))
}

func (l *linter) duplicateOperationIDs() {
	for _, id := range sortedKeys(l.opIDs) {
		uses := l.opIDs[id]
		if len(uses) < 2 {
			continue
		}
		var whats []string
		for _, u := range uses {
			whats = append(whats, strings.SplitN(u, "\x00", 3)[2])
		}
		for _, u := range uses[1:] {
			parts := strings.SplitN(u, "\x00", 3)
			line, _ := strconv.Atoi(parts[1])
			l.add(RuleOperationIDDuplicate, fmt.Sprintf("operationId %q is used by %s", id, strings.Join(whats, " and ")), parts[0], line)
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// checkModel walks operations, webhooks and components of the built model.
func (l *linter) checkModel() {
	doc := l.model
	if doc.Paths != nil && doc.Paths.PathItems != nil {
		for p, pi := range doc.Paths.PathItems.FromOldest() {
			l.pathItem(pi, "paths", p)
		}
	}
	if doc.Webhooks != nil {
		for name, pi := range doc.Webhooks.FromOldest() {
			l.pathItem(pi, "webhooks", name)
		}
	}
	if c := doc.Components; c != nil {
		if c.Schemas != nil {
			for name, sp := range c.Schemas.FromOldest() {
				l.schemaExamples(sp, ptr("components", "schemas", name), 0)
			}
		}
		if c.Parameters != nil {
			for name, p := range c.Parameters.FromOldest() {
				l.parameter(p, ptr("components", "parameters", name))
			}
		}
		if c.RequestBodies != nil {
			for name, rb := range c.RequestBodies.FromOldest() {
				l.content(rb.Content, ptr("components", "requestBodies", name))
			}
		}
		if c.Responses != nil {
			for name, r := range c.Responses.FromOldest() {
				l.response(r, ptr("components", "responses", name))
			}
		}
		if c.Headers != nil {
			for name, h := range c.Headers.FromOldest() {
				l.header(h, ptr("components", "headers", name))
			}
		}
	}
}

func (l *linter) pathItem(pi *v3high.PathItem, section, key string) {
	if pi == nil {
		return
	}
	base := ptr(section, key)
	for i, p := range pi.Parameters {
		l.parameter(p, base+"/parameters/"+strconv.Itoa(i))
	}
	for method, op := range pi.GetOperations().FromOldest() {
		loc := base + "/" + method
		for i, p := range op.Parameters {
			l.parameter(p, loc+"/parameters/"+strconv.Itoa(i))
		}
		if op.RequestBody != nil {
			l.content(op.RequestBody.Content, loc+"/requestBody")
		}
		if op.Responses != nil {
			if op.Responses.Codes != nil {
				for code, r := range op.Responses.Codes.FromOldest() {
					l.response(r, loc+"/responses/"+pointer.Escape(code))
				}
			}
			if op.Responses.Default != nil {
				l.response(op.Responses.Default, loc+"/responses/default")
			}
		}
	}
}

func (l *linter) parameter(p *v3high.Parameter, loc string) {
	if p == nil {
		return
	}
	if p.Schema != nil {
		sch := p.Schema.Schema()
		if p.Example != nil {
			l.validateExample(sch, p.Example, loc+"/example")
		}
		if p.Examples != nil {
			for name, ex := range p.Examples.FromOldest() {
				if ex != nil && ex.Value != nil {
					l.validateExample(sch, ex.Value, loc+"/examples/"+pointer.Escape(name)+"/value")
				}
			}
		}
		l.schemaExamples(p.Schema, loc+"/schema", 0)
	}
	l.content(p.Content, loc)
}

func (l *linter) header(h *v3high.Header, loc string) {
	if h == nil {
		return
	}
	if h.Schema != nil {
		sch := h.Schema.Schema()
		if h.Example != nil {
			l.validateExample(sch, h.Example, loc+"/example")
		}
		if h.Examples != nil {
			for name, ex := range h.Examples.FromOldest() {
				if ex != nil && ex.Value != nil {
					l.validateExample(sch, ex.Value, loc+"/examples/"+pointer.Escape(name)+"/value")
				}
			}
		}
	}
	l.content(h.Content, loc)
}

func (l *linter) response(r *v3high.Response, loc string) {
	if r == nil {
		return
	}
	if r.Headers != nil {
		for name, h := range r.Headers.FromOldest() {
			l.header(h, loc+"/headers/"+pointer.Escape(name))
		}
	}
	l.content(r.Content, loc)
}

// content validates each media type's examples against its schema.
func (l *linter) content(c *orderedmap.Map[string, *v3high.MediaType], loc string) {
	if c == nil {
		return
	}
	for mt, m := range c.FromOldest() {
		if m == nil || m.Schema == nil {
			continue
		}
		if !jsonMediaType(mt) {
			continue
		}
		mloc := loc + "/content/" + pointer.Escape(mt)
		sch := m.Schema.Schema()
		if m.Example != nil {
			l.validateExample(sch, m.Example, mloc+"/example")
		}
		if m.Examples != nil {
			for name, ex := range m.Examples.FromOldest() {
				if ex != nil && ex.Value != nil {
					l.validateExample(sch, ex.Value, mloc+"/examples/"+pointer.Escape(name)+"/value")
				}
			}
		}
		l.schemaExamples(m.Schema, mloc+"/schema", 0)
	}
}

// jsonMediaType reports whether examples of a media type are JSON values
// a JSON schema can judge: form and XML bodies have their own encodings.
func jsonMediaType(mt string) bool {
	mt = strings.ToLower(strings.TrimSpace(strings.SplitN(mt, ";", 2)[0]))
	return mt == "application/json" || strings.HasSuffix(mt, "+json") || mt == "*/*" || mt == "text/json"
}

// schemaExamples validates example and examples written inside a schema,
// and in its inline subschemas; referenced schemas are checked where they
// are defined, under components.
func (l *linter) schemaExamples(sp *base.SchemaProxy, loc string, depth int) {
	if sp == nil || sp.IsReference() || depth > 64 {
		return
	}
	sch := sp.Schema()
	if sch == nil {
		return
	}
	if sch.Example != nil {
		l.validateExample(sch, sch.Example, loc+"/example")
	}
	for i, ex := range sch.Examples {
		l.validateExample(sch, ex, loc+"/examples/"+strconv.Itoa(i))
	}
	if sch.Properties != nil {
		for name, p := range sch.Properties.FromOldest() {
			l.schemaExamples(p, loc+"/properties/"+pointer.Escape(name), depth+1)
		}
	}
	if sch.Items != nil && sch.Items.IsA() {
		l.schemaExamples(sch.Items.A, loc+"/items", depth+1)
	}
	if sch.AdditionalProperties != nil && sch.AdditionalProperties.IsA() {
		l.schemaExamples(sch.AdditionalProperties.A, loc+"/additionalProperties", depth+1)
	}
	for key, list := range map[string][]*base.SchemaProxy{"allOf": sch.AllOf, "anyOf": sch.AnyOf, "oneOf": sch.OneOf} {
		for i, s := range list {
			l.schemaExamples(s, loc+"/"+key+"/"+strconv.Itoa(i), depth+1)
		}
	}
}

// exampleNode is what an example is in the model: a YAML node of the
// parser libopenapi uses. Only its position and value are needed.
type exampleNode interface {
	Decode(v any) error
}

// validateExample checks one example against a schema. The compiled
// schema is cached by the validator per schema, so each distinct schema
// is compiled once and only if an example uses it.
func (l *linter) validateExample(sch *base.Schema, ex exampleNode, loc string) {
	if sch == nil || ex == nil {
		return
	}
	line, col := position(ex)
	key := [2]int{line, col}
	if line > 0 {
		if l.seen[key] {
			return
		}
		l.seen[key] = true
	}
	var v any
	if err := ex.Decode(&v); err != nil {
		l.add(RuleExampleInvalid, fmt.Sprintf("example cannot be read: %v", err), loc, line)
		return
	}
	payload, err := json.Marshal(specnode.StringKeys(v))
	if err != nil {
		l.add(RuleExampleInvalid, fmt.Sprintf("example is not a JSON value: %v", err), loc, line)
		return
	}
	ok, errs := l.validator.ValidateSchemaBytesWithVersion(sch, payload, l.version)
	if ok {
		return
	}
	raw := l.exampleNodes[key]
	reported := false
	for _, ve := range errs {
		for _, f := range ve.SchemaValidationErrors {
			at, atLine := loc, line
			if len(f.InstancePath) > 0 {
				at = loc + ptr(f.InstancePath...)
				if n := locate(raw, f.InstancePath); n != nil {
					atLine = n.Line
				}
			}
			msg := "example does not match its schema: " + f.Reason
			if len(f.InstancePath) > 0 {
				msg = fmt.Sprintf("example value at %s does not match its schema: %s", ptr(f.InstancePath...), f.Reason)
			}
			l.addCause(RuleExampleInvalid, msg, at, atLine, exampleCause(f.InstancePath, f.KeywordLocation, f.Reason))
			reported = true
		}
		if len(ve.SchemaValidationErrors) == 0 {
			l.add(RuleExampleInvalid, fmt.Sprintf("example does not match its schema: %s", ve.Reason), loc, line)
			reported = true
		}
	}
	if !reported {
		l.add(RuleExampleInvalid, "example does not match its schema", loc, line)
	}
}

// exampleCause names what an example failure comes from: the field that
// fails (its name, array positions left out), the schema keyword it fails
// and the reason with its values blanked. The same field failing the same
// way in a hundred examples is one cause to fix.
func exampleCause(instance []string, keyword, reason string) string {
	field := "the example"
	for i := len(instance) - 1; i >= 0; i-- {
		if _, err := strconv.Atoi(instance[i]); err != nil {
			field = strconv.Quote(instance[i])
			break
		}
	}
	kw := keyword
	if i := strings.LastIndex(keyword, "/"); i >= 0 {
		kw = keyword[i+1:]
	}
	if kw != "" {
		kw = " (" + kw + ")"
	}
	return fmt.Sprintf("%s does not match its schema%s: %s", field, kw, normalize(reason))
}

// position reads a node's line and column. The model's nodes come from
// another YAML package than this one (the one libopenapi pins), so their
// Line and Column fields are read by name rather than importing it.
func position(n exampleNode) (int, int) {
	if p, ok := n.(interface{ Pos() (int, int) }); ok {
		return p.Pos()
	}
	v := reflect.ValueOf(n)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return 0, 0
	}
	line, col := v.Elem().FieldByName("Line"), v.Elem().FieldByName("Column")
	if !line.IsValid() || !col.IsValid() || !line.CanInt() || !col.CanInt() {
		return 0, 0
	}
	return int(line.Int()), int(col.Int())
}

// locate walks an example's YAML by a validation error's instance path.
func locate(n *yaml.Node, path []string) *yaml.Node {
	for _, tok := range path {
		if n == nil {
			return nil
		}
		switch n.Kind {
		case yaml.MappingNode:
			if k, v := specnode.Key(n, tok); k != nil {
				n = v
				if n.Kind == yaml.ScalarNode {
					return k
				}
				continue
			}
			return nil
		case yaml.SequenceNode:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(n.Content) {
				return nil
			}
			n = specnode.Alias(n.Content[i])
		default:
			return nil
		}
	}
	return n
}

// xWebhooks checks the x-webhooks extension some 3.0 documents use for
// webhooks (ReDoc's convention): libopenapi keeps it as an opaque
// extension, so it is read from the plain YAML, with schemas that are
// component references looked up in the model.
func (l *linter) xWebhooks() {
	hooks := specnode.Get(l.raw, "x-webhooks")
	if hooks == nil || hooks.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(hooks.Content); i += 2 {
		name, pi := hooks.Content[i].Value, hooks.Content[i+1]
		for _, method := range httpMethods {
			op := specnode.Get(pi, method)
			if op == nil {
				continue
			}
			loc := ptr("x-webhooks", name, method)
			content := specnode.Get(specnode.Get(op, "requestBody"), "content")
			if content == nil || content.Kind != yaml.MappingNode {
				continue
			}
			for j := 0; j+1 < len(content.Content); j += 2 {
				mt, m := content.Content[j].Value, content.Content[j+1]
				if !jsonMediaType(mt) {
					continue
				}
				sch := l.componentSchema(specnode.Get(m, "schema"))
				if sch == nil {
					continue
				}
				mloc := loc + "/requestBody/content/" + pointer.Escape(mt)
				if ex := specnode.Get(m, "example"); ex != nil {
					l.validateExample(sch, yamlExample{ex}, mloc+"/example")
				}
				if exs := specnode.Get(m, "examples"); exs != nil && exs.Kind == yaml.MappingNode {
					for k := 0; k+1 < len(exs.Content); k += 2 {
						if v := specnode.Get(exs.Content[k+1], "value"); v != nil {
							l.validateExample(sch, yamlExample{v}, mloc+"/examples/"+pointer.Escape(exs.Content[k].Value)+"/value")
						}
					}
				}
			}
		}
	}
}

// componentSchema returns the model's schema for a {$ref: '#/components/schemas/X'} node.
func (l *linter) componentSchema(n *yaml.Node) *base.Schema {
	ref := specnode.Get(n, "$ref")
	if ref == nil || l.model.Components == nil || l.model.Components.Schemas == nil {
		return nil
	}
	name, ok := strings.CutPrefix(ref.Value, "#/components/schemas/")
	if !ok {
		return nil
	}
	sp := l.model.Components.Schemas.GetOrZero(pointer.Unescape(name))
	if sp == nil {
		return nil
	}
	return sp.Schema()
}

// yamlExample adapts a plain YAML node to exampleNode.
type yamlExample struct{ n *yaml.Node }

func (y yamlExample) Decode(v any) error { return y.n.Decode(v) }
func (y yamlExample) Pos() (int, int)    { return y.n.Line, y.n.Column }

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
