package match

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/reconkit/reconkit/store"
)

// How the store is read, and why so.
//
// Each table is read once, keeping only the columns the rules read (never
// raw). Two readers run at once on their own connections, one per core:
// transactions then webhook events (resolved to their transaction as they
// arrive, then indexed), and orders, links (then the payables are built),
// ledger entries and input errors.
//
// Rows come back in chunks of readChunk, in rowid order, each chunk as
// one text: every row's values joined by concat_ws with a unit separator
// (bound as a parameter), rows joined by group_concat with a record
// separator. At a million rows per table, handing rows over one by one
// (a step, a text and an interface per row, through cgo and database/sql)
// cost more CPU than SQLite's own scan (7.3 s against 3.1 s for the five
// tables); one text per chunk, cut here, took that to about 4.5 s. A
// value holding either separator makes the chunk cut into the wrong
// number of rows or fields: that chunk is read again row by row, column
// by column. Times and dates arrive as text and are parsed here, a tenth
// of the cost of the driver's layout guessing.
//
// Each reader reads inside one read transaction (BEGIN DEFERRED on its
// own connection; the DSN's _txlock=immediate would make a transaction
// begun through database/sql take the write lock), so its chunks and
// tables come from one snapshot (WAL); a run is not meant to overlap an
// ingest of the same data anyway.

// sep joins a row's values and recSep the rows of a chunk: the ASCII unit
// and record separators, which ids and references do not hold in
// practice (and are read again when they do).
const (
	sep    = "\x1f"
	recSep = "\x1e"
)

// readChunk is how many rows one chunk query returns: 0.5 to 1.6 MB of
// text, alive until it is cut. A variable so that a test can make chunks
// small.
var readChunk = 16384

// split cuts line into exactly len(out) fields, without allocating; it
// reports false when the count differs.
func split(line string, out []string) bool {
	for i := range len(out) - 1 {
		j := strings.IndexByte(line, sep[0])
		if j < 0 {
			return false
		}
		out[i], line = line[:j], line[j+1:]
	}
	if strings.IndexByte(line, sep[0]) >= 0 {
		return false
	}
	out[len(out)-1] = line
	return true
}

func parseInt(s string) (int64, error) { return strconv.ParseInt(s, 10, 64) }

// querier is what a reader reads through: its own connection.
type querier interface {
	QueryxContext(ctx context.Context, query string, args ...any) (*sqlx.Rows, error)
	QueryRowxContext(ctx context.Context, query string, args ...any) *sqlx.Row
	GetContext(ctx context.Context, dest any, query string, args ...any) error
}

// tableReader streams one table's rows as text fields: field 0 is the
// rowid, then one per column expression.
type tableReader struct {
	what  string
	table string   // written out in the source, never from input
	cols  []string // SQL expressions, each giving text or an integer, never NULL
}

// chunkQuery returns count, group_concat(...) for the rows after rowid ?2,
// at most ?3 of them; ?1 is sep.
func (r tableReader) chunkQuery() string {
	return `SELECT count(*), group_concat(x, char(30)) FROM (SELECT concat_ws(?1, rowid, ` + strings.Join(r.cols, ", ") +
		`) AS x FROM ` + r.table + ` WHERE rowid > ?2 ORDER BY rowid LIMIT ?3)`
}

// rowsQuery returns the same rows as chunkQuery, one by one, as text
// columns.
func (r tableReader) rowsQuery() string {
	cols := make([]string, len(r.cols))
	for i, c := range r.cols {
		cols[i] = `CAST(` + c + ` AS TEXT)`
	}
	return `SELECT rowid, ` + strings.Join(cols, ", ") + ` FROM ` + r.table + ` WHERE rowid > ?1 ORDER BY rowid LIMIT ?2`
}

// each calls fn with every row's fields, in rowid order; fn must not
// keep f or its strings (clone what it keeps).
func (r tableReader) each(ctx context.Context, q querier, fn func(f []string) error) error {
	chunk, rows := r.chunkQuery(), r.rowsQuery()
	width := 1 + len(r.cols)
	var (
		after  int64
		n      int
		text   sql.NullString
		fields []string // every row's fields, reused from chunk to chunk
	)
	for {
		if err := q.QueryRowxContext(ctx, chunk, sep, after, readChunk).Scan(&n, &text); err != nil {
			return fmt.Errorf("read %s: %w", r.what, err)
		}
		if n == 0 {
			return nil
		}
		fields = slices.Grow(fields[:0], n*width)[:n*width]
		last, ok := cut(text.String, n, after, fields)
		if !ok {
			var err error
			if last, err = r.eachRow(ctx, q, rows, after, fields[:width], fn); err != nil {
				return err
			}
			after = last
			continue
		}
		for i := 0; i < len(fields); i += width {
			if err := fn(fields[i : i+width]); err != nil {
				return fmt.Errorf("read %s: %w", r.what, err)
			}
		}
		after = last
	}
}

// cut cuts a chunk's text into n rows of fields (len(fields)/n each) with
// rowids rising from after, and returns the last rowid. It reports false
// when the text does not cut that way: some value holds a separator.
func cut(text string, n int, after int64, fields []string) (last int64, ok bool) {
	width := len(fields) / n
	last = after
	i := 0
	for line := range strings.SplitSeq(text, recSep) {
		if i == len(fields) || !split(line, fields[i:i+width]) {
			return 0, false
		}
		id, err := parseInt(fields[i])
		if err != nil || id <= last {
			return 0, false
		}
		last = id
		i += width
	}
	return last, i == len(fields)
}

// eachRow reads the chunk after rowid after column by column, for a chunk
// whose text did not cut cleanly, and returns the last rowid.
func (r tableReader) eachRow(ctx context.Context, q querier, query string, after int64, f []string, fn func(f []string) error) (int64, error) {
	rows, err := q.QueryxContext(ctx, query, after, readChunk)
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", r.what, err)
	}
	defer rows.Close()
	vals := make([]sql.NullString, len(f))
	dest := make([]any, len(f))
	for i := range vals {
		dest[i] = &vals[i]
	}
	last := after
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return 0, fmt.Errorf("read %s: %w", r.what, err)
		}
		for i, v := range vals {
			f[i] = v.String
		}
		if last, err = parseInt(f[0]); err != nil {
			return 0, fmt.Errorf("read %s: rowid %q: %w", r.what, f[0], err)
		}
		if err := fn(f); err != nil {
			return 0, fmt.Errorf("read %s: %w", r.what, err)
		}
	}
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("read %s: %w", r.what, err)
	}
	return last, nil
}

var (
	ordersReader = tableReader{what: "orders", table: "orders", cols: []string{"uid", "currency", "amount_minor"}}
	linksReader  = tableReader{what: "payment links", table: "payment_links",
		cols: []string{"uid", "order_uid", "status", "currency", "amount_minor", "COALESCE(CAST(paid_at AS TEXT), '')"}}
	// Transactions come in rowid order; setTxns puts them in id order
	// (they are loaded in that order, so usually nothing moves).
	txnsReader = tableReader{what: "transactions", table: "transactions",
		cols: []string{"oxpay_txn_id", "merchant_reference_id", "oxpay_original_txn_id", "type", "state", "currency",
			"amount_minor", "refund_amount_minor"}}
	// The first 16 characters of the dedup key (hex of a SHA-256) are
	// enough to tell one transaction's notifications apart. The original
	// txn id and merchant_reference_id matter only for deliveries whose
	// transaction has no API record; readOrphanIDs reads them for those.
	// The rowid is the event's id.
	hooksReader = tableReader{what: "webhook events", table: "webhook_events",
		cols: []string{"CAST(received_at AS TEXT)", "oxpay_txn_id", "kind", "state", "currency", "amount_minor",
			"refund_amount_minor", "sig_check", "substr(dedup_key, 1, 16)"}}
	// The rowid is the entry's id.
	entriesReader = tableReader{what: "ledger entries", table: "ledger_entries",
		cols: []string{"CAST(booked_on AS TEXT)", "reference", "currency", "amount_minor"}}
)

// count sizes a slice up front; a wrong guess only costs a regrowth.
func count(ctx context.Context, q querier, query string) int {
	var n int
	if err := q.GetContext(ctx, &n, query); err != nil {
		return 0
	}
	return n
}

// readStore reads everything the rules need and prepares both sides of
// the engine, the two halves at once.
func readStore(ctx context.Context, db *store.DB, opts Options) (*engine, error) {
	x := db.X()
	d := &dataset{syms: newSymbols()}
	e := newEngine(d, opts)
	other := newSymbols() // the second reader's; merged below
	var errA, errB error
	var wg sync.WaitGroup
	wg.Go(func() {
		errA = inSnapshot(ctx, x, func(q querier) error { return readGateway(ctx, q, d) })
		if errA == nil {
			e.prepareGateway()
		}
	})
	wg.Go(func() {
		errB = inSnapshot(ctx, x, func(q querier) error {
			if err := readXepeng(ctx, q, d, other); err != nil {
				return err
			}
			e.prepareXepeng()
			return readLedger(ctx, q, d, other)
		})
	})
	wg.Wait()
	if err := errors.Join(errA, errB); err != nil {
		return nil, err
	}
	// Give the second reader's own codes (values beyond the seeded ones)
	// their numbers in d.syms.
	if len(other.text) > len(seeded) {
		to := make([]sym, len(other.text))
		for c, v := range other.text {
			to[c] = d.syms.of(v)
		}
		for i := range d.orders {
			d.orders[i].currency = to[d.orders[i].currency]
		}
		for i := range d.links {
			l := &d.links[i]
			l.status, l.currency = to[l.status], to[l.currency]
		}
		for i := range d.entries {
			d.entries[i].currency = to[d.entries[i].currency]
		}
	}
	return e, nil
}

// inSnapshot runs fn on a connection of its own inside one read
// transaction. The transaction is begun by hand (BEGIN DEFERRED takes no
// lock until the first read, and then only a read snapshot) and always
// rolled back: it wrote nothing. A connection whose transaction could not
// be ended is dropped from the pool, never reused half-open.
func inSnapshot(ctx context.Context, x *sqlx.DB, fn func(q querier) error) error {
	conn, err := x.Connx(ctx)
	if err != nil {
		return fmt.Errorf("read: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `BEGIN DEFERRED`); err != nil {
		return fmt.Errorf("read: begin: %w", err)
	}
	err = fn(conn)
	if _, rerr := conn.ExecContext(context.Background(), `ROLLBACK`); rerr != nil {
		conn.Raw(func(any) error { return driver.ErrBadConn })
		if err == nil {
			err = fmt.Errorf("read: end: %w", rerr)
		}
	}
	return err
}

// readGateway reads the transactions, then the webhook events.
func readGateway(ctx context.Context, q querier, d *dataset) error {
	s := d.syms
	ts := make([]txn, 0, count(ctx, q, `SELECT COUNT(*) FROM transactions`))
	typ, state, cur := column{s: s}, column{s: s}, column{s: s}
	err := txnsReader.each(ctx, q, func(f []string) error {
		amount, err1 := parseInt(f[7])
		refund, err2 := parseInt(f[8])
		if err := errors.Join(err1, err2); err != nil {
			return fmt.Errorf("transaction %s: %w", f[1], err)
		}
		ts = append(ts, txn{id: strings.Clone(f[1]), ref: strings.Clone(f[2]), orig: strings.Clone(f[3]), typ: typ.of(f[4]),
			state: state.of(f[5]), currency: cur.of(f[6]), amount: amount, refund: refund})
		return nil
	})
	if err != nil {
		return err
	}
	d.setTxns(ts)

	d.hooks = make([]hook, 0, count(ctx, q, `SELECT COUNT(*) FROM webhook_events`))
	orphans := map[int64]int32{}
	kind, sigs := column{s: s}, column{s: s}
	err = hooksReader.each(ctx, q, func(f []string) error {
		id, errID := parseInt(f[0])
		recv, err0 := parseStamp(f[1])
		amount, err1 := parseInt(f[6])
		refund, err2 := parseInt(f[7])
		if err := errors.Join(errID, err0, err1, err2); err != nil {
			return fmt.Errorf("webhook event %s: %w", f[0], err)
		}
		sig := sigs.of(f[8])
		if d.addHook(hook{id: id, recv: recv, kind: kind.of(f[3]), state: state.of(f[4]), sig: sig, currency: cur.of(f[5]),
			amount: amount, refund: refund, dedup: dedupHash(f[9]), trusted: trustedSig(s.str(sig))}, f[2]) {
			o := &d.orphans[len(d.orphans)-1]
			o.txnID = strings.Clone(o.txnID)
			orphans[id] = int32(len(d.orphans) - 1)
		}
		return nil
	})
	if err != nil || len(orphans) == 0 {
		return err
	}
	return readOrphanIDs(ctx, q, d, orphans)
}

// orphanBatch is how many transaction ids one query of readOrphanIDs
// names; past orphanScan orphans (webhooks standing in for the whole
// gateway) one pass over the table is cheaper. A variable so that a test
// can take the other path.
const orphanBatch = 500

var orphanScan = 20000

// readOrphanIDs fills in the original txn id and merchant_reference_id of
// the deliveries (by webhook event id) whose transaction has no API
// record.
func readOrphanIDs(ctx context.Context, q querier, d *dataset, orphans map[int64]int32) error {
	var (
		id        int64
		orig, ref string
	)
	each := func(query string, args ...any) error {
		rows, err := q.QueryxContext(ctx, query, args...)
		if err != nil {
			return fmt.Errorf("read webhook events: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			if err := rows.Scan(&id, &orig, &ref); err != nil {
				return fmt.Errorf("read webhook events: %w", err)
			}
			if o, ok := orphans[id]; ok {
				d.orphans[o].orig, d.orphans[o].ref = orig, ref
			}
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("read webhook events: %w", err)
		}
		return nil
	}
	const cols = `SELECT id, oxpay_original_txn_id, merchant_reference_id FROM webhook_events`
	if len(orphans) > orphanScan {
		return each(cols)
	}
	seen := map[string]bool{}
	var ids []string
	for _, o := range d.orphans {
		if !seen[o.txnID] {
			seen[o.txnID] = true
			ids = append(ids, o.txnID)
		}
	}
	for len(ids) > 0 {
		n := min(len(ids), orphanBatch)
		query, args, err := sqlx.In(cols+` WHERE oxpay_txn_id IN (?)`, ids[:n])
		if err != nil {
			return fmt.Errorf("read webhook events: %w", err)
		}
		if err := each(query, args...); err != nil {
			return err
		}
		ids = ids[n:]
	}
	return nil
}

// readXepeng reads orders and payment links, coding text with s.
func readXepeng(ctx context.Context, q querier, d *dataset, s *symbols) error {
	d.orders = make([]order, 0, count(ctx, q, `SELECT COUNT(*) FROM orders`))
	cur := column{s: s}
	err := ordersReader.each(ctx, q, func(f []string) error {
		amount, err := parseInt(f[3])
		if err != nil {
			return fmt.Errorf("order %s: %w", f[1], err)
		}
		d.orders = append(d.orders, order{uid: strings.Clone(f[1]), currency: cur.of(f[2]), amount: amount})
		return nil
	})
	if err != nil {
		return err
	}
	d.links = make([]link, 0, count(ctx, q, `SELECT COUNT(*) FROM payment_links`))
	status := column{s: s}
	return linksReader.each(ctx, q, func(f []string) error {
		amount, err := parseInt(f[5])
		if err != nil {
			return fmt.Errorf("payment link %s: %w", f[1], err)
		}
		l := link{uid: strings.Clone(f[1]), orderUID: strings.Clone(f[2]), status: status.of(f[3]), currency: cur.of(f[4]), amount: amount}
		if f[6] != "" {
			if l.paidAt, err = parseStamp(f[6]); err != nil {
				return fmt.Errorf("payment link %s: %w", f[1], err)
			}
			l.hasPaidAt = true
		}
		d.links = append(d.links, l)
		return nil
	})
}

// readLedger reads ledger entries and input errors, coding text with s.
func readLedger(ctx context.Context, q querier, d *dataset, s *symbols) error {
	d.entries = make([]entry, 0, count(ctx, q, `SELECT COUNT(*) FROM ledger_entries`))
	cur := column{s: s}
	err := entriesReader.each(ctx, q, func(f []string) error {
		id, err := parseInt(f[0])
		if err != nil {
			return fmt.Errorf("ledger entry %s: %w", f[0], err)
		}
		day, err := parseDay(f[1])
		if err != nil {
			return fmt.Errorf("ledger entry %d: %w", id, err)
		}
		amount, err := parseInt(f[4])
		if err != nil {
			return fmt.Errorf("ledger entry %d: %w", id, err)
		}
		d.entries = append(d.entries, entry{id: id, ref: strings.Clone(f[2]), currency: cur.of(f[3]), day: day, amount: amount})
		return nil
	})
	if err != nil {
		return err
	}
	var ie inputErr
	rows, err := q.QueryxContext(ctx, `SELECT id, source, file, line, text, reason FROM input_errors ORDER BY id`)
	if err != nil {
		return fmt.Errorf("read input errors: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := rows.Scan(&ie.id, &ie.source, &ie.file, &ie.line, &ie.text, &ie.reason); err != nil {
			return fmt.Errorf("read input errors: %w", err)
		}
		d.errs = append(d.errs, ie)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read input errors: %w", err)
	}
	return nil
}

// parseDay reads a YYYY-MM-DD date as days since 1970-01-01.
func parseDay(s string) (int32, error) {
	if len(s) >= 10 && s[4] == '-' && s[7] == '-' {
		y, m, d := digits(s[0:4]), digits(s[5:7]), digits(s[8:10])
		if y >= 0 && m >= 1 && m <= 12 && d >= 1 && (len(s) == 10 || s[10] == ' ' || s[10] == 'T') {
			if t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC); t.Day() == d {
				return dayNumber(t), nil
			}
		}
	}
	return 0, fmt.Errorf("booking date %q is not YYYY-MM-DD", s)
}

// stampLayouts are the forms a TIMESTAMP column takes as text: what
// go-sqlite3 writes (and the store writes the same), and RFC 3339.
var stampLayouts = []string{"2006-01-02 15:04:05.999999999-07:00", time.RFC3339Nano, "2006-01-02 15:04:05.999999999"}

// parseStamp reads a stored time as Unix nanoseconds. The store's own
// form in UTC, "2006-01-02 15:04:05.123+00:00", takes a fast path; any
// other goes through time.Parse.
func parseStamp(s string) (int64, error) {
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
				return t.UnixNano(), nil
			}
		}
	}
	for _, layout := range stampLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UnixNano(), nil
		}
	}
	return 0, fmt.Errorf("time %q is not in a stored form", s)
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
