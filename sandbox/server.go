package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/reconkit/reconkit/sandbox/gen"
)

// maxBody caps request bodies; no legitimate call comes near it.
const maxBody = 1 << 20

// Server is the sandbox: both fake APIs over one in-memory state.
type Server struct {
	cfg    Config
	log    *slog.Logger
	st     *state
	routes []route
	faults *faulter // nil when no faults are injected
}

// api says which API a route belongs to, which decides its
// authentication and the shape of its errors.
type api int

const (
	apiNone api = iota // browser pages: no authentication
	apiXepeng
	apiOxPay
)

// route is one method and path pattern. A segment written {name} matches
// any non-empty segment and is available as r.PathValue(name).
type route struct {
	method  string
	pattern string
	segs    []string
	api     api
	handle  func(w http.ResponseWriter, r *http.Request, body []byte)
}

// New returns a sandbox serving data (which may be nil for an empty
// world). The dataset is copied: the server's changes never reach it.
func New(cfg Config, data *gen.Dataset) *Server {
	cfg = cfg.withDefaults()
	s := &Server{cfg: cfg, log: cfg.Logger, st: newState(data)}
	if err := cfg.Faults.Validate(); err != nil {
		panic(fmt.Sprintf("sandbox.New: invalid Config.Faults: %v", err))
	}
	if cfg.Faults.Enabled() {
		s.faults = newFaulter(cfg.Faults)
	}
	if cfg.VoidStyle == "" && data != nil {
		cfg.VoidStyle = data.Options.VoidStyle
	}
	if cfg.VoidStyle == "" {
		cfg.VoidStyle = gen.VoidSameID
	}
	if _, err := gen.ParseVoidStyle(string(cfg.VoidStyle)); err != nil {
		panic(fmt.Sprintf("sandbox.New: invalid Config.VoidStyle: %v", err))
	}
	s.cfg = cfg
	s.routes = []route{
		s.route(apiXepeng, "POST /openapi/orders", s.createOrder),
		s.route(apiXepeng, "GET /openapi/orders", s.listOrders),
		s.route(apiXepeng, "GET /openapi/orders/{uid}", s.getOrder),
		s.route(apiXepeng, "PUT /openapi/orders/{uid}", s.updateOrder),
		s.route(apiXepeng, "POST /openapi/payment-links/generate", s.generateLink),
		s.route(apiXepeng, "GET /openapi/payment-links", s.listLinks),
		s.route(apiXepeng, "GET /openapi/payment-links/{uid}", s.getLink),
		s.route(apiXepeng, "PUT /openapi/payment-links/{uid}/inactivate", s.inactivateLink),

		s.route(apiOxPay, "POST /oxpay/payment-page", s.paymentPage),
		s.route(apiOxPay, "GET /oxpay/payment", s.getSession),
		s.route(apiOxPay, "POST /oxpay/payment", s.createPayment),
		s.route(apiOxPay, "POST /oxpay/void", s.void),
		s.route(apiOxPay, "POST /oxpay/refund", s.refund),
		s.route(apiOxPay, "POST /oxpay/capture", s.capture),
		s.route(apiOxPay, "GET /oxpay/payment/{oxpay_txn_id}", s.getTransaction),

		s.route(apiNone, "GET /pay/{uid}", s.linkPage),
		s.route(apiNone, "GET /oxpay/hpp", s.hostedPage),
	}
	return s
}

func (s *Server) route(a api, pattern string, h func(http.ResponseWriter, *http.Request, []byte)) route {
	method, path, _ := strings.Cut(pattern, " ")
	return route{method: method, pattern: pattern, segs: splitPath(path), api: a, handle: h}
}

func splitPath(p string) []string {
	return strings.Split(strings.TrimPrefix(p, "/"), "/")
}

// match reports whether segs fits the route and sets its path values.
func (rt route) match(segs []string) (map[string]string, bool) {
	if len(segs) != len(rt.segs) {
		return nil, false
	}
	var vals map[string]string
	for i, want := range rt.segs {
		if strings.HasPrefix(want, "{") {
			if segs[i] == "" {
				return nil, false
			}
			if vals == nil {
				vals = make(map[string]string, 1)
			}
			vals[strings.Trim(want, "{}")] = segs[i]
			continue
		}
		if segs[i] != want {
			return nil, false
		}
	}
	return vals, true
}

// Handler returns the sandbox as an http.Handler, for httptest.
func (s *Server) Handler() http.Handler { return s }

// ServeHTTP routes a request. The router is the sandbox's own rather than
// http.ServeMux so that unknown paths and wrong methods get JSON in the
// matching API's envelope, and no path is cleaned or redirected: the
// path the client signed is the path the server checks.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	arrived := s.cfg.Now()
	start := time.Now()
	sw := &statusWriter{ResponseWriter: w, onHeader: func(code int, fault FaultKind) {
		rec := RequestRecord{
			Method:   r.Method,
			Path:     r.URL.Path,
			Status:   code,
			Time:     arrived,
			Duration: time.Since(start),
			Fault:    fault,
		}
		attrs := []any{"method", rec.Method, "path", rec.Path, "status", rec.Status, "duration", rec.Duration}
		if fault != "" {
			attrs = append(attrs, "fault", fault)
		}
		s.log.Debug("sandbox request", attrs...)
		if s.cfg.OnRequest != nil {
			s.cfg.OnRequest(rec)
		}
	}}
	s.dispatch(sw, r)
	sw.header(http.StatusOK) // a handler that wrote nothing answered 200
}

func (s *Server) dispatch(w http.ResponseWriter, r *http.Request) {
	segs := splitPath(r.URL.Path)
	var allowed []string
	for _, rt := range s.routes {
		vals, ok := rt.match(segs)
		if !ok {
			continue
		}
		if rt.method != r.Method {
			allowed = append(allowed, rt.method)
			continue
		}
		for k, v := range vals {
			r.SetPathValue(k, v)
		}
		s.serveRoute(rt, w, r)
		return
	}
	a := apiOf(r.URL.Path)
	if len(allowed) > 0 {
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		s.fail(a, w, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "Method not allowed")
		return
	}
	s.fail(a, w, http.StatusNotFound, "NOT_FOUND", "Route not found")
}

func apiOf(path string) api {
	if strings.HasPrefix(path, "/oxpay/") {
		return apiOxPay
	}
	return apiXepeng
}

func (s *Server) serveRoute(rt route, w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			s.fail(rt.api, w, http.StatusRequestEntityTooLarge, "PAYLOAD_TOO_LARGE", "Request body too large")
			return
		}
		s.fail(rt.api, w, http.StatusBadRequest, "BAD_REQUEST", "Could not read the request body")
		return
	}
	if s.faults != nil && rt.api != apiNone {
		if kind := s.faults.decide(faultIdentity(r)); kind != "" {
			s.injectFault(kind, rt, w, r, body)
			return
		}
	}
	s.handle(rt, w, r, body)
}

// handle authenticates a request whose body has been read and runs its
// route.
func (s *Server) handle(rt route, w http.ResponseWriter, r *http.Request, body []byte) {
	switch rt.api {
	case apiXepeng:
		if !s.xepengAuth(w, r, body) {
			return
		}
	case apiOxPay:
		if !s.oxpayAuth(w, r, body) {
			return
		}
	}
	rt.handle(w, r, body)
}

// fail answers an error outside any handler in the envelope of api a.
func (s *Server) fail(a api, w http.ResponseWriter, status int, code, msg string) {
	if a == apiOxPay {
		s.oxReject(w, status, msg+".")
		return
	}
	xepengError(w, status, msg, code, nil)
}

// writeJSON writes v compactly. HTML escaping is off so URLs keep their
// '&' as sent.
func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Only a programming error can get here: every value is a wire type.
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString(`{"status":"error","message":"internal error"}`)
	}
	b := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", fmt.Sprint(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// baseURL is the scheme and host the client used to reach the sandbox,
// so the URLs it hands out point back at it.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// statusWriter reports the status code once, as the header is written:
// before any of the body reaches the client, so whoever has an answer can
// rely on its request record existing.
type statusWriter struct {
	http.ResponseWriter
	onHeader func(code int, fault FaultKind)
	wrote    bool
	fault    FaultKind // set by injectFault before anything is written
}

func (w *statusWriter) header(code int) {
	if !w.wrote {
		w.wrote = true
		w.onHeader(code, w.fault)
	}
}

func (w *statusWriter) WriteHeader(code int) {
	w.header(code)
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.header(http.StatusOK)
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the real writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// shutdownTimeout bounds how long a graceful stop waits for requests in
// flight.
const shutdownTimeout = 5 * time.Second

// Serve listens on addr and serves until ctx is done, then shuts down
// gracefully. It returns nil after a clean shutdown.
func (s *Server) Serve(ctx context.Context, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("sandbox listen on %s: %w", addr, err)
	}
	return s.serve(ctx, ln)
}

// Start listens on addr (tests and the demo use 127.0.0.1:0) and serves
// in the background. It returns the base URL, e.g. http://127.0.0.1:41234
// (the Xepeng base URL; OxPay's is url+"/oxpay"), and a stop function
// that shuts down gracefully and may be called more than once.
func (s *Server) Start(addr string) (url string, stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("sandbox listen on %s: %w", addr, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := s.serve(ctx, ln); err != nil {
			s.log.Error("sandbox stopped", "err", err)
		}
	}()
	stop = sync.OnceFunc(func() {
		cancel()
		<-done
	})
	return "http://" + dialAddr(ln.Addr()), stop, nil
}

// dialAddr turns a wildcard listen address into one a client can dial.
func dialAddr(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok || !tcp.IP.IsUnspecified() {
		return a.String()
	}
	return net.JoinHostPort("127.0.0.1", fmt.Sprint(tcp.Port))
}

func (s *Server) serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	if s.faults != nil {
		// Requests held by a fault would otherwise keep the shutdown waiting.
		srv.RegisterOnShutdown(s.faults.release)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("sandbox serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("sandbox shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("sandbox serve: %w", err)
	}
	return nil
}
