package sandbox

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/reconkit/reconkit/wire"
)

// FaultKind names one way the sandbox fails a request on purpose.
type FaultKind string

// The fault kinds. Error kinds never reach the API, so the sandbox's
// state is unchanged, as when a proxy in front of it fails; truncated
// and cut-body run the request and spoil its answer, so a POST's
// change is made and its answer lost; slow runs it late.
const (
	Fault500 FaultKind = "500" // 500 in the API's error envelope
	Fault502 FaultKind = "502" // 502 in the API's error envelope
	Fault503 FaultKind = "503" // 503 in the envelope, with Retry-After
	Fault429 FaultKind = "429" // 429 in the envelope, with Retry-After
	// FaultTimeout holds the request for Faults.Hold, or until the client
	// gives up or the server shuts down, then answers 504.
	FaultTimeout FaultKind = "timeout"
	// FaultReset closes the connection with a TCP reset, answering nothing.
	FaultReset FaultKind = "reset"
	// FaultCutBody sends the real answer's status and headers, Content-
	// Length included, then half its body, then closes the connection: the
	// client's read fails mid-body.
	FaultCutBody FaultKind = "cut-body"
	// FaultTruncated sends the real answer's status with its body cut in
	// half and an honest Content-Length: a well-formed HTTP response whose
	// JSON is broken.
	FaultTruncated FaultKind = "truncated"
	// FaultNonJSON answers 200 with an HTML page, as a captive portal or a
	// misrouted proxy would.
	FaultNonJSON FaultKind = "nonjson"
	// FaultSlow answers correctly after Faults.SlowDelay.
	FaultSlow FaultKind = "slow"
)

// FaultKinds returns every fault kind.
func FaultKinds() []FaultKind {
	return []FaultKind{Fault500, Fault502, Fault503, Fault429, FaultTimeout, FaultReset,
		FaultCutBody, FaultTruncated, FaultNonJSON, FaultSlow}
}

// Defaults of the zero fields of Faults.
const (
	DefaultMaxConsecutiveFaults = 2
	DefaultSlowDelay            = 2 * time.Second
	// DefaultFaultHold is longer than any client timeout recon uses by
	// default (15 s in recon.yaml, 30 s in fetch).
	DefaultFaultHold  = 60 * time.Second
	DefaultRetryAfter = time.Second
)

// Faults says which requests to the API routes (/openapi/..., /oxpay/...,
// not the browser pages) fail, and how.
//
// Whether a request is faulted is a function of Seed, the request's
// identity (method, path and query; not headers or body) and how many
// times that identity has been asked before, so the same seed and the
// same calls give the same faults whatever the order in which concurrent
// requests arrive. No identity is faulted more than MaxConsecutive times
// in a row: a client that tries each call more than MaxConsecutive times
// always gets through.
type Faults struct {
	// Rate is the share of requests faulted, 0 to 1; 0 injects none.
	Rate float64
	// Kinds are the faults to choose from, equally likely; empty means
	// all of FaultKinds.
	Kinds []FaultKind
	// Seed decides which requests fail and how.
	Seed int64
	// MaxConsecutive bounds the faults in a row on one identity.
	MaxConsecutive int
	// SlowDelay is how late a slow answer comes.
	SlowDelay time.Duration
	// Hold is how long a timeout fault holds a request before it answers
	// 504; set it above the client's timeout.
	Hold time.Duration
	// RetryAfter is sent with 429 and 503, in whole seconds.
	RetryAfter time.Duration
}

// Enabled reports whether any request may be faulted.
func (f Faults) Enabled() bool { return f.Rate > 0 }

// withDefaults fills the zero fields.
func (f Faults) withDefaults() Faults {
	if len(f.Kinds) == 0 {
		f.Kinds = FaultKinds()
	}
	if f.MaxConsecutive <= 0 {
		f.MaxConsecutive = DefaultMaxConsecutiveFaults
	}
	if f.SlowDelay <= 0 {
		f.SlowDelay = DefaultSlowDelay
	}
	if f.Hold <= 0 {
		f.Hold = DefaultFaultHold
	}
	if f.RetryAfter <= 0 {
		f.RetryAfter = DefaultRetryAfter
	}
	return f
}

// Validate reports every problem at once.
func (f Faults) Validate() error {
	var errs []error
	if math.IsNaN(f.Rate) || f.Rate < 0 || f.Rate > 1 {
		errs = append(errs, fmt.Errorf("rate %v must be between 0 and 1", f.Rate))
	}
	seen := map[FaultKind]bool{}
	for _, k := range f.Kinds {
		switch {
		case !slices.Contains(FaultKinds(), k):
			errs = append(errs, fmt.Errorf("unknown fault kind %q (want %s)", k, joinKinds(FaultKinds())))
		case seen[k]:
			errs = append(errs, fmt.Errorf("fault kind %q listed twice", k))
		}
		seen[k] = true
	}
	if f.MaxConsecutive < 0 {
		errs = append(errs, errors.New("max-consecutive must not be negative"))
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"slow", f.SlowDelay}, {"hold", f.Hold}, {"retry-after", f.RetryAfter}} {
		if d.v < 0 {
			errs = append(errs, fmt.Errorf("%s must not be negative", d.name))
		}
	}
	if f.RetryAfter%time.Second != 0 {
		errs = append(errs, fmt.Errorf("retry-after %s must be whole seconds", f.RetryAfter))
	}
	return errors.Join(errs...)
}

// String is the fault spec ParseFaults reads back, defaults filled in.
func (f Faults) String() string {
	f = f.withDefaults()
	return fmt.Sprintf("rate=%s,kinds=%s,seed=%d,max-consecutive=%d,slow=%s,hold=%s,retry-after=%d",
		strconv.FormatFloat(f.Rate, 'g', -1, 64), joinKinds(f.Kinds), f.Seed, f.MaxConsecutive,
		f.SlowDelay, f.Hold, f.RetryAfter/time.Second)
}

func joinKinds(kinds []FaultKind) string {
	s := make([]string, len(kinds))
	for i, k := range kinds {
		s[i] = string(k)
	}
	return strings.Join(s, "|")
}

// ParseFaults reads a fault spec: comma-separated key=value pairs.
//
//	rate=0.05                     share of requests faulted, 0..1 (required)
//	kinds=500|503|timeout|...     kinds to draw from (default: all)
//	seed=7                        which requests fail (default 0)
//	max-consecutive=2             faults in a row on one request (default 2)
//	slow=2s                       delay of a slow answer (default 2s)
//	hold=60s                      how long a timeout holds a request (default 60s)
//	retry-after=1                 Retry-After of 429 and 503, seconds (default 1)
//
// Every problem is reported at once.
func ParseFaults(spec string) (Faults, error) {
	var (
		f    Faults
		errs []error
		seen = map[string]bool{}
	)
	if strings.TrimSpace(spec) == "" {
		return f, errors.New("fault spec is empty; want e.g. rate=0.05,kinds=500|503|timeout,seed=7")
	}
	// A value that does not parse is reported here and left at zero, so
	// that Validate, which checks the rest, does not report it again.
	duration := func(key, v string) time.Duration {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("%s=%q: want a positive duration such as 500ms or 2s", key, v))
			return 0
		}
		return d
	}
	for _, item := range strings.Split(spec, ",") {
		key, v, ok := strings.Cut(strings.TrimSpace(item), "=")
		key, v = strings.TrimSpace(key), strings.TrimSpace(v)
		if !ok || key == "" {
			errs = append(errs, fmt.Errorf("%q: want key=value", item))
			continue
		}
		if seen[key] {
			errs = append(errs, fmt.Errorf("%s given twice", key))
			continue
		}
		seen[key] = true
		switch key {
		case "rate":
			r, err := strconv.ParseFloat(v, 64)
			if err != nil {
				errs = append(errs, fmt.Errorf("rate=%q: want a number between 0 and 1", v))
				continue
			}
			f.Rate = r
		case "kinds":
			for _, k := range strings.Split(v, "|") {
				f.Kinds = append(f.Kinds, FaultKind(strings.TrimSpace(k)))
			}
		case "seed":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				errs = append(errs, fmt.Errorf("seed=%q: want an integer", v))
				continue
			}
			f.Seed = n
		case "max-consecutive":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				errs = append(errs, fmt.Errorf("max-consecutive=%q: want an integer of at least 1", v))
				continue
			}
			f.MaxConsecutive = n
		case "slow":
			f.SlowDelay = duration(key, v)
		case "hold":
			f.Hold = duration(key, v)
		case "retry-after":
			// Seconds, as the header carries them; 2s is read too.
			d, err := time.ParseDuration(v)
			if n, nerr := strconv.Atoi(v); nerr == nil {
				d, err = time.Duration(n)*time.Second, nil
			}
			if err != nil || d < time.Second || d%time.Second != 0 {
				errs = append(errs, fmt.Errorf("retry-after=%q: want whole seconds, at least 1", v))
				continue
			}
			f.RetryAfter = d
		default:
			errs = append(errs, fmt.Errorf("unknown key %q (want rate, kinds, seed, max-consecutive, slow, hold or retry-after)", key))
		}
	}
	if !seen["rate"] {
		errs = append(errs, errors.New("rate is required, e.g. rate=0.05"))
	}
	if err := f.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return Faults{}, fmt.Errorf("fault spec %q: %w", spec, err)
	}
	return f, nil
}

// faulter decides, per request, which fault to inject.
type faulter struct {
	f     Faults // defaults filled in
	mu    sync.Mutex
	calls map[uint64]identityCalls // by hash of seed and identity
	// released is closed when the server shuts down, so held requests end
	// at once instead of keeping the shutdown waiting.
	released chan struct{}
	release  func()
}

// identityCalls is what the faulter remembers of one request identity.
type identityCalls struct {
	n   uint64 // requests seen so far
	run int    // faults in a row, up to the last request
}

func newFaulter(f Faults) *faulter {
	released := make(chan struct{})
	return &faulter{
		f:        f.withDefaults(),
		calls:    map[uint64]identityCalls{},
		released: released,
		release:  sync.OnceFunc(func() { close(released) }),
	}
}

// decide returns the fault for the next request of identity id, or "".
// The map holds one small entry per distinct identity, which is fine for
// a sandbox's lifetime.
func (fl *faulter) decide(id string) FaultKind {
	h := fnv.New64a()
	var seed [8]byte
	for i := range seed {
		seed[i] = byte(uint64(fl.f.Seed) >> (8 * i))
	}
	h.Write(seed[:])
	h.Write([]byte(id))
	key := h.Sum64()

	fl.mu.Lock()
	defer fl.mu.Unlock()
	c := fl.calls[key]
	var kind FaultKind
	if c.run < fl.f.MaxConsecutive {
		x := mix64(key ^ mix64(c.n+1))
		// The top 53 bits as a uniform float in [0, 1).
		if float64(x>>11)/(1<<53) < fl.f.Rate {
			kind = fl.f.Kinds[mix64(x)%uint64(len(fl.f.Kinds))]
		}
	}
	c.n++
	if kind == "" {
		c.run = 0
	} else {
		c.run++
	}
	fl.calls[key] = c
	return kind
}

// mix64 is SplitMix64's finalizer: every input bit moves every output bit.
func mix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// faultIdentity is what makes two requests "the same call" for fault
// decisions: retries of one call share it; headers (fresh signatures and
// timestamps) and bodies do not count.
func faultIdentity(r *http.Request) string {
	return r.Method + " " + r.URL.Path + "?" + r.URL.RawQuery
}

// injectFault answers r with fault kind instead of, or around, the route's
// own handler, and marks the request record with the kind.
func (s *Server) injectFault(kind FaultKind, rt route, w http.ResponseWriter, r *http.Request, body []byte) {
	sw, _ := w.(*statusWriter)
	if sw != nil {
		sw.fault = kind
	}
	fl := s.faults
	switch kind {
	case Fault500:
		s.serverError(rt.api, w, http.StatusInternalServerError, "INTERNAL_ERROR", "Internal server error")
	case Fault502:
		s.serverError(rt.api, w, http.StatusBadGateway, "BAD_GATEWAY", "Bad gateway")
	case Fault503:
		w.Header().Set("Retry-After", strconv.Itoa(int(fl.f.RetryAfter/time.Second)))
		s.serverError(rt.api, w, http.StatusServiceUnavailable, "SERVICE_UNAVAILABLE", "Service unavailable")
	case Fault429:
		w.Header().Set("Retry-After", strconv.Itoa(int(fl.f.RetryAfter/time.Second)))
		s.serverError(rt.api, w, http.StatusTooManyRequests, "TOO_MANY_REQUESTS", "Too many requests")
	case FaultTimeout:
		fl.hold(r.Context(), fl.f.Hold)
		s.serverError(rt.api, w, http.StatusGatewayTimeout, "GATEWAY_TIMEOUT", "Gateway timeout")
	case FaultSlow:
		// The call is served even if the client gave up meanwhile, as a
		// slow server would.
		fl.hold(r.Context(), fl.f.SlowDelay)
		s.handle(rt, w, r, body)
	case FaultTruncated:
		a := s.captureAnswer(rt, r, body)
		cut := a.body[:len(a.body)/2]
		copyHeader(w.Header(), a.header)
		w.Header().Set("Content-Length", strconv.Itoa(len(cut)))
		w.WriteHeader(a.status)
		_, _ = w.Write(cut)
	case FaultNonJSON:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Length", strconv.Itoa(len(nonJSONPage)))
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, nonJSONPage)
	case FaultReset:
		if sw != nil {
			sw.header(0) // the record, before the connection goes
		}
		hijack(w, func(conn net.Conn, _ *bufio.Writer) {
			// No lingering: the close sends a TCP reset, not a clean FIN,
			// as a crashing proxy or a dropped route does.
			if tcp, ok := conn.(*net.TCPConn); ok {
				_ = tcp.SetLinger(0)
			}
		})
	case FaultCutBody:
		a := s.captureAnswer(rt, r, body)
		if sw != nil {
			sw.header(a.status)
		}
		hijack(w, func(_ net.Conn, buf *bufio.Writer) {
			fmt.Fprintf(buf, "HTTP/1.1 %d %s\r\n", a.status, http.StatusText(a.status))
			a.header.Set("Content-Length", strconv.Itoa(len(a.body)))
			_ = a.header.Write(buf)
			buf.WriteString("\r\n")
			buf.Write(a.body[:len(a.body)/2])
			// A plain close after the bytes, not a reset, which could
			// discard them before they leave.
			_ = buf.Flush()
		})
	}
}

// nonJSONPage is what a proxy or captive portal answers in the API's place.
const nonJSONPage = `<!DOCTYPE html><html><head><title>Service notice</title></head>` +
	`<body><h1>Please wait</h1><p>The service is busy. Try again shortly.</p></body></html>`

// serverError answers a server-side failure in the envelope of api a:
// Xepeng's {status: error} with a code, or OxPay's status_code 3.
func (s *Server) serverError(a api, w http.ResponseWriter, status int, code, msg string) {
	if a == apiOxPay {
		writeJSON(w, status, wire.OxEnvelope[wire.OxError]{
			Headers: s.oxHeaders(wire.OxStatusError, "ERROR"),
			Body:    wire.OxError{Status: "Error", StatusDesc: msg + "."},
		})
		return
	}
	xepengError(w, status, msg, code, nil)
}

// hold waits d, or until the client goes away or the server shuts down.
func (fl *faulter) hold(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	case <-fl.released:
	}
}

// answer is a handler's complete response, captured to be spoiled.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// captureAnswer runs the route and keeps its answer.
func (s *Server) captureAnswer(rt route, r *http.Request, body []byte) answer {
	bw := &bufferWriter{header: http.Header{}}
	s.handle(rt, bw, r, body)
	if bw.status == 0 {
		bw.status = http.StatusOK
	}
	return answer{status: bw.status, header: bw.header, body: bw.buf.Bytes()}
}

// bufferWriter is an http.ResponseWriter that keeps everything in memory.
type bufferWriter struct {
	header http.Header
	status int
	buf    bytes.Buffer
}

func (b *bufferWriter) Header() http.Header { return b.header }

func (b *bufferWriter) WriteHeader(code int) {
	if b.status == 0 {
		b.status = code
	}
}

func (b *bufferWriter) Write(p []byte) (int, error) {
	b.WriteHeader(http.StatusOK)
	return b.buf.Write(p)
}

func copyHeader(dst, src http.Header) {
	for k, v := range src {
		dst[k] = slices.Clone(v)
	}
}

// hijack takes the connection over, lets do write raw bytes on it or set
// it up, and closes it.
func hijack(w http.ResponseWriter, do func(net.Conn, *bufio.Writer)) {
	conn, rw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		// HTTP/2 or a recorder: no connection to take over. Aborting the
		// handler makes net/http drop the response instead.
		panic(http.ErrAbortHandler)
	}
	do(conn, rw.Writer)
	_ = conn.Close()
}
