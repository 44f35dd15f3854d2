package specnode

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/reconkit/reconkit/contract/pointer"
	"gopkg.in/yaml.v3"
)

// Alias follows n through YAML aliases (*name) to the node they stand
// for; any other node, and nil, it returns as it is.
func Alias(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// Key returns the key node and the value node of key in the mapping n,
// or nil, nil when n is not a mapping or lacks the key. The key node
// carries the line a finding about the key points at.
func Key(n *yaml.Node, key string) (k, v *yaml.Node) {
	n = Alias(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i], Alias(n.Content[i+1])
		}
	}
	return nil, nil
}

// Get returns the value of key in the mapping n, or nil.
func Get(n *yaml.Node, key string) *yaml.Node {
	_, v := Key(n, key)
	return v
}

// Resolve returns the node the JSON pointer ptr ("/components/schemas/X",
// "" for root itself) names below root, or nil when it names nothing.
// A $ref's "#" is the caller's to strip.
func Resolve(root *yaml.Node, ptr string) *yaml.Node {
	n := Alias(root)
	if ptr == "" {
		return n
	}
	if !strings.HasPrefix(ptr, "/") {
		return nil
	}
	for _, tok := range strings.Split(ptr[1:], "/") {
		if n == nil {
			return nil
		}
		tok = pointer.Unescape(tok)
		switch n.Kind {
		case yaml.MappingNode:
			n = Get(n, tok)
		case yaml.SequenceNode:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(n.Content) {
				return nil
			}
			n = Alias(n.Content[i])
		default:
			return nil
		}
	}
	return n
}

// StringKeys turns a value decoded from YAML into one encoding/json
// accepts: maps with keys that are not strings (response codes such as
// 200 decode as ints) become string-keyed, at any depth. Maps and slices
// are changed in place.
func StringKeys(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			t[k] = StringKeys(x)
		}
		return t
	case map[any]any:
		m := make(map[string]any, len(t))
		for k, x := range t {
			m[fmt.Sprint(k)] = StringKeys(x)
		}
		return m
	case []any:
		for i, x := range t {
			t[i] = StringKeys(x)
		}
		return t
	}
	return v
}
