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
	doc := JUnitSuites{Name: "n", Tests: 1, Failures: 1, Suites: []JUnitSuite{{Name: "s", Tests: 1, Failures: 1,
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
