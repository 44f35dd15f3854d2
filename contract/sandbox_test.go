package contract

import "testing"

func TestSandboxHasNoFindings(t *testing.T) {
	for _, tg := range targets() {
		t.Run(tg.name, func(t *testing.T) {
			res := runTarget(t, tg, startSandbox(t), nil)
			for _, f := range res.Findings {
				t.Errorf("finding: %s\n%s", f, f.Excerpt)
			}
			// The sandbox sends the order total as total_amount, and the
			// run says so for every operation that returns orders.
			if tg.name == "xepeng" {
				ops := map[string]bool{}
				for _, x := range res.Readings {
					if x.Reading != "order total" || x.Alternative != "total_amount" || x.Count == 0 {
						t.Errorf("reading %+v, want the order total as total_amount", x)
					}
					ops[x.OperationID] = true
				}
				if len(ops) < 3 {
					t.Errorf("order total read in %d operations (%v), want create, get and list at least", len(ops), ops)
				}
			}
			for _, o := range res.Operations {
				if o.Calls == 0 {
					t.Errorf("%s was never called", o.OperationID)
				}
				t.Logf("%s calls=%d checks=%v", o.OperationID, o.Calls, o.Checks)
			}
		})
	}
}
