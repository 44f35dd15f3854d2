package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jmoiron/sqlx"

	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/store"
	"github.com/reconkit/reconkit/store/internal/sqlstore"
)

// Load is one write transaction on a connection of its own, kept open
// across batches (see store.Load). A batch is copied (COPY, pgx's
// CopyFrom) into a temporary table of the kind's columns, which lives
// until the transaction ends, and moved into its table by one INSERT ...
// SELECT: an upsert that writes only rows whose content differs, or an
// insert that skips keys already stored. Each such statement runs under
// a savepoint, so that when one fails the batch can be tried row by row
// to name the row at fault; the Load has failed by then and will not
// commit.
type Load struct {
	ctx      context.Context
	conn     *sqlx.Conn
	tx       *sqlx.Tx
	now      time.Time
	merchant string
	runID    sql.NullInt64
	err      error
	done     bool
	temps    map[string]bool // the temporary tables made so far
	// savepoint is whether the last batch's savepoint is still open: it
	// is released with the next batch's first statement (or by the
	// commit), to spare the batch a round trip.
	savepoint bool
	// next is the id the next row of a table written by insertDirect
	// gets, by table; 0 until read.
	next map[string]int64
	// added counts the rows the Load added to each table, for the
	// statistics it refreshes once it commits (see analyze).
	added map[string]int
	// resultsRun is the run MatchResults last found recorded.
	resultsRun int64
}

var _ store.Load = (*Load)(nil)

// BeginLoad starts a Load. Cancelling ctx aborts it: the transaction is
// rolled back and every later call fails.
func (db *DB) BeginLoad(ctx context.Context) (store.Load, error) { return db.beginLoad(ctx) }

func (db *DB) beginLoad(ctx context.Context) (*Load, error) {
	conn, err := db.x.Connx(ctx)
	if err != nil {
		return nil, fmt.Errorf("begin load: %w", err)
	}
	tx, err := conn.BeginTxx(ctx, nil)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("begin load: %w", err)
	}
	return &Load{ctx: ctx, conn: conn, tx: tx, now: time.Now().UTC(), merchant: db.Merchant(), temps: map[string]bool{},
		next: map[string]int64{}, added: map[string]int{}}, nil
}

// SetRunID ties the input errors and input files recorded by this Load
// to a run.
func (l *Load) SetRunID(id int64) { l.runID = sql.NullInt64{Int64: id, Valid: id != 0} }

// Commit makes every row of the Load visible. It fails, and rolls back,
// if any earlier call failed or the context was cancelled.
func (l *Load) Commit() error {
	if l.done {
		return store.ErrLoadDone
	}
	if l.err != nil {
		l.Rollback()
		return fmt.Errorf("commit load: an earlier step failed: %w", l.err)
	}
	if err := l.ctx.Err(); err != nil {
		l.Rollback()
		return fmt.Errorf("commit load: %w", err)
	}
	l.done = true
	defer l.conn.Close()
	if err := l.tx.Commit(); err != nil {
		if cerr := l.ctx.Err(); cerr != nil {
			err = cerr
		}
		return fmt.Errorf("commit load: %w", err)
	}
	l.analyze()
	return nil
}

// analyzeAfter is how many rows a Load adds to a table before it
// refreshes the table's statistics.
const analyzeAfter = 10_000

// analyzeSQL refreshes one table's statistics.
var analyzeSQL = map[string]string{
	"orders": `ANALYZE orders`, "payment_links": `ANALYZE payment_links`, "transactions": `ANALYZE transactions`,
	"webhook_events": `ANALYZE webhook_events`, "ledger_entries": `ANALYZE ledger_entries`,
	"match_results": `ANALYZE match_results`, "exceptions": `ANALYZE exceptions`,
}

// analyze refreshes, after the commit, the statistics of every table the
// Load added many rows to: the next phases read those tables whole and
// join them, and the server, which refreshes statistics only now and
// then, would plan for the few rows it last counted (at 1M orders the
// match's read of a table it took for small became a sort on disk).
// Sampling takes a fraction of a second a table. A failure only leaves
// the server's own refresh to come, so it is not reported.
func (l *Load) analyze() {
	for table, n := range l.added {
		if q, ok := analyzeSQL[table]; ok && n >= analyzeAfter {
			l.conn.ExecContext(l.ctx, q)
		}
	}
}

// Rollback discards every row of the Load. It does nothing after Commit.
func (l *Load) Rollback() error {
	if l.done {
		return nil
	}
	l.done = true
	defer l.conn.Close()
	if err := l.tx.Rollback(); err != nil && !errors.Is(err, sql.ErrTxDone) {
		return fmt.Errorf("roll back load: %w", err)
	}
	return nil
}

func (l *Load) check() error {
	if l.done {
		return store.ErrLoadDone
	}
	if l.err != nil {
		return fmt.Errorf("load already failed: %w", l.err)
	}
	if err := l.ctx.Err(); err != nil {
		return l.fail(err)
	}
	return nil
}

func (l *Load) fail(err error) error {
	if l.err == nil {
		l.err = err
	}
	return err
}

func (l *Load) fail0(err error) error {
	if err == nil {
		return nil
	}
	return l.fail(err)
}

func (l *Load) q() sqlstore.Q { return sqlstore.On(l.tx) }

// kind is one table a Load writes, with how: its temporary table, made
// from the table's own columns (so their types and collation), and the
// statement that moves a batch from it (the merchant is $1, the load
// time $2, and ORDER BY seq keeps the batch's order, which is the order
// new ids are given in). oneRow is the same statement for the row whose
// seq is $3.
type kind struct {
	what    string
	table   string
	temp    string
	makeTmp string
	empty   string   // TRUNCATE temp
	cols    []string // the temporary table's columns, seq first
	move    string
	oneRow  string
}

// copyBatch opens the batch's savepoint and copies rows into the kind's
// temporary table, emptied first. The savepoint, the emptying (or the
// making) and the release of the previous batch's savepoint go in one
// round trip: a Xepeng pull's batches are pages of 100 rows, whose
// round trips cost as much as their rows.
func (l *Load) copyBatch(k *kind, rows [][]any) error {
	prep := k.empty
	if !l.temps[k.temp] {
		prep = k.makeTmp
	}
	if l.savepoint {
		prep = `RELEASE SAVEPOINT batch; ` + prep
	}
	if _, err := l.tx.ExecContext(l.ctx, prep+`; SAVEPOINT batch`); err != nil {
		return fmt.Errorf("prepare %s: %w", k.temp, err)
	}
	l.temps[k.temp], l.savepoint = true, true
	return l.copyInto(k.temp, k.cols, rows)
}

// copyInto runs COPY of rows into table's cols on the Load's connection,
// inside its transaction.
func (l *Load) copyInto(table string, cols []string, rows [][]any) error {
	return l.conn.Raw(func(dc any) error {
		_, err := pgxConn(dc).CopyFrom(l.ctx, pgx.Identifier{table}, cols, pgx.CopyFromRows(rows))
		return err
	})
}

// move runs the kind's statement for the batch copyBatch copied (rows,
// under its savepoint) and returns its result; when it fails, it goes
// back to the savepoint, copies the rows again and finds the first row
// that fails on its own, and names it with name.
func (l *Load) move(k *kind, rows [][]any, name func(i int) string, scan func(*sqlx.Row) error) error {
	err := scan(l.tx.QueryRowxContext(l.ctx, k.move, l.merchant, l.now))
	if err == nil {
		return nil
	}
	if _, rerr := l.tx.ExecContext(l.ctx, `ROLLBACK TO SAVEPOINT batch`); rerr != nil {
		return errors.Join(err, rerr)
	}
	l.savepoint = false
	if rerr := l.copyBatch(k, rows); rerr != nil {
		return errors.Join(err, rerr)
	}
	n := len(rows)
	for i := range n {
		if _, serr := l.tx.ExecContext(l.ctx, `SAVEPOINT row`); serr != nil {
			return errors.Join(err, serr)
		}
		_, rowErr := l.tx.ExecContext(l.ctx, k.oneRow, l.merchant, l.now, i)
		if _, rerr := l.tx.ExecContext(l.ctx, `ROLLBACK TO SAVEPOINT row`); rerr != nil {
			return errors.Join(err, rerr)
		}
		if rowErr != nil {
			return fmt.Errorf("%s %s: %w", k.what, name(i), rowErr)
		}
	}
	return fmt.Errorf("%s %s to %s: %w", k.what, name(0), name(n-1), err)
}

// upsert writes one batch of an upsert. A key given twice in a batch
// is written in turns, its first rows first (ON CONFLICT may touch a row
// once per statement), as SQLite's multi-row upsert does in one.
func (l *Load) upsert(k *kind, n int, key func(i int) string, row func(i int) []any, name func(i int) string) (store.UpsertStats, error) {
	var st store.UpsertStats
	if err := l.check(); err != nil {
		return st, err
	}
	for _, turn := range turns(n, key) {
		rows := make([][]any, len(turn))
		for j, i := range turn {
			rows[j] = append([]any{int64(j)}, row(i)...)
		}
		if err := l.copyBatch(k, rows); err != nil {
			return st, l.fail(fmt.Errorf("%s %s to %s: %w", k.what, name(turn[0]), name(turn[len(turn)-1]), err))
		}
		var inserted, changed int
		err := l.move(k, rows, func(j int) string { return name(turn[j]) }, func(r *sqlx.Row) error { return r.Scan(&inserted, &changed) })
		if err != nil {
			return st, l.fail(err)
		}
		st.Inserted += inserted
		l.added[k.table] += inserted
		st.Updated += changed - inserted
		st.Unchanged += len(turn) - changed
	}
	return st, nil
}

// turns splits rows 0..n-1 into lists in which no key comes twice: the
// first of each key's rows, then the second, and so on. Nearly always
// there is one list, of every row.
func turns(n int, key func(i int) string) [][]int {
	seen := make(map[string]int, n)
	var out [][]int
	for i := range n {
		t := seen[key(i)]
		seen[key(i)] = t + 1
		if t == len(out) {
			out = append(out, make([]int, 0, n))
		}
		out[t] = append(out[t], i)
	}
	return out
}

// insert writes one batch of an insert that skips stored keys, and
// returns how many rows it added.
func (l *Load) insert(k *kind, n int, row func(i int) []any, name func(i int) string) (int, error) {
	if err := l.check(); err != nil {
		return 0, err
	}
	if n == 0 {
		return 0, nil
	}
	rows := make([][]any, n)
	for i := range n {
		rows[i] = append([]any{int64(i)}, row(i)...)
	}
	if err := l.copyBatch(k, rows); err != nil {
		return 0, l.fail(fmt.Errorf("%s %s to %s: %w", k.what, name(0), name(n-1), err))
	}
	var added int
	if err := l.move(k, rows, name, func(r *sqlx.Row) error { return r.Scan(&added) }); err != nil {
		return 0, l.fail(err)
	}
	l.added[k.table] += added
	return added, nil
}

// direct is how insertDirect writes a kind: the table, the query that
// finds which of a batch's keys ($2, an array) are stored for the
// merchant ($1), the one that reads its largest id, and the columns.
type direct struct {
	table  string
	stored string
	nextID string
	cols   []string // id, merchant, the kind's columns but seq, loaded_at
}

// insertDirect writes a batch of an insert by COPY straight into the
// table, which spares the server the temporary table and the INSERT ...
// SELECT: it asks which of the batch's keys are stored (one probe of the
// unique index each), leaves those and the batch's repeats out, numbers
// the rest on from the merchant's largest id, and copies them. When the
// copy fails the batch goes the way of insert, to name the row at fault.
func (l *Load) insertDirect(k *kind, d *direct, n int, key func(i int) string, row func(i int) []any, name func(i int) string) (int, error) {
	if err := l.check(); err != nil {
		return 0, err
	}
	if n == 0 {
		return 0, nil
	}
	keys := make([]string, n)
	for i := range n {
		keys[i] = escapeText(key(i))
	}
	stored := map[string]bool{}
	err := l.conn.Raw(func(dc any) error {
		rows, err := pgxConn(dc).Query(l.ctx, d.stored, l.merchant, keys)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var k string
			if err := rows.Scan(&k); err != nil {
				return err
			}
			stored[k] = true
		}
		return rows.Err()
	})
	if err == nil && l.next[d.table] == 0 {
		var last int64
		err = l.tx.QueryRowxContext(l.ctx, d.nextID, l.merchant).Scan(&last)
		l.next[d.table] = last + 1
	}
	if err != nil {
		return 0, l.fail(fmt.Errorf("%s %s to %s: %w", k.what, name(0), name(n-1), err))
	}
	rows := make([][]any, 0, n)
	next := l.next[d.table]
	for i := range n {
		if stored[keys[i]] {
			continue
		}
		stored[keys[i]] = true // a repeat later in the batch is skipped
		rows = append(rows, append(append([]any{next, l.merchant}, row(i)...), l.now))
		next++
	}
	if len(rows) == 0 {
		return 0, nil
	}
	prep := `SAVEPOINT batch`
	if l.savepoint {
		prep = `RELEASE SAVEPOINT batch; SAVEPOINT batch`
	}
	if _, err := l.tx.ExecContext(l.ctx, prep); err != nil {
		return 0, l.fail(err)
	}
	l.savepoint = true
	if err := l.copyInto(d.table, d.cols, rows); err != nil {
		if _, rerr := l.tx.ExecContext(l.ctx, `ROLLBACK TO SAVEPOINT batch`); rerr != nil {
			return 0, l.fail(errors.Join(err, rerr))
		}
		l.savepoint = false
		if _, ierr := l.insert(k, n, row, name); ierr != nil {
			return 0, ierr
		}
		return 0, l.fail(fmt.Errorf("%s %s to %s: %w", k.what, name(0), name(n-1), err))
	}
	l.next[d.table] = next
	l.added[d.table] += len(rows)
	return len(rows), nil
}

// t is a text value as stored (see escapeText); tp a nullable time.
func t(s string) any { return escapeText(s) }

func tp(v *time.Time) any {
	if v == nil {
		return nil
	}
	return *v
}

// knownAmount is NULL for an amount that is not known.
func knownAmount(v int64, known bool) any {
	if !known {
		return nil
	}
	return v
}

// Orders upserts a batch of orders by uid.
func (l *Load) Orders(rs []recon.Order) (store.UpsertStats, error) {
	return l.upsert(&orderKind, len(rs), func(i int) string { return rs[i].UID }, func(i int) []any {
		r := &rs[i]
		return []any{t(r.UID), t(r.Status), t(r.Currency), knownAmount(r.AmountMinor, r.AmountKnown()), t(r.AmountSource), t(r.AmountProblem),
			r.CreatedAt, r.UpdatedAt, t(r.Raw)}
	}, func(i int) string { return strconv.Quote(rs[i].UID) })
}

// PaymentLinks upserts a batch of payment links by uid.
func (l *Load) PaymentLinks(rs []recon.PaymentLink) (store.UpsertStats, error) {
	return l.upsert(&linkKind, len(rs), func(i int) string { return rs[i].UID }, func(i int) []any {
		r := &rs[i]
		return []any{t(r.UID), t(r.OrderUID), t(r.Status), t(r.PaymentURL), t(r.Currency), knownAmount(r.AmountMinor, r.AmountKnown()),
			t(r.AmountSource), t(r.AmountProblem), tp(r.ExpiredAt), tp(r.PaidAt), r.CreatedAt, r.UpdatedAt, t(r.Raw)}
	}, func(i int) string { return strconv.Quote(rs[i].UID) })
}

// Transactions upserts a batch of OxPay transactions by oxpay_txn_id.
func (l *Load) Transactions(rs []recon.Transaction) (store.UpsertStats, error) {
	return l.upsert(&txnKind, len(rs), func(i int) string { return rs[i].OxpayTxnID }, func(i int) []any {
		r := &rs[i]
		return []any{t(r.OxpayTxnID), t(r.OriginalTxnID), t(r.Type), t(r.MerchantReferenceID), t(r.HostTxnID), t(r.State), t(r.Brand),
			t(r.Currency), r.AmountMinor, r.RefundAmountMinor, r.FetchedAt, t(r.Raw)}
	}, func(i int) string { return strconv.Quote(rs[i].OxpayTxnID) })
}

// WebhookEvents inserts a batch of webhook deliveries, skipping those
// whose delivery_key is already stored, and returns how many it added.
func (l *Load) WebhookEvents(rs []recon.WebhookEvent) (int, error) {
	return l.insertDirect(&hookKind, &hookDirect, len(rs), func(i int) string { return rs[i].DeliveryKey }, func(i int) []any {
		r := &rs[i]
		return []any{r.ReceivedAt, t(r.Kind), t(r.OxpayTxnID), t(r.OriginalTxnID), t(r.MerchantReferenceID), t(r.HostTxnID), t(r.State),
			t(r.Currency), r.AmountMinor, r.RefundAmountMinor, int32(r.StatusCode), t(r.SigCheck), t(r.Signature), t(r.KeyFingerprint),
			t(r.DedupKey), t(r.DeliveryKey), t(r.Raw), t(r.SourceFile), int32(r.SourceLine)}
	}, func(i int) string { return fmt.Sprintf("%s:%d", rs[i].SourceFile, rs[i].SourceLine) })
}

// LedgerEntries inserts a batch of ledger rows, skipping those whose
// row_hash is already stored, and returns how many it added. BookedOn is
// stored as the calendar date it has in its own location.
func (l *Load) LedgerEntries(rs []recon.LedgerEntry) (int, error) {
	return l.insertDirect(&entryKind, &entryDirect, len(rs), func(i int) string { return rs[i].RowHash }, func(i int) []any {
		r := &rs[i]
		y, m, d := r.BookedOn.Date()
		return []any{time.Date(y, m, d, 0, 0, 0, 0, time.UTC), t(r.Reference), t(r.Description), t(r.TxnType), t(r.Currency),
			r.AmountMinor, r.FeeMinor, t(r.RowHash), t(r.SourceFile), t(r.Sheet), int32(r.SourceLine), t(r.Raw)}
	}, func(i int) string { return fmt.Sprintf("%s:%s:%d", rs[i].SourceFile, rs[i].Sheet, rs[i].SourceLine) })
}

// InputErrors inserts a batch of input errors, skipping those already
// stored for the same source, file, line and reason, and returns how
// many it added. A zero RecordedAt is stored as the Load's start time.
func (l *Load) InputErrors(rs []recon.InputError) (int, error) {
	return l.insert(&inputErrorKind, len(rs), func(i int) []any {
		r := &rs[i]
		at := l.now
		if !r.RecordedAt.IsZero() {
			at = r.RecordedAt
		}
		var run any
		if l.runID.Valid {
			run = l.runID.Int64
		}
		return []any{t(r.Source), t(r.File), int32(r.Line), t(r.Text), t(r.Reason), at, run}
	}, func(i int) string { return fmt.Sprintf("%s:%d", rs[i].File, rs[i].Line) })
}

// RecordInputFile records, inside the Load, that a file was ingested
// (see store.Load).
func (l *Load) RecordInputFile(f store.InputFile) error {
	if err := l.check(); err != nil {
		return err
	}
	if f.RunID == 0 && l.runID.Valid {
		f.RunID = l.runID.Int64
	}
	if f.IngestedAt.IsZero() {
		f.IngestedAt = l.now
	}
	return l.fail0(sqlstore.RecordInputFile(l.ctx, l.q(), l.merchant, f))
}

// SetFetchCursor records, inside the Load, that list has been read up to
// newest. A cursor only moves forward.
func (l *Load) SetFetchCursor(list string, newest time.Time) error {
	if err := l.check(); err != nil {
		return err
	}
	return l.fail0(sqlstore.SetFetchCursor(l.ctx, l.q(), l.merchant, list, newest, l.now))
}

// FailedSignatureIDs: see store.Load.
func (l *Load) FailedSignatureIDs(keyFP string, all bool) ([]int64, error) {
	if err := l.check(); err != nil {
		return nil, err
	}
	ids, err := sqlstore.FailedSignatureIDs(l.ctx, l.q(), l.merchant, keyFP, all)
	return ids, l.fail0(err)
}

// StoredSignatures: see store.Load.
func (l *Load) StoredSignatures(ids []int64) ([]store.StoredSignature, error) {
	if err := l.check(); err != nil {
		return nil, err
	}
	out, err := sqlstore.StoredSignatures(l.ctx, l.q(), sqlstore.Postgres, l.merchant, ids)
	return out, l.fail0(err)
}

// SetSignatureCheck: see store.Load.
func (l *Load) SetSignatureCheck(id int64, sigCheck, keyFP string) error {
	if err := l.check(); err != nil {
		return err
	}
	return l.fail0(sqlstore.SetSignatureCheck(l.ctx, l.q(), l.merchant, id, sigCheck, keyFP))
}

// ReverifyDelivery: see store.Load.
func (l *Load) ReverifyDelivery(ev recon.WebhookEvent) (bool, error) {
	if err := l.check(); err != nil {
		return false, err
	}
	found, err := sqlstore.ReverifyDelivery(l.ctx, l.q(), l.merchant, ev)
	return found, l.fail0(err)
}

// DeleteRunResults removes a run's match results and exceptions inside
// the Load.
func (l *Load) DeleteRunResults(runID int64) error {
	if err := l.check(); err != nil {
		return err
	}
	return l.fail0(sqlstore.DeleteRunResults(l.ctx, l.q(), l.merchant, runID))
}

// MatchResults copies a batch of one run's match results into their
// table, in the order given, and returns how many it added.
func (l *Load) MatchResults(runID int64, rs []recon.MatchResult) (int, error) {
	if runID == 0 {
		return 0, l.fail(store.ErrNoRun)
	}
	if err := l.check(); err != nil {
		return 0, err
	}
	// The results have no foreign key to runs (migration 0009 says
	// why): the run is looked for once instead.
	if l.resultsRun != runID {
		var n int
		if err := l.tx.QueryRowxContext(l.ctx, `SELECT COUNT(*) FROM runs WHERE merchant = $1 AND id = $2`, l.merchant, runID).Scan(&n); err != nil {
			return 0, l.fail(fmt.Errorf("insert match results of run %d: %w", runID, err))
		}
		if n == 0 {
			return 0, l.fail(fmt.Errorf("insert match results of run %d: %w", runID, store.ErrNotFound))
		}
		l.resultsRun = runID
	}
	rows := make([][]any, len(rs))
	for i := range rs {
		r := &rs[i]
		clean := int32(0)
		if r.Clean {
			clean = 1
		}
		rows[i] = []any{l.merchant, runID, t(r.Kind), t(r.OrderUID), t(r.PaymentLinkUID), t(r.OxpayTxnID), t(r.OriginalTxnID),
			t(r.MerchantReferenceID), nullID(r.LedgerEntryID), nullID(r.WebhookEventID), t(r.State), t(r.Source), t(r.Currency),
			r.OrderMinor, r.GatewayMinor, tp(r.PaidAt), clean}
	}
	if err := l.copyInto("match_results", matchResultCols, rows); err != nil {
		return 0, l.fail(fmt.Errorf("insert match results of run %d: %w", runID, err))
	}
	l.added["match_results"] += len(rows)
	return len(rs), nil
}

// Exceptions copies a batch of one run's exceptions into their table,
// in the order given, and returns how many it added.
func (l *Load) Exceptions(runID int64, rs []recon.Exception) (int, error) {
	return l.exceptions(runID, rs, nil)
}

// CarriedExceptions is Exceptions for the exceptions a run carries
// unchanged from the run it started from, with their facts.
func (l *Load) CarriedExceptions(runID int64, rs []recon.Exception, facts []store.ExceptionFacts) (int, error) {
	if len(facts) != len(rs) {
		return 0, l.fail(fmt.Errorf("carry %d exceptions with the facts of %d", len(rs), len(facts)))
	}
	return l.exceptions(runID, rs, facts)
}

// ReplaceExceptionHistory replaces a run's exception history with rows,
// copied into the table.
func (l *Load) ReplaceExceptionHistory(runID int64, rows []store.HistoryRow) (int, error) {
	if runID == 0 {
		return 0, l.fail(store.ErrNoRun)
	}
	if err := l.check(); err != nil {
		return 0, err
	}
	if err := sqlstore.DeleteRunHistory(l.ctx, l.q(), l.merchant, runID); err != nil {
		return 0, l.fail(err)
	}
	vals := make([][]any, len(rows))
	for i, r := range rows {
		vals[i] = []any{l.merchant, runID, t(r.Key), t(r.FirstSeen)}
	}
	if err := l.copyInto("exception_history", historyCols, vals); err != nil {
		return 0, l.fail(fmt.Errorf("record exception history of run %d: %w", runID, err))
	}
	l.added["exception_history"] += len(rows)
	return len(rows), nil
}

// historyCols are exception_history's columns, in the order
// ReplaceExceptionHistory copies them.
var historyCols = []string{"merchant", "run_id", "exception_key", "first_seen"}

// MatchMark records how far the run read and how it matched.
func (l *Load) MatchMark(m store.MatchMark) error {
	if m.RunID == 0 {
		return l.fail(store.ErrNoRun)
	}
	if err := l.check(); err != nil {
		return err
	}
	return l.fail0(sqlstore.InsertMatchMark(l.ctx, l.q(), l.merchant, m))
}

// exceptions copies rs, and facts when given (as carried exceptions).
func (l *Load) exceptions(runID int64, rs []recon.Exception, facts []store.ExceptionFacts) (int, error) {
	if runID == 0 {
		return 0, l.fail(store.ErrNoRun)
	}
	if err := l.check(); err != nil {
		return 0, err
	}
	rows := make([][]any, len(rs))
	for i := range rs {
		r := &rs[i]
		rows[i] = []any{l.merchant, runID, t(string(r.Category)), t(r.Severity), t(r.OrderUID), t(r.PaymentLinkUID), t(r.OxpayTxnID),
			t(r.MerchantReferenceID), t(r.LedgerRef), t(r.Currency), r.ExpectedMinor, r.ActualMinor, r.DifferenceMinor, t(r.Detail),
			r.WebhookEventIDs.String(), r.LedgerEntryIDs.String(), nullID(r.InputErrorID)}
		if facts != nil {
			f := &facts[i]
			rows[i] = append(rows[i], int32(1), int32(1), t(f.PaymentURL), tp(f.OrderCreatedAt), tp(f.LinkPaidAt),
				tp(f.WebhookReceivedAt), tp(f.LedgerBookedOn), t(f.LedgerCurrency), f.LedgerMinor)
		}
	}
	cols := exceptionCols
	if facts != nil {
		cols = carriedExceptionCols
	}
	if err := l.copyInto("exceptions", cols, rows); err != nil {
		return 0, l.fail(fmt.Errorf("insert exceptions of run %d: %w", runID, err))
	}
	l.added["exceptions"] += len(rows)
	return len(rs), nil
}

// nullID is NULL for a missing id (0).
func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}
