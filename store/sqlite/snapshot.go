package sqlite

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/reconkit/reconkit/store"
)

// The Snapshot's readers for the match: each reads its table in chunks
// (scanChunked), decodes a chunk's fields into the store's Row types and
// hands them over, the chunk's text still alive, before it reads the
// next. Times and dates arrive as text and are parsed here, a tenth of
// the cost of the driver's layout guessing.

// The column lists the readers read, one of chunkedScans' each. A NULL
// arrives as "" (an unknown amount_minor too: amount_problem says why).
var (
	ordersCols = []string{"uid", "currency", "amount_minor", "amount_problem"}
	linksCols  = []string{"uid", "order_uid", "status", "currency", "amount_minor", "amount_problem", "paid_at"}
	txnsCols   = []string{"oxpay_txn_id", "merchant_reference_id", "oxpay_original_txn_id", "type", "state", "currency",
		"amount_minor", "refund_amount_minor", "payment_brand"}
	// The rowid is the event's id.
	hooksCols = []string{"received_at", "oxpay_txn_id", "kind", "state", "currency", "amount_minor",
		"refund_amount_minor", "sig_check", "dedup_key[:16]"}
	// The rowid is the entry's id.
	entriesCols = []string{"booked_on", "reference", "currency", "amount_minor"}
)

// batched reads table in chunks, decoding each row with row into a batch
// that fn gets at the end of every chunk.
func batched[R any](ctx context.Context, s *Snapshot, table string, cols []string, row func(id int64, f []string) (R, error), fn func([]R) error) error {
	var batch []R
	return s.scanChunked(ctx, table, cols, s.chunk, func(id int64, f []string) error {
		r, err := row(id, f)
		if err != nil {
			return err
		}
		batch = append(batch, r)
		return nil
	}, func() error {
		if len(batch) == 0 {
			return nil
		}
		err := fn(batch)
		clear(batch) // let the chunk's text go
		batch = batch[:0]
		return err
	})
}

// Orders hands over every order, in rowid order.
func (s *Snapshot) Orders(ctx context.Context, fn func([]store.OrderRow) error) error {
	return batched(ctx, s, "orders", ordersCols, func(_ int64, f []string) (store.OrderRow, error) {
		r := store.OrderRow{UID: f[0], Currency: f[1], AmountProblem: f[3]}
		var err error
		if r.AmountMinor, r.AmountKnown, err = nullableInt(f[2]); err != nil {
			return r, fmt.Errorf("order %s: %w", f[0], err)
		}
		return r, nil
	}, fn)
}

// PaymentLinks hands over every payment link, in rowid order.
func (s *Snapshot) PaymentLinks(ctx context.Context, fn func([]store.LinkRow) error) error {
	return batched(ctx, s, "payment_links", linksCols, func(_ int64, f []string) (store.LinkRow, error) {
		r := store.LinkRow{UID: f[0], OrderUID: f[1], Status: f[2], Currency: f[3], AmountProblem: f[5]}
		var err error
		if r.AmountMinor, r.AmountKnown, err = nullableInt(f[4]); err == nil && f[6] != "" {
			r.PaidAt, err = parseStamp(f[6])
		}
		if err != nil {
			return r, fmt.Errorf("payment link %s: %w", f[0], err)
		}
		return r, nil
	}, fn)
}

// Transactions hands over every transaction, in rowid order.
func (s *Snapshot) Transactions(ctx context.Context, fn func([]store.TxnRow) error) error {
	return batched(ctx, s, "transactions", txnsCols, func(_ int64, f []string) (store.TxnRow, error) {
		r := store.TxnRow{OxpayTxnID: f[0], MerchantReferenceID: f[1], OriginalTxnID: f[2], Type: f[3], State: f[4], Currency: f[5], Brand: f[8]}
		var err1, err2 error
		r.AmountMinor, err1 = parseInt(f[6])
		r.RefundAmountMinor, err2 = parseInt(f[7])
		if err := errors.Join(err1, err2); err != nil {
			return r, fmt.Errorf("transaction %s: %w", f[0], err)
		}
		return r, nil
	}, fn)
}

// WebhookEvents hands over every webhook delivery, in id order.
func (s *Snapshot) WebhookEvents(ctx context.Context, fn func([]store.HookRow) error) error {
	return batched(ctx, s, "webhook_events", hooksCols, func(id int64, f []string) (store.HookRow, error) {
		r := store.HookRow{ID: id, OxpayTxnID: f[1], Kind: f[2], State: f[3], Currency: f[4], SigCheck: f[7], DedupPrefix: f[8]}
		var err0, err1, err2 error
		r.ReceivedAt, err0 = parseStamp(f[0])
		r.AmountMinor, err1 = parseInt(f[5])
		r.RefundAmountMinor, err2 = parseInt(f[6])
		if err := errors.Join(err0, err1, err2); err != nil {
			return r, fmt.Errorf("webhook event %d: %w", id, err)
		}
		return r, nil
	}, fn)
}

// LedgerEntries hands over every ledger entry, in id order.
func (s *Snapshot) LedgerEntries(ctx context.Context, fn func([]store.EntryRow) error) error {
	return batched(ctx, s, "ledger_entries", entriesCols, func(id int64, f []string) (store.EntryRow, error) {
		r := store.EntryRow{ID: id, Reference: f[1], Currency: f[2]}
		var err error
		if r.BookedOn, err = parseDay(f[0]); err == nil {
			r.AmountMinor, err = parseInt(f[3])
		}
		if err != nil {
			return r, fmt.Errorf("ledger entry %d: %w", id, err)
		}
		return r, nil
	}, fn)
}

func parseInt(s string) (int64, error) { return strconv.ParseInt(s, 10, 64) }

// nullableInt reads an integer column that may be NULL (""): the value
// and whether there is one.
func nullableInt(s string) (int64, bool, error) {
	if s == "" {
		return 0, false, nil
	}
	v, err := parseInt(s)
	return v, err == nil, err
}

// parseDay reads a YYYY-MM-DD date as midnight UTC.
func parseDay(s string) (time.Time, error) {
	if len(s) >= 10 && s[4] == '-' && s[7] == '-' {
		y, m, d := digits(s[0:4]), digits(s[5:7]), digits(s[8:10])
		if y >= 0 && m >= 1 && m <= 12 && d >= 1 && (len(s) == 10 || s[10] == ' ' || s[10] == 'T') {
			if t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC); t.Day() == d {
				return t, nil
			}
		}
	}
	return time.Time{}, fmt.Errorf("booking date %q is not YYYY-MM-DD", s)
}

// stampLayouts are the forms a TIMESTAMP column takes as text: what
// go-sqlite3 writes (and the store writes the same), and RFC 3339.
var stampLayouts = []string{"2006-01-02 15:04:05.999999999-07:00", time.RFC3339Nano, "2006-01-02 15:04:05.999999999"}

// parseStamp reads a stored time, in UTC. The store's own form,
// "2006-01-02 15:04:05.123+00:00", takes a fast path; any other goes
// through time.Parse.
func parseStamp(s string) (time.Time, error) {
	if n := len(s); n >= 25 && s[10] == ' ' && s[n-6:] == "+00:00" && s[4] == '-' && s[7] == '-' && s[13] == ':' && s[16] == ':' {
		y, mo, d := digits(s[0:4]), digits(s[5:7]), digits(s[8:10])
		h, mi, sec := digits(s[11:13]), digits(s[14:16]), digits(s[17:19])
		ns, ok := 0, true
		if frac := s[19 : n-6]; frac != "" {
			if frac[0] != '.' || len(frac) < 2 || len(frac) > 10 {
				ok = false
			} else if ns = digits(frac[1:]); ns < 0 {
				ok = false
			} else {
				for i := len(frac) - 1; i < 9; i++ {
					ns *= 10
				}
			}
		}
		if ok && y >= 0 && mo >= 1 && mo <= 12 && d >= 1 && h >= 0 && h < 24 && mi >= 0 && mi < 60 && sec >= 0 && sec < 60 {
			if t := time.Date(y, time.Month(mo), d, h, mi, sec, ns, time.UTC); t.Day() == d {
				return t, nil
			}
		}
	}
	for _, layout := range stampLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("time %q is not in a stored form", s)
}

func digits(s string) int {
	if s == "" {
		return -1
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return -1
		}
		n = n*10 + int(s[i]-'0')
	}
	return n
}
