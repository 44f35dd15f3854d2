package match

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/reconkit/reconkit/store"
)

// How the store is read, and why so.
//
// Each table is read once, keeping only the columns the rules read (never
// raw). Two readers run at once, one per core, each in a read snapshot of
// its own (store.DB.ReadSnapshot: its own connection and transaction, so
// its chunks and tables come from one snapshot; a run is not meant to
// overlap an ingest of the same data anyway): transactions then webhook
// events (resolved to their transaction as they arrive, then indexed),
// and orders, links (then the payables are built), ledger entries and
// input errors.
//
// Rows come back through store.Snapshot.ScanChunked, readChunk rows per
// query, each chunk as one text that the store cuts into fields
// (store/chunked.go says why). Times and dates arrive as text and are
// parsed here, a tenth of the cost of the driver's layout guessing.

// readChunk is how many rows one chunk query returns: 0.5 to 1.6 MB of
// text, alive until it is cut. A variable so that a test can make chunks
// small.
var readChunk = 16384

func parseInt(s string) (int64, error) { return strconv.ParseInt(s, 10, 64) }

// tableReader names one chunked read of a table: the columns, in the
// order fn receives them, are one of the lists the store serves.
type tableReader struct {
	table string
	cols  []string
}

// each calls fn with every row's rowid and fields, in rowid order; fn must
// not keep f or its strings (clone what it keeps).
func (r tableReader) each(ctx context.Context, s *store.Snapshot, fn func(rowid int64, f []string) error) error {
	return s.ScanChunked(ctx, r.table, r.cols, readChunk, fn)
}

var (
	// amount_minor is "" when NULL (unknown: amount_problem says why),
	// and so is paid_at.
	ordersReader = tableReader{table: "orders", cols: []string{"uid", "currency", "amount_minor", "amount_problem"}}
	linksReader  = tableReader{table: "payment_links",
		cols: []string{"uid", "order_uid", "status", "currency", "amount_minor", "amount_problem", "paid_at"}}
	// Transactions come in rowid order; setTxns puts them in id order
	// (they are loaded in that order, so usually nothing moves).
	txnsReader = tableReader{table: "transactions",
		cols: []string{"oxpay_txn_id", "merchant_reference_id", "oxpay_original_txn_id", "type", "state", "currency",
			"amount_minor", "refund_amount_minor"}}
	// The first 16 characters of the dedup key (hex of a SHA-256) are
	// enough to tell one transaction's notifications apart. The original
	// txn id and merchant_reference_id matter only for deliveries whose
	// transaction has no API record; readOrphanIDs reads them for those.
	// The rowid is the event's id.
	hooksReader = tableReader{table: "webhook_events",
		cols: []string{"received_at", "oxpay_txn_id", "kind", "state", "currency", "amount_minor",
			"refund_amount_minor", "sig_check", "dedup_key[:16]"}}
	// The rowid is the entry's id.
	entriesReader = tableReader{table: "ledger_entries", cols: []string{"booked_on", "reference", "currency", "amount_minor"}}
)

// count sizes a slice up front; a wrong guess only costs a regrowth.
func count(ctx context.Context, s *store.Snapshot, table string) int {
	n, err := s.Count(ctx, table)
	if err != nil {
		return 0
	}
	return int(n)
}

// readStore reads everything the rules need and prepares both sides of
// the engine, the two halves at once.
func readStore(ctx context.Context, db *store.DB, opts Options) (*engine, error) {
	d := &dataset{syms: newSymbols()}
	e := newEngine(d, opts)
	other := newSymbols() // the second reader's; merged below
	var errA, errB error
	var wg sync.WaitGroup
	wg.Go(func() {
		errA = inSnapshot(ctx, db, func(s *store.Snapshot) error { return readGateway(ctx, s, d) })
		if errA == nil {
			e.prepareGateway()
		}
	})
	wg.Go(func() {
		errB = inSnapshot(ctx, db, func(s *store.Snapshot) error {
			if err := readXepeng(ctx, s, d, other); err != nil {
				return err
			}
			e.prepareXepeng()
			return readLedger(ctx, s, d, other)
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

// inSnapshot runs fn in a read snapshot of its own, and ends it.
func inSnapshot(ctx context.Context, db *store.DB, fn func(s *store.Snapshot) error) error {
	s, err := db.ReadSnapshot(ctx)
	if err != nil {
		return err
	}
	err = fn(s)
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	return err
}

// readGateway reads the transactions, then the webhook events.
func readGateway(ctx context.Context, sn *store.Snapshot, d *dataset) error {
	s := d.syms
	ts := make([]txn, 0, count(ctx, sn, "transactions"))
	typ, state, cur := column{s: s}, column{s: s}, column{s: s}
	err := txnsReader.each(ctx, sn, func(_ int64, f []string) error {
		amount, err1 := parseInt(f[6])
		refund, err2 := parseInt(f[7])
		if err := errors.Join(err1, err2); err != nil {
			return fmt.Errorf("transaction %s: %w", f[0], err)
		}
		ts = append(ts, txn{id: strings.Clone(f[0]), ref: strings.Clone(f[1]), orig: strings.Clone(f[2]), typ: typ.of(f[3]),
			state: state.of(f[4]), currency: cur.of(f[5]), amount: amount, refund: refund})
		return nil
	})
	if err != nil {
		return err
	}
	d.setTxns(ts)

	d.hooks = make([]hook, 0, count(ctx, sn, "webhook_events"))
	orphans := map[int64]int32{}
	kind, sigs := column{s: s}, column{s: s}
	err = hooksReader.each(ctx, sn, func(id int64, f []string) error {
		recv, err0 := parseStamp(f[0])
		amount, err1 := parseInt(f[5])
		refund, err2 := parseInt(f[6])
		if err := errors.Join(err0, err1, err2); err != nil {
			return fmt.Errorf("webhook event %d: %w", id, err)
		}
		sig := sigs.of(f[7])
		if d.addHook(hook{id: id, recv: recv, kind: kind.of(f[2]), state: state.of(f[3]), sig: sig, currency: cur.of(f[4]),
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
	return readOrphanIDs(ctx, sn, d, orphans)
}

// orphanScan is how many orphans (webhooks standing in for the whole
// gateway) make one pass over the table cheaper than looking up each
// one's transaction id. A variable so that a test can take the other
// path.
var orphanScan = 20000

// readOrphanIDs fills in the original txn id and merchant_reference_id of
// the deliveries (by webhook event id) whose transaction has no API
// record.
func readOrphanIDs(ctx context.Context, s *store.Snapshot, d *dataset, orphans map[int64]int32) error {
	set := func(id int64, orig, ref string) error {
		if o, ok := orphans[id]; ok {
			d.orphans[o].orig, d.orphans[o].ref = orig, ref
		}
		return nil
	}
	if len(orphans) > orphanScan {
		return s.WebhookReferences(ctx, set)
	}
	seen := map[string]bool{}
	var ids []string
	for _, o := range d.orphans {
		if !seen[o.txnID] {
			seen[o.txnID] = true
			ids = append(ids, o.txnID)
		}
	}
	return s.WebhookReferencesOf(ctx, ids, set)
}

// knownAmount reads a stored amount beside its problem: an amount with
// a problem is unknown and stored as NULL, and any other pairing is a
// store that does not hold to its own schema.
func knownAmount(amount, problem string) (int64, error) {
	switch {
	case problem != "" && amount == "":
		return noAmount, nil
	case problem != "":
		return 0, fmt.Errorf("amount %s stored beside the problem %q", amount, problem)
	case amount == "":
		return 0, fmt.Errorf("amount is NULL with no problem stored")
	}
	return parseInt(amount)
}

// readXepeng reads orders and payment links, coding text with s.
func readXepeng(ctx context.Context, sn *store.Snapshot, d *dataset, s *symbols) error {
	d.orders = make([]order, 0, count(ctx, sn, "orders"))
	d.amountProblems = nil
	cur := column{s: s}
	err := ordersReader.each(ctx, sn, func(_ int64, f []string) error {
		amount, err := knownAmount(f[2], f[3])
		if err != nil {
			return fmt.Errorf("order %s: %w", f[0], err)
		}
		d.addOrder(order{uid: strings.Clone(f[0]), currency: cur.of(f[1]), amount: amount}, strings.Clone(f[3]))
		return nil
	})
	if err != nil {
		return err
	}
	d.links = make([]link, 0, count(ctx, sn, "payment_links"))
	status := column{s: s}
	return linksReader.each(ctx, sn, func(_ int64, f []string) error {
		amount, err := knownAmount(f[4], f[5])
		if err != nil {
			return fmt.Errorf("payment link %s: %w", f[0], err)
		}
		l := link{uid: strings.Clone(f[0]), orderUID: strings.Clone(f[1]), status: status.of(f[2]), currency: cur.of(f[3]), amount: amount}
		if f[6] != "" {
			if l.paidAt, err = parseStamp(f[6]); err != nil {
				return fmt.Errorf("payment link %s: %w", f[0], err)
			}
			l.hasPaidAt = true
		}
		d.addLink(l, strings.Clone(f[5]))
		return nil
	})
}

// readLedger reads ledger entries and input errors, coding text with s.
func readLedger(ctx context.Context, sn *store.Snapshot, d *dataset, s *symbols) error {
	d.entries = make([]entry, 0, count(ctx, sn, "ledger_entries"))
	cur := column{s: s}
	err := entriesReader.each(ctx, sn, func(id int64, f []string) error {
		day, err := parseDay(f[0])
		if err != nil {
			return fmt.Errorf("ledger entry %d: %w", id, err)
		}
		amount, err := parseInt(f[3])
		if err != nil {
			return fmt.Errorf("ledger entry %d: %w", id, err)
		}
		d.entries = append(d.entries, entry{id: id, ref: strings.Clone(f[1]), currency: cur.of(f[2]), day: day, amount: amount})
		return nil
	})
	if err != nil {
		return err
	}
	ies, err := sn.InputErrors(ctx)
	if err != nil {
		return err
	}
	for _, ie := range ies {
		d.errs = append(d.errs, inputErr{id: ie.ID, source: ie.Source, file: ie.File, line: ie.Line, text: ie.Text, reason: ie.Reason})
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
