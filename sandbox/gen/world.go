package gen

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/wire"
)

// The world is built as compact records with small codes instead of
// strings, then turned into the Dataset in finish: at a million orders the
// number of allocations, not the arithmetic, is what costs.

const (
	curIDR uint8 = iota
	curSGD
)

var currencies = [...]string{curIDR: "IDR", curSGD: "SGD"}

const (
	stSuccess uint8 = iota
	stVoided
	stRefunded
	stRejected
	stError
)

var states = [...]string{
	stSuccess: wire.StateSuccess, stVoided: wire.StateVoided, stRefunded: wire.StateRefunded,
	stRejected: wire.StateRejected, stError: wire.StateError,
}

var brands = [...]string{"Card", "GrabPay", "Paynow", "ShopeePay", "Alipay", "Wechat"}

// brandDraw weighs brands per currency: Paynow is Singaporean, ShopeePay
// here Indonesian; cards lead everywhere.
var brandDraw = [...][]uint8{
	curIDR: {0, 0, 0, 1, 1, 3, 3, 4, 5},
	curSGD: {0, 0, 0, 1, 1, 2, 2, 4, 5},
}

// Shares of the normal world: per thousand orders, or per hundred draws.
const (
	permillePending  = 50 // orders never activated
	permilleInactive = 30 // orders inactivated, without a link
	pctIDR           = 85
	pctFailPaid      = 2  // paid links that saw a failed attempt first
	pctFailUnpaid    = 20 // unpaid links that saw a failed attempt
	pctVoid          = 5  // of paid sales
	pctRefund        = 5  // of paid sales
	pctRedeliver     = 10
	pctByMerchant    = 10 // ledger lines referencing the merchant_reference_id
)

// linkStatusCuts splits a draw of 0..99 into paid, expired, pending,
// cancelled and (the rest) inactive links.
var (
	linkStatusCuts  = [...]int{86, 92, 95, 98}
	linkStatusNames = [...]string{wire.LinkPaid, wire.LinkExpired, wire.LinkPending, wire.LinkCancelled, wire.LinkInactive}
)

var (
	productNames = []string{
		"Kemeja Flanel", "Kopi Gayo 250g", "Batik Tulis Solo", "Sepatu Lari", "Teh Tarik",
		"Kaya Toast Set", "Nasi Goreng Spesial", "Tas Rotan", "Crème brûlée", "Sambal Matah – 200 ml",
		"Kain Songket", "Laksa Paste", "Phone Case", "Cold Brew 1L", "Gift Card",
	}
	productDescriptions = []string{
		"Size M", "Ukuran L, warna biru", "Limited edition", "Pre-order", `12" frame`, "Isi 2 pcs",
	}
	orderNotes = []string{"Gift wrap please", "Kirim sebelum jam 5", "Leave at the lobby"}
)

// unknownRefBase is where the id-like ledger references nothing knows
// (LEDGER_UNMATCHED) start, moved up as far as Options.FirstTxnID is
// from DefaultFirstTxnID; no real oxpay_txn_id reaches it. Ids count up
// from Options.FirstTxnID in the order the transactions happened, always
// eight digits (see MaxOrders).
const unknownRefBase = 90000001

// calMargin is how many days past the last business day the calendar
// covers: refunds come up to two days later and are booked up to two more,
// settlement takes up to three, and weekends push bookings on.
const calMargin = 16

// calDay is one local day of the calendar.
type calDay struct {
	start int64     // Unix seconds of local midnight
	date  time.Time // local midnight, as LedgerLine.Date carries it
	ymd   string    // YYYYMMDD
}

// txn is a gateway transaction. Amounts are in OxPay's units, which under
// recon.DefaultUnits are the ISO minor units the ledger uses too.
type txn struct {
	at       int64 // Unix seconds of the event
	amount   int64 // transaction_amount (a refund's is the sale's)
	refund   int64 // refund_amount
	ref      string
	host     [16]byte
	order    int32 // the order, -1 when the reference matches none
	orig     int32 // the sale a refund refunds (or a VOID voids), -1 otherwise
	rank     int32 // position in id order, set in finish
	isRefund bool  // a REFUND rather than a SALE
	isVoid   bool  // a VOID of its own id (VoidOwnID) rather than a SALE
	state    uint8 // as GET /payment/{id} reports it
	brand    uint8
	cur      uint8
}

// form is how a delivery was logged and what its signature covers.
type form uint8

const (
	formCompact       form = iota // compact object, signed over those bytes
	formCompactString             // compact bytes kept as a string, signed over them
	formPrettyRaw                 // pretty bytes kept as a string, signed over them
	formPrettyCompact             // pretty bytes kept as a string, signed over their compact form
)

// hookMode says how a notification is delivered.
type hookMode uint8

const (
	hookNormal   hookMode = iota // good signature, sometimes redelivered
	hookNone                     // never delivered
	hookForged                   // one delivery, signed with a wrong key
	hookUnsigned                 // one delivery, no Signature header
)

// hook is one delivery before its payload is built.
type hook struct {
	event int64 // when the gateway acted: gateway_response_datetime
	recv  int64 // when the receiver logged it
	txn   int32
	dupOf int32 // the delivery this one repeats, -1 for a first delivery
	state uint8 // the transaction_state the notification reports
	form  form
	mode  hookMode
}

// line is one ledger line before its reference and description are built.
type line struct {
	at         int64 // the event, to order lines booked the same day
	debit      int64
	credit     int64
	txn        int32 // -1 for a line nothing knows; then unknown says what it is
	unknown    int32
	day        int32 // booking date, an index into the calendar
	cur        uint8
	byMerchant bool // Reference is the merchant_reference_id, not the txn id
	variant    uint8
}

// unknownLine is the reference and description of a line no transaction
// explains: a LEDGER_UNMATCHED one, or a net settlement deposit with the
// fee it states (settlement.go).
type unknownLine struct {
	ref, desc string
	fee       *int64
}

type world struct {
	opts  Options
	rng   *rand.Rand
	units recon.Units
	err   error

	cal       []calDay // from the day before Start to calMargin days after the last
	dayFirst  []int    // index of each business day's first order, plus Orders
	orderUIDs string   // every order uid, uidLen bytes each
	urls      string   // every payment URL, urlLen bytes each; link uids are their tails
	uidLen    int
	urlLen    int
	width     int // digits of the order number in uids
	kindOf    []kind

	orders    []wire.Order
	items     []wire.OrderItem // current chunk of order items
	links     []wire.PaymentLink
	linkOf    []int32     // per order, its link or -1
	linkTimes []time.Time // backing array of the links' ExpiredAt and PaidAt

	txns    []txn
	hooks   []hook
	lines   []line
	unknown []unknownLine
	inj     []injected

	ids string // every oxpay_txn_id in rank order, eight bytes each; set in finish

	forms    int // first deliveries given each logged-as-string form, see form()
	variants int // ledger lines given each odd description, see variant()
	badSigs  int // WEBHOOK_BAD_SIGNATURE anomalies so far
	voids    int // voids so far
}

func newWorld(opts Options) *world {
	n := opts.Orders
	w := &world{
		opts: opts,
		// PCG's second word only has to be fixed; the seed is the first.
		rng:       rand.New(rand.NewPCG(uint64(opts.Seed), 0x9e3779b97f4a7c15)),
		units:     recon.DefaultUnits(),
		orders:    make([]wire.Order, 0, n),
		links:     make([]wire.PaymentLink, 0, n),
		linkOf:    make([]int32, n),
		linkTimes: make([]time.Time, 0, 2*n),
		txns:      make([]txn, 0, n),
		hooks:     make([]hook, 0, n+n/8),
		lines:     make([]line, 0, n-n/8),
	}
	y, m, d := opts.Start.Date()
	w.cal = make([]calDay, opts.Days+calMargin+1)
	for i := range w.cal {
		t := time.Date(y, m, d+i-1, 0, 0, 0, 0, opts.Zone)
		w.cal[i] = calDay{start: t.Unix(), date: t, ymd: t.Format("20060102")}
	}
	w.dayFirst = make([]int, opts.Days+1)
	for i := range opts.Days {
		w.dayFirst[i] = int((int64(i)*int64(n) + int64(opts.Days) - 1) / int64(opts.Days))
	}
	w.dayFirst[opts.Days] = n

	// Every uid and URL is built up front in one string each and handed
	// out as substrings: two allocations instead of three per order.
	w.width = max(6, len(strconv.Itoa(n)))
	w.uidLen = len("ORD-20261101-") + w.width
	w.urlLen = len(PaymentURLBase) + len("PL-20261101-") + w.width
	var uids, urls strings.Builder // String() hands over the buffer without a copy
	uids.Grow(n * w.uidLen)
	urls.Grow(n * w.urlLen)
	scratch := make([]byte, 0, w.urlLen)
	for dd := range opts.Days {
		ymd := w.cal[dd+1].ymd
		for i := w.dayFirst[dd]; i < w.dayFirst[dd+1]; i++ {
			uids.Write(appendUID(scratch[:0], "ORD-", ymd, i+1, w.width))
			urls.WriteString(PaymentURLBase)
			urls.Write(appendUID(scratch[:0], "PL-", ymd, i+1, w.width))
		}
	}
	w.orderUIDs, w.urls = uids.String(), urls.String()
	return w
}

func (w *world) orderUID(i int) string { return w.orderUIDs[i*w.uidLen : (i+1)*w.uidLen] }
func (w *world) linkURL(i int) string  { return w.urls[i*w.urlLen : (i+1)*w.urlLen] }

func appendUID(b []byte, prefix, ymd string, num, width int) []byte {
	b = append(b, prefix...)
	b = append(b, ymd...)
	b = append(b, '-')
	return appendPadded(b, num, width)
}

func appendPadded(b []byte, n, width int) []byte {
	var digits [20]byte
	s := strconv.AppendInt(digits[:0], int64(n), 10)
	for i := len(s); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}

func utc(sec int64) time.Time { return time.Unix(sec, 0).UTC() }

// itemSlots returns room for n items carved from a shared chunk.
func (w *world) itemSlots(n int) []wire.OrderItem {
	if cap(w.items)-len(w.items) < n {
		w.items = make([]wire.OrderItem, 0, 1<<14)
	}
	start := len(w.items)
	w.items = w.items[:start+n]
	return w.items[start : start+n : start+n]
}

func (w *world) genOrder(i int) {
	k := w.kindOf[i]
	rng := w.rng
	d := int(int64(i) * int64(w.opts.Days) / int64(w.opts.Orders))
	dy := &w.cal[d+1]
	n := int64(w.dayFirst[d+1] - w.dayFirst[d])
	j := int64(i - w.dayFirst[d])
	// Orders come in between 07:00 and 22:00, in uid order.
	const open, span = 7 * 3600, 15 * 3600
	created := dy.start + open + j*span/n + rng.Int64N(max(span/n, 1))

	cur := curSGD
	if rng.IntN(100) < pctIDR || k == kindAmountUnit {
		cur = curIDR
	}
	count := 1
	switch r := rng.IntN(10); {
	case r >= 9:
		count = 3
	case r >= 6:
		count = 2
	}
	items := w.itemSlots(count)
	var total int64
	for c := range items {
		var amount int64
		if cur == curIDR {
			amount = 500 * (30 + rng.Int64N(1+rng.Int64N(3300))) // Rp15.000 to Rp1.665.000, mostly small
		} else {
			amount = 10 * (50 + rng.Int64N(1+rng.Int64N(2950))) // S$5.00 to S$300.00
		}
		it := wire.OrderItem{Amount: amount, ProductName: productNames[rng.IntN(len(productNames))]}
		if r := rng.IntN(10); r < 3 {
			it.ProductDescription = productDescriptions[rng.IntN(len(productDescriptions))]
		} else if r == 3 {
			it.Notes = orderNotes[rng.IntN(len(orderNotes))]
		}
		items[c] = it
		total += amount
	}
	status := wire.OrderActive
	switch r := rng.IntN(1000); {
	case r < permillePending:
		status = wire.OrderPending
	case r < permillePending+permilleInactive:
		status = wire.OrderInactive
	}
	if k.shaped() {
		status = wire.OrderActive
	}
	o := wire.Order{
		UID: w.orderUID(i), Status: status, Currency: currencies[cur], TotalAmount: total,
		Items: items, CreatedAt: utc(created), UpdatedAt: utc(created),
	}
	switch status {
	case wire.OrderInactive:
		o.UpdatedAt = utc(created + 3600 + rng.Int64N(30*3600))
	case wire.OrderActive:
		o.UpdatedAt = utc(created + 5 + rng.Int64N(296))
	}
	w.orders = append(w.orders, o)
	w.linkOf[i] = -1
	if status == wire.OrderActive {
		w.genLink(int32(i), k, cur, o.UpdatedAt.Unix())
	}
	switch k {
	case kindTxnNoOrder:
		w.genOrphanSale(dy.ymd, i+1, created)
	case kindLedgerUnmatched:
		w.genUnknownLine(dy.ymd, created)
	}
}

// genLink creates the order's payment link and whatever the gateway saw.
func (w *world) genLink(oi int32, k kind, cur uint8, activated int64) {
	rng := w.rng
	o := &w.orders[oi]
	created := activated + 1 + rng.Int64N(60)
	status := linkStatusNames[len(linkStatusCuts)]
	r := rng.IntN(100)
	for c, cut := range linkStatusCuts {
		if r < cut {
			status = linkStatusNames[c]
			break
		}
	}
	failR, afterR := rng.IntN(100), rng.IntN(100)
	saleOff := 60 + rng.Int64N(1741) // the payer takes one to thirty minutes
	saleAt := created + saleOff

	switch k {
	case kindNone, kindTxnNoOrder, kindLedgerUnmatched:
	case kindStatusUnpaidSuccess:
		status = wire.LinkPending
	default:
		status = wire.LinkPaid
	}
	url := w.linkURL(int(oi))
	w.linkTimes = append(w.linkTimes, utc(created+24*3600))
	l := wire.PaymentLink{
		UID: url[len(PaymentURLBase):], OrderUID: o.UID, Status: status, PaymentURL: url,
		Amount: o.TotalAmount, Currency: o.Currency,
		ExpiredAt: &w.linkTimes[len(w.linkTimes)-1],
		CreatedAt: utc(created), UpdatedAt: utc(created),
	}
	switch status {
	case wire.LinkPaid:
		w.linkTimes = append(w.linkTimes, utc(saleAt+1+rng.Int64N(15)))
		l.PaidAt = &w.linkTimes[len(w.linkTimes)-1]
		l.UpdatedAt = *l.PaidAt
	case wire.LinkExpired:
		l.UpdatedAt = *l.ExpiredAt
	case wire.LinkCancelled, wire.LinkInactive:
		l.UpdatedAt = utc(created + 60 + rng.Int64N(7141))
	}
	w.linkOf[oi] = int32(len(w.links))
	w.links = append(w.links, l)

	amount := w.oxAmount(o)
	if !k.shaped() {
		// A failed attempt before the sale, or on a link nobody pays.
		failed := failR < pctFailPaid
		if status != wire.LinkPaid {
			failed = failR < pctFailUnpaid
		}
		if failed {
			w.failedAttempt(oi, cur, amount, created+10+rng.Int64N(saleOff-20))
		}
		if status != wire.LinkPaid {
			return
		}
		s := w.sale(oi, o.UID, cur, amount, saleAt, stSuccess, hookNormal)
		switch {
		case afterR < pctVoid:
			at := w.void(s)
			w.callOff(oi, at)
		case afterR < pctVoid+pctRefund:
			w.book(s, 3, w.byMerchant(), 1)
			w.refund(s)
		default:
			w.book(s, 3, w.byMerchant(), 1)
		}
		return
	}

	// Anomalies: see the table in anomaly.go. Ledger lines of transactions
	// involved always reference the oxpay_txn_id.
	switch k {
	case kindAmount:
		delta := (500 + 500*rng.Int64N(100)) * 100 // Rp500 to Rp50.000
		if cur == curSGD {
			delta = 10 + 10*rng.Int64N(50) // S$0.10 to S$5.00
		}
		if rng.IntN(2) == 0 && delta < amount {
			delta = -delta
		}
		s := w.sale(oi, o.UID, cur, amount+delta, saleAt, stSuccess, hookNormal)
		w.book(s, 3, false, 1)
		w.inject(k, oi, s, -1, -1, "")
	case kindAmountUnit:
		// OxPay sent the rupiah Xepeng uses instead of its own minor units.
		s := w.sale(oi, o.UID, cur, o.TotalAmount, saleAt, stSuccess, hookNormal)
		w.book(s, 3, false, 1)
		w.inject(k, oi, s, -1, -1, "")
	case kindWebhookMissing:
		s := w.sale(oi, o.UID, cur, amount, saleAt, stSuccess, hookNone)
		w.book(s, 3, false, 1)
		w.inject(k, oi, s, -1, -1, "")
	case kindWebhookBadSignature:
		// Alternately forged and unsigned, forged first.
		mode, note := hookForged, "delivery signed with a wrong key"
		if w.badSigs%2 == 1 {
			mode, note = hookUnsigned, "delivery carried no Signature header"
		}
		w.badSigs++
		s := w.sale(oi, o.UID, cur, amount, saleAt, stSuccess, mode)
		w.book(s, 3, false, 1)
		w.inject(k, oi, s, -1, -1, note)
	case kindDuplicatePayment:
		s1 := w.sale(oi, o.UID, cur, amount, saleAt, stSuccess, hookNormal)
		w.book(s1, 3, false, 1)
		s2 := w.sale(oi, o.UID, cur, amount, saleAt+120+rng.Int64N(481), stSuccess, hookNormal)
		w.book(s2, 3, false, 1)
		w.inject(k, oi, s2, s1, -1, "")
	case kindLedgerMissing:
		s := w.sale(oi, o.UID, cur, amount, saleAt, stSuccess, hookNormal)
		w.inject(k, oi, s, -1, -1, "")
	case kindLedgerAmount:
		s := w.sale(oi, o.UID, cur, amount, saleAt, stSuccess, hookNormal)
		ln := w.book(s, 3, false, 1)
		// About a tenth less, in whole major units, never less than one.
		w.lines[ln].credit = amount - max(amount/10/100*100, 100)
		w.inject(k, oi, s, -1, ln, "")
	case kindLedgerDuplicate:
		s := w.sale(oi, o.UID, cur, amount, saleAt, stSuccess, hookNormal)
		ln := w.book(s, 3, false, 2)
		w.inject(k, oi, s, -1, ln, "")
	case kindStatusPaidRejected:
		t := w.addTxn(txn{at: saleAt, order: oi, state: stRejected, cur: cur, amount: amount, ref: o.UID})
		w.notify(t, stRejected, saleAt, hookNormal)
		w.inject(k, oi, t, -1, -1, "")
	case kindStatusUnpaidSuccess:
		s := w.sale(oi, o.UID, cur, amount, saleAt, stSuccess, hookNormal)
		w.book(s, 3, false, 1)
		w.inject(k, oi, s, -1, -1, "")
	case kindWebhookState:
		s := w.sale(oi, o.UID, cur, amount, saleAt, stRejected, hookNormal)
		w.book(s, 3, false, 1)
		w.inject(k, oi, s, -1, -1, "")
	case kindOrderPaidNoTxn:
		w.inject(k, oi, -1, -1, -1, "")
	}
}

// genOrphanSale adds a settled sale whose reference matches no order, as
// one taken through another channel would be (TRANSACTION_NO_ORDER).
func (w *world) genOrphanSale(ymd string, num int, near int64) {
	cur := curIDR
	if w.rng.IntN(100) >= pctIDR {
		cur = curSGD
	}
	ref := string(appendUID(nil, "POS-", ymd, num, w.width))
	at := near + 600 + w.rng.Int64N(3001)
	s := w.sale(-1, ref, cur, w.randomMinor(cur), at, stSuccess, hookNormal)
	w.book(s, 3, false, 1)
	w.inject(kindTxnNoOrder, -1, s, -1, -1, "")
}

// genUnknownLine adds a ledger credit nobody can explain (LEDGER_UNMATCHED):
// alternately an id-like number the gateway does not know and a manual
// adjustment.
func (w *world) genUnknownLine(ymd string, near int64) {
	cur := curIDR
	if w.rng.IntN(100) >= pctIDR {
		cur = curSGD
	}
	u := len(w.unknown)
	var ul unknownLine
	if u%2 == 0 {
		ul.ref = strconv.FormatInt(unknownRefBase+w.opts.FirstTxnID-DefaultFirstTxnID+int64(u), 10)
		ul.desc = "OXPAY SALE " + ul.ref + " Card"
	} else {
		ul.ref = "ADJ-" + ymd + "-" + string(appendPadded(nil, u, 4))
		ul.desc = "Manual adjustment, see memo"
	}
	w.unknown = append(w.unknown, ul)
	w.lines = append(w.lines, line{at: near, txn: -1, unknown: int32(u),
		day: w.bookingDay(near, 1+w.rng.IntN(2)), credit: w.randomMinor(cur), cur: cur})
	w.inject(kindLedgerUnmatched, -1, -1, -1, int32(len(w.lines)-1), "")
}

// sale records a SALE in state success and its payment notification;
// hookState is what the notification says.
func (w *world) sale(order int32, ref string, cur uint8, amount, at int64, hookState uint8, mode hookMode) int32 {
	t := w.addTxn(txn{at: at, order: order, state: stSuccess, cur: cur, amount: amount, ref: ref})
	w.notify(t, hookState, at, mode)
	return t
}

func (w *world) failedAttempt(oi int32, cur uint8, amount, at int64) {
	state := stRejected
	if w.rng.IntN(10) < 3 {
		state = stError
	}
	t := w.addTxn(txn{at: at, order: oi, state: state, cur: cur, amount: amount, ref: w.orders[oi].UID})
	w.notify(t, state, at, hookNormal)
}

// void reverses a sale before settlement and returns when: the sale
// itself ends voided, a void notification follows the payment one, and
// nothing is booked. Voids come at least twenty minutes after the sale,
// so after every redelivery of its payment notification. In VoidOwnID
// style the void is a VOID transaction of its own, and its notification
// carries its own id; either way the same random draws are made, so the
// two styles give the same world but for the voids.
func (w *world) void(s int32) int64 {
	at := w.txns[s].at + 1200 + w.rng.Int64N(9601)
	w.txns[s].state = stVoided
	w.voids++
	if w.opts.VoidStyle != VoidOwnID {
		w.notify(s, stVoided, at, hookNormal)
		return at
	}
	sale := w.txns[s]
	v := txn{at: at, order: sale.order, orig: s, isVoid: true, state: stVoided, brand: sale.brand,
		cur: sale.cur, amount: sale.amount, ref: sale.ref}
	// The host reference comes from the sale's, not from the random
	// stream, which stays the same-id style's.
	sum := sha256.Sum256(append(sale.host[:], "void"...))
	copy(v.host[:], sum[:])
	w.txns = append(w.txns, v)
	w.notify(int32(len(w.txns)-1), stVoided, at, hookNormal)
	return at
}

// callOff cancels or inactivates, in VoidOwnID style, the payment link of
// two voided sales in three (alternately), as a merchant that calls the
// order off after the void would: a called-off link with a voided sale
// is consistent. Its paid_at goes, as a link that is not paid has none.
func (w *world) callOff(oi int32, at int64) {
	if w.opts.VoidStyle != VoidOwnID || w.voids%3 == 0 {
		return
	}
	l := &w.links[w.linkOf[oi]]
	l.Status, l.PaidAt, l.UpdatedAt = wire.LinkCancelled, nil, utc(at+60)
	if w.voids%3 == 2 {
		l.Status = wire.LinkInactive
	}
}

// refund returns all or part of a sale two hours to two days later, as a
// transaction of its own, booked as a debit.
func (w *world) refund(s int32) {
	sale := w.txns[s]
	at := sale.at + 7200 + w.rng.Int64N(165601)
	amount := sale.amount
	if w.rng.IntN(2) == 0 {
		unit := int64(10) // S$0.10
		if sale.cur == curIDR {
			unit = 500 * 100 // Rp500
		}
		if part := sale.amount * int64(10+w.rng.IntN(81)) / 100 / unit * unit; part > 0 {
			amount = part
		}
	}
	r := w.addTxn(txn{at: at, order: sale.order, orig: s, isRefund: true, state: stRefunded,
		brand: sale.brand, cur: sale.cur, amount: sale.amount, refund: amount, ref: sale.ref})
	w.notify(r, stRefunded, at, hookNormal)
	ln := w.book(r, 2, w.byMerchant(), 1)
	w.lines[ln].credit, w.lines[ln].debit = 0, amount
}

// addTxn records a transaction, drawing its host_txn_id and, for a sale,
// its brand.
func (w *world) addTxn(t txn) int32 {
	if !t.isRefund {
		draw := brandDraw[t.cur]
		t.brand = draw[w.rng.IntN(len(draw))]
		t.orig = -1
	}
	binary.BigEndian.PutUint64(t.host[:8], w.rng.Uint64())
	binary.BigEndian.PutUint64(t.host[8:], w.rng.Uint64())
	w.txns = append(w.txns, t)
	return int32(len(w.txns) - 1)
}

// notify records a notification received a second to a minute and a half
// after the event and, now and then, a redelivery one to ten minutes later.
func (w *world) notify(t int32, state uint8, event int64, mode hookMode) {
	if mode == hookNone {
		return
	}
	h := hook{txn: t, state: state, event: event, recv: event + 1 + w.rng.Int64N(90), mode: mode, dupOf: -1}
	if mode != hookNormal {
		w.hooks = append(w.hooks, h)
		return
	}
	h.form = w.form()
	w.hooks = append(w.hooks, h)
	if w.rng.IntN(100) < pctRedeliver {
		again := h
		again.recv = h.recv + 60 + w.rng.Int64N(541)
		again.dupOf = int32(len(w.hooks) - 1)
		w.hooks = append(w.hooks, again)
	}
}

// form picks how a first delivery is logged: mostly a compact object, now
// and then the exact bytes as a string. The first deliveries take each
// string form once so that every world has them.
func (w *world) form() form {
	if w.forms < int(formPrettyCompact) {
		w.forms++
		return form(w.forms)
	}
	switch r := w.rng.IntN(100); {
	case r < 91:
		return formCompact
	case r < 94:
		return formCompactString
	case r < 97:
		return formPrettyRaw
	default:
		return formPrettyCompact
	}
}

// book adds a ledger line for a transaction (copies identical lines),
// booked zero to maxDelay days after it and never on a weekend. Lines are
// credits of the transaction amount; refund turns its line into a debit.
func (w *world) book(t int32, maxDelay int, byMerchant bool, copies int) int32 {
	tx := &w.txns[t]
	l := line{at: tx.at, txn: t, day: w.bookingDay(tx.at, w.rng.IntN(maxDelay+1)),
		credit: tx.amount, cur: tx.cur, byMerchant: byMerchant, variant: w.variant()}
	for range copies {
		w.lines = append(w.lines, l)
	}
	return int32(len(w.lines) - copies)
}

func (w *world) byMerchant() bool { return w.rng.IntN(100) < pctByMerchant }

// Ledger description variants: plain, then the awkward ones finance
// systems produce and readers must survive.
const (
	descPlain uint8 = iota
	descComma
	descQuote
	descNonASCII
	descFormulaEq
	descFormulaAt
	descVariants
)

// variant picks a description style: plain almost always; the first lines
// booked take each odd style once so that every world has them.
func (w *world) variant() uint8 {
	if w.variants < int(descVariants)-1 {
		w.variants++
		return uint8(w.variants)
	}
	if r := w.rng.IntN(1000); r >= 985 {
		return uint8(1 + (r-985)%(int(descVariants)-1))
	}
	return descPlain
}

// bookingDay is the calendar index of at's local date plus days, moved
// past a weekend.
func (w *world) bookingDay(at int64, days int) int32 {
	i := sort.Search(len(w.cal), func(i int) bool { return w.cal[i].start > at }) - 1 + days
	for i >= 0 && i < len(w.cal) {
		if wd := w.cal[i].date.Weekday(); wd != time.Saturday && wd != time.Sunday {
			return int32(i)
		}
		i++
	}
	if w.err == nil {
		w.err = fmt.Errorf("booking date of %s is outside the calendar", utc(at).Format(time.RFC3339))
	}
	return 0
}

// oxAmount is the order total in the units OxPay sends.
func (w *world) oxAmount(o *wire.Order) int64 {
	v, err := w.units.FromMinor(recon.SourceOxPay, o.Currency, w.orderMinor(o))
	if err != nil && w.err == nil {
		w.err = fmt.Errorf("order %s: %w", o.UID, err)
	}
	return v
}

// orderMinor is the order total in ISO minor units.
func (w *world) orderMinor(o *wire.Order) int64 {
	v, err := w.units.ToMinor(recon.SourceXepeng, o.Currency, o.TotalAmount)
	if err != nil && w.err == nil {
		w.err = fmt.Errorf("order %s: %w", o.UID, err)
	}
	return v
}

// randomMinor is an order-sized amount in minor units.
func (w *world) randomMinor(cur uint8) int64 {
	if cur == curIDR {
		return 500 * 100 * (30 + w.rng.Int64N(1+w.rng.Int64N(6000)))
	}
	return 10 * (50 + w.rng.Int64N(1+w.rng.Int64N(9000)))
}
