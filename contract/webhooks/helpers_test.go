package webhooks

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/reconkit/reconkit/sandbox/gen"
	"github.com/reconkit/reconkit/sign"
)

var update = flag.Bool("update", false, "rewrite testdata/drifted.jsonl and the golden files")

const (
	oxpaySpec = "../../specs/oxpay-openapi.yaml"
	spec30    = "testdata/oxpay-webhooks-3.0.yaml"
	signKey   = gen.DefaultSignKey
)

// cleanLog generates a sandbox world without injected anomalies and
// returns its webhook log: every delivery signed with gen.DefaultSignKey
// and true to the spec.
func cleanLog(t testing.TB, orders int) []byte {
	t.Helper()
	ds, err := gen.Generate(gen.Options{Seed: 7, Orders: orders, AnomalyRate: -1})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := ds.WriteWebhooks(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func newChecker(t testing.TB, specPath string, opts Options) *Checker {
	t.Helper()
	b, err := os.ReadFile(specPath)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Load(specPath, b, opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// check reads one log and returns the report.
func check(t testing.TB, c *Checker, name string, log []byte) *Report {
	t.Helper()
	if err := c.ReadLog(context.Background(), name, bytes.NewReader(log)); err != nil {
		t.Fatal(err)
	}
	return c.Report()
}

func gzipped(t testing.TB, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// notification is an OxPay webhook payload of the given kind, as the
// spec documents it.
func notification(kind string, i int) map[string]any {
	body := map[string]any{
		"host_txn_id":           fmt.Sprintf("%032x", i),
		"merchant_reference_id": fmt.Sprintf("ORD-20261101-%06d", i),
		"oxpay_txn_id":          strconv.Itoa(10000000 + i),
		"payment_brand":         "Card",
		"transaction_amount":    json.Number(strconv.Itoa(1000 + i)),
		"transaction_currency":  "SGD",
		"transaction_state":     "success",
	}
	switch kind {
	case "refund":
		body["oxpay_original_txn_id"] = strconv.Itoa(10000000 + i - 1)
		body["refund_amount"] = json.Number("500")
		body["transaction_state"] = "refunded"
	case "void":
		body["transaction_state"] = "voided"
	}
	return map[string]any{
		"headers": map[string]any{"status_code": json.Number("0"), "status_message": "Success", "gateway_response_datetime": "20261101000000"},
		"body":    body,
	}
}

// driftedPlan is the drifted log, one entry a line: a kind and what is
// done to its delivery. TestDriftedLog's expectations count these.
var driftedPlan = []struct{ kind, edit string }{
	{"payment", ""},                     // 1
	{"payment", "amount-string"},        // 2
	{"refund", ""},                      // 3
	{"payment", "extra-field"},          // 4
	{"void", ""},                        // 5
	{"refund", "no-refund-amount"},      // 6
	{"payment", ""},                     // 7
	{"", "not-json"},                    // 8
	{"payment", "state-settled"},        // 9
	{"refund", "no-refund-amount"},      // 10
	{"payment", "forged"},               // 11
	{"void", "no-host-txn-id"},          // 12
	{"payment", "unsigned"},             // 13
	{"", "blank"},                       // 14
	{"refund", "string-body"},           // 15
	{"payment", "amount-string"},        // 16
	{"refund", "no-refund-amount"},      // 17
	{"payment", "extra-field"},          // 18
	{"payment", "string-body-indented"}, // 19
	{"void", "string-body"},             // 20
	{"payment", "null-brand"},           // 21
	{"", "no-body"},                     // 22
	{"payment", "amount-string"},        // 23
	{"refund", ""},                      // 24
}

// driftedLog builds the drifted log from driftedPlan. Every delivery but
// the forged and the unsigned one is correctly signed, so drift and
// signatures are counted apart.
func driftedLog() []byte {
	var b bytes.Buffer
	at := time.Date(2026, 11, 1, 1, 0, 0, 0, time.UTC)
	for i, p := range driftedPlan {
		switch p.edit {
		case "not-json":
			b.WriteString("this line is not JSON\n")
			continue
		case "blank":
			b.WriteString("\n")
			continue
		case "no-body":
			fmt.Fprintf(&b, `{"received_at":"%s","headers":{}}`+"\n", at.Format(time.RFC3339))
			continue
		}
		n := notification(p.kind, i+1)
		body := n["body"].(map[string]any)
		switch p.edit {
		case "amount-string":
			body["transaction_amount"] = "1002"
		case "extra-field":
			body["installments"] = json.Number("3")
		case "no-refund-amount":
			delete(body, "refund_amount")
		case "state-settled":
			body["transaction_state"] = "settled"
		case "no-host-txn-id":
			delete(body, "host_txn_id")
		case "null-brand":
			body["payment_brand"] = nil
		}
		payload, err := json.Marshal(n)
		if err != nil {
			panic(err)
		}
		sig := sign.OxPay(signKey, payload)
		if p.edit == "string-body-indented" {
			// Signed over the compact form, logged as received: pretty.
			var ind bytes.Buffer
			if err := json.Indent(&ind, payload, "", "  "); err != nil {
				panic(err)
			}
			payload = ind.Bytes()
		}
		switch p.edit {
		case "forged":
			sig = sign.OxPay("not-the-sign-key", payload)
		case "unsigned":
			sig = ""
		}
		var line []byte
		line = append(line, `{"received_at":"`+at.Add(time.Duration(i)*time.Minute).Format(time.RFC3339)+`","headers":{`...)
		if sig != "" {
			line = append(line, `"Signature":"`+sig+`"`...)
		}
		line = append(line, `},"body":`...)
		if p.edit == "string-body" || p.edit == "string-body-indented" {
			s, _ := json.Marshal(string(payload))
			line = append(line, s...)
		} else {
			line = append(line, payload...)
		}
		b.Write(append(line, "}\n"...))
	}
	return b.Bytes()
}

// golden compares got with testdata/name, rewriting it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := "testdata/" + name
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from what the test produces (go test -update rewrites it):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}
