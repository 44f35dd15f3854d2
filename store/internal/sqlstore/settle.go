package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/store"
)

// What the settlement step stores and reads (migration 0011): a run's
// settlement batches, and the ledger lines' descriptions and stated
// fees. Kept apart from the other shared SQL so that it reads as one
// piece.

// InsertSettlementBatches writes a run's batches in the transaction q,
// in the order given, and returns how many it wrote. A run has a few
// hundred batches at most (one per business day and currency), so they
// go one INSERT each.
func InsertSettlementBatches(ctx context.Context, q Q, merchant string, runID int64, bs []recon.SettlementBatch) (int, error) {
	for i := range bs {
		b := &bs[i]
		var entry any
		if b.DepositEntryID != 0 {
			entry = b.DepositEntryID
		}
		known := 0
		if b.FeesKnown {
			known = 1
		}
		if _, err := q.ExecContext(ctx, `INSERT INTO settlement_batches (merchant, run_id, currency, batch_day, payout_day, txn_count,
    sales_minor, refunds_minor, fees_minor, fees_known, net_minor, ledger_entry_id, deposit_minor, difference_minor,
    fee_diff_minor, outcome, detail, members)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			merchant, runID, b.Currency, b.Day, b.PayoutDay, b.Transactions, b.SalesMinor, b.RefundsMinor, b.FeesMinor, known,
			b.NetMinor, entry, b.DepositMinor, b.DifferenceMinor, b.FeeDiffMinor, b.Outcome, b.Detail,
			string(AppendMembers(nil, b.Members))); err != nil {
			return i, fmt.Errorf("insert settlement batch %s %s of run %d: %w", b.Day, b.Currency, runID, err)
		}
	}
	return len(bs), nil
}

// SettlementBatches returns a run's settlement batches in the order they
// were written, each with its deposit line's reference and date.
func (db *DB) SettlementBatches(ctx context.Context, runID int64) ([]recon.SettlementBatch, error) {
	type row struct {
		Currency   string         `db:"currency"`
		Day        string         `db:"batch_day"`
		Payout     string         `db:"payout_day"`
		Count      int            `db:"txn_count"`
		Sales      int64          `db:"sales_minor"`
		Refunds    int64          `db:"refunds_minor"`
		Fees       int64          `db:"fees_minor"`
		Known      int            `db:"fees_known"`
		Net        int64          `db:"net_minor"`
		Entry      sql.NullInt64  `db:"ledger_entry_id"`
		Deposit    int64          `db:"deposit_minor"`
		Difference int64          `db:"difference_minor"`
		FeeDiff    int64          `db:"fee_diff_minor"`
		Outcome    string         `db:"outcome"`
		Detail     string         `db:"detail"`
		Members    string         `db:"members"`
		Ref        sql.NullString `db:"reference"`
		Booked     *time.Time     `db:"booked_on"`
	}
	var rs []row
	err := db.Q().SelectContext(ctx, &rs, `SELECT b.currency, b.batch_day, b.payout_day, b.txn_count, b.sales_minor,
    b.refunds_minor, b.fees_minor, b.fees_known, b.net_minor, b.ledger_entry_id, b.deposit_minor, b.difference_minor,
    b.fee_diff_minor, b.outcome, b.detail, b.members, l.reference, l.booked_on
FROM settlement_batches b LEFT JOIN ledger_entries l ON l.merchant = b.merchant AND l.id = b.ledger_entry_id
WHERE b.merchant = ? AND b.run_id = ? ORDER BY b.id`, db.merchant, runID)
	if err != nil {
		return nil, fmt.Errorf("read settlement batches of run %d: %w", runID, err)
	}
	out := make([]recon.SettlementBatch, len(rs))
	for i := range rs {
		r := &rs[i]
		b := recon.SettlementBatch{Currency: r.Currency, Day: r.Day, PayoutDay: r.Payout, Transactions: r.Count,
			SalesMinor: r.Sales, RefundsMinor: r.Refunds, FeesMinor: r.Fees, FeesKnown: r.Known != 0, NetMinor: r.Net,
			DepositEntryID: r.Entry.Int64, DepositMinor: r.Deposit, DifferenceMinor: r.Difference, FeeDiffMinor: r.FeeDiff,
			Outcome: r.Outcome, Detail: r.Detail, DepositRef: r.Ref.String}
		if r.Booked != nil {
			t := r.Booked.UTC()
			b.DepositBookedOn = &t
		}
		if b.Members, err = ParseMembers(r.Members); err != nil {
			return nil, fmt.Errorf("read settlement batch %s %s of run %d: %w", b.Day, b.Currency, runID, err)
		}
		out[i] = b
	}
	return out, nil
}

// member is a batch member as stored: short keys, the payment time in
// Unix nanoseconds.
type member struct {
	ID     string `json:"t"`
	Kind   string `json:"k"`
	Brand  string `json:"b"`
	Amount int64  `json:"a"`
	Fee    int64  `json:"f"`
	PaidAt int64  `json:"p"`
}

// AppendMembers appends members as the members column holds them: a JSON
// array of {"t": oxpay_txn_id, "k": kind, "b": brand, "a": amount_minor,
// "f": fee_minor, "p": paid_at in Unix nanoseconds}. Written by hand, as a
// million members pass through here in a net-settlement night.
func AppendMembers(b []byte, ms []recon.SettlementMember) []byte {
	b = append(b, '[')
	for i := range ms {
		m := &ms[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"t":`...)
		b = appendJSONString(b, m.OxpayTxnID)
		b = append(b, `,"k":`...)
		b = appendJSONString(b, m.Kind)
		b = append(b, `,"b":`...)
		b = appendJSONString(b, m.Brand)
		b = append(b, `,"a":`...)
		b = strconv.AppendInt(b, m.AmountMinor, 10)
		b = append(b, `,"f":`...)
		b = strconv.AppendInt(b, m.FeeMinor, 10)
		b = append(b, `,"p":`...)
		b = strconv.AppendInt(b, m.PaidAt.UnixNano(), 10)
		b = append(b, '}')
	}
	return append(b, ']')
}

// ParseMembers reads a members column.
func ParseMembers(s string) ([]recon.SettlementMember, error) {
	var ms []member
	if err := json.Unmarshal([]byte(s), &ms); err != nil {
		return nil, fmt.Errorf("members: %w", err)
	}
	out := make([]recon.SettlementMember, len(ms))
	for i, m := range ms {
		out[i] = recon.SettlementMember{OxpayTxnID: m.ID, Kind: m.Kind, Brand: m.Brand, AmountMinor: m.Amount, FeeMinor: m.Fee,
			PaidAt: time.Unix(0, m.PaidAt).UTC()}
	}
	return out, nil
}

// appendJSONString appends s as a JSON string: quotes, backslashes and
// control characters escaped, invalid UTF-8 as U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
			i++
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			i++
		case c < utf8.RuneSelf:
			b = append(b, c)
			i++
		default:
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n == 1 {
				b = append(b, "\ufffd"...)
			} else {
				b = append(b, s[i:i+n]...)
			}
			i += n
		}
	}
	return append(b, '"')
}

// LedgerTexts hands fn every ledger entry's description and stated fee
// in id order, in batches of matchResultBatch that fn must not keep.
func LedgerTexts(ctx context.Context, q Q, merchant string, fn func([]store.EntryTextRow) error) error {
	rows, err := q.QueryContext(ctx, `SELECT id, description, fee_minor FROM ledger_entries WHERE merchant = ? ORDER BY id`, merchant)
	if err != nil {
		return fmt.Errorf("read ledger descriptions: %w", err)
	}
	defer rows.Close()
	buf := make([]store.EntryTextRow, 0, matchResultBatch)
	for rows.Next() {
		var r store.EntryTextRow
		var fee sql.NullInt64
		if err := rows.Scan(&r.ID, &r.Description, &fee); err != nil {
			return fmt.Errorf("read ledger descriptions: %w", err)
		}
		r.FeeMinor, r.HasFee = fee.Int64, fee.Valid
		if buf = append(buf, r); len(buf) == matchResultBatch {
			if err := fn(buf); err != nil {
				return err
			}
			buf = buf[:0]
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read ledger descriptions: %w", err)
	}
	if len(buf) > 0 {
		return fn(buf)
	}
	return nil
}
