package contract

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
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pb33f/libopenapi-validator/schema_validation"
)

// ErrUnreachable means no request reached the target at all: the run
// stopped before judging anything (exit code 3).
var ErrUnreachable = errors.New("target unreachable")

// RunOptions configures Run.
type RunOptions struct {
	// BaseURL is prefixed to every path of the spec.
	BaseURL string
	// Client sends the requests; a client with Timeout when nil.
	Client  *http.Client
	Timeout time.Duration
	Auth    *Auth
	// ResponseTime is the response_time budget; 0 turns the check off.
	ResponseTime time.Duration
	// Severity gives the severity in force for a check; the documented
	// defaults when nil.
	Severity func(check string) Severity
	// Negative runs the negative checks just before each operation's
	// first call.
	Negative bool
	// NegativeStatuses overrides, per auth negative check, the statuses
	// that count as a refusal (401 or 403 by default). A 2xx or 5xx never
	// counts.
	NegativeStatuses map[string][]int
	// RunID fills ${run_id}; Vars fills ${vars.NAME}.
	RunID string
	Vars  map[string]any
	// Now is the clock for signatures and the result's start time.
	Now func() time.Time
	// UserAgent is sent unless the plan sets a User-Agent parameter.
	UserAgent string
	// MaxCases caps the generated cases per operation (boundary values,
	// optional fields omitted and present, and with Negative, values just
	// outside each constraint); 0 generates none.
	MaxCases int
	// Seed decides which generated cases run when an operation has more
	// than MaxCases.
	Seed int64
	// Retries is how many times a call that got a transport error, a 5xx
	// or a 429 is tried again; one that then passes is reported flaky.
	Retries int
	// RetryBackoff is the first wait between attempts, doubled each time
	// (a Retry-After up to 5 s wins); 200 ms when zero.
	RetryBackoff time.Duration
	// Workers runs the generated cases of that many operations at once;
	// scenario steps, the one call per operation and cleanup stay in
	// order, as ids flow between them.
	Workers int
}

// maxBodyRead caps how much of a response is read and judged.
const maxBodyRead = 8 << 20

// excerptBytes caps how much of a response body an excerpt shows.
const excerptBytes = 1024

// Run makes every call of the plan, judges every response and returns the
// result with its findings sorted. It returns ErrUnreachable (wrapped) when
// the very first requests cannot connect, and ctx's error when cancelled.
func Run(ctx context.Context, plan *Plan, opts RunOptions) (*Result, error) {
	if opts.Auth == nil {
		a, _ := NewAuth(AuthNone, Credentials{}, opts.Now)
		opts.Auth = a
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Severity == nil {
		opts.Severity = DefaultSeverity
	}
	if opts.UserAgent == "" {
		opts.UserAgent = "reconkit-contract/1 (compatible; contract test)"
	}
	client := opts.Client
	if client == nil {
		client = &http.Client{
			Timeout: opts.Timeout,
			// A redirect is a response to judge, not to follow: the spec
			// documents (or not) the 3xx itself.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	base, err := url.Parse(strings.TrimRight(opts.BaseURL, "/"))
	if err != nil || base.Scheme == "" || base.Host == "" {
		return nil, fmt.Errorf("base url %q: want an absolute http or https URL", opts.BaseURL)
	}
	if opts.RetryBackoff <= 0 {
		opts.RetryBackoff = 200 * time.Millisecond
	}
	if opts.Workers < 1 {
		opts.Workers = 1
	}
	r := &runner{
		plan:      plan,
		spec:      plan.Spec,
		opts:      opts,
		client:    client,
		base:      base,
		redact:    NewRedactor(opts.Auth.Secrets()...).WithHeaders(opts.Auth.SecretHeaders()...),
		env:       &env{vars: opts.Vars, runID: opts.RunID, steps: map[string]*exchange{}},
		ops:       map[string]*OperationResult{},
		negDone:   map[string]bool{},
		validator: schema_validation.NewSchemaValidatorWithLogger(slog.New(slog.DiscardHandler)),
		gen:       &generator{version: plan.Spec.SchemaVersion(), vars: opts.Vars, now: opts.Now()},
		templates: map[string]*template{},
		cov:       newCoverage(plan.Spec),
	}
	defer r.validator.Release()
	opts.Auth.Watch(r.redact)
	start, begin := opts.Now(), time.Now()
	r.res = &Result{
		Spec:        plan.Spec.Name,
		Title:       plan.Spec.Title,
		BaseURL:     base.Redacted(),
		RunID:       opts.RunID,
		Started:     start.UTC(),
		Auth:        opts.Auth.Kind,
		Skipped:     plan.Skipped,
		NotSelected: plan.NotSelected,
		Seed:        opts.Seed,
	}
	for _, op := range plan.Spec.Operations {
		if slices.Contains(plan.Skipped, op.ID) || slices.Contains(plan.NotSelected, op.ID) {
			continue
		}
		r.res.Operations = append(r.res.Operations, OperationResult{
			OperationID: op.ID, Method: op.Method, Path: op.Path, SpecLine: op.Line, ran: map[string]bool{},
		})
	}
	for i := range r.res.Operations {
		r.ops[r.res.Operations[i].OperationID] = &r.res.Operations[i]
	}
	for _, st := range plan.Steps {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := r.runStep(ctx, st); err != nil {
			return nil, err
		}
	}
	if opts.MaxCases > 0 {
		if err := r.generated(ctx); err != nil {
			return nil, err
		}
	}
	r.res.Coverage = r.cov.result(r.res.Operations)
	r.res.Seconds = time.Since(begin).Seconds()
	r.res.Findings = mergeFindings(r.res.Findings)
	r.res.sortReadings()
	r.res.finalize()
	return r.res, nil
}

type runner struct {
	// mu guards what concurrent workers share: the result, ops, history,
	// env.steps, templates, the coverage and the flags below.
	mu sync.Mutex
	// vmu serialises the schema validator.
	vmu         sync.Mutex
	gen         *generator
	templates   map[string]*template
	tmplOrder   []string
	cov         *coverage
	plan        *Plan
	spec        *Spec
	opts        RunOptions
	client      *http.Client
	base        *url.URL
	redact      *Redactor
	env         *env
	history     []*exchange // in call order, for links
	res         *Result
	ops         map[string]*OperationResult
	negDone     map[string]bool
	gotResponse bool
	validator   schema_validation.SchemaValidator
}

// request is one resolved call, before auth.
type request struct {
	method    string
	path      map[string]string
	query     url.Values
	header    http.Header
	body      []byte
	bodyValue any
	mediaType string
	url       string
}

// response is what came back.
type response struct {
	status   int
	header   http.Header
	raw      []byte
	duration time.Duration
}

func (r *runner) ran(op *Operation, checks ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if o := r.ops[op.ID]; o != nil {
		for _, c := range checks {
			o.ran[c] = true
		}
	}
}

// evidence is what a finding shows of its exchange: the request (with
// the credentials spoilt as neg says), the response when there was one,
// and the generated case that made it.
type evidence struct {
	req  *request
	resp *response
	ex   *exchange
	neg  string
	// what describes a generated case; empty for planned calls.
	what string
	// expect lists the statuses a planned call expects, for reproducers.
	expect []int
}

// newFinding builds one finding with the severity in force, its excerpt
// and its reproducer; it records nothing.
func (r *runner) newFinding(st *Step, ev *evidence, status int, check, in, ptr string, line int, format string, args ...any) Finding {
	f := Finding{
		OperationID: st.Op.ID,
		Method:      st.Op.Method,
		Path:        st.Op.Path,
		Step:        st.ID,
		Status:      status,
		Check:       check,
		In:          in,
		Pointer:     ptr,
		Message:     r.redact.String(fmt.Sprintf(format, args...)),
		Severity:    r.opts.Severity(check),
		SpecLine:    line,
	}
	if ev != nil && ev.req != nil {
		if ev.resp != nil {
			f.Excerpt = r.excerpt(ev.req, ev.resp)
		}
		f.Case = r.redact.String(ev.what)
		f.Reproducer = r.reproducer(st.Op, ev, &f)
	}
	return f
}

// record adds findings to the result and marks their checks as run.
func (r *runner) record(fs ...Finding) {
	for _, f := range fs {
		r.ran(r.spec.Operation(f.OperationID), f.Check)
	}
	r.mu.Lock()
	r.res.Findings = append(r.res.Findings, fs...)
	r.mu.Unlock()
}

// finding records one finding.
func (r *runner) finding(st *Step, ev *evidence, status int, check, in, ptr string, line int, format string, args ...any) {
	r.ran(st.Op, check)
	f := r.newFinding(st, ev, status, check, in, ptr, line, format, args...)
	r.mu.Lock()
	r.res.Findings = append(r.res.Findings, f)
	r.mu.Unlock()
}

func (r *runner) runStep(ctx context.Context, st *Step) error {
	req, err := r.build(st)
	if err != nil {
		var mv *missingValue
		if errors.As(err, &mv) {
			if !st.Setup {
				r.finding(st, nil, 0, CheckStepBlocked, "", "", st.Op.Line, "step %s not run: %v", st.ID, err)
			}
			return nil
		}
		return fmt.Errorf("step %s: %w", st.ID, err)
	}
	// Negative checks go before the operation's first real call: a server
	// that wrongly accepts one then shows it with a 2xx, instead of a 4xx
	// for a record the real call already created.
	if r.opts.Negative && !st.Setup && !r.negDone[st.Op.ID] {
		r.negDone[st.Op.ID] = true
		if err := r.negatives(ctx, st, req); err != nil {
			return err
		}
	}
	resp, err := r.send(ctx, st, req, "")
	if err != nil {
		if err := r.fatal(ctx, err); err != nil {
			return err
		}
		if !st.Setup {
			r.finding(st, &evidence{req: req, expect: st.Expect}, 0, CheckTransport, "", "", st.Op.Line, "%s %s: %v", req.method, shownURL(req.url), err)
		}
		return nil
	}
	ex := newExchange(st, req, resp)
	r.mu.Lock()
	r.env.steps[st.ID] = ex
	r.history = append(r.history, ex)
	r.mu.Unlock()
	if st.Setup {
		return nil // a call another operation needs, on an operation the filters left out
	}
	r.called(st.Op, req, resp)
	r.keepTemplate(st, req, resp)
	r.record(r.judge(st, req, resp, ex, modePlanned, "")...)
	return nil
}

// called counts a judged call of op and what it covered.
func (r *runner) called(op *Operation, req *request, resp *response) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if o := r.ops[op.ID]; o != nil {
		o.Calls++
		o.Seconds += resp.duration.Seconds()
	}
	r.cov.saw(op, req, resp)
}

// newExchange records a call for later steps and the checks.
func newExchange(st *Step, req *request, resp *response) *exchange {
	ex := &exchange{
		step: st.ID, op: st.Op, method: req.method, url: req.url, status: resp.status, header: resp.header,
		reqPath: req.path, reqQuery: req.query, reqHeader: req.header, reqBody: req.bodyValue,
	}
	if len(bytes.TrimSpace(resp.raw)) > 0 {
		if v, err := decodeJSON(resp.raw); err == nil {
			ex.body, ex.bodyJSON = v, true
		}
	}
	return ex
}

// fatal returns the error that ends the run for a failed request: the
// context's, or ErrUnreachable when nothing has answered yet and nothing
// is listening. Other failures are findings, and fatal returns nil.
func (r *runner) fatal(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if !r.answered() && unreachable(err) {
		return fmt.Errorf("%w: %s: %v", ErrUnreachable, r.base.Redacted(), r.redact.String(err.Error()))
	}
	return nil
}

// unreachable reports whether err means nothing is listening there (or
// the name does not resolve), rather than a failure of one request.
func unreachable(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var dns *net.DNSError
	return errors.As(err, &dns)
}

// decodeJSON decodes one JSON document with exact numbers.
func decodeJSON(raw []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing data after the JSON document")
	}
	return v, nil
}

// build resolves a step's parameters and body: scenario values first,
// then OpenAPI links from earlier responses, then the planned defaults.
func (r *runner) build(st *Step) (*request, error) {
	req := &request{method: st.Op.Method, path: map[string]string{}, query: url.Values{}, header: http.Header{}}
	explicit := map[string]any{}
	for _, name := range sortedKeys(st.Params) {
		v, err := r.env.expand(st.Params[name])
		if err != nil {
			return nil, err
		}
		explicit[name] = v
	}
	set := func(in, name string, v any) {
		s := scalarString(v)
		switch in {
		case "path":
			req.path[name] = s
		case "query":
			if list, ok := v.([]any); ok { // form style, exploded: the default
				for _, x := range list {
					req.query.Add(name, scalarString(x))
				}
				return
			}
			req.query.Set(name, s)
		case "header":
			req.header.Set(name, s)
		}
	}
	for _, prm := range st.Op.Params {
		if skipParam(prm) {
			continue
		}
		if v, ok := explicit[prm.Name]; ok {
			set(prm.In, prm.Name, v)
			delete(explicit, prm.Name)
			continue
		}
		if v, ok := r.fromLinks(st.Op, prm.In, prm.Name); ok {
			set(prm.In, prm.Name, v)
			continue
		}
		if prm.In == "path" && !st.hasVar(prm.In, prm.Name) {
			if v, ok := r.fromResponses(st.Op, prm.Name, true); ok {
				set(prm.In, prm.Name, v)
				continue
			}
		}
		for _, d := range st.Defaults {
			if d.In == prm.In && d.Name == prm.Name {
				v, err := r.env.expand(d.Value)
				if err != nil {
					return nil, err
				}
				set(d.In, d.Name, v)
			}
		}
	}
	if len(explicit) > 0 {
		return nil, fmt.Errorf("params %s are not parameters of %s", strings.Join(sortedKeys(explicit), ", "), st.Op.ID)
	}
	req.url = r.urlFor(st.Op, req.path, req.query)
	if st.HasBody {
		r.mu.Lock()
		v, err := r.env.expand(st.Body)
		r.mu.Unlock()
		if err != nil {
			return nil, err
		}
		if st.Phase == PhaseOperation {
			v = r.idsInBody(st, v)
		}
		req.bodyValue, req.mediaType = v, st.MediaType
		b, err := encodeBody(st.MediaType, v)
		if err != nil {
			return nil, fmt.Errorf("encode body: %w", err)
		}
		req.body = b
	}
	return req, nil
}

// urlFor renders the URL of a call of op.
func (r *runner) urlFor(op *Operation, path map[string]string, query url.Values) string {
	plain, escaped := op.Path, op.Path
	for name, v := range path {
		plain = strings.ReplaceAll(plain, "{"+name+"}", v)
		escaped = strings.ReplaceAll(escaped, "{"+name+"}", url.PathEscape(v))
	}
	u := *r.base
	u.Path = strings.TrimRight(r.base.Path, "/") + plain
	u.RawPath = strings.TrimRight(r.base.EscapedPath(), "/") + escaped
	u.RawQuery = query.Encode()
	return u.String()
}

// fromLinks finds a value for a parameter of op in the links of the most
// recent earlier response that links to op.
func (r *runner) fromLinks(op *Operation, in, name string) (any, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.history) - 1; i >= 0; i-- {
		ex := r.history[i]
		resp, _ := matchResponse(ex.op, ex.status)
		if resp == nil || resp.Links == nil {
			continue
		}
		for _, link := range resp.Links.FromOldest() {
			if link == nil || link.Parameters == nil {
				continue
			}
			target := r.spec.Operation(link.OperationId)
			if link.OperationRef != "" {
				target = r.spec.OperationByRef(link.OperationRef)
			}
			if target != op {
				continue
			}
			for key, expr := range link.Parameters.FromOldest() {
				if key != name && key != in+"."+name {
					continue
				}
				if v, err := runtimeExpr(expr, ex); err == nil && v != nil {
					return v, true
				}
			}
		}
	}
	return nil, false
}

// encodeBody renders a body in its media type: JSON compactly (without
// HTML escaping, so a signed body is the body sent), forms as
// deepObject-style key=value pairs.
func encodeBody(mediaType string, v any) ([]byte, error) {
	if strings.HasPrefix(mediaType, "application/x-www-form-urlencoded") {
		vals := url.Values{}
		flattenForm(vals, "", v)
		return []byte(vals.Encode()), nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

func flattenForm(vals url.Values, prefix string, v any) {
	switch t := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			key := k
			if prefix != "" {
				key = prefix + "[" + k + "]"
			}
			flattenForm(vals, key, t[k])
		}
	case []any:
		for i, x := range t {
			flattenForm(vals, fmt.Sprintf("%s[%d]", prefix, i), x)
		}
	default:
		vals.Add(prefix, scalarString(v))
	}
}

// send makes one call, with credentials spoilt as neg says, trying it
// again after a transport error, a 5xx or a 429 as often as Retries
// allows. A call that passes on a retry is listed as flaky.
func (r *runner) send(ctx context.Context, st *Step, req *request, neg string) (*response, error) {
	var first string
	for attempt := 0; ; attempt++ {
		resp, err := r.sendOnce(ctx, st.Op, req, neg)
		retryable := err != nil || resp.status >= 500 || resp.status == http.StatusTooManyRequests
		if err != nil && (ctx.Err() != nil || (!r.answered() && unreachable(err))) {
			return nil, err
		}
		if !retryable || attempt >= r.opts.Retries {
			if attempt > 0 && !retryable {
				r.mu.Lock()
				r.res.Flaky = append(r.res.Flaky, Flaky{OperationID: st.Op.ID, Step: st.ID, Attempts: attempt + 1, First: first})
				r.mu.Unlock()
			}
			return resp, err
		}
		if attempt == 0 {
			if err != nil {
				first = r.redact.String(err.Error())
			} else {
				first = strconv.Itoa(resp.status)
			}
		}
		wait := r.opts.RetryBackoff << attempt
		if resp != nil {
			if s, err := strconv.Atoi(resp.header.Get("Retry-After")); err == nil && s >= 0 {
				wait = min(time.Duration(s)*time.Second, 5*time.Second)
			}
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait):
		}
	}
}

// answered reports whether any request has had an answer yet.
func (r *runner) answered() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.gotResponse
}

// sendOnce makes one attempt of a call.
func (r *runner) sendOnce(ctx context.Context, op *Operation, req *request, neg string) (*response, error) {
	var body io.Reader
	if req.body != nil {
		body = bytes.NewReader(req.body)
	}
	hr, err := http.NewRequestWithContext(ctx, req.method, req.url, body)
	if err != nil {
		return nil, fmt.Errorf("new request: %w", err)
	}
	hr.Header.Set("Accept", acceptFor(op))
	hr.Header.Set("User-Agent", r.opts.UserAgent)
	for k, vs := range req.header {
		hr.Header[k] = vs
	}
	if req.body != nil {
		hr.Header.Set("Content-Type", req.mediaType)
	}
	if err := r.opts.Auth.Apply(hr, req.body, op, r.spec, neg); err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.res.Calls++
	r.mu.Unlock()
	start := time.Now()
	resp, err := r.client.Do(hr)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.gotResponse = true
	r.mu.Unlock()
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxBodyRead))
	dur := time.Since(start)
	if err != nil {
		return nil, fmt.Errorf("read response: %w", err)
	}
	return &response{status: resp.StatusCode, header: resp.Header, raw: raw, duration: dur}, nil
}

// excerpt shows the request line and the start of the response, secrets
// and credential headers redacted.
func (r *runner) excerpt(req *request, resp *response) string {
	var b strings.Builder
	b.WriteString(req.method + " " + shownURL(req.url) + "\n")
	if len(req.body) > 0 {
		b.WriteString(cut(string(req.body), excerptBytes) + "\n")
	}
	if resp != nil {
		fmt.Fprintf(&b, "\nHTTP %d\n", resp.status)
		b.WriteString(r.redact.Header(resp.header))
		b.WriteString("\n" + cut(string(resp.raw), excerptBytes))
	}
	return r.redact.String(b.String())
}

func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + fmt.Sprintf("... (%d bytes in all)", len(s))
}

// mergeFindings keeps one finding per operation, check and place: an
// operation called several times (activate, then withdraw) shows the
// same drift each time, and one entry with a count says it better.
func mergeFindings(in []Finding) []Finding {
	type key struct{ op, check, where, ptr string }
	idx := map[key]int{}
	var out []Finding
	for _, f := range in {
		if f.Occurrences == 0 {
			f.Occurrences = 1
		}
		k := key{f.OperationID, f.Check, f.In, f.Pointer}
		if i, ok := idx[k]; ok {
			out[i].Occurrences += f.Occurrences
			continue
		}
		idx[k] = len(out)
		out = append(out, f)
	}
	return out
}

// acceptFor lists the media types the operation documents for success,
// so a server that negotiates content answers in one the spec describes.
func acceptFor(op *Operation) string {
	var types []string
	if rs := op.Op.Responses; rs != nil && rs.Codes != nil {
		for code, resp := range rs.Codes.FromOldest() {
			if !strings.HasPrefix(code, "2") || resp == nil || resp.Content == nil {
				continue
			}
			for mt := range resp.Content.KeysFromOldest() {
				if !slices.Contains(types, mt) {
					types = append(types, mt)
				}
			}
		}
	}
	if len(types) == 0 {
		return "application/json, */*;q=0.5"
	}
	return strings.Join(types, ", ")
}

// shownURL hides any password in a URL before a report shows it.
func shownURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return u.Redacted()
}
