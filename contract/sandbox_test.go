package contract

import "testing"

func TestSandboxHasNoFindings(t *testing.T) {
	for _, tg := range targets() {
		t.Run(tg.name, func(t *testing.T) {
			res := runTarget(t, tg, startSandbox(t), nil)
			for _, f := range res.Findings {
				t.Errorf("finding: %s\n%s", f, f.Excerpt)
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
