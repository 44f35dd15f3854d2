// Package match reconciles the three sources held in the store: Xepeng
// orders and payment links, OxPay transactions (as the gateway API
// reported them, or as signed webhooks stand in for them), and finance's
// ledger. It reads each table once, joins in memory on hash indexes, and
// writes, per run, the matched transactions and the exceptions, each with
// a stable category (recon/category.go), a severity (Categories) and a
// field-level reason. Match is the engine over plain rows; Run wraps it
// around the store. The package neither prints nor formats for a report
// beyond the detail text.
//
// # The rules
//
// Order and gateway. A transaction belongs to the order whose uid is its
// merchant_reference_id (or, with Reference payment_link_uid, to the
// payment link with that uid). Xepeng says an order is paid when a payment
// link of it is paid. A SALE (or CAPTURE, or a transaction without a
// type) is paid at the gateway in state success, captured or sale, and
// still counts as paid when voided (Xepeng is not told of voids). A paid
// link with no transaction at all is ORDER_PAID_NO_TRANSACTION; a paid
// link whose transactions are all unpaid, or an unpaid link (or an order
// with none) with a paid sale, is STATUS_MISMATCH, naming the latest
// transaction, or the first paid sale. Each successful sale after the
// first is a DUPLICATE_PAYMENT. Every paid sale is compared with the
// order total (link amount in link mode): another currency is
// CURRENCY_MISMATCH, another amount AMOUNT_MISMATCH. A refund is checked
// against the sale it names: refunding a voided or unpaid sale is a
// STATUS_MISMATCH, refunds adding up to more than the sale an
// AMOUNT_MISMATCH. A sale (or a refund of an unknown sale) whose
// reference matches nothing is TRANSACTION_NO_ORDER.
//
// Gateway and webhooks. Deliveries are joined by oxpay_txn_id.
// Redeliveries share a dedup key and count once, at their first receipt;
// only deliveries whose signature verified (recon.WebhookEvent.Trusted)
// are believed. An API transaction with no delivery at all is
// WEBHOOK_MISSING; any delivery that failed the signature check gives one
// WEBHOOK_BAD_SIGNATURE per transaction id. The latest signed notification
// is compared with the API record: state (WEBHOOK_STATE_MISMATCH),
// currency (CURRENCY_MISMATCH), transaction and refund amounts
// (WEBHOOK_AMOUNT_MISMATCH).
//
// Webhooks standing in for the API. An id with no API record (the
// gateway was not asked: confirm mode unconfirmed or none) is taken from
// its latest signed delivery in a final state (else its latest signed
// one) and then goes through every other rule. If such a stand-in is a
// sale whose reference matches no order, or a refund or void of a sale
// nobody knows, it is WEBHOOK_UNKNOWN_TRANSACTION: neither the gateway API
// nor Xepeng vouches for it. An id with only unverified deliveries is a
// WEBHOOK_BAD_SIGNATURE and nothing else.
//
// Gateway and ledger (see ledger.go for the steps). A sale in a taken
// state that no VOID reverses settles as one credit of its amount; a
// refund in state refunded (or success) as one debit of its refund
// amount; voided and failed sales need no line. A line's reference is
// tried as an oxpay_txn_id, then as a merchant_reference_id, then as the
// other kind of Xepeng id. The amount must be within the tolerance and
// the booking date within the settlement window, measured from the
// payment time: the earliest signed webhook delivery of the transaction,
// else (sales only) its payment link's paid_at, else there is no date
// check. The window runs from the payment's date in Zone (PaymentLag
// earlier, an hour by default) plus SettlementMinDays to its date plus
// SettlementMaxDays, a last day on a weekend moving to the Monday unless
// WeekendRoll is off.
// Outcomes: LEDGER_MISSING, LEDGER_UNMATCHED, LEDGER_AMOUNT_MISMATCH,
// LEDGER_DUPLICATE, AMBIGUOUS_MATCH, CURRENCY_MISMATCH.
//
// With Options.AsOf set, a settling transaction whose window ends after
// that date is pending settlement (counted in the Summary), not
// LEDGER_MISSING. A transaction a reported AMBIGUOUS_MATCH names as a
// candidate is not also reported LEDGER_MISSING.
//
// Every stored input error is one INPUT_ERROR.
//
// Each source row takes part in at most one match, and a row with two or
// more equally good candidates is never matched at random.
//
// # Scale
//
// Run reads each table once, two readers at a time (one per core, each
// in a store read snapshot on its own connection), in chunks of rows that
// the store hands over as one text each (read.go and store/chunked.go say
// why), into compact rows (codes for states and currencies, a
// pointer-free array of deliveries resolved to their transaction while
// reading, hash indexes that hold row numbers rather than keys), matches
// the ledger beside the other rules, and writes the results in batches
// built on one core while the store writes on the other. See
// BenchmarkMatch for the figures.
package match
