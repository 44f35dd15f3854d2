package fetch

import (
	"context"
	"time"

	"github.com/reconkit/reconkit/wire"
)

// OrdersSinceRaw is AllOrdersRaw for a pull that already holds the older
// orders: it reads only the pages that may hold an order created at or
// after since, plus page 1 (and the last page) to learn the list's
// shape. The API has no filter by date, so the pages are found by binary
// search over the list's created_at order, ascending or descending
// (whichever the list keeps; a list in neither order gives a page range
// that is still correct for the order it was probed in). A zero since is
// a full walk. It returns how many pages the walk delivered.
//
// Updates to orders created before since are not seen: the caller
// chooses since with a look-back long enough for late updates, and a
// full walk now and then.
func (x *Xepeng) OrdersSinceRaw(ctx context.Context, limit int, since time.Time, fn func([]Item[wire.Order]) error) (int, error) {
	return walkSince(ctx, x, ordersList, limit, withRaw[wire.Order], rawUID(orderUID),
		func(it Item[wire.Order]) time.Time { return it.Value.CreatedAt }, since, fn)
}

// PaymentLinksSinceRaw is OrdersSinceRaw for payment links.
func (x *Xepeng) PaymentLinksSinceRaw(ctx context.Context, limit int, since time.Time, fn func([]Item[wire.PaymentLink]) error) (int, error) {
	return walkSince(ctx, x, linksList, limit, withRaw[wire.PaymentLink], rawUID(linkUID),
		func(it Item[wire.PaymentLink]) time.Time { return it.Value.CreatedAt }, since, fn)
}

func walkSince[E, T any](ctx context.Context, x *Xepeng, l list, limit int, convert func([]E) ([]T, error), uid func(T) string,
	created func(T) time.Time, since time.Time, fn func([]T) error) (int, error) {
	if limit < 1 {
		limit = DefaultPageLimit
	}
	first, total, err := firstPage(ctx, x, l, limit, convert, uid)
	if err != nil || total <= 0 {
		return 0, err
	}
	if since.IsZero() || total == 1 {
		return total, walkPages(ctx, x, l, limit, convert, uid, first, total, 1, total, fn)
	}
	probed := map[int]page[T]{1: first}
	get := func(n int) (page[T], error) {
		if p, ok := probed[n]; ok {
			return p, nil
		}
		p, err := laterPage(ctx, x, l, n, limit, total, convert, uid)
		if err == nil {
			probed[n] = p
		}
		return p, err
	}
	head := func(p page[T]) time.Time { return created(p.items[0]) }
	tail := func(p page[T]) time.Time { return created(p.items[len(p.items)-1]) }
	last, err := get(total)
	if err != nil {
		return 0, err
	}
	from, to := 1, total
	if !tail(last).Before(head(first)) {
		// Ascending: the first page whose last (newest) item is not
		// before since.
		lo, hi := 1, total
		for lo < hi {
			mid := lo + (hi-lo)/2
			p, err := get(mid)
			if err != nil {
				return 0, err
			}
			if tail(p).Before(since) {
				lo = mid + 1
			} else {
				hi = mid
			}
		}
		from = lo
	} else {
		// Descending: the last page whose first (newest) item is not
		// before since. Page 1 is always read.
		lo, hi := 1, total
		for lo < hi {
			mid := lo + (hi-lo+1)/2
			p, err := get(mid)
			if err != nil {
				return 0, err
			}
			if head(p).Before(since) {
				hi = mid - 1
			} else {
				lo = mid
			}
		}
		to = lo
	}
	return to - from + 1, walkPages(ctx, x, l, limit, convert, uid, first, total, from, to, fn)
}
