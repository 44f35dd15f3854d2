package diff

import (
	"fmt"
	"strings"

	"github.com/reconkit/reconkit/contract/pointer"
	"github.com/reconkit/reconkit/contract/specnode"
	"gopkg.in/yaml.v3"
)

// rawDoc is one document as a plain YAML tree, with what the comparison
// needs besides the tree: the $ref graph (which operations reach which
// component) and the operations of each path.
type rawDoc struct {
	name    string
	root    *yaml.Node // the top-level map
	version string     // "3.0" or "3.1"
	graph   *refGraph
	methods map[string][]string // "paths\x00/x" or "webhooks\x00name" -> methods
	// unresolved collects local $refs that point at nothing, reported as
	// warnings once each.
	unresolved map[string]bool
}

// scanRaw parses a document with yaml.v3 and collects a rawDoc.
func scanRaw(b []byte, name string) (*rawDoc, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(root.Content) == 0 || root.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("read %s: not an OpenAPI document (want a map at the top)", name)
	}
	top := root.Content[0]
	if hasAlias(top) && expandedSize(top, map[*yaml.Node]int{}) > maxExpanded {
		return nil, fmt.Errorf("read %s: its YAML aliases expand to more than %d nodes", name, maxExpanded)
	}
	rd := &rawDoc{
		name:       name,
		root:       top,
		graph:      &refGraph{ids: map[string]int{}, roots: map[use][]int{}},
		methods:    map[string][]string{},
		unresolved: map[string]bool{},
	}
	ver := specnode.Get(top, "openapi")
	if ver == nil || !strings.HasPrefix(ver.Value, "3.") {
		what := "no openapi: 3.x field"
		if sw := specnode.Get(top, "swagger"); sw != nil {
			what = "this is swagger " + sw.Value
		}
		return nil, fmt.Errorf("read %s: only OpenAPI 3.0 and 3.1 documents can be compared, %s", name, what)
	}
	rd.version = "3.1"
	if strings.HasPrefix(ver.Value, "3.0") {
		rd.version = "3.0"
	}
	for _, section := range []string{"paths", "webhooks"} {
		items := specnode.Get(top, section)
		if items == nil || items.Kind != yaml.MappingNode {
			continue
		}
		for i := 0; i+1 < len(items.Content); i += 2 {
			pi := rd.deref(items.Content[i+1])
			if pi == nil || pi.Kind != yaml.MappingNode {
				continue
			}
			var ms []string
			for j := 0; j+1 < len(pi.Content); j += 2 {
				if httpMethods[pi.Content[j].Value] {
					ms = append(ms, pi.Content[j].Value)
				}
			}
			rd.methods[section+"\x00"+items.Content[i].Value] = ms
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
					rd.addRef(path, v.Value)
					continue
				}
				path = append(path, pointer.Escape(k.Value))
				walk(v)
				path = path[:len(path)-1]
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				path = append(path, fmt.Sprint(i))
				walk(c)
				path = path[:len(path)-1]
			}
		case yaml.AliasNode:
			if n.Alias != nil && len(path) < 64 {
				walk(n.Alias)
			}
		}
	}
	walk(top)
	return rd, nil
}

// maxExpanded bounds the size of a document with its YAML aliases
// expanded: the comparison follows aliases, and a few nested ones can stand
// for billions of nodes.
const maxExpanded = 20_000_000

// hasAlias reports whether a tree uses a YAML alias anywhere.
func hasAlias(n *yaml.Node) bool {
	if n.Kind == yaml.AliasNode {
		return true
	}
	for _, c := range n.Content {
		if hasAlias(c) {
			return true
		}
	}
	return false
}

// expandedSize counts a tree's nodes with aliases expanded, stopping once
// past maxExpanded.
func expandedSize(n *yaml.Node, memo map[*yaml.Node]int) int {
	if n == nil {
		return 0
	}
	if v, ok := memo[n]; ok {
		return v
	}
	memo[n] = maxExpanded + 1 // an alias of an ancestor never ends
	size := 1
	if n.Kind == yaml.AliasNode {
		size += expandedSize(n.Alias, memo)
	}
	for _, c := range n.Content {
		size += expandedSize(c, memo)
		if size > maxExpanded {
			break
		}
	}
	memo[n] = size
	return size
}

func (rd *rawDoc) addRef(sp []string, def string) {
	target, ok := componentKey(def)
	if !ok {
		return
	}
	g := rd.graph
	t := g.id(target)
	if len(sp) >= 3 && sp[0] == "components" {
		from := g.id(sp[1] + "/" + pointer.Unescape(sp[2]))
		g.rev[t] = append(g.rev[t], from)
		return
	}
	for _, u := range rootUses(rd.methodsOf, sp) {
		g.roots[u] = append(g.roots[u], t)
	}
}

func (rd *rawDoc) methodsOf(section, path string) []string {
	return rd.methods[section+"\x00"+path]
}

// lookup follows a local JSON pointer ("#/components/schemas/X") from the
// document root; nil when it points at nothing or outside the document.
func (rd *rawDoc) lookup(ref string) *yaml.Node {
	p, ok := strings.CutPrefix(ref, "#")
	if !ok {
		return nil
	}
	return specnode.Resolve(rd.root, p)
}

// deref follows $refs of a non-schema object (parameter, response, path
// item, ...) to what they point at. A $ref that resolves to nothing is
// noted for the report's warnings and treated as an empty object.
func (rd *rawDoc) deref(n *yaml.Node) *yaml.Node {
	for range 32 {
		n = specnode.Alias(n)
		ref := refOf(n)
		if ref == "" {
			return n
		}
		t := rd.lookup(ref)
		if t == nil {
			rd.unresolved[ref] = true
			return nil
		}
		n = t
	}
	return n
}

// refOf returns a node's $ref, if it is a reference object.
func refOf(n *yaml.Node) string {
	if r := specnode.Get(n, "$ref"); r != nil && r.Kind == yaml.ScalarNode {
		return r.Value
	}
	return ""
}

// keyLine is the line of key in map n, or 0 when n lacks it.
func keyLine(n *yaml.Node, key string) int {
	if k, _ := specnode.Key(n, key); k != nil {
		return k.Line
	}
	return 0
}

// pairs returns a map's keys and values in file order.
func pairs(n *yaml.Node) (keys []*yaml.Node, vals []*yaml.Node) {
	n = specnode.Alias(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		keys = append(keys, n.Content[i])
		vals = append(vals, specnode.Alias(n.Content[i+1]))
	}
	return keys, vals
}

func items(n *yaml.Node) []*yaml.Node {
	n = specnode.Alias(n)
	if n == nil || n.Kind != yaml.SequenceNode {
		return nil
	}
	out := make([]*yaml.Node, len(n.Content))
	for i, c := range n.Content {
		out[i] = specnode.Alias(c)
	}
	return out
}

func line(n *yaml.Node) int {
	if n == nil {
		return 0
	}
	return n.Line
}

// sameNode compares two YAML trees by content, ignoring positions, styles
// and comments; map keys must be in the same order.
func sameNode(a, b *yaml.Node) bool {
	a, b = specnode.Alias(a), specnode.Alias(b)
	if a == nil || b == nil {
		return a == b
	}
	if a == b {
		return true
	}
	if a.Kind != b.Kind || a.Value != b.Value || len(a.Content) != len(b.Content) {
		return false
	}
	if a.Kind == yaml.ScalarNode && a.ShortTag() != b.ShortTag() {
		return false
	}
	for i := range a.Content {
		if !sameNode(a.Content[i], b.Content[i]) {
			return false
		}
	}
	return true
}

// text renders a node compactly for messages and finding ids.
func text(n *yaml.Node) string {
	n = specnode.Alias(n)
	if n == nil {
		return ""
	}
	if n.Kind == yaml.ScalarNode {
		return n.Value
	}
	c := *n
	c.Style = yaml.FlowStyle
	c.HeadComment, c.LineComment, c.FootComment = "", "", ""
	b, err := yaml.Marshal(&c)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}
