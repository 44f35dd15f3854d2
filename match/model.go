package match

import (
	"hash/fnv"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/store"
	"github.com/reconkit/reconkit/wire"
)

// The engine works on compact copies of the input rows: only the fields
// it reads, low-cardinality text (states, currencies, types) as small
// codes, times as Unix nanoseconds and dates as day numbers. At a million
// orders the recon rows with their raw records and time.Time fields
// would not fit the memory budget; these do.

// sym is a code for one of the few distinct values of a text column.
type sym uint32

// symbols interns low-cardinality text. Code 0 is "".
type symbols struct {
	code map[string]sym
	text []string
}

// seeded lists the values every symbols table starts with, in this
// order, so that two tables filled apart (by the two store readers) give
// these the same codes and the rules can compare codes from either.
var seeded = []string{
	"",
	wire.LinkPending, wire.LinkPaid, wire.LinkExpired, wire.LinkCancelled, wire.LinkInactive,
	wire.TypeSale, wire.TypeVoid, wire.TypeRefund, wire.TypeCapture,
	wire.StateAuthorized, wire.StateCaptureRejected, wire.StateCaptureSubmitted, wire.StateCaptured,
	wire.StateError, wire.StatePending, wire.StateRefunded, wire.StateRejected, wire.StateRequested,
	wire.StateSale, wire.StateSuccess, wire.StateVoided,
	wire.WebhookPayment, wire.WebhookRefund, wire.WebhookVoid,
	recon.SigRaw, recon.SigCompact, recon.SigInvalid, recon.SigUnsigned,
	"IDR", "SGD", "MYR", "USD", "EUR", "AUD", "CNY", "GBP", "HKD", "INR", "JPY", "KRW", "PHP", "THB", "VND",
}

func newSymbols() *symbols {
	s := &symbols{code: make(map[string]sym, 64), text: make([]string, 0, 64)}
	for _, v := range seeded {
		if _, dup := s.code[v]; !dup {
			s.code[v] = sym(len(s.text))
			s.text = append(s.text, v)
		}
	}
	return s
}

// of returns v's code, giving it the next one the first time. A new
// value is copied: v may point into a batch the store reuses
// (store.Snapshot), and the table keeps its values for the whole run.
func (s *symbols) of(v string) sym {
	if c, ok := s.code[v]; ok {
		return c
	}
	v = strings.Clone(v)
	c := sym(len(s.text))
	s.code[v] = c
	s.text = append(s.text, v)
	return c
}

func (s *symbols) str(c sym) string { return s.text[c] }

// column interns one column's values as they stream past: a value equal
// to the previous row's (most are: one currency, a few states) costs a
// string comparison instead of a map lookup.
type column struct {
	s    *symbols
	last sym
}

func (c *column) of(v string) sym {
	if c.s.text[c.last] != v {
		c.last = c.s.of(v)
	}
	return c.last
}

// noAmount is the amount of an order or link whose amount could not be
// read (its amountProblem says why): a value no real amount has, so that
// it is never taken for 0. Every rule that compares amounts checks for
// it first.
const noAmount = math.MinInt64

type order struct {
	uid      string
	currency sym
	amount   int64 // noAmount: unknown
}

// amountProblem is an order (or link: order -1) whose amount could not be
// read, and why.
type amountProblem struct {
	order, link int32
	text        string
}

type link struct {
	uid, orderUID string
	status        sym
	currency      sym
	amount        int64 // noAmount: unknown
	paidAt        int64 // Unix ns, when hasPaidAt
	hasPaidAt     bool
}

// txn is a gateway transaction: an API row, or a stand-in built from its
// signed webhooks (fromHook), or a ghost: an id known only from webhooks
// whose signature failed, kept so those can be reported and never
// matched.
type txn struct {
	id, orig, ref string
	amount        int64
	refund        int64
	// firstSigned is the earliest signed delivery's receipt (Unix ns),
	// when hasSigned.
	firstSigned int64
	typ, state  sym
	currency    sym
	brand       sym // payment_brand, for the settlement fee schedule

	payable  int32 // -1: its merchant_reference_id matches nothing
	origIdx  int32 // the transaction a refund or void names (or a void was linked to by reference), -1
	hookHead int32 // deliveries, in input order, chained by hook.next
	hookTail int32
	lineHead int32 // ledger lines resolved to it, chained by entry.next
	line     int32 // the ledger line it was paired with, -1
	latest   int32 // the latest signed notification, -1

	hasSigned bool
	fromHook  bool
	ghost     bool
	// voidedBy is set when a VOID transaction reverses this sale.
	voidedBy bool
	// explained: a candidate of an AMBIGUOUS_MATCH, so a missing ledger
	// line is already reported there.
	explained bool
	unclean   bool
	// batched: in a settlement batch, so its settlement is the batch's
	// (checkMissing leaves it alone).
	batched bool
}

// hook is one webhook delivery. It holds no pointers, so the garbage
// collector never scans the million of them: the transaction is an index
// resolved while reading, and the ids of a delivery for an id the API did
// not report live in orphanHook.
type hook struct {
	id, recv       int64 // recv: Unix ns
	amount, refund int64
	dedup          uint64
	txn            int32 // index into dataset.txns, -1 for an orphan
	orphan         int32 // index into dataset.orphans, -1
	next           int32
	kind, state    sym
	sig, currency  sym
	trusted        bool
}

// orphanHook holds the ids of a delivery whose oxpay_txn_id has no API
// record.
type orphanHook struct{ txnID, orig, ref string }

type entry struct {
	id       int64
	ref      string
	currency sym
	day      int32 // booking date as days since 1970-01-01
	amount   int64 // signed: debits negative
	next     int32
}

// entryText is what the settlement step reads of a ledger line besides
// its entry: its description and the fee it states.
type entryText struct {
	desc   string
	fee    int64
	hasFee bool
}

type inputErr struct {
	id                         int64
	source, file, text, reason string
	line                       int
}

// dataset is the engine's input. Rows are added in a fixed order:
// transactions (then setTxns), webhook deliveries (addHook resolves each
// to its transaction), and the rest in any order.
type dataset struct {
	// sized is how many rows of each table (store.Keyed*) the store
	// said it would read, as the slices below were sized.
	sized   [store.KeyedLedger + 1]int
	syms    *symbols
	orders  []order
	links   []link
	txns    []txn  // API rows, in natural id order after setTxns
	byID    *index // txns by id
	hooks   []hook
	orphans []orphanHook
	entries []entry
	// texts, beside entries, is read only for the settlement step.
	texts []entryText
	errs  []inputErr
	// amountProblems lists the orders and links whose amount is noAmount.
	amountProblems []amountProblem
}

// addOrder appends an order; problem is why its amount is unknown ("":
// it is known).
func (d *dataset) addOrder(o order, problem string) {
	if problem != "" {
		o.amount = noAmount
		d.amountProblems = append(d.amountProblems, amountProblem{order: int32(len(d.orders)), link: -1, text: problem})
	}
	d.orders = append(d.orders, o)
}

// addLink appends a payment link; problem as for addOrder.
func (d *dataset) addLink(l link, problem string) {
	if problem != "" {
		l.amount = noAmount
		d.amountProblems = append(d.amountProblems, amountProblem{order: -1, link: int32(len(d.links)), text: problem})
	}
	d.links = append(d.links, l)
}

// setTxns takes the API transactions, puts them in natural id order
// (the store hands them over sorted, so usually nothing moves) and
// indexes them by id. An id given twice keeps its first row.
func (d *dataset) setTxns(ts []txn) {
	less := func(a, b txn) int { return compareIDs(a.id, b.id) }
	if !slices.IsSortedFunc(ts, less) {
		slices.SortStableFunc(ts, less)
	}
	ts = slices.CompactFunc(ts, func(a, b txn) bool { return a.id == b.id })
	d.txns = ts
	d.byID = newIndex(len(ts)+len(ts)/8, func(i int32) string { return d.txns[i].id })
	for i := range ts {
		d.byID.put(ts[i].id, int32(i))
	}
}

// addHook adds a delivery, resolving its transaction by id. It reports
// whether the id has no API record: the caller then owes the delivery's
// original txn id and merchant_reference_id (setOrphanIDs).
func (d *dataset) addHook(h hook, txnID string) (orphan bool) {
	h.next, h.orphan = -1, -1
	if t, ok := d.byID.get(txnID); ok {
		h.txn = t
	} else {
		h.txn = -1
		h.orphan = int32(len(d.orphans))
		d.orphans = append(d.orphans, orphanHook{txnID: txnID})
	}
	d.hooks = append(d.hooks, h)
	return h.txn < 0
}

func dedupHash(key string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(key))
	return h.Sum64()
}

// dayNumber is the calendar date of t in its own location as days since
// 1970-01-01.
func dayNumber(t time.Time) int32 {
	y, m, d := t.Date()
	return int32(floorDiv(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix(), 86400))
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func dayTime(d int32) time.Time { return time.Unix(int64(d)*86400, 0).UTC() }

// fromInput copies recon rows into the engine's model.
func fromInput(in Input) *dataset {
	s := newSymbols()
	d := &dataset{syms: s}
	d.orders = make([]order, 0, len(in.Orders))
	for _, o := range in.Orders {
		d.addOrder(order{uid: o.UID, currency: s.of(o.Currency), amount: o.AmountMinor}, o.AmountProblem)
	}
	d.links = make([]link, 0, len(in.Links))
	for _, l := range in.Links {
		k := link{uid: l.UID, orderUID: l.OrderUID, status: s.of(l.Status), currency: s.of(l.Currency), amount: l.AmountMinor}
		if l.PaidAt != nil {
			k.paidAt, k.hasPaidAt = l.PaidAt.UnixNano(), true
		}
		d.addLink(k, l.AmountProblem)
	}
	ts := make([]txn, len(in.Transactions))
	for i, t := range in.Transactions {
		ts[i] = txn{id: t.OxpayTxnID, orig: t.OriginalTxnID, ref: t.MerchantReferenceID, typ: s.of(t.Type),
			state: s.of(t.State), currency: s.of(t.Currency), brand: s.of(t.Brand), amount: t.AmountMinor, refund: t.RefundAmountMinor}
	}
	d.setTxns(ts)
	d.hooks = make([]hook, 0, len(in.Webhooks))
	for _, w := range in.Webhooks {
		if d.addHook(hook{id: w.ID, recv: w.ReceivedAt.UnixNano(), kind: s.of(w.Kind), state: s.of(w.State),
			sig: s.of(w.SigCheck), currency: s.of(w.Currency), amount: w.AmountMinor, refund: w.RefundAmountMinor,
			dedup: dedupHash(w.DedupKey), trusted: w.Trusted()}, w.OxpayTxnID) {
			o := &d.orphans[len(d.orphans)-1]
			o.orig, o.ref = w.OriginalTxnID, w.MerchantReferenceID
		}
	}
	d.entries = make([]entry, len(in.Ledger))
	d.texts = make([]entryText, len(in.Ledger))
	for i, l := range in.Ledger {
		d.entries[i] = entry{id: l.ID, ref: l.Reference, currency: s.of(l.Currency), day: dayNumber(l.BookedOn), amount: l.AmountMinor}
		d.texts[i].desc = l.Description
		if l.FeeMinor != nil {
			d.texts[i].fee, d.texts[i].hasFee = *l.FeeMinor, true
		}
	}
	d.errs = make([]inputErr, len(in.InputErrors))
	for i, e := range in.InputErrors {
		d.errs[i] = inputErr{id: e.ID, source: e.Source, file: e.File, text: e.Text, reason: e.Reason, line: e.Line}
	}
	return d
}

// trustedSig mirrors recon.WebhookEvent.Trusted for a stored sig_check.
func trustedSig(sig string) bool { return recon.WebhookEvent{SigCheck: sig}.Trusted() }
