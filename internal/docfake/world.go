package docfake

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// Jakarta and Singapore keep no daylight saving time, so fixed zones are
// exact and the fake does not depend on the host's tzdata.
var (
	wib = time.FixedZone("WIB", 7*3600)
	sgt = time.FixedZone("SGT", 8*3600)
)

// Credentials the fakes accept and the world signs with.
const (
	ClientID     = "docfake-client"
	ClientSecret = "docfake-client-secret"
	APIKey       = "ak-5f0c1d2e-docfake"
	SignKey      = "docfake-sign-key"
)

// How an order states its total. The Xepeng documents disagree: the
// Postman create-order body has a top-level "amount", the Node package
// sends only items[].amount, and a "total_amount" is what a reader would
// expect a server to answer with.
const (
	TotalAmount = "total_amount" // top-level total_amount (items may repeat it)
	TotalAmt    = "amount"       // top-level amount, the Postman body's shape
	TotalItems  = "items"        // only items[].amount, the Node package's shape
	TotalNone   = "none"         // no amount anywhere: an input error
)

// Order is a Xepeng order. DESIGN (units): Total is in Xepeng's units:
// whole rupiah for IDR (as every Xepeng example), and for SGD the ISO
// minor unit (cents),
// which is what recon.example.yaml's `units: {xepeng: {IDR: 0}}` implies
// for a currency it does not list.
type Order struct {
	UID        string
	Status     string // pending, active, inactive
	Currency   string
	Total      int64
	TotalField string
	Items      []Item
	Customer   Customer
	Ref        string // metadata.order_ref
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Item is an order line as the Node package sends it (no quantity).
type Item struct {
	Name   string
	Amount int64 // 0: the field is left out
}

// Customer is the Postman body's customer object.
type Customer struct{ Name, Email, Phone string }

// PaymentLink is a Xepeng payment link, Amount in the order's units.
type PaymentLink struct {
	UID       string
	OrderUID  string
	Status    string // pending, paid, expired, cancelled, inactive
	Amount    int64
	Currency  string
	CreatedAt time.Time
	UpdatedAt time.Time
	ExpiredAt time.Time
	PaidAt    time.Time // zero: null
}

// Transaction types, as the vendor spec's TransactionType enum.
const (
	Sale   = "SALE"
	Void   = "VOID"
	Refund = "REFUND"
)

// Txn is an OxPay transaction. DESIGN (units): Amount is in the ISO minor
// unit (IDR sen, SGD cents), as the OxPay document says ("smallest
// currency unit") and recon.example.yaml's `units: {oxpay: {}}` expects.
//
// DESIGN (voids): a void is a transaction of its own with a new
// oxpay_txn_id, as the /void response carries both oxpay_original_txn_id
// and a new oxpay_txn_id. GET /payment/{void id} returns the void
// (transaction_state "voided", transaction_type VOID, its
// oxpay_original_txn_id, the voided amount). The voided sale itself keeps
// transaction_state "success" in GET /payment/{sale id}: the documents
// never say the original changes, the void webhook names only the void's
// own id, and that reading keeps README's "latest signed webhook reports
// another state" rule from firing on every voided sale. The alternative
// reading (the sale turns "voided") is not used.
//
// DESIGN (refunds): a refund is a transaction of its own, state
// "refunded". GET /payment/{refund id} answers transaction_amount = the
// refunded amount (the transaction's own amount) and adds
// oxpay_original_txn_id and refund_amount; the refunded sale stays
// "success".
type Txn struct {
	ID          string
	Type        string
	MerchantRef string
	HostTxnID   string
	State       string
	Brand       string
	Currency    string
	Amount      int64
	OriginalID  string // VOID, REFUND
	SaleAmount  int64  // REFUND: the original sale's amount (for the webhook)
	At          time.Time
}

// Delivery is one webhook delivery as the merchant's receiver logged it.
// Payload is the compact JSON OxPay POSTed ({headers, body}); Signature
// is the Signature header as received.
type Delivery struct {
	ReceivedAt  time.Time
	Kind        string // payment, refund, void
	TxnID       string
	Payload     []byte
	Signature   string
	NoSignature bool
}

// LedgerLine is one line of finance's export. Minor is signed: money in
// (a settled sale) positive, money out (a refund) negative, in the ISO
// minor unit. An empty Currency is left for default_currency (IDR).
type LedgerLine struct {
	Date        time.Time // midnight WIB of the booking day
	Reference   string
	Description string
	Currency    string
	Minor       int64
}

// Anomaly is one entry of the answer key: an exception recon's README
// says a correct reconciler reports, with the references it would name
// (any one of them in any id column of the exception counts).
type Anomaly struct {
	Category string
	Refs     []string
	What     string
	// Optional marks an exception README's rules allow but do not require
	// (a reasonable reconciler may or may not report it): reported, it is
	// a true positive; missing, it is no false negative.
	Optional bool
	// Expected and Actual, when HasAmounts, are the minor amounts a
	// correct report would show; a match with other amounts is noted,
	// not failed.
	HasAmounts       bool
	Expected, Actual int64
}

// World is one business day of the merchant's traffic.
type World struct {
	Seed       uint64
	Day        time.Time // the business day, midnight WIB
	RunDate    time.Time // the date recon runs for: every window has closed
	Orders     []*Order
	Links      []*PaymentLink
	Txns       []*Txn // what OxPay's API knows
	Deliveries []*Delivery
	Ledger     []*LedgerLine
	Key        []Anomaly
	// Notes says, per id (order uid, link uid, txn id, ledger reference),
	// what the world made of it, so a false positive can be read.
	Notes map[string]string
}

// Txn returns the transaction the gateway knows by id, or nil.
func (w *World) Txn(id string) *Txn {
	for _, t := range w.Txns {
		if t.ID == id {
			return t
		}
	}
	return nil
}

// oxpaySign is the OxPay Integrity signature: lowercase hex HMAC-SHA256
// keyed with the sign key over the compact JSON payload.
//
// DESIGN (what is signed): the whole notification object {headers, body}
// as POSTed, compacted; the documents do not say whether only body is
// signed, and "the JSON payload" is the whole request body.
func oxpaySign(key string, compact []byte) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write(compact)
	return hex.EncodeToString(m.Sum(nil))
}

// xepengSign is the Xepeng X-Signature: lowercase hex HMAC-SHA256 keyed
// with the client secret over UPPER(METHOD)+PATH+TIMESTAMP+BODY, the path
// without its query.
func xepengSign(secret, method, path, ts string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(method + path + ts))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// dayOf is the business date (midnight WIB) of t.
func dayOf(t time.Time) time.Time {
	y, m, d := t.In(wib).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, wib)
}

// Window is the settlement window README defines, for a payment whose
// earliest signed webhook (else its link's paid_at) is at: first day =
// date(at - payment_lag) + min; last day = date(at) + max, moved to
// Monday when it falls on a weekend. recon.example.yaml: lag 1h, [0, 3],
// weekend_roll on.
func Window(at time.Time) (first, last time.Time) {
	first = dayOf(at.Add(-time.Hour))
	last = dayOf(at).AddDate(0, 0, 3)
	switch last.Weekday() {
	case time.Saturday:
		last = last.AddDate(0, 0, 2)
	case time.Sunday:
		last = last.AddDate(0, 0, 1)
	}
	return first, last
}

// bookingDays are the weekdays inside the window of a payment at at: the
// days finance books on in clean traffic.
func bookingDays(at time.Time) []time.Time {
	first, last := Window(at)
	var days []time.Time
	for d := first; !d.After(last); d = d.AddDate(0, 0, 1) {
		if d.Weekday() != time.Saturday && d.Weekday() != time.Sunday {
			days = append(days, d)
		}
	}
	return days
}

// isoMinor converts an amount in Xepeng's units to the ISO minor unit.
func isoMinor(currency string, amount int64) int64 {
	if currency == "IDR" {
		return amount * 100
	}
	return amount
}
