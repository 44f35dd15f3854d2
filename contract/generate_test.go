package contract

import (
	"regexp"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestSampleFromPattern(t *testing.T) {
	for _, p := range []string{`^[A-Z]{3}$`, `^[0-9]{14}$`, `^[0-9a-fA-F]{64}$`, `^(ord|pl)_[a-z0-9]+$`, `^\d{4}-\d{2}$`, `a.b?c*`} {
		t.Run(p, func(t *testing.T) {
			got, ok := sampleFromPattern(p)
			if !ok {
				t.Fatalf("no sample for %s", p)
			}
			if !regexp.MustCompile(p).MatchString(got) {
				t.Errorf("sample %q does not match %s", got, p)
			}
		})
	}
}

func TestGeneratedBodiesFollowTheSchema(t *testing.T) {
	const schemas = `    S:
      type: object
      required: [merchant_id, amount, items, when, currency, site]
      properties:
        merchant_id: {type: string, minLength: 9, maxLength: 9}
        amount: {type: integer, minimum: 100}
        optional: {type: string}
        currency: {type: string, pattern: '^[A-Z]{3}$'}
        when: {type: string, format: date-time}
        site: {type: string, format: uri}
        kind: {type: string, enum: [a, b]}
        items:
          type: array
          minItems: 2
          items: {type: object, required: [n], properties: {n: {type: number, exclusiveMinimum: 0}}}
`
	s := mustLoad(t, "t.yaml", []byte(schemaDoc("3.1.0", schemas)))
	sp, _ := s.Model.Components.Schemas.Get("S")
	g := &generator{version: 3.1, vars: map[string]any{"merchant_id": "100000001"}, now: time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)}
	got := g.value(sp, "", 0)
	want := normalizeJSON(map[string]any{
		"merchant_id": "100000001",
		"amount":      100,
		"currency":    "AAA",
		"when":        "2024-05-02T00:00:00Z",
		"site":        "https://example.com/contract-test",
		"items":       []any{map[string]any{"n": 1}, map[string]any{"n": 1}},
	})
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("generated (-want +got):\n%s", diff)
	}
	if d := WalkDrift(sp, got, 3.1); len(d) != 0 {
		t.Errorf("the generated body drifts from its own schema: %+v", d)
	}
}
