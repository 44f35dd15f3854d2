package diff

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"
)

// pairCase is one entry of testdata/contract/diff/pairs/pairs.yaml.
type pairCase struct {
	Pair     string   `yaml:"pair"`
	About    string   `yaml:"about"`
	Breaking bool     `yaml:"breaking"`
	Rules    []string `yaml:"rules"`
	// OASDiff is oasdiff's verdict on the same edit as its published
	// rules give it; nil where they do not say.
	OASDiff *bool `yaml:"oasdiff"`
}

func readPairs(t *testing.T) []pairCase {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testdata, "pairs", "pairs.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []pairCase
	if err := yaml.Unmarshal(b, &cases); err != nil {
		t.Fatalf("pairs.yaml: %v", err)
	}
	return cases
}

func runPair(t *testing.T, name string) *Report {
	t.Helper()
	dir := filepath.Join(testdata, "pairs")
	base, err := os.ReadFile(filepath.Join(dir, name+".base.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	rev, err := os.ReadFile(filepath.Join(dir, name+".revision.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Run(context.Background(), Options{Old: base, New: rev, OldName: name + ".base.yaml", NewName: name + ".revision.yaml",
		Now: time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return rep
}

// TestPairs runs every base/revision pair with its expected verdict and
// rules: one pair per rule and direction of docs/contract-diff-lint.md.
func TestPairs(t *testing.T) {
	cases := readPairs(t)
	if len(cases) < 90 {
		t.Fatalf("got %d pairs, want the full set", len(cases))
	}
	for _, tc := range cases {
		t.Run(tc.Pair, func(t *testing.T) {
			rep := runPair(t, tc.Pair)
			var rules []string
			ids := map[string]bool{}
			for _, f := range rep.Findings {
				rules = append(rules, f.Rule)
				if ids[f.ID] {
					t.Errorf("id %s appears twice in one report", f.ID)
				}
				ids[f.ID] = true
			}
			slices.Sort(rules)
			want := slices.Clone(tc.Rules)
			slices.Sort(want)
			if diff := cmp.Diff(want, rules, cmp.Comparer(func(a, b []string) bool { return slices.Equal(a, b) })); diff != "" {
				t.Errorf("rules (-want +got):\n%s\n%s", diff, describeFindings(rep))
			}
			if got := rep.Crossed(FailOnBreaking); got != tc.Breaking {
				t.Errorf("breaking got %v, want %v (%s)\n%s", got, tc.Breaking, tc.About, describeFindings(rep))
			}
			if len(rep.Warnings) > 0 {
				t.Errorf("warnings: %v", rep.Warnings)
			}
		})
	}
}

func describeFindings(rep *Report) string {
	var b strings.Builder
	for _, f := range rep.Findings {
		fmt.Fprintf(&b, "  %s %s breaking=%v in=%v: %s\n", f.Rule, f.Pointer, f.Breaking, f.BreakingIn, f.Message)
	}
	return b.String()
}

// TestPairsAgreement measures how often contract diff reaches oasdiff's
// verdict on the pairs where oasdiff's rules give one, and checks the
// figure the documentation states.
func TestPairsAgreement(t *testing.T) {
	agree, known := 0, 0
	var differ []string
	for _, tc := range readPairs(t) {
		if tc.OASDiff == nil {
			continue
		}
		known++
		if *tc.OASDiff == tc.Breaking {
			agree++
		} else {
			differ = append(differ, tc.Pair)
		}
	}
	t.Logf("agrees with oasdiff on %d of %d pairs; differs on %s", agree, known, strings.Join(differ, ", "))
	doc, err := os.ReadFile("../../docs/contract-diff-lint.md")
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("%d of %d pairs", agree, known); !strings.Contains(string(doc), want) {
		t.Errorf("docs/contract-diff-lint.md does not state the agreement %q", want)
	}
}
