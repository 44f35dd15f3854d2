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
// inferred (see transactionType).
//
// Its transaction_amount must be a whole number, and so must its
// refund_amount when it is a refund: a missing or malformed amount is an
// error naming the transaction, never 0.
func TransactionFromWire(w wire.Transaction, raw []byte, fetchedAt time.Time, u Units) (Transaction, error) {
	typ, err := transactionType(&w)
	if err != nil {
		return Transaction{}, fmt.Errorf("transaction %s: %w", w.OxpayTxnID, err)
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

// transactionType is the gateway's stated type, or else what the record
// shows. OxPay's document gives get-by-id no type: a transaction naming
// no original is a sale; one naming an original is a refund when it
// carries a refund_amount or is in state refunded, and a void (given an
// id of its own, as the void response shows) when its state is voided
// or cancelled. One that
// names an original and shows neither cannot be told apart, and is not
// guessed at.
func transactionType(w *wire.Transaction) (string, error) {
	switch {
	case w.TransactionType != "":
		return w.TransactionType, nil
	case w.OxpayOriginalTxnID == "":
		return wire.TypeSale, nil
	case w.HasRefundAmount() || w.TransactionState == wire.StateRefunded:
		return wire.TypeRefund, nil
	case w.TransactionState == wire.StateVoided || w.TransactionState == "cancelled":
		return wire.TypeVoid, nil
	}
	return "", fmt.Errorf("names original %s but has neither a refund_amount or the state refunded (a refund) nor the state voided (a void), and no transaction_type: cannot tell which it is",
		w.OxpayOriginalTxnID)
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
