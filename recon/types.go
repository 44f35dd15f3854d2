package recon

import "time"

// Order is a Xepeng order. AmountMinor is the order total converted from
// the units Xepeng sends into the currency's minor units, read from the
// field AmountSource names (wire.TotalFrom*). When no total could be
// read, AmountProblem says why, AmountSource is "" and AmountMinor is
// not a value (it is stored as NULL).
type Order struct {
	UID           string    `db:"uid" json:"uid"`
	Status        string    `db:"status" json:"status"`
	Currency      string    `db:"currency" json:"currency"`
	AmountMinor   int64     `db:"amount_minor" json:"amount_minor"`
	AmountSource  string    `db:"amount_source" json:"amount_source"`
	AmountProblem string    `db:"amount_problem" json:"amount_problem,omitempty"`
	CreatedAt     time.Time `db:"created_at" json:"created_at"`
	UpdatedAt     time.Time `db:"updated_at" json:"updated_at"`
	Raw           string    `db:"raw" json:"-"` // the JSON object as the API returned it
}

// AmountKnown reports whether the order's total could be read.
func (o Order) AmountKnown() bool { return o.AmountProblem == "" }

// LinkAmountField is the AmountSource of a payment link whose amount was
// read: Xepeng names it amount.
const LinkAmountField = "amount"

// PaymentLink is a Xepeng payment link, bound to one order.
type PaymentLink struct {
	UID         string `db:"uid" json:"uid"`
	OrderUID    string `db:"order_uid" json:"order_uid"`
	Status      string `db:"status" json:"status"`
	PaymentURL  string `db:"payment_url" json:"payment_url"`
	Currency    string `db:"currency" json:"currency"`
	AmountMinor int64  `db:"amount_minor" json:"amount_minor"`
	// AmountSource is LinkAmountField; when the amount could not be
	// read, AmountProblem says why, AmountSource is "" and AmountMinor
	// is not a value (stored as NULL).
	AmountSource  string     `db:"amount_source" json:"amount_source"`
	AmountProblem string     `db:"amount_problem" json:"amount_problem,omitempty"`
	ExpiredAt     *time.Time `db:"expired_at" json:"expired_at"`
	PaidAt        *time.Time `db:"paid_at" json:"paid_at"`
	CreatedAt     time.Time  `db:"created_at" json:"created_at"`
	UpdatedAt     time.Time  `db:"updated_at" json:"updated_at"`
	Raw           string     `db:"raw" json:"-"`
}

// AmountKnown reports whether the link's amount could be read.
func (l PaymentLink) AmountKnown() bool { return l.AmountProblem == "" }

// Transaction is an OxPay transaction as the gateway API reported it.
// Sales carry their state (a voided sale has state "voided"); a refund is
// a transaction of its own whose OriginalTxnID names the sale.
type Transaction struct {
	OxpayTxnID          string `db:"oxpay_txn_id" json:"oxpay_txn_id"`
	OriginalTxnID       string `db:"oxpay_original_txn_id" json:"oxpay_original_txn_id"`
	Type                string `db:"type" json:"type"` // SALE, REFUND, VOID, CAPTURE
	MerchantReferenceID string `db:"merchant_reference_id" json:"merchant_reference_id"`
	HostTxnID           string `db:"host_txn_id" json:"host_txn_id"`
	State               string `db:"state" json:"state"`
	Brand               string `db:"payment_brand" json:"payment_brand"`
	Currency            string `db:"currency" json:"currency"`
	AmountMinor         int64  `db:"amount_minor" json:"amount_minor"`
	RefundAmountMinor   int64  `db:"refund_amount_minor" json:"refund_amount_minor"`
	// FetchedAt is when the API was asked; the gateway reports no
	// transaction time of its own, so event times come from webhooks and
	// payment links.
	FetchedAt time.Time `db:"fetched_at" json:"fetched_at"`
	Raw       string    `db:"raw" json:"-"`
}

// Signature check outcomes stored on webhook events; the values are the
// ones of sign.Match.
const (
	SigRaw      = "raw"
	SigCompact  = "compact"
	SigInvalid  = "invalid"
	SigUnsigned = "unsigned"
)

// WebhookEvent is one delivery read from a webhook log.
type WebhookEvent struct {
	ID                  int64     `db:"id" json:"id"`
	ReceivedAt          time.Time `db:"received_at" json:"received_at"`
	Kind                string    `db:"kind" json:"kind"` // payment, refund, void
	OxpayTxnID          string    `db:"oxpay_txn_id" json:"oxpay_txn_id"`
	OriginalTxnID       string    `db:"oxpay_original_txn_id" json:"oxpay_original_txn_id"`
	MerchantReferenceID string    `db:"merchant_reference_id" json:"merchant_reference_id"`
	HostTxnID           string    `db:"host_txn_id" json:"host_txn_id"`
	State               string    `db:"state" json:"state"`
	Currency            string    `db:"currency" json:"currency"`
	AmountMinor         int64     `db:"amount_minor" json:"amount_minor"`
	RefundAmountMinor   int64     `db:"refund_amount_minor" json:"refund_amount_minor"`
	StatusCode          int       `db:"status_code" json:"status_code"`
	SigCheck            string    `db:"sig_check" json:"sig_check"` // SigRaw, SigCompact, SigInvalid, SigUnsigned
	// Signature is the Signature header as received, kept so the
	// delivery can be verified again; KeyFingerprint names the key
	// SigCheck was decided with (sign.KeyFingerprint; "" for none).
	Signature      string `db:"signature" json:"signature"`
	KeyFingerprint string `db:"key_fp" json:"key_fp"`
	// DedupKey identifies the notification (txn id, kind, state and a hash
	// of the payload): redeliveries share it and are counted once.
	DedupKey string `db:"dedup_key" json:"dedup_key"`
	// DeliveryKey identifies the delivery (the second it was received,
	// then a 72-bit hash of the whole log line: 32 characters that sort
	// by time): the same log ingested twice adds nothing.
	DeliveryKey string `db:"delivery_key" json:"delivery_key"`
	Raw         string `db:"raw" json:"-"` // the payload bytes as received
	SourceFile  string `db:"source_file" json:"source_file"`
	SourceLine  int    `db:"source_line" json:"source_line"`
}

// Trusted reports whether the event's signature verified, so that its
// state may stand for the transaction's.
func (e WebhookEvent) Trusted() bool { return e.SigCheck == SigRaw || e.SigCheck == SigCompact }

// LedgerEntry is one line of a finance ledger export. AmountMinor is
// signed: credits (money in) positive, debits negative.
type LedgerEntry struct {
	ID          int64     `db:"id" json:"id"`
	BookedOn    time.Time `db:"booked_on" json:"booked_on"` // a date, at midnight UTC
	Reference   string    `db:"reference" json:"reference"`
	Description string    `db:"description" json:"description"`
	TxnType     string    `db:"txn_type" json:"txn_type"`
	Currency    string    `db:"currency" json:"currency"`
	AmountMinor int64     `db:"amount_minor" json:"amount_minor"`
	// FeeMinor is the fee the line says the gateway kept (the ledger's
	// optional fee column, positive); nil when it states none.
	FeeMinor *int64 `db:"fee_minor" json:"fee_minor,omitempty"`
	// RowHash identifies the row (its booking date, then a 96-bit hash of
	// its content and of how many identical rows came before it in the
	// same file: 32 characters that sort by date): an overlapping export
	// adds nothing twice, while a row genuinely booked twice is kept twice.
	RowHash    string `db:"row_hash" json:"row_hash"`
	SourceFile string `db:"source_file" json:"source_file"`
	Sheet      string `db:"sheet" json:"sheet"`
	SourceLine int    `db:"source_line" json:"source_line"`
	Raw        string `db:"raw" json:"-"` // the row as read, fields joined as JSON
}

// InputError is a line of an input that could not be used. It is stored
// and reported; the rest of the input still loads.
type InputError struct {
	ID         int64     `db:"id" json:"id"`
	Source     string    `db:"source" json:"source"` // webhooks, ledger, xepeng, oxpay
	File       string    `db:"file" json:"file"`
	Line       int       `db:"line" json:"line"`
	Text       string    `db:"text" json:"text"` // the offending input, trimmed
	Reason     string    `db:"reason" json:"reason"`
	RecordedAt time.Time `db:"recorded_at" json:"recorded_at"`
}

// Run statuses.
const (
	RunRunning = "running"
	RunOK      = "ok"
	RunFailed  = "failed"
	// RunReplaced is a successful run whose results a later run for the
	// same business date replaced.
	RunReplaced = "replaced"
)

// Run is one execution of a command that changes the database.
type Run struct {
	ID           int64      `db:"id" json:"id"`
	Command      string     `db:"command" json:"command"`
	BusinessDate string     `db:"business_date" json:"business_date"` // YYYY-MM-DD in the configured zone
	StartedAt    time.Time  `db:"started_at" json:"started_at"`
	EndedAt      *time.Time `db:"ended_at" json:"ended_at"`
	Status       string     `db:"status" json:"status"`
	Error        string     `db:"error" json:"error"`
	Counts       string     `db:"counts" json:"counts"` // JSON object
	Inputs       string     `db:"inputs" json:"inputs"` // JSON array of files with hashes and row counts
	Version      string     `db:"version" json:"version"`
}
