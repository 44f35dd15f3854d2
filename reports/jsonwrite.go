package reports

import (
	"bufio"
	"io"
	"strconv"
	"unicode/utf8"
)

// The exceptions' JSON export is written by hand, byte for byte as
// encoding/json's Encoder writes the array with SetIndent("", "  ") and
// SetEscapeHTML(false) (jsonwrite_test.go holds it to that): a month of
// open exceptions is tens of megabytes, which the Encoder builds by
// reflection and indents whole in memory before it writes a byte.

// writeExceptionsJSON writes n rows as that Encoder would write them as
// an array; row fills in row i. The rows are made one at a time, as they
// are written: a month's are never all held at once.
func writeExceptionsJSON(w io.Writer, n int, row func(i int, r *exceptionJSON)) error {
	if n == 0 {
		_, err := io.WriteString(w, "[]\n")
		return err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	b := []byte("[\n")
	var r exceptionJSON
	for i := range n {
		if i > 0 {
			b = append(b, ",\n"...)
		}
		row(i, &r)
		b = r.appendIndented(b)
		if len(b) >= 32<<10 {
			if _, err := bw.Write(b); err != nil {
				return err
			}
			b = b[:0]
		}
	}
	b = append(b, "\n]\n"...)
	if _, err := bw.Write(b); err != nil {
		return err
	}
	return bw.Flush()
}

// appendIndented appends r as an element of the array: an object, its
// fields in the struct's order, one a line.
func (r *exceptionJSON) appendIndented(b []byte) []byte {
	o := jsonObject{b: append(b, "  {"...)}
	o.str("category", r.Category)
	o.str("severity", r.Severity)
	o.str("order_uid", r.OrderUID)
	o.str("payment_link_uid", r.PaymentLinkUID)
	o.str("oxpay_txn_id", r.OxpayTxnID)
	o.str("merchant_reference_id", r.MerchantReferenceID)
	o.str("ledger_ref", r.LedgerRef)
	o.str("currency", r.Currency)
	o.int("expected_minor", r.ExpectedMinor)
	o.int("actual_minor", r.ActualMinor)
	o.int("difference_minor", r.DifferenceMinor)
	o.str("detail", r.Detail)
	o.str("first_seen", r.FirstSeen)
	if r.AgeDays == nil {
		o.name("age_days")
		o.b = append(o.b, "null"...)
	} else {
		o.int("age_days", int64(*r.AgeDays))
	}
	o.str("decision", r.Decision)
	o.str("decision_note", r.DecisionNote)
	o.str("decided_by", r.DecidedBy)
	o.str("decided_at", r.DecidedAt)
	o.bool("explained", r.Explained)
	o.bool("reopened", r.Reopened)
	return append(o.b, "\n  }"...)
}

// jsonObject appends the fields of an object of the array, indented.
type jsonObject struct {
	b      []byte
	fields int
}

func (o *jsonObject) name(n string) {
	if o.fields > 0 {
		o.b = append(o.b, ',')
	}
	o.fields++
	o.b = append(o.b, "\n    \""...)
	o.b = append(o.b, n...)
	o.b = append(o.b, "\": "...)
}

func (o *jsonObject) str(n, v string) {
	o.name(n)
	o.b = appendJSONString(o.b, v)
}

func (o *jsonObject) int(n string, v int64) {
	o.name(n)
	o.b = strconv.AppendInt(o.b, v, 10)
}

func (o *jsonObject) bool(n string, v bool) {
	o.name(n)
	o.b = strconv.AppendBool(o.b, v)
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s quoted as encoding/json quotes a string with
// HTML left unescaped: quote, backslash and control characters escaped,
// U+2028 and U+2029 too, and each byte that is not UTF-8 as U+FFFD.
// (wire.AppendJSONString keeps such bytes, and writes \b and \f as \u00XX:
// the ledger's stored raw cells and the generator's signed payloads
// depend on its bytes, and the export on these.)
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
