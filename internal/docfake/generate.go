package docfake

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// Options sets the seed and shape of a world.
type Options struct {
	Seed uint64
	// Day is the business day (any time on it; its WIB date is used).
	// Default: Thursday 2026-11-19, so that windows ending on the Sunday
	// roll to the Monday.
	Day time.Time
	// Paid is the number of plain paid orders in the clean traffic
	// (default 70); the rest of the world is fixed in shape.
	Paid int
}

// DefaultDay is the business day of a world when Options.Day is zero.
var DefaultDay = time.Date(2026, 11, 19, 0, 0, 0, 0, wib)

// Generate builds a world from o. The same options give the same world.
func Generate(o Options) *World {
	if o.Day.IsZero() {
		o.Day = DefaultDay
	}
	if o.Paid == 0 {
		o.Paid = 70
	}
	day := dayOf(o.Day)
	g := &gen{
		r: rand.New(rand.NewPCG(o.Seed, 0x646f6366616b65)),
		w: &World{
			Seed:  o.Seed,
			Day:   day,
			Notes: map[string]string{},
		},
		day:     day,
		nextTxn: 10002000,
		first:   map[string]time.Time{},
	}
	g.clean(o.Paid)
	g.anomalies()
	g.fillNotes()
	g.finish()
	return g.w
}

type gen struct {
	r       *rand.Rand
	w       *World
	day     time.Time
	nextTxn int
	first   map[string]time.Time // txn id -> earliest validly signed delivery
}

func (g *gen) intn(n int) int           { return g.r.IntN(n) }
func (g *gen) chance(p float64) bool    { return g.r.Float64() < p }
func (g *gen) pick(xs ...string) string { return xs[g.r.IntN(len(xs))] }
func (g *gen) between(a, b time.Duration) time.Duration {
	return a + time.Duration(g.r.Int64N(int64(b-a)+1))
}

func (g *gen) uuid() string {
	return fmt.Sprintf("%08x-%04x-4%03x-%04x-%012x",
		g.r.Uint32(), g.r.Uint32()&0xffff, g.r.Uint32()&0xfff,
		0x8000|g.r.Uint32()&0x3fff, g.r.Uint64()&0xffffffffffff)
}

func (g *gen) hex32() string {
	return fmt.Sprintf("%016x%016x", g.r.Uint64(), g.r.Uint64())
}

// at is a time on the business day, between the two clock times.
func (g *gen) at(from, to time.Duration) time.Time {
	return g.day.Add(g.between(from, to)).Truncate(time.Second)
}

func (g *gen) note(id, text string) {
	if id == "" {
		return
	}
	if old, ok := g.w.Notes[id]; ok && !strings.Contains(old, text) {
		text = old + "; " + text
	}
	g.w.Notes[id] = text
}

func (g *gen) plant(category, what string, refs ...string) *Anomaly {
	g.w.Key = append(g.w.Key, Anomaly{Category: category, Refs: refs, What: what})
	for _, r := range refs {
		g.note(r, "planted "+category+": "+what)
	}
	return &g.w.Key[len(g.w.Key)-1]
}

var (
	firstNames = []string{"Budi", "Siti", "Agus", "Dewi", "Rina", "Wei Ling", "Hafiz", "Putu", "Joko", "Mei", "José", "Ayu"}
	lastNames  = []string{"Santoso", "Rahmawati", "Wijaya", "Tan", "Lim", "Hidayat", "Pratama", "Gunawan", "Ng", "Kusuma"}
	products   = []string{"Kemeja Flanel", "Batik Tulis", "Kopi Toraja 250g", "Sepatu Lari", "Tas Rotan", "Voucher Spa", "Kelas Yoga", "Tiket Konser", "Madu Hutan", "Jam Tangan"}
	qrBrands   = []string{"GrabPay", "Paynow", "ShopeePay", "Alipay", "Wechat", "Dash"}
	allBrands  = []string{"GrabPay", "Paynow", "ShopeePay", "Alipay", "Wechat", "Dash", "Atome", "Diners", "Discover", "Fiuu"}
)

// order makes an active order created at created.
func (g *gen) order(currency, totalField string, created time.Time) *Order {
	var total int64
	if currency == "IDR" {
		total = int64(g.intn(4950)+50) * 500 // Rp 25.000 .. 2.500.000
	} else {
		total = int64(g.intn(29500) + 500) // S$5.00 .. 300.00 in cents
	}
	name := g.pick(firstNames...) + " " + g.pick(lastNames...)
	o := &Order{
		UID:        g.uuid(),
		Status:     "active",
		Currency:   currency,
		Total:      total,
		TotalField: totalField,
		Customer: Customer{
			Name:  name,
			Email: strings.ToLower(strings.ReplaceAll(name, " ", ".")) + "@example.com",
			Phone: fmt.Sprintf("+628%09d", g.intn(1_000_000_000)),
		},
		Ref:       fmt.Sprintf("ORDER-%05d", len(g.w.Orders)+10000),
		CreatedAt: created,
		UpdatedAt: created.Add(g.between(10*time.Second, 2*time.Minute)),
	}
	switch totalField {
	case TotalAmount, TotalItems:
		o.Items = g.split(total, currency)
	case TotalNone:
		o.Items = []Item{{Name: g.pick(products...)}, {Name: g.pick(products...)}}
	}
	g.w.Orders = append(g.w.Orders, o)
	g.note(o.UID, fmt.Sprintf("order %s %d, total under %q", currency, total, totalField))
	return o
}

// split cuts total into one to three item amounts that add up to it.
func (g *gen) split(total int64, currency string) []Item {
	n := g.intn(3) + 1
	unit := int64(1)
	if currency == "IDR" {
		unit = 500
	}
	items := make([]Item, n)
	left := total
	for i := range n - 1 {
		share := left / int64(n-i) / unit * unit
		if share < unit {
			share = 0
		}
		items[i] = Item{Name: g.pick(products...), Amount: share}
		left -= share
	}
	items[n-1] = Item{Name: g.pick(products...), Amount: left}
	out := items[:0]
	for _, it := range items {
		if it.Amount > 0 {
			out = append(out, it)
		}
	}
	return out
}

func (g *gen) link(o *Order, status string, created time.Time) *PaymentLink {
	l := &PaymentLink{
		UID:       g.uuid(),
		OrderUID:  o.UID,
		Status:    status,
		Amount:    o.Total,
		Currency:  o.Currency,
		CreatedAt: created,
		UpdatedAt: created,
		ExpiredAt: created.Add(24 * time.Hour),
	}
	if status == "expired" {
		l.UpdatedAt = l.ExpiredAt
	}
	g.w.Links = append(g.w.Links, l)
	g.note(l.UID, "link "+status+" of order "+o.UID)
	return l
}

// paid marks a link paid a few seconds after the gateway's payment.
func (g *gen) paid(l *PaymentLink, at time.Time) {
	l.Status = "paid"
	l.PaidAt = at.Add(g.between(2*time.Second, 20*time.Second))
	l.UpdatedAt = l.PaidAt
}

func (g *gen) newID() string {
	g.nextTxn += 1 + g.intn(7)
	return fmt.Sprint(g.nextTxn)
}

// sale is a gateway sale for merchant reference ref of amount (ISO minor).
func (g *gen) sale(ref, currency string, amount int64, state string, at time.Time, brand string) *Txn {
	t := &Txn{
		ID: g.newID(), Type: Sale, MerchantRef: ref, HostTxnID: g.hex32(),
		State: state, Brand: brand, Currency: currency, Amount: amount, At: at,
	}
	g.w.Txns = append(g.w.Txns, t)
	return t
}

func (g *gen) orderSale(o *Order, state string, at time.Time, brand string) *Txn {
	t := g.sale(o.UID, o.Currency, isoMinor(o.Currency, o.Total), state, at, brand)
	g.note(t.ID, "sale "+state+" of order "+o.UID)
	return t
}

func (g *gen) void(s *Txn, at time.Time) *Txn {
	t := &Txn{
		ID: g.newID(), Type: Void, MerchantRef: s.MerchantRef, HostTxnID: g.hex32(),
		State: "voided", Brand: s.Brand, Currency: s.Currency, Amount: s.Amount,
		OriginalID: s.ID, At: at,
	}
	g.w.Txns = append(g.w.Txns, t)
	g.note(t.ID, "void (own id) of sale "+s.ID)
	return t
}

func (g *gen) refund(s *Txn, amount int64, at time.Time) *Txn {
	t := &Txn{
		ID: g.newID(), Type: Refund, MerchantRef: s.MerchantRef, HostTxnID: g.hex32(),
		State: "refunded", Brand: s.Brand, Currency: s.Currency, Amount: amount,
		OriginalID: s.ID, SaleAmount: s.Amount, At: at,
	}
	g.w.Txns = append(g.w.Txns, t)
	g.note(t.ID, fmt.Sprintf("refund %d of sale %s (sale %d)", amount, s.ID, s.Amount))
	return t
}

// statusHeader is the notification's headers for a state: OxPay's
// status_code 0 success, 1 pending, 2 rejected, 3 error.
//
// DESIGN: a webhook's headers describe the payment's outcome, so a
// rejected sale's webhook says status_code 2 REJECTED and a pending one 1
// PENDING; GET /payment/{id} of the same transaction says 0 SUCCESS (the
// query itself succeeded) with the transaction_state inside.
func statusHeader(state string) (int, string) {
	switch state {
	case "pending", "requested":
		return 1, "PENDING"
	case "rejected":
		return 2, "REJECTED"
	case "error":
		return 3, "ERROR"
	}
	return 0, "SUCCESS"
}

// notification is the payload OxPay POSTs for t, in the key order of the
// vendor's webhook examples.
//
// DESIGN (refund webhooks): the refund webhook carries both refund_amount
// and transaction_amount; the vendor's only example is a full refund, so
// both are equal there. Here transaction_amount is the original sale's
// amount and refund_amount the amount refunded, the reading that gives
// the two fields different meanings.
//
// DESIGN (gateway_response_datetime): YYYYMMDDhhmmss as every vendor
// example, in Singapore time (OxPay's own zone; the documents name none).
func notification(t *Txn, state string, amount int64, at time.Time) []byte {
	code, msg := statusHeader(state)
	headers := obj{
		{"status_code", code},
		{"status_message", msg},
		{"gateway_response_datetime", at.In(sgt).Format("20060102150405")},
	}
	var body obj
	switch t.Type {
	case Refund:
		body = obj{
			{"merchant_reference_id", t.MerchantRef},
			{"oxpay_txn_id", t.ID},
			{"host_txn_id", t.HostTxnID},
			{"transaction_state", state},
			{"payment_brand", t.Brand},
			{"oxpay_original_txn_id", t.OriginalID},
			{"refund_amount", amount},
			{"transaction_amount", t.SaleAmount},
			{"transaction_currency", t.Currency},
		}
	default: // payment and void webhooks share a shape; a void names only its own id
		body = obj{
			{"merchant_reference_id", t.MerchantRef},
			{"oxpay_txn_id", t.ID},
			{"host_txn_id", t.HostTxnID},
			{"transaction_state", state},
			{"payment_brand", t.Brand},
			{"transaction_amount", amount},
			{"transaction_currency", t.Currency},
		}
	}
	return mustMarshal(obj{{"headers", headers}, {"body", body}})
}

func kindOf(t *Txn) string {
	switch t.Type {
	case Refund:
		return "refund"
	case Void:
		return "void"
	}
	return "payment"
}

// deliver logs a validly signed delivery of t in state at received, the
// gateway having processed it a few seconds earlier.
func (g *gen) deliver(t *Txn, state string, amount int64, received time.Time) *Delivery {
	p := notification(t, state, amount, received.Add(-g.between(time.Second, 5*time.Second)))
	d := &Delivery{ReceivedAt: received, Kind: kindOf(t), TxnID: t.ID, Payload: p, Signature: oxpaySign(SignKey, p)}
	g.w.Deliveries = append(g.w.Deliveries, d)
	if f, ok := g.first[t.ID]; !ok || received.Before(f) {
		g.first[t.ID] = received
	}
	return d
}

// deliverNow is deliver of t's own state and amount, shortly after t.At.
func (g *gen) deliverNow(t *Txn) *Delivery {
	return g.deliver(t, t.State, t.Amount, t.At.Add(g.between(2*time.Second, 25*time.Second)))
}

// again logs the same delivery (same bytes and signature) again at received.
func (g *gen) again(d *Delivery, received time.Time) {
	c := *d
	c.ReceivedAt = received
	g.w.Deliveries = append(g.w.Deliveries, &c)
}

// book writes t's ledger line on day under reference ref (t's id when
// empty): a sale money in, a refund money out.
func (g *gen) book(t *Txn, day time.Time, ref string) *LedgerLine {
	if ref == "" {
		ref = t.ID
	}
	minor := t.Amount
	desc := fmt.Sprintf("OXPAY SETTLEMENT %s %s", strings.ToUpper(t.Brand), t.MerchantRef)
	if t.Type == Refund {
		minor = -t.Amount
		desc = fmt.Sprintf("OXPAY REFUND %s %s", strings.ToUpper(t.Brand), t.MerchantRef)
	}
	cur := t.Currency
	if cur == "IDR" && g.chance(0.3) {
		cur = "" // default_currency: IDR
	}
	l := &LedgerLine{Date: day, Reference: ref, Description: desc, Currency: cur, Minor: minor}
	g.w.Ledger = append(g.w.Ledger, l)
	return l
}

// paymentTime is when README's window starts for t: its earliest signed
// delivery, else the link's paid_at.
func (g *gen) paymentTime(t *Txn, l *PaymentLink) time.Time {
	if f, ok := g.first[t.ID]; ok {
		return f
	}
	if l == nil {
		panic("docfake: " + t.ID + " has neither a signed webhook nor a link")
	}
	return l.PaidAt
}

// bookInWindow books t on a weekday inside its window.
//
// DESIGN: finance books on weekdays only, so a Thursday payment is booked
// Thursday, Friday or the Monday its window rolls to.
func (g *gen) bookInWindow(t *Txn, from time.Time, ref string) *LedgerLine {
	days := bookingDays(from)
	return g.book(t, days[g.intn(len(days))], ref)
}

func (g *gen) currency() string {
	if g.chance(0.25) {
		return "SGD"
	}
	return "IDR"
}

var totalFields = []string{TotalAmount, TotalAmt, TotalItems}

func (g *gen) field() string { return totalFields[g.intn(len(totalFields))] }

// paidOrder is the common start of a paid order: order, link, successful
// sale at a time on the day, its webhook. It returns the three.
func (g *gen) paidOrder(currency, field string, from, to time.Duration) (*Order, *PaymentLink, *Txn) {
	created := g.at(from, to)
	o := g.order(currency, field, created)
	l := g.link(o, "pending", created.Add(g.between(20*time.Second, 5*time.Minute)))
	payAt := l.CreatedAt.Add(g.between(time.Minute, 30*time.Minute))
	brand := g.pick(allBrands...)
	s := g.orderSale(o, "success", payAt, brand)
	g.paid(l, payAt)
	g.deliverNow(s)
	return o, l, s
}

// clean is the traffic that must give no exception by README's rules.
func (g *gen) clean(paid int) {
	for i := range paid {
		cur, field := g.currency(), totalFields[i%len(totalFields)]
		created := g.at(10*time.Minute, 22*time.Hour+30*time.Minute)
		o := g.order(cur, field, created)
		l := g.link(o, "pending", created.Add(g.between(20*time.Second, 5*time.Minute)))
		payAt := l.CreatedAt.Add(g.between(time.Minute, 30*time.Minute))
		what := "clean paid"
		var rejected bool
		if g.chance(0.2) {
			r := g.orderSale(o, "rejected", payAt, g.pick(allBrands...))
			g.deliverNow(r)
			payAt = payAt.Add(g.between(time.Minute, 5*time.Minute))
			what += ", a rejected attempt first"
			rejected = true
		}
		qr := g.chance(0.15)
		brand := g.pick(allBrands...)
		if qr {
			brand = g.pick(qrBrands...)
		}
		s := g.orderSale(o, "success", payAt, brand)
		g.paid(l, payAt)
		if qr {
			// The QR code was shown (pending), then paid.
			g.deliver(s, "pending", s.Amount, payAt.Add(-g.between(30*time.Second, 3*time.Minute)))
			what += ", QR pending then success webhooks"
		}
		d := g.deliverNow(s)
		if g.chance(0.15) {
			g.again(d, d.ReceivedAt.Add(g.between(30*time.Second, 10*time.Minute)))
			what += ", webhook retried by OxPay within minutes"
		}
		ref := ""
		if !rejected && g.chance(0.2) {
			ref = o.UID
			what += ", ledger line by merchant reference"
		}
		g.bookInWindow(s, g.paymentTime(s, l), ref)
		g.noteAll(what, o, l, s)
	}

	// A payment at 23:59 that the receiver logged after midnight, booked
	// on the day before the log (README: payment_lag).
	{
		o := g.order("IDR", TotalAmount, g.day.Add(23*time.Hour+50*time.Minute))
		l := g.link(o, "pending", o.CreatedAt.Add(time.Minute))
		s := g.orderSale(o, "success", g.day.Add(23*time.Hour+59*time.Minute+10*time.Second), "GrabPay")
		g.paid(l, s.At)
		g.deliver(s, "success", s.Amount, g.day.Add(24*time.Hour+25*time.Second))
		g.book(s, g.day, "")
		g.noteAll("clean edge: paid 23:59, logged 00:00 next day, booked the day before the log (payment_lag)", o, l, s)
	}
	// A payment early in the morning (the evening before in UTC), booked on
	// the Monday its window rolls to.
	{
		o := g.order("SGD", TotalItems, g.day.Add(5*time.Minute))
		l := g.link(o, "pending", o.CreatedAt.Add(time.Minute))
		s := g.orderSale(o, "success", g.day.Add(21*time.Minute), "Paynow")
		g.paid(l, s.At)
		g.deliverNow(s)
		_, last := Window(g.paymentTime(s, l))
		g.book(s, last, "")
		g.noteAll("clean edge: paid 00:21 WIB (previous day in UTC), booked on the rolled Monday", o, l, s)
	}

	// Voided sales: the void is its own transaction, the link cancelled.
	for range 8 {
		o, l, s := g.paidOrder(g.currency(), g.field(), 10*time.Minute, 22*time.Hour)
		v := g.void(s, s.At.Add(g.between(5*time.Minute, 90*time.Minute)))
		g.deliverNow(v)
		// DESIGN: Xepeng's link turns "cancelled" after the void and keeps
		// its paid_at: the link was paid once, and status is what says
		// whether it still is.
		l.Status = "cancelled"
		l.UpdatedAt = v.At.Add(g.between(5*time.Second, time.Minute))
		g.noteAll("clean voided sale (void with its own id, link cancelled, no ledger line)", o, l, s, v)
	}

	// Refunds: partial (one or two) and full; each refund its own
	// transaction and ledger debit.
	for i := range 13 {
		o, l, s := g.paidOrder(g.currency(), g.field(), 10*time.Minute, 20*time.Hour)
		g.bookInWindow(s, g.paymentTime(s, l), "")
		var amounts []int64
		what := ""
		switch {
		case i < 6:
			amounts = []int64{g.part(s, 10, 90)}
			what = "clean partial refund"
		case i < 8:
			a := g.part(s, 10, 45)
			amounts = []int64{a, g.part(s, 5, 45)}
			what = "clean two partial refunds, less than the sale"
		default:
			amounts = []int64{s.Amount}
			what = "clean full refund"
		}
		at := s.At
		ids := []any{o, l, s}
		for _, a := range amounts {
			at = at.Add(g.between(30*time.Minute, 3*time.Hour))
			r := g.refund(s, a, at)
			g.deliverNow(r)
			g.bookInWindow(r, g.paymentTime(r, nil), "")
			ids = append(ids, r)
		}
		g.noteAll(what+" [refund webhook: transaction_amount is the sale's, refund_amount the refund's]", ids...)
	}

	// Abandoned payments: the link expired after a QR left pending or a
	// rejected card.
	for i := range 8 {
		created := g.at(10*time.Minute, 20*time.Hour)
		o := g.order(g.currency(), g.field(), created)
		l := g.link(o, "expired", created.Add(time.Minute))
		at := l.CreatedAt.Add(g.between(time.Minute, 20*time.Minute))
		var t *Txn
		if i%2 == 0 {
			t = g.orderSale(o, "pending", at, g.pick(qrBrands...))
		} else {
			t = g.orderSale(o, "rejected", at, g.pick(allBrands...))
		}
		g.deliverNow(t)
		g.noteAll("clean abandoned: link expired, one "+t.State+" attempt", o, l, t)
	}

	// Orders never paid.
	for i := range 19 {
		created := g.at(10*time.Minute, 23*time.Hour)
		o := g.order(g.currency(), g.field(), created)
		switch {
		case i < 10:
			o.Status = "pending"
			g.noteAll("clean unpaid: pending order, no link", o)
		case i < 16:
			l := g.link(o, "pending", created.Add(time.Minute))
			g.noteAll("clean unpaid: link pending", o, l)
		default:
			o.Status = "inactive"
			l := g.link(o, "inactive", created.Add(time.Minute))
			l.UpdatedAt = created.Add(time.Hour)
			g.noteAll("clean unpaid: order and link inactive", o, l)
		}
	}
}

// part is between lo% and hi% of s's amount, in whole currency units for
// IDR (whole rupiah) and cents for SGD.
func (g *gen) part(s *Txn, lo, hi int) int64 {
	pct := int64(lo + g.intn(hi-lo+1))
	a := s.Amount * pct / 100
	if s.Currency == "IDR" {
		a = a / 100 * 100
	}
	if a < 1 {
		a = 1
	}
	return a
}

func (g *gen) noteAll(what string, xs ...any) {
	for _, x := range xs {
		switch v := x.(type) {
		case *Order:
			g.note(v.UID, what)
		case *PaymentLink:
			g.note(v.UID, what)
		case *Txn:
			g.note(v.ID, what)
		}
	}
}

// anomalies plants what README's categories say must be reported.
func (g *gen) anomalies() {
	// ORDER_PAID_NO_TRANSACTION: the link is paid, the gateway has nothing.
	for _, field := range totalFields {
		created := g.at(time.Hour, 20*time.Hour)
		o := g.order(g.currency(), field, created)
		l := g.link(o, "pending", created.Add(time.Minute))
		g.paid(l, l.CreatedAt.Add(10*time.Minute))
		g.plant("ORDER_PAID_NO_TRANSACTION", "link paid, no transaction and no webhook at the gateway", o.UID, l.UID)
	}

	// TRANSACTION_NO_ORDER: a settled sale whose merchant reference is no order.
	for range 2 {
		ref := g.uuid()
		s := g.sale(ref, "IDR", int64(g.intn(900)+100)*100000, "success", g.at(time.Hour, 20*time.Hour), "Atome")
		g.deliverNow(s)
		g.bookInWindow(s, g.paymentTime(s, nil), "")
		g.plant("TRANSACTION_NO_ORDER", "signed, settled sale for merchant reference "+ref+", no such order", s.ID, ref)
	}

	// AMOUNT_MISMATCH: the sale is for another amount than the order, under
	// each of the three total fields.
	for _, field := range totalFields {
		created := g.at(time.Hour, 20*time.Hour)
		cur := g.currency()
		o := g.order(cur, field, created)
		l := g.link(o, "pending", created.Add(time.Minute))
		delta := int64(500000) // Rp 5.000
		if cur == "SGD" {
			delta = 150
		}
		s := g.sale(o.UID, cur, isoMinor(cur, o.Total)+delta, "success", l.CreatedAt.Add(5*time.Minute), "Dash")
		g.paid(l, s.At)
		g.deliverNow(s)
		g.bookInWindow(s, g.paymentTime(s, l), "")
		a := g.plant("AMOUNT_MISMATCH", fmt.Sprintf("sale %d, order total %d under %q", s.Amount, isoMinor(cur, o.Total), field), o.UID, s.ID)
		a.HasAmounts, a.Expected, a.Actual = true, isoMinor(cur, o.Total), s.Amount
	}
	// ... and refunds that add up to more than the sale.
	{
		o, l, s := g.paidOrder("IDR", TotalAmount, time.Hour, 18*time.Hour)
		g.bookInWindow(s, g.paymentTime(s, l), "")
		r1 := g.refund(s, s.Amount*60/100/100*100, s.At.Add(time.Hour))
		r2 := g.refund(s, s.Amount*50/100/100*100, s.At.Add(2*time.Hour))
		for _, r := range []*Txn{r1, r2} {
			g.deliverNow(r)
			g.bookInWindow(r, g.paymentTime(r, nil), "")
		}
		g.plant("AMOUNT_MISMATCH", "two refunds (60% + 50%) add up to more than the sale", o.UID, s.ID, r1.ID, r2.ID)
	}

	// STATUS_MISMATCH: the link expired but the gateway has a settled sale.
	{
		created := g.at(time.Hour, 20*time.Hour)
		o := g.order("IDR", TotalAmt, created)
		l := g.link(o, "expired", created.Add(time.Minute))
		s := g.orderSale(o, "success", l.CreatedAt.Add(8*time.Minute), "GrabPay")
		g.deliverNow(s)
		g.bookInWindow(s, g.paymentTime(s, l), "")
		g.plant("STATUS_MISMATCH", "link expired, gateway sale success (webhook, ledger)", o.UID, l.UID, s.ID)
	}
	// ... the link is paid but the gateway's only sale was rejected.
	{
		created := g.at(time.Hour, 20*time.Hour)
		o := g.order("SGD", TotalItems, created)
		l := g.link(o, "pending", created.Add(time.Minute))
		s := g.orderSale(o, "rejected", l.CreatedAt.Add(4*time.Minute), "Diners")
		g.paid(l, s.At)
		g.deliverNow(s)
		g.plant("STATUS_MISMATCH", "link paid, the gateway's only sale rejected", o.UID, l.UID, s.ID)
	}
	// ... a refund reverses a sale that was voided.
	{
		o, l, s := g.paidOrder("IDR", TotalAmount, time.Hour, 16*time.Hour)
		v := g.void(s, s.At.Add(20*time.Minute))
		g.deliverNow(v)
		l.Status = "cancelled"
		l.UpdatedAt = v.At.Add(10 * time.Second)
		r := g.refund(s, s.Amount, v.At.Add(2*time.Hour))
		g.deliverNow(r)
		g.bookInWindow(r, g.paymentTime(r, nil), "")
		// Only the refund names this one: a row about the voided sale itself
		// is another matter (the void's own id), not this anomaly.
		g.plant("STATUS_MISMATCH", "refund "+r.ID+" of sale "+s.ID+", which void "+v.ID+" (its own id) had voided", r.ID)
		g.noteAll("voided sale whose refund is planted STATUS_MISMATCH", o, l, s, v)
	}

	// DUPLICATE_PAYMENT: two successful sales for one order.
	for range 2 {
		o, l, s := g.paidOrder(g.currency(), g.field(), time.Hour, 20*time.Hour)
		g.bookInWindow(s, g.paymentTime(s, l), "")
		s2 := g.orderSale(o, "success", s.At.Add(g.between(time.Minute, 10*time.Minute)), s.Brand)
		g.deliverNow(s2)
		g.bookInWindow(s2, g.paymentTime(s2, l), "")
		g.plant("DUPLICATE_PAYMENT", "second successful sale "+s2.ID+" for the order (first "+s.ID+")", s2.ID, o.UID)
	}

	// WEBHOOK_MISSING: known from the ledger only.
	{
		_, l, s := g.paidOrderNoWebhook()
		g.bookInWindow(s, l.PaidAt, "")
		g.plant("WEBHOOK_MISSING", "settled sale with no webhook; the ledger line names its id", s.ID)
	}
	{
		_, l, s := g.paidOrder("SGD", TotalAmt, time.Hour, 16*time.Hour)
		g.bookInWindow(s, g.paymentTime(s, l), "")
		r := g.refund(s, g.part(s, 20, 60), s.At.Add(time.Hour))
		g.book(r, g.day, "")
		g.plant("WEBHOOK_MISSING", "refund with no webhook; the ledger line names its id", r.ID)
	}

	// WEBHOOK_BAD_SIGNATURE: a forged, an unsigned and a tampered delivery,
	// each beside the valid delivery of a clean sale.
	for i, kind := range []string{"forged (signed with another key, amount changed)", "unsigned (no Signature header)", "tampered (valid signature of the original, amount changed)"} {
		_, l, s := g.paidOrder(g.currency(), g.field(), time.Hour, 20*time.Hour)
		g.bookInWindow(s, g.paymentTime(s, l), "")
		at := s.At.Add(g.between(15*time.Minute, time.Hour))
		real := notification(s, "success", s.Amount, at.Add(-2*time.Second))
		d := &Delivery{ReceivedAt: at, Kind: "payment", TxnID: s.ID}
		switch i {
		case 0:
			d.Payload = notification(s, "success", s.Amount*2, at.Add(-2*time.Second))
			d.Signature = oxpaySign("not-the-sign-key", d.Payload)
		case 1:
			d.Payload = real
			d.NoSignature = true
		case 2:
			d.Payload = notification(s, "success", s.Amount+100, at.Add(-2*time.Second))
			d.Signature = oxpaySign(SignKey, real)
		}
		g.w.Deliveries = append(g.w.Deliveries, d)
		g.plant("WEBHOOK_BAD_SIGNATURE", kind+" delivery for clean sale "+s.ID, s.ID, s.MerchantRef)
	}

	// WEBHOOK_UNKNOWN_TRANSACTION: signed, but the gateway and the orders
	// know nothing of it.
	{
		ghost := &Txn{
			ID: g.newID(), Type: Sale, MerchantRef: g.uuid(), HostTxnID: g.hex32(),
			State: "success", Brand: "Wechat", Currency: "SGD", Amount: 4250,
			At: g.at(2*time.Hour, 20*time.Hour),
		}
		g.deliverNow(ghost) // not in g.w.Txns: GET answers 400
		g.plant("WEBHOOK_UNKNOWN_TRANSACTION", "signed webhook for an id the gateway does not know, merchant reference no order", ghost.ID)
	}

	// WEBHOOK_STATE_MISMATCH: the API says rejected, the only signed
	// webhook success (link expired, so Xepeng agrees with the API).
	{
		created := g.at(time.Hour, 20*time.Hour)
		o := g.order("IDR", TotalItems, created)
		l := g.link(o, "expired", created.Add(time.Minute))
		s := g.orderSale(o, "rejected", l.CreatedAt.Add(3*time.Minute), "Discover")
		g.deliver(s, "success", s.Amount, s.At.Add(6*time.Second))
		g.plant("WEBHOOK_STATE_MISMATCH", "API rejected, latest signed webhook success", s.ID)
	}
	// ... the API says success, the only signed webhook pending.
	{
		created := g.at(time.Hour, 20*time.Hour)
		o := g.order("SGD", TotalAmount, created)
		l := g.link(o, "pending", created.Add(time.Minute))
		s := g.orderSale(o, "success", l.CreatedAt.Add(3*time.Minute), "Paynow")
		g.paid(l, s.At)
		g.deliver(s, "pending", s.Amount, s.At.Add(-40*time.Second))
		g.bookInWindow(s, g.paymentTime(s, l), "")
		g.plant("WEBHOOK_STATE_MISMATCH", "API success, latest signed webhook pending", s.ID)
	}

	// WEBHOOK_AMOUNT_MISMATCH: the signed webhook says another amount.
	for _, cur := range []string{"IDR", "SGD"} {
		_, l, s := g.paidOrderQuiet(cur)
		delta := int64(100000)
		if cur == "SGD" {
			delta = 10
		}
		g.deliver(s, "success", s.Amount-delta, s.At.Add(7*time.Second))
		g.bookInWindow(s, g.paymentTime(s, l), "")
		g.plant("WEBHOOK_AMOUNT_MISMATCH", fmt.Sprintf("API %d, signed webhook %d", s.Amount, s.Amount-delta), s.ID)
	}

	// WEBHOOK_REPLAYED: the same signed delivery again two days later.
	{
		_, l, s := g.paidOrderQuiet("IDR")
		d := g.deliverNow(s)
		g.bookInWindow(s, g.paymentTime(s, l), "")
		g.again(d, d.ReceivedAt.Add(50*time.Hour))
		g.plant("WEBHOOK_REPLAYED", "the sale's signed delivery logged again 50h after its first receipt", s.ID)
	}

	// LEDGER_MISSING: settled sales and a refund without a ledger line.
	for range 2 {
		o, _, s := g.paidOrder(g.currency(), g.field(), time.Hour, 20*time.Hour)
		g.plant("LEDGER_MISSING", "settled sale, no ledger line", s.ID, o.UID)
	}
	{
		_, l, s := g.paidOrder("IDR", TotalItems, time.Hour, 16*time.Hour)
		g.bookInWindow(s, g.paymentTime(s, l), "")
		r := g.refund(s, g.part(s, 20, 70), s.At.Add(90*time.Minute))
		g.deliverNow(r)
		g.plant("LEDGER_MISSING", "refund (sale booked), no ledger line for the refund", r.ID)
	}

	// LEDGER_UNMATCHED: a bank fee, a manual adjustment, and two bookings
	// outside their sale's window (which leaves each sale unbooked too).
	{
		l := &LedgerLine{Date: g.day.AddDate(0, 0, 1), Reference: "FEE", Description: "BIAYA ADMIN BANK", Currency: "IDR", Minor: -650000}
		g.w.Ledger = append(g.w.Ledger, l)
		g.plant("LEDGER_UNMATCHED", "bank fee line", "FEE")
		l2 := &LedgerLine{Date: g.day, Reference: "ADJ-20261119-0042", Description: "MANUAL ADJUSTMENT", Currency: "IDR", Minor: 25000000}
		g.w.Ledger = append(g.w.Ledger, l2)
		g.plant("LEDGER_UNMATCHED", "manual adjustment with no transaction", l2.Reference)
	}
	for i := range 2 {
		o, l, s := g.paidOrder("IDR", g.field(), 2*time.Hour, 20*time.Hour)
		first, last := Window(g.paymentTime(s, l))
		day, side := last.AddDate(0, 0, 1), "the day after"
		if i == 1 {
			day, side = first.AddDate(0, 0, -1), "the day before"
		}
		g.book(s, day, "")
		g.plant("LEDGER_UNMATCHED", "sale booked "+side+" its settlement window", s.ID)
		// README names the line LEDGER_UNMATCHED; whether the sale is also
		// LEDGER_MISSING ("has no ledger line") depends on the reading.
		g.plant("LEDGER_MISSING", "sale whose only ledger line is outside its window", s.ID, o.UID).Optional = true
	}

	// LEDGER_AMOUNT_MISMATCH: a fee taken off the settlement.
	for _, cur := range []string{"IDR", "SGD"} {
		_, l, s := g.paidOrder(cur, g.field(), time.Hour, 20*time.Hour)
		line := g.bookInWindow(s, g.paymentTime(s, l), "")
		fee := s.Amount * 25 / 1000
		if cur == "IDR" {
			fee = fee / 100 * 100
		}
		if fee == 0 {
			fee = 1
		}
		line.Minor -= fee
		g.plant("LEDGER_AMOUNT_MISMATCH", fmt.Sprintf("ledger %d, gateway %d", line.Minor, s.Amount), s.ID)
	}

	// LEDGER_DUPLICATE: a sale booked twice, identically and on two days.
	for i := range 2 {
		_, l, s := g.paidOrder(g.currency(), g.field(), time.Hour, 20*time.Hour)
		days := bookingDays(g.paymentTime(s, l))
		a := g.book(s, days[0], "")
		b := *a
		what := "sale booked twice by identical lines"
		if i == 1 {
			b.Date = days[len(days)-1]
			what = "sale booked twice on two days"
		}
		g.w.Ledger = append(g.w.Ledger, &b)
		g.plant("LEDGER_DUPLICATE", what, s.ID)
	}

	// INPUT_ERROR: a paid order with no total anywhere.
	{
		created := g.at(time.Hour, 20*time.Hour)
		o := g.order("IDR", TotalNone, created)
		l := g.link(o, "pending", created.Add(time.Minute))
		s := g.orderSale(o, "success", l.CreatedAt.Add(6*time.Minute), "Fiuu")
		g.paid(l, s.At)
		g.deliverNow(s)
		g.bookInWindow(s, g.paymentTime(s, l), "")
		g.plant("INPUT_ERROR", "paid order with no total_amount, amount or items[].amount (sale, webhook and ledger line clean)", o.UID)
	}
}

// paidOrderNoWebhook is paidOrder without the webhook.
func (g *gen) paidOrderNoWebhook() (*Order, *PaymentLink, *Txn) {
	created := g.at(time.Hour, 20*time.Hour)
	o := g.order("IDR", TotalAmt, created)
	l := g.link(o, "pending", created.Add(time.Minute))
	s := g.orderSale(o, "success", l.CreatedAt.Add(9*time.Minute), "ShopeePay")
	g.paid(l, s.At)
	return o, l, s
}

// paidOrderQuiet is a paid order whose webhook the caller writes.
func (g *gen) paidOrderQuiet(currency string) (*Order, *PaymentLink, *Txn) {
	created := g.at(time.Hour, 20*time.Hour)
	o := g.order(currency, g.field(), created)
	l := g.link(o, "pending", created.Add(time.Minute))
	s := g.orderSale(o, "success", l.CreatedAt.Add(5*time.Minute), g.pick(allBrands...))
	g.paid(l, s.At)
	return o, l, s
}

// fillNotes gives every record of an order that has no scenario of its
// own (say, the sale of an order whose refund is planted) the scenarios of
// the order's other records, so that a report can say what it was.
func (g *gen) fillNotes() {
	w := g.w
	byRef := map[string][]string{} // merchant reference -> ids
	for _, o := range w.Orders {
		byRef[o.UID] = append(byRef[o.UID], o.UID)
	}
	for _, l := range w.Links {
		byRef[l.OrderUID] = append(byRef[l.OrderUID], l.UID)
	}
	for _, t := range w.Txns {
		byRef[t.MerchantRef] = append(byRef[t.MerchantRef], t.ID)
	}
	for _, ids := range byRef {
		var scen []string
		for _, id := range ids {
			if sc := scenario(w.Notes[id]); sc != "" && !slices.Contains(scen, sc) {
				scen = append(scen, sc)
			}
		}
		if len(scen) == 0 {
			continue
		}
		for _, id := range ids {
			if scenario(w.Notes[id]) == "" {
				g.note(id, "same order as: "+strings.Join(scen, " / "))
			}
		}
	}
}

// finish sorts what a server or a file would list in time order and sets
// the run date: the day after the last settlement window of the world
// closes (each window counted from its payment time, never a replay).
func (g *gen) finish() {
	w := g.w
	slices.SortStableFunc(w.Deliveries, func(a, b *Delivery) int { return a.ReceivedAt.Compare(b.ReceivedAt) })
	slices.SortStableFunc(w.Ledger, func(a, b *LedgerLine) int { return a.Date.Compare(b.Date) })
	var last time.Time
	for _, at := range g.first {
		if _, l := Window(at); l.After(last) {
			last = l
		}
	}
	for _, l := range w.Links {
		if !l.PaidAt.IsZero() {
			if _, e := Window(l.PaidAt); e.After(last) {
				last = e
			}
		}
	}
	w.RunDate = last.AddDate(0, 0, 1)
	for _, d := range w.Deliveries {
		if !dayOf(d.ReceivedAt).Before(w.RunDate) {
			panic("docfake: a delivery is logged on or after the run date")
		}
	}
	for _, l := range w.Ledger {
		if l.Date.After(w.RunDate) {
			panic("docfake: a ledger line is booked after the run date")
		}
	}
}
