package diff

import (
	"bytes"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// rawDoc is what the comparison needs from a document's plain YAML tree,
// read once before libopenapi sees the document: the $ref graph (which
// operations reach which component), the operations of each path, and
// where each component schema sits in the text.
type rawDoc struct {
	graph   *refGraph
	methods map[string][]string // "paths\x00/x" or "webhooks\x00name" -> methods
	schemas map[string]*rawEntry
	paths   map[string]*rawEntry
	refsTo  map[string][]string // component key -> source paths of refs to it
	// pathRefs lists the components each path item refers to directly.
	pathRefs map[string][]string
	// others holds every component that is not a schema, by key: they are
	// compared inline where they are used, so a path using a changed one
	// must not be stubbed.
	others map[string]*yaml.Node
	lines  int
	// aliases is set when the document uses YAML anchors or aliases:
	// blanking lines could then cut an anchor another part still uses.
	aliases bool
}

// rawEntry is one entry of components/schemas or paths.
type rawEntry struct {
	key, value *yaml.Node
	first, end int // body lines, 1-based and inclusive; 0 when not stubbable
	indent     int // column of the body's first key, 0-based
}

// scanRaw parses a document with yaml.v3 and collects a rawDoc.
func scanRaw(b []byte, name string) (*rawDoc, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	rd := &rawDoc{
		graph:    &refGraph{ids: map[string]int{}, roots: map[use][]int{}},
		methods:  map[string][]string{},
		schemas:  map[string]*rawEntry{},
		paths:    map[string]*rawEntry{},
		refsTo:   map[string][]string{},
		pathRefs: map[string][]string{},
		others:   map[string]*yaml.Node{},
		lines:    bytes.Count(b, []byte("\n")) + 1,
	}
	if len(root.Content) == 0 || root.Content[0].Kind != yaml.MappingNode {
		return rd, nil
	}
	top := root.Content[0]
	for _, section := range []string{"paths", "webhooks"} {
		items := mapGet(top, section)
		if items == nil || items.Kind != yaml.MappingNode {
			continue
		}
		for i := 0; i+1 < len(items.Content); i += 2 {
			pi := items.Content[i+1]
			if pi.Kind != yaml.MappingNode {
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
		if n.Anchor != "" || n.Kind == yaml.AliasNode {
			rd.aliases = true
		}
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				if k.Value == "$ref" && v.Kind == yaml.ScalarNode {
					rd.addRef(path, v.Value)
					continue
				}
				path = append(path, escape(k.Value))
				walk(v)
				path = path[:len(path)-1]
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				path = append(path, fmt.Sprint(i))
				walk(c)
				path = path[:len(path)-1]
			}
		}
	}
	walk(top)
	lines := bytes.SplitAfter(b, []byte("\n"))
	comps := mapGet(top, "components")
	// The line after a section is that of the key following it.
	after := rd.lines + 1
	if l := nextKeyLine(comps, "schemas"); l > 0 {
		after = l
	} else if l := nextKeyLine(top, "components"); l > 0 {
		after = l
	}
	rd.schemas = locateEntries(mapGet(comps, "schemas"), after, lines)
	after = rd.lines + 1
	if l := nextKeyLine(top, "paths"); l > 0 {
		after = l
	}
	rd.paths = locateEntries(mapGet(top, "paths"), after, lines)
	if comps != nil && comps.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(comps.Content); i += 2 {
			kind, m := comps.Content[i].Value, comps.Content[i+1]
			if kind == "schemas" || m.Kind != yaml.MappingNode {
				continue
			}
			for j := 0; j+1 < len(m.Content); j += 2 {
				rd.others[kind+"/"+m.Content[j].Value] = m.Content[j+1]
			}
		}
	}
	return rd, nil
}

func (rd *rawDoc) addRef(sp []string, def string) {
	target, ok := componentKey(def)
	if !ok {
		return
	}
	src := strings.Join(sp, "/")
	rd.refsTo[target] = append(rd.refsTo[target], src)
	if len(sp) >= 2 && sp[0] == "paths" {
		p := unescape(sp[1])
		rd.pathRefs[p] = append(rd.pathRefs[p], target)
	}
	g := rd.graph
	t := g.id(target)
	if len(sp) >= 3 && sp[0] == "components" {
		from := g.id(sp[1] + "/" + unescape(sp[2]))
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

func mapGet(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// locateEntries records the body lines of every block-style entry of a
// map (components/schemas, paths): from the line after its key to the line
// before whatever follows it in the file, which starts at line after.
func locateEntries(m *yaml.Node, after int, lines [][]byte) map[string]*rawEntry {
	out := map[string]*rawEntry{}
	if m == nil || m.Kind != yaml.MappingNode || m.Style&yaml.FlowStyle != 0 {
		return out
	}
	n := len(m.Content)
	for i := 0; i+1 < n; i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		e := &rawEntry{key: k, value: v}
		out[k.Value] = e
		end := after - 1
		if i+2 < n {
			end = m.Content[i+2].Line - 1
		}
		if v.Kind != yaml.MappingNode || v.Style&yaml.FlowStyle != 0 || len(v.Content) == 0 || v.Line <= k.Line || end < v.Line {
			continue
		}
		if !indentedBlock(lines, k.Line+1, end, k.Column) {
			continue
		}
		e.first, e.end, e.indent = k.Line+1, end, v.Content[0].Column-1
	}
	return out
}

func nextKeyLine(m *yaml.Node, key string) int {
	if m == nil || m.Kind != yaml.MappingNode {
		return 0
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key && i+2 < len(m.Content) {
			return m.Content[i+2].Line
		}
	}
	return 0
}

// indentedBlock checks that every line from first to end (1-based) is
// blank, a comment, or indented past column col: only then can the lines
// be replaced without touching anything outside the entry.
func indentedBlock(lines [][]byte, first, end, col int) bool {
	if first < 1 || end > len(lines) {
		return false
	}
	for l := first; l <= end; l++ {
		t := bytes.TrimRight(lines[l-1], "\r\n")
		trimmed := bytes.TrimLeft(t, " ")
		if len(trimmed) == 0 || trimmed[0] == '#' {
			continue
		}
		if len(t)-len(trimmed) < col {
			return false
		}
	}
	return true
}

// stubUnchanged returns copies of both documents in which every component
// schema that is identical in both, and referred to from the same places
// in both, and every identical path item, is replaced by a one-line stub,
// keeping every line number.
//
// what-changed compares component schemas at the source and does not
// follow a local $ref that is the same on both sides, so an identical
// schema cannot produce a change; but libopenapi builds and hashes every
// one of them to find that out, which on a large spec is most of the
// time and memory of a diff. The reference-site condition keeps the one
// comparison that does look through a $ref (inline schema replaced by a
// reference to an identical component) seeing the real schema.
func stubUnchanged(oldB, newB []byte, o, n *rawDoc) ([]byte, []byte, int) {
	if o.aliases || n.aliases {
		return oldB, newB, 0
	}
	var oldR, newR []stubRange
	for name, os := range o.schemas {
		ns := n.schemas[name]
		if ns == nil || os.first == 0 || ns.first == 0 {
			continue
		}
		key := "schemas/" + name
		if !sameStrings(o.refsTo[key], n.refsTo[key]) || !sameNode(os.value, ns.value) {
			continue
		}
		oldR = append(oldR, stubRange{os.first, os.end, os.indent})
		newR = append(newR, stubRange{ns.first, ns.end, ns.indent})
	}
	// A path item is compared inline, parameters, request bodies and
	// responses it refers to included, so it is only stubbed when those
	// are unchanged too; schemas it refers to are compared at the source.
	othersChanged := len(o.others) != len(n.others)
	for k, on := range o.others {
		if nn := n.others[k]; nn == nil || !sameNode(on, nn) {
			othersChanged = true
			break
		}
	}
	for p, op := range o.paths {
		np := n.paths[p]
		if np == nil || op.first == 0 || np.first == 0 || !sameNode(op.value, np.value) {
			continue
		}
		safe := true
		for _, t := range o.pathRefs[p] {
			if !strings.HasPrefix(t, "schemas/") && othersChanged {
				safe = false
			}
		}
		if !safe {
			continue
		}
		oldR = append(oldR, stubRange{op.first, op.end, op.indent})
		newR = append(newR, stubRange{np.first, np.end, np.indent})
	}
	if len(oldR) == 0 {
		return oldB, newB, 0
	}
	return applyStubs(oldB, oldR), applyStubs(newB, newR), len(oldR)
}

type stubRange struct{ first, end, indent int }

func applyStubs(b []byte, rs []stubRange) []byte {
	lines := bytes.SplitAfter(b, []byte("\n"))
	for _, r := range rs {
		lines[r.first-1] = []byte(strings.Repeat(" ", r.indent) + "x-unchanged: true\n")
		for l := r.first + 1; l <= r.end; l++ {
			lines[l-1] = []byte("\n")
		}
	}
	return bytes.Join(lines, nil)
}

func sameStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// sameNode compares two YAML trees by content, ignoring positions.
func sameNode(a, b *yaml.Node) bool {
	if a.Kind != b.Kind || a.Value != b.Value || a.ShortTag() != b.ShortTag() || len(a.Content) != len(b.Content) {
		return false
	}
	for i := range a.Content {
		if !sameNode(a.Content[i], b.Content[i]) {
			return false
		}
	}
	return true
}
