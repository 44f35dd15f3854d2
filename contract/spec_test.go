package contract

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/reconkit/reconkit/specs"
)

func TestLoadErrorsNameSpecLines(t *testing.T) {
	tests := []struct {
		name     string
		src      string
		wantLine int
		wantText string
	}{
		{
			name:     "YAML syntax",
			src:      "openapi: 3.1.0\ninfo:\n  title: x\n  version: '1'\npaths:\n  /a:\n    get:\n      responses: {\n",
			wantLine: 9,
			wantText: "did not find expected node content",
		},
		{
			name: "reference to nothing",
			src: "openapi: 3.1.0\ninfo:\n  title: x\n  version: '1'\npaths:\n  /a:\n    get:\n      responses:\n        '200':\n" +
				"          description: ok\n          content:\n            application/json:\n              schema:\n                $ref: '#/components/schemas/Nope'\n",
			wantLine: 14,
			wantText: "#/components/schemas/Nope",
		},
		{
			name: "duplicate operationId",
			src: "openapi: 3.1.0\ninfo:\n  title: x\n  version: '1'\npaths:\n  /a:\n    get:\n      operationId: same\n      responses: {'200': {description: ok}}\n" +
				"  /b:\n    get:\n      operationId: same\n      responses: {'200': {description: ok}}\n",
			wantLine: 11,
			wantText: `operationId "same" is used again (first at line 7)`,
		},
		{
			name:     "Swagger 2",
			src:      "swagger: '2.0'\ninfo:\n  title: x\n  version: '1'\npaths: {}\n",
			wantLine: 1,
			wantText: "only 3.x documents are supported",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load("bad.yaml", []byte(tc.src))
			var le *LoadError
			if !errors.As(err, &le) {
				t.Fatalf("got %v, want a *LoadError", err)
			}
			found := false
			for _, p := range le.Problems {
				if p.Line == tc.wantLine && strings.Contains(p.Message, tc.wantText) {
					found = true
				}
			}
			if !found {
				t.Errorf("got problems %+v, want one at line %d saying %q", le.Problems, tc.wantLine, tc.wantText)
			}
			if !strings.Contains(err.Error(), "bad.yaml:") {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
}

func TestLoadListsOperationsInDocumentOrder(t *testing.T) {
	s := mustLoad(t, "xepeng-openapi.yaml", specs.Xepeng())
	var got []string
	for _, o := range s.Operations {
		got = append(got, o.ID)
		if o.Line == 0 {
			t.Errorf("%s has no line", o.ID)
		}
	}
	want := []string{"createOrder", "listOrders", "getOrder", "updateOrder", "generatePaymentLink", "listPaymentLinks", "getPaymentLink", "inactivatePaymentLink"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("operations (-want +got):\n%s", diff)
	}
	if got := DetectAuth(s); got != AuthXepengHMAC {
		t.Errorf("DetectAuth(xepeng): got %s, want %s", got, AuthXepengHMAC)
	}
	if got := DetectAuth(mustLoad(t, "oxpay-openapi.yaml", specs.OxPay())); got != AuthOxPay {
		t.Errorf("DetectAuth(oxpay): got %s, want %s", got, AuthOxPay)
	}
}

const stripeSpec = "/work/shared/reference/stripe-openapi-3mb.yaml"

func readStripe(tb testing.TB) []byte {
	tb.Helper()
	b, err := os.ReadFile(stripeSpec)
	if err != nil {
		tb.Skipf("Stripe spec not available: %v", err)
	}
	return b
}

// TestPlanStripe loads and plans every operation of a 3 MB real-world
// spec without calling anything: every operation gets a step, and path
// parameters get values.
func TestPlanStripe(t *testing.T) {
	if testing.Short() {
		t.Skip("loads a 3 MB spec")
	}
	raw := readStripe(t)
	s := mustLoad(t, "stripe.yaml", raw)
	p, err := NewPlan(s, nil, PlanOptions{})
	if err != nil {
		t.Fatalf("plan: %v", err)
	}
	if got, want := len(p.Steps), len(s.Operations); got != want || got < 300 {
		t.Fatalf("got %d steps for %d operations, want one each (and hundreds)", got, want)
	}
	for _, st := range p.Steps {
		for _, d := range st.Defaults {
			if d.In == "path" && scalarString(d.Value) == "" {
				t.Errorf("%s: path parameter %s has no value", st.ID, d.Name)
			}
		}
	}
}

// BenchmarkLoadAndPlanStripe loads Stripe's 3 MB spec and plans all its
// operations. Schema validators are not compiled, which is why this
// takes a fraction of a second where building a full validator takes
// tens of seconds.
func BenchmarkLoadAndPlanStripe(b *testing.B) {
	raw := readStripe(b)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		s, err := Load("stripe.yaml", raw)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := NewPlan(s, nil, PlanOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func TestOperationByRef(t *testing.T) {
	s := mustLoad(t, "xepeng-openapi.yaml", specs.Xepeng())
	for ref, want := range map[string]string{
		"#/paths/~1openapi~1orders~1{order_uid}/get":     "getOrder",
		"#/paths/~1openapi~1orders~1%7Border_uid%7D/put": "updateOrder",
		"#/paths/~1openapi~1orders/post":                 "createOrder",
		"#/paths/~1nope/get":                             "",
		"#/components/schemas/Order":                     "",
	} {
		got := ""
		if o := s.OperationByRef(ref); o != nil {
			got = o.ID
		}
		if got != want {
			t.Errorf("OperationByRef(%s): got %q, want %q", ref, got, want)
		}
	}
}
