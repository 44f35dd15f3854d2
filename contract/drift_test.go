package contract

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/reconkit/reconkit/specs"
)

// schemaDoc wraps component schemas (indented YAML under
// components.schemas) in a minimal document.
func schemaDoc(version, schemas string) string {
	return "openapi: " + version + "\ninfo:\n  title: t\n  version: '1'\npaths: {}\ncomponents:\n  schemas:\n" + schemas
}

// walk loads the document, walks body (JSON text) against schema S and
// returns "check pointer" strings.
func walk(t *testing.T, version, schemas, body string) []string {
	t.Helper()
	s := mustLoad(t, "t.yaml", []byte(schemaDoc(version, schemas)))
	sp, ok := s.Model.Components.Schemas.Get("S")
	if !ok {
		t.Fatal("no schema S")
	}
	doc, err := decodeJSON([]byte(body))
	if err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	var out []string
	for _, d := range WalkDrift(sp, doc, s.SchemaVersion()) {
		out = append(out, fmt.Sprintf("%s %s", d.Check, d.Pointer))
		if d.Line == 0 {
			t.Errorf("%s %s has no spec line", d.Check, d.Pointer)
		}
	}
	return out
}

const envelope = `    S:
      type: object
      required: [status, message, data]
      properties:
        status: {type: string, enum: [success, error]}
        message: {type: string}
        data: {$ref: '#/components/schemas/Order'}
    Order:
      type: object
      required: [uid, total, created_at, items]
      properties:
        uid: {type: string}
        total: {type: integer, format: int64}
        small: {type: integer, format: int32}
        created_at: {type: string, format: date-time}
        email: {type: string, format: email}
        site: {type: string, format: uri}
        paid_at: {type: [string, 'null'], format: date-time}
        items:
          type: array
          items:
            type: object
            required: [amount]
            properties:
              amount: {type: integer}
              tags:
                type: object
                additionalProperties: {type: string}
`

func TestWalkDrift(t *testing.T) {
	tests := []struct {
		name    string
		version string
		schemas string
		body    string
		want    []string
	}{
		{
			name: "conforming", version: "3.1.0", schemas: envelope,
			body: `{"status":"success","message":"ok","data":{"uid":"o1","total":5,"created_at":"2024-05-01T03:00:00Z","paid_at":null,"items":[{"amount":1,"tags":{"a":"b"}}]}}`,
		},
		{
			name: "every kind of drift", version: "3.1.0", schemas: envelope,
			body: `{"status":"refunded","message":"ok","data":{"uid":7,"small":3000000000,"created_at":"2024-05-01 03:00","email":"not an email","site":"relative/path","items":[{"amount":1,"fee":2},{"fee":3}],"extra":true}}`,
			want: []string{
				"missing_required_field /data/items/1/amount",
				"format_violation /data/created_at",
				"format_violation /data/email",
				"undocumented_field /data/extra",
				"undocumented_field /data/items/0/fee",
				"format_violation /data/site",
				"format_violation /data/small",
				"missing_required_field /data/total",
				"type_changed /data/uid",
				"unknown_enum_value /status",
			},
		},
		{
			name: "null where not nullable, 3.1", version: "3.1.0", schemas: envelope,
			body: `{"status":"success","message":null,"data":{"uid":"o1","total":5,"created_at":"2024-05-01T03:00:00Z","paid_at":null,"items":[]}}`,
			want: []string{"nullability_changed /message"},
		},
		{
			name: "envelope switched", version: "3.1.0", schemas: envelope,
			body: `{"success":true,"message":"ok","data":{"uid":"o1","total":5,"created_at":"2024-05-01T03:00:00Z","items":[]}}`,
			want: []string{"envelope_changed "},
		},
		{
			name: "undocumented even where extra properties are allowed", version: "3.1.0",
			schemas: "    S:\n      type: object\n      additionalProperties: true\n      properties:\n        a: {type: string}\n",
			body:    `{"a":"x","b":1}`,
			want:    []string{"undocumented_field /b"},
		},
		{
			name: "nullable in 3.0", version: "3.0.3",
			schemas: "    S:\n      type: object\n      properties:\n        a: {type: string, nullable: true}\n        b: {type: string}\n",
			body:    `{"a":null,"b":null}`,
			want:    []string{"nullability_changed /b"},
		},
		{
			name: "allOf folds properties and required", version: "3.1.0",
			schemas: "    S:\n      allOf:\n        - {$ref: '#/components/schemas/Base'}\n        - type: object\n          required: [b]\n          properties:\n            b: {type: integer}\n    Base:\n      type: object\n      required: [a]\n      properties:\n        a: {type: string}\n",
			body:    `{"b":"two"}`,
			want:    []string{"missing_required_field /a", "type_changed /b"},
		},
		{
			name: "allOf knows every branch's properties", version: "3.1.0",
			schemas: "    S:\n      allOf:\n        - {$ref: '#/components/schemas/Base'}\n        - type: object\n          properties:\n            b: {type: integer}\n    Base:\n      type: object\n      required: [a]\n      properties:\n        a: {type: string}\n",
			body:    `{"a":"x","b":2,"c":3}`,
			want:    []string{"undocumented_field /c"},
		},
		{
			name: "a flat response that loses a field and gains another has changed its envelope", version: "3.1.0",
			schemas: "    S:\n      type: object\n      required: [a, b]\n      properties:\n        a: {type: string}\n        b: {type: string}\n",
			body:    `{"a":"x","c":"y"}`,
			want:    []string{"envelope_changed "},
		},
		{
			name: "oneOf picks the branch the data fits", version: "3.1.0",
			schemas: "    S:\n      oneOf:\n        - type: object\n          required: [card]\n          properties:\n            card: {type: string}\n        - type: object\n          required: [wallet]\n          properties:\n            wallet: {type: string}\n            brand: {type: string, enum: [grabpay]}\n",
			body:    `{"wallet":"w","brand":"paynow"}`,
			want:    []string{"unknown_enum_value /brand"},
		},
		{
			name: "integral number is an integer, fraction is not", version: "3.1.0",
			schemas: "    S:\n      type: object\n      properties:\n        a: {type: integer}\n        b: {type: integer}\n        n: {type: number}\n",
			body:    `{"a":5.0,"b":5.5,"n":7}`,
			want:    []string{"type_changed /b"},
		},
		{
			name: "numeric enum", version: "3.1.0",
			schemas: "    S:\n      type: object\n      properties:\n        code: {type: integer, enum: [0, 1, 2]}\n",
			body:    `{"code":4}`,
			want:    []string{"unknown_enum_value /code"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := walk(t, tc.version, tc.schemas, tc.body)
			if diff := cmp.Diff(tc.want, got, cmpopts.EquateEmpty(), cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
				t.Errorf("drift (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWalkDriftDedupesListElements(t *testing.T) {
	s := mustLoad(t, "t.yaml", []byte(schemaDoc("3.1.0", envelope)))
	sp, _ := s.Model.Components.Schemas.Get("S")
	items := make([]string, 5)
	for i := range items {
		items[i] = `{"amount":1,"fee":2}`
	}
	doc, err := decodeJSON([]byte(`{"status":"success","message":"ok","data":{"uid":"o1","total":5,"created_at":"2024-05-01T03:00:00Z","items":[` + strings.Join(items, ",") + `]}}`))
	if err != nil {
		t.Fatal(err)
	}
	got := WalkDrift(sp, doc, 3.1)
	want := []Drift{{Check: CheckUndocumentedField, Pointer: "/data/items/0/fee", Occurrences: 5}}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(Drift{}, "Message", "Line")); diff != "" {
		t.Errorf("drift (-want +got):\n%s", diff)
	}
}

func TestDriftLinesPointAtTheSchema(t *testing.T) {
	doc := schemaDoc("3.1.0", envelope)
	s := mustLoad(t, "t.yaml", []byte(doc))
	sp, _ := s.Model.Components.Schemas.Get("S")
	body, _ := decodeJSON([]byte(`{"status":"success","message":"ok","data":{"uid":7,"total":5,"created_at":"2024-05-01T03:00:00Z","items":[]}}`))
	drifts := WalkDrift(sp, body, 3.1)
	if len(drifts) != 1 {
		t.Fatalf("got %d drifts, want 1: %+v", len(drifts), drifts)
	}
	lines := strings.Split(doc, "\n")
	got := strings.TrimSpace(lines[drifts[0].Line-1])
	if !strings.HasPrefix(got, "uid:") {
		t.Errorf("line %d is %q, want the uid property", drifts[0].Line, got)
	}
}

// TestOrderTotalReadings walks orders as a server may send them against
// the embedded Xepeng spec: each documented name of the total is no
// drift, and the walk says which one each order took.
func TestOrderTotalReadings(t *testing.T) {
	s := mustLoad(t, "xepeng-openapi.yaml", specs.Xepeng())
	sp, ok := s.Model.Components.Schemas.Get("Order")
	if !ok {
		t.Fatal("no Order schema")
	}
	const head = `"uid":"ORD-1","status":"active","currency":"IDR","created_at":"2026-11-01T09:00:00+07:00","updated_at":"2026-11-01T09:00:00+07:00"`
	for _, tc := range []struct {
		name, body, want string
		drift            []string
	}{
		{"total_amount", `{` + head + `,"total_amount":150000,"items":[{"amount":150000,"product_name":"x"}]}`, "total_amount", nil},
		{"amount", `{` + head + `,"amount":150000}`, "amount", nil},
		{"items only", `{` + head + `,"items":[{"amount":100000,"product_name":"x"},{"amount":50000,"product_name":"y"}]}`, "items[].amount", nil},
		{"no total at all", `{` + head + `}`, "total_amount", []string{"missing_required_field /total_amount"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc, err := decodeJSON([]byte(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			drifts, seen := WalkDriftReadings(sp, doc, s.SchemaVersion())
			var got []string
			for _, d := range drifts {
				got = append(got, d.Check+" "+d.Pointer)
			}
			if d := cmp.Diff(tc.drift, got); d != "" {
				t.Errorf("drift (-want +got):\n%s", d)
			}
			if d := cmp.Diff([]Seen{{Reading: "order total", Alternative: tc.want, Pointer: ""}}, seen); d != "" {
				t.Errorf("readings (-want +got):\n%s", d)
			}
		})
	}
}
