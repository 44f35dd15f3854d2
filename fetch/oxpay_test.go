package fetch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/reconkit/reconkit/sign"
	"github.com/reconkit/reconkit/wire"
)

// oxSeen is what the test server observed of one OxPay request.
type oxSeen struct {
	Method, RequestURI, Body         string
	Authorization, UserAgent, Accept string
	ContentType, Signature           string
	SignatureValid                   bool
}

func TestOxPayRequests(t *testing.T) {
	capture := true
	follow := wire.FollowUpRequest{MerchantID: "100000001", TerminalID: "10000000000001", OxpayOriginalTxnID: "10001396", MerchantReferenceID: "r-2", NotificationURL: "https://m.example/n?a=1&b=2", Amount: wire.OxAmount{Value: 200, Currency: "SGD"}}
	followJSON := `{"merchant_id":"100000001","terminal_id":"10000000000001","oxpay_original_txn_id":"10001396","merchant_reference_id":"r-2","notification_url":"https://m.example/n?a=1&b=2","amount":{"value":200,"currency":"SGD"}}`
	tx := wire.Transaction{OxpayTxnID: "10001396", MerchantReferenceID: "789", HostTxnID: "cd5e", TransactionState: wire.StateSale, PaymentBrand: "GrabPay", TransactionAmount: 200, TransactionCurrency: "SGD"}
	session := wire.SessionPayment{MerchantID: "100000001", MerchantReferenceID: "1705551757166", TransactionCurrency: "SGD", TransactionAmount: 200, PaymentBrandList: []wire.PaymentBrandInfo{{BrandName: "GrabPay", MethodName: "QR"}}}
	tests := []struct {
		name   string
		call   func(ctx context.Context, o *OxPay) (any, error)
		answer any
		want   oxSeen
		out    any
	}{
		{
			name: "payment page",
			call: func(ctx context.Context, o *OxPay) (any, error) {
				return o.PaymentPage(ctx, wire.PaymentPageRequest{MerchantID: "100000001", MerchantReferenceID: "Zoë-1", Amount: wire.OxAmount{Value: 200, Currency: "SGD"}, Capture: &capture})
			},
			answer: oxOK(wire.PaymentPageResponse{OxpayHppURL: "https://hostedPage/?session_id=1"}),
			want: oxSeen{Method: "POST", RequestURI: "/oxpay/payment-page",
				Body: `{"merchant_id":"100000001","terminal_id":"","merchant_reference_id":"Zoë-1","description":"","success_url":"","failure_url":"","notification_url":"","amount":{"value":200,"currency":"SGD"},"source":{"name":"","email":"","phone":""},"capture":true}`},
			out: wire.PaymentPageResponse{OxpayHppURL: "https://hostedPage/?session_id=1"},
		},
		{
			name: "payment",
			call: func(ctx context.Context, o *OxPay) (any, error) {
				return o.Payment(ctx, wire.PaymentRequest{MerchantID: "100000001", MerchantReferenceID: "789", PaymentMethod: wire.PaymentMethod{Brand: "grabpay"}, Amount: wire.OxAmount{Value: 200, Currency: "SGD"}})
			},
			answer: oxOK(wire.PaymentResponse{PaymentBrand: "GrabPay", OxpayTxnID: "10001396", MerchantReferenceID: "789"}),
			want: oxSeen{Method: "POST", RequestURI: "/oxpay/payment",
				Body: `{"merchant_id":"100000001","terminal_id":"","merchant_reference_id":"789","success_url":"","failure_url":"","notification_url":"","payment_method":{"brand":"grabpay"},"amount":{"value":200,"currency":"SGD"}}`},
			out: wire.PaymentResponse{PaymentBrand: "GrabPay", OxpayTxnID: "10001396", MerchantReferenceID: "789"},
		},
		{
			name:   "void",
			call:   func(ctx context.Context, o *OxPay) (any, error) { return o.Void(ctx, follow) },
			answer: oxOK(wire.VoidResponse{OxpayTxnID: "10001397", MerchantReferenceID: "r-2"}),
			want:   oxSeen{Method: "POST", RequestURI: "/oxpay/void", Body: followJSON},
			out:    wire.VoidResponse{OxpayTxnID: "10001397", MerchantReferenceID: "r-2"},
		},
		{
			name:   "refund",
			call:   func(ctx context.Context, o *OxPay) (any, error) { return o.Refund(ctx, follow) },
			answer: oxOK(wire.RefundResponse{OxpayTxnID: "10001398", MerchantReferenceID: "r-2", RefundAmount: 200}),
			want:   oxSeen{Method: "POST", RequestURI: "/oxpay/refund", Body: followJSON},
			out:    wire.RefundResponse{OxpayTxnID: "10001398", MerchantReferenceID: "r-2", RefundAmount: 200},
		},
		{
			name: "capture pending",
			call: func(ctx context.Context, o *OxPay) (any, error) { return o.Capture(ctx, follow) },
			answer: map[string]any{
				"headers": map[string]any{"status_code": 1, "status_message": "PENDING"},
				"body":    wire.PaymentResponse{OxpayTxnID: "10001399", MerchantReferenceID: "r-2"},
			},
			want: oxSeen{Method: "POST", RequestURI: "/oxpay/capture", Body: followJSON},
			out:  wire.PaymentResponse{OxpayTxnID: "10001399", MerchantReferenceID: "r-2"},
		},
		{
			name: "get transaction",
			call: func(ctx context.Context, o *OxPay) (any, error) {
				got, raw, err := o.GetTransaction(ctx, "10001396")
				got.Received = nil // compared with one built in code
				return fmt.Sprintf("%+v %s", got, raw), err
			},
			answer: oxOK(tx),
			want:   oxSeen{Method: "GET", RequestURI: "/oxpay/payment/10001396"},
			out:    fmt.Sprintf("%+v %s", tx, mustJSON(tx)),
		},
		{
			name:   "payment by session, flat",
			call:   func(ctx context.Context, o *OxPay) (any, error) { return o.GetPaymentBySession(ctx, "a b&c") },
			answer: session,
			want:   oxSeen{Method: "GET", RequestURI: "/oxpay/payment?session_id=a+b%26c"},
			out:    session,
		},
		{
			name:   "payment by session, enveloped",
			call:   func(ctx context.Context, o *OxPay) (any, error) { return o.GetPaymentBySession(ctx, "s1") },
			answer: oxOK(session),
			want:   oxSeen{Method: "GET", RequestURI: "/oxpay/payment?session_id=s1"},
			out:    session,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var (
				mu  sync.Mutex
				got []oxSeen
			)
			srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				sig := r.Header.Get("Signature")
				mu.Lock()
				got = append(got, oxSeen{
					Method: r.Method, RequestURI: r.RequestURI, Body: string(body),
					Authorization: r.Header.Get("Authorization"), UserAgent: r.Header.Get("User-Agent"), Accept: r.Header.Get("Accept"),
					ContentType: r.Header.Get("Content-Type"), Signature: sig,
					SignatureValid: sig != "" && sign.VerifyOxPay(testSignKey, body, sig) == sign.MatchRaw,
				})
				mu.Unlock()
				writeJSON(w, 200, tc.answer)
			}))
			o := NewOxPay(testOptions(srv.URL+"/oxpay/"), testAPIKey, testSignKey)
			out, err := tc.call(withTimeout(t), o)
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			want := tc.want
			want.Authorization = "Bearer " + testAPIKey
			want.UserAgent = "recon/1.2.3 (reconkit; +https://github.com/reconkit/reconkit)"
			want.Accept = "application/json"
			if want.Method == "POST" {
				want.ContentType = "application/json"
				want.Signature = sign.OxPay(testSignKey, []byte(want.Body))
				want.SignatureValid = true
			}
			if diff := cmp.Diff([]oxSeen{want}, got); diff != "" {
				t.Errorf("request mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.out, out, ignoreReceived); diff != "" {
				t.Errorf("result mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func TestOxPayFailures(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		answer   any
		wantKind error
		wantCode string
		wantMsg  string
	}{
		{"400 rejected", 400, oxFail(2, "REJECTED", "Rejected", "The requested transaction id is invalid."),
			ErrRejected, "Rejected", "The requested transaction id is invalid."},
		{"200 with status_code 2", 200, oxFail(2, "REJECTED", "Rejected", "Duplicate merchant_reference_id."),
			ErrRejected, "Rejected", "Duplicate merchant_reference_id."},
		{"200 with status_code 3 and no body", 200, map[string]any{"headers": map[string]any{"status_code": 3, "status_message": "ERROR"}},
			ErrRejected, "ERROR", "ERROR"},
		{"404", 404, oxFail(2, "REJECTED", "Rejected", "not found"), ErrNotFound, "Rejected", "not found"},
		{"401", 401, map[string]any{"message": "Unauthorized"}, ErrUnauthorized, "", ""},
		{"asked for one id, got another", 200, oxOK(wire.Transaction{OxpayTxnID: "999"}),
			ErrInconsistent, "", "asked for transaction 10001396, got 999"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hits := &counter{}
			srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hits.inc()
				writeJSON(w, tc.status, tc.answer)
			}))
			o := NewOxPay(testOptions(srv.URL), testAPIKey, testSignKey)
			_, _, err := o.GetTransaction(withTimeout(t), "10001396")
			if !errors.Is(err, tc.wantKind) {
				t.Fatalf("got %v, want %v", err, tc.wantKind)
			}
			ae, _ := errors.AsType[*APIError](err)
			if ae.Code != tc.wantCode || ae.Message != tc.wantMsg || ae.StatusCode != tc.status || ae.API != "oxpay" {
				t.Errorf("got %s %d code %q message %q, want oxpay %d %q %q", ae.API, ae.StatusCode, ae.Code, ae.Message, tc.status, tc.wantCode, tc.wantMsg)
			}
			if hits.get() != 1 {
				t.Errorf("got %d requests, want 1", hits.get())
			}
		})
	}
}

func TestGetTransactions(t *testing.T) {
	known := map[string]wire.Transaction{}
	var ids []string
	for i := range 30 {
		id := fmt.Sprintf("1000%04d", i)
		ids = append(ids, id)
		if i%7 != 3 {
			known[id] = wire.Transaction{OxpayTxnID: id, TransactionState: wire.StateSale, TransactionAmount: int64(100 + i), TransactionCurrency: "SGD"}
		}
	}
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := strings.TrimPrefix(r.URL.Path, "/payment/")
		tx, ok := known[id]
		switch {
		case !ok && id == ids[10]:
			writeJSON(w, 400, oxFail(2, "REJECTED", "Rejected", "The requested transaction id is invalid."))
		case !ok:
			writeJSON(w, 404, oxFail(2, "REJECTED", "Rejected", "not found"))
		default:
			writeJSON(w, 200, oxOK(tx))
		}
	}))
	opts := testOptions(srv.URL)
	var progress []int
	opts.Progress = func(done, total int) { progress = append(progress, done) }
	o := NewOxPay(opts, testAPIKey, testSignKey)

	type row struct {
		ID  string
		Tx  wire.Transaction
		Raw string
		Err string
	}
	var got []row
	err := o.GetTransactions(withTimeout(t), ids, func(id string, tx wire.Transaction, raw json.RawMessage, err error) error {
		r := row{ID: id, Tx: tx, Raw: string(raw)}
		switch {
		case errors.Is(err, ErrNotFound):
			r.Err = "not found"
		case errors.Is(err, ErrRejected):
			r.Err = "rejected"
		case err != nil:
			r.Err = err.Error()
		}
		got = append(got, r)
		return nil
	})
	if err != nil {
		t.Fatalf("got error %v, want none", err)
	}
	var want []row
	for i, id := range ids {
		tx, ok := known[id]
		switch {
		case !ok && i == 10:
			want = append(want, row{ID: id, Err: "rejected"})
		case !ok:
			want = append(want, row{ID: id, Err: "not found"})
		default:
			want = append(want, row{ID: id, Tx: tx, Raw: string(mustJSON(tx))})
		}
	}
	if diff := cmp.Diff(want, got, ignoreReceived); diff != "" {
		t.Fatalf("rows (-want +got):\n%s", diff)
	}
	if len(progress) != len(ids) || progress[len(ids)-1] != len(ids) {
		t.Errorf("got progress %v, want 1..%d", progress, len(ids))
	}
}

func TestGetTransactionsAbortsWhenUnreachable(t *testing.T) {
	ids := []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"}
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := strings.TrimPrefix(r.URL.Path, "/payment/")
		if id == "5" {
			w.WriteHeader(503)
			return
		}
		writeJSON(w, 200, oxOK(wire.Transaction{OxpayTxnID: id}))
	}))
	o := NewOxPay(testOptions(srv.URL), testAPIKey, testSignKey)
	var got []string
	err := o.GetTransactions(withTimeout(t), ids, func(id string, _ wire.Transaction, _ json.RawMessage, err error) error {
		if err != nil {
			t.Errorf("fn got error %v for %s, want run-wide errors returned instead", err, id)
		}
		got = append(got, id)
		return nil
	})
	if !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "get transaction 5") {
		t.Fatalf("got %v, want ErrUnreachable naming transaction 5", err)
	}
	if diff := cmp.Diff([]string{"1", "2", "3", "4"}, got); diff != "" {
		t.Fatalf("delivered (-want +got):\n%s", diff)
	}
}

func TestGetTransactionsAbortsWhenUnauthorized(t *testing.T) {
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(401) }))
	o := NewOxPay(testOptions(srv.URL), testAPIKey, testSignKey)
	calls := 0
	err := o.GetTransactions(withTimeout(t), []string{"1", "2", "3"}, func(string, wire.Transaction, json.RawMessage, error) error {
		calls++
		return nil
	})
	if !errors.Is(err, ErrUnauthorized) || calls != 0 {
		t.Fatalf("got %v after %d calls, want ErrUnauthorized after 0", err, calls)
	}
}
