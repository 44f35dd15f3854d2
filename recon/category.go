package recon

// Category is a stable exception code, used in the database, the
// workbook and the exports. Never rename one: finance filters on them.
type Category string

// The exception categories.
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
	AmbiguousMatch            Category = "AMBIGUOUS_MATCH"
	InputErrorCategory        Category = "INPUT_ERROR"
)

// Categories lists every category in the order reports show them.
var Categories = []Category{
	OrderPaidNoTransaction, TransactionNoOrder, AmountMismatch, CurrencyMismatch,
	StatusMismatch, DuplicatePayment, WebhookMissing, WebhookBadSignature,
	WebhookUnknownTransaction, WebhookStateMismatch, WebhookAmountMismatch, WebhookReplayed,
	LedgerMissing, LedgerUnmatched, LedgerAmountMismatch, LedgerDuplicate,
	AmbiguousMatch, InputErrorCategory,
}
