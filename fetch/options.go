package fetch

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/time/rate"
)

// Defaults applied by the constructors to zero fields of Options.
const (
	DefaultTimeout       = 30 * time.Second
	DefaultMaxAttempts   = 5
	DefaultBaseBackoff   = 200 * time.Millisecond
	DefaultMaxBackoff    = 10 * time.Second
	DefaultMaxRetryAfter = 60 * time.Second
	DefaultConcurrency   = 4
	DefaultPageLimit     = 100
	// DefaultMaxBodyBytes bounds one response body; a page larger than
	// this is a misbehaving server, not data worth buffering.
	DefaultMaxBodyBytes = 64 << 20
)

// Options configure a client. The zero value of every field means its
// default, so callers set only what they mean to change.
type Options struct {
	// BaseURL is the API root, e.g. https://staging-api.xepeng.com or
	// http://127.0.0.1:8080/oxpay. A trailing "/" is dropped; a path
	// prefix is kept and is part of what Xepeng signs.
	BaseURL string
	// HTTPClient sends the requests. Nil means a client of our own whose
	// transport keeps enough idle connections for Concurrency workers.
	HTTPClient *http.Client
	// Timeout bounds one attempt, reading the body included.
	Timeout time.Duration
	// MaxAttempts is how many times one call is tried in all.
	MaxAttempts int
	// BaseBackoff and MaxBackoff shape the full-jitter backoff: before
	// retry n the client sleeps a random time in [0, min(Max, Base·2ⁿ⁻¹)].
	BaseBackoff time.Duration
	MaxBackoff  time.Duration
	// MaxRetryAfter caps how long a server's Retry-After may make us wait.
	MaxRetryAfter time.Duration
	// Limiter, when set, paces every attempt (retries included) so the
	// client never exceeds the rate the API allows. Nil means unlimited.
	Limiter *rate.Limiter
	// Concurrency bounds the requests in flight for bulk calls (page walks,
	// GetTransactions).
	Concurrency int
	// MaxBodyBytes bounds one response body.
	MaxBodyBytes int64
	// UserAgent overrides the User-Agent header; empty means
	// UserAgent(Version).
	UserAgent string
	// Version is recon's version, used in the default User-Agent.
	Version string
	// Seed seeds the backoff jitter, so tests can repeat a run; 0 means a
	// random seed.
	Seed uint64
	// Now is the clock Xepeng timestamps and Retry-After dates are read
	// against; nil means time.Now.
	Now func() time.Time
	// OnRequest, when set, is called after every attempt, possibly from
	// several goroutines at once during bulk calls. It must not block.
	OnRequest func(RequestInfo)
	// Progress, when set, is called from the calling goroutine after each
	// page of a walk or each id of GetTransactions is delivered.
	Progress func(done, total int)
}

// RequestInfo describes one attempt of one call, for metrics and logs. It
// carries no header values, so it holds no credential.
type RequestInfo struct {
	API        string // "xepeng" or "oxpay"
	Endpoint   string // method and path template, e.g. "GET /openapi/orders/{uid}"
	Method     string
	Path       string // the path as sent, query included, below the base URL
	Attempt    int    // 1 for the first try
	StatusCode int    // 0 when no response arrived
	Duration   time.Duration
	BytesSent  int
	BytesRead  int
	// Err is why this attempt failed, nil when it succeeded.
	Err error
	// Retry says another attempt follows after Wait.
	Retry bool
	Wait  time.Duration
}

// UserAgent returns the User-Agent recon sends: OxPay asks for
// "product/version (comment)".
func UserAgent(version string) string {
	if version == "" {
		version = "dev"
	}
	return "recon/" + version + " (reconkit; +https://github.com/reconkit/reconkit)"
}

// Validate reports every problem with the options at once.
func (o Options) Validate() error {
	var errs []error
	if o.BaseURL == "" {
		errs = append(errs, errors.New("base url is empty"))
	} else if u, err := url.Parse(o.BaseURL); err != nil {
		errs = append(errs, fmt.Errorf("base url: %w", err))
	} else if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("base url %q: want an absolute http or https url", o.BaseURL))
	} else if u.RawQuery != "" || u.Fragment != "" {
		errs = append(errs, fmt.Errorf("base url %q: must not carry a query or fragment", o.BaseURL))
	}
	for _, f := range []struct {
		name string
		v    int64
	}{
		{"timeout", int64(o.Timeout)},
		{"max attempts", int64(o.MaxAttempts)},
		{"base backoff", int64(o.BaseBackoff)},
		{"max backoff", int64(o.MaxBackoff)},
		{"max retry-after", int64(o.MaxRetryAfter)},
		{"concurrency", int64(o.Concurrency)},
		{"max body bytes", o.MaxBodyBytes},
	} {
		if f.v < 0 {
			errs = append(errs, fmt.Errorf("%s is negative", f.name))
		}
	}
	return errors.Join(errs...)
}

// withDefaults fills the zero fields.
func (o Options) withDefaults() Options {
	o.BaseURL = strings.TrimRight(o.BaseURL, "/")
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	if o.BaseBackoff <= 0 {
		o.BaseBackoff = DefaultBaseBackoff
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = DefaultMaxBackoff
	}
	if o.MaxBackoff < o.BaseBackoff {
		o.MaxBackoff = o.BaseBackoff
	}
	if o.MaxRetryAfter <= 0 {
		o.MaxRetryAfter = DefaultMaxRetryAfter
	}
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if o.UserAgent == "" {
		o.UserAgent = UserAgent(o.Version)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.HTTPClient == nil {
		o.HTTPClient = newHTTPClient(o.Concurrency)
	}
	return o
}

// newHTTPClient returns a client whose transport keeps an idle connection
// per worker, so bulk calls reuse connections instead of redialling. It
// sets no overall timeout: each attempt has its own context deadline.
func newHTTPClient(concurrency int) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = max(100, 2*concurrency)
	t.MaxIdleConnsPerHost = max(8, 2*concurrency)
	t.IdleConnTimeout = 90 * time.Second
	return &http.Client{Transport: t}
}
