package sandbox_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	verrors "github.com/pb33f/libopenapi-validator/errors"
	"github.com/pb33f/libopenapi-validator/router"
	"github.com/pb33f/libopenapi-validator/schema_validation"
	"github.com/pb33f/libopenapi/datamodel/high/base"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"
)

// specOperation is one operation under a document's paths.
type specOperation struct {
	Method string // upper case, e.g. GET
	Path   string // the path template as written, e.g. /payment/{oxpay_txn_id}
	ID     string // the operationId
}

// String is "METHOD /path", the way the tests and reports name an
// operation.
func (o specOperation) String() string { return o.Method + " " + o.Path }

// specValidator checks HTTP exchanges and webhook payloads against one
// OpenAPI document with libopenapi-validator. Exchanges are checked from
// bytes already read, so a caller can record traffic first and judge it
// afterwards.
type specValidator struct {
	model    *v3.Document
	http     validator.Validator
	router   router.Router
	schemas  schema_validation.SchemaValidator
	basePath string
}

// newSpecValidator builds a validator for spec. basePath is the path
// prefix under which the server being checked mounts the API ("" for
// none, e.g. "/oxpay" for the sandbox's OxPay): the document's paths are
// relative to its servers, which have no path, so the prefix is cut from
// every request before it is matched. Formats (date-time, uri) are
// asserted.
func newSpecValidator(spec []byte, basePath string) (*specValidator, error) {
	doc, err := libopenapi.NewDocument(spec)
	if err != nil {
		return nil, fmt.Errorf("parse openapi document: %w", err)
	}
	m, err := doc.BuildV3Model()
	if err != nil {
		return nil, fmt.Errorf("build openapi v3 model: %w", err)
	}
	if m == nil {
		return nil, errors.New("build openapi v3 model: not an OpenAPI 3 document")
	}
	basePath = strings.TrimRight(basePath, "/")
	if basePath != "" && !strings.HasPrefix(basePath, "/") {
		return nil, fmt.Errorf("base path %q: want it to start with /", basePath)
	}
	return &specValidator{
		model:    &m.Model,
		http:     validator.NewValidatorFromV3Model(&m.Model, config.WithFormatAssertions()),
		router:   router.NewRouter(&m.Model, router.WithPathOnlyMatching()),
		schemas:  schema_validation.NewSchemaValidator(config.WithFormatAssertions()),
		basePath: basePath,
	}, nil
}

// Operations lists every operation under the document's paths, in
// document order. Webhooks are not listed: no request reaches them.
func (v *specValidator) Operations() []specOperation {
	var ops []specOperation
	if v.model.Paths == nil {
		return nil
	}
	for path, item := range v.model.Paths.PathItems.FromOldest() {
		for method, op := range item.GetOperations().FromOldest() {
			ops = append(ops, specOperation{Method: strings.ToUpper(method), Path: path, ID: op.OperationId})
		}
	}
	return ops
}

// Webhooks lists the names of the document's webhooks, in document order.
func (v *specValidator) Webhooks() []string {
	var names []string
	for name := range v.model.Webhooks.KeysFromOldest() {
		names = append(names, name)
	}
	return names
}

// relative returns a copy of req addressed to the document's own path:
// the base path cut off. ok is false when the path is outside it.
func (v *specValidator) relative(req *http.Request, body []byte) (*http.Request, bool) {
	r := req.Clone(context.Background())
	u := *req.URL
	if v.basePath != "" {
		rest, found := strings.CutPrefix(u.Path, v.basePath)
		if !found || (rest != "" && !strings.HasPrefix(rest, "/")) {
			return nil, false
		}
		u.Path = rest
		if u.RawPath != "" {
			u.RawPath = strings.TrimPrefix(u.RawPath, v.basePath)
		}
	}
	r.URL = &u
	r.RequestURI = ""
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	return r, true
}

// Match returns the documented operation req addresses.
func (v *specValidator) Match(req *http.Request) (specOperation, bool) {
	r, ok := v.relative(req, nil)
	if !ok {
		return specOperation{}, false
	}
	route, err := v.router.FindRoute(r)
	if err != nil || route == nil || route.Operation == nil {
		return specOperation{}, false
	}
	return specOperation{Method: strings.ToUpper(r.Method), Path: route.Path, ID: route.Operation.OperationId}, true
}

// Check validates one exchange: the request's path, query, headers,
// security and body (reqBody), then, when resp is not nil, the response's
// status, headers and body (respBody). Bodies are taken from the
// arguments, not from req.Body or resp.Body, which are left untouched.
// It returns one line per problem, prefixed "request:" or "response:",
// and nil when the exchange is what the document describes.
func (v *specValidator) Check(req *http.Request, reqBody []byte, resp *http.Response, respBody []byte) []string {
	r, ok := v.relative(req, reqBody)
	if !ok {
		return []string{fmt.Sprintf("request: path %s is not under base path %s", req.URL.Path, v.basePath)}
	}
	var out []string
	if valid, errs := v.http.ValidateHttpRequest(r); !valid {
		out = append(out, describe("request", errs)...)
	}
	if resp == nil {
		return out
	}
	// A fresh copy: request validation has read the first one's body.
	r, _ = v.relative(req, reqBody)
	rc := *resp
	rc.Request = r
	rc.Body = io.NopCloser(bytes.NewReader(respBody))
	rc.ContentLength = int64(len(respBody))
	if valid, errs := v.http.ValidateHttpResponse(r, &rc); !valid {
		out = append(out, describe("response", errs)...)
	}
	return out
}

// CheckWebhook validates one webhook delivery the document describes
// under webhooks/name: the header parameters of its POST operation
// against header, and payload against its JSON request body schema.
// libopenapi-validator has no webhook entry point, so the parameters and
// the schema are taken from the model and checked one by one.
func (v *specValidator) CheckWebhook(name string, header http.Header, payload []byte) []string {
	item := v.model.Webhooks.GetOrZero(name)
	if item == nil || item.Post == nil {
		return []string{fmt.Sprintf("webhook %s: no POST operation in the document", name)}
	}
	op := item.Post
	var out []string
	params := slices.Concat(op.Parameters, item.Parameters)
	seen := map[string]bool{}
	for _, p := range params {
		if p == nil || p.In != "header" || seen[strings.ToLower(p.Name)] {
			continue // the operation's own parameter wins over the path item's
		}
		seen[strings.ToLower(p.Name)] = true
		val, present := header[http.CanonicalHeaderKey(p.Name)]
		if !present || len(val) == 0 {
			if p.Required != nil && *p.Required {
				out = append(out, fmt.Sprintf("header %s: required, missing", p.Name))
			}
			continue
		}
		if p.Schema == nil || p.Schema.Schema() == nil {
			continue
		}
		asJSON, err := json.Marshal(val[0]) // a header is a string; the schema judges it as one
		if err != nil {
			out = append(out, fmt.Sprintf("header %s: %v", p.Name, err))
			continue
		}
		if valid, errs := v.schemas.ValidateSchemaBytes(p.Schema.Schema(), asJSON); !valid {
			out = append(out, describe("header "+p.Name, errs)...)
		}
	}
	schema, err := webhookSchema(op)
	if err != nil {
		return append(out, fmt.Sprintf("webhook %s: %v", name, err))
	}
	if valid, errs := v.schemas.ValidateSchemaBytes(schema, payload); !valid {
		out = append(out, describe("body", errs)...)
	}
	return out
}

func webhookSchema(op *v3.Operation) (*base.Schema, error) {
	if op.RequestBody == nil {
		return nil, errors.New("no request body")
	}
	mt := op.RequestBody.Content.GetOrZero("application/json")
	if mt == nil || mt.Schema == nil {
		return nil, errors.New("no application/json request body schema")
	}
	s := mt.Schema.Schema()
	if s == nil {
		return nil, fmt.Errorf("request body schema did not build: %w", mt.Schema.GetBuildError())
	}
	return s, nil
}

// describe flattens the validator's findings, each schema violation on
// its own line with the field it concerns.
func describe(prefix string, errs []*verrors.ValidationError) []string {
	var out []string
	for _, e := range errs {
		if e == nil {
			continue
		}
		if len(e.SchemaValidationErrors) == 0 {
			out = append(out, fmt.Sprintf("%s: %s: %s", prefix, e.Message, e.Reason))
			continue
		}
		for _, f := range e.SchemaValidationErrors {
			where := f.FieldPath
			if where == "" {
				where = f.KeywordLocation
			}
			out = append(out, fmt.Sprintf("%s: %s: at %s: %s", prefix, e.Message, where, f.Reason))
		}
	}
	if len(out) == 0 {
		out = append(out, prefix+": invalid, with no reason given")
	}
	return out
}
