package contractcli

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"os"
	"strconv"
	"testing"

	"github.com/reconkit/reconkit/contract"
)

// The JUnit XML schema CI systems use, as strict structs: every element
// and attribute the schema allows, nothing else. Unknown elements are
// caught by xmlStrict below.
type xTestsuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    *string      `xml:"tests,attr"`
	Failures *string      `xml:"failures,attr"`
	Errors   *string      `xml:"errors,attr"`
	Skipped  *string      `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []xTestsuite `xml:"testsuite"`
}

type xTestsuite struct {
	Name       *string     `xml:"name,attr"`
	Tests      *string     `xml:"tests,attr"`
	Failures   *string     `xml:"failures,attr"`
	Errors     *string     `xml:"errors,attr"`
	Skipped    *string     `xml:"skipped,attr"`
	Time       string      `xml:"time,attr"`
	Timestamp  string      `xml:"timestamp,attr"`
	Properties *xProps     `xml:"properties"`
	Cases      []xTestcase `xml:"testcase"`
}

type xProps struct {
	Props []struct {
		Name  *string `xml:"name,attr"`
		Value *string `xml:"value,attr"`
	} `xml:"property"`
}

type xTestcase struct {
	Name      *string `xml:"name,attr"`
	Classname *string `xml:"classname,attr"`
	Time      string  `xml:"time,attr"`
	Failures  []struct {
		Message *string `xml:"message,attr"`
		Type    string  `xml:"type,attr"`
		Text    string  `xml:",chardata"`
	} `xml:"failure"`
	Errors    []struct{} `xml:"error"`
	Skipped   []struct{} `xml:"skipped"`
	SystemOut []string   `xml:"system-out"`
}

// allowed lists, per element, the child elements the schema allows.
var allowed = map[string][]string{
	"testsuites": {"testsuite"},
	"testsuite":  {"properties", "testcase", "system-out", "system-err"},
	"properties": {"property"},
	"property":   {},
	"testcase":   {"failure", "error", "skipped", "system-out", "system-err"},
	"failure":    {},
	"error":      {},
	"skipped":    {},
	"system-out": {},
	"system-err": {},
}

// xmlStrict walks the token stream and fails on any element the schema
// does not allow where it appears.
func xmlStrict(t *testing.T, raw []byte) {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(raw))
	var stack []string
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("junit is not well-formed XML: %v", err)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			name := el.Name.Local
			if len(stack) == 0 {
				if name != "testsuites" {
					t.Fatalf("root element %s, want testsuites", name)
				}
			} else {
				parent := stack[len(stack)-1]
				ok := false
				for _, c := range allowed[parent] {
					ok = ok || c == name
				}
				if !ok {
					t.Errorf("element %s is not allowed inside %s", name, parent)
				}
			}
			stack = append(stack, name)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		}
	}
}

func atoi(t *testing.T, what string, s *string) int {
	t.Helper()
	if s == nil {
		t.Fatalf("%s is missing", what)
	}
	n, err := strconv.Atoi(*s)
	if err != nil || n < 0 {
		t.Fatalf("%s = %q, want a count", what, *s)
	}
	return n
}

// checkJUnit validates a JUnit file against the schema's rules: required
// attributes present, counts that add up, a failure only with a message.
func checkJUnit(t *testing.T, path string) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	xmlStrict(t, raw)
	var doc xTestsuites
	if err := xml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("parse junit: %v", err)
	}
	if len(doc.Suites) == 0 {
		t.Fatal("no testsuite")
	}
	var tests, failures, skipped int
	for _, s := range doc.Suites {
		if s.Name == nil || *s.Name == "" {
			t.Error("testsuite without a name")
		}
		st, sf, se, ss := atoi(t, "testsuite tests", s.Tests), atoi(t, "testsuite failures", s.Failures), atoi(t, "testsuite errors", s.Errors), atoi(t, "testsuite skipped", s.Skipped)
		var cf, ce, cs int
		for _, c := range s.Cases {
			if c.Name == nil || *c.Name == "" || c.Classname == nil || *c.Classname == "" {
				t.Errorf("testcase without name or classname: %+v", c)
			}
			if _, err := strconv.ParseFloat(c.Time, 64); err != nil {
				t.Errorf("testcase time %q is not a number", c.Time)
			}
			for _, f := range c.Failures {
				if f.Message == nil || *f.Message == "" {
					t.Errorf("failure without message in %s", *c.Name)
				}
				if f.Text == "" {
					t.Errorf("failure without text in %s", *c.Name)
				}
			}
			if len(c.Failures) > 0 {
				cf++
			}
			if len(c.Errors) > 0 {
				ce++
			}
			if len(c.Skipped) > 0 {
				cs++
			}
		}
		if st != len(s.Cases) || sf != cf || se != ce || ss != cs {
			t.Errorf("testsuite counts tests=%d failures=%d errors=%d skipped=%d, cases say %d/%d/%d/%d", st, sf, se, ss, len(s.Cases), cf, ce, cs)
		}
		tests, failures, skipped = tests+st, failures+sf, skipped+ss
	}
	if atoi(t, "testsuites tests", doc.Tests) != tests || atoi(t, "testsuites failures", doc.Failures) != failures || atoi(t, "testsuites skipped", doc.Skipped) != skipped {
		t.Errorf("testsuites totals do not add up to the suites' (%d, %d, %d)", tests, failures, skipped)
	}
	if failures == 0 {
		t.Error("a failing run wrote no failure")
	}
}

// checkSARIF checks the SARIF log's shape: version, rules for every
// result, the spec as the location with a line.
func checkSARIF(t *testing.T, path, specURI string) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var log struct {
		Schema  string `json:"$schema"`
		Version string `json:"version"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Name  string `json:"name"`
					Rules []struct {
						ID string `json:"id"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				RuleID    string `json:"ruleId"`
				RuleIndex int    `json:"ruleIndex"`
				Level     string `json:"level"`
				Message   struct {
					Text string `json:"text"`
				} `json:"message"`
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct {
							URI string `json:"uri"`
						} `json:"artifactLocation"`
						Region struct {
							StartLine int `json:"startLine"`
						} `json:"region"`
					} `json:"physicalLocation"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(raw, &log); err != nil {
		t.Fatalf("parse sarif: %v", err)
	}
	if log.Version != "2.1.0" || log.Schema == "" || len(log.Runs) != 1 {
		t.Fatalf("sarif version %q schema %q runs %d, want 2.1.0, a schema and one run", log.Version, log.Schema, len(log.Runs))
	}
	run := log.Runs[0]
	if len(run.Tool.Driver.Rules) != len(contract.Checks) {
		t.Errorf("%d rules, want one per check (%d)", len(run.Tool.Driver.Rules), len(contract.Checks))
	}
	if len(run.Results) == 0 {
		t.Fatal("no results")
	}
	for _, r := range run.Results {
		if r.RuleIndex >= len(run.Tool.Driver.Rules) || run.Tool.Driver.Rules[r.RuleIndex].ID != r.RuleID {
			t.Errorf("result %s points at rule %d", r.RuleID, r.RuleIndex)
		}
		if r.Level != "error" && r.Level != "warning" {
			t.Errorf("result level %q", r.Level)
		}
		if len(r.Locations) != 1 || r.Locations[0].PhysicalLocation.ArtifactLocation.URI != specURI || r.Locations[0].PhysicalLocation.Region.StartLine < 1 {
			t.Errorf("result %s located at %+v, want %s with a line", r.RuleID, r.Locations, specURI)
		}
	}
}
