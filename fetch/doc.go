// Package fetch holds the HTTP clients for the Xepeng Open API and the
// OxPay Payments API.
//
// Both clients share one core: per-attempt timeouts, retries with full
// jitter backoff on network errors, 408/429/5xx and unusable 2xx bodies,
// an optional rate limiter, and typed *APIError values that callers test
// with errors.Is against ErrUnreachable, ErrNotFound, ErrUnauthorized,
// ErrRejected and ErrInconsistent. Requests are signed with sign/; results
// are the JSON shapes of wire/, with the raw JSON where callers keep it.
// Nothing here prints, reads the environment or writes to a database:
// callers observe requests through Options.OnRequest and Options.Progress.
package fetch
