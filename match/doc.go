// Package match reconciles the three sources held in the store: Xepeng
// orders and payment links, OxPay transactions (as the gateway API
// reported them, or as signed webhooks stand in for them), and finance's
// ledger. It reads each table once, joins in memory on hash indexes, and
// writes, per run, the matched transactions and the exceptions, each with
// a stable category and its severity (recon.Categories) and a
// field-level reason. Match is the engine over plain rows; Run wraps it
// around the store. The package neither prints nor formats for a report
// beyond the detail text.
//
// engine.go runs the rules, one file per family: payables.go (orders and
// gateway), refunds.go, voids.go, orphans.go, webhooks.go, ledger.go
// (with settlement.go, the net settlements) and inputs.go.
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
// transaction, or the first paid sale the link does not explain: a
// cancelled or inactive link explains a voided sale (the payment was
// called off on both sides), nothing explains a sale that stands. Each
// successful sale after the first that no void reversed is a
// DUPLICATE_PAYMENT. Every paid sale is compared with the
// order total (link amount in link mode): another currency is
// CURRENCY_MISMATCH, another amount AMOUNT_MISMATCH. A refund is checked
// against the sale it names: refunding a voided or unpaid sale is a
// STATUS_MISMATCH, refunds adding up to more than the sale an
// AMOUNT_MISMATCH. A sale (or a refund of an unknown sale) whose
// reference matches nothing is TRANSACTION_NO_ORDER.
//
// Voids. A gateway reports a void one of two ways, and both are read.
// Same id (the sandbox's default): the sale keeps its id and turns
// voided in the API, and a void notification for the sale's id follows
// its payment one. Own id (the OxPay document): the void is a
// transaction of its own, type VOID, whose API record names the sale in
// oxpay_original_txn_id and whose void notification carries only its own
// oxpay_txn_id (no original); the API may then report the sale voided or
// leave it in its own state. A VOID is linked to its sale:
//
//  1. by oxpay_original_txn_id, when its API record (or its webhook)
//     gives one (a void naming a sale nobody knows stays unlinked: another
//     sale under its reference is not the one it names);
//  2. when it gives none, by reference and amount: among the
//     transactions with its merchant_reference_id (its order's or
//     link's, or those sharing a reference that matches none), the
//     sales in its currency and for
//     its amount, in a state a void applies to (success, captured, sale,
//     authorized: fit 1) or already voided in the API (fit 2), and not
//     reversed already (named by another VOID's original id, or voided
//     under their own id: their latest signed notification is a void).
//     The single best fit is linked. Two or more equally good: none is
//     linked, the void is an AMBIGUOUS_MATCH naming them, none counts as
//     voided, and none is then reported LEDGER_MISSING. None at all: a
//     stand-in void (below) is read as a sale voided under its own id,
//     the same-id reading; an API VOID stays unlinked. Every void is
//     judged before any is linked, so the order of the input does not
//     matter.
//
// A VOID in state voided (or success, captured, sale) reverses the sale
// it is linked to: the sale counts as voided whatever state the API
// gives it, settles nothing, may not be refunded (STATUS_MISMATCH on the
// refund) and is no DUPLICATE_PAYMENT. The void itself moves no money:
// it needs no ledger line (LEDGER_MISSING never names it; a line naming
// it is LEDGER_UNMATCHED), it is never a paid sale or a
// DUPLICATE_PAYMENT, and it is TRANSACTION_NO_ORDER (or, as a stand-in,
// WEBHOOK_UNKNOWN_TRANSACTION) only when it is linked to no sale and its
// reference matches no order.
//
// Gateway and webhooks. Deliveries are joined by oxpay_txn_id.
// Redeliveries share a dedup key and count once, at their first receipt;
// only deliveries whose signature verified (recon.WebhookEvent.Trusted)
// are believed. An API transaction with no delivery at all is
// WEBHOOK_MISSING; any delivery that failed the signature check gives one
// WEBHOOK_BAD_SIGNATURE per transaction id. The latest signed notification
// is compared with the API record: state (WEBHOOK_STATE_MISMATCH),
// currency (CURRENCY_MISMATCH), transaction and refund amounts
// (WEBHOOK_AMOUNT_MISMATCH). A sale's latest signed notification is its
// own, under its own id. When a VOID of its own id reverses the sale,
// the void (its API record and its own notifications, compared with each
// other) has the last word on the sale, whatever the order of receipt:
// the API may then say voided where the sale's own latest says success
// (or captured, sale, authorized) without a WEBHOOK_STATE_MISMATCH, or
// keep the sale's own state, which agrees anyway. An API that says voided
// with no linked void behind it, or says success where the sale's own
// latest signed notification says voided (the same-id style), is a real
// WEBHOOK_STATE_MISMATCH.
//
// Webhooks standing in for the API. An id with no API record (the
// gateway was not asked: confirm mode unconfirmed or none) is taken from
// its latest signed delivery in a final state (else its latest signed
// one) and then goes through every other rule. Its type comes from that
// delivery: a refund notification (or a notification other than a void
// that names an original) makes a REFUND; a void notification that
// names an original, or is under an id no signed payment or refund
// notification mentions, makes a VOID (linked as above); anything else
// a SALE. If such a stand-in is a sale whose reference matches no order,
// or a refund or void of a sale nobody knows, it is
// WEBHOOK_UNKNOWN_TRANSACTION: neither the gateway API nor Xepeng vouches
// for it. An id with only unverified deliveries is a
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
// Net settlements (Options.Settlement; settlement.go for the steps).
// Where the gateway pays out each business day's settled transactions
// as one deposit net of its fees and of the day's refunds, the
// transactions no line books one by one (after the pairing above; a
// candidate of an ambiguous line or an unvouched stand-in is left out)
// are cut into batches, one per gateway business day and currency
// (settle.Calendar: the cut-off, weekends and holidays), each owing its
// sales less its refunds less the schedule's fees (settle.Schedule:
// per brand and currency, exact percentages, rounded half-up per
// transaction or per batch), paid out T+N business days later. The
// lines whose reference matches nothing are offered to the batches as
// deposits: first by the batch day (and currency) their reference and
// description name through the reference pattern, else by payout day
// and net amount within the tolerance; two batches or combinations
// that fit alike are an AMBIGUOUS_MATCH, never a choice. Outcomes:
// SETTLEMENT_AMOUNT_MISMATCH (a deposit off by more than the tolerance;
// its detail splits the difference into fees and the rest when the line
// states its fee), FEE_MISMATCH (the stated fee is not the schedule's;
// alone when it explains the deposit's difference whole),
// SETTLEMENT_MISSING (a batch due, unpaid; ledger_ref names the batch),
// SETTLEMENT_UNMATCHED (a line the pattern names that pays nothing). A
// line the pattern does not name that pays nothing stays
// LEDGER_UNMATCHED. A batched transaction is never LEDGER_MISSING; a
// batch paid out after AsOf is pending, its transactions pending
// settlement. Without Options.Settlement none of this runs and nothing
// changes.
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
