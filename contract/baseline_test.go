package contract

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseBaselineRejectsIncompleteEntries(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"no reason", "accepted:\n  - operation: getOrder\n    check: type_changed\n    expires: 2030-01-01\n", "line 2: reason is required"},
		{"no expiry", "accepted:\n  - operation: getOrder\n    check: type_changed\n    reason: x\n", `line 2: expires "": want a date`},
		{"unknown check", "accepted:\n  - operation: getOrder\n    check: typo\n    reason: x\n    expires: 2030-01-01\n", `unknown check "typo"`},
		{"unknown key", "accepted:\n  - operation: getOrder\n    chek: type_changed\n", "field chek not found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseBaseline([]byte(tc.src))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestApplyBaseline(t *testing.T) {
	base := []Finding{
		{OperationID: "getOrder", Check: CheckTypeChanged, In: InBody, Pointer: "/data/total_amount", Severity: Breaking},
		{OperationID: "listOrders", Check: CheckUndocumentedField, In: InBody, Pointer: "/data/orders/3/fee", Severity: Warning},
		{OperationID: "listOrders", Check: CheckMissingRequiredField, In: InBody, Pointer: "/data/pagination/limit", Severity: Breaking},
		{OperationID: "updateOrder", Check: CheckEnvelopeChanged, In: InBody, Pointer: "", Severity: Breaking},
	}
	src := `accepted:
  - operation: getOrder
    check: type_changed
    pointer: /data/total_amount
    reason: the server team ships the fix in 2.4
    expires: 2030-01-31
  - operation: listOrders
    check: undocumented_field
    pointer: /data/orders/*/fee
    reason: fee is coming to the spec
    expires: 2030-01-31
  - operation: listOrders
    check: missing_required_field
    reason: accepted long ago
    expires: 2024-01-31
  - operation: createOrder
    check: type_changed
    reason: fixed since
    expires: 2030-01-31
`
	b, err := ParseBaseline([]byte(src))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	r := &Result{Findings: append([]Finding(nil), base...), Operations: []OperationResult{{OperationID: "getOrder"}, {OperationID: "listOrders"}, {OperationID: "updateOrder"}}}
	r.ApplyBaseline(b, time.Date(2030, 1, 31, 23, 0, 0, 0, time.UTC))
	type state struct {
		Op, Check string
		Accepted  bool
		Expired   string
		Fails     bool
	}
	var got []state
	for _, f := range r.Findings {
		got = append(got, state{f.OperationID, f.Check, f.Accepted, f.BaselineExpired, f.Fails()})
	}
	want := []state{
		{"getOrder", CheckTypeChanged, true, "", false},
		{"listOrders", CheckMissingRequiredField, false, "2024-01-31", true},
		{"listOrders", CheckUndocumentedField, true, "", false},
		{"updateOrder", CheckEnvelopeChanged, false, "", true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("after baseline (-want +got):\n%s", diff)
	}
	if len(r.UnusedBaseline) != 1 || r.UnusedBaseline[0].Operation != "createOrder" {
		t.Errorf("unused entries: got %+v, want the createOrder one", r.UnusedBaseline)
	}
	if r.Passed() {
		t.Error("an expired entry and an unbaselined breaking finding passed the gate")
	}
	// The day after the first entries expire, they fail again.
	r2 := &Result{Findings: append([]Finding(nil), base[:1]...)}
	r2.ApplyBaseline(b, time.Date(2030, 2, 1, 0, 0, 0, 0, time.UTC))
	if r2.Findings[0].Accepted || r2.Passed() {
		t.Errorf("an entry was honoured after its expiry: %+v", r2.Findings[0])
	}
}

func TestBaselineForRoundTrips(t *testing.T) {
	r := &Result{Findings: []Finding{
		{OperationID: "listOrders", Check: CheckUnknownEnumValue, Pointer: "/data/orders/0/status", Severity: Breaking},
		{OperationID: "listOrders", Check: CheckUnknownEnumValue, Pointer: "/data/orders/4/status", Severity: Breaking},
		{OperationID: "listOrders", Check: CheckUndocumentedField, Pointer: "/data/x", Severity: Warning},
	}}
	out, err := BaselineFor(r, "known", time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	b, err := ParseBaseline(out)
	if err != nil {
		t.Fatalf("reparse %s: %v", out, err)
	}
	if len(b.Accepted) != 1 || *b.Accepted[0].Pointer != "/data/orders/*/status" {
		t.Fatalf("got entries %+v from\n%s, want one for /data/orders/*/status", b.Accepted, out)
	}
	r.ApplyBaseline(b, time.Date(2029, 1, 1, 0, 0, 0, 0, time.UTC))
	if !r.Passed() {
		t.Errorf("the written baseline does not accept its own findings: %+v", r.Findings)
	}
}
