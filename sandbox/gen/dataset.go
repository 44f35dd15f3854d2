package gen

import (
	"fmt"
	"time"

	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/wire"
)

// Options say what world to generate.
type Options struct {
	Seed   int64
	Orders int
	// FirstTxnID is the first oxpay_txn_id (0: DefaultFirstTxnID); the
	// ledger's references nothing knows move up by as much. Worlds
	// generated with ranges apart can share one database, as the nights
	// of a month do (bench/nights.sh).
	FirstTxnID int64
	// Start is the first business day; orders spread over Days days from
	// it, cut in Zone.
	Start time.Time
	Days  int
	Zone  *time.Location
	// SignKey signs the webhook deliveries (those not forged on purpose).
	SignKey string
	// AnomalyRate is the share of orders given an injected anomaly.
	AnomalyRate float64
	// VoidStyle is how the gateway reports a void; "" is VoidSameID.
	VoidStyle VoidStyle
	// LedgerStyle is how finance books the gateway's money; "" is
	// LedgerGross (settlement.go).
	LedgerStyle LedgerStyle
}

// VoidStyle is how a gateway reports a void.
type VoidStyle string

const (
	// VoidSameID: the sale keeps its id and its state becomes voided; the
	// void notification carries the sale's id. No transaction is created.
	// The sandbox's default.
	VoidSameID VoidStyle = "same-id"
	// VoidOwnID: as the OxPay document describes it, the void is a
	// transaction of its own (type VOID, a new oxpay_txn_id) whose record
	// names the sale in oxpay_original_txn_id, while its void notification
	// carries only its own id. The sale's state becomes voided too.
	VoidOwnID VoidStyle = "own-id"
)

// ParseVoidStyle reads "same-id" or "own-id".
func ParseVoidStyle(s string) (VoidStyle, error) {
	switch v := VoidStyle(s); v {
	case VoidSameID, VoidOwnID:
		return v, nil
	}
	return "", fmt.Errorf("void style %q: want %s or %s", s, VoidSameID, VoidOwnID)
}

// Dataset is everything one seed produces. The sandbox server serves
// Orders, Links and Transactions; WriteFiles writes the rest.
type Dataset struct {
	Options      Options
	Orders       []wire.Order
	Links        []wire.PaymentLink
	Transactions []wire.Transaction // every transaction the gateway knows, as GET /payment/{id} returns it
	Webhooks     []Delivery         // in the order the receiver logged them
	Ledger       []LedgerLine       // in booking order
	Anomalies    []Anomaly          // the answer key, sorted by category then ids
}

// Delivery is one webhook delivery as the merchant's receiver logged it.
type Delivery struct {
	ReceivedAt time.Time
	Signature  string // "" when the delivery carried none
	Payload    []byte // the exact bytes received: {"headers":...,"body":...}
	// AsString logs the payload as a JSON string of the raw bytes rather
	// than as an object, as receivers that keep exact bytes do.
	AsString bool
	// Forged marks a delivery whose signature is wrong on purpose (signed
	// with another key, or missing): the WEBHOOK_BAD_SIGNATURE anomaly.
	// Tests use it to check that every other delivery verifies.
	Forged bool
}

// LedgerLine is one row of finance's export. Debit and Credit are minor
// units in the currency's ISO exponent; one of them is zero.
type LedgerLine struct {
	Date        time.Time // the booking date, in the generator's zone
	Reference   string
	Description string
	Debit       int64
	Credit      int64
	Currency    string
	// Fee is the fee a settlement deposit states the gateway kept (the
	// Fee column of a net ledger); nil states none.
	Fee *int64
}

// Anomaly is one row of expected.csv: something the reconciliation must
// report, with the ids of every row involved.
type Anomaly struct {
	Category            recon.Category
	OrderUID            string
	PaymentLinkUID      string
	OxpayTxnID          string
	MerchantReferenceID string
	LedgerRef           string
	Detail              string
}
