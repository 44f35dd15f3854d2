package sqlite

import (
	"fmt"
	"strconv"

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
	insertCarriedException = insertSQL{
		head: `INSERT INTO exceptions (merchant, run_id, category, severity, order_uid, payment_link_uid, oxpay_txn_id, merchant_reference_id, ledger_ref, currency, expected_minor, actual_minor, difference_minor, detail, webhook_event_ids, ledger_entry_ids, input_error_id, ` +
			`carried, facts, payment_url, order_created_at, link_paid_at, webhook_received_at, ledger_booked_on, ledger_currency, ledger_minor) VALUES `,
		row:    `(&, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, 1, ?, ?, ?, ?, ?, ?, ?)`,
		shared: 2,
	}
	insertHistory = insertSQL{
		head:   `INSERT INTO exception_history (merchant, run_id, exception_key, first_seen) VALUES `,
		row:    `(&, ?, ?, ?)`,
		shared: 2,
	}
)

// ReplaceExceptionHistory replaces a run's exception history with rows.
func (l *Load) ReplaceExceptionHistory(runID int64, rows []store.HistoryRow) (int, error) {
	if runID == 0 {
		return 0, l.fail(store.ErrNoRun)
	}
	if err := l.check(); err != nil {
		return 0, err
	}
	if err := sqlstore.DeleteRunHistory(l.ctx, sqlstore.On(l.tx), l.merchant, runID); err != nil {
		return 0, l.fail(err)
	}
	n, err := l.write(stmtHistory, batch{
		n: len(rows), what: "record exception history of run " + strconv.FormatInt(runID, 10),
		pack: func(i int, b *rowBuf) {
			b.int(runID)
			b.text(rows[i].Key)
			b.text(rows[i].FirstSeen)
		},
		name: func(i int) string { return fmt.Sprintf("(row %d, first seen %s)", i+1, rows[i].FirstSeen) },
	})
	return int(n), err
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
	n, err := l.write(stmtMatchResult, batch{
		n: len(rs), what: "insert match result",
		pack: func(i int, b *rowBuf) {
			r := &rs[i]
			b.int(runID)
			b.text(r.Kind)
			b.text(r.OrderUID)
			b.text(r.PaymentLinkUID)
			b.text(r.OxpayTxnID)
			b.text(r.OriginalTxnID)
			b.text(r.MerchantReferenceID)
			b.nullID(r.LedgerEntryID)
			b.nullID(r.WebhookEventID)
			b.text(r.State)
			b.text(r.Source)
			b.text(r.Currency)
			b.int(r.OrderMinor)
			b.int(r.GatewayMinor)
			b.timePtr(r.PaidAt)
			b.int(boolInt(r.Clean))
		},
		name: func(i int) string { return strconv.Quote(rs[i].OxpayTxnID) },
	})
	return int(n), err
}

// Exceptions inserts a batch of one run's exceptions, in the order given
// (readers return them in that order), and returns how many it added.
func (l *Load) Exceptions(runID int64, rs []recon.Exception) (int, error) {
	return l.exceptions(stmtException, runID, rs, nil)
}

// CarriedExceptions is Exceptions for the exceptions a run carries
// unchanged from the run it started from, with their facts.
func (l *Load) CarriedExceptions(runID int64, rs []recon.Exception, facts []store.ExceptionFacts) (int, error) {
	if len(facts) != len(rs) {
		return 0, l.fail(fmt.Errorf("carry %d exceptions with the facts of %d", len(rs), len(facts)))
	}
	return l.exceptions(stmtCarriedException, runID, rs, facts)
}

// exceptions writes rs, and facts when given.
func (l *Load) exceptions(k stmtKind, runID int64, rs []recon.Exception, facts []store.ExceptionFacts) (int, error) {
	if runID == 0 {
		return 0, l.fail(store.ErrNoRun)
	}
	n, err := l.write(k, batch{
		n: len(rs), what: "insert exception",
		pack: func(i int, b *rowBuf) {
			r := &rs[i]
			b.int(runID)
			b.text(string(r.Category))
			b.text(r.Severity)
			b.text(r.OrderUID)
			b.text(r.PaymentLinkUID)
			b.text(r.OxpayTxnID)
			b.text(r.MerchantReferenceID)
			b.text(r.LedgerRef)
			b.text(r.Currency)
			b.int(r.ExpectedMinor)
			b.int(r.ActualMinor)
			b.int(r.DifferenceMinor)
			b.text(r.Detail)
			b.text(r.WebhookEventIDs.String())
			b.text(r.LedgerEntryIDs.String())
			b.nullID(r.InputErrorID)
			if facts != nil {
				f := &facts[i]
				b.text(f.PaymentURL)
				b.timePtr(f.OrderCreatedAt)
				b.timePtr(f.LinkPaidAt)
				b.timePtr(f.WebhookReceivedAt)
				b.datePtr(f.LedgerBookedOn)
				b.text(f.LedgerCurrency)
				b.int(f.LedgerMinor)
			}
		},
		name: func(i int) string { return fmt.Sprintf("%d (%s)", i, rs[i].Category) },
	})
	return int(n), err
}

// MatchMark records how far the run read and how it matched.
func (l *Load) MatchMark(m store.MatchMark) error {
	if m.RunID == 0 {
		return l.fail(store.ErrNoRun)
	}
	if err := l.check(); err != nil {
		return err
	}
	return l.fail0(sqlstore.InsertMatchMark(l.ctx, sqlstore.On(l.tx), l.merchant, m))
}

// DeleteRunResults removes a run's match results and exceptions inside
// the Load, so that a run written again replaces its rows atomically.
func (l *Load) DeleteRunResults(runID int64) error {
	if err := l.check(); err != nil {
		return err
	}
	return l.fail0(sqlstore.DeleteRunResults(l.ctx, sqlstore.On(l.tx), l.merchant, runID))
}
