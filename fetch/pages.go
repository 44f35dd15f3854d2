package fetch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/reconkit/reconkit/wire"
)

// list names one of Xepeng's paginated endpoints and the key its items
// sit under.
type list struct {
	path, key string
}

var (
	ordersList = list{path: "/openapi/orders", key: "orders"}
	linksList  = list{path: "/openapi/payment-links", key: "payment_links"}
)

func listPath(base string, page, limit int) string {
	return base + "?page=" + strconv.Itoa(page) + "&limit=" + strconv.Itoa(limit)
}

// listData is the data of either list; only the asked-for key is set.
// Decoding it in the same pass as the envelope keeps a page to one parse.
type listData[E any] struct {
	Orders     []E              `json:"orders"`
	Links      []E              `json:"payment_links"`
	Pagination *wire.Pagination `json:"pagination"`
}

func (d *listData[E]) items(key string) []E {
	if key == ordersList.key {
		return d.Orders
	}
	return d.Links
}

// Item is one list entry with the JSON object exactly as the API sent it,
// for callers that keep the raw record next to the parsed one.
type Item[T any] struct {
	Value T
	Raw   json.RawMessage
}

// page is one decoded page of a list.
type page[T any] struct {
	items []T
	pg    wire.Pagination
}

func same[T any](items []T) ([]T, error) { return items, nil }

// withRaw decodes raw list entries, keeping each one's bytes.
func withRaw[T any](raws []json.RawMessage) ([]Item[T], error) {
	out := make([]Item[T], len(raws))
	for i, raw := range raws {
		if err := json.Unmarshal(raw, &out[i].Value); err != nil {
			return nil, fmt.Errorf("item %d: %w", i, err)
		}
		out[i].Raw = raw
	}
	return out, nil
}

func orderUID(o wire.Order) string      { return o.UID }
func linkUID(l wire.PaymentLink) string { return l.UID }

func rawUID[T any](uid func(T) string) func(Item[T]) string {
	return func(it Item[T]) string { return uid(it.Value) }
}

// getPage reads page n of l. E is an entry as decoded from the body and
// T what the caller gets; convert runs inside the attempt, so an entry
// that does not decode is retried like any other unusable body, as is an
// entry without a uid.
func getPage[E, T any](ctx context.Context, x *Xepeng, l list, n, limit int, convert func([]E) ([]T, error), uid func(T) string) (page[T], error) {
	if n < 1 {
		n = 1
	}
	if limit < 1 {
		limit = 10
	}
	var p page[T]
	cl := call{method: "GET", endpoint: "GET " + l.path, path: listPath(l.path, n, limit)}
	err := x.core.do(ctx, cl, func(body []byte) error {
		var env struct {
			Status  string       `json:"status"`
			Success *bool        `json:"success"`
			Data    *listData[E] `json:"data"`
		}
		err := json.Unmarshal(body, &env)
		if err != nil || !xepengSucceeded(env.Status, env.Success) {
			if _, eerr := xepengData(body); eerr != nil {
				return eerr // a refusal, or not an envelope at all
			}
			return bad("decode %s page: %w", l.key, err)
		}
		if env.Data == nil {
			return bad("%s page has no data", l.key)
		}
		items := env.Data.items(l.key)
		if items == nil || env.Data.Pagination == nil {
			return bad("%s page lacks %s or pagination", l.key, l.key)
		}
		out, err := convert(items)
		if err != nil {
			return bad("decode %s: %w", l.key, err)
		}
		for i, it := range out {
			if uid(it) == "" {
				return bad("%s[%d] has no uid", l.key, i)
			}
		}
		p = page[T]{items: out, pg: *env.Data.Pagination}
		return nil
	})
	return p, err
}

// AllOrders walks every page of GET /openapi/orders, limit orders a page
// (0 means DefaultPageLimit), and calls fn with each page in page order.
// See walk for what it guards against.
func (x *Xepeng) AllOrders(ctx context.Context, limit int, fn func([]wire.Order) error) error {
	return walk(ctx, x, ordersList, limit, same[wire.Order], orderUID, fn)
}

// AllOrdersRaw is AllOrders with each order's raw JSON.
func (x *Xepeng) AllOrdersRaw(ctx context.Context, limit int, fn func([]Item[wire.Order]) error) error {
	return walk(ctx, x, ordersList, limit, withRaw[wire.Order], rawUID(orderUID), fn)
}

// AllPaymentLinks walks every page of GET /openapi/payment-links like
// AllOrders.
func (x *Xepeng) AllPaymentLinks(ctx context.Context, limit int, fn func([]wire.PaymentLink) error) error {
	return walk(ctx, x, linksList, limit, same[wire.PaymentLink], linkUID, fn)
}

// AllPaymentLinksRaw is AllPaymentLinks with each link's raw JSON.
func (x *Xepeng) AllPaymentLinksRaw(ctx context.Context, limit int, fn func([]Item[wire.PaymentLink]) error) error {
	return walk(ctx, x, linksList, limit, withRaw[wire.PaymentLink], rawUID(linkUID), fn)
}

// walk reads page 1 to learn total_pages, then the other pages with
// Options.Concurrency requests in flight, and hands them to fn in page
// order. It fails with ErrInconsistent, never by stopping early, when a
// page before the last is empty, when total_pages changes during the
// walk, when total_items and total_pages disagree, or when the server
// answers with another page than asked.
//
// A uid is delivered once. If the list shifts during the walk (new items
// pushing older ones onto the next page), an item seen on two adjacent
// pages is delivered with the later page, as the fresher copy; one seen
// again further on is dropped, as the earlier copy was already handed
// over. Only one page beyond those being fetched is held back for this,
// plus the set of uids delivered.
func walk[E, T any](ctx context.Context, x *Xepeng, l list, limit int, convert func([]E) ([]T, error), uid func(T) string, fn func([]T) error) error {
	first, total, err := firstPage(ctx, x, l, limit, convert, uid)
	if err != nil || total <= 0 {
		return err
	}
	return walkPages(ctx, x, l, limit, convert, uid, first, total, 1, total, fn)
}

// firstPage reads page 1 of l and checks its pagination. total is 0 for
// an empty list.
func firstPage[E, T any](ctx context.Context, x *Xepeng, l list, limit int, convert func([]E) ([]T, error), uid func(T) string) (page[T], int, error) {
	if limit < 1 {
		limit = DefaultPageLimit
	}
	endpoint := "GET " + l.path
	first, err := getPage(ctx, x, l, 1, limit, convert, uid)
	if err != nil {
		return first, 0, fmt.Errorf("walk %s page 1: %w", l.key, err)
	}
	total, pg := first.pg.TotalPages, first.pg
	per := limit
	if pg.Limit > 0 {
		per = pg.Limit // the server may cap the limit asked for
	}
	path1 := listPath(l.path, 1, limit)
	switch {
	case pg.CurrentPage != 0 && pg.CurrentPage != 1:
		return first, 0, x.core.inconsistent(endpoint, path1, "asked for page 1, got current_page %d", pg.CurrentPage)
	case total <= 0 && len(first.items) > 0:
		return first, 0, x.core.inconsistent(endpoint, path1, "total_pages is %d but page 1 has %d %s", total, len(first.items), l.key)
	case total <= 0:
		return first, 0, nil
	case total > 1 && len(first.items) == 0:
		return first, 0, x.core.inconsistent(endpoint, path1, "page 1 of %d is empty", total)
	case pg.TotalItems > 0 && int64(pg.TotalItems) > int64(total)*int64(per):
		return first, 0, x.core.inconsistent(endpoint, path1, "total_items %d do not fit in total_pages %d of %d", pg.TotalItems, total, per)
	case pg.TotalItems > 0 && total > 1 && int64(pg.TotalItems) <= int64(total-1)*int64(per):
		return first, 0, x.core.inconsistent(endpoint, path1, "total_items %d need fewer than total_pages %d of %d", pg.TotalItems, total, per)
	}
	return first, total, nil
}

// laterPage reads page n (> 1) of a walk over total pages and checks it
// belongs to the same list as page 1.
func laterPage[E, T any](ctx context.Context, x *Xepeng, l list, n, limit, total int, convert func([]E) ([]T, error), uid func(T) string) (page[T], error) {
	endpoint := "GET " + l.path
	path := listPath(l.path, n, limit)
	p, err := getPage(ctx, x, l, n, limit, convert, uid)
	switch {
	case err != nil:
		return p, fmt.Errorf("walk %s page %d of %d: %w", l.key, n, total, err)
	case p.pg.CurrentPage != 0 && p.pg.CurrentPage != n:
		return p, x.core.inconsistent(endpoint, path, "asked for page %d, got current_page %d", n, p.pg.CurrentPage)
	case p.pg.TotalPages != total:
		return p, x.core.inconsistent(endpoint, path, "total_pages changed from %d to %d at page %d; the list changed during the walk", total, p.pg.TotalPages, n)
	case len(p.items) == 0:
		return p, x.core.inconsistent(endpoint, path, "page %d of %d is empty", n, total)
	}
	return p, nil
}

// walkPages delivers pages from..to of a list of total pages whose page
// 1 has been read (first), reading the others with
// Options.Concurrency requests in flight, in page order.
func walkPages[E, T any](ctx context.Context, x *Xepeng, l list, limit int, convert func([]E) ([]T, error), uid func(T) string,
	first page[T], total, from, to int, fn func([]T) error) error {
	if limit < 1 {
		limit = DefaultPageLimit
	}
	d := dedup[T]{uid: uid, fn: fn, delivered: make(map[string]struct{})}
	progress := x.core.opts.Progress
	pages := to - from + 1
	start := from
	if from == 1 {
		if err := d.add(first.items); err != nil {
			return err
		}
		if progress != nil {
			progress(1, pages)
		}
		start = 2
	}
	type result struct {
		p   page[T]
		err error
	}
	err := ordered(ctx, to-start+1, x.core.opts.Concurrency,
		func(ctx context.Context, i int) result {
			p, err := laterPage(ctx, x, l, start+i, limit, total, convert, uid)
			return result{p, err}
		},
		func(i int, r result) error {
			if r.err != nil {
				return r.err
			}
			if err := d.add(r.p.items); err != nil {
				return err
			}
			if progress != nil {
				progress(start+i-from+1, pages)
			}
			return nil
		})
	if err != nil {
		if _, ok := errors.AsType[*APIError](err); !ok {
			err = fmt.Errorf("walk %s: %w", l.key, err)
		}
		return err
	}
	return d.flush()
}

// dedup holds back one page so that an item repeated on the next page is
// delivered once, with the later page.
type dedup[T any] struct {
	uid       func(T) string
	fn        func([]T) error
	delivered map[string]struct{}
	held      []T
}

func (d *dedup[T]) add(items []T) error {
	last := make(map[string]int, len(items))
	for i, it := range items {
		last[d.uid(it)] = i
	}
	fresh := make([]T, 0, len(items))
	for i, it := range items {
		id := d.uid(it)
		if _, done := d.delivered[id]; done || last[id] != i {
			continue
		}
		fresh = append(fresh, it)
	}
	if d.held != nil {
		kept := d.held[:0]
		for _, it := range d.held {
			if _, again := last[d.uid(it)]; !again {
				kept = append(kept, it)
			}
		}
		d.held = kept
		if err := d.flush(); err != nil {
			return err
		}
	}
	d.held = fresh
	return nil
}

func (d *dedup[T]) flush() error {
	held := d.held
	d.held = nil
	for _, it := range held {
		d.delivered[d.uid(it)] = struct{}{}
	}
	if len(held) == 0 {
		return nil
	}
	return d.fn(held)
}
