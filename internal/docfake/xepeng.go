package docfake

import (
	"cmp"
	"crypto/hmac"
	"io"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"
)

// Envelopes the Xepeng documents show: the Node package types responses
// as {status, message, data}; the PHP package's README as {success,
// message, data}.
const (
	EnvelopeStatus  = "status"
	EnvelopeSuccess = "success"
)

// XepengOptions configures the fake Xepeng Open API.
type XepengOptions struct {
	ClientID     string // default ClientID
	ClientSecret string // default ClientSecret
	Envelope     string // EnvelopeStatus (default) or EnvelopeSuccess
	// Now is the server's clock for the X-Timestamp check (default time.Now).
	Now func() time.Time
}

// Request is one request a fake answered.
type Request struct {
	Method, Path, Query string
	Status              int
	Note                string // why it was refused, when it was
}

// requestLog is the requests a fake answered, safe for concurrent use.
type requestLog struct {
	mu   sync.Mutex
	reqs []Request
}

func (l *requestLog) add(r Request) {
	l.mu.Lock()
	l.reqs = append(l.reqs, r)
	l.mu.Unlock()
}

// Requests returns a copy of the requests answered so far.
func (l *requestLog) Requests() []Request {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.reqs)
}

// Xepeng is a fake of the Xepeng Open API's read endpoints, written from
// the Postman page and the facts of the Node and PHP packages:
// GET /openapi/orders, /openapi/orders/{uid}, /openapi/payment-links and
// /openapi/payment-links/{uid}, each verified by X-Client-ID,
// X-Timestamp and X-Signature.
type Xepeng struct {
	requestLog
	w   *World
	o   XepengOptions
	mux *http.ServeMux
}

var _ http.Handler = (*Xepeng)(nil)

// NewXepeng returns the fake serving w.
func NewXepeng(w *World, o XepengOptions) *Xepeng {
	if o.ClientID == "" {
		o.ClientID = ClientID
	}
	if o.ClientSecret == "" {
		o.ClientSecret = ClientSecret
	}
	if o.Envelope == "" {
		o.Envelope = EnvelopeStatus
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	x := &Xepeng{w: w, o: o, mux: http.NewServeMux()}
	x.mux.HandleFunc("GET /openapi/orders", x.listOrders)
	x.mux.HandleFunc("GET /openapi/orders/{uid}", x.getOrder)
	x.mux.HandleFunc("GET /openapi/payment-links", x.listLinks)
	x.mux.HandleFunc("GET /openapi/payment-links/{uid}", x.getLink)
	x.mux.HandleFunc("/", func(rw http.ResponseWriter, r *http.Request) {
		x.fail(rw, r, http.StatusNotFound, "NOT_FOUND", "Route not found")
	})
	return x
}

// ServeHTTP verifies the request's signature, then routes it.
func (x *Xepeng) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		x.fail(rw, r, http.StatusBadRequest, "VALIDATION_ERROR", "unreadable body")
		return
	}
	if why := x.verify(r, body); why != "" {
		x.fail(rw, r, http.StatusUnauthorized, "UNAUTHORIZED", why)
		return
	}
	x.mux.ServeHTTP(rw, r)
}

// verify checks the three signing headers; it returns why a request is
// refused, or "". DESIGN: X-Timestamp is Unix seconds (the Node package);
// a value in milliseconds (the Postman page's DateNow()) is accepted too. The
// signature covers the path without the query and the raw body bytes.
func (x *Xepeng) verify(r *http.Request, body []byte) string {
	if r.Header.Get("X-Client-ID") != x.o.ClientID {
		return "Invalid client id"
	}
	tsText := r.Header.Get("X-Timestamp")
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return "Invalid timestamp"
	}
	if ts > 1e12 {
		ts /= 1000
	}
	if d := x.o.Now().Sub(time.Unix(ts, 0)); d > 5*time.Minute || d < -5*time.Minute {
		return "Request timestamp expired"
	}
	want := xepengSign(x.o.ClientSecret, r.Method, r.URL.EscapedPath(), tsText, body)
	if !hmac.Equal([]byte(r.Header.Get("X-Signature")), []byte(want)) {
		return "Invalid signature"
	}
	return ""
}

func (x *Xepeng) write(rw http.ResponseWriter, r *http.Request, status int, v obj, note string) {
	x.add(Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Status: status, Note: note})
	rw.Header().Set("Content-Type", "application/json")
	rw.WriteHeader(status)
	rw.Write(mustMarshal(v))
}

func (x *Xepeng) ok(rw http.ResponseWriter, r *http.Request, msg string, data any) {
	var v obj
	if x.o.Envelope == EnvelopeSuccess {
		v = obj{{"success", true}, {"message", msg}, {"data", data}}
	} else {
		v = obj{{"status", "success"}, {"message", msg}, {"data", data}}
	}
	x.write(rw, r, http.StatusOK, v, "")
}

func (x *Xepeng) fail(rw http.ResponseWriter, r *http.Request, status int, code, msg string) {
	var v obj
	if x.o.Envelope == EnvelopeSuccess {
		v = obj{{"success", false}, {"message", msg}, {"error_code", code}}
	} else {
		v = obj{{"status", "error"}, {"message", msg}}
	}
	x.write(rw, r, status, v, msg)
}

// page reads page and limit (defaults 1 and 10, as the Node package;
// limit at most 100).
func page(r *http.Request) (pg, limit int, ok bool) {
	pg, limit = 1, 10
	var err error
	if s := r.URL.Query().Get("page"); s != "" {
		if pg, err = strconv.Atoi(s); err != nil || pg < 1 {
			return 0, 0, false
		}
	}
	if s := r.URL.Query().Get("limit"); s != "" {
		if limit, err = strconv.Atoi(s); err != nil || limit < 1 || limit > 100 {
			return 0, 0, false
		}
	}
	return pg, limit, true
}

// paginate answers one page of items, newest first, with the PHP README's
// pagination object. A page past the last is empty.
func paginate[T any](items []T, pg, limit int) ([]T, obj) {
	total := len(items)
	pages := max(1, (total+limit-1)/limit)
	from := min((pg-1)*limit, total)
	to := min(from+limit, total)
	return items[from:to], obj{
		{"current_page", pg},
		{"total_pages", pages},
		{"total_items", total},
		{"limit", limit},
	}
}

func (x *Xepeng) listOrders(rw http.ResponseWriter, r *http.Request) {
	pg, limit, ok := page(r)
	if !ok {
		x.fail(rw, r, http.StatusUnprocessableEntity, "VALIDATION_ERROR", "page and limit must be integers, limit 1..100")
		return
	}
	// DESIGN: newest first, as a Laravel list usually is; the documents
	// give no order.
	orders := slices.Clone(x.w.Orders)
	slices.SortStableFunc(orders, func(a, b *Order) int {
		return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), cmp.Compare(a.UID, b.UID))
	})
	items, pagination := paginate(orders, pg, limit)
	out := make([]obj, len(items))
	for i, o := range items {
		out[i] = orderJSON(o)
	}
	x.ok(rw, r, "Orders retrieved successfully", obj{{"orders", out}, {"pagination", pagination}})
}

func (x *Xepeng) getOrder(rw http.ResponseWriter, r *http.Request) {
	for _, o := range x.w.Orders {
		if o.UID == r.PathValue("uid") {
			x.ok(rw, r, "Order retrieved successfully", orderJSON(o))
			return
		}
	}
	x.fail(rw, r, http.StatusNotFound, "NOT_FOUND", "Order not found")
}

func (x *Xepeng) listLinks(rw http.ResponseWriter, r *http.Request) {
	pg, limit, ok := page(r)
	if !ok {
		x.fail(rw, r, http.StatusUnprocessableEntity, "VALIDATION_ERROR", "page and limit must be integers, limit 1..100")
		return
	}
	links := slices.Clone(x.w.Links)
	slices.SortStableFunc(links, func(a, b *PaymentLink) int {
		return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), cmp.Compare(a.UID, b.UID))
	})
	items, pagination := paginate(links, pg, limit)
	out := make([]obj, len(items))
	for i, l := range items {
		out[i] = linkJSON(l)
	}
	x.ok(rw, r, "Payment links retrieved successfully", obj{{"payment_links", out}, {"pagination", pagination}})
}

func (x *Xepeng) getLink(rw http.ResponseWriter, r *http.Request) {
	for _, l := range x.w.Links {
		if l.UID == r.PathValue("uid") {
			x.ok(rw, r, "Payment link retrieved successfully", linkJSON(l))
			return
		}
	}
	x.fail(rw, r, http.StatusNotFound, "NOT_FOUND", "Payment link not found")
}

// laravel is how a PHP (Laravel) server serialises a timestamp: UTC with
// microseconds.
const laravel = "2006-01-02T15:04:05.000000Z"

func ts(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(laravel)
}

// orderJSON is an order as the server answers it. The total's field
// depends on how the order was created: total_amount (with items), the
// Postman body's amount (with description, customer, metadata), only
// items[].amount (the Node package's body), or nothing at all.
func orderJSON(o *Order) obj {
	v := obj{{"uid", o.UID}, {"status", o.Status}}
	items := func(withDesc bool) []obj {
		out := make([]obj, 0, len(o.Items))
		for _, it := range o.Items {
			i := obj{{"product_name", it.Name}}
			if withDesc {
				i = append(i, field{"product_description", "Produk " + it.Name})
			}
			if it.Amount != 0 {
				i = append(i, field{"amount", it.Amount})
			}
			out = append(out, i)
		}
		return out
	}
	switch o.TotalField {
	case TotalAmount:
		v = append(v,
			field{"currency", o.Currency},
			field{"total_amount", o.Total},
			field{"items", items(true)})
	case TotalAmt:
		v = append(v,
			field{"amount", o.Total},
			field{"currency", o.Currency},
			field{"description", "Order " + o.Ref},
			field{"customer", obj{{"name", o.Customer.Name}, {"email", o.Customer.Email}, {"phone", o.Customer.Phone}}},
			field{"metadata", obj{{"order_ref", o.Ref}}})
	default: // TotalItems, TotalNone
		v = append(v,
			field{"currency", o.Currency},
			field{"items", items(false)})
	}
	return append(v, field{"created_at", ts(o.CreatedAt)}, field{"updated_at", ts(o.UpdatedAt)})
}

func linkJSON(l *PaymentLink) obj {
	return obj{
		{"uid", l.UID},
		{"order_uid", l.OrderUID},
		{"status", l.Status},
		{"amount", l.Amount},
		{"currency", l.Currency},
		{"payment_url", "https://pay.xepeng.com/checkout/" + l.UID},
		{"expired_at", ts(l.ExpiredAt)},
		{"paid_at", ts(l.PaidAt)},
		{"created_at", ts(l.CreatedAt)},
		{"updated_at", ts(l.UpdatedAt)},
	}
}
