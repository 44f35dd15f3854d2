package recon

import "time"

// Outcomes of a settlement batch: SettlementBatch.Outcome.
const (
	// BatchPaid: a deposit pays the batch, within the tolerance.
	BatchPaid = "paid"
	// BatchMismatch: a deposit pays the batch, but another amount
	// (SETTLEMENT_AMOUNT_MISMATCH).
	BatchMismatch = "mismatch"
	// BatchMissing: the payout day has passed and no deposit pays
	// the batch (SETTLEMENT_MISSING).
	BatchMissing = "missing"
	// BatchPending: paid out after the run's business date; no
	// deposit yet.
	BatchPending = "pending"
	// BatchAmbiguous: a deposit could pay this batch or another one
	// (AMBIGUOUS_MATCH names them), so it pays none.
	BatchAmbiguous = "ambiguous"
)

// SettlementBatch is one batch of a match run: one gateway business
// day's settled transactions in one currency, those no ledger line books
// one by one, what the fee schedule says the gateway pays out for them,
// and the deposit that pays them. Amounts are minor units of Currency;
// NetMinor = SalesMinor − RefundsMinor − FeesMinor.
type SettlementBatch struct {
	Currency  string `json:"currency"`
	Day       string `json:"batch_day"`  // YYYY-MM-DD, the gateway's business day
	PayoutDay string `json:"payout_day"` // YYYY-MM-DD
	// Transactions counts the members.
	Transactions int   `json:"transactions"`
	SalesMinor   int64 `json:"sales_minor"`
	RefundsMinor int64 `json:"refunds_minor"`
	FeesMinor    int64 `json:"fees_minor"`
	// FeesKnown is false when a member's brand has no fee rule; FeesMinor
	// is then 0 and NetMinor the gross.
	FeesKnown bool  `json:"fees_known"`
	NetMinor  int64 `json:"net_minor"`
	// DepositEntryID is the paying ledger line (0: none), DepositMinor
	// its share of the line: the whole line, or, when one line pays
	// several batches, each batch's net and the difference on the last.
	DepositEntryID int64 `json:"deposit_entry_id"`
	DepositMinor   int64 `json:"deposit_minor"`
	// DifferenceMinor is DepositMinor − NetMinor when there is a
	// deposit. FeeDiffMinor is the part of it a FEE_MISMATCH reports:
	// the fee the line states less the schedule's (0 when none is
	// reported).
	DifferenceMinor int64  `json:"difference_minor"`
	FeeDiffMinor    int64  `json:"fee_diff_minor"`
	Outcome         string `json:"outcome"` // BatchPaid, ...
	Detail          string `json:"detail"`
	// DepositRef and DepositBookedOn are the deposit line's; they are
	// not stored with the batch but read back from the line by
	// DepositEntryID, as a result's ledger line is.
	DepositRef      string             `json:"deposit_ref,omitempty"`
	DepositBookedOn *time.Time         `json:"deposit_booked_on,omitempty"`
	Members         []SettlementMember `json:"members"`
}

// SettlementMember is one transaction of a settlement batch.
type SettlementMember struct {
	OxpayTxnID string `json:"oxpay_txn_id"`
	Kind       string `json:"kind"` // sale or refund (match.KindSale, match.KindRefund)
	Brand      string `json:"payment_brand"`
	// AmountMinor is what it moves, positive: a sale's amount, a
	// refund's refund amount. FeeMinor is its fee under the schedule,
	// rounded on its own (negative for a refund whose fee is returned).
	AmountMinor int64     `json:"amount_minor"`
	FeeMinor    int64     `json:"fee_minor"`
	PaidAt      time.Time `json:"paid_at"` // when it was paid, as the batch day was cut from
}
