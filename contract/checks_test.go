package contract

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// widgetSpec is a small bearer-auth API with response headers, a range
// status, no examples (so bodies are generated) and an OpenAPI 3.0
// nullable field.
const widgetSpec = `openapi: 3.0.3
info: {title: Widgets, version: '1'}
security: [{bearer: []}]
components:
  securitySchemes:
    bearer: {type: http, scheme: bearer}
  schemas:
    Widget:
      type: object
      required: [id, name, size]
      properties:
        id: {type: string, format: uuid}
        name: {type: string, minLength: 3}
        size: {type: integer, minimum: 1}
        note: {type: string, nullable: true}
paths:
  /widgets:
    post:
      operationId: createWidget
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: '#/components/schemas/Widget'}
      responses:
        '2XX':
          description: created
          headers:
            X-Rate-Limit: {required: true, schema: {type: integer}}
            X-Trace: {schema: {type: string, format: uuid}}
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Widget'}
        '400': {description: bad}
  /widgets/{id}:
    get:
      operationId: getWidget
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Widget'}
`

// widgetServer answers as configured and records the bodies it got.
type widgetServer struct {
	mu     sync.Mutex
	bodies []string
	create func(w http.ResponseWriter, body map[string]any)
	get    func(w http.ResponseWriter)
}

func (s *widgetServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer tok" {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	b, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.bodies = append(s.bodies, r.Method+" "+r.URL.EscapedPath()+" "+string(b))
	s.mu.Unlock()
	var body map[string]any
	if r.Method == http.MethodPost {
		if err := json.Unmarshal(b, &body); err != nil || body["name"] == nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		if _, ok := body["id"].(string); !ok {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		if _, ok := body["size"].(float64); !ok || body["size"].(float64) < 1 {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		s.create(w, body)
		return
	}
	s.get(w)
}

func runWidgets(t *testing.T, srv *widgetServer, opts RunOptions) *Result {
	t.Helper()
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	spec := mustLoad(t, "widgets.yaml", []byte(widgetSpec))
	if got := DetectAuth(spec); got != AuthBearer {
		t.Fatalf("DetectAuth: got %s, want bearer", got)
	}
	plan, err := NewPlan(spec, nil, PlanOptions{Now: func() time.Time { return time.Unix(0, 0) }})
	if err != nil {
		t.Fatal(err)
	}
	opts.BaseURL = ts.URL
	opts.Auth, _ = NewAuth(AuthBearer, Credentials{Token: "tok"}, nil)
	res, err := Run(context.Background(), plan, opts)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func keys(res *Result) []string {
	var out []string
	for _, f := range res.Findings {
		out = append(out, fmt.Sprintf("%s %s %s %s", f.OperationID, f.Check, f.In, f.Pointer))
	}
	return out
}

const okWidget = `{"id":"00000000-0000-4000-8000-000000000000","name":"abc","size":1,"note":null}`

func TestResponseChecks(t *testing.T) {
	tests := []struct {
		name   string
		create func(w http.ResponseWriter, body map[string]any)
		get    func(w http.ResponseWriter)
		want   []string
	}{
		{
			name: "conforming, with a 2XX range and 3.0 nullable",
			create: func(w http.ResponseWriter, _ map[string]any) {
				w.Header().Set("X-Rate-Limit", "10")
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(201)
				io.WriteString(w, okWidget)
			},
			get: func(w http.ResponseWriter) {
				w.Header().Set("Content-Type", "application/json; charset=utf-8")
				io.WriteString(w, okWidget)
			},
		},
		{
			name: "headers, content type, status and server errors",
			create: func(w http.ResponseWriter, _ map[string]any) {
				w.Header().Set("X-Trace", "not-a-uuid")
				w.Header().Set("Content-Type", "text/plain")
				w.WriteHeader(201)
				io.WriteString(w, okWidget)
			},
			get: func(w http.ResponseWriter) {
				w.WriteHeader(503)
			},
			want: []string{
				"createWidget content_type_conformance  ",
				"createWidget format_violation header /x-trace",
				"createWidget missing_required_field header /x-rate-limit",
				"getWidget expected_status  ",
				"getWidget not_a_server_error  ",
				"getWidget status_code_documented  ",
			},
		},
		{
			name: "optional header of the wrong type, body not JSON",
			create: func(w http.ResponseWriter, _ map[string]any) {
				w.Header().Set("X-Rate-Limit", "many")
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(200)
				io.WriteString(w, "<html>")
			},
			get: func(w http.ResponseWriter) {
				w.Header().Set("Content-Type", "application/json")
				io.WriteString(w, `{"id":"00000000-0000-4000-8000-000000000000","name":"abc","size":1,"note":null,"extra":1}`)
			},
			want: []string{
				"createWidget response_schema_conformance body ",
				"createWidget type_changed header /x-rate-limit",
				"getWidget undocumented_field body /extra",
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := &widgetServer{create: tc.create, get: tc.get}
			res := runWidgets(t, srv, RunOptions{Negative: true})
			if diff := cmp.Diff(tc.want, keys(res), cmpEmpty); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}

var cmpEmpty = cmp.Transformer("empty", func(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
})

func TestGeneratedBodyAndBearerNegatives(t *testing.T) {
	srv := &widgetServer{
		create: func(w http.ResponseWriter, _ map[string]any) {
			w.Header().Set("X-Rate-Limit", "10")
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, okWidget)
		},
		get: func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, okWidget)
		},
	}
	res := runWidgets(t, srv, RunOptions{Negative: true, ResponseTime: time.Nanosecond})
	// Every response is over a 1ns budget: a warning, so the gate holds.
	if !res.Passed() {
		t.Errorf("response_time warnings failed the gate: %v", keys(res))
	}
	for _, f := range res.Findings {
		if f.Check != CheckResponseTime || f.Severity != Warning {
			t.Errorf("unexpected finding %s", f)
		}
	}
	var checks []string
	for _, c := range res.Operations[0].Checks {
		checks = append(checks, c.Name)
	}
	for _, want := range []string{CheckNegUnsigned, CheckNegWrongClientID, CheckNegMissingRequiredField, CheckNegWrongType} {
		if !strings.Contains(strings.Join(checks, " "), want) {
			t.Errorf("createWidget did not run %s (ran %v)", want, checks)
		}
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	last := srv.bodies[len(srv.bodies)-2] // the real create, before getWidget
	want := `POST /widgets {"id":"00000000-0000-4000-8000-000000000000","name":"example","size":1}`
	if last != want {
		t.Errorf("generated request: got %s, want %s", last, want)
	}
}

func TestPathParametersAreEscaped(t *testing.T) {
	srv := &widgetServer{
		create: func(w http.ResponseWriter, _ map[string]any) { w.WriteHeader(400) },
		get: func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, okWidget)
		},
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	spec := mustLoad(t, "widgets.yaml", []byte(widgetSpec))
	f, err := ParseScenarios([]byte("scenarios:\n  - name: w\n    spec: widgets.yaml\n    steps:\n      - operation: getWidget\n        params: {id: 'a b/c'}\n"))
	if err != nil {
		t.Fatal(err)
	}
	plan, err := NewPlan(spec, f.For(spec), PlanOptions{Skip: []string{"createWidget"}})
	if err != nil {
		t.Fatal(err)
	}
	auth, _ := NewAuth(AuthBearer, Credentials{Token: "tok"}, nil)
	if _, err := Run(context.Background(), plan, RunOptions{BaseURL: ts.URL + "/", Auth: auth}); err != nil {
		t.Fatal(err)
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if want := []string{"GET /widgets/a%20b%2Fc "}; !cmp.Equal(srv.bodies, want) {
		t.Errorf("server saw %q, want %q", srv.bodies, want)
	}
}
