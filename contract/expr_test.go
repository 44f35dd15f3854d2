package contract

import (
	"encoding/json"
	"errors"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestExpand(t *testing.T) {
	e := &env{
		vars:  map[string]any{"merchant_id": "100000001", "limit": 10},
		runID: "r1",
		steps: map[string]*exchange{
			"page": {step: "page", status: 200, bodyJSON: true, header: http.Header{"X-Request-Id": {"abc"}},
				body: map[string]any{"body": map[string]any{"oxpay_hpp_url": "http://h/hpp?session_id=s123&x=1"}, "amount": json.Number("200")}},
			"broken": {step: "broken", status: 500},
		},
	}
	tests := []struct {
		name    string
		in      any
		want    any
		missing bool
	}{
		{"plain text", "hello", "hello", false},
		{"run id inside text", "CT-${run_id}-SALE", "CT-r1-SALE", false},
		{"var", "${vars.merchant_id}", "100000001", false},
		{"number keeps its type", "${steps.page.body#/amount}", json.Number("200"), false},
		{"number inside text", "n=${vars.limit}", "n=10", false},
		{"query filter", "${steps.page.body#/body/oxpay_hpp_url|query:session_id}", "s123", false},
		{"header", "${steps.page.header.X-Request-Id}", "abc", false},
		{"status", "${steps.page.status}", json.Number("200"), false},
		{"nested", map[string]any{"a": []any{"${run_id}"}}, map[string]any{"a": []any{"r1"}}, false},
		{"missing var", "${vars.nope}", nil, true},
		{"step without JSON body", "${steps.broken.body#/id}", nil, true},
		{"unknown step", "${steps.later.body#/id}", nil, true},
		{"absent field", "${steps.page.body#/nope}", nil, true},
		{"absent query parameter", "${steps.page.body#/body/oxpay_hpp_url|query:nope}", nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := e.expand(tc.in)
			var mv *missingValue
			if tc.missing {
				if !errors.As(err, &mv) {
					t.Fatalf("got %v, %v; want a missing value error", got, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("expand: %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("expand (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRuntimeExpr(t *testing.T) {
	ex := &exchange{step: "s", status: 201, bodyJSON: true, body: map[string]any{"data": map[string]any{"uid": "o1"}},
		reqPath: map[string]string{"id": "p1"}, header: http.Header{"Location": {"/x/1"}}}
	tests := []struct {
		expr string
		want any
		ok   bool
	}{
		{"$response.body#/data/uid", "o1", true},
		{"$response.header.Location", "/x/1", true},
		{"$request.path.id", "p1", true},
		{"$statusCode", json.Number("201"), true},
		{"constant", "constant", true},
		{"order-{$response.body#/data/uid}", "order-o1", true},
		{"$response.body#/data/missing", nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.expr, func(t *testing.T) {
			got, err := runtimeExpr(tc.expr, ex)
			if (err == nil) != tc.ok {
				t.Fatalf("got error %v, want ok=%v", err, tc.ok)
			}
			if tc.ok && !cmp.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}
