package fetch

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// encodeBody returns the exact bytes a request sends and signs: compact
// JSON without a trailing newline and without Go's HTML escaping of <, >
// and &, so that URLs in a body read as JSON.stringify would write them.
func encodeBody(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// present says whether a JSON value was sent and is not null.
func present(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) > 0 && !bytes.Equal(raw, []byte("null"))
}

// decodeObject decodes a JSON object that must be there.
func decodeObject(raw json.RawMessage, what string, v any) error {
	if !present(raw) {
		return bad("%s is missing", what)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return bad("decode %s: %w", what, err)
	}
	return nil
}

// snippet is the start of a non-JSON error body (a proxy's HTML page, a
// plain-text error), on one line, for the error message.
func snippet(body []byte) string {
	const limit = 120
	if !utf8.Valid(body) {
		return ""
	}
	s := strings.Join(strings.FieldsFunc(string(body), unicode.IsSpace), " ")
	if len(s) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

// invalidArg is the error for a call refused before anything was sent.
func (c *core) invalidArg(method, endpoint, msg string) error {
	return &APIError{API: c.api, Method: method, Endpoint: endpoint, Message: msg, kind: ErrRejected}
}

// inconsistent is the error for a walk whose pages contradict each other.
func (c *core) inconsistent(endpoint, path, format string, args ...any) error {
	return &APIError{
		API: c.api, Method: "GET", Endpoint: endpoint, Path: path, StatusCode: 200,
		Message: fmt.Sprintf(format, args...), Attempts: 1, kind: ErrInconsistent,
	}
}
