package sandbox

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/reconkit/reconkit/sign"
	"github.com/reconkit/reconkit/wire"
)

func TestOxPayAuth(t *testing.T) {
	e := newEnv(t, nil)
	body := rawJSON(t, e.payment("AUTH-1", 100, "SGD"))
	tests := []struct {
		name   string
		req    func() *http.Request
		status int
	}{
		{"valid", func() *http.Request { return e.oxpayRequest("POST", "/oxpay/payment", body) }, 200},
		{"wrong bearer", func() *http.Request {
			r := e.oxpayRequest("POST", "/oxpay/payment", body)
			r.Header.Set("Authorization", "Bearer ak-wrong")
			return r
		}, 401},
		{"no bearer", func() *http.Request {
			r := e.oxpayRequest("GET", "/oxpay/payment/1", nil)
			r.Header.Del("Authorization")
			return r
		}, 401},
		{"basic instead of bearer", func() *http.Request {
			r := e.oxpayRequest("GET", "/oxpay/payment/1", nil)
			r.Header.Set("Authorization", "Basic "+e.cfg.OxPayAPIKey)
			return r
		}, 401},
		{"POST without Signature", func() *http.Request {
			r := e.oxpayRequest("POST", "/oxpay/payment", body)
			r.Header.Del("Signature")
			return r
		}, 400},
		{"POST signed with another key", func() *http.Request {
			r := e.oxpayRequest("POST", "/oxpay/payment", body)
			r.Header.Set("Signature", sign.OxPay("other-key", body))
			return r
		}, 400},
		{"body tampered after signing", func() *http.Request {
			r := e.oxpayRequest("POST", "/oxpay/payment", []byte(strings.Replace(string(body), `"value":100`, `"value":1`, 1)))
			r.Header.Set("Signature", sign.OxPay(e.cfg.OxPaySignKey, body))
			return r
		}, 400},
		{"pretty body signed compactly", func() *http.Request {
			ref := e.payment("AUTH-2", 100, "SGD")
			pretty, _ := json.MarshalIndent(ref, "", "  ")
			compact, _ := json.Marshal(ref)
			r := e.oxpayRequest("POST", "/oxpay/payment", pretty)
			r.Header.Set("Signature", sign.OxPay(e.cfg.OxPaySignKey, compact))
			return r
		}, 200},
		{"no User-Agent", func() *http.Request {
			r := e.oxpayRequest("GET", "/oxpay/payment/1", nil)
			r.Header.Set("User-Agent", "") // the Go client then sends none
			return r
		}, 400},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(tc.req())
			if tc.status == 200 {
				oxOKBody[wire.PaymentResponse](t, r)
				return
			}
			oxRejected(t, r, tc.status)
		})
	}
}

func TestOxPayValidation(t *testing.T) {
	e := newEnv(t, nil)
	tests := []struct {
		name     string
		mod      func(*wire.PaymentRequest)
		wantDesc string
	}{
		{"merchant_id missing", func(p *wire.PaymentRequest) { p.MerchantID = "" }, "merchant_id field not found"},
		{"merchant_id too short", func(p *wire.PaymentRequest) { p.MerchantID = "12345678" }, "merchant_id must be 9 characters"},
		{"another merchant", func(p *wire.PaymentRequest) { p.MerchantID = "100000002" }, "merchant_id is not"},
		{"terminal_id too long", func(p *wire.PaymentRequest) { p.TerminalID = "100000000000011" }, "terminal_id must be 14 characters"},
		{"another terminal", func(p *wire.PaymentRequest) { p.TerminalID = "10000000000002" }, "terminal_id is not"},
		{"reference missing", func(p *wire.PaymentRequest) { p.MerchantReferenceID = "" }, "merchant_reference_id field not found"},
		{"reference too long", func(p *wire.PaymentRequest) { p.MerchantReferenceID = strings.Repeat("x", 101) }, "at most 100"},
		{"zero amount", func(p *wire.PaymentRequest) { p.Amount.Value = 0 }, "amount.value"},
		{"lower-case currency", func(p *wire.PaymentRequest) { p.Amount.Currency = "sgd" }, "amount.currency"},
		{"no payment method", func(p *wire.PaymentRequest) { p.PaymentMethod = wire.PaymentMethod{} }, "payment_method"},
		{"unknown session", func(p *wire.PaymentRequest) { p.OxpaySessionID = "sess_nope" }, "session"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := e.payment("VAL-1", 100, "SGD")
			tc.mod(&req)
			if desc := oxRejected(t, e.oxpay("POST", "/oxpay/payment", req), 400); !strings.Contains(desc, tc.wantDesc) {
				t.Fatalf("got %q, want it to mention %q", desc, tc.wantDesc)
			}
		})
	}
	t.Run("a 100-character reference is fine", func(t *testing.T) {
		oxOKBody[wire.PaymentResponse](t, e.oxpay("POST", "/oxpay/payment", e.payment(strings.Repeat("é", 100), 100, "SGD")))
	})
	t.Run("malformed JSON", func(t *testing.T) {
		desc := oxRejected(t, e.oxpay("POST", "/oxpay/payment", `{"merchant_id":`), 400)
		if !strings.HasPrefix(desc, "The following fields from Payload's body are invalid: [") {
			t.Fatalf("got %q, want OxPay's wording", desc)
		}
	})
	t.Run("unknown transaction", func(t *testing.T) {
		if desc := oxRejected(t, e.oxpay("GET", "/oxpay/payment/99999999", nil), 400); desc != "The requested transaction id is invalid." {
			t.Fatalf("got %q, want OxPay's own text", desc)
		}
		oxRejected(t, e.oxpay("POST", "/oxpay/refund", e.followUp("99999999", "X", 1, "SGD")), 400)
	})
	t.Run("refund needs a follow-up's fields", func(t *testing.T) {
		req := e.followUp("", "", 0, "SGD")
		desc := oxRejected(t, e.oxpay("POST", "/oxpay/refund", req), 400)
		for _, want := range []string{"oxpay_original_txn_id", "merchant_reference_id", "amount.value"} {
			if !strings.Contains(desc, want) {
				t.Errorf("got %q, want it to mention %s", desc, want)
			}
		}
	})
}

func TestPaymentPageSession(t *testing.T) {
	e := newEnv(t, nil)
	page := wire.PaymentPageRequest{
		MerchantID: e.cfg.MerchantID, TerminalID: e.cfg.TerminalID, MerchantReferenceID: "HPP-1",
		Description: "Testing", SuccessURL: "https://m.example/ok", FailureURL: "https://m.example/err",
		NotificationURL: "https://m.example/notify", Amount: wire.OxAmount{Value: 200, Currency: "SGD"},
		Source: wire.OxSource{Name: "Sarah", Email: "sarah@example.com", Phone: "987654321"}, Capture: ptr(false),
	}
	got := oxOKBody[wire.PaymentPageResponse](t, e.oxpay("POST", "/oxpay/payment-page", page))
	prefix := e.url + "/oxpay/hpp?session_id="
	if !strings.HasPrefix(got.OxpayHppURL, prefix) {
		t.Fatalf("got %s, want a URL starting %s", got.OxpayHppURL, prefix)
	}
	sid := strings.TrimPrefix(got.OxpayHppURL, prefix)
	if len(sid) < 50 {
		t.Fatalf("got session id of %d characters, want at least 50", len(sid))
	}
	if hpp := e.do(mustGet(t, got.OxpayHppURL)); hpp.status != 200 || !strings.Contains(string(hpp.body), "HPP-1") {
		t.Fatalf("hosted page: got %d %s", hpp.status, hpp.body)
	}

	want := wire.SessionPayment{
		MerchantID: e.cfg.MerchantID, MerchantName: DefaultMerchantName, TerminalID: e.cfg.TerminalID,
		ExpiryDatetime: "2024-05-01T03:30:00Z", MerchantReferenceID: "HPP-1", TransactionCurrency: "SGD",
		TransactionAmount: 200, Description: "Testing", PayerName: "Sarah", PayerEmail: "sarah@example.com",
		PayerPhone: "987654321", PayerReturnURL: "https://m.example/ok", PayerErrorURL: "https://m.example/err",
		PayerNotificationURL: "https://m.example/notify", PayerCapture: false, PaymentBrandList: brandList,
	}
	getSession := func() resp { return e.oxpay("GET", "/oxpay/payment?session_id="+sid, nil) }
	r := getSession()
	if r.status != 200 || !strings.Contains(string(r.body), `"transaction_id":null`) {
		t.Fatalf("got %d %s, want 200 with transaction_id null", r.status, r.body)
	}
	var sp wire.SessionPayment
	if err := json.Unmarshal(r.body, &sp); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, sp); d != "" {
		t.Fatalf("session (-want +got):\n%s", d)
	}

	pay := e.payment("HPP-1", 200, "SGD")
	pay.OxpaySessionID = sid
	paid := oxOKBody[wire.PaymentResponse](t, e.oxpay("POST", "/oxpay/payment", pay))
	if err := json.Unmarshal(getSession().body, &sp); err != nil {
		t.Fatal(err)
	}
	if sp.TransactionID == nil || *sp.TransactionID != paid.OxpayTxnID {
		t.Fatalf("got transaction_id %v, want %s", sp.TransactionID, paid.OxpayTxnID)
	}
	pay.MerchantReferenceID = "HPP-2"
	if desc := oxRejected(t, e.oxpay("POST", "/oxpay/payment", pay), 400); !strings.Contains(desc, "already been paid") {
		t.Fatalf("got %q, want the session already paid", desc)
	}

	oxRejected(t, e.oxpay("GET", "/oxpay/payment?session_id=sess_unknown", nil), 400)
	oxRejected(t, e.oxpay("GET", "/oxpay/payment", nil), 400)
	e.clock.Add(31 * time.Minute)
	oxRejected(t, getSession(), 400)

	page.Source.Phone = strings.Repeat("9", 17)
	oxRejected(t, e.oxpay("POST", "/oxpay/payment-page", page), 400)
}

func TestRouting(t *testing.T) {
	e := newEnv(t, nil)
	tests := []struct {
		name, method, target string
		status               int
		allow                string
		ox                   bool
	}{
		{"unknown Xepeng path", "GET", "/openapi/customers", 404, "", false},
		{"trailing slash is another path", "GET", "/openapi/orders/", 404, "", false},
		{"unknown path elsewhere", "GET", "/", 404, "", false},
		{"wrong method on orders", "DELETE", "/openapi/orders", 405, "POST, GET", false},
		{"wrong method on an order", "POST", "/openapi/orders/O-1", 405, "GET, PUT", false},
		{"unknown OxPay path", "POST", "/oxpay/settle", 404, "", true},
		{"wrong method on OxPay", "GET", "/oxpay/refund", 405, "POST", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := mustGet(t, e.url+tc.target)
			req.Method = tc.method
			r := e.do(req)
			if tc.ox {
				oxRejected(t, r, tc.status)
			} else {
				xepengErr(t, r, tc.status, map[int]string{404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}[tc.status])
			}
			if got := r.header.Get("Allow"); got != tc.allow {
				t.Fatalf("got Allow %q, want %q", got, tc.allow)
			}
		})
	}
}
