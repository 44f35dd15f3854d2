package docfake

import (
	"crypto/hmac"
	"net/http"
	"time"
)

// OxPayOptions configures the fake OxPay Payments API.
type OxPayOptions struct {
	APIKey string           // default APIKey
	Now    func() time.Time // default time.Now
}

// OxPay is a fake of OxPay's GET /payment/{oxpay_txn_id}, written from the
// Payments API v1 reference and the vendor's OpenAPI document: Bearer
// API key, the {headers, body} envelope, HTTP 400 REJECTED for an id it
// does not know (the only error the document gives for this operation).
type OxPay struct {
	requestLog
	w   *World
	o   OxPayOptions
	mux *http.ServeMux
}

var _ http.Handler = (*OxPay)(nil)

// NewOxPay returns the fake serving w's transactions.
func NewOxPay(w *World, o OxPayOptions) *OxPay {
	if o.APIKey == "" {
		o.APIKey = APIKey
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	x := &OxPay{w: w, o: o, mux: http.NewServeMux()}
	x.mux.HandleFunc("GET /payment/{id}", x.get)
	x.mux.HandleFunc("/", func(rw http.ResponseWriter, r *http.Request) {
		x.reply(rw, r, http.StatusNotFound, 2, "REJECTED", obj{{"status", "Rejected"}, {"status_desc", "Resource not found."}})
	})
	return x
}

// ServeHTTP checks the bearer token, then routes.
func (x *OxPay) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	if !hmac.Equal([]byte(r.Header.Get("Authorization")), []byte("Bearer "+x.o.APIKey)) {
		x.reply(rw, r, http.StatusUnauthorized, 2, "REJECTED", obj{{"status", "Rejected"}, {"status_desc", "Invalid API key."}})
		return
	}
	x.mux.ServeHTTP(rw, r)
}

func (x *OxPay) reply(rw http.ResponseWriter, r *http.Request, status, code int, msg string, body obj) {
	note := ""
	if status != http.StatusOK {
		note = msg
	}
	x.add(Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Status: status, Note: note})
	rw.Header().Set("Content-Type", "application/json")
	rw.WriteHeader(status)
	rw.Write(mustMarshal(obj{
		{"headers", obj{
			{"status_code", code},
			{"status_message", msg},
			{"gateway_response_datetime", x.o.Now().In(sgt).Format("20060102150405")},
		}},
		{"body", body},
	}))
}

// get answers GET /payment/{id}.
//
// DESIGN: an id the gateway does not know (a forged webhook's, a ledger
// reference that is no id at all) is HTTP 400 REJECTED "The requested
// transaction id is invalid.", the only error the vendor document gives
// for this operation; no 404.
func (x *OxPay) get(rw http.ResponseWriter, r *http.Request) {
	t := x.w.Txn(r.PathValue("id"))
	if t == nil {
		x.reply(rw, r, http.StatusBadRequest, 2, "REJECTED",
			obj{{"status", "Rejected"}, {"status_desc", "The requested transaction id is invalid."}})
		return
	}
	x.reply(rw, r, http.StatusOK, 0, "SUCCESS", txnJSON(t))
}

// txnJSON is GET /payment/{id}'s body: the documented fields in the
// vendor example's order, then transaction_type (from the vendor's
// QueryPaymentResponse) and, for a refund or a void, the original id, as
// their /refund and /void responses carry it.
func txnJSON(t *Txn) obj {
	v := obj{
		{"oxpay_txn_id", t.ID},
		{"merchant_reference_id", t.MerchantRef},
		{"host_txn_id", t.HostTxnID},
		{"transaction_state", t.State},
		{"payment_brand", t.Brand},
		{"transaction_amount", t.Amount},
		{"transaction_currency", t.Currency},
		{"transaction_type", t.Type},
	}
	switch t.Type {
	case Refund:
		v = append(v, field{"oxpay_original_txn_id", t.OriginalID}, field{"refund_amount", t.Amount})
	case Void:
		v = append(v, field{"oxpay_original_txn_id", t.OriginalID})
	}
	return v
}
