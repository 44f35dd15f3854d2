package contract

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/reconkit/reconkit/sandbox"
	"github.com/reconkit/reconkit/specs"
)

func TestPlanOrder(t *testing.T) {
	s := mustLoad(t, "xepeng-openapi.yaml", specs.Xepeng())
	p, err := NewPlan(s, embeddedScenarios(t).For(s), PlanOptions{Skip: []string{"listPaymentLinks", "capturePayment"}})
	if err != nil {
		t.Fatalf("plan: %v", err)
	}
	var got []string
	for _, st := range p.Steps {
		got = append(got, st.Phase+" "+st.ID+" "+st.Op.ID)
	}
	want := []string{
		"scenario create_order createOrder",
		"scenario activate_order updateOrder",
		"scenario get_order getOrder",
		"scenario generate_link generatePaymentLink",
		"scenario get_link getPaymentLink",
		"scenario list_orders listOrders",
		"scenario inactivate_link inactivatePaymentLink",
		"cleanup withdraw_order updateOrder",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("steps (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"listPaymentLinks"}, p.Skipped); diff != "" {
		t.Errorf("skipped (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"capturePayment"}, p.UnknownSkips); diff != "" {
		t.Errorf("unknown skips (-want +got):\n%s", diff)
	}
}

func TestPlanRejectsBadScenarios(t *testing.T) {
	s := mustLoad(t, "xepeng-openapi.yaml", specs.Xepeng())
	tests := []struct {
		name, src, want string
	}{
		{"unknown operation", "scenarios:\n  - name: x\n    spec: xepeng-openapi.yaml\n    steps:\n      - operation: nope\n", `operation "nope" is not in`},
		{"reference to a later step", "scenarios:\n  - name: x\n    spec: xepeng-openapi.yaml\n    steps:\n      - operation: getOrder\n        params: {order_uid: '${steps.later.body#/data/uid}'}\n      - id: later\n        operation: createOrder\n", "does not name an earlier step"},
		{"set key that is not a pointer", "scenarios:\n  - name: x\n    spec: xepeng-openapi.yaml\n    steps:\n      - operation: createOrder\n        set: {currency: IDR}\n", "not a JSON pointer"},
		{"unknown example", "scenarios:\n  - name: x\n    spec: xepeng-openapi.yaml\n    steps:\n      - operation: createOrder\n        example: nope\n", `no request example called "nope"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := ParseScenarios([]byte(tc.src))
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			_, err = NewPlan(s, f.For(s), PlanOptions{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
	if _, err := ParseScenarios([]byte("scenarios:\n  - name: x\n    steps:\n      - operation: createOrder\n        bodyy: {}\n")); err == nil {
		t.Error("a misspelt step key parsed without error")
	}
}

// TestScenarioPassesIDsAlong checks, from the sandbox's side, that the
// lifecycle used the ids the earlier responses handed out: through the
// scenario's expressions and through the spec's OpenAPI links.
func TestScenarioPassesIDsAlong(t *testing.T) {
	var mu sync.Mutex
	var calls []string
	cfg := sandbox.DefaultConfig()
	cfg.OnRequest = func(r sandbox.RequestRecord) {
		if r.Status < 300 {
			mu.Lock()
			calls = append(calls, r.Method+" "+r.Path)
			mu.Unlock()
		}
	}
	url, stop, err := sandbox.New(cfg, nil).Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	tg := targets()[0]
	spec := mustLoad(t, tg.file, tg.raw)
	plan, err := NewPlan(spec, embeddedScenarios(t).For(spec), PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	auth, _ := NewAuth(tg.auth, tg.creds, nil)
	res, err := Run(context.Background(), plan, RunOptions{BaseURL: url, Auth: auth, Timeout: 5 * time.Second, RunID: "ids"})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Passed() {
		t.Fatalf("run failed: %v", res.Findings)
	}
	// An empty sandbox numbers its records from 1.
	want := []string{
		"POST /openapi/orders",
		"PUT /openapi/orders/ORD-SBX-000001",
		"GET /openapi/orders/ORD-SBX-000001",
		"POST /openapi/payment-links/generate",
		"GET /openapi/payment-links/PL-SBX-000001",
		"GET /openapi/orders",
		"GET /openapi/payment-links",
		"PUT /openapi/payment-links/PL-SBX-000001/inactivate",
		"PUT /openapi/orders/ORD-SBX-000001",
	}
	mu.Lock()
	defer mu.Unlock()
	if diff := cmp.Diff(want, calls); diff != "" {
		t.Errorf("successful calls (-want +got):\n%s", diff)
	}
}
