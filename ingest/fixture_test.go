package ingest

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/sign"
)

var update = flag.Bool("update", false, "rewrite the fixtures in testdata/ingest")

var sampleLog = filepath.Join("..", "testdata", "ingest", "webhooks-sample.jsonl")

// sampleWebhookLog is the content of testdata/ingest/webhooks-sample.jsonl,
// signed with "sandbox-sign-key": one line per signature outcome and body
// form a reader must handle.
func sampleWebhookLog() []byte {
	pay := samplePayment.payload()
	refund := sampleRefund.payload()
	void := sampleVoid.payload()
	var pretty bytes.Buffer
	json.Indent(&pretty, refund, "", "  ")
	unsigned := testNotification{txn: "10001398", ref: "LNK-0003", host: "H-4", state: "sale", currency: "SGD", amount: 5000}.payload()
	forged := testNotification{txn: "10001399", ref: "LNK-0004", host: "H-5", state: "sale", currency: "SGD", amount: 100}.payload()
	lines := []string{
		// A payment, logged as the object received and signed over it.
		signedLine("2024-01-15T03:00:00Z", pay),
		// A refund, logged as the exact bytes received (pretty-printed),
		// signed over their compact form as OxPay documents.
		logLine("2024-01-15T04:00:00Z", "Signature", sign.OxPay(testKey, refund), pretty.Bytes(), true),
		// A void, logged as a string, with a lower-case header name.
		logLine("2024-01-15T05:00:00+07:00", "signature", sign.OxPay(testKey, void), void, true),
		// The payment again: OxPay retried the delivery.
		signedLine("2024-01-15T03:00:30Z", pay),
		// A payment without a signature.
		logLine("2024-01-15T06:00:00Z", "", "", unsigned, false),
		// A payment signed with another key.
		logLine("2024-01-15T07:00:00Z", "Signature", sign.OxPay("not-the-sandbox-key", forged), forged, false),
	}
	return []byte(strings.Join(lines, "\n") + "\n")
}

func TestWebhookSampleFixture(t *testing.T) {
	want := sampleWebhookLog()
	if *update {
		if err := os.WriteFile(sampleLog, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(sampleLog)
	if err != nil {
		t.Fatalf("%v (run go test ./ingest -run TestWebhookSampleFixture -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is not what the generator writes; run go test ./ingest -run TestWebhookSampleFixture -update", sampleLog)
	}

	c, res := readLog(t, sampleLog, WebhookOptions{SignKey: testKey})
	type row struct{ Kind, Txn, Sig string }
	var rows []row
	for _, h := range c.hooks {
		rows = append(rows, row{h.Kind, h.OxpayTxnID, h.SigCheck})
	}
	wantRows := []row{
		{"payment", "10001396", recon.SigRaw},
		{"refund", "10001400", recon.SigCompact},
		{"void", "10001397", recon.SigRaw},
		{"payment", "10001396", recon.SigRaw},
		{"payment", "10001398", recon.SigUnsigned},
		{"payment", "10001399", recon.SigInvalid},
	}
	if diff := cmp.Diff(wantRows, rows); diff != "" {
		t.Errorf("deliveries (-want +got):\n%s", diff)
	}
	if len(c.errs) != 0 || res.Rows != 6 || res.Lines != 6 {
		t.Errorf("got %+v and errors %v, want 6 rows from 6 lines", res, c.errs)
	}
	if len(c.hooks) == 6 && (c.hooks[0].DedupKey != c.hooks[3].DedupKey || c.hooks[0].DeliveryKey == c.hooks[3].DeliveryKey) {
		t.Error("the redelivery does not share the payment's DedupKey with its own DeliveryKey")
	}
	if len(c.hooks) == 6 && c.hooks[2].ReceivedAt != time.Date(2024, 1, 14, 22, 0, 0, 0, time.UTC) {
		t.Errorf("got void received at %v, want 2024-01-14T22:00:00Z", c.hooks[2].ReceivedAt)
	}
}
