package match

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/reconkit/reconkit/store"
)

// How the store is read, and why so.
//
// Each table is read once, keeping only the columns the rules read (never
// raw). Two readers run at once, one per core, each in a read snapshot of
// its own (Store.ReadSnapshot: its own connection and transaction, so
// its batches and tables come from one snapshot; a run is not meant to
// overlap an ingest of the same data anyway): transactions then webhook
// events (resolved to their transaction as they arrive, then indexed),
// and orders, links (then the payables are built), ledger entries and
// input errors.
//
// Rows come decoded (store.OrderRow and the rest), in batches whose
// strings the store may reuse: what is kept is cloned here.

// Store is the database as Run uses it: read snapshots (two at once),
// and a load to write the run's results in.
type Store interface {
	ReadSnapshot(ctx context.Context) (store.Snapshot, error)
	BeginLoad(ctx context.Context) (store.Load, error)
}

// size sizes the slice of a table's rows (kind: store.Keyed*) up front
// and notes the size in d.sized; a wrong guess only costs a regrowth.
func (d *dataset) size(ctx context.Context, s store.Snapshot, kind int, table string) int {
	n, err := s.Count(ctx, table)
	if err != nil {
		n = 0
	}
	d.sized[kind] = int(n)
	return int(n)
}

// readStore reads everything the rules need and prepares both sides of
// the engine, the two halves at once: with an incremental plan, only the
// rows the night reaches (incremental.go). It returns the engine and the
// mark of what it read.
func readStore(ctx context.Context, db Store, opts Options, inc *incremental) (*engine, store.Mark, error) {
	d := &dataset{syms: newSymbols()}
	e := newEngine(d, opts)
	other := newSymbols() // the second reader's; merged below
	// Two snapshots, one a reader: they take the mark and find the scope
	// first, together.
	first, err := db.ReadSnapshot(ctx)
	if err != nil {
		return nil, store.Mark{}, err
	}
	second, err := db.ReadSnapshot(ctx)
	if err != nil {
		first.Close()
		return nil, store.Mark{}, err
	}
	mark, err := markAndScope(ctx, first, second, inc)
	if err != nil {
		first.Close()
		second.Close()
		return nil, store.Mark{}, err
	}
	var errA, errB error
	var wg sync.WaitGroup
	wg.Go(func() {
		errA = readGateway(ctx, first, d)
		if cerr := first.Close(); errA == nil {
			errA = cerr
		}
		if errA == nil {
			e.prepareGateway()
		}
	})
	wg.Go(func() {
		errB = func(s store.Snapshot) error {
			if err := readXepeng(ctx, s, d, other); err != nil {
				return err
			}
			e.prepareXepeng()
			if err := readLedger(ctx, s, d, other); err != nil {
				return err
			}
			if opts.Settlement != nil {
				return readLedgerTexts(ctx, s, d)
			}
			return nil
		}(second)
		if cerr := second.Close(); errB == nil {
			errB = cerr
		}
	})
	wg.Wait()
	if err := errors.Join(errA, errB); err != nil {
		return nil, store.Mark{}, err
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
	return e, mark, nil
}

// markAndScope takes the mark of snapshot a and, with an incremental
// plan, finds the night's scope in a and b and restricts both to it.
func markAndScope(ctx context.Context, a, b store.Snapshot, inc *incremental) (store.Mark, error) {
	mark, err := a.Mark(ctx)
	if err != nil || inc == nil {
		return mark, err
	}
	sc, err := inc.close(ctx, a, b)
	if err != nil {
		return mark, err
	}
	for _, s := range []store.Snapshot{a, b} {
		if err := s.Restrict(ctx, sc); err != nil {
			return mark, err
		}
	}
	return mark, nil
}

// readGateway reads the transactions, then the webhook events.
func readGateway(ctx context.Context, sn store.Snapshot, d *dataset) error {
	s := d.syms
	ts := make([]txn, 0, d.size(ctx, sn, store.KeyedTxn, "transactions"))
	typ, state, cur, brand := column{s: s}, column{s: s}, column{s: s}, column{s: s}
	err := sn.Transactions(ctx, func(rs []store.TxnRow) error {
		for i := range rs {
			r := &rs[i]
			ts = append(ts, txn{id: strings.Clone(r.OxpayTxnID), ref: strings.Clone(r.MerchantReferenceID), orig: strings.Clone(r.OriginalTxnID),
				typ: typ.of(r.Type), state: state.of(r.State), currency: cur.of(r.Currency), brand: brand.of(r.Brand),
				amount: r.AmountMinor, refund: r.RefundAmountMinor})
		}
		return nil
	})
	if err != nil {
		return err
	}
	d.setTxns(ts)

	d.hooks = make([]hook, 0, d.size(ctx, sn, store.KeyedHook, "webhook_events"))
	orphans := map[int64]int32{}
	kind, sigs := column{s: s}, column{s: s}
	err = sn.WebhookEvents(ctx, func(rs []store.HookRow) error {
		for i := range rs {
			r := &rs[i]
			sig := sigs.of(r.SigCheck)
			if d.addHook(hook{id: r.ID, recv: r.ReceivedAt.UnixNano(), kind: kind.of(r.Kind), state: state.of(r.State), sig: sig,
				currency: cur.of(r.Currency), amount: r.AmountMinor, refund: r.RefundAmountMinor, dedup: dedupHash(r.DedupPrefix),
				trusted: trustedSig(s.str(sig))}, r.OxpayTxnID) {
				o := &d.orphans[len(d.orphans)-1]
				o.txnID = strings.Clone(o.txnID)
				orphans[r.ID] = int32(len(d.orphans) - 1)
			}
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
func readOrphanIDs(ctx context.Context, s store.Snapshot, d *dataset, orphans map[int64]int32) error {
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
func knownAmount(amount int64, known bool, problem string) (int64, error) {
	switch {
	case problem != "" && !known:
		return noAmount, nil
	case problem != "":
		return 0, fmt.Errorf("amount %d stored beside the problem %q", amount, problem)
	case !known:
		return 0, fmt.Errorf("amount is NULL with no problem stored")
	}
	return amount, nil
}

// readXepeng reads orders and payment links, coding text with s.
func readXepeng(ctx context.Context, sn store.Snapshot, d *dataset, s *symbols) error {
	d.orders = make([]order, 0, d.size(ctx, sn, store.KeyedOrder, "orders"))
	d.amountProblems = nil
	cur := column{s: s}
	err := sn.Orders(ctx, func(rs []store.OrderRow) error {
		for i := range rs {
			r := &rs[i]
			amount, err := knownAmount(r.AmountMinor, r.AmountKnown, r.AmountProblem)
			if err != nil {
				return fmt.Errorf("order %s: %w", r.UID, err)
			}
			d.addOrder(order{uid: strings.Clone(r.UID), currency: cur.of(r.Currency), amount: amount}, strings.Clone(r.AmountProblem))
		}
		return nil
	})
	if err != nil {
		return err
	}
	d.links = make([]link, 0, d.size(ctx, sn, store.KeyedLink, "payment_links"))
	status := column{s: s}
	return sn.PaymentLinks(ctx, func(rs []store.LinkRow) error {
		for i := range rs {
			r := &rs[i]
			amount, err := knownAmount(r.AmountMinor, r.AmountKnown, r.AmountProblem)
			if err != nil {
				return fmt.Errorf("payment link %s: %w", r.UID, err)
			}
			l := link{uid: strings.Clone(r.UID), orderUID: strings.Clone(r.OrderUID), status: status.of(r.Status), currency: cur.of(r.Currency), amount: amount}
			if !r.PaidAt.IsZero() {
				l.paidAt, l.hasPaidAt = r.PaidAt.UnixNano(), true
			}
			d.addLink(l, strings.Clone(r.AmountProblem))
		}
		return nil
	})
}

// readLedger reads ledger entries and input errors, coding text with s.
func readLedger(ctx context.Context, sn store.Snapshot, d *dataset, s *symbols) error {
	d.entries = make([]entry, 0, d.size(ctx, sn, store.KeyedLedger, "ledger_entries"))
	cur := column{s: s}
	err := sn.LedgerEntries(ctx, func(rs []store.EntryRow) error {
		for i := range rs {
			r := &rs[i]
			d.entries = append(d.entries, entry{id: r.ID, ref: strings.Clone(r.Reference), currency: cur.of(r.Currency),
				day: dayNumber(r.BookedOn), amount: r.AmountMinor})
		}
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

// readLedgerTexts reads, for the settlement step, every ledger line's
// description and stated fee, beside the entries read before (both in
// id order).
func readLedgerTexts(ctx context.Context, sn store.Snapshot, d *dataset) error {
	d.texts = make([]entryText, len(d.entries))
	n := 0
	err := sn.LedgerTexts(ctx, func(rs []store.EntryTextRow) error {
		for i := range rs {
			r := &rs[i]
			if n >= len(d.entries) || d.entries[n].id != r.ID {
				return fmt.Errorf("ledger entry %d: its description came apart from its entry (ledger changed while read?)", r.ID)
			}
			d.texts[n] = entryText{desc: strings.Clone(r.Description), fee: r.FeeMinor, hasFee: r.HasFee}
			n++
		}
		return nil
	})
	if err == nil && n != len(d.entries) {
		err = fmt.Errorf("read %d ledger descriptions for %d entries (ledger changed while read?)", n, len(d.entries))
	}
	return err
}
