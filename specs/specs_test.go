package specs_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	"github.com/pb33f/libopenapi-validator/schema_validation"
	"github.com/pb33f/libopenapi/datamodel/high/base"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"
	"github.com/pb33f/libopenapi/orderedmap"

	"github.com/reconkit/reconkit/specs"
	"github.com/reconkit/reconkit/wire"
)

// spec is one embedded document under test.
type spec struct {
	name string
	file string
	raw  []byte
}

var (
	xepengSpec = spec{name: "xepeng", file: specs.XepengFile, raw: specs.Xepeng()}
	oxpaySpec  = spec{name: "oxpay", file: specs.OxPayFile, raw: specs.OxPay()}
)

func allSpecs() []spec { return []spec{xepengSpec, oxpaySpec} }

func build(t *testing.T, raw []byte) (libopenapi.Document, *v3.Document) {
	t.Helper()
	doc, err := libopenapi.NewDocument(raw)
	if err != nil {
		t.Fatalf("new document: %v", err)
	}
	m, err := doc.BuildV3Model()
	if err != nil {
		t.Fatalf("build v3 model: %v", err)
	}
	return doc, &m.Model
}

func model(t *testing.T, raw []byte) *v3.Document {
	t.Helper()
	_, m := build(t, raw)
	return m
}

// newSchemaValidator asserts formats too, so a date-time or uri example
// that is not one fails.
func newSchemaValidator() schema_validation.SchemaValidator {
	return schema_validation.NewSchemaValidator(config.WithFormatAssertions())
}

// validate checks a JSON payload against a schema and flattens the
// validator's findings into one error.
func validate(sv schema_validation.SchemaValidator, s *base.Schema, payload []byte) error {
	if s == nil {
		return errors.New("no schema to validate against")
	}
	ok, verrs := sv.ValidateSchemaBytes(s, payload)
	if ok {
		return nil
	}
	var msgs []string
	for _, e := range verrs {
		msgs = append(msgs, e.Message+": "+e.Reason)
		for _, f := range e.SchemaValidationErrors {
			msgs = append(msgs, fmt.Sprintf("at %q: %s", f.FieldPath, f.Reason))
		}
	}
	if len(msgs) == 0 {
		msgs = append(msgs, "invalid, with no reason given")
	}
	return errors.New(strings.Join(msgs, "; "))
}

func TestEmbedded(t *testing.T) {
	names, err := fs.Glob(specs.FS(), "*.yaml")
	if err != nil {
		t.Fatalf("glob embedded specs: %v", err)
	}
	for _, s := range allSpecs() {
		t.Run(s.name, func(t *testing.T) {
			if !slices.Contains(names, s.file) {
				t.Errorf("FS lists %v, want it to hold %s", names, s.file)
			}
			onDisk, err := os.ReadFile(s.file)
			if err != nil {
				t.Fatalf("read %s: %v", s.file, err)
			}
			if string(s.raw) != string(onDisk) {
				t.Errorf("embedded %s differs from the file on disk", s.file)
			}
		})
	}
}

func TestDocumentsAreValid(t *testing.T) {
	for _, s := range allSpecs() {
		t.Run(s.name, func(t *testing.T) {
			doc, m := build(t, s.raw)
			if got, want := m.Version, "3.1.0"; got != want {
				t.Errorf("openapi version: got %q, want %q", got, want)
			}
			v, errs := validator.NewValidator(doc)
			if len(errs) > 0 {
				t.Fatalf("new validator: %v", errs)
			}
			ok, verrs := v.ValidateDocument()
			if !ok {
				for _, e := range verrs {
					t.Errorf("document: %s: %s", e.Message, e.Reason)
					for _, f := range e.SchemaValidationErrors {
						t.Errorf("  at %s: %s", f.FieldPath, f.Reason)
					}
				}
			}
		})
	}
}

// operation is one operation of a document, a path's or a webhook's.
type operation struct {
	method  string
	path    string // the path, or "webhook NAME"
	webhook bool
	item    *v3.PathItem
	op      *v3.Operation
}

func (o operation) String() string { return o.method + " " + o.path }

func operations(m *v3.Document) []operation {
	var ops []operation
	if m.Paths != nil {
		for path, item := range m.Paths.PathItems.FromOldest() {
			for method, op := range item.GetOperations().FromOldest() {
				ops = append(ops, operation{method: strings.ToUpper(method), path: path, item: item, op: op})
			}
		}
	}
	for name, item := range m.Webhooks.FromOldest() {
		for method, op := range item.GetOperations().FromOldest() {
			ops = append(ops, operation{method: strings.ToUpper(method), path: "webhook " + name, webhook: true, item: item, op: op})
		}
	}
	return ops
}

// parameters returns the operation's parameters with the path item's,
// the operation's winning on a clash as OpenAPI says.
func (o operation) parameters() []*v3.Parameter {
	ps := slices.Clone(o.op.Parameters)
	for _, p := range o.item.Parameters {
		if !slices.ContainsFunc(ps, func(q *v3.Parameter) bool { return q.Name == p.Name && q.In == p.In }) {
			ps = append(ps, p)
		}
	}
	return ps
}

// TestOperationIDs pins the operationIds other packages refer to.
func TestOperationIDs(t *testing.T) {
	tests := []struct {
		spec spec
		want map[string]string
	}{
		{xepengSpec, map[string]string{
			"POST /openapi/orders":                                     "createOrder",
			"GET /openapi/orders":                                      "listOrders",
			"GET /openapi/orders/{order_uid}":                          "getOrder",
			"PUT /openapi/orders/{order_uid}":                          "updateOrder",
			"POST /openapi/payment-links/generate":                     "generatePaymentLink",
			"GET /openapi/payment-links":                               "listPaymentLinks",
			"GET /openapi/payment-links/{payment_link_uid}":            "getPaymentLink",
			"PUT /openapi/payment-links/{payment_link_uid}/inactivate": "inactivatePaymentLink",
		}},
		{oxpaySpec, map[string]string{
			"POST /payment-page":          "paymentPage",
			"POST /payment":               "createPayment",
			"GET /payment":                "getPaymentBySessionId",
			"GET /payment/{oxpay_txn_id}": "getTransactionById",
			"POST /void":                  "cancelPayment",
			"POST /refund":                "refundPayment",
			"POST /capture":               "capturePayment",
			"POST webhook payment":        "paymentNotification",
			"POST webhook refund":         "refundNotification",
			"POST webhook void":           "voidNotification",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.spec.name, func(t *testing.T) {
			got := map[string]string{}
			for _, o := range operations(model(t, tc.spec.raw)) {
				got[o.String()] = o.op.OperationId
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("operationIds (-want +got):\n%s", diff)
			}
		})
	}
}

func TestOperationsAreComplete(t *testing.T) {
	for _, s := range allSpecs() {
		t.Run(s.name, func(t *testing.T) {
			m := model(t, s.raw)
			seen := map[string]string{}
			for _, o := range operations(m) {
				id := o.op.OperationId
				if id == "" {
					t.Errorf("%s: no operationId", o)
				} else if prev, dup := seen[id]; dup {
					t.Errorf("%s: operationId %q already used by %s", o, id, prev)
				}
				seen[id] = o.String()
				if o.op.Summary == "" {
					t.Errorf("%s: no summary", o)
				}
				if len(o.op.Tags) == 0 {
					t.Errorf("%s: no tags", o)
				}
				var codes []string
				if o.op.Responses != nil {
					codes = slices.Collect(o.op.Responses.Codes.KeysFromOldest())
				}
				if !slices.ContainsFunc(codes, func(c string) bool { return strings.HasPrefix(c, "2") }) {
					t.Errorf("%s: responses %v, want at least one 2xx", o, codes)
				}
				if !o.webhook && !slices.Contains(codes, "401") {
					t.Errorf("%s: responses %v, want a 401", o, codes)
				}
			}
		})
	}
}

// requirement returns the sorted scheme names of an operation's single
// security requirement, falling back to the document's.
func requirement(t *testing.T, m *v3.Document, o operation) []string {
	t.Helper()
	reqs := o.op.Security
	if reqs == nil {
		reqs = m.Security
	}
	if len(reqs) == 0 {
		return nil
	}
	if len(reqs) != 1 {
		t.Errorf("%s: %d alternative security requirements, want 1", o, len(reqs))
	}
	names := slices.Collect(reqs[0].Requirements.KeysFromOldest())
	slices.Sort(names)
	return names
}

func TestSecurity(t *testing.T) {
	t.Run("xepeng", func(t *testing.T) {
		m := model(t, xepengSpec.raw)
		schemes := map[string]string{"ClientId": "X-Client-ID", "Timestamp": "X-Timestamp", "Signature": "X-Signature"}
		for name, header := range schemes {
			ss := m.Components.SecuritySchemes.GetOrZero(name)
			if ss == nil {
				t.Errorf("security scheme %s: missing", name)
				continue
			}
			if ss.Type != "apiKey" || ss.In != "header" || ss.Name != header {
				t.Errorf("security scheme %s: got %s in %s named %s, want apiKey in header named %s", name, ss.Type, ss.In, ss.Name, header)
			}
		}
		for _, o := range operations(m) {
			if diff := cmp.Diff([]string{"ClientId", "Signature", "Timestamp"}, requirement(t, m, o)); diff != "" {
				t.Errorf("%s: security (-want +got):\n%s", o, diff)
			}
		}
	})
	t.Run("oxpay", func(t *testing.T) {
		m := model(t, oxpaySpec.raw)
		if ss := m.Components.SecuritySchemes.GetOrZero("BearerAuth"); ss == nil || ss.Type != "http" || ss.Scheme != "bearer" {
			t.Errorf("security scheme BearerAuth: got %+v, want http bearer", ss)
		}
		if ss := m.Components.SecuritySchemes.GetOrZero("Signature"); ss == nil || ss.Type != "apiKey" || ss.In != "header" || ss.Name != "Signature" {
			t.Errorf("security scheme Signature: got %+v, want apiKey in header named Signature", ss)
		}
		for _, o := range operations(m) {
			var want []string
			switch {
			case o.webhook:
				want = nil // OxPay calls the merchant: no bearer, a Signature header instead.
				sig := slices.IndexFunc(o.parameters(), func(p *v3.Parameter) bool {
					return p.In == "header" && p.Name == "Signature" && p.Required != nil && *p.Required
				})
				if sig < 0 {
					t.Errorf("%s: no required Signature header parameter", o)
				}
			case o.method == "POST":
				want = []string{"BearerAuth", "Signature"}
			default:
				want = []string{"BearerAuth"}
			}
			if diff := cmp.Diff(want, requirement(t, m, o)); diff != "" {
				t.Errorf("%s: security (-want +got):\n%s", o, diff)
			}
		}
	})
}

// TestLinks checks that every response link names a real operation and
// only parameters that operation has.
func TestLinks(t *testing.T) {
	for _, s := range allSpecs() {
		t.Run(s.name, func(t *testing.T) {
			ops := operations(model(t, s.raw))
			byID := map[string]operation{}
			for _, o := range ops {
				byID[o.op.OperationId] = o
			}
			links := 0
			for _, o := range ops {
				for code, resp := range o.op.Responses.Codes.FromOldest() {
					for name, link := range resp.Links.FromOldest() {
						links++
						target, ok := byID[link.OperationId]
						if !ok {
							t.Errorf("%s %s link %s: operationId %q not in the document", o, code, name, link.OperationId)
							continue
						}
						for param, expr := range link.Parameters.FromOldest() {
							if !slices.ContainsFunc(target.parameters(), func(p *v3.Parameter) bool { return p.Name == param }) {
								t.Errorf("%s %s link %s: %s has no parameter %q", o, code, name, target, param)
							}
							if !strings.HasPrefix(expr, "$response.body#/") {
								t.Errorf("%s %s link %s: parameter %s = %q, want a $response.body expression", o, code, name, param, expr)
							}
						}
					}
				}
			}
			if s.name == "xepeng" && links < 4 {
				t.Errorf("got %d links, want at least 4 (createOrder and generatePaymentLink, two each)", links)
			}
		})
	}
}

// yamlValue is what an example's *yaml.Node offers; naming the method set
// keeps the YAML module out of this package's imports.
type yamlValue interface{ Decode(v any) error }

// example is one example value found in a document, with its schema.
type example struct {
	where  string
	schema *base.Schema
	value  []byte // the example as JSON, as it would travel
}

// collector walks a document and gathers every example with its schema.
type collector struct {
	t        *testing.T
	examples []example
}

func (c *collector) add(where string, proxy *base.SchemaProxy, v yamlValue) {
	c.t.Helper()
	if proxy == nil {
		c.t.Errorf("%s: example without a schema", where)
		return
	}
	s := proxy.Schema()
	if s == nil {
		c.t.Errorf("%s: schema did not build: %v", where, proxy.GetBuildError())
		return
	}
	var decoded any
	if err := v.Decode(&decoded); err != nil {
		c.t.Errorf("%s: decode example: %v", where, err)
		return
	}
	raw, err := json.Marshal(decoded)
	if err != nil {
		c.t.Errorf("%s: example as JSON: %v", where, err)
		return
	}
	c.examples = append(c.examples, example{where: where, schema: s, value: raw})
}

func (c *collector) named(where string, proxy *base.SchemaProxy, exs *orderedmap.Map[string, *base.Example]) {
	c.t.Helper()
	for name, ex := range exs.FromOldest() {
		if ex.Value == nil {
			c.t.Errorf("%s examples/%s: no inline value", where, name)
			continue
		}
		c.add(where+" examples/"+name, proxy, ex.Value)
	}
}

func (c *collector) media(where string, content *orderedmap.Map[string, *v3.MediaType]) {
	c.t.Helper()
	for mediaType, mt := range content.FromOldest() {
		w := where + " " + mediaType
		if mt.Example != nil {
			c.add(w+" example", mt.Schema, mt.Example)
		}
		c.named(w, mt.Schema, mt.Examples)
	}
}

func (c *collector) operation(o operation) {
	c.t.Helper()
	for _, p := range o.parameters() {
		w := fmt.Sprintf("%s parameter %s", o, p.Name)
		if p.Example != nil {
			c.add(w+" example", p.Schema, p.Example)
		}
		c.named(w, p.Schema, p.Examples)
	}
	if o.op.RequestBody != nil {
		c.media(o.String()+" request", o.op.RequestBody.Content)
	}
	for code, resp := range o.op.Responses.Codes.FromOldest() {
		w := fmt.Sprintf("%s response %s", o, code)
		c.media(w, resp.Content)
		for name, h := range resp.Headers.FromOldest() {
			if h.Example != nil {
				c.add(w+" header "+name+" example", h.Schema, h.Example)
			}
			c.named(w+" header "+name, h.Schema, h.Examples)
		}
	}
}

func collectExamples(t *testing.T, m *v3.Document) []example {
	t.Helper()
	c := &collector{t: t}
	for _, o := range operations(m) {
		c.operation(o)
	}
	return c.examples
}

// TestExamplesMatchSchemas validates every example in both documents
// against its own schema.
func TestExamplesMatchSchemas(t *testing.T) {
	sv := newSchemaValidator()
	for _, s := range allSpecs() {
		t.Run(s.name, func(t *testing.T) {
			m := model(t, s.raw)
			examples := collectExamples(t, m)
			for _, ex := range examples {
				if err := validate(sv, ex.schema, ex.value); err != nil {
					t.Errorf("%s: %v\nexample: %s", ex.where, err, ex.value)
				}
			}
			// Guard against a walker that silently finds nothing.
			if ops := len(operations(m)); len(examples) < ops {
				t.Errorf("checked %d examples, want at least one per operation (%d)", len(examples), ops)
			}
			t.Logf("checked %d examples", len(examples))
		})
	}
}

// TestEveryBodyHasExamples makes sure no request body or response body
// goes undocumented: each media type carries at least one example.
func TestEveryBodyHasExamples(t *testing.T) {
	hasExample := func(mt *v3.MediaType) bool { return mt.Example != nil || orderedmap.Len(mt.Examples) > 0 }
	for _, s := range allSpecs() {
		t.Run(s.name, func(t *testing.T) {
			for _, o := range operations(model(t, s.raw)) {
				if o.op.RequestBody != nil {
					for mediaType, mt := range o.op.RequestBody.Content.FromOldest() {
						if !hasExample(mt) {
							t.Errorf("%s request %s: no example", o, mediaType)
						}
					}
				}
				for code, resp := range o.op.Responses.Codes.FromOldest() {
					for mediaType, mt := range resp.Content.FromOldest() {
						if !hasExample(mt) {
							t.Errorf("%s response %s %s: no example", o, code, mediaType)
						}
					}
				}
			}
		})
	}
}

// setPath changes (or, with del, removes) the value at a dotted path such
// as "items.0.amount" inside decoded JSON.
func setPath(t *testing.T, v any, path string, val any, del bool) {
	t.Helper()
	keys := strings.Split(path, ".")
	for i, k := range keys {
		last := i == len(keys)-1
		switch node := v.(type) {
		case map[string]any:
			if _, ok := node[k]; !ok {
				t.Fatalf("path %s: no key %q", path, k)
			}
			if last {
				if del {
					delete(node, k)
				} else {
					node[k] = val
				}
				return
			}
			v = node[k]
		case []any:
			n, err := strconv.Atoi(k)
			if err != nil || n < 0 || n >= len(node) {
				t.Fatalf("path %s: bad index %q", path, k)
			}
			if last {
				node[n] = val
				return
			}
			v = node[n]
		default:
			t.Fatalf("path %s: %q is inside a %T", path, k, v)
		}
	}
}

// TestCheckerCatchesBadExamples proves the example check can fail: a
// broken copy of a real example must be rejected, while the original
// passes.
func TestCheckerCatchesBadExamples(t *testing.T) {
	tests := []struct {
		name  string
		spec  spec
		where string
		path  string
		value any
		del   bool
	}{
		{"zero item amount", xepengSpec, "POST /openapi/orders request application/json examples/single", "items.0.amount", 0, false},
		{"no items", xepengSpec, "POST /openapi/orders request application/json examples/single", "items", nil, true},
		{"empty product name", xepengSpec, "POST /openapi/orders request application/json examples/single", "items.0.product_name", "", false},
		{"lower-case currency", xepengSpec, "POST /openapi/orders request application/json examples/full", "currency", "idr", false},
		{"unknown order status", xepengSpec, "POST /openapi/orders response 201 application/json examples/created", "data.status", "shipped", false},
		{"amount as a string", xepengSpec, "POST /openapi/orders response 201 application/json examples/created", "data.total_amount", "50000", false},
		{"expired_at not a date-time", xepengSpec, "POST /openapi/payment-links/generate response 201 application/json examples/generated", "data.expired_at", "tomorrow", false},
		{"paid_at missing", xepengSpec, "POST /openapi/payment-links/generate response 201 application/json examples/generated", "data.paid_at", nil, true},
		{"limit above 100", xepengSpec, "GET /openapi/orders parameter limit example", "", 101, false},
		{"unknown error code", xepengSpec, "GET /openapi/orders response 401 application/json examples/badSignature", "data.code", "FORBIDDEN", false},
		{"short merchant_id", oxpaySpec, "POST /payment-page request application/json examples/hostedPage", "merchant_id", "12345", false},
		{"zero amount", oxpaySpec, "POST /payment-page request application/json examples/hostedPage", "amount.value", 0, false},
		{"gateway time as RFC 3339", oxpaySpec, "POST webhook payment request application/json examples/success", "headers.gateway_response_datetime", "2024-01-11T07:13:16Z", false},
		{"status_code 4", oxpaySpec, "POST webhook payment request application/json examples/success", "headers.status_code", 4, false},
		{"refund webhook without refund_amount", oxpaySpec, "POST webhook refund request application/json examples/refunded", "body.refund_amount", nil, true},
		{"unknown transaction state", oxpaySpec, "GET /payment/{oxpay_txn_id} response 200 application/json examples/sale", "body.transaction_state", "done", false},
		{"short session id", oxpaySpec, "GET /payment parameter session_id example", "", "123123123123", false},
	}
	sv := newSchemaValidator()
	found := map[string][]example{}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			examples, ok := found[tc.spec.name]
			if !ok {
				examples = collectExamples(t, model(t, tc.spec.raw))
				found[tc.spec.name] = examples
			}
			i := slices.IndexFunc(examples, func(e example) bool { return e.where == tc.where })
			if i < 0 {
				t.Fatalf("no example at %q", tc.where)
			}
			ex := examples[i]
			if err := validate(sv, ex.schema, ex.value); err != nil {
				t.Fatalf("original example should pass: %v", err)
			}
			var broken any
			if err := json.Unmarshal(ex.value, &broken); err != nil {
				t.Fatalf("decode example: %v", err)
			}
			if tc.path == "" {
				broken = tc.value
			} else {
				setPath(t, broken, tc.path, tc.value, tc.del)
			}
			payload, err := json.Marshal(broken)
			if err != nil {
				t.Fatalf("encode broken example: %v", err)
			}
			if err := validate(sv, ex.schema, payload); err == nil {
				t.Errorf("broken example %s: got no error, want a schema violation", payload)
			}
		})
	}
}

func componentSchema(t *testing.T, m *v3.Document, name string) *base.Schema {
	t.Helper()
	proxy := m.Components.Schemas.GetOrZero(name)
	if proxy == nil {
		t.Fatalf("components/schemas/%s: missing", name)
	}
	s := proxy.Schema()
	if s == nil {
		t.Fatalf("components/schemas/%s: did not build: %v", name, proxy.GetBuildError())
	}
	return s
}

// TestWireValuesMatchSchemas marshals representative wire values with
// encoding/json, exactly as the clients and the sandbox do, and validates
// them against the component schema that describes them.
func TestWireValuesMatchSchemas(t *testing.T) {
	at := time.Date(2024, 5, 1, 3, 0, 0, 0, time.UTC)
	later := at.Add(24 * time.Hour)
	yes, no := true, false
	txnID := "10001396"
	item := wire.OrderItem{Amount: 50000, ProductName: "Kemeja Flanel"}
	fullItem := wire.OrderItem{Amount: 25000, ProductName: "Kaos Kaki", ProductDescription: "Socks", Notes: "Blue"}
	order := wire.Order{UID: "ord_1", Status: wire.OrderActive, Currency: "IDR", TotalAmount: 75000,
		Items: []wire.OrderItem{item, fullItem}, CreatedAt: at, UpdatedAt: at.Add(time.Minute)}
	link := wire.PaymentLink{UID: "pl_1", OrderUID: "ord_1", Status: wire.LinkPending,
		PaymentURL: "https://checkout.example.com/pay/pl_1", Amount: 75000, Currency: "IDR",
		CreatedAt: at, UpdatedAt: at}
	paidLink := link
	paidLink.Status, paidLink.ExpiredAt, paidLink.PaidAt = wire.LinkPaid, &later, &at
	page := wire.Pagination{CurrentPage: 1, TotalPages: 3, TotalItems: 25, Limit: 10}
	envelope := func(status string, data any) wire.XepengResponse {
		raw, err := json.Marshal(data)
		if err != nil {
			t.Fatalf("marshal data: %v", err)
		}
		return wire.XepengResponse{Status: status, Message: "ok", Data: raw}
	}

	headers := wire.OxHeaders{StatusCode: wire.OxStatusSuccess, StatusMessage: "SUCCESS",
		GatewayResponseDatetime: at.Format(wire.OxGatewayTimeLayout)}
	amount := wire.OxAmount{Value: 200, Currency: "SGD"}
	payment := wire.Notification{HostTxnID: "b8e4c9205a104d97", MerchantReferenceID: "INV-1",
		OxpayTxnID: "10001396", PaymentBrand: "GrabPay", TransactionAmount: 200,
		TransactionCurrency: "SGD", TransactionState: wire.StateSuccess}
	refund := payment
	refund.OxpayTxnID, refund.OxpayOriginalTxnID, refund.RefundAmount, refund.TransactionState = "10001401", "10001396", 50, wire.StateRefunded
	void := payment
	void.TransactionState = wire.StateVoided
	session := wire.SessionPayment{MerchantID: "100000001", MerchantName: "ABCD Bakery", TerminalID: "10000000000001",
		ExpiryDatetime: "2024-01-18T05:19:23+0000", MerchantReferenceID: "1705551757166", TransactionCurrency: "SGD",
		TransactionAmount: 200, Description: "Testing", PayerName: "Sarah", PayerEmail: "sarah@example.com",
		PayerPhone: "987654321", PayerReturnURL: "https://example.com/success", PayerErrorURL: "https://example.com/error",
		PayerNotificationURL: "https://example.com/notify", PaymentBrandList: []wire.PaymentBrandInfo{{BrandName: "GrabPay", MethodName: "QR"}}}
	paidSession := session
	paidSession.TransactionID, paidSession.PayerCapture = &txnID, true
	followUp := wire.FollowUpRequest{MerchantID: "100000001", TerminalID: "10000000000001", OxpayOriginalTxnID: "10001396",
		MerchantReferenceID: "INV-1-R", NotificationURL: "https://merchant.example.com/notify", Amount: amount}

	tests := []struct {
		name   string
		spec   spec
		schema string
		value  any
	}{
		{"order item", xepengSpec, "OrderItem", fullItem},
		{"create order", xepengSpec, "CreateOrderRequest", wire.CreateOrderRequest{Items: []wire.OrderItem{item}}},
		{"create order with currency", xepengSpec, "CreateOrderRequest", wire.CreateOrderRequest{Items: []wire.OrderItem{item}, Currency: "IDR"}},
		{"update order", xepengSpec, "UpdateOrderRequest", wire.UpdateOrderRequest{Status: wire.OrderActive}},
		{"update order items", xepengSpec, "UpdateOrderRequest", wire.UpdateOrderRequest{Status: wire.OrderInactive, Items: []wire.OrderItem{item}}},
		{"order", xepengSpec, "Order", order},
		{"order list", xepengSpec, "OrderList", wire.OrderList{Orders: []wire.Order{order}, Pagination: page}},
		{"empty order list", xepengSpec, "OrderList", wire.OrderList{Orders: []wire.Order{}, Pagination: page}},
		{"generate link", xepengSpec, "GeneratePaymentLinkRequest", wire.GeneratePaymentLinkRequest{OrderUID: "ord_1",
			ExpiredAt: later.Format(time.RFC3339), CallbackURL: "https://m.example.com/cb", SuccessURL: "https://m.example.com/ok", CancelURL: "https://m.example.com/no"}},
		{"pending link, null times", xepengSpec, "PaymentLink", link},
		{"paid link", xepengSpec, "PaymentLink", paidLink},
		{"link list", xepengSpec, "PaymentLinkList", wire.PaymentLinkList{PaymentLinks: []wire.PaymentLink{link, paidLink}, Pagination: page}},
		{"order envelope", xepengSpec, "OrderEnvelope", envelope(wire.XepengStatusSuccess, order)},
		{"order list envelope", xepengSpec, "OrderListEnvelope", envelope(wire.XepengStatusSuccess, wire.OrderList{Orders: []wire.Order{order}, Pagination: page})},
		{"link envelope", xepengSpec, "PaymentLinkEnvelope", envelope(wire.XepengStatusSuccess, paidLink)},
		{"link list envelope", xepengSpec, "PaymentLinkListEnvelope", envelope(wire.XepengStatusSuccess, wire.PaymentLinkList{PaymentLinks: []wire.PaymentLink{link}, Pagination: page})},
		{"validation error envelope", xepengSpec, "ErrorEnvelope", envelope(wire.XepengStatusError,
			wire.XepengError{Code: "VALIDATION_ERROR", Errors: []wire.FieldError{{Field: "items", Message: "required"}}})},
		{"unauthorized envelope", xepengSpec, "ErrorEnvelope", envelope(wire.XepengStatusError, wire.XepengError{Code: "UNAUTHORIZED"})},

		{"payment page request", oxpaySpec, "PaymentPageRequest", wire.PaymentPageRequest{MerchantID: "100000001", TerminalID: "10000000000001",
			MerchantReferenceID: "INV-1", Description: "Testing", SuccessURL: "https://m.example.com/ok", FailureURL: "https://m.example.com/no",
			NotificationURL: "https://m.example.com/notify", Amount: amount, Source: wire.OxSource{Name: "Sarah", Email: "sarah@example.com", Phone: "12345678"}, Capture: &no}},
		{"payment page envelope", oxpaySpec, "PaymentPageEnvelope", wire.OxEnvelope[wire.PaymentPageResponse]{Headers: headers,
			Body: wire.PaymentPageResponse{OxpayHppURL: "https://hpp.example.com/?session_id=abc"}}},
		{"QR payment request", oxpaySpec, "PaymentRequest", wire.PaymentRequest{MerchantID: "100000001", TerminalID: "10000000000001",
			MerchantReferenceID: "INV-1", SuccessURL: "https://m.example.com/ok", FailureURL: "https://m.example.com/no",
			NotificationURL: "https://m.example.com/notify", PaymentMethod: wire.PaymentMethod{Brand: "grabpay"}, Amount: amount}},
		{"card payment request", oxpaySpec, "PaymentRequest", wire.PaymentRequest{MerchantID: "100000001", TerminalID: "10000000000001",
			MerchantReferenceID: "INV-2", OxpaySessionID: strings.Repeat("a1", 32), SuccessURL: "https://m.example.com/ok", FailureURL: "https://m.example.com/no",
			NotificationURL: "https://m.example.com/notify", Amount: amount, Capture: &yes, PaymentMethod: wire.PaymentMethod{Brand: "visa",
				Card: &wire.Card{Name: "Sarah", CardNumber: "4111111111111111", ExpiryMonth: "12", ExpiryYear: "2027", CVV: "123"}}}},
		{"payment envelope", oxpaySpec, "PaymentEnvelope", wire.OxEnvelope[wire.PaymentResponse]{Headers: headers,
			Body: wire.PaymentResponse{PaymentBrand: "GrabPay", OxpayTxnID: "10001396", MerchantReferenceID: "INV-1"}}},
		{"payment envelope without brand", oxpaySpec, "PaymentEnvelope", wire.OxEnvelope[wire.PaymentResponse]{Headers: headers,
			Body: wire.PaymentResponse{OxpayTxnID: "10001396", MerchantReferenceID: "INV-1"}}},
		{"follow-up request", oxpaySpec, "FollowUpRequest", followUp},
		{"void envelope", oxpaySpec, "VoidEnvelope", wire.OxEnvelope[wire.VoidResponse]{Headers: headers,
			Body: wire.VoidResponse{OxpayTxnID: "10001399", MerchantReferenceID: "INV-1-V", PaymentBrand: "GrabPay"}}},
		{"refund envelope", oxpaySpec, "RefundEnvelope", wire.OxEnvelope[wire.RefundResponse]{Headers: headers,
			Body: wire.RefundResponse{OxpayTxnID: "10001401", MerchantReferenceID: "INV-1-R", RefundAmount: 50}}},
		{"sale transaction", oxpaySpec, "TransactionEnvelope", wire.OxEnvelope[wire.Transaction]{Headers: headers,
			Body: wire.Transaction{OxpayTxnID: "10001396", MerchantReferenceID: "INV-1", HostTxnID: "b8e4", TransactionState: wire.StateSale,
				PaymentBrand: "GrabPay", TransactionAmount: 200, TransactionCurrency: "SGD"}}},
		{"refund transaction", oxpaySpec, "TransactionEnvelope", wire.OxEnvelope[wire.Transaction]{Headers: headers,
			Body: wire.Transaction{OxpayTxnID: "10001401", OxpayOriginalTxnID: "10001396", MerchantReferenceID: "INV-1-R", HostTxnID: "1c99",
				TransactionType: wire.TypeRefund, TransactionState: wire.StateRefunded, PaymentBrand: "GrabPay", TransactionAmount: 200,
				RefundAmount: 50, TransactionCurrency: "SGD"}}},
		{"unpaid session", oxpaySpec, "SessionPayment", session},
		{"paid session", oxpaySpec, "SessionPayment", paidSession},
		{"error envelope", oxpaySpec, "ErrorEnvelope", wire.OxEnvelope[wire.OxError]{
			Headers: wire.OxHeaders{StatusCode: wire.OxStatusRejected, StatusMessage: "REJECTED", GatewayResponseDatetime: headers.GatewayResponseDatetime},
			Body:    wire.OxError{Status: "Rejected", StatusDesc: "Invalid signature."}}},
		{"payment webhook", oxpaySpec, "PaymentWebhook", wire.OxEnvelope[wire.Notification]{Headers: headers, Body: payment}},
		{"refund webhook", oxpaySpec, "RefundWebhook", wire.OxEnvelope[wire.Notification]{Headers: headers, Body: refund}},
		{"void webhook", oxpaySpec, "VoidWebhook", wire.OxEnvelope[wire.Notification]{Headers: headers, Body: void}},
	}
	sv := newSchemaValidator()
	models := map[string]*v3.Document{}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, ok := models[tc.spec.name]
			if !ok {
				m = model(t, tc.spec.raw)
				models[tc.spec.name] = m
			}
			payload, err := json.Marshal(tc.value)
			if err != nil {
				t.Fatalf("marshal: %v", err)
			}
			if err := validate(sv, componentSchema(t, m, tc.schema), payload); err != nil {
				t.Errorf("%s against %s: %v", payload, tc.schema, err)
			}
		})
	}
}

// jsonType is the JSON Schema type encoding/json gives a Go type, or ""
// for raw JSON that may be anything.
func jsonType(t reflect.Type) string {
	if t == reflect.TypeFor[json.RawMessage]() {
		return ""
	}
	if t == reflect.TypeFor[time.Time]() {
		return "string"
	}
	switch t.Kind() {
	case reflect.Pointer:
		return jsonType(t.Elem())
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Struct, reflect.Map:
		return "object"
	}
	return "?" + t.Kind().String()
}

// wireField is one JSON field of a wire struct.
type wireField struct {
	name      string
	omitEmpty bool
	typ       reflect.Type
}

func wireFields(t reflect.Type) []wireField {
	var fs []wireField
	for f := range t.Fields() {
		tag := f.Tag.Get("json")
		if tag == "-" || !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		fs = append(fs, wireField{name: name, omitEmpty: slices.Contains(strings.Split(opts, ","), "omitempty"), typ: f.Type})
	}
	return fs
}

// TestWireShapesMatchSchemas compares each component schema with the wire
// struct it describes, field by field: the same JSON names, required
// exactly where encoding/json always writes the field, the same JSON
// types, and null allowed exactly where a nil pointer is written as null.
func TestWireShapesMatchSchemas(t *testing.T) {
	type row struct {
		schema string
		typ    reflect.Type
		// wireOnly names wire fields the schema leaves out on purpose.
		wireOnly []string
		// alsoRequired names omitempty wire fields the schema requires.
		alsoRequired []string
	}
	xepeng := []row{
		{schema: "OrderItem", typ: reflect.TypeFor[wire.OrderItem]()},
		{schema: "CreateOrderRequest", typ: reflect.TypeFor[wire.CreateOrderRequest]()},
		{schema: "UpdateOrderRequest", typ: reflect.TypeFor[wire.UpdateOrderRequest]()},
		{schema: "Order", typ: reflect.TypeFor[wire.Order]()},
		{schema: "Pagination", typ: reflect.TypeFor[wire.Pagination]()},
		{schema: "OrderList", typ: reflect.TypeFor[wire.OrderList]()},
		{schema: "GeneratePaymentLinkRequest", typ: reflect.TypeFor[wire.GeneratePaymentLinkRequest]()},
		{schema: "PaymentLink", typ: reflect.TypeFor[wire.PaymentLink]()},
		{schema: "PaymentLinkList", typ: reflect.TypeFor[wire.PaymentLinkList]()},
		{schema: "XepengError", typ: reflect.TypeFor[wire.XepengError]()},
		{schema: "FieldError", typ: reflect.TypeFor[wire.FieldError]()},
	}
	// The spec documents the {status, message, data} envelope; wire also
	// reads the PHP README's boolean success, and writes status and data
	// only when set.
	for _, env := range []string{"OrderEnvelope", "OrderListEnvelope", "PaymentLinkEnvelope", "PaymentLinkListEnvelope", "ErrorEnvelope"} {
		xepeng = append(xepeng, row{schema: env, typ: reflect.TypeFor[wire.XepengResponse](),
			wireOnly: []string{"success"}, alsoRequired: []string{"data", "status"}})
	}
	oxpay := []row{
		{schema: "OxHeaders", typ: reflect.TypeFor[wire.OxHeaders]()},
		{schema: "OxError", typ: reflect.TypeFor[wire.OxError]()},
		{schema: "OxAmount", typ: reflect.TypeFor[wire.OxAmount]()},
		{schema: "OxSource", typ: reflect.TypeFor[wire.OxSource]()},
		{schema: "Card", typ: reflect.TypeFor[wire.Card]()},
		{schema: "PaymentMethod", typ: reflect.TypeFor[wire.PaymentMethod]()},
		{schema: "PaymentPageRequest", typ: reflect.TypeFor[wire.PaymentPageRequest]()},
		{schema: "PaymentPageResponse", typ: reflect.TypeFor[wire.PaymentPageResponse]()},
		{schema: "PaymentRequest", typ: reflect.TypeFor[wire.PaymentRequest]()},
		{schema: "PaymentResponse", typ: reflect.TypeFor[wire.PaymentResponse]()},
		{schema: "FollowUpRequest", typ: reflect.TypeFor[wire.FollowUpRequest]()},
		{schema: "VoidResponse", typ: reflect.TypeFor[wire.VoidResponse]()},
		{schema: "RefundResponse", typ: reflect.TypeFor[wire.RefundResponse]()},
		{schema: "Transaction", typ: reflect.TypeFor[wire.Transaction]()},
		{schema: "PaymentBrandInfo", typ: reflect.TypeFor[wire.PaymentBrandInfo]()},
		{schema: "SessionPayment", typ: reflect.TypeFor[wire.SessionPayment]()},
		// One Go type serves all three webhooks; payment and void bodies
		// carry no refund fields, and a refund body must carry both.
		{schema: "Notification", typ: reflect.TypeFor[wire.Notification](), wireOnly: []string{"oxpay_original_txn_id", "refund_amount"}},
		{schema: "RefundNotification", typ: reflect.TypeFor[wire.Notification](), alsoRequired: []string{"oxpay_original_txn_id", "refund_amount"}},
		{schema: "PaymentPageEnvelope", typ: reflect.TypeFor[wire.OxEnvelope[wire.PaymentPageResponse]]()},
		{schema: "PaymentEnvelope", typ: reflect.TypeFor[wire.OxEnvelope[wire.PaymentResponse]]()},
		{schema: "VoidEnvelope", typ: reflect.TypeFor[wire.OxEnvelope[wire.VoidResponse]]()},
		{schema: "RefundEnvelope", typ: reflect.TypeFor[wire.OxEnvelope[wire.RefundResponse]]()},
		{schema: "TransactionEnvelope", typ: reflect.TypeFor[wire.OxEnvelope[wire.Transaction]]()},
		{schema: "ErrorEnvelope", typ: reflect.TypeFor[wire.OxEnvelope[wire.OxError]]()},
		{schema: "PaymentWebhook", typ: reflect.TypeFor[wire.OxEnvelope[wire.Notification]]()},
		{schema: "RefundWebhook", typ: reflect.TypeFor[wire.OxEnvelope[wire.Notification]]()},
		{schema: "VoidWebhook", typ: reflect.TypeFor[wire.OxEnvelope[wire.Notification]]()},
	}
	for _, group := range []struct {
		spec spec
		rows []row
	}{{xepengSpec, xepeng}, {oxpaySpec, oxpay}} {
		m := model(t, group.spec.raw)
		for _, r := range group.rows {
			t.Run(group.spec.name+"/"+r.schema, func(t *testing.T) {
				s := componentSchema(t, m, r.schema)
				var wantProps, wantRequired []string
				fields := map[string]wireField{}
				for _, f := range wireFields(r.typ) {
					if slices.Contains(r.wireOnly, f.name) {
						continue
					}
					fields[f.name] = f
					wantProps = append(wantProps, f.name)
					if !f.omitEmpty || slices.Contains(r.alsoRequired, f.name) {
						wantRequired = append(wantRequired, f.name)
					}
				}
				gotProps := slices.Collect(s.Properties.KeysFromOldest())
				gotRequired := slices.Clone(s.Required)
				for _, l := range [][]string{wantProps, wantRequired, gotProps, gotRequired} {
					slices.Sort(l)
				}
				if diff := cmp.Diff(wantProps, gotProps); diff != "" {
					t.Errorf("properties (-wire +spec):\n%s", diff)
				}
				if diff := cmp.Diff(wantRequired, gotRequired); diff != "" {
					t.Errorf("required (-wire +spec):\n%s", diff)
				}
				for name, proxy := range s.Properties.FromOldest() {
					f, ok := fields[name]
					if !ok {
						continue // reported above
					}
					ps := proxy.Schema()
					if ps == nil {
						t.Errorf("%s: schema did not build: %v", name, proxy.GetBuildError())
						continue
					}
					if want := jsonType(f.typ); want != "" && !slices.Contains(ps.Type, want) {
						t.Errorf("%s: got type %v, want %s for Go %s", name, ps.Type, want, f.typ)
					}
					wantNull := f.typ.Kind() == reflect.Pointer && !f.omitEmpty
					if got := slices.Contains(ps.Type, "null"); got != wantNull {
						t.Errorf("%s: got nullable %v, want %v for Go %s", name, got, wantNull, f.typ)
					}
				}
			})
		}
	}
}

// BenchmarkBuildModel measures what a binary pays at start-up to turn an
// embedded document into a v3 model.
func BenchmarkBuildModel(b *testing.B) {
	for _, s := range allSpecs() {
		b.Run(s.name, func(b *testing.B) {
			for b.Loop() {
				doc, err := libopenapi.NewDocument(s.raw)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := doc.BuildV3Model(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
