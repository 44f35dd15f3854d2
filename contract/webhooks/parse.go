package webhooks

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/reconkit/reconkit/webhooklog"
)

// Log lines are decoded by package webhooklog, as `recon ingest` decodes
// them; what is here is only how this package says what is wrong with a
// line, and the payload as the drift walker wants it.

// decodeObject decodes a payload webhooklog found to be a JSON object,
// numbers kept as json.Number, for the drift walker.
func decodeObject(payload []byte) map[string]any {
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	var doc map[string]any
	dec.Decode(&doc) // cannot fail: webhooklog.Valid agrees with encoding/json
	return doc
}

// reason words a line's problem as this package always has, which is not
// always as `recon ingest` does (webhooklog.Problem.Error): the type of
// the value at fault, and where encoding/json stops in broken JSON.
func reason(line []byte, p *webhooklog.Problem) string {
	switch p.Kind {
	case webhooklog.NotUTF8:
		return "not valid UTF-8; webhook logs are UTF-8 JSON Lines"
	case webhooklog.BrokenJSON:
		return brokenLine(line)
	case webhooklog.NotRecord:
		return notRecord(p.Value)
	case webhooklog.BadHeaders:
		return fmt.Sprintf("headers is a JSON %s, want an object", jsonKind(p.Value))
	case webhooklog.BadSignature:
		return fmt.Sprintf("headers.%s is a JSON %s, want a string", p.Header, jsonKind(p.Value))
	case webhooklog.BadBody:
		return fmt.Sprintf("body is a JSON %s, neither an object nor a string holding one", jsonKind(p.Value))
	case webhooklog.BodyNotJSON:
		return brokenBody(p.Value)
	case webhooklog.PayloadNotObject:
		return fmt.Sprintf("the payload is a JSON %s; every webhook in the spec is an object", jsonKind(p.Value))
	}
	return p.Error()
}

func notRecord(line []byte) string {
	return fmt.Sprintf("not a webhook log record: want an object with received_at, headers and body, got a JSON %s", jsonKind(line))
}

// brokenLine says where a line that is not one JSON value breaks, as
// encoding/json finds it reading the record member by member.
func brokenLine(line []byte) string {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return brokenJSON(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return notRecord(bytes.TrimLeft(line, " \t\r\n"))
	}
	for dec.More() {
		if _, err := dec.Token(); err != nil {
			return brokenJSON(err)
		}
		var v any
		if err := dec.Decode(&v); err != nil {
			return brokenJSON(err)
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return brokenJSON(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return "more than one JSON value on the line"
	}
	// Read member by member, a line may nest one level deeper than one
	// JSON value may.
	return fmt.Sprintf("broken JSON: nested more than %d levels deep", webhooklog.MaxDepth)
}

// brokenBody says why a body string does not hold one JSON value.
func brokenBody(payload []byte) string {
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return fmt.Sprintf("the body string does not hold valid JSON: %v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return "the body string holds more than one JSON value"
	}
	return "the body string does not hold valid JSON"
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

// jsonKind names the JSON type of a raw value as this package's messages
// always have: boolean where webhooklog.Type says bool.
func jsonKind(raw []byte) string {
	if t := webhooklog.Type(raw); t != "bool" {
		return t
	}
	return "boolean"
}
