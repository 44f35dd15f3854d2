package fetch

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinels for errors.Is. Every error a client returns for a call that
// reached the point of sending is an *APIError matching at most one.
var (
	// ErrUnreachable: the API could not be used — retries ran out on
	// network errors, timeouts, 408/429/5xx or unusable 2xx bodies. The
	// recon CLI exits 3 on it: the data was not read, try again later.
	ErrUnreachable = errors.New("api unreachable")
	// ErrNotFound: HTTP 404, or an error envelope whose code is NOT_FOUND.
	ErrNotFound = errors.New("not found")
	// ErrUnauthorized: HTTP 401 or 403, or an UNAUTHORIZED envelope: the
	// credentials or the signature were refused.
	ErrUnauthorized = errors.New("unauthorized")
	// ErrRejected: any other 4xx, or a 2xx whose envelope says the request
	// failed (Xepeng status "error", OxPay status_code 2 or 3).
	ErrRejected = errors.New("rejected")
	// ErrInconsistent: the responses were well formed but contradict the
	// request or each other — a page walk whose total_pages changes, whose
	// page comes back empty before the end, or that answers with another
	// page than the one asked for; a transaction fetched by id that carries
	// another id. Retrying the whole walk may succeed.
	ErrInconsistent = errors.New("inconsistent responses")
)

// APIError is a failed call. Its text names the endpoint, the HTTP status
// and what the server said; it never holds a credential, a signature or
// an Authorization header (server messages are scrubbed of them too).
type APIError struct {
	API      string // "xepeng" or "oxpay"
	Method   string
	Endpoint string // method and path template, e.g. "GET /openapi/orders/{uid}"
	Path     string // the concrete path below the base URL, query included
	// StatusCode is the HTTP status of the last response, 0 if none came.
	StatusCode int
	// Code is the server's machine-readable code when it sent one: Xepeng's
	// data.code (VALIDATION_ERROR, NOT_FOUND, ...), OxPay's body.status
	// ("Rejected"), else its headers.status_message ("ERROR").
	Code string
	// Message is the server's own words: Xepeng's message, OxPay's
	// status_desc (or status_message).
	Message string
	// Attempts is how many times the call was tried.
	Attempts int
	// Err is the cause: a network error, a decoding error, the context's
	// error, or nil when the server's answer alone explains the failure.
	Err error

	kind error // one of the sentinels, or nil
}

// Error names the endpoint, the status and the server's message.
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString(e.API)
	b.WriteByte(' ')
	b.WriteString(e.Endpoint)
	if e.Path != "" && !strings.HasSuffix(e.Endpoint, " "+e.Path) {
		fmt.Fprintf(&b, " (%s)", e.Path)
	}
	if e.kind == ErrUnreachable {
		fmt.Fprintf(&b, ": gave up after %d attempt%s", e.Attempts, plural(e.Attempts))
	}
	if e.StatusCode != 0 {
		fmt.Fprintf(&b, ": HTTP %d", e.StatusCode)
	}
	if e.Code != "" {
		fmt.Fprintf(&b, " %s", e.Code)
	}
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", e.Message)
	}
	if e.Err != nil {
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *APIError) Unwrap() error { return e.Err }

// Is matches the sentinel that classifies the error.
func (e *APIError) Is(target error) bool { return e.kind != nil && target == e.kind }

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// kindForStatus classifies a final, non-retried HTTP status.
func kindForStatus(status int) error {
	switch {
	case status == 401 || status == 403:
		return ErrUnauthorized
	case status == 404:
		return ErrNotFound
	case status >= 400 && status < 500:
		return ErrRejected
	default:
		// 1xx/3xx that the http.Client did not resolve: the base URL points
		// at something that is not the API.
		return ErrUnreachable
	}
}

// redactor scrubs credentials out of text the server sent back, so that a
// server echoing our headers cannot smuggle them into an error or a log.
type redactor []string

func (r redactor) apply(s string) string {
	for _, secret := range r {
		if len(secret) >= 4 && strings.Contains(s, secret) {
			s = strings.ReplaceAll(s, secret, "[redacted]")
		}
	}
	return s
}

// redactedError hides a cause's text behind the redactor while keeping it
// reachable through errors.Is/As.
type redactedError struct {
	err  error
	text string
}

func (e *redactedError) Error() string { return e.text }
func (e *redactedError) Unwrap() error { return e.err }

func (r redactor) wrap(err error) error {
	if err == nil {
		return nil
	}
	s := err.Error()
	if t := r.apply(s); t != s {
		return &redactedError{err: err, text: t}
	}
	return err
}
