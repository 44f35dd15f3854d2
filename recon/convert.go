package recon

import (
	"fmt"
	"time"

	"github.com/reconkit/reconkit/wire"
)

// OrderFromWire converts an order as Xepeng sent it; raw is the order's
// JSON object as received, kept for audit.
func OrderFromWire(w wire.Order, raw []byte, u Units) (Order, error) {
	amt, err := u.ToMinor(SourceXepeng, w.Currency, w.TotalAmount)
	if err != nil {
		return Order{}, fmt.Errorf("order %s: %w", w.UID, err)
	}
	return Order{
		UID: w.UID, Status: w.Status, Currency: w.Currency, AmountMinor: amt,
		CreatedAt: w.CreatedAt.UTC(), UpdatedAt: w.UpdatedAt.UTC(), Raw: string(raw),
	}, nil
}

// PaymentLinkFromWire converts a payment link as Xepeng sent it.
func PaymentLinkFromWire(w wire.PaymentLink, raw []byte, u Units) (PaymentLink, error) {
	amt, err := u.ToMinor(SourceXepeng, w.Currency, w.Amount)
	if err != nil {
		return PaymentLink{}, fmt.Errorf("payment link %s: %w", w.UID, err)
	}
	return PaymentLink{
		UID: w.UID, OrderUID: w.OrderUID, Status: w.Status, PaymentURL: w.PaymentURL,
		Currency: w.Currency, AmountMinor: amt, ExpiredAt: utcPtr(w.ExpiredAt), PaidAt: utcPtr(w.PaidAt),
		CreatedAt: w.CreatedAt.UTC(), UpdatedAt: w.UpdatedAt.UTC(), Raw: string(raw),
	}, nil
}

// TransactionFromWire converts a transaction as OxPay's get-by-id
// returned it. The type is the gateway's where it states one, else
// inferred: a transaction that names an original is a refund.
func TransactionFromWire(w wire.Transaction, raw []byte, fetchedAt time.Time, u Units) (Transaction, error) {
	amt, err := u.ToMinor(SourceOxPay, w.TransactionCurrency, w.TransactionAmount)
	if err != nil {
		return Transaction{}, fmt.Errorf("transaction %s: %w", w.OxpayTxnID, err)
	}
	refund, err := u.ToMinor(SourceOxPay, w.TransactionCurrency, w.RefundAmount)
	if err != nil {
		return Transaction{}, fmt.Errorf("transaction %s refund amount: %w", w.OxpayTxnID, err)
	}
	typ := w.TransactionType
	if typ == "" {
		typ = wire.TypeSale
		if w.OxpayOriginalTxnID != "" {
			typ = wire.TypeRefund
		}
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
