package sqlite

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/reconkit/reconkit/store"
)

// The Snapshot's readers for the match: each scans its table
// (scanChunked), decodes a chunk's values into the store's Row types and
// hands them over. Times and dates arrive as text and are parsed here, a
// tenth of the cost of the driver's layout guessing. The values come in
// the order of the table's query in tableScans.

// batched reads table in chunks, decoding each row with row into a batch
// that fn gets at the end of every chunk.
func batched[R any](ctx context.Context, s *Snapshot, table string, row func(id int64, f []scanVal) (R, error), fn func([]R) error) error {
	var batch []R
	return s.scanChunked(ctx, table, s.chunk, func(id int64, f []scanVal) error {
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
		clear(batch) // let the chunk's buffer go
		batch = batch[:0]
		return err
	})
}

// Orders hands over every order, in rowid order.
func (s *Snapshot) Orders(ctx context.Context, fn func([]store.OrderRow) error) error {
	return batched(ctx, s, "orders", func(_ int64, f []scanVal) (store.OrderRow, error) {
		r := store.OrderRow{UID: f[0].text(), Currency: f[1].text(), AmountProblem: f[3].text()}
		var err error
		if r.AmountMinor, r.AmountKnown, err = f[2].nullableInt(); err != nil {
			return r, fmt.Errorf("order %s: amount: %w", r.UID, err)
		}
		return r, nil
	}, fn)
}

// PaymentLinks hands over every payment link, in rowid order.
func (s *Snapshot) PaymentLinks(ctx context.Context, fn func([]store.LinkRow) error) error {
	return batched(ctx, s, "payment_links", func(_ int64, f []scanVal) (store.LinkRow, error) {
		r := store.LinkRow{UID: f[0].text(), OrderUID: f[1].text(), Status: f[2].text(), Currency: f[3].text(), AmountProblem: f[5].text()}
		var err error
		if r.AmountMinor, r.AmountKnown, err = f[4].nullableInt(); err != nil {
			err = fmt.Errorf("amount: %w", err)
		} else if f[6].kind != valNull {
			r.PaidAt, err = parseStamp(f[6].text())
		}
		if err != nil {
			return r, fmt.Errorf("payment link %s: %w", r.UID, err)
		}
		return r, nil
	}, fn)
}

// Transactions hands over every transaction, in rowid order.
func (s *Snapshot) Transactions(ctx context.Context, fn func([]store.TxnRow) error) error {
	return batched(ctx, s, "transactions", func(_ int64, f []scanVal) (store.TxnRow, error) {
		r := store.TxnRow{OxpayTxnID: f[0].text(), MerchantReferenceID: f[1].text(), OriginalTxnID: f[2].text(), Type: f[3].text(),
			State: f[4].text(), Currency: f[5].text(), Brand: f[8].text()}
		var err1, err2 error
		r.AmountMinor, err1 = amount(f[6], "amount")
		r.RefundAmountMinor, err2 = amount(f[7], "refund amount")
		if err := errors.Join(err1, err2); err != nil {
			return r, fmt.Errorf("transaction %s: %w", r.OxpayTxnID, err)
		}
		return r, nil
	}, fn)
}

// WebhookEvents hands over every webhook delivery, in id order.
func (s *Snapshot) WebhookEvents(ctx context.Context, fn func([]store.HookRow) error) error {
	return batched(ctx, s, "webhook_events", func(id int64, f []scanVal) (store.HookRow, error) {
		r := store.HookRow{ID: id, OxpayTxnID: f[1].text(), Kind: f[2].text(), State: f[3].text(), Currency: f[4].text(),
			SigCheck: f[7].text(), DedupPrefix: f[8].text()}
		var err0, err1, err2 error
		r.ReceivedAt, err0 = parseStamp(f[0].text())
		r.AmountMinor, err1 = amount(f[5], "amount")
		r.RefundAmountMinor, err2 = amount(f[6], "refund amount")
		if err := errors.Join(err0, err1, err2); err != nil {
			return r, fmt.Errorf("webhook event %d: %w", id, err)
		}
		return r, nil
	}, fn)
}

// LedgerEntries hands over every ledger entry, in id order.
func (s *Snapshot) LedgerEntries(ctx context.Context, fn func([]store.EntryRow) error) error {
	return batched(ctx, s, "ledger_entries", func(id int64, f []scanVal) (store.EntryRow, error) {
		r := store.EntryRow{ID: id, Reference: f[1].text(), Currency: f[2].text()}
		var err error
		if r.BookedOn, err = parseDay(f[0].text()); err == nil {
			r.AmountMinor, err = amount(f[3], "amount")
		}
		if err != nil {
			return r, fmt.Errorf("ledger entry %d: %w", id, err)
		}
		return r, nil
	}, fn)
}

// amount reads an integer column that must hold a value, naming it in
// the error.
func amount(v scanVal, name string) (int64, error) {
	n, err := v.int()
	if err != nil {
		return 0, fmt.Errorf("%s: %w", name, err)
	}
	return n, nil
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
