package ingest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/reconkit/reconkit/money"
	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/sign"
	"github.com/reconkit/reconkit/webhooklog"
	"github.com/reconkit/reconkit/wire"
)

// webhookParser turns log lines into events. It is not safe for
// concurrent use; each worker has its own.
type webhookParser struct {
	file    string
	signKey string
	units   recon.Units
	maxLine int
	compact []byte // scratch for the compact payload
	// dec reads the log line and the payload it holds, keeping their
	// span tables to reuse.
	dec webhooklog.Decoder
	// verifier is sign.VerifyOxPay with its HMAC state kept per worker.
	verifier *sign.OxPayVerifier
	keyFP    string // sign.KeyFingerprint(signKey), once known
	hasFP    bool
}

// badLine is why a line could not be used; parse returns it in place of
// an event.
type badLine struct{ reason string }

func (p *webhookParser) fail(no int, format string, args ...any) *badLine {
	return &badLine{reason: fmt.Sprintf("line %d: ", no) + fmt.Sprintf(format, args...)}
}

// notification holds the raw values of the fields read from an OxPay
// notification body (wire.Notification); nil means absent or null.
type notification struct {
	txnID, origTxnID, ref, hostTxnID, state, currency, amount, refund []byte
}

// parse reads one non-blank log line (without its line terminator).
func (p *webhookParser) parse(line []byte, no int) (recon.WebhookEvent, *badLine) {
	var ev recon.WebhookEvent
	rec, problem := p.dec.Decode(line)
	if problem != nil {
		return ev, p.fail(no, "%s", problem)
	}
	received, bad := p.receivedAt(rec.ReceivedAt, no)
	if bad != nil {
		return ev, bad
	}
	sig, signed, problem := rec.Signature()
	if problem != nil {
		return ev, p.fail(no, "%s", problem)
	}
	pl, problem := rec.Payload()
	if problem != nil {
		return ev, p.fail(no, "%s", problem)
	}
	payload, doc, pat := pl.Bytes, pl.Doc, pl.At

	var statusRaw, nbody []byte
	var nbodyAt int
	var envErr string
	doc.Fields(pat, func(key, val []byte, at int) {
		switch {
		case string(key) == "headers":
			switch t := webhooklog.Type(val); t {
			case "object":
				doc.Fields(at, func(key, val []byte, _ int) {
					if string(key) == "status_code" {
						statusRaw = val
					}
				})
			case "null":
			default:
				envErr = "payload headers is a JSON " + t + ", want an object"
			}
		case string(key) == "body":
			nbody, nbodyAt = val, at
		}
	})
	if envErr != "" {
		return ev, p.fail(no, "payload is not an OxPay notification: %s", envErr)
	}
	if webhooklog.Type(nbody) != "object" {
		return ev, p.fail(no, "unrecognised notification: the payload has no body object")
	}
	var n notification
	doc.Fields(nbodyAt, func(key, val []byte, _ int) {
		if webhooklog.Type(val) == "null" {
			val = nil // absent, as encoding/json would leave it
		}
		switch {
		case string(key) == "oxpay_txn_id":
			n.txnID = val
		case string(key) == "oxpay_original_txn_id":
			n.origTxnID = val
		case string(key) == "merchant_reference_id":
			n.ref = val
		case string(key) == "host_txn_id":
			n.hostTxnID = val
		case string(key) == "transaction_state":
			n.state = val
		case string(key) == "transaction_amount":
			n.amount = val
		case string(key) == "refund_amount":
			n.refund = val
		case string(key) == "transaction_currency":
			n.currency = val
		}
	})
	var strs [6]string
	for i, f := range []struct {
		name string
		val  []byte
	}{
		{"oxpay_txn_id", n.txnID}, {"oxpay_original_txn_id", n.origTxnID}, {"merchant_reference_id", n.ref},
		{"host_txn_id", n.hostTxnID}, {"transaction_state", n.state}, {"transaction_currency", n.currency},
	} {
		if f.val == nil {
			continue
		}
		if t := webhooklog.Type(f.val); t != "string" {
			return ev, p.fail(no, "unrecognised notification: body.%s is a JSON %s, want a string", f.name, t)
		}
		strs[i] = webhooklog.Unquote(f.val)
		// A JSON escape (\u0000) gets past the raw NUL check above; ids
		// that hold control characters would reach the store and every
		// report, and no real id, state or currency has one.
		if j := strings.IndexFunc(strs[i], isControl); j >= 0 {
			return ev, p.fail(no, "body.%s holds a control character (U+%04X); ids, states and currencies cannot", f.name, strs[i][j])
		}
	}
	txnID, state, currency := strs[0], strs[4], strs[5]

	// The kind is read from what the body says, never from which amounts
	// happen to be present: a refund that lost its refund_amount is a
	// refund with a missing amount, not a payment.
	switch {
	case state == wire.StateVoided:
		ev.Kind = wire.WebhookVoid
	case strs[1] != "" || n.refund != nil:
		ev.Kind = wire.WebhookRefund
	case n.txnID != nil && n.state != nil:
		ev.Kind = wire.WebhookPayment
	default:
		return ev, p.fail(no, "unrecognised notification: the body is neither a payment (oxpay_txn_id, transaction_state, transaction_amount), a refund (oxpay_original_txn_id, refund_amount) nor a void (transaction_state voided)")
	}
	if strings.TrimSpace(txnID) == "" {
		return ev, p.fail(no, "%s notification without an oxpay_txn_id", ev.Kind)
	}
	if currency == "" {
		return ev, p.fail(no, "%s notification %s without a transaction_currency", ev.Kind, clip([]byte(txnID)))
	}
	if !money.Known(currency) {
		return ev, p.fail(no, "unknown currency %q in body.transaction_currency; add it to money's table if it is real", clip([]byte(currency)))
	}
	// OxPay's document makes transaction_amount required in all three
	// notifications and refund_amount in a refund's: a missing one is the
	// line's error, never an amount of 0.
	amount, bad := p.amount(n.amount, "transaction_amount", txnID, currency, true, no)
	if bad != nil {
		return ev, bad
	}
	refund, bad := p.amount(n.refund, "refund_amount", txnID, currency, ev.Kind == wire.WebhookRefund, no)
	if bad != nil {
		return ev, bad
	}
	status, bad := p.statusCode(statusRaw, no)
	if bad != nil {
		return ev, bad
	}

	ev.ReceivedAt = received
	ev.OxpayTxnID = txnID
	ev.OriginalTxnID = strs[1]
	ev.MerchantReferenceID = strs[2]
	ev.HostTxnID = strs[3]
	ev.State = state
	ev.Currency = currency
	ev.AmountMinor = amount
	ev.RefundAmountMinor = refund
	ev.StatusCode = status
	ev.SigCheck = p.verify(payload, sig, signed)
	if ev.SigCheck != recon.SigUnsigned {
		ev.Signature, ev.KeyFingerprint = sig, p.fingerprint()
	}
	ev.Raw = string(payload)
	ev.SourceFile = p.file
	ev.SourceLine = no
	ev.DeliveryKey = deliveryKey(ev.ReceivedAt, line)
	p.compact = webhooklog.AppendCompact(p.compact[:0], payload)
	ev.DedupKey = dedupKey(ev.OxpayTxnID, ev.Kind, ev.State, p.compact)
	return ev, nil
}

// fingerprint names the key the parser verifies with.
func (p *webhookParser) fingerprint() string {
	if !p.hasFP {
		p.keyFP, p.hasFP = sign.KeyFingerprint(p.signKey), true
	}
	return p.keyFP
}

// isControl matches the ASCII control characters, which are one byte.
func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// verify checks a delivery's signature. A signature with no key to check
// it against is recorded as invalid: it cannot be trusted, and checking
// it with an empty key would accept anyone who signs with an empty key.
func (p *webhookParser) verify(payload []byte, sig string, signed bool) string {
	if !signed {
		return recon.SigUnsigned
	}
	if p.signKey == "" {
		return recon.SigInvalid
	}
	if p.verifier == nil {
		p.verifier = sign.NewOxPayVerifier(p.signKey)
	}
	return string(p.verifier.Verify(payload, sig))
}

func (p *webhookParser) receivedAt(raw []byte, no int) (time.Time, *badLine) {
	if isNull(raw) {
		return time.Time{}, p.fail(no, "received_at is missing")
	}
	if webhooklog.Type(raw) != "string" {
		return time.Time{}, p.fail(no, "received_at %s is not a string", clip(raw))
	}
	s := webhooklog.Unquote(raw)
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, p.fail(no, "received_at %q is not an RFC 3339 time", clip([]byte(s)))
	}
	t = t.UTC()
	if y := t.Year(); y < minYear || y > maxYear {
		return time.Time{}, p.fail(no, "received_at %s is outside the years %d to %d", s, minYear, maxYear)
	}
	return t, nil
}

// The years a date in any input may fall in: anything else is a typo or
// a zero value (0001-01-01) that would sort before every real row.
const (
	minYear = 2000
	maxYear = 2100
)

// amount reads an OxPay amount: a JSON integer in the source's units,
// converted to the currency's minor units. Absent is zero.
// amount reads a money field of the body; required says an absent one is
// the line's error (else it is 0: a payment carries no refund_amount).
func (p *webhookParser) amount(raw []byte, field, txnID, currency string, required bool, no int) (int64, *badLine) {
	if isNull(raw) {
		if required {
			return 0, p.fail(no, "notification %s has no body.%s", clip([]byte(txnID)), field)
		}
		return 0, nil
	}
	v, reason := wire.WholeNumber(raw)
	if reason != "" {
		return 0, p.fail(no, "body.%s %s %s", field, clip(raw), reason)
	}
	minor, err := p.units.ToMinor(recon.SourceOxPay, currency, v)
	if err != nil {
		return 0, p.fail(no, "body.%s: %v", field, err)
	}
	return minor, nil
}

// noStatusCode is the StatusCode of an event whose payload carries none:
// 0 means success, so absence must not read as it.
const noStatusCode = -1

func (p *webhookParser) statusCode(raw []byte, no int) (int, *badLine) {
	if isNull(raw) {
		return noStatusCode, nil
	}
	v, reason := wire.WholeNumber(raw)
	if reason == "" && v > 1<<31-1 {
		reason = "is beyond the int32 range"
	}
	if reason != "" {
		return 0, p.fail(no, "headers.status_code %s %s", clip(raw), reason)
	}
	return int(v), nil
}

// dedupKey identifies a notification across redeliveries: the same
// transaction, kind and state with the same payload once whitespace is
// set aside.
func dedupKey(txnID, kind, state string, compact []byte) string {
	ph := sha256.Sum256(compact)
	var buf [256]byte
	b := append(buf[:0], txnID...)
	b = append(b, 0x1f)
	b = append(b, kind...)
	b = append(b, 0x1f)
	b = append(b, state...)
	b = append(b, 0x1f)
	b = hex.AppendEncode(b, ph[:])
	return hashHex(b)
}

// hashHex is the whole SHA-256 of b, in hex.
func hashHex(b []byte) string {
	h := sha256.Sum256(b)
	var out [2 * sha256.Size]byte
	hex.Encode(out[:], h[:])
	return string(out[:])
}

// keyLen is the length of the unique keys of stored rows (DeliveryKey,
// RowHash): a stamp of the row's time in UTC digits, then as much of the
// hex SHA-256 of its content as fills 32 characters.
//
// The stamp comes first so that keys sort by time. Each key is
// unique-indexed; a hash alone sends every insert to a random page of an
// index that grows with every night ingested, while a stamp sends a
// night's rows to the end of it, so the pages a night's load touches are
// that night's, however long the history. Only rows with the same stamp
// can share a key, and the hash part keeps that out of reach: 72 bits
// for webhook deliveries received in the same second, 96 for ledger lines
// booked on the same day (see deliveryKey, rowHashOf).
const keyLen = 32

// stampedKey is a unique key of content: stamp (UTC digits, an even
// number of bytes short of keyLen), then the hex of the first bytes of
// the content's SHA-256 up to keyLen characters.
func stampedKey(stamp, content []byte) string {
	h := sha256.Sum256(content)
	var out [keyLen]byte
	n := copy(out[:], stamp)
	hex.Encode(out[n:], h[:(keyLen-n)/2])
	return string(out[:])
}

// deliveryKey is the DeliveryKey of a log line received at t (UTC): the
// second it was received as YYYYMMDDhhmmss, then 72 bits of the line's
// SHA-256. Migration 0006 rewrote stored keys into this form.
func deliveryKey(t time.Time, line []byte) string {
	var stamp [len(secondStamp)]byte
	return stampedKey(t.AppendFormat(stamp[:0], secondStamp), line)
}

// secondStamp and dayStamp are the stamps of deliveryKey and rowHashOf.
const (
	secondStamp = "20060102150405"
	dayStamp    = "20060102"
)

func isNull(raw []byte) bool {
	return len(raw) == 0 || string(raw) == "null"
}

// clip shortens a value quoted in a reason: reasons are read by people
// and must not carry a megabyte of JSON.
func clip(b []byte) string {
	const n = 40
	if len(b) <= n {
		return string(b)
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(b[cut]) {
		cut--
	}
	return string(b[:cut]) + "…"
}
