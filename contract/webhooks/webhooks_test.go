package webhooks

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/reconkit/reconkit/contract"
	"github.com/reconkit/reconkit/ingest"
	"github.com/reconkit/reconkit/recon"
)

// counts is the part of a Report the tests pin exactly: everything but
// messages and spec lines, which follow the spec's wording and layout.
type counts struct {
	Kinds       map[string]int64
	Drift       []driftCount
	Signatures  Signatures
	InputErrors []int // line numbers
	Dropped     int64
}

type driftCount struct {
	Kind, Check, Pointer string
	Count, Of            int64
	First                int
}

func countsOf(r *Report) counts {
	c := counts{Kinds: map[string]int64{}, Signatures: r.Signatures, Dropped: r.DroppedDrift}
	for _, k := range r.Kinds {
		c.Kinds[k.Name] = k.Deliveries
	}
	for _, f := range r.Drift {
		c.Drift = append(c.Drift, driftCount{f.Kind, f.Check, f.Pointer, f.Count, f.Of, f.First.Line})
	}
	for _, e := range r.InputErrors.First {
		c.InputErrors = append(c.InputErrors, e.Line)
	}
	return c
}

// driftedWant is what driftedPlan holds (see its line comments), against
// specs/oxpay-openapi.yaml with the sign key.
func driftedWant() counts {
	return counts{
		Kinds: map[string]int64{"payment": 12, "refund": 6, "void": 3},
		Drift: []driftCount{
			{"payment", contract.CheckUndocumentedField, "/body/installments", 2, 12, 4},
			{"payment", contract.CheckNullabilityChanged, "/body/payment_brand", 1, 12, 21},
			{"payment", contract.CheckTypeChanged, "/body/transaction_amount", 3, 12, 2},
			{"payment", contract.CheckUnknownEnumValue, "/body/transaction_state", 1, 12, 9},
			{"refund", contract.CheckMissingRequiredField, "/body/refund_amount", 3, 6, 6},
			{"void", contract.CheckMissingRequiredField, "/body/host_txn_id", 1, 3, 12},
		},
		Signatures: Signatures{
			Checked: true, Signed: 20, Unsigned: 1, Raw: 18, Compact: 1, Invalid: 1,
			FirstInvalid:  &Location{File: "drifted.jsonl", Line: 11},
			FirstUnsigned: &Location{File: "drifted.jsonl", Line: 13},
		},
		InputErrors: []int{8, 22},
	}
}

func TestDriftedLogFile(t *testing.T) {
	// testdata/drifted.jsonl is what driftedLog writes; the CLI tests and
	// the docs use the file.
	golden(t, "drifted.jsonl", driftedLog())
}

func TestDriftedLog(t *testing.T) {
	log := driftedLog()
	for _, tc := range []struct {
		name, file string
		log        []byte
	}{
		{"plain", "drifted.jsonl", log},
		{"gzip", "drifted.jsonl.gz", gzipped(t, log)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := check(t, newChecker(t, oxpaySpec, Options{SignKey: signKey}), tc.file, tc.log)
			want := driftedWant()
			if tc.file != "drifted.jsonl" {
				want.Signatures.FirstInvalid.File = tc.file
				want.Signatures.FirstUnsigned.File = tc.file
			}
			if diff := cmp.Diff(want, countsOf(r)); diff != "" {
				t.Errorf("counts (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]FileStat{{Name: tc.file, Gzip: tc.name == "gzip", Lines: 24, Deliveries: 21, InputErrors: 2}}, r.Files); diff != "" {
				t.Errorf("files (-want +got):\n%s", diff)
			}
			if !r.Failed() {
				t.Error("a drifted log passed the gate")
			}
		})
	}
}

func TestDriftedLogWithoutKey(t *testing.T) {
	r := check(t, newChecker(t, oxpaySpec, Options{}), "drifted.jsonl", driftedLog())
	want := Signatures{Signed: 20, Unsigned: 1, FirstUnsigned: &Location{File: "drifted.jsonl", Line: 13}}
	if diff := cmp.Diff(want, r.Signatures); diff != "" {
		t.Errorf("signatures (-want +got):\n%s", diff)
	}
	// Without a key nothing is verified, so nothing fails on signatures.
	if got := r.Signatures.Failed(); got != 0 {
		t.Errorf("Failed() = %d without a key, want 0", got)
	}
}

// TestSpec30XWebhooks reads the same log against a 3.0 document whose
// webhooks sit under x-webhooks, whose refund body is an allOf, and whose
// payment_brand is nullable (3.0 only): the null brand is no drift there.
func TestSpec30XWebhooks(t *testing.T) {
	c := newChecker(t, spec30, Options{SignKey: signKey})
	var kinds []string
	for _, k := range c.Kinds() {
		kinds = append(kinds, k.Name+" "+k.OperationID)
	}
	if diff := cmp.Diff([]string{"payment paymentNotification", "refund refundNotification", "void voidNotification"}, kinds); diff != "" {
		t.Fatalf("kinds (-want +got):\n%s", diff)
	}
	r := check(t, c, "drifted.jsonl", driftedLog())
	want := driftedWant()
	want.Drift = append(want.Drift[:1], want.Drift[2:]...) // no nullability_changed
	if diff := cmp.Diff(want, countsOf(r)); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
}

// TestCleanSandboxLog holds the sandbox's generated log (no anomalies
// injected) to the spec: no drift, every signature verified, and the same
// kinds package ingest gives by its shape rules.
func TestCleanSandboxLog(t *testing.T) {
	log := cleanLog(t, 400)
	r := check(t, newChecker(t, oxpaySpec, Options{SignKey: signKey}), "webhooks.jsonl", log)
	if len(r.Drift) != 0 || r.InputErrors.Count != 0 || r.DroppedDrift != 0 {
		var b bytes.Buffer
		r.WriteText(&b)
		t.Fatalf("clean log:\n%s", b.String())
	}
	n := r.Deliveries()
	if n < 400 {
		t.Fatalf("%d deliveries from 400 orders", n)
	}
	s := r.Signatures
	if s.Verified() != n || s.Invalid != 0 || s.Unsigned != 0 || s.Compact == 0 {
		t.Errorf("signatures %+v, want all %d verified, some in compact form", s, n)
	}
	if r.Failed() {
		t.Error("a clean log failed the gate")
	}

	path := filepath.Join(t.TempDir(), "webhooks.jsonl")
	if err := os.WriteFile(path, log, 0o600); err != nil {
		t.Fatal(err)
	}
	byIngest := map[string]int64{}
	sink := ingest.SinkFuncs{WebhooksFunc: func(evs []recon.WebhookEvent) error {
		for _, e := range evs {
			byIngest[e.Kind]++
		}
		return nil
	}}
	if _, err := ingest.ReadWebhookLog(context.Background(), path, ingest.WebhookOptions{SignKey: signKey}, sink); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(byIngest, countsOf(r).Kinds); diff != "" {
		t.Errorf("kinds differ from ingest's (-ingest +webhooks):\n%s", diff)
	}
}

func TestClassify(t *testing.T) {
	c := newChecker(t, oxpaySpec, Options{})
	edit := func(kind string, f func(body map[string]any)) map[string]any {
		n := notification(kind, 1)
		f(n["body"].(map[string]any))
		return n
	}
	for _, tc := range []struct {
		name    string
		payload map[string]any
		want    string
		drifts  int
	}{
		{"payment", notification("payment", 1), "payment", 0},
		{"void by its example's state", notification("void", 1), "void", 0},
		{"refund", notification("refund", 1), "refund", 0},
		{"pending payment: no example says so, document order", edit("payment", func(b map[string]any) { b["transaction_state"] = "pending" }), "payment", 0},
		{"refund without refund_amount", edit("refund", func(b map[string]any) { delete(b, "refund_amount") }), "refund", 1},
		{"refund without the original id", edit("refund", func(b map[string]any) { delete(b, "oxpay_original_txn_id") }), "refund", 1},
		{"refund with a string amount", edit("refund", func(b map[string]any) { b["refund_amount"] = "50" }), "refund", 1},
		{"void with an extra field", edit("void", func(b map[string]any) { b["reason"] = "customer" }), "void", 1},
		{"another envelope altogether", map[string]any{"status": "ok", "data": map[string]any{}}, "payment", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, ds := c.classify(tc.payload)
			if got := c.kinds[k].Name; got != tc.want || len(ds) != tc.drifts {
				t.Errorf("got %s with %d drifts %+v, want %s with %d", got, len(ds), ds, tc.want, tc.drifts)
			}
		})
	}
}

func TestInputErrors(t *testing.T) {
	good := strings.TrimSuffix(string(driftedLog()[:bytes.IndexByte(driftedLog(), '\n')]), "\n")
	for _, tc := range []struct {
		name, line, reason string
	}{
		{"not JSON", "{", "broken JSON"},
		{"NUL byte", "{\"a\":\x00}", "NUL byte at column 6"},
		{"not UTF-8", "{\"a\":\"\xff\"}", "not valid UTF-8"},
		{"an array", "[1,2]", "want an object with received_at, headers and body, got a JSON array"},
		{"no body", `{"received_at":"2026-11-01T00:00:00Z"}`, "body is missing"},
		{"null body", `{"body":null}`, "body is missing"},
		{"number body", `{"body":5}`, "body is a JSON number"},
		{"string body not JSON", `{"body":"{\"headers\":"}`, "the body string does not hold valid JSON"},
		{"string body with two values", `{"body":"{} {}"}`, "holds more than one JSON value"},
		{"array payload", `{"body":"[1]"}`, "the payload is a JSON array"},
		{"headers a list", `{"headers":[],"body":{}}`, "headers is a JSON array"},
		{"signature a number", `{"headers":{"Signature":5},"body":{}}`, "headers.Signature is a JSON number"},
		{"two signatures", `{"headers":{"Signature":"a","signature":"b"},"body":{}}`, "two different Signature headers"},
		{"too long", good + strings.Repeat(" ", 100), "bytes, longer than the limit of"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newChecker(t, oxpaySpec, Options{SignKey: signKey, MaxLineBytes: len(good) + 50})
			r := check(t, c, "x.jsonl", []byte(good+"\n"+tc.line+"\n"+good+"\n"))
			if r.Deliveries() != 2 || r.InputErrors.Count != 1 {
				t.Fatalf("%d deliveries, %d input errors; want 2 and 1", r.Deliveries(), r.InputErrors.Count)
			}
			e := r.InputErrors.First[0]
			if e.Line != 2 || !strings.Contains(e.Reason, tc.reason) {
				t.Errorf("got line %d %q, want line 2 containing %q", e.Line, e.Reason, tc.reason)
			}
			if strings.Contains(e.Reason, signKey) {
				t.Error("the reason holds the sign key")
			}
		})
	}
}

func TestLineEnds(t *testing.T) {
	lines := bytes.Split(bytes.TrimSuffix(driftedLog(), []byte("\n")), []byte("\n"))
	crlf := append(bytes.Join(lines[:3], []byte("\r\n")), []byte("\r\n\r\n")...)
	noEnd := bytes.Join(lines[:3], []byte("\n"))
	for name, log := range map[string][]byte{"crlf and a blank line": crlf, "no final line end": noEnd} {
		t.Run(name, func(t *testing.T) {
			r := check(t, newChecker(t, oxpaySpec, Options{SignKey: signKey}), "x.jsonl", log)
			if r.Deliveries() != 3 || r.InputErrors.Count != 0 || r.Signatures.Verified() != 3 {
				t.Errorf("%d deliveries, %d input errors, %d verified; want 3, 0, 3", r.Deliveries(), r.InputErrors.Count, r.Signatures.Verified())
			}
		})
	}
}

func TestTruncatedGzip(t *testing.T) {
	gz := gzipped(t, cleanLog(t, 200))
	r := check(t, newChecker(t, oxpaySpec, Options{SignKey: signKey}), "cut.jsonl.gz", gz[:len(gz)/2])
	if r.InputErrors.Count != 1 || r.Deliveries() == 0 || len(r.Drift) != 0 {
		t.Fatalf("%d input errors, %d deliveries, %d drifts; want 1, some, 0", r.InputErrors.Count, r.Deliveries(), len(r.Drift))
	}
	if e := r.InputErrors.First[0]; !strings.Contains(e.Reason, "could not be read past line") {
		t.Errorf("reason %q", e.Reason)
	}
	if !r.Failed() {
		t.Error("a log read only in part passed the gate")
	}
}

func TestFindingsCap(t *testing.T) {
	// Room for two findings: the first two keys seen (line 2, the
	// amount; line 4, installments) are kept and go on counting; every
	// occurrence of another key is dropped, counted, and fails the gate.
	r := check(t, newChecker(t, oxpaySpec, Options{MaxFindings: 2}), "drifted.jsonl", driftedLog())
	var got []string
	for _, f := range r.Drift {
		got = append(got, f.Kind+" "+f.Pointer)
	}
	if diff := cmp.Diff([]string{"payment /body/installments", "payment /body/transaction_amount"}, got); diff != "" {
		t.Errorf("kept (-want +got):\n%s", diff)
	}
	// Dropped: refund_amount (lines 6, 10, 17), state (9), host_txn_id
	// (12), payment_brand (21).
	if r.DroppedDrift != 6 {
		t.Errorf("dropped %d, want 6", r.DroppedDrift)
	}
	if !r.Failed() {
		t.Error("dropped drift passed the gate")
	}
}

func TestFailed(t *testing.T) {
	warning := Finding{Check: contract.CheckUndocumentedField, Severity: contract.Warning}
	breaking := Finding{Check: contract.CheckTypeChanged, Severity: contract.Breaking}
	for _, tc := range []struct {
		name   string
		r      Report
		levels map[string]bool
	}{
		{"clean", Report{}, map[string]bool{FailOnBreaking: false, FailOnDrift: false, FailOnNone: false}},
		{"a warning", Report{Drift: []Finding{warning}}, map[string]bool{FailOnBreaking: false, FailOnDrift: true, FailOnNone: false}},
		{"breaking drift", Report{Drift: []Finding{breaking}}, map[string]bool{FailOnBreaking: true, FailOnDrift: true, FailOnNone: false}},
		{"a forged signature", Report{Signatures: Signatures{Checked: true, Invalid: 1}}, map[string]bool{FailOnBreaking: true, FailOnDrift: true, FailOnNone: false}},
		{"unsigned, key given", Report{Signatures: Signatures{Checked: true, Unsigned: 1}}, map[string]bool{FailOnBreaking: true, FailOnDrift: true, FailOnNone: false}},
		{"unsigned, no key", Report{Signatures: Signatures{Unsigned: 1}}, map[string]bool{FailOnBreaking: false, FailOnDrift: false, FailOnNone: false}},
		{"an input error", Report{InputErrors: InputErrors{Count: 1}}, map[string]bool{FailOnBreaking: true, FailOnDrift: true, FailOnNone: false}},
	} {
		for level, want := range tc.levels {
			r := tc.r
			r.FailOn = level
			if got := r.Failed(); got != want {
				t.Errorf("%s at --fail-on %s: Failed() = %v, want %v", tc.name, level, got, want)
			}
		}
	}
	if ValidFailOn("sometimes") == nil {
		t.Error("ValidFailOn accepted sometimes")
	}
}

func TestNoWebhooks(t *testing.T) {
	b, err := os.ReadFile("../../specs/xepeng-openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Load("xepeng-openapi.yaml", b, Options{}); !errors.Is(err, ErrNoWebhooks) {
		t.Errorf("got %v, want ErrNoWebhooks", err)
	}
	var le *contract.LoadError
	if _, err := Load("bad.yaml", []byte("openapi: 2.0\n"), Options{}); !errors.As(err, &le) {
		t.Errorf("got %v, want a *contract.LoadError", err)
	}
}

func TestReadLogStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c := newChecker(t, oxpaySpec, Options{})
	// The context is looked at every 4,096 lines.
	err := c.ReadLog(ctx, "x.jsonl", bytes.NewReader(bytes.Repeat(driftedLog(), 200)))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
}

func TestFieldNameAndCount(t *testing.T) {
	for ptr, want := range map[string]string{"": "(payload)", "/body/refund_amount": "body.refund_amount", "/a~1b/*/c~0d": "a/b.*.c~d"} {
		if got := fieldName(ptr); got != want {
			t.Errorf("fieldName(%q) = %q, want %q", ptr, got, want)
		}
	}
	for n, want := range map[int64]string{0: "0", 999: "999", 1204: "1,204", 1234567: "1,234,567", -1000: "-1,000"} {
		if got := count(n); got != want {
			t.Errorf("count(%d) = %q, want %q", n, got, want)
		}
	}
}
