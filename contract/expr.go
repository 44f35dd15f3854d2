package contract

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// exchange is what one step sent and got, kept so later steps can take
// values from it.
type exchange struct {
	step      string
	op        *Operation
	method    string
	url       string
	status    int
	header    http.Header
	body      any // decoded JSON, nil when the body was not JSON
	bodyJSON  bool
	reqPath   map[string]string
	reqQuery  url.Values
	reqHeader http.Header
	reqBody   any
}

// env resolves ${...} expressions in scenario values.
type env struct {
	vars  map[string]any
	runID string
	steps map[string]*exchange
}

var exprRE = regexp.MustCompile(`\$\{([^}]*)\}`)

// missingValue says an expression had nothing to resolve to, which
// blocks the step that needs it.
type missingValue struct {
	expr   string
	reason string
}

func (e *missingValue) Error() string { return fmt.Sprintf("${%s}: %s", e.expr, e.reason) }

// expand resolves every expression inside x (a JSON value), returning a
// new value. A string that is one expression alone takes the value's
// own type, so ${steps.sale.body#/body/amount} stays a number.
func (e *env) expand(x any) (any, error) {
	switch t := x.(type) {
	case string:
		if m := exprRE.FindStringSubmatchIndex(t); m != nil && m[0] == 0 && m[1] == len(t) {
			return e.eval(t[m[2]:m[3]])
		}
		var firstErr error
		out := exprRE.ReplaceAllStringFunc(t, func(s string) string {
			v, err := e.eval(s[2 : len(s)-1])
			if err != nil {
				if firstErr == nil {
					firstErr = err
				}
				return ""
			}
			return scalarString(v)
		})
		return out, firstErr
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, v := range t {
			r, err := e.expand(v)
			if err != nil {
				return nil, err
			}
			m[k] = r
		}
		return m, nil
	case []any:
		a := make([]any, len(t))
		for i, v := range t {
			r, err := e.expand(v)
			if err != nil {
				return nil, err
			}
			a[i] = r
		}
		return a, nil
	}
	return x, nil
}

func (e *env) eval(expr string) (any, error) {
	parts := strings.Split(expr, "|")
	base := strings.TrimSpace(parts[0])
	var v any
	switch {
	case base == "run_id":
		v = e.runID
	case strings.HasPrefix(base, "vars."):
		name := strings.TrimPrefix(base, "vars.")
		val, ok := e.vars[name]
		if !ok {
			return nil, &missingValue{expr, "no var " + strconv.Quote(name) + " in the config"}
		}
		v = normalizeJSON(val)
	case strings.HasPrefix(base, "steps."):
		rest := strings.TrimPrefix(base, "steps.")
		id, what, _ := strings.Cut(rest, ".")
		ex, ok := e.steps[id]
		if !ok || ex == nil {
			return nil, &missingValue{expr, "step " + id + " has not run"}
		}
		val, err := fromExchange(ex, what)
		if err != nil {
			return nil, &missingValue{expr, err.Error()}
		}
		v = val
	default:
		return nil, &missingValue{expr, "unknown expression"}
	}
	for _, f := range parts[1:] {
		name, arg, _ := strings.Cut(strings.TrimSpace(f), ":")
		switch name {
		case "query":
			u, err := url.Parse(scalarString(v))
			if err != nil || u.Query().Get(arg) == "" {
				return nil, &missingValue{expr, fmt.Sprintf("%s has no query parameter %s", excerptValue(v), arg)}
			}
			v = u.Query().Get(arg)
		default:
			return nil, &missingValue{expr, "unknown filter " + strconv.Quote(name)}
		}
	}
	return v, nil
}

// fromExchange reads body#/ptr, header.NAME or status from a step.
func fromExchange(ex *exchange, what string) (any, error) {
	switch {
	case what == "status":
		return json.Number(strconv.Itoa(ex.status)), nil
	case what == "body" || strings.HasPrefix(what, "body#"):
		if !ex.bodyJSON {
			return nil, fmt.Errorf("step %s answered %d without a JSON body", ex.step, ex.status)
		}
		ptr := strings.TrimPrefix(strings.TrimPrefix(what, "body"), "#")
		v, ok := lookupPointer(ex.body, ptr)
		if !ok || v == nil {
			return nil, fmt.Errorf("step %s answered %d without %s", ex.step, ex.status, ptr)
		}
		return v, nil
	case strings.HasPrefix(what, "header."):
		name := strings.TrimPrefix(what, "header.")
		if v := ex.header.Get(name); v != "" {
			return v, nil
		}
		return nil, fmt.Errorf("step %s answered %d without header %s", ex.step, ex.status, name)
	}
	return nil, fmt.Errorf("unknown step value %q", what)
}

// runtimeExpr evaluates an OpenAPI runtime expression ($response.body#/x,
// $request.path.id, ...) against an earlier exchange, as links use them.
// A value without $ is a constant; {$...} inside a string is replaced.
func runtimeExpr(expr string, ex *exchange) (any, error) {
	if !strings.HasPrefix(expr, "$") {
		if !strings.Contains(expr, "{$") {
			return expr, nil
		}
		var firstErr error
		out := regexp.MustCompile(`\{(\$[^}]*)\}`).ReplaceAllStringFunc(expr, func(s string) string {
			v, err := runtimeExpr(s[1:len(s)-1], ex)
			if err != nil && firstErr == nil {
				firstErr = err
			}
			return scalarString(v)
		})
		return out, firstErr
	}
	switch {
	case expr == "$statusCode":
		return json.Number(strconv.Itoa(ex.status)), nil
	case expr == "$url":
		return ex.url, nil
	case expr == "$method":
		return ex.method, nil
	case strings.HasPrefix(expr, "$response."):
		return fromExchange(ex, strings.TrimPrefix(expr, "$response."))
	case strings.HasPrefix(expr, "$request.path."):
		if v, ok := ex.reqPath[strings.TrimPrefix(expr, "$request.path.")]; ok {
			return v, nil
		}
	case strings.HasPrefix(expr, "$request.query."):
		if v := ex.reqQuery.Get(strings.TrimPrefix(expr, "$request.query.")); v != "" {
			return v, nil
		}
	case strings.HasPrefix(expr, "$request.header."):
		if v := ex.reqHeader.Get(strings.TrimPrefix(expr, "$request.header.")); v != "" {
			return v, nil
		}
	case strings.HasPrefix(expr, "$request.body"):
		ptr := strings.TrimPrefix(strings.TrimPrefix(expr, "$request.body"), "#")
		if v, ok := lookupPointer(ex.reqBody, ptr); ok && v != nil {
			return v, nil
		}
	}
	return nil, fmt.Errorf("%s has no value in step %s", expr, ex.step)
}

// scalarString renders a value for a path, query or header.
func scalarString(v any) string {
	switch t := v.(type) {
	case nil:
		return ""
	case string:
		return t
	case json.Number:
		return t.String()
	case bool:
		return strconv.FormatBool(t)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
