package recon

import (
	"database/sql/driver"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Exception is one finding of a matching run, as the match package
// writes it, the store keeps it per run and the reports show it. Its
// Category says what kind of finding it is (see Categories).
//
// ExpectedMinor is the amount the reference side says (the order for
// order/gateway checks, the gateway for webhook and ledger checks),
// ActualMinor what the other side says (0 when it has no row), and
// DifferenceMinor is Actual − Expected, or 0 when the two are in
// different currencies. Ledger amounts are signed: debits negative.
type Exception struct {
	Category            Category `db:"category" json:"category"`
	Severity            string   `db:"severity" json:"severity"`
	OrderUID            string   `db:"order_uid" json:"order_uid"`
	PaymentLinkUID      string   `db:"payment_link_uid" json:"payment_link_uid"`
	OxpayTxnID          string   `db:"oxpay_txn_id" json:"oxpay_txn_id"`
	MerchantReferenceID string   `db:"merchant_reference_id" json:"merchant_reference_id"`
	LedgerRef           string   `db:"ledger_ref" json:"ledger_ref"`
	Currency            string   `db:"currency" json:"currency"`
	ExpectedMinor       int64    `db:"expected_minor" json:"expected_minor"`
	ActualMinor         int64    `db:"actual_minor" json:"actual_minor"`
	DifferenceMinor     int64    `db:"difference_minor" json:"difference_minor"`
	// Detail is the field-level reason, for people.
	Detail string `db:"detail" json:"detail"`
	// The internal row ids involved, for tracing a finding back to the
	// delivery, ledger line or input error it came from.
	WebhookEventIDs IDList `db:"webhook_event_ids" json:"webhook_event_ids"`
	LedgerEntryIDs  IDList `db:"ledger_entry_ids" json:"ledger_entry_ids"`
	InputErrorID    int64  `db:"input_error_id" json:"input_error_id"` // 0: none
}

// MatchResult is one gateway transaction that moved or reversed money,
// with what it was matched to: its order and payment link, its latest
// signed webhook and its ledger line. Reports build the Sales and the
// Refunds & voids sheets from these rows.
type MatchResult struct {
	Kind                string `db:"kind" json:"kind"` // sale, refund, void
	OrderUID            string `db:"order_uid" json:"order_uid"`
	PaymentLinkUID      string `db:"payment_link_uid" json:"payment_link_uid"`
	OxpayTxnID          string `db:"oxpay_txn_id" json:"oxpay_txn_id"`
	OriginalTxnID       string `db:"oxpay_original_txn_id" json:"oxpay_original_txn_id"`
	MerchantReferenceID string `db:"merchant_reference_id" json:"merchant_reference_id"`
	// LedgerRef, LedgerMinor and BookedOn are the ledger line's; they are
	// not stored with the result but read back from the line by
	// LedgerEntryID (ledger entries never change).
	LedgerRef      string `db:"ledger_ref" json:"ledger_ref"`
	LedgerEntryID  int64  `db:"ledger_entry_id" json:"ledger_entry_id"`   // 0: no ledger line
	WebhookEventID int64  `db:"webhook_event_id" json:"webhook_event_id"` // 0: no signed delivery
	State          string `db:"state" json:"state"`
	// Source is "api" when the gateway API reported the transaction and
	// "webhook" when a signed webhook stood in for it.
	Source       string `db:"source" json:"source"`
	Currency     string `db:"currency" json:"currency"`
	OrderMinor   int64  `db:"order_minor" json:"order_minor"`     // 0 when no order, or its amount is unknown
	GatewayMinor int64  `db:"gateway_minor" json:"gateway_minor"` // the refund amount for a refund
	LedgerMinor  int64  `db:"ledger_minor" json:"ledger_minor"`   // signed; 0 when no line
	// PaidAt is the payment time the settlement window was measured from.
	PaidAt   *time.Time `db:"paid_at" json:"paid_at"`
	BookedOn *time.Time `db:"booked_on" json:"booked_on"` // midnight UTC of the booking date
	// Clean is true when no exception of the run names the transaction.
	Clean bool `db:"clean" json:"clean"`
}

// IDList is a list of row ids, stored as comma-separated text ("" when
// empty) so that one exception can name every row involved.
type IDList []int64

// Value implements driver.Valuer.
func (l IDList) Value() (driver.Value, error) { return l.String(), nil }

// String returns the ids as stored: "12,15".
func (l IDList) String() string {
	var b []byte
	for i, id := range l {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, id, 10)
	}
	return string(b)
}

// Scan implements sql.Scanner.
func (l *IDList) Scan(src any) error {
	var s string
	switch v := src.(type) {
	case nil:
	case string:
		s = v
	case []byte:
		s = string(v)
	default:
		return fmt.Errorf("id list: cannot scan %T", src)
	}
	*l = nil
	if s == "" {
		return nil
	}
	out := make(IDList, 0, strings.Count(s, ",")+1)
	for f := range strings.SplitSeq(s, ",") {
		id, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return fmt.Errorf("id list %q: %w", s, err)
		}
		out = append(out, id)
	}
	*l = out
	return nil
}

// ExceptionKey is how an exception is known from one run to the next:
// its category and every reference it names (the input error's row id
// for an input error, which never changes once recorded). Amounts and
// the detail text are left out on purpose: an amount mismatch whose
// amounts change overnight is still the same open break.
//
// An exception about ledger lines alone (one that names no transaction,
// order, payment link or input error, such as LEDGER_UNMATCHED) is
// known by its ledger entry ids too: two unmatched lines that share a
// reference ("FEE") are two breaks, each with its own age, and matching
// one of them resolves it. Elsewhere the entry ids are left out, as the
// transaction is what the break is about.
func ExceptionKey(e *Exception) string {
	k := ExceptionKeyV1(e)
	if ledgerOnly(e) {
		k += "\x1fledger " + e.LedgerEntryIDs.String()
	}
	return k
}

func ledgerOnly(e *Exception) bool {
	return len(e.LedgerEntryIDs) > 0 && e.OrderUID == "" && e.PaymentLinkUID == "" && e.OxpayTxnID == "" &&
		e.MerchantReferenceID == "" && e.InputErrorID == 0
}

// ExceptionKeyV1 is the key as the store's exception history recorded it
// before ledger-only exceptions held their entry ids. Such a key is
// still read from the history of runs made before that, so that their
// open breaks carry their first-seen dates across the upgrade.
func ExceptionKeyV1(e *Exception) string {
	parts := [...]string{string(e.Category), e.OrderUID, e.PaymentLinkUID, e.OxpayTxnID,
		e.MerchantReferenceID, e.LedgerRef, e.Currency}
	n := len(parts) + 20 // the separators, and room for an input error's id
	for _, s := range parts {
		n += len(s)
	}
	var b strings.Builder
	b.Grow(n) // one allocation: keys are built for every open exception, several times a night
	for i, s := range parts {
		if i > 0 {
			b.WriteByte(0x1f) // unit separator: never in a reference
		}
		b.WriteString(s)
	}
	if e.InputErrorID != 0 {
		b.WriteByte(0x1f)
		b.WriteString(strconv.FormatInt(e.InputErrorID, 10))
	}
	return b.String()
}

// AgeDays is how long an exception has been open: the whole days from
// firstSeen to date (both YYYY-MM-DD). ok is false when either does not
// parse: an age never known is not an age of 0.
func AgeDays(firstSeen, date string) (days int, ok bool) {
	a, err1 := time.Parse(time.DateOnly, firstSeen)
	b, err2 := time.Parse(time.DateOnly, date)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return int(b.Sub(a).Hours() / 24), true
}
