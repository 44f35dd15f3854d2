package store

import (
	"time"

	"github.com/reconkit/reconkit/recon"
)

// UpsertStats says what an idempotent load did with its rows. Loading the
// same rows twice gives {0, 0, N} the second time.
type UpsertStats struct {
	Inserted  int `json:"inserted"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
}

// Total is the number of rows the load was given.
func (s UpsertStats) Total() int { return s.Inserted + s.Updated + s.Unchanged }

// Add adds o to s, to total the batches of one load.
func (s *UpsertStats) Add(o UpsertStats) {
	s.Inserted += o.Inserted
	s.Updated += o.Updated
	s.Unchanged += o.Unchanged
}

// InputFile records one ingested file, so that the same content is not
// ingested twice under a new name.
type InputFile struct {
	ID         int64     `db:"id" json:"id"`
	Kind       string    `db:"kind" json:"kind"` // webhooks, ledger
	Path       string    `db:"path" json:"path"`
	SHA256     string    `db:"sha256" json:"sha256"` // hex of the file's bytes
	Rows       int       `db:"row_count" json:"rows"`
	Errors     int       `db:"error_count" json:"errors"`
	IngestedAt time.Time `db:"ingested_at" json:"ingested_at"`
	RunID      int64     `db:"run_id" json:"run_id"` // 0: no run
}

// StoredSignature is a failed delivery with what it takes to verify it
// again: the payload as received and its Signature header.
type StoredSignature struct {
	ID        int64  `db:"id"`
	Raw       string `db:"raw"`
	Signature string `db:"signature"`
}

// Carry is what CarryForward found: how this run's exceptions relate to
// the previous matching run's.
type Carry struct {
	// PreviousRunID is the run compared with; 0 when there is none (the
	// first run, or the first for a date before every other).
	PreviousRunID int64  `json:"previous_run_id"`
	PreviousDate  string `json:"previous_date,omitempty"`
	// New exceptions were not open in the previous run; Carried were
	// (they keep their first-seen date); Resolved were open then and are
	// not now. Counted by distinct key.
	New      int `json:"new"`
	Carried  int `json:"carried"`
	Resolved int `json:"resolved"`
	// OldestFirstSeen is the earliest first-seen date of the run's open
	// exceptions ("" when there are none).
	OldestFirstSeen string `json:"oldest_first_seen,omitempty"`
	// ResolvedExceptions lists the Resolved ones, as ResolvedSince reads
	// them after the carry (one read of the previous run for both); they
	// go to an export of their own, not into the counts' JSON.
	ResolvedExceptions []ResolvedException `json:"-"`
}

// RunExceptions are the exceptions of one run, as Backend.Exceptions
// reads them: what a caller hands on when it has read them already, so
// that the callee need not read them again. Facts are their report
// facts, in the same order, when read with them (Backend.RunExceptions),
// which a run that carries them writes with them
// (Load.CarriedExceptions). FirstSeen, when not nil, is the run's
// exception history (Backend.ExceptionFirstSeen), read with them.
type RunExceptions struct {
	RunID      int64
	Exceptions []recon.Exception
	Facts      []ExceptionFacts
	FirstSeen  map[string]string
}

// ResolvedException is an exception open in the previous run that the
// run no longer has, with the date it was first seen.
type ResolvedException struct {
	recon.Exception
	FirstSeen string `json:"first_seen"`
	// LastSeen is the business date of the previous run, the last one
	// the exception was open in.
	LastSeen string `json:"last_seen"`
}

// HistoryRow is an exception key of a run and the business date
// (YYYY-MM-DD) it was first seen.
type HistoryRow struct {
	Key, FirstSeen string
}

// ExceptionFacts are what the workbook shows beside an exception of
// the rows it names: the payment link's URL and payment time, the
// order's creation time, the receipt time of the first delivery and the
// date, currency and amount of the first ledger line it lists. Times
// are UTC; nil when the row does not exist. A run looks them up in the
// rows for the exceptions it finds, and keeps them with those it
// carries: a carried exception names rows the night did not reach, which
// have not changed since.
type ExceptionFacts struct {
	PaymentURL        string
	OrderCreatedAt    *time.Time
	LinkPaidAt        *time.Time
	WebhookReceivedAt *time.Time
	// LedgerBookedOn is midnight UTC of the booking date.
	LedgerBookedOn *time.Time
	LedgerCurrency string
	LedgerMinor    int64
}

// ReportException is an exception with what the workbook shows beside
// it: its facts, and the input error it stands for.
type ReportException struct {
	recon.Exception
	ExceptionFacts
	// The input error an INPUT_ERROR exception stands for.
	InputSource     string
	InputFile       string
	InputLine       int
	InputText       string
	InputRecordedAt *time.Time
	// Carried says the run carried the exception unchanged from the run
	// it started from, rather than found it among the rows it read
	// (store.MatchMark): the report's control leaves it out.
	Carried bool
}

// ReportResult is a match result with its payment link's URL.
type ReportResult struct {
	recon.MatchResult
	PaymentURL string
}

// ResultCount counts a run's match results of one kind in one currency.
// CleanGatewayMinor sums the gateway amounts of the clean ones.
type ResultCount struct {
	Kind              string `db:"kind" json:"kind"`
	Currency          string `db:"currency" json:"currency"`
	Rows              int64  `db:"row_count" json:"rows"`
	Clean             int64  `db:"clean_count" json:"clean"`
	CleanGatewayMinor int64  `db:"clean_gateway_minor" json:"clean_gateway_minor"`
}

// Sources that ReportSourceTotals counts, in the order it returns them.
const (
	SourceOrders           = "orders"
	SourcePaymentLinksPaid = "payment_links_paid"
	SourceSales            = "sales"
	SourceRefunds          = "refunds"
	SourceVoids            = "voids"
	SourceWebhooks         = "webhook_deliveries"
	SourceWebhookUnique    = "webhook_notifications"
	SourceWebhookBadSig    = "webhook_bad_signature"
	SourceLedgerCredits    = "ledger_credits"
	SourceLedgerDebits     = "ledger_debits"
	SourceLedger           = "ledger_lines"
)

// Sources lists the sources in the order reports show them.
var Sources = []string{SourceOrders, SourcePaymentLinksPaid, SourceSales, SourceRefunds, SourceVoids, SourceWebhooks,
	SourceWebhookUnique, SourceWebhookBadSig, SourceLedgerCredits, SourceLedgerDebits, SourceLedger}

// SourceTotal counts one source's rows in one currency and sums their
// amounts in minor units: order totals, paid link amounts, sale amounts,
// refund amounts (the refunded amount, not the sale's), void amounts,
// signed ledger amounts. Webhook sources are counted only: deliveries
// repeat the same notification, so a sum of their amounts means nothing
// (AmountMinor 0).
type SourceTotal struct {
	Source      string `json:"source"`
	Currency    string `json:"currency"`
	Rows        int64  `json:"rows"`
	AmountMinor int64  `json:"amount_minor"`
}
