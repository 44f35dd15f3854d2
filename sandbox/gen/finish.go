package gen

import (
	"cmp"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/reconkit/reconkit/wire"
)

const (
	idLen   = 8               // digits of an oxpay_txn_id
	hostLen = 2 * 16          // hex digits of a host_txn_id
	sigLen  = 2 * sha256.Size // hex digits of a signature
)

// sortKey orders records by key, then by creation, so that equal times
// keep the order they were generated in.
type sortKey struct {
	key int64
	idx int32
}

func sortKeys(keys []sortKey) {
	slices.SortFunc(keys, func(a, b sortKey) int {
		if a.key != b.key {
			return cmp.Compare(a.key, b.key)
		}
		return cmp.Compare(a.idx, b.idx)
	})
}

// finish assigns ids, builds payloads and signatures, and orders
// everything the way the Dataset promises.
func (w *world) finish() (*Dataset, error) {
	ds := &Dataset{Options: w.opts, Orders: w.orders, Links: w.links}
	ds.Transactions = w.transactions()
	var err error
	if ds.Webhooks, err = w.deliveries(); err != nil {
		return nil, err
	}
	ds.Ledger = w.ledger()
	ds.Anomalies = w.anomalies()
	return ds, nil
}

func (w *world) txnID(t int32) string {
	r := int(w.txns[t].rank)
	return w.ids[r*idLen : (r+1)*idLen]
}

// transactions numbers the transactions in the order they happened and
// returns them in that order, as GET /payment/{id} reports each.
func (w *world) transactions() []wire.Transaction {
	keys := make([]sortKey, len(w.txns))
	for i := range w.txns {
		keys[i] = sortKey{w.txns[i].at, int32(i)}
	}
	sortKeys(keys)
	// Strings built once and handed out as substrings; strings.Builder
	// hands over its buffer without a copy.
	var ids, hosts strings.Builder
	ids.Grow(len(keys) * idLen)
	hosts.Grow(len(keys) * hostLen)
	var scratch [hostLen]byte
	for r, k := range keys {
		t := &w.txns[k.idx]
		t.rank = int32(r)
		ids.Write(strconv.AppendInt(scratch[:0], w.opts.FirstTxnID+int64(r), 10))
		hosts.Write(hex.AppendEncode(scratch[:0], t.host[:]))
	}
	w.ids = ids.String()
	hostStr := hosts.String()
	out := make([]wire.Transaction, len(keys))
	for r, k := range keys {
		t := &w.txns[k.idx]
		wt := wire.Transaction{
			OxpayTxnID:          w.txnID(k.idx),
			MerchantReferenceID: t.ref,
			HostTxnID:           hostStr[r*hostLen : (r+1)*hostLen],
			TransactionType:     wire.TypeSale,
			TransactionState:    states[t.state],
			PaymentBrand:        brands[t.brand],
			TransactionAmount:   t.amount,
			RefundAmount:        t.refund,
			TransactionCurrency: currencies[t.cur],
		}
		switch {
		case t.isRefund:
			wt.TransactionType = wire.TypeRefund
			wt.OxpayOriginalTxnID = w.txnID(t.orig)
		case t.isVoid:
			wt.TransactionType = wire.TypeVoid
			wt.OxpayOriginalTxnID = w.txnID(t.orig)
		}
		out[r] = wt
	}
	return out
}

// maxWorkers caps the goroutines that build webhook payloads; 0 means
// GOMAXPROCS. Tests vary it to show the output does not depend on it.
var maxWorkers = 0

// forgedKey signs the deliveries forged on purpose.
const forgedKey = "forged-sign-key"

// deliveries builds every payload and signature, in the order the
// receiver logged them. Payloads and signing are most of Generate's work
// and each delivery depends only on its own record, so the sorted range
// is split between workers; redeliveries then share the bytes of the
// delivery they repeat.
func (w *world) deliveries() ([]Delivery, error) {
	n := len(w.hooks)
	keys := make([]sortKey, n)
	for i := range w.hooks {
		keys[i] = sortKey{w.hooks[i].recv, int32(i)}
	}
	sortKeys(keys)
	out := make([]Delivery, n)
	sigs := make([]byte, n*sigLen)

	workers := runtime.GOMAXPROCS(0)
	if maxWorkers > 0 {
		workers = min(workers, maxWorkers)
	}
	workers = max(1, min(workers, n/4096))
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for g := range workers {
		lo, hi := g*n/workers, (g+1)*n/workers
		wg.Go(func() { errs[g] = w.buildDeliveries(keys, lo, hi, out, sigs) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}

	pos := make([]int32, n) // where each hook landed
	for r, k := range keys {
		pos[k.idx] = int32(r)
	}
	for r, k := range keys {
		if dup := w.hooks[k.idx].dupOf; dup >= 0 {
			// A redelivery: the same bytes and signature, logged alike.
			o := pos[dup]
			out[r].Payload, out[r].AsString, out[r].Forged = out[o].Payload, out[o].AsString, out[o].Forged
			copy(sigs[r*sigLen:(r+1)*sigLen], sigs[int(o)*sigLen:])
		}
	}
	sigStr := string(sigs)
	for r, k := range keys {
		if w.hooks[k.idx].mode != hookUnsigned {
			out[r].Signature = sigStr[r*sigLen : (r+1)*sigLen]
		}
	}
	return out, nil
}

// buildDeliveries fills out[lo:hi] and their signatures, except for
// redeliveries. It only reads the world.
func (w *world) buildDeliveries(keys []sortKey, lo, hi int, out []Delivery, sigs []byte) error {
	good, forged := newSigner(w.opts.SignKey), newSigner(forgedKey)
	if forgedKey == w.opts.SignKey {
		forged = newSigner(forgedKey + "-2")
	}
	var (
		ar      arena
		compact []byte
		err     error
	)
	for r := lo; r < hi; r++ {
		h := &w.hooks[keys[r].idx]
		d := &out[r]
		d.ReceivedAt = utc(h.recv)
		if h.dupOf >= 0 {
			continue
		}
		sig := sigs[r*sigLen : (r+1)*sigLen]
		if h.mode == hookNormal && (h.form == formPrettyRaw || h.form == formPrettyCompact) {
			compact = w.appendNotification(compact[:0], h.txn, h.state, h.event)
			start := ar.reserve(2 * len(compact))
			if ar.chunk, err = appendIndented(ar.chunk, compact); err != nil {
				return fmt.Errorf("indent payload of transaction %s: %w", w.txnID(h.txn), err)
			}
			d.Payload, d.AsString = ar.take(start), true
			if h.form == formPrettyRaw {
				good.sign(sig, d.Payload)
			} else {
				good.sign(sig, compact)
			}
			continue
		}
		start := ar.reserve(1024)
		ar.chunk = w.appendNotification(ar.chunk, h.txn, h.state, h.event)
		d.Payload = ar.take(start)
		switch h.mode {
		case hookForged:
			d.Forged = true
			forged.sign(sig, d.Payload)
		case hookUnsigned:
			d.Forged = true
		default:
			d.AsString = h.form == formCompactString
			good.sign(sig, d.Payload)
		}
	}
	return nil
}

// ledger builds references and descriptions and orders lines by booking
// date and, within a day, by when the money moved.
func (w *world) ledger() []LedgerLine {
	base := w.cal[0].start
	keys := make([]sortKey, len(w.lines))
	for i := range w.lines {
		l := &w.lines[i]
		// Events fall after the calendar's first midnight and within far
		// less than 2^40 seconds of it.
		keys[i] = sortKey{int64(l.day)<<40 | (l.at - base), int32(i)}
	}
	sortKeys(keys)
	var descs strings.Builder
	descs.Grow(len(keys) * 32)
	ends := make([]int, len(keys))
	var scratch []byte
	for r, k := range keys {
		scratch = w.appendDesc(scratch[:0], &w.lines[k.idx])
		descs.Write(scratch)
		ends[r] = descs.Len()
	}
	descStr := descs.String()
	out := make([]LedgerLine, len(keys))
	start := 0
	for r, k := range keys {
		l := &w.lines[k.idx]
		out[r] = LedgerLine{Date: w.cal[l.day].date, Reference: w.lineRef(l),
			Description: descStr[start:ends[r]], Debit: l.debit, Credit: l.credit, Currency: currencies[l.cur]}
		if l.txn < 0 {
			out[r].Fee = w.unknown[l.unknown].fee
		}
		start = ends[r]
	}
	return out
}

func (w *world) lineRef(l *line) string {
	switch {
	case l.txn < 0:
		return w.unknown[l.unknown].ref
	case l.byMerchant:
		return w.txns[l.txn].ref
	}
	return w.txnID(l.txn)
}

func (w *world) appendDesc(b []byte, l *line) []byte {
	if l.txn < 0 {
		return append(b, w.unknown[l.unknown].desc...)
	}
	t := &w.txns[l.txn]
	id, brand := w.txnID(l.txn), brands[t.brand]
	op := "SALE "
	if t.isRefund {
		op = "REFUND "
	}
	switch l.variant {
	case descComma:
		b = append(b, "OXPAY "...)
		b = append(b, op...)
		b = append(b, id...)
		b = append(b, ", "...)
		b = append(b, brand...)
		b = append(b, ", batch "...)
		return append(b, w.cal[l.day].ymd...)
	case descQuote:
		b = append(b, "OXPAY "...)
		b = append(b, op...)
		b = append(b, id...)
		b = append(b, ` "`...)
		b = append(b, brand...)
		return append(b, `" settlement`...)
	case descNonASCII:
		b = append(b, "Penerimaan OXPAY "...)
		b = append(b, id...)
		b = append(b, " – "...)
		b = append(b, brand...)
		return append(b, " · Café Zoë"...)
	case descFormulaEq:
		b = append(b, `=HYPERLINK("https://example.invalid/?r=`...)
		b = append(b, id...)
		b = append(b, `","OXPAY `...)
		b = append(b, op...)
		b = append(b, id...)
		return append(b, `")`...)
	case descFormulaAt:
		b = append(b, "@SUM(1+1) OXPAY "...)
		b = append(b, op...)
		b = append(b, id...)
		b = append(b, ' ')
		return append(b, brand...)
	}
	b = append(b, "OXPAY "...)
	b = append(b, op...)
	b = append(b, id...)
	b = append(b, ' ')
	return append(b, brand...)
}

// signer computes OxPay signatures (what sign.OxPay computes) reusing one
// HMAC state, which matters at a million deliveries.
type signer struct {
	mac hash.Hash
	sum []byte
}

func newSigner(key string) *signer {
	return &signer{mac: hmac.New(sha256.New, []byte(key)), sum: make([]byte, 0, sha256.Size)}
}

// sign writes the lowercase hex signature of payload into dst[:sigLen].
func (s *signer) sign(dst, payload []byte) {
	s.mac.Reset()
	s.mac.Write(payload)
	s.sum = s.mac.Sum(s.sum[:0])
	hex.Encode(dst, s.sum)
}
