package gen

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"time"

	"github.com/reconkit/reconkit/wire"
)

// statusOf is the headers.status_code and status_message OxPay sends with
// a transaction state.
func statusOf(state string) (int, string) {
	switch state {
	case wire.StatePending:
		return wire.OxStatusPending, "Pending"
	case wire.StateRejected:
		return wire.OxStatusRejected, "Rejected"
	case wire.StateError:
		return wire.OxStatusError, "Error"
	}
	return wire.OxStatusSuccess, "Success"
}

// appendNotification appends the compact JSON of a webhook payload for
// transaction ti, wire.OxEnvelope[wire.Notification], byte for byte what
// encoding/json would write (a test holds it to that) but without
// reflection: at a million deliveries the difference is seconds.
// gateway_response_datetime is in UTC, in the YYYYMMDDhhmmss form of
// OxPay's examples.
func (w *world) appendNotification(b []byte, ti int32, state uint8, event int64) []byte {
	t := &w.txns[ti]
	code, msg := statusOf(states[state])
	b = append(b, `{"headers":{"status_code":`...)
	b = strconv.AppendInt(b, int64(code), 10)
	b = append(b, `,"status_message":`...)
	b = wire.AppendJSONString(b, msg)
	b = append(b, `,"gateway_response_datetime":"`...)
	b = time.Unix(event, 0).UTC().AppendFormat(b, wire.OxGatewayTimeLayout)
	b = append(b, `"},"body":{"host_txn_id":"`...)
	b = hex.AppendEncode(b, t.host[:])
	b = append(b, `","merchant_reference_id":`...)
	b = wire.AppendJSONString(b, t.ref)
	if t.isRefund {
		b = append(b, `,"oxpay_original_txn_id":`...)
		b = wire.AppendJSONString(b, w.txnID(t.orig))
	}
	b = append(b, `,"oxpay_txn_id":`...)
	b = wire.AppendJSONString(b, w.txnID(ti))
	b = append(b, `,"payment_brand":`...)
	b = wire.AppendJSONString(b, brands[t.brand])
	b = append(b, `,"transaction_amount":`...)
	b = strconv.AppendInt(b, t.amount, 10)
	if t.refund != 0 {
		b = append(b, `,"refund_amount":`...)
		b = strconv.AppendInt(b, t.refund, 10)
	}
	b = append(b, `,"transaction_currency":`...)
	b = wire.AppendJSONString(b, currencies[t.cur])
	b = append(b, `,"transaction_state":`...)
	b = wire.AppendJSONString(b, states[state])
	return append(b, "}}"...)
}

// appendIndented appends the pretty-printed form of compact JSON, the way
// a receiver that logs what a pretty-printing sender sent would see it.
// Its compact form (sign.Compact) is compact again, byte for byte.
func appendIndented(b, compact []byte) ([]byte, error) {
	buf := bytes.NewBuffer(b)
	if err := json.Indent(buf, compact, "", "  "); err != nil {
		return b, err
	}
	return buf.Bytes(), nil
}

// arena hands out payload byte slices carved from large chunks, so that a
// million payloads cost a few hundred allocations rather than a million.
// Payloads are appended to the chunk in place: reserve makes room, take
// cuts off what was appended since.
type arena struct{ chunk []byte }

const arenaChunk = 1 << 20

// reserve makes sure n more bytes fit without growing the chunk and
// returns where the next payload starts. (Should a payload outgrow the
// room, append moves it to a fresh array: still correct, merely wasteful.)
func (a *arena) reserve(n int) int {
	if cap(a.chunk)-len(a.chunk) < n {
		a.chunk = make([]byte, 0, max(arenaChunk, n))
	}
	return len(a.chunk)
}

// take returns the bytes appended since start, capped so that appending
// to the payload can never overwrite the next one.
func (a *arena) take(start int) []byte {
	return a.chunk[start:len(a.chunk):len(a.chunk)]
}
