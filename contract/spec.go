package contract

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/pb33f/libopenapi"
	"github.com/pb33f/libopenapi/datamodel"
	"github.com/pb33f/libopenapi/datamodel/high/base"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"
	"github.com/reconkit/reconkit/contract/pointer"
	yaml4 "go.yaml.in/yaml/v4"
)

// yamlNode is the node type of libopenapi's YAML parser.
type yamlNode = yaml4.Node

const mappingKind = yaml4.MappingNode

// Spec is one loaded OpenAPI 3.x document and its operations in
// document order.
type Spec struct {
	// Name is how reports and SARIF locations name the document: the path
	// it was loaded from, as given.
	Name string
	// Title and Version come from info and openapi.
	Title      string
	OpenAPI    string
	Doc        libopenapi.Document
	Model      *v3.Document
	Operations []*Operation
	byID       map[string]*Operation
}

// Operation is one method on one path, with its parameters merged from
// the path item and the operation (the operation's win), and its
// effective security requirements.
type Operation struct {
	// ID is the operationId, or "METHOD /path" when the spec gives none.
	ID       string
	Method   string // upper case
	Path     string // the template as written, e.g. /openapi/orders/{order_uid}
	Op       *v3.Operation
	Item     *v3.PathItem
	Params   []*v3.Parameter
	Security []*base.SecurityRequirement
	// Line is the spec line of the method key.
	Line int
}

// Param returns the operation's parameter called name in location in,
// or nil.
func (o *Operation) Param(in, name string) *v3.Parameter {
	for _, p := range o.Params {
		if p.In == in && strings.EqualFold(p.Name, name) {
			return p
		}
	}
	return nil
}

// Problem is one reason a spec did not load, at a line of the spec.
type Problem struct {
	Line    int
	Column  int
	Message string
}

// LoadError says why a spec did not load. Its message names the spec's
// own lines, so a user can go straight to the fault.
type LoadError struct {
	Name     string
	Problems []Problem
}

// Error lists every problem as FILE:LINE:COLUMN: message.
func (e *LoadError) Error() string {
	parts := make([]string, 0, len(e.Problems))
	for _, p := range e.Problems {
		switch {
		case p.Line > 0 && p.Column > 0:
			parts = append(parts, fmt.Sprintf("%s:%d:%d: %s", e.Name, p.Line, p.Column, p.Message))
		case p.Line > 0:
			parts = append(parts, fmt.Sprintf("%s:%d: %s", e.Name, p.Line, p.Message))
		default:
			parts = append(parts, fmt.Sprintf("%s: %s", e.Name, p.Message))
		}
	}
	return "load spec: " + strings.Join(parts, "; ")
}

// lineColRE finds the positions libopenapi and its YAML parser put in
// their messages: "at L9.C1", "line 14, col 23", "[5694:11]".
var lineColRE = regexp.MustCompile(`(?:\bL(\d+)\.C(\d+)\b|line (\d+), col(?:umn)? (\d+)|\[(\d+):(\d+)\])`)

// problemOf turns one message into a Problem with the position it names.
func problemOf(msg string) Problem {
	p := Problem{Message: msg}
	m := lineColRE.FindStringSubmatch(msg)
	if m == nil {
		return p
	}
	for i := 1; i+1 < len(m); i += 2 {
		if m[i] != "" {
			p.Line, _ = strconv.Atoi(m[i])
			p.Column, _ = strconv.Atoi(m[i+1])
			break
		}
	}
	return p
}

// logCollector keeps the error records libopenapi logs while building, as
// they carry line numbers its returned errors lack.
type logCollector struct {
	mu   sync.Mutex
	msgs []string
}

func (c *logCollector) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelError }
func (c *logCollector) Handle(_ context.Context, r slog.Record) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.msgs = append(c.msgs, r.Message)
	return nil
}
func (c *logCollector) WithAttrs([]slog.Attr) slog.Handler { return c }
func (c *logCollector) WithGroup(string) slog.Handler      { return c }

// missingRefRE names the component in libopenapi's "does not exist"
// error, so its $ref can be found in the document.
var missingRefRE = regexp.MustCompile("`(#[^`]*)` does not exist")

// Load parses and builds an OpenAPI 3.x document. It does not compile any
// schema validator: that happens per operation under test, so even a
// 3 MB document loads in a fraction of a second. Circular references are
// allowed (they are legal, and Stripe's spec is full of them).
func Load(name string, data []byte) (*Spec, error) {
	logs := &logCollector{}
	cfg := &datamodel.DocumentConfiguration{
		SkipCircularReferenceCheck: true,
		Logger:                     slog.New(logs),
	}
	doc, err := libopenapi.NewDocumentWithConfiguration(data, cfg)
	if err != nil {
		return nil, &LoadError{Name: name, Problems: []Problem{problemOf(err.Error())}}
	}
	if v := doc.GetSpecInfo(); v == nil || !strings.HasPrefix(v.Version, "3.") {
		version := ""
		if v != nil {
			version = v.Version
		}
		return nil, &LoadError{Name: name, Problems: []Problem{{Line: 1, Message: fmt.Sprintf("openapi version %q: only 3.x documents are supported", version)}}}
	}
	model, err := doc.BuildV3Model()
	if err != nil || model == nil {
		return nil, buildError(name, doc, err, logs)
	}
	s := &Spec{Name: name, Doc: doc, Model: &model.Model, OpenAPI: model.Model.Version, byID: map[string]*Operation{}}
	if model.Model.Info != nil {
		s.Title = model.Model.Info.Title
	}
	if err := s.collectOperations(); err != nil {
		return nil, err
	}
	return s, nil
}

// buildError assembles every problem BuildV3Model reported, each at its
// line where one can be found.
func buildError(name string, doc libopenapi.Document, err error, logs *logCollector) error {
	le := &LoadError{Name: name}
	seen := map[string]bool{}
	add := func(p Problem) {
		key := fmt.Sprintf("%d:%d:%s", p.Line, p.Column, p.Message)
		if !seen[key] {
			seen[key] = true
			le.Problems = append(le.Problems, p)
		}
	}
	logs.mu.Lock()
	for _, m := range logs.msgs {
		if p := problemOf(m); p.Line > 0 {
			add(p)
		}
	}
	logs.mu.Unlock()
	if err != nil {
		for _, msg := range strings.Split(err.Error(), "\n") {
			msg = strings.TrimSpace(msg)
			if msg == "" {
				continue
			}
			p := problemOf(msg)
			if p.Line == 0 {
				if m := missingRefRE.FindStringSubmatch(msg); m != nil {
					if line := refLine(doc, m[1]); line > 0 {
						p.Line = line
					}
				}
			}
			add(p)
		}
	}
	if len(le.Problems) == 0 {
		add(Problem{Message: "the document has no usable OpenAPI 3 model"})
	}
	slices.SortStableFunc(le.Problems, func(a, b Problem) int { return a.Line - b.Line })
	return le
}

// refLine finds the first line where ref is used as a $ref value.
func refLine(doc libopenapi.Document, ref string) int {
	info := doc.GetSpecInfo()
	if info == nil || info.RootNode == nil {
		return 0
	}
	line := 0
	var walk func(n *yamlNode)
	walk = func(n *yamlNode) {
		if n == nil || line > 0 {
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Kind == mappingKind && n.Content[i].Value == "$ref" && n.Content[i+1].Value == ref {
				line = n.Content[i+1].Line
				return
			}
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(info.RootNode)
	return line
}

var methodOrder = []string{"GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE", "QUERY"}

// collectOperations lists operations in document order and indexes them
// by id. Duplicate operationIds make links and scenarios ambiguous, so
// they are a load error.
func (s *Spec) collectOperations() error {
	if s.Model.Paths == nil || s.Model.Paths.PathItems == nil {
		return nil
	}
	var dup []Problem
	for path, item := range s.Model.Paths.PathItems.FromOldest() {
		type entry struct {
			method string
			op     *v3.Operation
		}
		var ops []entry
		for method, op := range item.GetOperations().FromOldest() {
			ops = append(ops, entry{strings.ToUpper(method), op})
		}
		slices.SortStableFunc(ops, func(a, b entry) int {
			la, lb := opLine(a.op), opLine(b.op)
			if la != lb {
				return la - lb
			}
			return slices.Index(methodOrder, a.method) - slices.Index(methodOrder, b.method)
		})
		for _, e := range ops {
			o := &Operation{
				ID:     e.op.OperationId,
				Method: e.method,
				Path:   path,
				Op:     e.op,
				Item:   item,
				Params: mergeParams(item.Parameters, e.op.Parameters),
				Line:   opLine(e.op),
			}
			if o.ID == "" {
				o.ID = o.Method + " " + o.Path
			}
			o.Security = s.Model.Security
			if low := e.op.GoLow(); low != nil && low.Security.ValueNode != nil {
				o.Security = e.op.Security
			}
			if prev, ok := s.byID[o.ID]; ok {
				dup = append(dup, Problem{Line: o.Line, Message: fmt.Sprintf("operationId %q is used again (first at line %d)", o.ID, prev.Line)})
				continue
			}
			s.byID[o.ID] = o
			s.Operations = append(s.Operations, o)
		}
	}
	if len(dup) > 0 {
		return &LoadError{Name: s.Name, Problems: dup}
	}
	return nil
}

func opLine(op *v3.Operation) int {
	if low := op.GoLow(); low != nil {
		if low.KeyNode != nil {
			return low.KeyNode.Line
		}
		if low.RootNode != nil {
			return low.RootNode.Line
		}
	}
	return 0
}

// mergeParams overlays the operation's parameters on the path item's.
func mergeParams(item, op []*v3.Parameter) []*v3.Parameter {
	out := make([]*v3.Parameter, 0, len(item)+len(op))
	out = append(out, op...)
	for _, p := range item {
		if !slices.ContainsFunc(op, func(q *v3.Parameter) bool { return q.In == p.In && q.Name == p.Name }) {
			out = append(out, p)
		}
	}
	return out
}

// Operation returns the operation with the given id, or nil.
func (s *Spec) Operation(id string) *Operation { return s.byID[id] }

// OperationByRef resolves a link's operationRef of the local form
// "#/paths/~1orders~1{id}/get".
func (s *Spec) OperationByRef(ref string) *Operation {
	rest, ok := strings.CutPrefix(ref, "#/paths/")
	if !ok {
		return nil
	}
	i := strings.LastIndex(rest, "/")
	if i < 0 {
		return nil
	}
	path := pointer.Unescape(rest[:i])
	if p, err := url.PathUnescape(path); err == nil {
		path = p // a URI fragment may percent-encode the braces
	}
	method := strings.ToUpper(rest[i+1:])
	for _, o := range s.Operations {
		if o.Path == path && o.Method == method {
			return o
		}
	}
	return nil
}

// SchemaVersion is the version libopenapi-validator wants: 3.0 allows
// nullable, 3.1 is plain JSON Schema 2020-12.
func (s *Spec) SchemaVersion() float32 {
	if strings.HasPrefix(s.OpenAPI, "3.0") {
		return 3.0
	}
	return 3.1
}

// errNoOperations is returned by Plan for a document with no paths.
var errNoOperations = errors.New("the spec has no operations")

// securityScheme returns the component security scheme called name.
func securityScheme(spec *Spec, name string) *v3.SecurityScheme {
	if spec == nil || spec.Model.Components == nil || spec.Model.Components.SecuritySchemes == nil {
		return nil
	}
	ss, _ := spec.Model.Components.SecuritySchemes.Get(name)
	return ss
}
