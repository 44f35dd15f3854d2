package fetch

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// core is what both clients share: it sends one call, retrying what is
// worth retrying, and turns what comes back into a body or an *APIError.
type core struct {
	api     string
	opts    Options
	optsErr error
	// authorize adds the API's credentials and signature to an attempt.
	// It runs once per attempt so that signatures carry a fresh timestamp.
	authorize func(req *http.Request, body []byte)
	// sensitive names the headers whose values never leave the package.
	sensitive []string
	// secrets are the static credentials scrubbed from server messages.
	secrets redactor
	// errorMessage pulls the server's code and message out of an error body.
	errorMessage func(body []byte) (code, msg string)
	// sleep waits between attempts; tests replace it to record waits.
	sleep func(ctx context.Context, d time.Duration) error

	mu  sync.Mutex
	rng *rand.Rand
}

func newCore(api string, opts Options) *core {
	err := opts.Validate()
	opts = opts.withDefaults()
	seed := opts.Seed
	if seed == 0 {
		seed = rand.Uint64()
	}
	return &core{
		api:     api,
		opts:    opts,
		optsErr: err,
		sleep:   sleepCtx,
		rng:     rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
	}
}

// call is one logical request: the same bytes are sent on every attempt.
type call struct {
	method   string
	endpoint string // method and path template, for errors and metrics
	path     string // below the base URL, escaped, query included
	body     []byte // nil when the request has none
	// mutates marks a call that creates or changes something (a POST).
	// Retrying one after the server may have acted on it could create a
	// second order or charge a payer twice, so it is retried only where
	// the server surely did not act: the connection was never made, or
	// the server answered 429 or 503.
	mutates bool
}

// refusal is a 2xx answer whose content says the call failed. It is final.
type refusal struct {
	kind      error
	code, msg string
}

func (r *refusal) Error() string { return r.msg }

// badBody marks a 2xx body that is not what the endpoint returns: a
// truncated or non-JSON page from a proxy or a broken server. It is
// retried, because silently accepting it would lose data.
type badBody struct{ err error }

func (b *badBody) Error() string { return "unusable response body: " + b.err.Error() }
func (b *badBody) Unwrap() error { return b.err }

func bad(format string, args ...any) error { return &badBody{fmt.Errorf(format, args...)} }

// attemptTimeout replaces the attempt context's DeadlineExceeded, so that
// context.DeadlineExceeded in a returned error always means the caller's
// own deadline.
type attemptTimeout struct{ d time.Duration }

func (e *attemptTimeout) Error() string { return fmt.Sprintf("no response within %s", e.d) }

// reply is what one attempt got back.
type reply struct {
	status int
	header http.Header
	body   []byte
}

// do runs c until accept takes a 2xx body, the server gives a final
// answer, attempts run out or ctx ends. accept returns nil, a *refusal, or
// any other error to have the body treated as unusable and retried.
func (c *core) do(ctx context.Context, cl call, accept func(body []byte) error) error {
	if c.optsErr != nil {
		return fmt.Errorf("%s %s: invalid options: %w", c.api, cl.endpoint, c.optsErr)
	}
	scrub := append(redactor(nil), c.secrets...)
	fail := func(attempts int, r reply, kind error, code, msg string, cause error) *APIError {
		return &APIError{
			API: c.api, Method: cl.method, Endpoint: cl.endpoint, Path: cl.path,
			StatusCode: r.status, Code: scrub.apply(code), Message: scrub.apply(msg),
			Attempts: attempts, Err: scrub.wrap(cause), kind: kind,
		}
	}
	for attempt := 1; ; attempt++ {
		if c.opts.Limiter != nil {
			if err := c.opts.Limiter.Wait(ctx); err != nil {
				if ctx.Err() != nil {
					err = ctx.Err()
				}
				return fail(attempt-1, reply{}, nil, "", "", fmt.Errorf("rate limiter: %w", err))
			}
		}
		start := time.Now()
		r, sent, err := c.once(ctx, cl, &scrub)
		info := RequestInfo{
			API: c.api, Endpoint: cl.endpoint, Method: cl.method, Path: cl.path,
			Attempt: attempt, StatusCode: r.status, Duration: time.Since(start),
			BytesSent: sent, BytesRead: len(r.body),
		}

		var (
			retry     bool
			wait      time.Duration
			waitSet   bool // the server said how long to wait
			final     *APIError
			cause     error
			code, msg string
		)
		switch {
		case err != nil:
			if ctx.Err() != nil {
				final = fail(attempt, r, nil, "", "", ctx.Err())
				break
			}
			cause, retry = err, retryableTransport(err)
			if retry && cl.mutates && !neverSent(err) {
				retry = false
				msg = notRetried
			}
			if !retry {
				final = fail(attempt, r, ErrUnreachable, "", msg, err)
			}
		case r.status >= 200 && r.status < 300:
			aerr := accept(r.body)
			var ref *refusal
			switch {
			case aerr == nil:
			case errors.As(aerr, &ref):
				final = fail(attempt, r, ref.kind, ref.code, ref.msg, nil)
			case cl.mutates:
				// The server acted and answered badly: asking again could act twice.
				final = fail(attempt, r, ErrUnreachable, "", notRetried, aerr)
			default:
				cause, retry = aerr, true
			}
		case retryableStatus(r.status):
			code, msg = c.errorMessage(r.body)
			if cl.mutates && r.status != http.StatusTooManyRequests && r.status != http.StatusServiceUnavailable {
				final = fail(attempt, r, ErrUnreachable, code, joinMsg(msg, notRetried), nil)
				break
			}
			retry = true // the status says it all: no cause
			if r.status == 429 || r.status == 503 {
				if d, ok := retryAfter(r.header, c.opts.Now); ok {
					wait, waitSet = min(d, c.opts.MaxRetryAfter), true
				}
			}
		default:
			code, msg = c.errorMessage(r.body)
			final = fail(attempt, r, kindForStatus(r.status), code, msg, nil)
		}

		if retry && attempt >= c.opts.MaxAttempts {
			retry = false
			final = fail(attempt, r, ErrUnreachable, code, msg, cause)
		}
		if retry && !waitSet {
			wait = c.backoff(attempt)
		}
		switch {
		case final != nil:
			info.Err = final
		case retry:
			info.Retry, info.Wait = true, wait
			info.Err = scrub.wrap(cause)
			if cause == nil {
				info.Err = fmt.Errorf("HTTP %d", r.status)
			}
		}
		if c.opts.OnRequest != nil {
			c.opts.OnRequest(info)
		}
		if final != nil {
			return final
		}
		if !retry {
			return nil
		}
		if err := c.sleep(ctx, wait); err != nil {
			return fail(attempt, r, nil, code, msg, err)
		}
	}
}

// once sends one attempt and reads the whole body under the attempt's
// timeout. It returns how many body bytes it sent.
func (c *core) once(ctx context.Context, cl call, scrub *redactor) (reply, int, error) {
	actx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	var body io.Reader
	if cl.body != nil {
		body = bytes.NewReader(cl.body)
	}
	req, err := http.NewRequestWithContext(actx, cl.method, c.opts.BaseURL+cl.path, body)
	if err != nil {
		return reply{}, 0, &permanent{err}
	}
	req.Header.Set("User-Agent", c.opts.UserAgent)
	req.Header.Set("Accept", "application/json")
	c.authorize(req, cl.body)
	for _, h := range c.sensitive {
		if v := req.Header.Get(h); v != "" {
			*scrub = append(*scrub, v)
		}
	}

	resp, err := c.opts.HTTPClient.Do(req)
	if err != nil {
		return reply{}, len(cl.body), c.attemptErr(ctx, actx, err)
	}
	defer resp.Body.Close()
	r := reply{status: resp.StatusCode, header: resp.Header}
	r.body, err = io.ReadAll(io.LimitReader(resp.Body, c.opts.MaxBodyBytes+1))
	if err != nil {
		return r, len(cl.body), fmt.Errorf("read body: %w", c.attemptErr(ctx, actx, err))
	}
	if int64(len(r.body)) > c.opts.MaxBodyBytes {
		return r, len(cl.body), &permanent{fmt.Errorf("response body exceeds %d bytes", c.opts.MaxBodyBytes)}
	}
	return r, len(cl.body), nil
}

// attemptErr swaps the attempt's own deadline for attemptTimeout.
func (c *core) attemptErr(ctx, actx context.Context, err error) error {
	if ctx.Err() == nil && errors.Is(actx.Err(), context.DeadlineExceeded) {
		return &attemptTimeout{c.opts.Timeout}
	}
	return err
}

// permanent marks a transport failure that another attempt cannot cure.
type permanent struct{ err error }

func (p *permanent) Error() string { return p.err.Error() }
func (p *permanent) Unwrap() error { return p.err }

// retryableTransport says whether a failure to get a response may pass:
// refused or reset connections, EOFs, timeouts and truncated bodies do;
// a bad certificate or an unusable URL does not.
func retryableTransport(err error) bool {
	var (
		perm    *permanent
		certErr *tls.CertificateVerificationError
		unknown x509.UnknownAuthorityError
		host    x509.HostnameError
		invalid x509.CertificateInvalidError
	)
	switch {
	case errors.As(err, &perm), errors.As(err, &certErr), errors.As(err, &unknown),
		errors.As(err, &host), errors.As(err, &invalid):
		return false
	case strings.Contains(err.Error(), "unsupported protocol scheme"):
		return false
	}
	return true
}

// notRetried explains why a failed call that changes something was not
// tried again.
const notRetried = "not retried: the server may have acted on the request; check before sending it again"

func joinMsg(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// neverSent reports whether err happened before a connection was made,
// so the server cannot have seen the request.
func neverSent(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// retryableStatus: request timeout, too many requests, and server errors
// other than 501 Not Implemented, which no retry will change.
func retryableStatus(status int) bool {
	return status == 408 || status == 429 || (status >= 500 && status != 501)
}

// retryAfter parses Retry-After as delay-seconds or an HTTP-date.
func retryAfter(h http.Header, now func() time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		if secs > int64(24*time.Hour/time.Second) {
			secs = int64(24 * time.Hour / time.Second)
		}
		return time.Duration(secs) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now()), 0), true
	}
	return 0, false
}

// backoff returns the full-jitter wait before retry number attempt.
func (c *core) backoff(attempt int) time.Duration {
	d := c.opts.BaseBackoff
	for i := 1; i < attempt && d < c.opts.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, c.opts.MaxBackoff)
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Duration(c.rng.Int64N(int64(d) + 1))
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
