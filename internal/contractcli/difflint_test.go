package contractcli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLintExitCodes(t *testing.T) {
	if code, out, errs := runCLI(t, nil, "lint", "../../specs/xepeng-openapi.yaml"); code != ExitOK {
		t.Fatalf("our own spec: exit %d\n%s%s", code, out, errs)
	}
	code, out, _ := runCLI(t, nil, "lint", "../../testdata/contract/lint/quirks.yaml")
	if code != ExitFail || !strings.Contains(out, "path-query-string") {
		t.Fatalf("quirks: exit %d\n%s", code, out)
	}
	if code, _, _ := runCLI(t, nil, "lint", "no-such.yaml"); code != ExitUsage {
		t.Fatalf("missing file: exit %d, want %d", code, ExitUsage)
	}
}

func TestDiffExitCodes(t *testing.T) {
	dir := t.TempDir()
	old, err := os.ReadFile("../../specs/xepeng-openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// Renaming a path removes an endpoint: breaking whoever calls it.
	newSpec := strings.Replace(string(old), "  /openapi/payment-links/{payment_link_uid}/inactivate:", "  /openapi/payment-links/{payment_link_uid}/deactivate:", 1)
	if newSpec == string(old) {
		t.Fatal("the edit did not apply")
	}
	oldPath, newPath := filepath.Join(dir, "old.yaml"), filepath.Join(dir, "new.yaml")
	os.WriteFile(oldPath, old, 0o600)
	os.WriteFile(newPath, []byte(newSpec), 0o600)
	sarif := filepath.Join(dir, "diff.sarif")

	code, out, errs := runCLI(t, nil, "diff", oldPath, newPath, "--sarif", sarif)
	if code != ExitFail || !strings.Contains(out, "endpoint-removed") {
		t.Fatalf("breaking change: exit %d\n%s%s", code, out, errs)
	}
	if b, err := os.ReadFile(sarif); err != nil || !strings.Contains(string(b), `"2.1.0"`) {
		t.Fatalf("sarif: %v %s", err, b)
	}
	if code, _, _ := runCLI(t, nil, "diff", oldPath, newPath, "--fail-on", "none"); code != ExitOK {
		t.Fatalf("--fail-on none: exit %d", code)
	}
	if code, _, _ := runCLI(t, nil, "diff", oldPath, oldPath); code != ExitOK {
		t.Fatalf("no change: exit %d", code)
	}
	if code, _, _ := runCLI(t, nil, "diff", oldPath, newPath, "--fail-on", "sometimes"); code != ExitUsage {
		t.Fatalf("bad --fail-on: exit %d", code)
	}
}
