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
func (db *DB) readExceptions(ctx context.Context, runID int64) (store.RunExceptions, error) {
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
	rs, ids := make([]recon.Exception, 0, n), make([]int64, 0, n)
	err = scanTable(ctx, conn, sqlstore.ExceptionsQuery, db.Merchant(), 16, exceptionsChunk, func(v []scanVal) error {
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
		id, err := v[15].int()
		if err != nil {
			return fmt.Errorf("exception %d: id: %w", len(rs)+1, err)
		}
		rs, ids = append(rs, x), append(ids, id)
		return nil
	}, nil, strconv.FormatInt(runID, 10))
	if err != nil {
		return store.RunExceptions{}, fmt.Errorf("read exceptions of run %d: %w", runID, err)
	}
	out.Exceptions, out.IDs = rs, ids
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
