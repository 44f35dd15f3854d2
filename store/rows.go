package store

import "time"

// The rows a Snapshot hands the match: only the columns its rules read,
// decoded. A Snapshot passes them in batches, and the strings of a batch
// (and the slice) are valid only during the call: a backend may cut
// them from a buffer it reuses. Clone what is kept.

// OrderRow is an order as the match reads it.
type OrderRow struct {
	UID      string
	Currency string
	// AmountMinor is the order's total when AmountKnown; otherwise
	// AmountProblem says why it is not known.
	AmountMinor   int64
	AmountKnown   bool
	AmountProblem string
}

// LinkRow is a payment link as the match reads it.
type LinkRow struct {
	UID, OrderUID string
	Status        string
	Currency      string
	AmountMinor   int64 // when AmountKnown, as for OrderRow
	AmountKnown   bool
	AmountProblem string
	// PaidAt is zero when the link has no paid_at.
	PaidAt time.Time
}

// TxnRow is a gateway transaction as the match reads it.
type TxnRow struct {
	OxpayTxnID          string
	MerchantReferenceID string
	OriginalTxnID       string
	Type, State         string
	Brand               string // payment_brand: the settlement fee schedule's key
	Currency            string
	AmountMinor         int64
	RefundAmountMinor   int64
}

// HookRow is a webhook delivery as the match reads it.
type HookRow struct {
	ID                int64
	ReceivedAt        time.Time
	OxpayTxnID        string
	Kind, State       string
	Currency          string
	AmountMinor       int64
	RefundAmountMinor int64
	SigCheck          string
	// DedupPrefix is the first 16 characters of the dedup key (hex of a
	// SHA-256): enough to tell one transaction's notifications apart.
	DedupPrefix string
}

// EntryRow is a ledger line as the match reads it.
type EntryRow struct {
	ID          int64
	BookedOn    time.Time // midnight UTC of the booking date
	Reference   string
	Currency    string
	AmountMinor int64 // signed: debits negative
}

// EntryTextRow is what the settlement step reads of a ledger line
// besides its EntryRow: the description a reference pattern searches
// and the fee the line states (HasFee false: none).
type EntryTextRow struct {
	ID          int64
	Description string
	FeeMinor    int64
	HasFee      bool
}
