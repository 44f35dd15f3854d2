package sqlite

import (
	"context"
	"fmt"
	"strconv"

	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/store"
	"github.com/reconkit/reconkit/store/internal/sqlstore"
)

// exceptionsChunk is how many rows one cgo call packs at most: as many
// as fit in its buffer. The strings read are kept, and keep their whole
// buffer alive: a buffer a call left mostly empty would be kept too.
const exceptionsChunk = 1 << 30

// readExceptions is Exceptions with the query stepped in C (scan.go): an
// incremental night reads every open exception of the run before, a
// month of them, and through database/sql each of their fifteen values
// cost a cgo call and a conversion. The strings point into the packed
// buffers, which are never reused.
func (db *DB) readExceptions(ctx context.Context, runID int64) ([]recon.Exception, error) {
	re, err := db.scanExceptions(ctx, runID, false)
	return re.Exceptions, err
}

// readRunExceptions is RunExceptions read as readExceptions reads.
func (db *DB) readRunExceptions(ctx context.Context, runID int64) (store.RunExceptions, error) {
	return db.scanExceptions(ctx, runID, true)
}

// scanExceptions reads a run's exceptions in C, and their facts if asked.
func (db *DB) scanExceptions(ctx context.Context, runID int64, facts bool) (store.RunExceptions, error) {
	out := store.RunExceptions{RunID: runID}
	conn, err := db.x.Connx(ctx)
	if err != nil {
		return out, fmt.Errorf("read exceptions of run %d: %w", runID, err)
	}
	defer conn.Close()
	var n int
	if err := conn.QueryRowxContext(ctx, `SELECT COUNT(*) FROM exceptions WHERE merchant = ? AND run_id = ?`, db.Merchant(), runID).Scan(&n); err != nil {
		return out, fmt.Errorf("read exceptions of run %d: %w", runID, err)
	}
	// The count sizes the slices; rows are never added to a run's
	// exceptions once its load commits, and a miss only costs a copy.
	query, cols := sqlstore.ExceptionsQuery, 15
	rs := make([]recon.Exception, 0, n)
	var fs []store.ExceptionFacts
	if facts {
		query, cols = sqlstore.RunExceptionsQuery[sqlstore.SQLite], 22
		fs = make([]store.ExceptionFacts, 0, n)
	}
	err = scanTable(ctx, conn, query, db.Merchant(), cols, exceptionsChunk, func(v []scanVal) error {
		x := recon.Exception{
			Category: recon.Category(v[0].text()), Severity: v[1].text(), OrderUID: v[2].text(), PaymentLinkUID: v[3].text(),
			OxpayTxnID: v[4].text(), MerchantReferenceID: v[5].text(), LedgerRef: v[6].text(), Currency: v[7].text(),
			Detail: v[11].text(),
		}
		var err error
		for i, dst := range []*int64{&x.ExpectedMinor, &x.ActualMinor, &x.DifferenceMinor} {
			if *dst, err = v[8+i].int(); err != nil {
				return fmt.Errorf("exception %d: column %d: %w", len(rs)+1, 9+i, err)
			}
		}
		if err := x.WebhookEventIDs.Scan(v[12].text()); err != nil {
			return fmt.Errorf("exception %d: webhook_event_ids: %w", len(rs)+1, err)
		}
		if err := x.LedgerEntryIDs.Scan(v[13].text()); err != nil {
			return fmt.Errorf("exception %d: ledger_entry_ids: %w", len(rs)+1, err)
		}
		if x.InputErrorID, err = v[14].int(); err != nil {
			return fmt.Errorf("exception %d: input_error_id: %w", len(rs)+1, err)
		}
		if facts {
			f := store.ExceptionFacts{PaymentURL: v[15].text(), LedgerCurrency: v[20].text()}
			if err := sqlstore.FactTimes(&f, v[16].nullText(), v[17].nullText(), v[18].nullText(), v[19].nullText()); err != nil {
				return fmt.Errorf("exception %d: %w", len(rs)+1, err)
			}
			if f.LedgerMinor, err = v[21].int(); err != nil {
				return fmt.Errorf("exception %d: ledger amount: %w", len(rs)+1, err)
			}
			fs = append(fs, f)
		}
		rs = append(rs, x)
		return nil
	}, nil, strconv.FormatInt(runID, 10))
	if err != nil {
		return store.RunExceptions{}, fmt.Errorf("read exceptions of run %d: %w", runID, err)
	}
	out.Exceptions, out.Facts = rs, fs
	return out, nil
}

// readFirstSeen is ExceptionFirstSeen with the query stepped in C, as
// readExceptions: an incremental night reads the history of a month of
// open exceptions.
func (db *DB) readFirstSeen(ctx context.Context, runID int64) (map[string]string, error) {
	conn, err := db.x.Connx(ctx)
	if err != nil {
		return nil, fmt.Errorf("read exception history of run %d: %w", runID, err)
	}
	defer conn.Close()
	out := map[string]string{}
	err = scanTable(ctx, conn, sqlstore.ExceptionFirstSeenQuery, db.Merchant(), 2, exceptionsChunk, func(v []scanVal) error {
		out[v[0].text()] = v[1].text()
		return nil
	}, nil, strconv.FormatInt(runID, 10))
	if err != nil {
		return nil, fmt.Errorf("read exception history of run %d: %w", runID, err)
	}
	return out, nil
}
