package match

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/reconkit/reconkit/store"
)

// How the store is read, and why so.
//
// Each table is streamed once, in one query, keeping only the columns the
// rules read (never raw). Two readers run at once on their own
// connections, one per core: transactions then webhook events (resolved to
// their transaction as they arrive, then indexed), and orders, links
// (then the payables are built), ledger entries and input errors.
//
// A row comes back as its key plus one text column, the other values
// joined by concat_ws with a separator bound as a parameter (concat_ws is
// in SQLite and PostgreSQL alike). At a million rows per table the
// per-column work of database/sql and the driver (a call, a string and an
// interface per value) cost more than a third of the read; one string per
// row split here costs far less. A value that holds the separator itself
// makes the row split into the wrong number of fields: that row is read
// again by its key, column by column. Times and dates arrive as text and
// are parsed here, a tenth of the cost of the driver's layout guessing.
//
// The database is read without a transaction: the DSN's _txlock=immediate
// would make a read transaction take the write lock. Each query sees a
// consistent snapshot of its table (WAL), and a run is not meant to
// overlap an ingest of the same data.

// sep joins a row's values: the ASCII unit separator, which ids and
// references do not hold in practice (and are re-read when they do).
const sep = "\x1f"

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

// rowReader streams one table: key and joined values per row, with a
// fallback query that returns the values of one key as columns.
type rowReader[K any] struct {
	what     string
	query    string // SELECT key, concat_ws(?, cols...) ... ; ? is the separator
	fallback string // SELECT cols... WHERE key = ?
	fields   int
}

// each calls fn with every row's key and fields.
func (r rowReader[K]) each(ctx context.Context, x *sqlx.DB, fn func(key K, f []string) error) error {
	rows, err := x.QueryxContext(ctx, r.query, sep)
	if err != nil {
		return fmt.Errorf("read %s: %w", r.what, err)
	}
	defer rows.Close()
	var (
		key  K
		line string
	)
	f := make([]string, r.fields)
	for rows.Next() {
		if err := rows.Scan(&key, &line); err != nil {
			return fmt.Errorf("read %s: %w", r.what, err)
		}
		if !split(line, f) {
			if err := r.refetch(ctx, x, key, f); err != nil {
				return err
			}
		}
		if err := fn(key, f); err != nil {
			return fmt.Errorf("read %s: %w", r.what, err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read %s: %w", r.what, err)
	}
	return nil
}

// refetch reads one row's values as columns, for a row whose values hold
// the separator. Every value comes back as text (CAST in the fallback
// query), and NULL as "".
func (r rowReader[K]) refetch(ctx context.Context, x *sqlx.DB, key K, f []string) error {
	vals := make([]*string, len(f))
	dest := make([]any, len(f))
	for i := range vals {
		dest[i] = &vals[i]
	}
	if err := x.QueryRowxContext(ctx, r.fallback, key).Scan(dest...); err != nil {
		return fmt.Errorf("read %s %v: %w", r.what, key, err)
	}
	for i, v := range vals {
		f[i] = ""
		if v != nil {
			f[i] = strings.Clone(*v)
		}
	}
	return nil
}

var (
	ordersReader = rowReader[string]{
		what:     "orders",
		query:    `SELECT uid, concat_ws(?, currency, amount_minor) FROM orders`,
		fallback: `SELECT currency, CAST(amount_minor AS TEXT) FROM orders WHERE uid = ?`,
		fields:   2,
	}
	linksReader = rowReader[string]{
		what: "payment links",
		query: `SELECT uid, concat_ws(?, order_uid, status, currency, amount_minor, COALESCE(CAST(paid_at AS TEXT), ''))
FROM payment_links`,
		fallback: `SELECT order_uid, status, currency, CAST(amount_minor AS TEXT), CAST(paid_at AS TEXT) FROM payment_links WHERE uid = ?`,
		fields:   5,
	}
	txnsReader = rowReader[string]{
		what: "transactions",
		query: `SELECT oxpay_txn_id, concat_ws(?, merchant_reference_id, oxpay_original_txn_id, type, state, currency,
    amount_minor, refund_amount_minor)
FROM transactions ORDER BY oxpay_txn_id`,
		fallback: `SELECT merchant_reference_id, oxpay_original_txn_id, type, state, currency, CAST(amount_minor AS TEXT),
    CAST(refund_amount_minor AS TEXT) FROM transactions WHERE oxpay_txn_id = ?`,
		fields: 7,
	}
	// The first 16 characters of the dedup key (hex of a SHA-256) are
	// enough to tell one transaction's notifications apart. The original
	// txn id and merchant_reference_id matter only for deliveries whose
	// transaction has no API record; readOrphanIDs reads them for those.
	hooksReader = rowReader[int64]{
		what: "webhook events",
		query: `SELECT id, concat_ws(?, CAST(received_at AS TEXT), oxpay_txn_id, kind, state, currency, amount_minor,
    refund_amount_minor, sig_check, substr(dedup_key, 1, 16))
FROM webhook_events ORDER BY id`,
		fallback: `SELECT CAST(received_at AS TEXT), oxpay_txn_id, kind, state, currency, CAST(amount_minor AS TEXT),
    CAST(refund_amount_minor AS TEXT), sig_check, substr(dedup_key, 1, 16) FROM webhook_events WHERE id = ?`,
		fields: 9,
	}
	entriesReader = rowReader[int64]{
		what:     "ledger entries",
		query:    `SELECT id, concat_ws(?, CAST(booked_on AS TEXT), reference, currency, amount_minor) FROM ledger_entries ORDER BY id`,
		fallback: `SELECT CAST(booked_on AS TEXT), reference, currency, CAST(amount_minor AS TEXT) FROM ledger_entries WHERE id = ?`,
		fields:   4,
	}
)

// count sizes a slice up front; a wrong guess only costs a regrowth.
func count(ctx context.Context, x *sqlx.DB, q string) int {
	var n int
	if err := x.GetContext(ctx, &n, q); err != nil {
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
		if errA = readGateway(ctx, x, d); errA == nil {
			e.prepareGateway()
		}
	})
	wg.Go(func() {
		if errB = readXepeng(ctx, x, d, other); errB == nil {
			e.prepareXepeng()
			errB = readLedger(ctx, x, d, other)
		}
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

// readGateway reads the transactions, then the webhook events.
func readGateway(ctx context.Context, x *sqlx.DB, d *dataset) error {
	s := d.syms
	ts := make([]txn, 0, count(ctx, x, `SELECT COUNT(*) FROM transactions`))
	err := txnsReader.each(ctx, x, func(id string, f []string) error {
		amount, err1 := parseInt(f[5])
		refund, err2 := parseInt(f[6])
		if err := errors.Join(err1, err2); err != nil {
			return fmt.Errorf("transaction %s: %w", id, err)
		}
		ts = append(ts, txn{id: id, ref: strings.Clone(f[0]), orig: strings.Clone(f[1]), typ: s.of(f[2]),
			state: s.of(f[3]), currency: s.of(f[4]), amount: amount, refund: refund})
		return nil
	})
	if err != nil {
		return err
	}
	d.setTxns(ts)

	d.hooks = make([]hook, 0, count(ctx, x, `SELECT COUNT(*) FROM webhook_events`))
	orphans := map[int64]int32{}
	err = hooksReader.each(ctx, x, func(id int64, f []string) error {
		recv, err0 := parseStamp(f[0])
		amount, err1 := parseInt(f[5])
		refund, err2 := parseInt(f[6])
		if err := errors.Join(err0, err1, err2); err != nil {
			return fmt.Errorf("webhook event %d: %w", id, err)
		}
		sig := s.of(f[7])
		if d.addHook(hook{id: id, recv: recv, kind: s.of(f[2]), state: s.of(f[3]), sig: sig, currency: s.of(f[4]),
			amount: amount, refund: refund, dedup: dedupHash(f[8]), trusted: trustedSig(s.str(sig))}, f[1]) {
			o := &d.orphans[len(d.orphans)-1]
			o.txnID = strings.Clone(o.txnID)
			orphans[id] = int32(len(d.orphans) - 1)
		}
		return nil
	})
	if err != nil || len(orphans) == 0 {
		return err
	}
	return readOrphanIDs(ctx, x, d, orphans)
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
func readOrphanIDs(ctx context.Context, x *sqlx.DB, d *dataset, orphans map[int64]int32) error {
	var (
		id        int64
		orig, ref string
	)
	each := func(q string, args ...any) error {
		rows, err := x.QueryxContext(ctx, q, args...)
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
		q, args, err := sqlx.In(cols+` WHERE oxpay_txn_id IN (?)`, ids[:n])
		if err != nil {
			return fmt.Errorf("read webhook events: %w", err)
		}
		if err := each(x.Rebind(q), args...); err != nil {
			return err
		}
		ids = ids[n:]
	}
	return nil
}

// readXepeng reads orders and payment links, coding text with s.
func readXepeng(ctx context.Context, x *sqlx.DB, d *dataset, s *symbols) error {
	d.orders = make([]order, 0, count(ctx, x, `SELECT COUNT(*) FROM orders`))
	err := ordersReader.each(ctx, x, func(uid string, f []string) error {
		amount, err := parseInt(f[1])
		if err != nil {
			return fmt.Errorf("order %s: %w", uid, err)
		}
		d.orders = append(d.orders, order{uid: uid, currency: s.of(f[0]), amount: amount})
		return nil
	})
	if err != nil {
		return err
	}
	d.links = make([]link, 0, count(ctx, x, `SELECT COUNT(*) FROM payment_links`))
	return linksReader.each(ctx, x, func(uid string, f []string) error {
		amount, err := parseInt(f[3])
		if err != nil {
			return fmt.Errorf("payment link %s: %w", uid, err)
		}
		l := link{uid: uid, orderUID: strings.Clone(f[0]), status: s.of(f[1]), currency: s.of(f[2]), amount: amount}
		if f[4] != "" {
			if l.paidAt, err = parseStamp(f[4]); err != nil {
				return fmt.Errorf("payment link %s: %w", uid, err)
			}
			l.hasPaidAt = true
		}
		d.links = append(d.links, l)
		return nil
	})
}

// readLedger reads ledger entries and input errors, coding text with s.
func readLedger(ctx context.Context, x *sqlx.DB, d *dataset, s *symbols) error {
	d.entries = make([]entry, 0, count(ctx, x, `SELECT COUNT(*) FROM ledger_entries`))
	err := entriesReader.each(ctx, x, func(id int64, f []string) error {
		day, err := parseDay(f[0])
		if err != nil {
			return fmt.Errorf("ledger entry %d: %w", id, err)
		}
		amount, err := parseInt(f[3])
		if err != nil {
			return fmt.Errorf("ledger entry %d: %w", id, err)
		}
		d.entries = append(d.entries, entry{id: id, ref: strings.Clone(f[1]), currency: s.of(f[2]), day: day, amount: amount})
		return nil
	})
	if err != nil {
		return err
	}
	var ie inputErr
	rows, err := x.QueryxContext(ctx, `SELECT id, source, file, line, text, reason FROM input_errors ORDER BY id`)
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
