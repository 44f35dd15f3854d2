package webhooklog

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Decoder decodes log lines. It keeps the span tables of the last line
// and payload to reuse, so it is not safe for concurrent use: give each
// goroutine its own.
type Decoder struct {
	line, payload Doc
	// text holds the payload a body string holds, sig a Signature
	// header spelled with escapes, decoded.
	text, sig []byte
}

// Record is a decoded log line: where its fields stand. It and what it
// returns point into the line and the Decoder, and are valid until the
// Decoder's next Decode.
type Record struct {
	// ReceivedAt is the raw received_at value, nil when absent; what it
	// must be is the reader's business.
	ReceivedAt []byte

	d                 *Decoder
	headers, body     []byte
	headersAt, bodyAt int
}

// Decode reads one non-blank line (without its line end): valid UTF-8
// without NUL bytes holding one JSON object. Only a line that is not
// that is a Problem here; Signature and Payload read on, so a reader can
// check the fields it needs in its own order.
func (d *Decoder) Decode(line []byte) (Record, *Problem) {
	rec := Record{d: d}
	// One pass checks the JSON and its UTF-8, and rules out NUL bytes
	// (JSON has no place for one); only a line it fails is looked at
	// again, to say which of the three is wrong.
	if !d.line.parse(line, 3, true) {
		if i := bytes.IndexByte(line, 0); i >= 0 {
			return rec, &Problem{Kind: NULByte, Column: i + 1}
		}
		if !utf8.Valid(line) {
			return rec, &Problem{Kind: NotUTF8}
		}
		return rec, &Problem{Kind: BrokenJSON, Value: line}
	}
	if v := line[skipSpace(line, 0):]; v[0] != '{' {
		return rec, &Problem{Kind: NotRecord, Value: v}
	}
	d.line.Fields(0, func(key, val []byte, at int) {
		switch {
		case string(key) == "received_at":
			rec.ReceivedAt = val
		case string(key) == "headers":
			rec.headers, rec.headersAt = val, at
		case string(key) == "body":
			rec.body, rec.bodyAt = val, at
		}
	})
	return rec, nil
}

// Reset lets go of the last line decoded, and of the Record and Payload
// read from it, so that a Decoder kept idle does not keep alive the
// buffer the line was in.
func (d *Decoder) Reset() {
	d.line.b, d.payload.b = nil, nil
}

// maxKept bounds the buffers a Decoder keeps between lines.
const maxKept = 64 << 10

// keep returns buf emptied for reuse, or nil when a long line left it
// too big to hold on to.
func keep(buf []byte) []byte {
	if cap(buf) > maxKept {
		return nil
	}
	return buf[:0]
}

// Signature returns the Signature header, found whatever its case. Two
// spellings with different values are a Problem rather than a coin toss;
// signed is false when there is none, or only an empty or blank one,
// which signs nothing.
func (r *Record) Signature() (sig string, signed bool, p *Problem) {
	b, signed, p := r.SignatureBytes()
	return string(b), signed, p
}

// SignatureBytes is Signature without a string: the header's decoded
// bytes, valid until the Decoder's next Decode.
func (r *Record) SignatureBytes() (sig []byte, signed bool, p *Problem) {
	switch Type(r.headers) {
	case "nothing", "null":
		return nil, false, nil
	case "object":
	default:
		return nil, false, &Problem{Kind: BadHeaders, Value: r.headers}
	}
	present := false
	r.d.sig = keep(r.d.sig)
	r.d.line.Fields(r.headersAt, func(key, val []byte, _ int) {
		if p != nil || !bytes.EqualFold(key, []byte("signature")) || Type(val) == "null" {
			return
		}
		if Type(val) != "string" {
			p = &Problem{Kind: BadSignature, Header: string(key), Value: val}
			return
		}
		s := UnquoteIn(&r.d.sig, val)
		if present && !bytes.Equal(s, sig) {
			p = &Problem{Kind: TwoSignatures}
			return
		}
		sig, present = s, true
	})
	if p != nil {
		return nil, false, p
	}
	return sig, present && len(bytes.TrimSpace(sig)) != 0, nil
}

// Payload is the notification a line carries.
type Payload struct {
	// Bytes are the payload as received, what a signature covers: the
	// body object's own bytes, or what the body string holds.
	Bytes []byte
	// Doc holds the payload's object at offset At, to walk with Fields:
	// the line itself for an object body.
	Doc *Doc
	At  int
	// Compact says Bytes hold no whitespace between tokens: they are
	// their own compact form (json.Compact would return them as they
	// are). False says nothing: there may be none.
	Compact bool
}

// Payload returns the body: a JSON object as received, or a JSON string
// holding the exact bytes of one.
func (r *Record) Payload() (Payload, *Problem) {
	var pl Payload
	switch Type(r.body) {
	case "nothing", "null":
		return pl, &Problem{Kind: NoBody}
	case "object":
		pl = Payload{Bytes: r.body, Doc: &r.d.line, At: r.bodyAt, Compact: !r.d.line.spaced}
	case "string":
		r.d.text = AppendUnquote(keep(r.d.text), r.body)
		b := r.d.text
		if !r.d.payload.parse(b, 2, false) {
			return pl, &Problem{Kind: BodyNotJSON, Value: b}
		}
		pl = Payload{Bytes: b, Doc: &r.d.payload, At: skipSpace(b, 0), Compact: !r.d.payload.spaced}
	default:
		return pl, &Problem{Kind: BadBody, Value: r.body}
	}
	if v := pl.Doc.b[pl.At:]; Type(v) != "object" {
		return pl, &Problem{Kind: PayloadNotObject, Value: v}
	}
	return pl, nil
}

// ProblemKind is what is wrong with a log line.
type ProblemKind int

// The ways a line can fail to be a delivery, in the order they are
// checked (Decode, Signature, Payload), and the Problem fields each sets.
const (
	NULByte          ProblemKind = iota + 1 // a NUL byte: Column
	NotUTF8                                 // not valid UTF-8
	BrokenJSON                              // not one JSON value: Value is the line
	NotRecord                               // JSON, but not an object: Value is the line
	BadHeaders                              // headers is not an object: Value
	BadSignature                            // a Signature header is not a string: Header, Value
	TwoSignatures                           // Signature headers with different values
	NoBody                                  // body is absent or null
	BadBody                                 // body is neither an object nor a string: Value
	BodyNotJSON                             // the body string does not hold one JSON value: Value is what it holds
	PayloadNotObject                        // the payload is not an object: Value
)

// Problem is why a line cannot be used. Its Error text is the one
// `recon ingest` records; Kind and the fields let a reader word it its
// own way.
type Problem struct {
	Kind   ProblemKind
	Column int    // NULByte: the 1-based column of the first NUL
	Header string // BadSignature: the header's name as written
	Value  []byte // the value at fault (see the kinds)
}

// Error says what is wrong in a few words, without the line number.
func (p *Problem) Error() string {
	switch p.Kind {
	case NULByte:
		return fmt.Sprintf("NUL byte at column %d; the log is binary or corrupt", p.Column)
	case NotUTF8:
		return "not valid UTF-8; webhook logs must be UTF-8 JSON Lines"
	case BrokenJSON:
		var v any
		err := json.Unmarshal(p.Value, &v) // only to say where it breaks
		var se *json.SyntaxError
		if errors.As(err, &se) && strings.HasSuffix(se.Error(), "exceeded max depth") {
			// encoding/json says "invalid character '[' exceeded max depth".
			return fmt.Sprintf("broken JSON: nested more than %d levels deep at byte %d", MaxDepth, se.Offset)
		}
		return fmt.Sprintf("broken JSON: %v", err)
	case NotRecord:
		return "not a webhook log record: want an object with received_at, headers and body, got a JSON " + Type(p.Value)
	case BadHeaders:
		return fmt.Sprintf("headers is a JSON %s, want an object", Type(p.Value))
	case BadSignature:
		return fmt.Sprintf("headers.%s is not a string", p.Header)
	case TwoSignatures:
		return "two different Signature headers"
	case NoBody:
		return "body is missing"
	case BadBody:
		return "body is neither a JSON object nor a string holding one"
	case BodyNotJSON:
		return "payload is not an OxPay notification: the body string does not hold valid JSON"
	case PayloadNotObject:
		return fmt.Sprintf("payload is not an OxPay notification: it is a JSON %s, want an object", Type(p.Value))
	}
	return fmt.Sprintf("webhooklog.Problem(%d)", p.Kind)
}
