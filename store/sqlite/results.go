package sqlite

import (
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/store"
	"github.com/reconkit/reconkit/store/internal/sqlstore"
)

// The statements of the match tables, in the form of insertSQLs. They are
// prepared per call rather than kept on the Load: one call writes a whole
// run's rows (or a large batch of them), so preparing costs nothing.
var (
	insertMatchResult = insertSQL{
		head:   `INSERT INTO match_results (merchant, run_id, kind, order_uid, payment_link_uid, oxpay_txn_id, oxpay_original_txn_id, merchant_reference_id, ledger_entry_id, webhook_event_id, state, source, currency, order_minor, gateway_minor, paid_at, clean) VALUES `,
		row:    `(&, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		shared: 2,
	}
	insertException = insertSQL{
		head:   `INSERT INTO exceptions (merchant, run_id, category, severity, order_uid, payment_link_uid, oxpay_txn_id, merchant_reference_id, ledger_ref, currency, expected_minor, actual_minor, difference_minor, detail, webhook_event_ids, ledger_entry_ids, input_error_id) VALUES `,
		row:    `(&, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		shared: 2,
	}
)

// nullID stores a missing id (0) as NULL.
func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// MatchResults inserts a batch of one run's match results and returns
// how many it added. Call it as often as needed within the Load. The
// ledger fields other than LedgerEntryID are not stored (see
// recon.MatchResult).
func (l *Load) MatchResults(runID int64, rs []recon.MatchResult) (int, error) {
	if runID == 0 {
		return 0, l.fail(store.ErrNoRun)
	}
	if err := l.sqliteSetCache(sqliteAppendCache); err != nil {
		return 0, err
	}
	n, err := l.writeOnce(insertMatchResult, batch{
		n: len(rs), what: "insert match result",
		args: func(i int, a []any) []any {
			r := &rs[i]
			return append(a, runID, r.Kind, r.OrderUID, r.PaymentLinkUID, r.OxpayTxnID, r.OriginalTxnID,
				r.MerchantReferenceID, nullID(r.LedgerEntryID), nullID(r.WebhookEventID),
				r.State, r.Source, r.Currency, r.OrderMinor, r.GatewayMinor,
				sqliteTimeTextPtr(r.PaidAt), boolInt(r.Clean))
		},
		name: func(i int) string { return strconv.Quote(rs[i].OxpayTxnID) },
	})
	return int(n), err
}

// Exceptions inserts a batch of one run's exceptions, in the order given
// (readers return them in that order), and returns how many it added.
func (l *Load) Exceptions(runID int64, rs []recon.Exception) (int, error) {
	if runID == 0 {
		return 0, l.fail(store.ErrNoRun)
	}
	n, err := l.writeOnce(insertException, batch{
		n: len(rs), what: "insert exception",
		args: func(i int, a []any) []any {
			r := &rs[i]
			return append(a, runID, string(r.Category), r.Severity, r.OrderUID, r.PaymentLinkUID, r.OxpayTxnID,
				r.MerchantReferenceID, r.LedgerRef, r.Currency, r.ExpectedMinor, r.ActualMinor, r.DifferenceMinor,
				r.Detail, r.WebhookEventIDs.String(), r.LedgerEntryIDs.String(), nullID(r.InputErrorID))
		},
		name: func(i int) string { return fmt.Sprintf("%d (%s)", i, rs[i].Category) },
	})
	return int(n), err
}

// DeleteRunResults removes a run's match results and exceptions inside
// the Load, so that a run written again replaces its rows atomically.
func (l *Load) DeleteRunResults(runID int64) error {
	if err := l.check(); err != nil {
		return err
	}
	return l.fail0(sqlstore.DeleteRunResults(l.ctx, sqlstore.On(l.tx), l.merchant, runID))
}

// writeOnce is Load.write for statements prepared for this call only:
// chunkRows rows per statement, the remainder one by one, a failed chunk
// replayed row by row so the error names its row.
func (l *Load) writeOnce(q insertSQL, rs batch) (int64, error) {
	if err := l.check(); err != nil {
		return 0, err
	}
	if rs.n == 0 {
		return 0, nil
	}
	var stmts [2]*sql.Stmt // one row, chunkRows rows
	defer func() {
		for _, s := range stmts {
			if s != nil {
				s.Close()
			}
		}
	}()
	prepare := func(chunk bool) (*sql.Stmt, error) {
		i, rows := 0, 1
		if chunk {
			i, rows = 1, chunkRows
		}
		if stmts[i] == nil {
			s, err := l.tx.PrepareContext(l.ctx, sqliteStmtText(q, rows))
			if err != nil {
				return nil, l.fail(fmt.Errorf("prepare: %w", err))
			}
			stmts[i] = s
		}
		return stmts[i], nil
	}
	one := func(i int, a []any) (int64, error) {
		s, err := prepare(false)
		if err != nil {
			return 0, err
		}
		c, err := exec(s, rs.args(i, append(a[:0], l.nowText, l.merchant))...)
		if err != nil {
			return 0, l.fail(fmt.Errorf("%s %s: %w", rs.what, rs.name(i), err))
		}
		return c, nil
	}
	var changed int64
	a := make([]any, 0, 2+chunkRows*strings.Count(q.row, "?"))
	i := 0
	for ; i+chunkRows <= rs.n; i += chunkRows {
		if err := l.check(); err != nil {
			return changed, err
		}
		s, err := prepare(true)
		if err != nil {
			return changed, err
		}
		a = append(a[:0], l.nowText, l.merchant)
		for j := i; j < i+chunkRows; j++ {
			a = rs.args(j, a)
		}
		c, err := exec(s, a...)
		if err != nil {
			for j := i; j < i+chunkRows; j++ {
				if _, rerr := one(j, a); rerr != nil {
					return changed, rerr
				}
			}
			return changed, l.fail(fmt.Errorf("%s %s to %s: %w", rs.what, rs.name(i), rs.name(i+chunkRows-1), err))
		}
		changed += c
	}
	for ; i < rs.n; i++ {
		if err := l.check(); err != nil {
			return changed, err
		}
		c, err := one(i, a)
		if err != nil {
			return changed, err
		}
		changed += c
	}
	return changed, nil
}
