package webhooks

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// delivery is what one log line holds:
// {"received_at": ..., "headers": {"Signature": ...}, "body": payload},
// payload being the notification object as received or a JSON string
// holding its exact bytes (the format package ingest reads).
type delivery struct {
	payload   []byte // the bytes the signature covers
	doc       map[string]any
	signature string
	signed    bool
}

// parseLine decodes one non-blank log line, or says in a few words why it
// cannot be used. Only this line's values are held. The line is decoded
// in one pass, value by value, so that an object body is decoded once
// and its exact bytes (what a signature covers) are cut from the line by
// the decoder's offsets rather than copied out in a first pass.
func parseLine(line []byte) (delivery, string) {
	var rec delivery
	if i := bytes.IndexByte(line, 0); i >= 0 {
		return rec, fmt.Sprintf("NUL byte at column %d; the log is binary or corrupt", i+1)
	}
	if !utf8.Valid(line) {
		return rec, "not valid UTF-8; webhook logs are UTF-8 JSON Lines"
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return rec, brokenJSON(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return rec, fmt.Sprintf("not a webhook log record: want an object with received_at, headers and body, got a JSON %s", jsonKind(line))
	}
	var headers, body any
	var bodyAt, bodyEnd int64 = -1, -1
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return rec, brokenJSON(err)
		}
		key, _ := tok.(string)
		at := dec.InputOffset()
		var v any
		if err := dec.Decode(&v); err != nil {
			return rec, brokenJSON(err)
		}
		switch key {
		case "headers":
			headers = v
		case "body":
			body, bodyAt, bodyEnd = v, at, dec.InputOffset()
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return rec, brokenJSON(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return rec, "more than one JSON value on the line"
	}
	sig, signed, reason := signature(headers)
	if reason != "" {
		return rec, reason
	}
	rec.signature, rec.signed = sig, signed

	switch b := body.(type) {
	case nil:
		return rec, "body is missing"
	case map[string]any:
		// The value's bytes as received: after the key's colon, up to
		// where the decoder stopped.
		rec.payload = bytes.TrimLeft(line[bodyAt:bodyEnd], " \t\r\n:")
		rec.doc = b
		return rec, ""
	case string:
		rec.payload = []byte(b)
	default:
		return rec, fmt.Sprintf("body is a JSON %s, neither an object nor a string holding one", jsonType(body))
	}

	pdec := json.NewDecoder(bytes.NewReader(rec.payload))
	pdec.UseNumber()
	var doc any
	if err := pdec.Decode(&doc); err != nil {
		return rec, fmt.Sprintf("the body string does not hold valid JSON: %v", err)
	}
	if _, err := pdec.Token(); !errors.Is(err, io.EOF) {
		return rec, "the body string holds more than one JSON value"
	}
	obj, ok := doc.(map[string]any)
	if !ok {
		return rec, fmt.Sprintf("the payload is a JSON %s; every webhook in the spec is an object", jsonType(doc))
	}
	rec.doc = obj
	return rec, ""
}

func brokenJSON(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("broken JSON at byte %d: %v", se.Offset, se)
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return "broken JSON: the line ends inside a value"
	}
	return fmt.Sprintf("broken JSON: %v", err)
}

// signature finds the Signature header whatever its case. Two spellings
// with different values are an input error, as package ingest has it,
// rather than a coin toss on map order.
func signature(headers any) (sig string, present bool, reason string) {
	if headers == nil {
		return "", false, ""
	}
	h, ok := headers.(map[string]any)
	if !ok {
		return "", false, fmt.Sprintf("headers is a JSON %s, want an object", jsonType(headers))
	}
	for name, v := range h {
		if !strings.EqualFold(name, "signature") || v == nil {
			continue
		}
		s, ok := v.(string)
		if !ok {
			return "", false, fmt.Sprintf("headers.%s is a JSON %s, want a string", name, jsonType(v))
		}
		if present && s != sig {
			return "", false, "two different Signature headers"
		}
		sig, present = s, true
	}
	if strings.TrimSpace(sig) == "" {
		present = false // an empty header signs nothing
	}
	return sig, present, ""
}

// jsonType names the JSON type of a decoded value.
func jsonType(x any) string {
	switch x.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case string:
		return "string"
	case bool:
		return "boolean"
	}
	return "number"
}

// jsonKind names the JSON type of a valid value by its first byte;
// absent reads as null.
func jsonKind(raw []byte) string {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	if len(raw) == 0 {
		return "null"
	}
	switch raw[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
}
