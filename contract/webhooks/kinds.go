package webhooks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/pb33f/libopenapi/datamodel/high/base"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"
	"github.com/pb33f/libopenapi/datamodel/low"
	lowv3 "github.com/pb33f/libopenapi/datamodel/low/v3"
	"github.com/pb33f/libopenapi/orderedmap"
	yaml4 "go.yaml.in/yaml/v4"

	"github.com/reconkit/reconkit/contract"
)

// ErrNoWebhooks is returned for a spec that describes no webhook with a
// JSON request body, so there is nothing to check a log against.
var ErrNoWebhooks = errors.New("the spec describes no webhook with a JSON request body (3.1 `webhooks`, or `x-webhooks` in 3.0)")

// Kind is one notification the spec describes: a webhook operation and
// the schema of the body the API sends.
type Kind struct {
	// Name is the webhook's key ("payment"), followed by the method when
	// its path item has more than one operation.
	Name        string
	OperationID string
	Method      string
	// Line is the spec line of the webhook's key.
	Line   int
	Schema *base.SchemaProxy
	// marks are the enum-valued fields of the kind's examples. They are
	// what tells apart two kinds whose schemas are the same (OxPay's
	// payment and void notifications share one body schema; only the
	// examples show that a void says transaction_state "voided").
	marks []mark
}

// mark is one enum-valued field of an example: where it is and its value.
type mark struct {
	ptr []string // pointer tokens, unescaped
	val string   // canon of the value
}

// Webhook keys in the document root: the 3.1 field, and the extension
// 3.0 documents use for the same thing (ReDoc's convention).
const (
	webhooksKey  = "webhooks"
	xWebhooksKey = "x-webhooks"
)

// loadKinds lists the spec's webhook operations in document order. A
// 3.1 `webhooks` map wins; without one, `x-webhooks` is read from the
// document's YAML and built into path items by libopenapi itself, with
// the document's index, so its $refs resolve as anywhere else.
func loadKinds(spec *contract.Spec) ([]*Kind, error) {
	hooks, key := spec.Model.Webhooks, webhooksKey
	if hooks == nil || hooks.Len() == 0 {
		var err error
		if hooks, err = extensionWebhooks(spec); err != nil {
			return nil, err
		}
		key = xWebhooksKey
	}
	if hooks == nil || hooks.Len() == 0 {
		return nil, ErrNoWebhooks
	}
	lines := keyLines(spec, key)
	var kinds []*Kind
	for name, item := range hooks.FromOldest() {
		ops := item.GetOperations()
		for method, op := range ops.FromOldest() {
			sp := jsonBodySchema(op)
			if sp == nil {
				continue
			}
			k := &Kind{Name: name, OperationID: op.OperationId, Method: strings.ToUpper(method), Line: lines[name], Schema: sp}
			if ops.Len() > 1 {
				k.Name += " " + k.Method
			}
			if k.OperationID == "" {
				k.OperationID = k.Method + " " + name
			}
			k.marks = exampleMarks(op, sp)
			kinds = append(kinds, k)
		}
	}
	if len(kinds) == 0 {
		return nil, ErrNoWebhooks
	}
	return kinds, nil
}

// extensionWebhooks builds the path items under the root's x-webhooks,
// or returns nil when there is none.
func extensionWebhooks(spec *contract.Spec) (*orderedmap.Map[string, *v3.PathItem], error) {
	root := rootMapping(spec)
	if root == nil || mapValue(root, xWebhooksKey) == nil {
		return nil, nil
	}
	lowHooks, _, _, err := low.ExtractMap[*lowv3.PathItem](context.Background(), xWebhooksKey, root, spec.Model.Index)
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %w", spec.Name, xWebhooksKey, err)
	}
	out := orderedmap.New[string, *v3.PathItem]()
	for k, v := range lowHooks.FromOldest() {
		if v.Value != nil {
			out.Set(k.Value, v3.NewPathItem(v.Value))
		}
	}
	return out, nil
}

func rootMapping(spec *contract.Spec) *yaml4.Node {
	info := spec.Doc.GetSpecInfo()
	if info == nil || info.RootNode == nil || len(info.RootNode.Content) == 0 {
		return nil
	}
	if n := info.RootNode.Content[0]; n.Kind == yaml4.MappingNode {
		return n
	}
	return nil
}

// mapValue returns the value of key in a YAML mapping, or nil.
func mapValue(m *yaml4.Node, key string) *yaml4.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// keyLines maps each webhook's name to the line of its key.
func keyLines(spec *contract.Spec, key string) map[string]int {
	out := map[string]int{}
	root := rootMapping(spec)
	if root == nil {
		return out
	}
	m := mapValue(root, key)
	if m == nil || m.Kind != yaml4.MappingNode {
		return out
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		out[m.Content[i].Value] = m.Content[i].Line
	}
	return out
}

// jsonBodySchema is the schema of the operation's JSON request body:
// application/json, else the first +json or other JSON media type.
func jsonBodySchema(op *v3.Operation) *base.SchemaProxy {
	if op == nil || op.RequestBody == nil || op.RequestBody.Content == nil {
		return nil
	}
	if mt, ok := op.RequestBody.Content.Get("application/json"); ok && mt != nil && mt.Schema != nil {
		return mt.Schema
	}
	for name, mt := range op.RequestBody.Content.FromOldest() {
		if strings.Contains(name, "json") && mt != nil && mt.Schema != nil {
			return mt.Schema
		}
	}
	return nil
}

// exampleMarks collects the enum-valued scalar fields of every example
// of the operation's JSON body.
func exampleMarks(op *v3.Operation, sp *base.SchemaProxy) []mark {
	var nodes []*yaml4.Node
	for name, mt := range op.RequestBody.Content.FromOldest() {
		if !strings.Contains(name, "json") || mt == nil {
			continue
		}
		if mt.Example != nil {
			nodes = append(nodes, mt.Example)
		}
		if mt.Examples != nil {
			for _, ex := range mt.Examples.FromOldest() {
				if ex != nil && ex.Value != nil {
					nodes = append(nodes, ex.Value)
				}
			}
		}
	}
	var marks []mark
	seen := map[string]bool{}
	for _, n := range nodes {
		var x any
		if err := n.Decode(&x); err != nil {
			continue
		}
		leaves(x, nil, func(ptr []string, v any) {
			c, ok := canon(v)
			if !ok || !hasEnumAt(sp, ptr, 0) {
				return
			}
			key := strings.Join(ptr, "/") + "\x00" + c
			if seen[key] {
				return
			}
			seen[key] = true
			marks = append(marks, mark{ptr: append([]string(nil), ptr...), val: c})
		})
	}
	return marks
}

// leaves calls fn for every scalar inside objects of x. Lists are not
// entered: an element's value does not say what kind a notification is.
func leaves(x any, ptr []string, fn func([]string, any)) {
	m, ok := x.(map[string]any)
	if !ok {
		if _, isList := x.([]any); !isList {
			fn(ptr, x)
		}
		return
	}
	for k, v := range m {
		leaves(v, append(ptr, k), fn)
	}
}

// maxSchemaDepth bounds the search through nested and combined schemas.
const maxSchemaDepth = 32

// hasEnumAt reports whether the schema at the property path toks (through
// properties and allOf/oneOf/anyOf members) lists enum values or a const.
func hasEnumAt(sp *base.SchemaProxy, toks []string, depth int) bool {
	if sp == nil || depth > maxSchemaDepth {
		return false
	}
	s := sp.Schema()
	if s == nil {
		return false
	}
	if len(toks) == 0 {
		if len(s.Enum) > 0 || s.Const != nil {
			return true
		}
	} else if s.Properties != nil {
		if p, ok := s.Properties.Get(toks[0]); ok && hasEnumAt(p, toks[1:], depth+1) {
			return true
		}
	}
	for _, list := range [][]*base.SchemaProxy{s.AllOf, s.OneOf, s.AnyOf} {
		for _, sub := range list {
			if hasEnumAt(sub, toks, depth+1) {
				return true
			}
		}
	}
	return false
}

// canon renders a scalar from YAML or from JSON (decoded with UseNumber)
// so that equal values compare equal: 0 from YAML and 0 from JSON, "a"
// and "a". Numbers go through float64, which is exact for the small
// integers and short codes enums hold.
func canon(x any) (string, bool) {
	switch v := x.(type) {
	case nil:
		return "null", true
	case string:
		return "s:" + v, true
	case bool:
		return "b:" + strconv.FormatBool(v), true
	case json.Number:
		f, err := v.Float64()
		if err != nil {
			return "", false
		}
		return "n:" + strconv.FormatFloat(f, 'g', -1, 64), true
	case int:
		return "n:" + strconv.FormatFloat(float64(v), 'g', -1, 64), true
	case int64:
		return "n:" + strconv.FormatFloat(float64(v), 'g', -1, 64), true
	case uint64:
		return "n:" + strconv.FormatFloat(float64(v), 'g', -1, 64), true
	case float64:
		return "n:" + strconv.FormatFloat(v, 'g', -1, 64), true
	}
	return "", false
}

// agreement counts the kind's marks the payload carries with the same
// value.
func (k *Kind) agreement(payload map[string]any) int {
	n := 0
	for _, m := range k.marks {
		if v, ok := lookup(payload, m.ptr); ok {
			if c, ok := canon(v); ok && c == m.val {
				n++
			}
		}
	}
	return n
}

// lookup follows object keys from x.
func lookup(x map[string]any, toks []string) (any, bool) {
	var cur any = x
	for _, t := range toks {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[t]; !ok {
			return nil, false
		}
	}
	return cur, true
}
