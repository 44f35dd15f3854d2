package contract

import (
	"os"
	"strings"
	"testing"
)

// TestDocsListEveryCheck keeps docs/contract.md's table in step with
// Checks: every check, with its default severity.
func TestDocsListEveryCheck(t *testing.T) {
	raw, err := os.ReadFile("../docs/contract.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	for _, c := range Checks {
		row := "| `" + c.Name + "` | " + string(c.Severity) + " |"
		if !strings.Contains(doc, row) {
			t.Errorf("docs/contract.md has no row starting %q", row)
		}
	}
}

// TestExampleConfigIsValid parses the documented example config.
func TestExampleConfigIsValid(t *testing.T) {
	f, err := os.Open("../testdata/contract/contract.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg, err := ParseConfig(f)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("validate: %v", err)
	}
	if got := cfg.ForSpec("specs/oxpay-openapi.yaml", "").BaseURL; got != "http://127.0.0.1:8080/oxpay" {
		t.Errorf("oxpay base_url: got %s", got)
	}
	b, err := os.ReadFile("../testdata/contract/baseline.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseBaseline(b); err != nil {
		t.Errorf("example baseline: %v", err)
	}
}
