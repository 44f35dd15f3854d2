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
	"strings"
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
	r := &runner{
		plan:      plan,
		spec:      plan.Spec,
		opts:      opts,
		client:    client,
		base:      base,
		redact:    NewRedactor(opts.Auth.Secrets()...),
		env:       &env{vars: opts.Vars, runID: opts.RunID, steps: map[string]*exchange{}},
		ops:       map[string]*OperationResult{},
		negDone:   map[string]bool{},
		validator: schema_validation.NewSchemaValidatorWithLogger(slog.New(slog.DiscardHandler)),
	}
	defer r.validator.Release()
	start, begin := opts.Now(), time.Now()
	r.res = &Result{
		Spec:    plan.Spec.Name,
		Title:   plan.Spec.Title,
		BaseURL: base.Redacted(),
		RunID:   opts.RunID,
		Started: start.UTC(),
		Auth:    opts.Auth.Kind,
		Skipped: plan.Skipped,
	}
	for _, op := range plan.Spec.Operations {
		if slices.Contains(plan.Skipped, op.ID) {
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
	r.res.Seconds = time.Since(begin).Seconds()
	r.res.Findings = mergeFindings(r.res.Findings)
	r.res.sortReadings()
	r.res.finalize()
	return r.res, nil
}

type runner struct {
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
	if o := r.ops[op.ID]; o != nil {
		for _, c := range checks {
			o.ran[c] = true
		}
	}
}

// finding records one finding with the severity in force.
func (r *runner) finding(st *Step, status int, check, in, ptr string, line int, excerpt, format string, args ...any) {
	r.ran(st.Op, check)
	r.res.Findings = append(r.res.Findings, Finding{
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
		Excerpt:     excerpt,
	})
}

func (r *runner) runStep(ctx context.Context, st *Step) error {
	req, err := r.build(st)
	if err != nil {
		var mv *missingValue
		if errors.As(err, &mv) {
			r.finding(st, 0, CheckStepBlocked, "", "", st.Op.Line, "", "step %s not run: %v", st.ID, err)
			return nil
		}
		return fmt.Errorf("step %s: %w", st.ID, err)
	}
	// Negative checks go before the operation's first real call: a server
	// that wrongly accepts one then shows it with a 2xx, instead of a 4xx
	// for a record the real call already created.
	if r.opts.Negative && !r.negDone[st.Op.ID] {
		r.negDone[st.Op.ID] = true
		if err := r.negatives(ctx, st, req); err != nil {
			return err
		}
	}
	resp, err := r.send(ctx, st.Op, req, "")
	if err != nil {
		if err := r.fatal(ctx, err); err != nil {
			return err
		}
		r.finding(st, 0, CheckTransport, "", "", st.Op.Line, "", "%s %s: %v", req.method, shownURL(req.url), err)
		return nil
	}
	if o := r.ops[st.Op.ID]; o != nil {
		o.Calls++
		o.Seconds += resp.duration.Seconds()
	}
	ex := newExchange(st, req, resp)
	r.env.steps[st.ID] = ex
	r.history = append(r.history, ex)
	r.judge(st, req, resp, ex, true)
	return nil
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
	if !r.gotResponse && unreachable(err) {
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
	plain, escaped := st.Op.Path, st.Op.Path
	for name, v := range req.path {
		plain = strings.ReplaceAll(plain, "{"+name+"}", v)
		escaped = strings.ReplaceAll(escaped, "{"+name+"}", url.PathEscape(v))
	}
	u := *r.base
	u.Path = strings.TrimRight(r.base.Path, "/") + plain
	u.RawPath = strings.TrimRight(r.base.EscapedPath(), "/") + escaped
	u.RawQuery = req.query.Encode()
	req.url = u.String()
	if st.HasBody {
		v, err := r.env.expand(st.Body)
		if err != nil {
			return nil, err
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

// fromLinks finds a value for a parameter of op in the links of the most
// recent earlier response that links to op.
func (r *runner) fromLinks(op *Operation, in, name string) (any, bool) {
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

// send makes one call, with credentials spoilt as neg says.
func (r *runner) send(ctx context.Context, op *Operation, req *request, neg string) (*response, error) {
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
	start := time.Now()
	resp, err := r.client.Do(hr)
	if err != nil {
		return nil, err
	}
	r.gotResponse = true
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
