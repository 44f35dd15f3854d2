package ingest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/sign"
)

const testKey = "sandbox-sign-key"

// collector is a Sink that keeps everything and how it was batched.
type collector struct {
	mu         sync.Mutex
	hooks      []recon.WebhookEvent
	ledger     []recon.LedgerEntry
	errs       []recon.InputError
	hookCalls  []int
	entryCalls []int
}

var _ Sink = (*collector)(nil)

func (c *collector) Webhooks(b []recon.WebhookEvent) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.hooks = append(c.hooks, b...)
	c.hookCalls = append(c.hookCalls, len(b))
	return nil
}

func (c *collector) Ledger(b []recon.LedgerEntry) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ledger = append(c.ledger, b...)
	c.entryCalls = append(c.entryCalls, len(b))
	return nil
}

func (c *collector) InputErrors(b []recon.InputError) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.errs = append(c.errs, b...)
	return nil
}

// testNotification builds an OxPay webhook payload (compact JSON) with the
// body fields in the order OxPay's samples use.
type testNotification struct {
	txn, orig, ref, host, state, currency string
	amount, refund                        int64
	status                                int
}

func (n testNotification) payload() []byte {
	type body struct {
		HostTxnID           string `json:"host_txn_id"`
		MerchantReferenceID string `json:"merchant_reference_id"`
		OxpayOriginalTxnID  string `json:"oxpay_original_txn_id,omitempty"`
		OxpayTxnID          string `json:"oxpay_txn_id"`
		PaymentBrand        string `json:"payment_brand"`
		TransactionAmount   int64  `json:"transaction_amount"`
		RefundAmount        int64  `json:"refund_amount,omitempty"`
		TransactionCurrency string `json:"transaction_currency"`
		TransactionState    string `json:"transaction_state"`
	}
	type headers struct {
		StatusCode              int    `json:"status_code"`
		StatusMessage           string `json:"status_message"`
		GatewayResponseDatetime string `json:"gateway_response_datetime"`
	}
	v := struct {
		Headers headers `json:"headers"`
		Body    body    `json:"body"`
	}{
		Headers: headers{StatusCode: n.status, StatusMessage: "Success", GatewayResponseDatetime: "20240111071316"},
		Body: body{
			HostTxnID: n.host, MerchantReferenceID: n.ref, OxpayOriginalTxnID: n.orig, OxpayTxnID: n.txn,
			PaymentBrand: "PAYNOW", TransactionAmount: n.amount, RefundAmount: n.refund,
			TransactionCurrency: n.currency, TransactionState: n.state,
		},
	}
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

var (
	samplePayment = testNotification{txn: "10001396", ref: "LNK-0001", host: "H-1", state: "sale", currency: "SGD", amount: 12550}
	sampleRefund  = testNotification{txn: "10001400", orig: "10001396", ref: "LNK-0001-R1", host: "H-2", state: "refunded", currency: "SGD", amount: 12550, refund: 2550}
	sampleVoid    = testNotification{txn: "10001397", ref: "LNK-0002", host: "H-3", state: "voided", currency: "SGD", amount: 990}
)

// logLine renders one webhook log line. sigHeader "" leaves the headers
// empty; asString logs the payload as a JSON string of its bytes.
func logLine(received, sigHeader, sig string, payload []byte, asString bool) string {
	headers := "{}"
	if sigHeader != "" {
		h, _ := json.Marshal(map[string]string{sigHeader: sig})
		headers = string(h)
	}
	body := string(payload)
	if asString {
		b, _ := json.Marshal(string(payload))
		body = string(b)
	}
	return `{"received_at":"` + received + `","headers":` + headers + `,"body":` + body + `}`
}

// signedLine is a delivery signed over the exact payload bytes.
func signedLine(received string, payload []byte) string {
	return logLine(received, "Signature", sign.OxPay(testKey, payload), payload, false)
}

func writeFile(t testing.TB, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func writeLines(t testing.TB, name string, lines ...string) string {
	return writeFile(t, name, []byte(strings.Join(lines, "\n")+"\n"))
}

func sha256Hex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// deliveryKeyOf is the DeliveryKey of a log line, written out
// independently of deliveryKey: the line's received_at in UTC as
// YYYYMMDDhhmmss, then the first 72 bits of the line's SHA-256 in hex.
func deliveryKeyOf(t testing.TB, line string) string {
	t.Helper()
	var v struct {
		ReceivedAt time.Time `json:"received_at"`
	}
	if err := json.Unmarshal([]byte(line), &v); err != nil {
		t.Fatalf("deliveryKeyOf: %v", err)
	}
	return v.ReceivedAt.UTC().Format("20060102150405") + sha256Hex([]byte(line))[:18]
}
