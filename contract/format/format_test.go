package format

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"
)

func TestAtStartsRegionsAtLineOne(t *testing.T) {
	for in, want := range map[int]int{-3: 1, 0: 1, 1: 1, 42: 42} {
		if got := At("spec.yaml", in)[0].PhysicalLocation.Region.StartLine; got != want {
			t.Errorf("At(%d): got line %d, want %d", in, got, want)
		}
	}
}

func TestWriteSARIFWithoutResults(t *testing.T) {
	var b bytes.Buffer
	if err := WriteSARIF(&b, SARIFDriver{Name: "x"}, nil); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{`"results": []`, `"version": "2.1.0"`, `"$schema": "` + SARIFSchema + `"`} {
		if !strings.Contains(out, want) {
			t.Errorf("got %s, want it to contain %s", out, want)
		}
	}
}

func TestWriteJUnitRoundTrip(t *testing.T) {
	doc := JUnitSuites{Name: "n", JUnitCounts: JUnitCounts{Tests: 1, Failures: 1}, Suites: []JUnitSuite{{Name: "s", JUnitCounts: JUnitCounts{Tests: 1, Failures: 1},
		Cases: []JUnitCase{{Name: "c", Classname: "k", Failure: &JUnitFailure{Message: "m", Type: "t", Text: "a < b"}}}}}}
	var b bytes.Buffer
	if err := WriteJUnit(&b, doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(b.String(), xml.Header) || !strings.HasSuffix(b.String(), "\n") {
		t.Fatalf("got %q", b.String())
	}
	var back JUnitSuites
	if err := xml.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if got := back.Suites[0].Cases[0].Failure.Text; got != "a < b" {
		t.Errorf("failure text: got %q, want %q", got, "a < b")
	}
}

// TestWriteJUnitOptionalParts checks what the optional parts write: an
// Errors of 0 is written when set and left out when nil, text is escaped
// or a CDATA section, and a case's time only when given.
func TestWriteJUnitOptionalParts(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    JUnitCase
		errs *int
		want []string
		not  []string
	}{
		{"plain", JUnitCase{Name: "c", Classname: "k", SystemOut: &JUnitText{Text: `"a" < b`}}, nil,
			[]string{`<system-out>&#34;a&#34; &lt; b</system-out>`}, []string{`errors=`, `time=`, `CDATA`}},
		{"cdata", JUnitCase{Name: "c", Classname: "k", Time: "0.100", Failure: &JUnitFailure{Message: "m", Type: "t", CDATA: `"a" < b`}}, new(0),
			[]string{`errors="0"`, `time="0.100"`, `<failure message="m" type="t"><![CDATA["a" < b]]></failure>`}, []string{`&lt;`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := JUnitSuites{Name: "n", JUnitCounts: JUnitCounts{Tests: 1, Errors: tc.errs}, Suites: []JUnitSuite{{Name: "s", Cases: []JUnitCase{tc.c}}}}
			var b bytes.Buffer
			if err := WriteJUnit(&b, doc); err != nil {
				t.Fatal(err)
			}
			for _, want := range tc.want {
				if !strings.Contains(b.String(), want) {
					t.Errorf("got %s, want it to contain %s", b.String(), want)
				}
			}
			for _, not := range tc.not {
				if strings.Contains(b.String(), not) {
					t.Errorf("got %s, want no %s", b.String(), not)
				}
			}
		})
	}
}
