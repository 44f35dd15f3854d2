package sandbox

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/reconkit/reconkit/sandbox/gen"
	"github.com/reconkit/reconkit/wire"
)

// firstTxnID is the id before the first transaction the sandbox creates
// when the dataset has no numeric ids of its own.
const firstTxnID = 10000000

// state is everything both APIs know. Orders and links are kept in
// slices sorted once by (created_at, uid) plus maps by uid, so a list
// page costs O(limit) and a lookup O(1) even over a million orders.
//
// Records are held by pointer and changed only under mu's write lock;
// readers copy the struct under the read lock and encode outside it.
// Slices inside a record (an order's items) are replaced, never written
// in place, so a copy taken earlier stays valid.
type state struct {
	mu sync.RWMutex

	orders     []*wire.Order
	orderByUID map[string]*wire.Order

	links        []*wire.PaymentLink
	linkByUID    map[string]*wire.PaymentLink
	linksByOrder map[string][]*wire.PaymentLink

	txns map[string]*wire.Transaction
	// refunded is the sum of refund amounts per sale id.
	refunded map[string]int64
	// liveSale maps a merchant_reference_id to the sale that holds it:
	// OxPay allows a reference once per terminal while its sale stands.
	liveSale map[string]string

	sessions map[string]*session

	nextOrder, nextLink, nextSession int
	nextTxn                          int64
}

// session is a hosted-payment-page session.
type session struct {
	payment   wire.SessionPayment
	expiresAt time.Time
}

func newState(data *gen.Dataset) *state {
	if data == nil {
		data = &gen.Dataset{}
	}
	s := &state{
		orderByUID:   make(map[string]*wire.Order, len(data.Orders)),
		linkByUID:    make(map[string]*wire.PaymentLink, len(data.Links)),
		linksByOrder: make(map[string][]*wire.PaymentLink, len(data.Links)),
		txns:         make(map[string]*wire.Transaction, len(data.Transactions)),
		refunded:     make(map[string]int64),
		liveSale:     make(map[string]string, len(data.Transactions)),
		sessions:     make(map[string]*session),
		nextTxn:      firstTxnID,
	}
	// One copy of each slice, pointed into, rather than an allocation
	// per record: a million orders load in a fraction of the time.
	orders := slices.Clone(data.Orders)
	s.orders = make([]*wire.Order, 0, len(orders))
	for i := range orders {
		o := &orders[i]
		if _, dup := s.orderByUID[o.UID]; dup {
			continue // the first one wins, as a database with a unique key would have it
		}
		s.orderByUID[o.UID] = o
		s.orders = append(s.orders, o)
	}
	if !slices.IsSortedFunc(s.orders, compareOrders) {
		slices.SortFunc(s.orders, compareOrders)
	}

	links := slices.Clone(data.Links)
	s.links = make([]*wire.PaymentLink, 0, len(links))
	for i := range links {
		l := &links[i]
		if _, dup := s.linkByUID[l.UID]; dup {
			continue
		}
		s.linkByUID[l.UID] = l
		s.links = append(s.links, l)
	}
	if !slices.IsSortedFunc(s.links, compareLinks) {
		slices.SortFunc(s.links, compareLinks)
	}
	for _, l := range s.links {
		s.linksByOrder[l.OrderUID] = append(s.linksByOrder[l.OrderUID], l)
	}

	txns := slices.Clone(data.Transactions)
	for i := range txns {
		t := &txns[i]
		if _, dup := s.txns[t.OxpayTxnID]; dup {
			continue
		}
		s.txns[t.OxpayTxnID] = t
		if n, err := strconv.ParseInt(t.OxpayTxnID, 10, 64); err == nil && n > s.nextTxn {
			s.nextTxn = n
		}
	}
	// A second pass, so refunds listed before their sale still count.
	for i := range txns {
		t := &txns[i]
		if s.txns[t.OxpayTxnID] != t {
			continue // a duplicate id
		}
		switch {
		case isRefund(t):
			s.refunded[t.OxpayOriginalTxnID] += t.RefundAmount
		case isSale(t) && liveSaleState(t.TransactionState):
			if cur, ok := s.liveSale[t.MerchantReferenceID]; !ok || compareIDs(t.OxpayTxnID, cur) < 0 {
				// Duplicate payments exist in generated data on purpose;
				// the lower id holds the reference, deterministically.
				s.liveSale[t.MerchantReferenceID] = t.OxpayTxnID
			}
		}
	}
	return s
}

// compareIDs orders numeric ids by value (shorter first) and any others
// as text.
func compareIDs(a, b string) int {
	if c := cmp.Compare(len(a), len(b)); c != 0 {
		return c
	}
	return cmp.Compare(a, b)
}

func compareOrders(a, b *wire.Order) int {
	if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
		return c
	}
	return cmp.Compare(a.UID, b.UID)
}

func compareLinks(a, b *wire.PaymentLink) int {
	if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
		return c
	}
	return cmp.Compare(a.UID, b.UID)
}

// insertSorted inserts v keeping s sorted. New records are created at
// Now, which is normally the latest time, so the common case appends.
func insertSorted[T any](s []*T, v *T, compare func(a, b *T) int) []*T {
	if n := len(s); n == 0 || compare(s[n-1], v) <= 0 {
		return append(s, v)
	}
	i, _ := slices.BinarySearchFunc(s, v, compare)
	return slices.Insert(s, i, v)
}

// isSale reports whether t is a sale. Generated data may leave the type
// out, as OxPay's own GET response does; a transaction without an
// original is then a sale.
func isSale(t *wire.Transaction) bool {
	return t.TransactionType == wire.TypeSale || (t.TransactionType == "" && t.OxpayOriginalTxnID == "")
}

func isRefund(t *wire.Transaction) bool {
	return t.TransactionType == wire.TypeRefund ||
		(t.TransactionType == "" && t.OxpayOriginalTxnID != "" && t.RefundAmount > 0)
}

// liveSaleState reports whether a sale in this state holds its merchant
// reference (money was taken or is reserved).
func liveSaleState(st string) bool {
	return st == wire.StateSuccess || st == wire.StateAuthorized || st == wire.StateCaptured
}

// page returns a copy of one page of all, which is already sorted.
func page[T any](all []*T, pageNo, limit int) ([]T, wire.Pagination) {
	total := len(all)
	p := wire.Pagination{
		CurrentPage: pageNo,
		TotalPages:  (total + limit - 1) / limit,
		TotalItems:  total,
		Limit:       limit,
	}
	out := make([]T, 0, min(limit, total))
	// Compare before multiplying, so a huge page number cannot overflow.
	if pageNo-1 >= p.TotalPages {
		return out, p
	}
	start := (pageNo - 1) * limit
	end := min(start+limit, total)
	for _, v := range all[start:end] {
		out = append(out, *v)
	}
	return out, p
}

// newOrderUID returns the next sandbox order uid. The SBX infix keeps it
// apart from generated uids; the map check makes sure of it.
func (s *state) newOrderUID() string {
	for {
		s.nextOrder++
		uid := fmt.Sprintf("ORD-SBX-%06d", s.nextOrder)
		if _, taken := s.orderByUID[uid]; !taken {
			return uid
		}
	}
}

func (s *state) newLinkUID() string {
	for {
		s.nextLink++
		uid := fmt.Sprintf("PL-SBX-%06d", s.nextLink)
		if _, taken := s.linkByUID[uid]; !taken {
			return uid
		}
	}
}

func (s *state) newTxnID() string {
	for {
		s.nextTxn++
		id := strconv.FormatInt(s.nextTxn, 10)
		if _, taken := s.txns[id]; !taken {
			return id
		}
	}
}

// newSessionID returns an id of 56 characters (OxPay's are at least 50):
// a counter, so ids are stable from run to run, padded with a hash of it.
func (s *state) newSessionID() string {
	s.nextSession++
	n := fmt.Sprintf("%010d", s.nextSession)
	sum := sha256.Sum256([]byte("reconkit-sandbox-session-" + n))
	return "sess_" + n + "_" + hex.EncodeToString(sum[:20])
}

// hostTxnID is the acquirer's reference: 32 hex characters derived from
// the OxPay id, so reruns give the same values.
func hostTxnID(oxpayTxnID string) string {
	sum := sha256.Sum256([]byte("reconkit-sandbox-host-" + oxpayTxnID))
	return hex.EncodeToString(sum[:16])
}

// markLinkPaid records a payment against the Xepeng link it pays: ref is
// either a link uid or an order uid, and for an order the most recent
// pending link is paid. An expired link (expired_at before now) is left
// alone, so a late payment shows up as a mismatch to reconcile. The
// sandbox never compares amounts: that is the reconciliation's job.
func (s *state) markLinkPaid(ref string, now time.Time) {
	payable := func(l *wire.PaymentLink) bool {
		return l.Status == wire.LinkPending && (l.ExpiredAt == nil || !now.After(*l.ExpiredAt))
	}
	var target *wire.PaymentLink
	if l, ok := s.linkByUID[ref]; ok {
		if payable(l) {
			target = l
		}
	} else {
		links := s.linksByOrder[ref]
		for i := len(links) - 1; i >= 0; i-- {
			if payable(links[i]) {
				target = links[i]
				break
			}
		}
	}
	if target == nil {
		return
	}
	paidAt := now
	target.Status = wire.LinkPaid
	target.PaidAt = &paidAt
	target.UpdatedAt = now
}
