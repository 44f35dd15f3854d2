package specnode

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"
)

const doc = `openapi: 3.1.0
components:
  schemas:
    Money: &money
      type: integer
      example: 100
    Fee: *money
    a/b~c:
      type: string
  parameters:
    list:
      - &page {name: page, in: query}
      - *page
paths:
  /orders:
    get:
      responses:
        200: {description: ok}
`

func root(t *testing.T) *yaml.Node {
	t.Helper()
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(doc), &n); err != nil {
		t.Fatal(err)
	}
	return n.Content[0]
}

func TestResolve(t *testing.T) {
	r := root(t)
	for _, tc := range []struct {
		name, ptr string
		line      int // 0: names nothing
	}{
		{"root", "", 1},
		{"plain", "/components/schemas/Money/type", 5},
		{"through an alias", "/components/schemas/Fee/type", 5},
		{"escaped token", "/components/schemas/a~1b~0c/type", 9},
		{"path item", "/paths/~1orders/get/responses/200/description", 18},
		{"sequence element", "/components/parameters/list/0/name", 12},
		{"aliased sequence element", "/components/parameters/list/1/in", 12},
		{"missing key", "/components/schemas/Nope", 0},
		{"index out of range", "/components/parameters/list/2", 0},
		{"index not a number", "/components/parameters/list/x", 0},
		{"below a scalar", "/openapi/x", 0},
		{"no leading slash", "components", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := Resolve(r, tc.ptr)
			got := 0
			if n != nil {
				got = n.Line
			}
			if got != tc.line {
				t.Errorf("Resolve(%q): got line %d, want %d", tc.ptr, got, tc.line)
			}
		})
	}
}

func TestKeyAndGetFollowAliases(t *testing.T) {
	schemas := Get(Get(root(t), "components"), "schemas")
	k, v := Key(schemas, "Fee")
	if k == nil || k.Line != 7 {
		t.Fatalf("Key(Fee): got key %v, want the key on line 7", k)
	}
	if v.Kind != yaml.MappingNode || v.Line != 4 {
		t.Errorf("Key(Fee): got value kind %v line %d, want the anchored mapping on line 4", v.Kind, v.Line)
	}
	if got := Get(v, "example"); got == nil || got.Value != "100" {
		t.Errorf("Get(Fee, example): got %v, want 100", got)
	}
	if k, v := Key(schemas, "Nope"); k != nil || v != nil {
		t.Errorf("Key(Nope): got %v, %v, want nil, nil", k, v)
	}
	if got := Get(Get(schemas, "Money"), "type"); Get(got, "x") != nil {
		t.Errorf("Get on a scalar: got a value, want nil")
	}
}

func TestStringKeys(t *testing.T) {
	in := map[string]any{"responses": map[any]any{200: "ok", "default": []any{map[any]any{true: 1}}}}
	got := StringKeys(in)
	if _, err := json.Marshal(got); err != nil {
		t.Fatalf("json.Marshal after StringKeys: %v", err)
	}
	want := map[string]any{"responses": map[string]any{"200": "ok", "default": []any{map[string]any{"true": 1}}}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("StringKeys (-want +got):\n%s", d)
	}
}
