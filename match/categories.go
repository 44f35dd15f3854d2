package match

import "github.com/reconkit/reconkit/recon"

// Severities, most urgent first. A category has one severity whatever
// the amount, so that a filter on severity means the same every night.
const (
	// SeverityCritical: a customer may have paid the wrong amount or
	// twice, or goods may go out unpaid. Act today.
	SeverityCritical = "critical"
	// SeverityHigh: the books or the gateway hold money nobody can
	// explain yet, or a notification may be forged. Act before close.
	SeverityHigh = "high"
	// SeverityMedium: the records disagree in a way a person has to
	// decide, but no money is known to be wrong.
	SeverityMedium = "medium"
	// SeverityLow: a gap in the evidence with nothing wrong in the money.
	SeverityLow = "low"
)

// Severities lists the severities, most urgent first.
var Severities = []string{SeverityCritical, SeverityHigh, SeverityMedium, SeverityLow}

// CategoryInfo says what a category means, for the README, the report's
// legend and the exports.
type CategoryInfo struct {
	Category recon.Category `json:"category"`
	Severity string         `json:"severity"`
	Meaning  string         `json:"meaning"`
}

// Categories lists every category in recon.Categories order with its
// severity and a one-line meaning.
var Categories = []CategoryInfo{
	{recon.OrderPaidNoTransaction, SeverityCritical, "Xepeng says the payment link is paid, but the gateway has no transaction for it at all."},
	{recon.TransactionNoOrder, SeverityHigh, "The gateway has a transaction (or a refund of an unknown sale) whose merchant_reference_id matches no order."},
	{recon.AmountMismatch, SeverityCritical, "A paid sale is for another amount than its order, or refunds add up to more than the sale."},
	{recon.CurrencyMismatch, SeverityCritical, "Two matched records (order and sale, sale and refund, gateway and webhook, gateway and ledger) are in different currencies."},
	{recon.StatusMismatch, SeverityCritical, "Xepeng and the gateway disagree on whether the order was paid, or a refund reverses a sale that was never paid or was voided."},
	{recon.DuplicatePayment, SeverityCritical, "An order has more than one successful sale; each extra sale is reported."},
	{recon.WebhookMissing, SeverityLow, "The gateway API knows a transaction that no webhook delivery mentions."},
	{recon.WebhookBadSignature, SeverityHigh, "A webhook delivery's signature did not verify (wrong or missing); its content was ignored."},
	{recon.WebhookUnknownTransaction, SeverityHigh, "A signed webhook names a transaction the gateway API has no record of and no order or known sale explains."},
	{recon.WebhookStateMismatch, SeverityMedium, "The latest signed webhook for a transaction reports another state than the gateway API."},
	{recon.WebhookAmountMismatch, SeverityMedium, "The latest signed webhook for a transaction reports another amount than the gateway API."},
	{recon.WebhookReplayed, SeverityMedium, "A signed webhook delivery arrived again longer after its first receipt than a gateway retry would (matching.replay_window): a replay. It changed nothing."},
	{recon.LedgerMissing, SeverityHigh, "A settled sale or a refund has no ledger line."},
	{recon.LedgerUnmatched, SeverityHigh, "A ledger line matches no transaction that settles that way, or falls outside the settlement window."},
	{recon.LedgerAmountMismatch, SeverityHigh, "A transaction's ledger line differs from the gateway amount by more than the tolerance."},
	{recon.LedgerDuplicate, SeverityHigh, "A transaction is booked by more than one ledger line."},
	{recon.AmbiguousMatch, SeverityMedium, "A ledger line, or a void that names no original sale, fits two or more transactions equally well, so it was not matched to any."},
	{recon.InputErrorCategory, SeverityMedium, "A line of an input could not be read; whatever it held is not reconciled."},
}

var categoryIndex = func() map[recon.Category]int {
	m := make(map[recon.Category]int, len(Categories))
	for i, c := range Categories {
		m[c.Category] = i
	}
	return m
}()

// Info returns what a category means; ok is false for an unknown code.
func Info(c recon.Category) (CategoryInfo, bool) {
	i, ok := categoryIndex[c]
	if !ok {
		return CategoryInfo{Category: c}, false
	}
	return Categories[i], true
}

// Severity returns a category's severity, "" for an unknown code.
func Severity(c recon.Category) string {
	info, _ := Info(c)
	return info.Severity
}

// categoryRank orders categories as reports show them; unknown codes go
// last.
func categoryRank(c recon.Category) int {
	if i, ok := categoryIndex[c]; ok {
		return i
	}
	return len(Categories)
}
