package gen

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/reconkit/reconkit/money"
	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/wire"
)

// What the answer key means.
//
// The generated world is clean except for the anomalies injected on
// purpose: a matcher that follows the rules below finds exactly the rows of
// expected.csv, one per anomaly, and nothing else. The rules are the ones
// the normal world was built to satisfy:
//
//   - Amounts are compared in ISO minor units after recon.DefaultUnits
//     conversion (Xepeng IDR is whole rupiah, so OxPay IDR = Xepeng × 100).
//     There is no fee and no tolerance: a clean ledger line carries exactly
//     the gateway amount.
//   - An order has at most one payment link. Orders that are pending or
//     inactive have no link and no transaction.
//   - A transaction belongs to the order whose uid is its
//     merchant_reference_id. A SALE is "paid at the gateway" when its state
//     is success or voided (a void reverses a payment that happened; Xepeng
//     is not told of voids, so the link stays paid). Link statuses are
//     compared with that, and amounts are compared for every paid sale. A
//     cancelled or inactive link is consistent with a voided sale (in
//     VoidOwnID style two voided sales in three have one).
//     Failed attempts (rejected, error) are normal before a successful sale
//     and on links that never get paid (pending, expired, cancelled,
//     inactive). Two or more sales in state success for one order are a
//     duplicate payment.
//   - A REFUND is its own transaction (state refunded,
//     oxpay_original_txn_id = the sale, transaction_amount = the sale
//     amount, refund_amount = the money returned). The sale keeps state
//     success.
//   - A void (Options.VoidStyle): in VoidSameID style the sale keeps its
//     id and ends voided, and no transaction is added. In VoidOwnID style
//     the sale ends voided too, and the void is a VOID transaction of its
//     own (state voided, oxpay_original_txn_id = the sale,
//     transaction_amount = the sale amount, the sale's reference); it
//     settles nothing.
//   - Webhooks: every transaction has at least one delivery. A voided sale
//     has a payment delivery (state success) and, later, a void delivery
//     (state voided): under the sale's oxpay_txn_id (VoidSameID), or under
//     the VOID's own id without an oxpay_original_txn_id (VoidOwnID, as
//     OxPay's void webhook has none). Redeliveries repeat the same bytes
//     and always arrive before the next notification of the same
//     transaction. The state a webhook reports for a transaction is the one
//     in its latest delivery whose signature verifies (sign.VerifyOxPay);
//     a VOID's notifications speak for the sale it names, so a voided sale
//     whose own latest delivery says success agrees with its webhooks.
//   - Ledger: one credit per SALE in state success (voided and failed sales
//     never settle), one debit per REFUND, each for its amount
//     (refund_amount for a refund). A line's Reference is the oxpay_txn_id
//     or, for some lines, the merchant_reference_id; such a line matches
//     the order's one settled sale (a credit) or its one refund (a debit).
//     Lines booked twice are byte-identical rows.
//   - Compare rows on every id column; detail is free text for people.
//     Lines that reference transactions involved in an anomaly always use
//     the oxpay_txn_id.
//
// oracle_test.go implements these rules as plainly as possible, and
// TestAnswerKeyIsExact holds every generated world to them: it is the
// executable form of this comment.
//
// The anomalies, and the ids each expected row carries (o = order_uid,
// l = payment_link_uid, t = oxpay_txn_id, m = merchant_reference_id,
// r = ledger_ref):
//
//	category                   ids        what was injected (and what keeps it to one row)
//	-------------------------  ---------  -------------------------------------------------------------
//	AMOUNT_MISMATCH            o l t m    A paid order's successful sale is for another amount than the
//	                                      order total: off by Rp500 to Rp50.000 or S$0.10 to S$5.00,
//	                                      either way, or (IDR only) sent in whole rupiah so it is 100×
//	                                      too small. The webhook and the ledger line carry the gateway
//	                                      amount, so nothing else breaks.
//	WEBHOOK_MISSING            o l t m    A successful, settled sale with no delivery at all. Its ledger
//	                                      line references its oxpay_txn_id, which is how a matcher finds
//	                                      it (OxPay has no list endpoint).
//	WEBHOOK_BAD_SIGNATURE      o l t m    The sale's only delivery is signed with a wrong key or
//	                                      (every second one) carries no Signature header: both are
//	                                      Delivery.Forged and neither verifies. Its content is true and
//	                                      agrees with the API; it is never redelivered, and the sale's
//	                                      ledger line references its oxpay_txn_id. One row per
//	                                      transaction.
//	DUPLICATE_PAYMENT          o l t m    Two successful sales for one paid order, same amount, minutes
//	                                      apart, both with webhooks and ledger lines. t is the later
//	                                      sale (the higher oxpay_txn_id); detail names the first.
//	LEDGER_MISSING             o l t m    A successful sale (webhook and all) with no ledger line.
//	LEDGER_UNMATCHED           r          A ledger credit whose reference nothing knows, alternately an
//	                                      id-like 9xxxxxxx number the gateway answers 404 for and an
//	                                      "ADJ-YYYYMMDD-NNNN" manual adjustment. Other id columns are
//	                                      empty.
//	LEDGER_AMOUNT_MISMATCH     o l t m r  The sale's ledger credit is about 10% (at least one major
//	                                      unit) lower than the gateway amount.
//	LEDGER_DUPLICATE           o l t m r  The sale's ledger credit appears twice, byte-identical. One row
//	                                      for the pair.
//	STATUS_MISMATCH            o l t m    Either the link says paid (with paid_at) but the gateway's
//	                                      only transaction for the order is a rejected attempt (t is that
//	                                      attempt; no ledger line), or the gateway has a successful,
//	                                      settled sale while the link is still pending (t is the sale).
//	WEBHOOK_STATE_MISMATCH     o l t m    A successful, settled sale whose deliveries (correctly signed)
//	                                      all say rejected, while GET /payment says success. The link
//	                                      status is compared with the API, not the webhook, so this is
//	                                      not a STATUS_MISMATCH.
//	ORDER_PAID_NO_TRANSACTION  o l        The link says paid, and the gateway knows no transaction at
//	                                      all with the order's uid (no webhook, no ledger line). When it
//	                                      knows only failed attempts, that is a STATUS_MISMATCH instead.
//	TRANSACTION_NO_ORDER       t m        A successful, settled sale whose merchant_reference_id
//	                                      ("POS-YYYYMMDD-NNNNNN") matches no order; it has webhooks and
//	                                      a ledger line referencing its oxpay_txn_id.
//
// A net or mixed world (Options.LedgerStyle) plants SETTLEMENT_MISSING,
// SETTLEMENT_AMOUNT_MISMATCH, FEE_MISMATCH and SETTLEMENT_UNMATCHED in
// its deposits, and has no LEDGER_MISSING: settlement.go says how.
//
// The other categories of recon.Categories (neverInjected) are never
// injected.
//
// Anomalies are spread evenly over the orders: round(AnomalyRate × Orders)
// of them, each taking one order. When Orders >= 200 and the rate is
// positive there are at least 14, one of each kind: the twelve categories
// above, AMOUNT_MISMATCH and STATUS_MISMATCH twice (one per flavour). Every kind but LEDGER_UNMATCHED and
// TRANSACTION_NO_ORDER takes over its order's shape (active, one paid link,
// no void, refund or failed attempt besides the ones described); those two
// leave their order as it was and add a row of their own.

// neverInjected lists the categories of recon.Categories that no kind
// injects. Every category is injected by a kind or listed here
// (TestEveryCategoryInjectedOrNot), so a new one is never forgotten.
var neverInjected = []recon.Category{
	recon.CurrencyMismatch, recon.WebhookUnknownTransaction, recon.WebhookAmountMismatch,
	recon.WebhookReplayed, recon.AmbiguousMatch, recon.InputErrorCategory,
}

// kind is one way of breaking the world. AMOUNT_MISMATCH has two.
type kind uint8

const (
	kindNone kind = iota
	kindAmount
	kindAmountUnit
	kindWebhookMissing
	kindWebhookBadSignature
	kindDuplicatePayment
	kindLedgerMissing
	kindLedgerUnmatched
	kindLedgerAmount
	kindLedgerDuplicate
	kindStatusPaidRejected
	kindStatusUnpaidSuccess
	kindWebhookState
	kindOrderPaidNoTxn
	kindTxnNoOrder
	kindCount
)

// minAnomaliesOrders is the number of orders from which every kind is
// injected at least once.
const minAnomaliesOrders = 200

func (k kind) category() recon.Category {
	switch k {
	case kindAmount, kindAmountUnit:
		return recon.AmountMismatch
	case kindWebhookMissing:
		return recon.WebhookMissing
	case kindWebhookBadSignature:
		return recon.WebhookBadSignature
	case kindDuplicatePayment:
		return recon.DuplicatePayment
	case kindLedgerMissing:
		return recon.LedgerMissing
	case kindLedgerUnmatched:
		return recon.LedgerUnmatched
	case kindLedgerAmount:
		return recon.LedgerAmountMismatch
	case kindLedgerDuplicate:
		return recon.LedgerDuplicate
	case kindStatusPaidRejected, kindStatusUnpaidSuccess:
		return recon.StatusMismatch
	case kindWebhookState:
		return recon.WebhookStateMismatch
	case kindOrderPaidNoTxn:
		return recon.OrderPaidNoTransaction
	case kindTxnNoOrder:
		return recon.TransactionNoOrder
	}
	return k.settlementCategory()
}

// shaped reports whether the kind decides its order's whole shape rather
// than adding a row beside a normal order.
func (k kind) shaped() bool {
	return k != kindNone && k != kindLedgerUnmatched && k != kindTxnNoOrder
}

// injected records one anomaly by index until ids are assigned.
type injected struct {
	kind  kind
	order int32 // -1 when no order is involved
	txn   int32 // the transaction the row names, -1 when none
	other int32 // the first sale of a duplicate payment, -1 otherwise
	line  int32 // the ledger line involved, -1 when none
	note  string
}

// planAnomalies picks which orders carry which kind: n of them, spread
// evenly (one per stretch of Orders/n orders), kinds cycled so each
// appears once before any appears twice, then shuffled.
func (w *world) planAnomalies() {
	orders := w.opts.Orders
	n := 0
	if w.opts.AnomalyRate > 0 && orders > 0 {
		n = int(w.opts.AnomalyRate*float64(orders) + 0.5)
		if orders >= minAnomaliesOrders {
			n = max(n, int(kindCount)-1)
		}
		n = min(n, orders)
	}
	w.kindOf = make([]kind, orders)
	if n == 0 {
		return
	}
	kinds := make([]kind, n)
	for i := range kinds {
		kinds[i] = kind(1 + i%(int(kindCount)-1))
	}
	w.rng.Shuffle(n, func(i, j int) { kinds[i], kinds[j] = kinds[j], kinds[i] })
	for k := range n {
		lo := int(int64(k) * int64(orders) / int64(n))
		hi := int(int64(k+1) * int64(orders) / int64(n))
		w.kindOf[lo+w.rng.IntN(hi-lo)] = kinds[k]
	}
}

func (w *world) inject(k kind, order, txn, other, line int32, note string) {
	w.inj = append(w.inj, injected{kind: k, order: order, txn: txn, other: other, line: line, note: note})
}

// anomalies turns the records into answer-key rows once ids exist.
func (w *world) anomalies() []Anomaly {
	out := make([]Anomaly, 0, len(w.inj))
	for _, in := range w.inj {
		a := Anomaly{Category: in.kind.category()}
		if in.order >= 0 {
			a.OrderUID = w.orders[in.order].UID
			if l := w.linkOf[in.order]; l >= 0 {
				a.PaymentLinkUID = w.links[l].UID
			}
		}
		if in.txn >= 0 {
			a.OxpayTxnID = w.txnID(in.txn)
			a.MerchantReferenceID = w.txns[in.txn].ref
		}
		if in.line >= 0 {
			a.LedgerRef = w.lineRef(&w.lines[in.line])
		}
		if in.kind == kindSettlementMissing {
			a.LedgerRef = in.note // the batch: "YYYY-MM-DD CUR"
		}
		a.Detail = w.detail(in)
		out = append(out, a)
	}
	slices.SortFunc(out, func(x, y Anomaly) int {
		return cmp.Or(
			cmp.Compare(x.Category, y.Category),
			cmp.Compare(x.OrderUID, y.OrderUID),
			cmp.Compare(x.PaymentLinkUID, y.PaymentLinkUID),
			cmp.Compare(x.OxpayTxnID, y.OxpayTxnID),
			cmp.Compare(x.MerchantReferenceID, y.MerchantReferenceID),
			cmp.Compare(x.LedgerRef, y.LedgerRef),
			cmp.Compare(x.Detail, y.Detail),
		)
	})
	return out
}

func (w *world) detail(in injected) string {
	var (
		t      *txn
		amount string
	)
	if in.txn >= 0 {
		t = &w.txns[in.txn]
		amount = amountText(t.amount, currencies[t.cur])
	}
	switch in.kind {
	case kindAmount:
		o := &w.orders[in.order]
		return fmt.Sprintf("gateway amount %s differs from order total %s",
			amount, amountText(w.orderMinor(o), o.Currency))
	case kindAmountUnit:
		o := &w.orders[in.order]
		return fmt.Sprintf("gateway sent whole rupiah: %s instead of order total %s (100x too small)",
			amount, amountText(w.orderMinor(o), o.Currency))
	case kindWebhookMissing:
		return "no webhook delivery for this transaction"
	case kindWebhookBadSignature:
		return in.note
	case kindDuplicatePayment:
		return "second successful sale for the order; the first is " + w.txnID(in.other)
	case kindLedgerMissing:
		return "settled sale of " + amount + " has no ledger line"
	case kindLedgerUnmatched:
		l := &w.lines[in.line]
		return fmt.Sprintf("ledger credit %s on %s references nothing known",
			amountText(l.credit, currencies[l.cur]), w.cal[l.day].date.Format(LedgerDateLayout))
	case kindLedgerAmount:
		l := &w.lines[in.line]
		return fmt.Sprintf("ledger credit %s, gateway amount %s",
			amountText(l.credit, currencies[l.cur]), amount)
	case kindLedgerDuplicate:
		return "ledger line booked twice on " + w.cal[w.lines[in.line].day].date.Format(LedgerDateLayout)
	case kindStatusPaidRejected:
		return "payment link is paid but the gateway's only transaction is " + states[t.state]
	case kindStatusUnpaidSuccess:
		return "gateway sale succeeded but the payment link is " + w.links[w.linkOf[in.order]].Status
	case kindWebhookState:
		return "webhook says " + wire.StateRejected + ", the gateway API says " + states[t.state]
	case kindOrderPaidNoTxn:
		return "payment link is paid but the gateway knows no transaction for the order"
	case kindTxnNoOrder:
		return "merchant_reference_id " + t.ref + " matches no order"
	}
	return w.settlementDetail(in)
}

func amountText(minor int64, currency string) string {
	exp, _ := money.Exponent(currency)
	return money.FormatAmount(minor, exp, money.Comma) + " " + currency
}
