package contractcli

import "testing"

func TestVersionFlag(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"version"}} {
		code, out, errs := runCLI(t, nil, args...)
		if code != ExitOK || out != "contract "+Version+"\n" {
			t.Errorf("%v: got exit %d, %q (%s); want contract %s", args, code, out, errs, Version)
		}
	}
}
