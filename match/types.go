package match

import (
	"cmp"
	"slices"

	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/store"
)

// Result kinds: recon.MatchResult.Kind.
const (
	KindSale   = "sale"
	KindRefund = "refund"
	KindVoid   = "void"
)

// Result sources: recon.MatchResult.Source.
const (
	SourceAPI     = "api"
	SourceWebhook = "webhook"
)

// Input is everything a match reads, as plain rows. Run fills it from the
// store (reading only the columns it needs); tests build it by hand.
// Webhook events and ledger entries are taken in the order given (the
// store's load order), which decides ties.
type Input struct {
	Orders       []recon.Order        `json:"orders"`
	Links        []recon.PaymentLink  `json:"payment_links"`
	Transactions []recon.Transaction  `json:"transactions"`
	Webhooks     []recon.WebhookEvent `json:"webhook_events"`
	Ledger       []recon.LedgerEntry  `json:"ledger_entries"`
	InputErrors  []recon.InputError   `json:"input_errors"`
}

// Output is what a match finds: the matched transactions, the exceptions
// (sorted, see SortExceptions) and their totals.
type Output struct {
	Results    []recon.MatchResult
	Exceptions []recon.Exception
	// Settlements are the settlement batches, members and all, with
	// Options.Settlement (none without).
	Settlements []recon.SettlementBatch
	Summary     Summary
}

// Summary totals a match for the run record and the report's summary.
type Summary struct {
	RunID int64 `json:"run_id,omitempty"`
	// Results counts the transactions that moved or reversed money
	// (sales in a paid state, refunds, voids); Matched those of them no
	// exception names. MatchRate is Matched / Results (1 when there are
	// none): a ratio for people, not money.
	Results   int     `json:"results"`
	Matched   int     `json:"matched"`
	MatchRate float64 `json:"match_rate"`
	// PendingSettlement counts settling transactions whose settlement
	// window had not closed by Options.AsOf.
	PendingSettlement int `json:"pending_settlement"`
	Exceptions        int `json:"exceptions"`
	// Categories has one row per category and currency that occurred, in
	// report order; Currencies one row per currency.
	Categories []CategoryTotal `json:"categories"`
	Currencies []CurrencyTotal `json:"currencies"`
	// Settlement counts the settlement step's batches and deposits, with
	// Options.Settlement.
	Settlement *SettlementSummary `json:"settlement,omitempty"`
	// Scope says what the run read: every row, or only what the night
	// reached (incremental.go); nil from Match.
	Scope *ScopeSummary `json:"scope,omitempty"`
	// Warnings are said about the run as a whole, for the log and the
	// workbook's banner (a settlement reference pattern that matched no
	// line).
	Warnings []string `json:"warnings,omitempty"`
	// Open is the run's exceptions as stored, in the order stored (what
	// the store's Exceptions reads back); Previous the previous matching
	// run's, when an incremental match read them (nil otherwise). A
	// caller hands them on rather than read them again.
	Open     []recon.Exception    `json:"-"`
	Previous *store.RunExceptions `json:"-"`
}

// CategoryTotal counts one category's exceptions in one currency ("" for
// those without one, such as input errors). AmountMinor is the sum of
// the absolute differences: the money at stake.
type CategoryTotal struct {
	Category    recon.Category `json:"category"`
	Severity    string         `json:"severity"`
	Currency    string         `json:"currency"`
	Count       int            `json:"count"`
	AmountMinor int64          `json:"amount_minor"`
}

// CurrencyTotal sums one currency. MatchedMinor is the net amount of the
// matched transactions: sales in, refunds out (voided sales count 0).
type CurrencyTotal struct {
	Currency     string `json:"currency"`
	Results      int    `json:"results"`
	Matched      int    `json:"matched"`
	MatchedMinor int64  `json:"matched_minor"`
	Exceptions   int    `json:"exceptions"`
	AmountMinor  int64  `json:"amount_minor"` // sum of the exceptions' absolute differences
}

// Count returns how many exceptions of a category the summary holds.
func (s Summary) Count(c recon.Category) int {
	n := 0
	for _, t := range s.Categories {
		if t.Category == c {
			n += t.Count
		}
	}
	return n
}

// SortExceptions puts exceptions in report order: by category as
// recon.Categories lists them, then by every id column, then the rest, so that
// the same findings always come out in the same order.
func SortExceptions(es []recon.Exception) {
	slices.SortStableFunc(es, compareExceptions)
}

// ExceptionsSorted says whether es is in report order already, as a
// run's exceptions are stored.
func ExceptionsSorted(es []recon.Exception) bool {
	return slices.IsSortedFunc(es, compareExceptions)
}

func compareExceptions(a, b recon.Exception) int {
	return cmp.Or(
		cmp.Compare(a.Category.Rank(), b.Category.Rank()),
		cmp.Compare(a.Category, b.Category),
		cmp.Compare(a.OrderUID, b.OrderUID),
		cmp.Compare(a.PaymentLinkUID, b.PaymentLinkUID),
		compareIDs(a.OxpayTxnID, b.OxpayTxnID),
		cmp.Compare(a.MerchantReferenceID, b.MerchantReferenceID),
		cmp.Compare(a.LedgerRef, b.LedgerRef),
		cmp.Compare(a.Currency, b.Currency),
		cmp.Compare(a.ExpectedMinor, b.ExpectedMinor),
		cmp.Compare(a.ActualMinor, b.ActualMinor),
		cmp.Compare(a.DifferenceMinor, b.DifferenceMinor),
		cmp.Compare(a.Detail, b.Detail),
		slices.Compare(a.WebhookEventIDs, b.WebhookEventIDs),
		slices.Compare(a.LedgerEntryIDs, b.LedgerEntryIDs),
		cmp.Compare(a.InputErrorID, b.InputErrorID),
	)
}

// compareIDs orders gateway ids naturally: a shorter id first, then by
// text, which for OxPay's numeric ids is numeric order (and so the order
// the gateway created them in).
func compareIDs(a, b string) int {
	return cmp.Or(cmp.Compare(len(a), len(b)), cmp.Compare(a, b))
}
