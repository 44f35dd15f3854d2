package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Both APIs send money as bare JSON integers. A record read from either
// keeps the JSON text of each money field it was sent (its Received
// field), so that a field that was absent, null or not a whole number is
// reported as such and never read as 0. Records built in code (the
// sandbox's own) have no Received and are taken as they are.

// WholeNumber parses the JSON text of a money field as a non-negative
// int64 exactly, or says in a few words why it is not one.
func WholeNumber(raw []byte) (int64, string) {
	s := string(raw)
	switch {
	case s == "" || s[0] == '"':
		return 0, "is a string, want a whole number"
	case s[0] != '-' && (s[0] < '0' || s[0] > '9'):
		return 0, "is not a number"
	case s[0] == '-':
		return 0, "is negative"
	case strings.ContainsAny(s, ".eE"):
		return 0, "is not a whole number"
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return 0, "is beyond the int64 range"
		}
		return 0, "is not a whole number"
	}
	return v, ""
}

// Absent reports whether the JSON text of a field says it was not sent:
// no text at all, or null.
func Absent(raw []byte) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) == 0 || string(raw) == "null"
}

// ReadAmount reads the money field named field from its JSON text: an
// error says it is missing or why it is not a whole number, quoting at
// most 40 bytes of it.
func ReadAmount(raw json.RawMessage, field string) (int64, error) {
	if Absent(raw) {
		return 0, fmt.Errorf("%s is missing", field)
	}
	v, why := WholeNumber(bytes.TrimSpace(raw))
	if why != "" {
		q := raw
		if len(q) > 40 {
			q = q[:40]
		}
		return 0, fmt.Errorf("%s %s %s", field, q, why)
	}
	return v, nil
}

// OrderMoney holds an order's money fields as received.
type OrderMoney struct {
	TotalAmount json.RawMessage
	Amount      json.RawMessage
	Items       []json.RawMessage // each item's amount, in order
}

// Order total sources: the field an order's total was read from.
const (
	TotalFromTotalAmount = "total_amount"
	TotalFromAmount      = "amount"
	TotalFromItems       = "items"
)

// Total is the order's total and the field it was read from. The public
// documents do not settle the name: total_amount is read first, then
// amount (the Postman page's create-order body), then the sum of
// items[].amount (what the Node package sends). A stated total that is
// malformed, two stated totals that differ, or items that add up to
// another amount than the stated total are errors, as is an order with
// no total at all: a total guessed from the wrong field would raise
// false mismatches.
func (o *Order) Total() (int64, string, error) {
	m := o.Received
	if m == nil {
		return o.builtTotal()
	}
	var (
		total int64
		from  string
	)
	for _, f := range []struct {
		name string
		raw  json.RawMessage
	}{{TotalFromTotalAmount, m.TotalAmount}, {TotalFromAmount, m.Amount}} {
		if Absent(f.raw) {
			continue
		}
		v, err := ReadAmount(f.raw, f.name)
		if err != nil {
			return 0, "", err
		}
		if from != "" && v != total {
			return 0, "", fmt.Errorf("%s %d and %s %d disagree", from, total, f.name, v)
		}
		if from == "" {
			total, from = v, f.name
		}
	}
	sum, itemsErr := m.itemsSum()
	switch {
	case from != "" && itemsErr == nil && len(m.Items) > 0 && sum != total:
		return 0, "", fmt.Errorf("items[].amount add up to %d, but %s is %d", sum, from, total)
	case from != "":
		return total, from, nil
	case len(m.Items) == 0:
		return 0, "", fmt.Errorf("no total: total_amount, amount and items[].amount are all missing")
	case itemsErr != nil:
		return 0, "", fmt.Errorf("no total_amount or amount, and %w", itemsErr)
	}
	return sum, TotalFromItems, nil
}

// builtTotal is Total for an order built in code, where a field left 0
// was not sent: the same order of names, none of them is an error.
func (o *Order) builtTotal() (int64, string, error) {
	switch {
	case o.TotalAmount != 0:
		return o.TotalAmount, TotalFromTotalAmount, nil
	case o.Amount != 0:
		return o.Amount, TotalFromAmount, nil
	case len(o.Items) > 0:
		var sum int64
		for _, it := range o.Items {
			sum += it.Amount
		}
		return sum, TotalFromItems, nil
	}
	return 0, "", fmt.Errorf("no total: total_amount, amount and items[].amount are all missing")
}

func (m *OrderMoney) itemsSum() (int64, error) {
	var sum int64
	for i, raw := range m.Items {
		v, err := ReadAmount(raw, fmt.Sprintf("items[%d].amount", i))
		if err != nil {
			return 0, err
		}
		if sum > (1<<63-1)-v {
			return 0, fmt.Errorf("items[].amount add up to more than int64 holds")
		}
		sum += v
	}
	return sum, nil
}

// UnmarshalJSON decodes an order and keeps its money fields as received
// (Received). A malformed amount does not fail the decode: it is the
// order's problem, reported by Total, not the whole page's.
func (o *Order) UnmarshalJSON(b []byte) error {
	type plain Order
	type plainItem OrderItem
	var aux struct {
		*plain
		TotalAmount json.RawMessage `json:"total_amount"`
		Amount      json.RawMessage `json:"amount"`
		Items       []struct {
			plainItem
			Amount json.RawMessage `json:"amount"`
		} `json:"items"`
	}
	aux.plain = (*plain)(o)
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	m := &OrderMoney{TotalAmount: aux.TotalAmount, Amount: aux.Amount}
	o.TotalAmount, _ = WholeNumber(bytes.TrimSpace(aux.TotalAmount))
	o.Amount, _ = WholeNumber(bytes.TrimSpace(aux.Amount))
	o.Items = nil
	if aux.Items != nil {
		o.Items = make([]OrderItem, len(aux.Items))
		m.Items = make([]json.RawMessage, len(aux.Items))
		for i, it := range aux.Items {
			o.Items[i] = OrderItem(it.plainItem)
			o.Items[i].Amount, _ = WholeNumber(bytes.TrimSpace(it.Amount))
			m.Items[i] = it.Amount
		}
	}
	o.Received = m
	return nil
}

// LinkMoney holds a payment link's money field as received.
type LinkMoney struct {
	Amount json.RawMessage
}

// ReadAmount is the link's amount: an error when it was received missing
// or malformed.
func (l *PaymentLink) ReadAmount() (int64, error) {
	if l.Received == nil {
		return l.Amount, nil
	}
	return ReadAmount(l.Received.Amount, "amount")
}

// UnmarshalJSON decodes a payment link and keeps its amount as received.
func (l *PaymentLink) UnmarshalJSON(b []byte) error {
	type plain PaymentLink
	var aux struct {
		*plain
		Amount json.RawMessage `json:"amount"`
	}
	aux.plain = (*plain)(l)
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	l.Amount, _ = WholeNumber(bytes.TrimSpace(aux.Amount))
	l.Received = &LinkMoney{Amount: aux.Amount}
	return nil
}

// TransactionMoney holds a transaction's money fields as received.
type TransactionMoney struct {
	TransactionAmount json.RawMessage
	RefundAmount      json.RawMessage
}

// ReadAmounts are the transaction's amounts. The transaction amount is
// required on every transaction; the refund amount when refund says the
// transaction is a refund, and else 0 when absent.
func (t *Transaction) ReadAmounts(refund bool) (amount, refundAmount int64, err error) {
	m := t.Received
	if m == nil {
		return t.TransactionAmount, t.RefundAmount, nil
	}
	if amount, err = ReadAmount(m.TransactionAmount, "transaction_amount"); err != nil {
		return 0, 0, err
	}
	if !refund && Absent(m.RefundAmount) {
		return amount, 0, nil
	}
	if refundAmount, err = ReadAmount(m.RefundAmount, "refund_amount"); err != nil {
		return 0, 0, err
	}
	return amount, refundAmount, nil
}

// HasRefundAmount reports whether the transaction carries a
// refund_amount (malformed or not).
func (t *Transaction) HasRefundAmount() bool {
	if t.Received == nil {
		return t.RefundAmount != 0
	}
	return !Absent(t.Received.RefundAmount)
}

// UnmarshalJSON decodes a transaction and keeps its amounts as received.
func (t *Transaction) UnmarshalJSON(b []byte) error {
	type plain Transaction
	var aux struct {
		*plain
		TransactionAmount json.RawMessage `json:"transaction_amount"`
		RefundAmount      json.RawMessage `json:"refund_amount"`
	}
	aux.plain = (*plain)(t)
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	t.TransactionAmount, _ = WholeNumber(bytes.TrimSpace(aux.TransactionAmount))
	t.RefundAmount, _ = WholeNumber(bytes.TrimSpace(aux.RefundAmount))
	t.Received = &TransactionMoney{TransactionAmount: aux.TransactionAmount, RefundAmount: aux.RefundAmount}
	return nil
}
