package recon

import (
	"fmt"
	"time"

	"github.com/reconkit/reconkit/wire"
)

// OrderFromWire converts an order as Xepeng sent it; raw is the order's
// JSON object as received, kept for audit. Its total is read by
// wire.Order.Total and AmountSource names the field it came from. An
// order whose total cannot be read (missing, malformed, contradicted by
// its items, or in an unknown currency) is still returned, with
// AmountProblem saying why: it is stored, reported as an input error,
// and takes no part in amount checks.
func OrderFromWire(w wire.Order, raw []byte, u Units) (Order, error) {
	o := Order{
		UID: w.UID, Status: w.Status, Currency: w.Currency,
		CreatedAt: w.CreatedAt.UTC(), UpdatedAt: w.UpdatedAt.UTC(), Raw: string(raw),
	}
	total, from, err := w.Total()
	if err == nil {
		o.AmountMinor, err = u.ToMinor(SourceXepeng, w.Currency, total)
	}
	if err != nil {
		o.AmountMinor, o.AmountProblem = 0, fmt.Sprintf("order %s: %v", w.UID, err)
		return o, nil
	}
	o.AmountSource = from
	return o, nil
}

// PaymentLinkFromWire converts a payment link as Xepeng sent it. A link
// whose amount cannot be read is returned with AmountProblem saying why,
// as OrderFromWire does for orders.
func PaymentLinkFromWire(w wire.PaymentLink, raw []byte, u Units) (PaymentLink, error) {
	l := PaymentLink{
		UID: w.UID, OrderUID: w.OrderUID, Status: w.Status, PaymentURL: w.PaymentURL,
		Currency: w.Currency, ExpiredAt: utcPtr(w.ExpiredAt), PaidAt: utcPtr(w.PaidAt),
		CreatedAt: w.CreatedAt.UTC(), UpdatedAt: w.UpdatedAt.UTC(), Raw: string(raw),
	}
	amt, err := w.ReadAmount()
	if err == nil {
		l.AmountMinor, err = u.ToMinor(SourceXepeng, w.Currency, amt)
	}
	if err != nil {
		l.AmountMinor, l.AmountProblem = 0, fmt.Sprintf("payment link %s: %v", w.UID, err)
		return l, nil
	}
	l.AmountSource = LinkAmountField
	return l, nil
}

// TransactionFromWire converts a transaction as OxPay's get-by-id
// returned it. The type is the gateway's where it states one, else
// inferred: a transaction that names an original is a refund.
//
// Its transaction_amount must be a whole number, and so must its
// refund_amount when it is a refund: a missing or malformed amount is an
// error naming the transaction, never 0.
func TransactionFromWire(w wire.Transaction, raw []byte, fetchedAt time.Time, u Units) (Transaction, error) {
	typ := w.TransactionType
	if typ == "" {
		typ = wire.TypeSale
		if w.OxpayOriginalTxnID != "" {
			typ = wire.TypeRefund
		}
	}
	sent, sentRefund, err := w.ReadAmounts(typ == wire.TypeRefund)
	if err != nil {
		return Transaction{}, fmt.Errorf("transaction %s: %w", w.OxpayTxnID, err)
	}
	amt, err := u.ToMinor(SourceOxPay, w.TransactionCurrency, sent)
	if err != nil {
		return Transaction{}, fmt.Errorf("transaction %s: %w", w.OxpayTxnID, err)
	}
	refund, err := u.ToMinor(SourceOxPay, w.TransactionCurrency, sentRefund)
	if err != nil {
		return Transaction{}, fmt.Errorf("transaction %s refund amount: %w", w.OxpayTxnID, err)
	}
	return Transaction{
		OxpayTxnID: w.OxpayTxnID, OriginalTxnID: w.OxpayOriginalTxnID, Type: typ,
		MerchantReferenceID: w.MerchantReferenceID, HostTxnID: w.HostTxnID, State: w.TransactionState,
		Brand: w.PaymentBrand, Currency: w.TransactionCurrency, AmountMinor: amt, RefundAmountMinor: refund,
		FetchedAt: fetchedAt.UTC(), Raw: string(raw),
	}, nil
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
