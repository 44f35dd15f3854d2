package recon

// Category is a stable exception code, used in the database, the
// workbook and the exports. Never rename one: finance filters on them.
type Category string

// The exception categories. Each has its row in Categories.
const (
	OrderPaidNoTransaction    Category = "ORDER_PAID_NO_TRANSACTION"
	TransactionNoOrder        Category = "TRANSACTION_NO_ORDER"
	AmountMismatch            Category = "AMOUNT_MISMATCH"
	CurrencyMismatch          Category = "CURRENCY_MISMATCH"
	StatusMismatch            Category = "STATUS_MISMATCH"
	DuplicatePayment          Category = "DUPLICATE_PAYMENT"
	WebhookMissing            Category = "WEBHOOK_MISSING"
	WebhookBadSignature       Category = "WEBHOOK_BAD_SIGNATURE"
	WebhookUnknownTransaction Category = "WEBHOOK_UNKNOWN_TRANSACTION"
	WebhookStateMismatch      Category = "WEBHOOK_STATE_MISMATCH"
	WebhookAmountMismatch     Category = "WEBHOOK_AMOUNT_MISMATCH"
	WebhookReplayed           Category = "WEBHOOK_REPLAYED"
	LedgerMissing             Category = "LEDGER_MISSING"
	LedgerUnmatched           Category = "LEDGER_UNMATCHED"
	LedgerAmountMismatch      Category = "LEDGER_AMOUNT_MISMATCH"
	LedgerDuplicate           Category = "LEDGER_DUPLICATE"
	SettlementMissing         Category = "SETTLEMENT_MISSING"
	SettlementUnmatched       Category = "SETTLEMENT_UNMATCHED"
	SettlementAmountMismatch  Category = "SETTLEMENT_AMOUNT_MISMATCH"
	FeeMismatch               Category = "FEE_MISMATCH"
	AmbiguousMatch            Category = "AMBIGUOUS_MATCH"
	InputErrorCategory        Category = "INPUT_ERROR"
)

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

// Control says how a category's exceptions take part in the workbook's
// control line, which proves per currency that every difference between
// the gateway's net and the ledger's is listed (reports/control.go).
// The zero Control is no value: every category states its own.
type Control uint8

// How categories take part in the control line.
const (
	// ControlNone: the category is not about gateway money against the
	// ledger (or only through another category's exception).
	ControlNone Control = iota + 1
	// ControlMissing: a settling transaction without its ledger line;
	// its difference explains the transaction's amount.
	ControlMissing
	// ControlPaired: a transaction and a ledger line that disagree; its
	// difference explains the pair's, and the one line it names is
	// paired.
	ControlPaired
	// ControlUnpaired: a ledger line paired with nothing; its difference
	// explains the line.
	ControlUnpaired
	// ControlCurrency: records in different currencies; when it names a
	// ledger line, the gateway side is explained in the gateway's
	// currency and the line in the line's.
	ControlCurrency
	// ControlDuplicate: a transaction booked by more than one line; the
	// lines besides the paired one are its share.
	ControlDuplicate
	// ControlSettlement: a settlement batch without its deposit, or a
	// deposit that disagrees with its batch or pays none; its difference
	// explains the batch's net or the deposit's part (the batch's fees
	// are a line of their own, from the stored batches).
	ControlSettlement
	// ControlFee: a deposit that states another fee than the schedule's;
	// its difference (stated − schedule) is what the gateway kept beyond
	// the fees line, and explains that much of the deposit's shortfall.
	ControlFee

	controlEnd // one past the last: a new Control goes above
)

// CategoryInfo is everything known of a category: its row in
// Categories.
type CategoryInfo struct {
	Code     Category
	Severity string // one of Severities
	// Name is the category's readable name: the title of the workbook
	// sheet that lists its exceptions and of its rows on the Summary.
	// It is a valid sheet name (at most 31 characters, none of :\/?*[]).
	Name    string
	Control Control
	// Description says in one sentence or two what the category means,
	// for the workbook's legend and the README's table.
	Description string
	// Markdown is the README's wording where it says more than
	// Description (a setting in code, with its default); "" means
	// Description.
	Markdown string
}

// Categories is the one table of the exception categories, in the order
// reports show them: every package that needs to know anything of a
// category reads it here. A category added to the constants above needs
// its row, whole (TestCategoriesAreWhole), and the README's table is
// made from it (TestREADMECategoryTable).
var Categories = []CategoryInfo{
	{OrderPaidNoTransaction, SeverityCritical, "Order paid, no transaction", ControlNone,
		"Xepeng says the payment link is paid, but the gateway has no transaction for it at all.", ""},
	{TransactionNoOrder, SeverityHigh, "Transaction, no order", ControlNone,
		"The gateway has a transaction (or a refund of an unknown sale) whose merchant_reference_id matches no order.", ""},
	{AmountMismatch, SeverityCritical, "Amount mismatch", ControlNone,
		"A paid sale is for another amount than its order, or refunds add up to more than the sale.", ""},
	{CurrencyMismatch, SeverityCritical, "Currency mismatch", ControlCurrency,
		"Two matched records (order and sale, sale and refund, gateway and webhook, gateway and ledger) are in different currencies.", ""},
	{StatusMismatch, SeverityCritical, "Status mismatch", ControlNone,
		"Xepeng and the gateway disagree on whether the order was paid, or a refund reverses a sale that was never paid or was voided.", ""},
	{DuplicatePayment, SeverityCritical, "Duplicate payment", ControlNone,
		"An order has more than one successful sale; each extra sale is reported.", ""},
	{WebhookMissing, SeverityLow, "Webhook missing", ControlNone,
		"The gateway API knows a transaction that no webhook delivery mentions.", ""},
	{WebhookBadSignature, SeverityHigh, "Webhook bad signature", ControlNone,
		"A webhook delivery's signature did not verify (wrong or missing); its content was ignored.", ""},
	{WebhookUnknownTransaction, SeverityHigh, "Webhook unknown transaction", ControlNone,
		"A signed webhook names a transaction the gateway API has no record of and no order or known sale explains.", ""},
	{WebhookStateMismatch, SeverityMedium, "Webhook state mismatch", ControlNone,
		"The latest signed webhook for a transaction reports another state than the gateway API.", ""},
	{WebhookAmountMismatch, SeverityMedium, "Webhook amount mismatch", ControlNone,
		"The latest signed webhook for a transaction reports another amount than the gateway API.", ""},
	{WebhookReplayed, SeverityMedium, "Webhook replayed", ControlNone,
		"A signed webhook delivery arrived again longer after its first receipt than a gateway retry would (matching.replay_window): a replay. It changed nothing.",
		"A signed webhook delivery arrived again longer after its first receipt than a gateway retry would (`matching.replay_window`, 24h): a replay. It changed nothing."},
	{LedgerMissing, SeverityHigh, "Ledger missing", ControlMissing,
		"A settled sale or a refund has no ledger line.", ""},
	{LedgerUnmatched, SeverityHigh, "Ledger unmatched", ControlPaired,
		"A ledger line matches no transaction that settles that way, or falls outside the settlement window.", ""},
	{LedgerAmountMismatch, SeverityHigh, "Ledger amount mismatch", ControlPaired,
		"A transaction's ledger line differs from the gateway amount by more than the tolerance.", ""},
	{LedgerDuplicate, SeverityHigh, "Ledger duplicate", ControlDuplicate,
		"A transaction is booked by more than one ledger line.", ""},
	{SettlementMissing, SeverityHigh, "Settlement missing", ControlSettlement,
		"A settlement batch (a gateway business day's settled transactions in one currency) whose payout day has passed has no deposit in the ledger.",
		"A settlement batch (a gateway business day's settled transactions in one currency) whose payout day has passed has no deposit in the ledger (`settlement:`; `ledger_ref` names the batch)."},
	{SettlementUnmatched, SeverityHigh, "Settlement unmatched", ControlSettlement,
		"A ledger line the settlement reference pattern names as a deposit pays no batch: none on that day or in that currency, or another line already pays it.", ""},
	{SettlementAmountMismatch, SeverityHigh, "Settlement amount mismatch", ControlSettlement,
		"A deposit differs from its batch's expected net (gross − refunds − fees) by more than the tolerance; the detail splits the difference where the line states its fee.", ""},
	{FeeMismatch, SeverityMedium, "Fee mismatch", ControlFee,
		"The fee a deposit line states the gateway kept differs from the fee schedule's for its batch.",
		"The fee a deposit line states the gateway kept (the ledger's `fee` column) differs from the fee schedule's for its batch."},
	{AmbiguousMatch, SeverityMedium, "Ambiguous match", ControlUnpaired,
		"A ledger line, or a void that names no original sale, fits two or more transactions equally well, so it was not matched to any.", ""},
	{InputErrorCategory, SeverityMedium, "Input errors", ControlNone,
		"A line of an input could not be read; whatever it held is not reconciled.", ""},
}

var categoryIndex = func() map[Category]int {
	m := make(map[Category]int, len(Categories))
	for i, c := range Categories {
		m[c.Code] = i
	}
	return m
}()

// Info returns the category's row of Categories; ok is false for a code
// that has none (the returned row then holds only the code).
func (c Category) Info() (_ CategoryInfo, ok bool) {
	i, ok := categoryIndex[c]
	if !ok {
		return CategoryInfo{Code: c}, false
	}
	return Categories[i], true
}

// Severity returns the category's severity, "" for an unknown code.
func (c Category) Severity() string {
	info, _ := c.Info()
	return info.Severity
}

// Rank is the category's place in Categories, the order reports show
// categories in; an unknown code ranks after every known one.
func (c Category) Rank() int {
	if i, ok := categoryIndex[c]; ok {
		return i
	}
	return len(Categories)
}
