package ingest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
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
	// unq holds the body's ids decoded when they are spelled with
	// escapes; text lays out an event's strings before they become one.
	unq, text []byte
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

// The strings of a notification's body an event keeps, in the order of
// notificationStrings.
const (
	strTxnID = iota
	strOrigTxnID
	strRef
	strHostTxnID
	strState
	strCurrency
	nStrs
)

// notificationStrings names the string fields of n, in the order above.
func notificationStrings(n *notification) [nStrs]struct {
	name string
	val  []byte
} {
	return [nStrs]struct {
		name string
		val  []byte
	}{
		{"oxpay_txn_id", n.txnID}, {"oxpay_original_txn_id", n.origTxnID}, {"merchant_reference_id", n.ref},
		{"host_txn_id", n.hostTxnID}, {"transaction_state", n.state}, {"transaction_currency", n.currency},
	}
}

// parse reads one non-blank log line (without its line terminator) into
// ev, which is zero. On a bad line ev may be left partly filled.
func (p *webhookParser) parse(ev *recon.WebhookEvent, line []byte, no int) *badLine {
	rec, problem := p.dec.Decode(line)
	if problem != nil {
		return p.fail(no, "%s", problem)
	}
	received, bad := p.receivedAt(rec.ReceivedAt, no)
	if bad != nil {
		return bad
	}
	sig, signed, problem := rec.SignatureBytes()
	if problem != nil {
		return p.fail(no, "%s", problem)
	}
	pl, problem := rec.Payload()
	if problem != nil {
		return p.fail(no, "%s", problem)
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
		return p.fail(no, "payload is not an OxPay notification: %s", envErr)
	}
	if webhooklog.Type(nbody) != "object" {
		return p.fail(no, "unrecognised notification: the payload has no body object")
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
	// The strings decoded, as bytes: most are the bytes between their
	// quotes, and all become strings at once below.
	var strs [nStrs][]byte
	p.unq = p.unq[:0]
	for i, f := range notificationStrings(&n) {
		if f.val == nil {
			continue
		}
		if t := webhooklog.Type(f.val); t != "string" {
			return p.fail(no, "unrecognised notification: body.%s is a JSON %s, want a string", f.name, t)
		}
		strs[i] = webhooklog.UnquoteIn(&p.unq, f.val)
		// A JSON escape (\u0000) gets past the raw NUL check above; ids
		// that hold control characters would reach the store and every
		// report, and no real id, state or currency has one.
		if j := controlAt(strs[i]); j >= 0 {
			return p.fail(no, "body.%s holds a control character (U+%04X); ids, states and currencies cannot", f.name, strs[i][j])
		}
	}
	txnID, state, currency := strs[strTxnID], strs[strState], strs[strCurrency]

	// The kind is read from what the body says, never from which amounts
	// happen to be present: a refund that lost its refund_amount is a
	// refund with a missing amount, not a payment.
	switch {
	case string(state) == wire.StateVoided:
		ev.Kind = wire.WebhookVoid
	case len(strs[strOrigTxnID]) != 0 || n.refund != nil:
		ev.Kind = wire.WebhookRefund
	case n.txnID != nil && n.state != nil:
		ev.Kind = wire.WebhookPayment
	default:
		return p.fail(no, "unrecognised notification: the body is neither a payment (oxpay_txn_id, transaction_state, transaction_amount), a refund (oxpay_original_txn_id, refund_amount) nor a void (transaction_state voided)")
	}
	if len(bytes.TrimSpace(txnID)) == 0 {
		return p.fail(no, "%s notification without an oxpay_txn_id", ev.Kind)
	}
	if len(currency) == 0 {
		return p.fail(no, "%s notification %s without a transaction_currency", ev.Kind, clip(txnID))
	}
	if !money.Known(string(currency)) {
		return p.fail(no, "unknown currency %q in body.transaction_currency; add it to money's table if it is real", clip(currency))
	}

	compact := payload
	if !pl.Compact {
		p.compact = webhooklog.AppendCompact(p.compact[:0], payload)
		compact = p.compact
	}
	ev.SigCheck = p.verify(payload, compact, sig, signed)

	// Every string the event keeps, laid end to end and made one string:
	// one allocation a line, and one object for the collector, instead
	// of one each.
	t := p.text[:0]
	var ends [nStrs + 4]int
	t = append(t, payload...)
	ends[0] = len(t)
	if ev.SigCheck != recon.SigUnsigned {
		t = append(t, sig...)
	}
	ends[1] = len(t)
	for i, s := range strs {
		t = append(t, s...)
		ends[2+i] = len(t)
	}
	t = appendDeliveryKey(t, received, line)
	ends[nStrs+2] = len(t)
	t = appendDedupKey(t, txnID, ev.Kind, state, compact)
	ends[nStrs+3] = len(t)
	p.text = t
	all := string(t)
	cut := func(i int) string {
		if i == 0 {
			return all[:ends[0]]
		}
		return all[ends[i-1]:ends[i]]
	}
	ev.Raw = cut(0)
	if ev.SigCheck != recon.SigUnsigned {
		ev.Signature, ev.KeyFingerprint = cut(1), p.fingerprint()
	}
	ev.OxpayTxnID = cut(2 + strTxnID)
	ev.OriginalTxnID = cut(2 + strOrigTxnID)
	ev.MerchantReferenceID = cut(2 + strRef)
	ev.HostTxnID = cut(2 + strHostTxnID)
	ev.State = cut(2 + strState)
	ev.Currency = cut(2 + strCurrency)
	ev.DeliveryKey = cut(nStrs + 2)
	ev.DedupKey = cut(nStrs + 3)

	// OxPay's document makes transaction_amount required in all three
	// notifications and refund_amount in a refund's: a missing one is the
	// line's error, never an amount of 0.
	amount, bad := p.amount(n.amount, "transaction_amount", txnID, ev.Currency, true, no)
	if bad != nil {
		return bad
	}
	refund, bad := p.amount(n.refund, "refund_amount", txnID, ev.Currency, ev.Kind == wire.WebhookRefund, no)
	if bad != nil {
		return bad
	}
	status, bad := p.statusCode(statusRaw, no)
	if bad != nil {
		return bad
	}

	ev.ReceivedAt = received
	ev.AmountMinor = amount
	ev.RefundAmountMinor = refund
	ev.StatusCode = status
	ev.SourceFile = p.file
	ev.SourceLine = no
	return nil
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

// controlAt is the index of the first ASCII control character in b, or
// -1. The bytes of a multi-byte UTF-8 character are all 0x80 or more,
// so looking at bytes finds what looking at characters would.
func controlAt(b []byte) int {
	for i, c := range b {
		if isControl(rune(c)) {
			return i
		}
	}
	return -1
}

// verify checks a delivery's signature. A signature with no key to check
// it against is recorded as invalid: it cannot be trusted, and checking
// it with an empty key would accept anyone who signs with an empty key.
func (p *webhookParser) verify(payload, compact, sig []byte, signed bool) string {
	if !signed {
		return recon.SigUnsigned
	}
	if p.signKey == "" {
		return recon.SigInvalid
	}
	if p.verifier == nil {
		p.verifier = sign.NewOxPayVerifier(p.signKey)
	}
	return string(p.verifier.VerifyCompact(payload, compact, sig))
}

func (p *webhookParser) receivedAt(raw []byte, no int) (time.Time, *badLine) {
	if isNull(raw) {
		return time.Time{}, p.fail(no, "received_at is missing")
	}
	if webhooklog.Type(raw) != "string" {
		return time.Time{}, p.fail(no, "received_at %s is not a string", clip(raw))
	}
	t, ok := parseSecondUTC(raw[1 : len(raw)-1])
	if !ok {
		s := webhooklog.Unquote(raw)
		var err error
		if t, err = time.Parse(time.RFC3339Nano, s); err != nil {
			return time.Time{}, p.fail(no, "received_at %q is not an RFC 3339 time", clip([]byte(s)))
		}
		t = t.UTC()
	}
	if y := t.Year(); y < minYear || y > maxYear {
		return time.Time{}, p.fail(no, "received_at %s is outside the years %d to %d", webhooklog.Unquote(raw), minYear, maxYear)
	}
	return t, nil
}

// parseSecondUTC reads the form receivers write, YYYY-MM-DDThh:mm:ssZ,
// as time.Parse(time.RFC3339Nano) would, without the string Parse needs.
// It says false for anything else, valid or not, for Parse to read.
func parseSecondUTC(b []byte) (time.Time, bool) {
	if len(b) != len("2006-01-02T15:04:05Z") || b[4] != '-' || b[7] != '-' || b[10] != 'T' ||
		b[13] != ':' || b[16] != ':' || b[19] != 'Z' {
		return time.Time{}, false
	}
	num := func(i, n int) (int, bool) {
		v := 0
		for _, c := range b[i : i+n] {
			if c < '0' || c > '9' {
				return 0, false
			}
			v = v*10 + int(c-'0')
		}
		return v, true
	}
	y, ok1 := num(0, 4)
	mo, ok2 := num(5, 2)
	d, ok3 := num(8, 2)
	h, ok4 := num(11, 2)
	mi, ok5 := num(14, 2)
	sec, ok6 := num(17, 2)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || sec > 59 {
		return time.Time{}, false
	}
	// Parse rejects a day past the month's end rather than rolling over.
	if d > daysIn(time.Month(mo), y) {
		return time.Time{}, false
	}
	return time.Date(y, time.Month(mo), d, h, mi, sec, 0, time.UTC), true
}

// daysIn is the number of days of month m of year y.
func daysIn(m time.Month, y int) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
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
func (p *webhookParser) amount(raw []byte, field string, txnID []byte, currency string, required bool, no int) (int64, *badLine) {
	if isNull(raw) {
		if required {
			return 0, p.fail(no, "notification %s has no body.%s", clip(txnID), field)
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

// appendDedupKey appends the DedupKey of a notification, which
// identifies it across redeliveries: the same transaction, kind and
// state with the same payload once whitespace is set aside.
func appendDedupKey(dst, txnID []byte, kind string, state, compact []byte) []byte {
	ph := sha256.Sum256(compact)
	var buf [256]byte
	b := append(buf[:0], txnID...)
	b = append(b, 0x1f)
	b = append(b, kind...)
	b = append(b, 0x1f)
	b = append(b, state...)
	b = append(b, 0x1f)
	b = hex.AppendEncode(b, ph[:])
	h := sha256.Sum256(b)
	return hex.AppendEncode(dst, h[:])
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
// booked on the same day (see appendDeliveryKey, rowHashOf).
const keyLen = 32

// stampedKey is a unique key of content: stamp (UTC digits, an even
// number of bytes short of keyLen), then the hex of the first bytes of
// the content's SHA-256 up to keyLen characters.
func stampedKey(stamp, content []byte) string {
	var out [keyLen]byte
	return string(appendStampedKey(out[:0], stamp, content))
}

// appendStampedKey appends stampedKey(stamp, content) to dst.
func appendStampedKey(dst, stamp, content []byte) []byte {
	h := sha256.Sum256(content)
	dst = append(dst, stamp...)
	return hex.AppendEncode(dst, h[:(keyLen-len(stamp))/2])
}

// appendDeliveryKey appends the DeliveryKey of a log line received at t
// (UTC): the second it was received as YYYYMMDDhhmmss (secondStamp),
// then 72 bits of the line's SHA-256. Migration 0006 rewrote stored keys
// into this form.
func appendDeliveryKey(dst []byte, t time.Time, line []byte) []byte {
	var stamp [len(secondStamp)]byte
	return appendStampedKey(dst, appendSecondStamp(stamp[:0], t), line)
}

// appendSecondStamp appends t.Format(secondStamp) for a year of four
// digits (received_at is held to minYear..maxYear), without Format's
// walk of the layout.
func appendSecondStamp(b []byte, t time.Time) []byte {
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	b = append(b, byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10))
	for _, v := range [...]int{int(mo), d, h, mi, s} {
		b = append(b, byte('0'+v/10), byte('0'+v%10))
	}
	return b
}

// secondStamp and dayStamp are the stamps of appendDeliveryKey and rowHashOf.
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
