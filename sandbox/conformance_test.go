package sandbox_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/reconkit/reconkit/fetch"
	"github.com/reconkit/reconkit/sandbox"
	"github.com/reconkit/reconkit/sandbox/gen"
	"github.com/reconkit/reconkit/specs"
	"github.com/reconkit/reconkit/wire"
)

// exchange is one request and its response as they crossed the wire.
type exchange struct {
	req      *http.Request // body nil: see reqBody
	reqBody  []byte
	resp     *http.Response // body nil: see respBody
	respBody []byte

	step string // the scenario step that caused it
	// offSpecRequest marks a request sent outside the spec on purpose, to
	// provoke a documented error: the validator must flag the request,
	// and the response must still be as documented.
	offSpecRequest bool
}

func (e *exchange) String() string {
	return fmt.Sprintf("%s %s → %d (%s)", e.req.Method, e.req.URL.RequestURI(), e.resp.StatusCode, e.step)
}

// recorder is an http.RoundTripper that keeps every exchange, handing
// the client a response whose body reads the same bytes again.
type recorder struct {
	next http.RoundTripper

	mu  sync.Mutex
	log []*exchange
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	var reqBody []byte
	if req.Body != nil && req.Body != http.NoBody {
		b, err := io.ReadAll(req.Body)
		_ = req.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("record request body: %w", err)
		}
		reqBody = b
	}
	// A clone, as a RoundTripper must not change the request it is given.
	out := req.Clone(req.Context())
	if reqBody != nil {
		out.Body = io.NopCloser(bytes.NewReader(reqBody))
		out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(reqBody)), nil }
	}
	resp, err := r.next.RoundTrip(out)
	if err != nil {
		return nil, err
	}
	respBody, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("record response body: %w", err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(respBody))

	kept := *resp
	kept.Body, kept.Request = nil, nil
	kept.Header = resp.Header.Clone()
	r.mu.Lock()
	r.log = append(r.log, &exchange{
		req:      req.Clone(context.Background()),
		reqBody:  reqBody,
		resp:     &kept,
		respBody: respBody,
	})
	r.mu.Unlock()
	return resp, nil
}

func (r *recorder) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.log)
}

func (r *recorder) since(n int) []*exchange {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.log[n:])
}

// scenario drives the clients and labels what they send.
type scenario struct {
	t   *testing.T
	rec *recorder
}

// step runs call, which must send at least one request, and checks that
// every request it sent was answered want and that it returned wantErr
// (nil for a 2xx). A failing 2xx step is fatal: later steps use its
// result.
func (s *scenario) step(name string, want int, wantErr error, call func() error) []*exchange {
	s.t.Helper()
	n := s.rec.len()
	err := call()
	got := s.rec.since(n)
	for _, e := range got {
		e.step = name
	}
	if len(got) == 0 {
		s.t.Fatalf("%s: sent no request", name)
	}
	for _, e := range got {
		if e.resp.StatusCode != want {
			s.t.Errorf("%s: %s %s: got HTTP %d, want %d: %s", name, e.req.Method, e.req.URL.RequestURI(), e.resp.StatusCode, want, e.respBody)
		}
	}
	switch {
	case wantErr == nil && err != nil:
		s.t.Fatalf("%s: %v", name, err)
	case wantErr != nil && !errors.Is(err, wantErr):
		s.t.Errorf("%s: got error %v, want %v", name, err, wantErr)
	}
	return got
}

// offSpec runs step for a request that breaks the spec on purpose.
func (s *scenario) offSpec(name string, want int, wantErr error, call func() error) {
	s.t.Helper()
	for _, e := range s.step(name, want, wantErr, call) {
		e.offSpecRequest = true
	}
}

// apiCode is the server's error code carried by a client error.
func apiCode(err error) string {
	if e, ok := errors.AsType[*fetch.APIError](err); ok {
		return e.Code
	}
	return ""
}

// conformance is what one run of the scenario leaves behind.
type conformance struct {
	data      *gen.Dataset
	exchanges []*exchange
	xepeng    *specValidator
	oxpay     *specValidator
	oxpayBase string // the sandbox's OxPay base path
}

// validatorFor picks the spec a recorded request belongs to.
func (c *conformance) validatorFor(e *exchange) *specValidator {
	if strings.HasPrefix(e.req.URL.Path, c.oxpayBase+"/") {
		return c.oxpay
	}
	return c.xepeng
}

// runScenario starts the sandbox on a generated world and calls every
// operation of both specs through the real clients, the documented
// error answers included.
func runScenario(t *testing.T) *conformance {
	t.Helper()
	data, err := gen.Generate(gen.Options{Seed: 1, Orders: 300})
	if err != nil {
		t.Fatalf("generate: %v", err)
	}
	// A fixed clock shared by the sandbox and the clients, so timestamps
	// agree and bodies repeat. Generated pending links expire within a
	// day, so the clock stands an hour before the expiry of the one the
	// scenario pays.
	pending := payableLink(t, data)
	now := data.Options.Start.AddDate(0, 0, data.Options.Days).UTC()
	if pending.ExpiredAt != nil {
		now = pending.ExpiredAt.Add(-time.Hour)
	}
	clock := func() time.Time { return now }

	cfg := sandbox.DefaultConfig()
	cfg.Now = clock
	srv := sandbox.New(cfg, data)
	base, stop, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatalf("start sandbox: %v", err)
	}
	t.Cleanup(stop)

	transport := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(transport.CloseIdleConnections)
	rec := &recorder{next: transport}
	opts := func(baseURL string) fetch.Options {
		// One attempt: a retry would hide a wrong first answer.
		return fetch.Options{BaseURL: baseURL, HTTPClient: &http.Client{Transport: rec}, MaxAttempts: 1, Now: clock, Seed: 1, Version: "test"}
	}
	const oxpayPath = "/oxpay"
	x := fetch.NewXepeng(opts(base), sandbox.DefaultXepengClientID, sandbox.DefaultXepengClientSecret)
	xWrongSecret := fetch.NewXepeng(opts(base), sandbox.DefaultXepengClientID, "not-the-secret")
	ox := fetch.NewOxPay(opts(base+oxpayPath), sandbox.DefaultOxPayAPIKey, sandbox.DefaultOxPaySignKey)
	oxWrongKey := fetch.NewOxPay(opts(base+oxpayPath), "ak-not-the-key", sandbox.DefaultOxPaySignKey)
	oxWrongSign := fetch.NewOxPay(opts(base+oxpayPath), sandbox.DefaultOxPayAPIKey, "not-the-sign-key")

	ctx := t.Context()
	s := &scenario{t: t, rec: rec}

	// Xepeng: an order through its life, then the documented errors.
	var order wire.Order
	s.step("create order", http.StatusCreated, nil, func() (err error) {
		order, err = x.CreateOrder(ctx, wire.CreateOrderRequest{Currency: "IDR", Items: []wire.OrderItem{
			{Amount: 50000, ProductName: "Kemeja Flanel", ProductDescription: "Flannel shirt, size M", Notes: "Gift wrap"},
			{Amount: 25000, ProductName: "Kaos Kaki"},
		}})
		return err
	})
	s.step("get order", http.StatusOK, nil, func() error {
		_, err := x.GetOrder(ctx, order.UID)
		return err
	})
	s.step("link for a pending order", http.StatusUnprocessableEntity, fetch.ErrRejected, func() error {
		_, err := x.GeneratePaymentLink(ctx, wire.GeneratePaymentLinkRequest{OrderUID: order.UID})
		if code := apiCode(err); code != "INVALID_ORDER_STATUS" {
			t.Errorf("link for a pending order: got code %q, want INVALID_ORDER_STATUS", code)
		}
		return err
	})
	s.step("activate order", http.StatusOK, nil, func() (err error) {
		order, err = x.UpdateOrder(ctx, order.UID, wire.UpdateOrderRequest{Status: wire.OrderActive})
		return err
	})
	if order.Status != wire.OrderActive {
		t.Errorf("activated order: got status %q, want %q", order.Status, wire.OrderActive)
	}
	var link wire.PaymentLink
	s.step("generate link", http.StatusCreated, nil, func() (err error) {
		link, err = x.GeneratePaymentLink(ctx, wire.GeneratePaymentLinkRequest{
			OrderUID:    order.UID,
			ExpiredAt:   now.Add(24 * time.Hour).Format(time.RFC3339),
			CallbackURL: "https://merchant.example.com/xepeng/callback",
			SuccessURL:  "https://merchant.example.com/pay/success",
			CancelURL:   "https://merchant.example.com/pay/cancel",
		})
		return err
	})
	s.step("get link", http.StatusOK, nil, func() error {
		_, err := x.GetPaymentLink(ctx, link.UID)
		return err
	})
	s.step("inactivate link", http.StatusOK, nil, func() error {
		l, err := x.InactivatePaymentLink(ctx, link.UID)
		if err == nil && l.Status != wire.LinkInactive {
			t.Errorf("inactivated link: got status %q, want %q", l.Status, wire.LinkInactive)
		}
		return err
	})
	// Every page of both lists, so every seeded order and link is served
	// and checked, and one page past the end.
	pages := func(name string, list func(page int) (wire.Pagination, int, error)) {
		total := 1
		for p := 1; p <= total+1; p++ {
			s.step(fmt.Sprintf("%s page %d", name, p), http.StatusOK, nil, func() error {
				pg, n, err := list(p)
				if err != nil {
					return err
				}
				if p == 1 {
					total = pg.TotalPages
				}
				if p > total && n != 0 {
					t.Errorf("%s page %d of %d: got %d items, want none", name, p, total, n)
				}
				return nil
			})
		}
		if total < 3 {
			t.Errorf("%s: got %d pages, want several", name, total)
		}
	}
	pages("list orders", func(p int) (wire.Pagination, int, error) {
		l, err := x.ListOrders(ctx, p, 100)
		return l.Pagination, len(l.Orders), err
	})
	pages("list links", func(p int) (wire.Pagination, int, error) {
		l, err := x.ListPaymentLinks(ctx, p, 100)
		return l.Pagination, len(l.PaymentLinks), err
	})
	s.step("unknown order", http.StatusNotFound, fetch.ErrNotFound, func() error {
		_, err := x.GetOrder(ctx, "ORD-NO-SUCH-ORDER")
		return err
	})
	s.step("unknown link", http.StatusNotFound, fetch.ErrNotFound, func() error {
		_, err := x.GetPaymentLink(ctx, "PL-NO-SUCH-LINK")
		return err
	})
	s.step("link for an unknown order", http.StatusNotFound, fetch.ErrNotFound, func() error {
		_, err := x.GeneratePaymentLink(ctx, wire.GeneratePaymentLinkRequest{OrderUID: "ORD-NO-SUCH-ORDER"})
		return err
	})
	s.step("link expiring in the past", http.StatusUnprocessableEntity, fetch.ErrRejected, func() error {
		_, err := x.GeneratePaymentLink(ctx, wire.GeneratePaymentLinkRequest{OrderUID: order.UID, ExpiredAt: now.Add(-time.Hour).Format(time.RFC3339)})
		if code := apiCode(err); code != "VALIDATION_ERROR" {
			t.Errorf("link expiring in the past: got code %q, want VALIDATION_ERROR", code)
		}
		return err
	})
	s.offSpec("order with a zero amount", http.StatusUnprocessableEntity, fetch.ErrRejected, func() error {
		_, err := x.CreateOrder(ctx, wire.CreateOrderRequest{Items: []wire.OrderItem{{Amount: 0, ProductName: "Free"}}})
		if code := apiCode(err); code != "VALIDATION_ERROR" {
			t.Errorf("order with a zero amount: got code %q, want VALIDATION_ERROR", code)
		}
		return err
	})
	s.step("bad signature", http.StatusUnauthorized, fetch.ErrUnauthorized, func() error {
		_, err := xWrongSecret.ListOrders(ctx, 1, 10)
		return err
	})

	// OxPay: pay a seeded pending link through a hosted page, then refund,
	// void and capture, then the documented errors.
	amount := pending.Amount
	if pending.Currency == "IDR" {
		amount *= 100 // Xepeng sends whole rupiah; OxPay wants minor units
	}
	const (
		merchant = sandbox.DefaultMerchantID
		terminal = sandbox.DefaultTerminalID
		notify   = "https://merchant.example.com/oxpay/notify"
	)
	var sessionID string
	s.step("payment page", http.StatusOK, nil, func() error {
		page, err := ox.PaymentPage(ctx, wire.PaymentPageRequest{
			MerchantID: merchant, TerminalID: terminal, MerchantReferenceID: pending.OrderUID,
			Description: "Order " + pending.OrderUID, SuccessURL: "https://merchant.example.com/success",
			FailureURL: "https://merchant.example.com/failure", NotificationURL: notify,
			Amount: wire.OxAmount{Value: amount, Currency: pending.Currency},
			Source: wire.OxSource{Name: "Sarah", Email: "sarah@example.com", Phone: "12345678"},
		})
		if err != nil {
			return err
		}
		u, err := url.Parse(page.OxpayHppURL)
		if err != nil {
			return fmt.Errorf("parse oxpay_hpp_url: %w", err)
		}
		sessionID = u.Query().Get("session_id")
		if sessionID == "" {
			return fmt.Errorf("oxpay_hpp_url %s has no session_id", page.OxpayHppURL)
		}
		return nil
	})
	s.step("unpaid session", http.StatusOK, nil, func() error {
		sp, err := ox.GetPaymentBySession(ctx, sessionID)
		if err == nil && sp.TransactionID != nil {
			t.Errorf("unpaid session: got transaction_id %q, want null", *sp.TransactionID)
		}
		return err
	})
	var sale wire.PaymentResponse
	s.step("payment", http.StatusOK, nil, func() (err error) {
		sale, err = ox.Payment(ctx, wire.PaymentRequest{
			MerchantID: merchant, TerminalID: terminal, MerchantReferenceID: pending.OrderUID, OxpaySessionID: sessionID,
			SuccessURL: "https://merchant.example.com/success", FailureURL: "https://merchant.example.com/failure",
			NotificationURL: notify, PaymentMethod: wire.PaymentMethod{Brand: "grabpay"},
			Amount: wire.OxAmount{Value: amount, Currency: pending.Currency},
		})
		return err
	})
	s.step("paid session", http.StatusOK, nil, func() error {
		sp, err := ox.GetPaymentBySession(ctx, sessionID)
		if err == nil && (sp.TransactionID == nil || *sp.TransactionID != sale.OxpayTxnID) {
			t.Errorf("paid session: got transaction_id %v, want %s", sp.TransactionID, sale.OxpayTxnID)
		}
		return err
	})
	s.step("paid link", http.StatusOK, nil, func() error {
		l, err := x.GetPaymentLink(ctx, pending.UID)
		if err == nil && (l.Status != wire.LinkPaid || l.PaidAt == nil) {
			t.Errorf("link %s after payment: got status %q, paid_at %v; want paid with paid_at", pending.UID, l.Status, l.PaidAt)
		}
		return err
	})
	s.step("get sale", http.StatusOK, nil, func() error {
		_, _, err := ox.GetTransaction(ctx, sale.OxpayTxnID)
		return err
	})
	var refund wire.RefundResponse
	s.step("partial refund", http.StatusOK, nil, func() (err error) {
		refund, err = ox.Refund(ctx, wire.FollowUpRequest{
			MerchantID: merchant, TerminalID: terminal, OxpayOriginalTxnID: sale.OxpayTxnID,
			MerchantReferenceID: pending.OrderUID + "-R1", NotificationURL: notify,
			Amount: wire.OxAmount{Value: amount / 2, Currency: pending.Currency},
		})
		return err
	})
	s.step("get refund", http.StatusOK, nil, func() error {
		tx, _, err := ox.GetTransaction(ctx, refund.OxpayTxnID)
		if err == nil && (tx.TransactionType != wire.TypeRefund || tx.OxpayOriginalTxnID != sale.OxpayTxnID) {
			t.Errorf("refund %s: got type %q of %q, want REFUND of %s", refund.OxpayTxnID, tx.TransactionType, tx.OxpayOriginalTxnID, sale.OxpayTxnID)
		}
		return err
	})
	qr := func(ref string, value int64, capture *bool, method wire.PaymentMethod) wire.PaymentRequest {
		return wire.PaymentRequest{
			MerchantID: merchant, TerminalID: terminal, MerchantReferenceID: ref,
			SuccessURL: "https://merchant.example.com/success", FailureURL: "https://merchant.example.com/failure",
			NotificationURL: notify, PaymentMethod: method, Amount: wire.OxAmount{Value: value, Currency: "SGD"}, Capture: capture,
		}
	}
	var toVoid wire.PaymentResponse
	s.step("payment to void", http.StatusOK, nil, func() (err error) {
		toVoid, err = ox.Payment(ctx, qr("CONF-VOID-1", 1000, nil, wire.PaymentMethod{Brand: "grabpay"}))
		return err
	})
	s.step("void", http.StatusOK, nil, func() error {
		_, err := ox.Void(ctx, wire.FollowUpRequest{
			MerchantID: merchant, TerminalID: terminal, OxpayOriginalTxnID: toVoid.OxpayTxnID,
			MerchantReferenceID: "CONF-VOID-1-V", NotificationURL: notify, Amount: wire.OxAmount{Value: 1000, Currency: "SGD"},
		})
		return err
	})
	s.step("get voided sale", http.StatusOK, nil, func() error {
		tx, _, err := ox.GetTransaction(ctx, toVoid.OxpayTxnID)
		if err == nil && tx.TransactionState != wire.StateVoided {
			t.Errorf("voided sale: got state %q, want %q", tx.TransactionState, wire.StateVoided)
		}
		return err
	})
	no := false
	var preAuth wire.PaymentResponse
	s.step("pre-authorisation", http.StatusOK, nil, func() (err error) {
		preAuth, err = ox.Payment(ctx, qr("CONF-CAPTURE-1", 1500, &no, wire.PaymentMethod{Brand: "visa",
			Card: &wire.Card{Name: "Sarah", CardNumber: "4111111111111111", ExpiryMonth: "12", ExpiryYear: "2030", CVV: "123"}}))
		return err
	})
	s.step("capture", http.StatusOK, nil, func() error {
		_, err := ox.Capture(ctx, wire.FollowUpRequest{
			MerchantID: merchant, TerminalID: terminal, OxpayOriginalTxnID: preAuth.OxpayTxnID,
			MerchantReferenceID: "CONF-CAPTURE-1-C", NotificationURL: notify, Amount: wire.OxAmount{Value: 1500, Currency: "SGD"},
		})
		return err
	})
	s.step("get captured sale", http.StatusOK, nil, func() error {
		tx, _, err := ox.GetTransaction(ctx, preAuth.OxpayTxnID)
		if err == nil && tx.TransactionState != wire.StateCaptured {
			t.Errorf("captured sale: got state %q, want %q", tx.TransactionState, wire.StateCaptured)
		}
		return err
	})
	// Every seeded transaction, as GET /payment/{id} serves it.
	ids := make([]string, 0, len(data.Transactions))
	for _, tx := range data.Transactions {
		ids = append(ids, tx.OxpayTxnID)
	}
	s.step("every seeded transaction", http.StatusOK, nil, func() error {
		return ox.GetTransactions(ctx, ids, func(id string, _ wire.Transaction, _ json.RawMessage, err error) error {
			return err
		})
	})
	s.step("unknown transaction", http.StatusBadRequest, fetch.ErrRejected, func() error {
		_, _, err := ox.GetTransaction(ctx, "99999999")
		return err
	})
	s.step("unknown session", http.StatusBadRequest, fetch.ErrRejected, func() error {
		_, err := ox.GetPaymentBySession(ctx, strings.Repeat("0", 56))
		return err
	})
	s.step("bad bearer", http.StatusUnauthorized, fetch.ErrUnauthorized, func() error {
		_, _, err := oxWrongKey.GetTransaction(ctx, sale.OxpayTxnID)
		return err
	})
	// The spec documents a body Signature that does not match as a 400
	// Rejected (responses/Rejected, example badSignature); its 401 is for
	// a missing or unknown bearer key.
	s.step("bad body signature", http.StatusBadRequest, fetch.ErrRejected, func() error {
		_, err := oxWrongSign.Payment(ctx, qr("CONF-BADSIG-1", 1000, nil, wire.PaymentMethod{Brand: "grabpay"}))
		return err
	})

	return &conformance{data: data, exchanges: rec.since(0), xepeng: mustValidator(t, specs.Xepeng(), ""),
		oxpay: mustValidator(t, specs.OxPay(), oxpayPath), oxpayBase: oxpayPath}
}

func mustValidator(t *testing.T, spec []byte, basePath string) *specValidator {
	t.Helper()
	v, err := newSpecValidator(spec, basePath)
	if err != nil {
		t.Fatalf("new validator: %v", err)
	}
	return v
}

// payableLink finds a seeded link a new sale naming its order will pay:
// pending, and its order's uid not held by a standing sale (OxPay allows
// a reference once per terminal). Of those it takes the one that expires
// last, or one that never expires.
func payableLink(t *testing.T, data *gen.Dataset) wire.PaymentLink {
	t.Helper()
	held := map[string]bool{}
	for _, tx := range data.Transactions {
		switch tx.TransactionState {
		case wire.StateSuccess, wire.StateAuthorized, wire.StateCaptured:
			held[tx.MerchantReferenceID] = true
		}
	}
	var best *wire.PaymentLink
	for i, l := range data.Links {
		if l.Status != wire.LinkPending || held[l.OrderUID] || held[l.UID] {
			continue
		}
		if l.ExpiredAt == nil {
			return l
		}
		if best == nil || l.ExpiredAt.After(*best.ExpiredAt) {
			best = &data.Links[i]
		}
	}
	if best == nil {
		t.Fatal("the dataset has no pending link without a sale")
	}
	return *best
}

// TestConformance checks that every exchange with the sandbox, through
// the real clients, is what specs/ describes, and that every documented
// operation was exercised with at least one 2xx answer.
func TestConformance(t *testing.T) {
	c := runScenario(t)
	t.Logf("checking %d exchanges (%d xepeng, %d oxpay) and %d webhook deliveries",
		len(c.exchanges), len(c.mine(c.xepeng)), len(c.mine(c.oxpay)), len(c.data.Webhooks))

	t.Run("exchanges", func(t *testing.T) {
		for _, e := range c.exchanges {
			v := c.validatorFor(e)
			problems := v.Check(e.req, e.reqBody, e.resp, e.respBody)
			if e.offSpecRequest {
				var flagged bool
				problems = slices.DeleteFunc(problems, func(p string) bool {
					req := strings.HasPrefix(p, "request:")
					flagged = flagged || req
					return req
				})
				if !flagged {
					t.Errorf("%s: request sent off-spec on purpose, got no request problem, want one", e)
				}
			}
			for _, p := range problems {
				t.Errorf("%s: %s", e, p)
			}
		}
	})

	t.Run("coverage", func(t *testing.T) {
		for _, api := range []struct {
			name string
			v    *specValidator
		}{{"xepeng", c.xepeng}, {"oxpay", c.oxpay}} {
			if len(api.v.Operations()) == 0 {
				t.Errorf("%s: the spec lists no operations", api.name)
			}
			uncovered, unmatched := coverage(api.v, c.mine(api.v))
			for _, e := range unmatched {
				t.Errorf("%s: no %s operation matches the request", e, api.name)
			}
			for _, op := range uncovered {
				t.Errorf("%s %s (%s): no exchange with a 2xx answer", api.name, op, op.ID)
			}
		}
	})

	t.Run("webhooks", func(t *testing.T) {
		if len(c.data.Webhooks) == 0 {
			t.Fatal("the dataset has no webhook deliveries")
		}
		seen := map[string]int{}
		for i, d := range c.data.Webhooks {
			kind, err := webhookKind(d.Payload)
			if err != nil {
				t.Errorf("delivery %d: %v", i, err)
				continue
			}
			seen[kind]++
			h := http.Header{}
			if d.Signature != "" {
				h.Set("Signature", d.Signature)
			}
			problems := c.oxpay.CheckWebhook(kind, h, d.Payload)
			if d.Signature == "" {
				// A forged delivery without a Signature header breaks the
				// spec's required header, and must be seen to.
				want := "header Signature: required, missing"
				if !slices.Contains(problems, want) {
					t.Errorf("delivery %d (%s, no Signature): got problems %q, want %q among them", i, kind, problems, want)
				}
				problems = slices.DeleteFunc(problems, func(p string) bool { return p == want })
			}
			for _, p := range problems {
				t.Errorf("delivery %d (%s webhook, forged %v): %s\n%s", i, kind, d.Forged, p, d.Payload)
			}
		}
		for _, kind := range c.oxpay.Webhooks() {
			if seen[kind] == 0 {
				t.Errorf("webhook %s: no delivery in the dataset to check", kind)
			}
		}
	})

	t.Run("check can fail", func(t *testing.T) {
		testCheckCanFail(t, c)
	})
}

// mine returns the exchanges v judges.
func (c *conformance) mine(v *specValidator) []*exchange {
	var out []*exchange
	for _, e := range c.exchanges {
		if c.validatorFor(e) == v {
			out = append(out, e)
		}
	}
	return out
}

// coverage returns the operations of v that no exchange reached with a
// 2xx answer, and the exchanges that match no operation at all.
func coverage(v *specValidator, exchanges []*exchange) (uncovered []specOperation, unmatched []*exchange) {
	type key struct{ method, path string }
	ok := map[key]bool{}
	for _, e := range exchanges {
		op, found := v.Match(e.req)
		if !found {
			unmatched = append(unmatched, e)
			continue
		}
		if e.resp.StatusCode/100 == 2 {
			ok[key{op.Method, op.Path}] = true
		}
	}
	for _, op := range v.Operations() {
		if !ok[key{op.Method, op.Path}] {
			uncovered = append(uncovered, op)
		}
	}
	return uncovered, unmatched
}

// webhookKind tells a delivery's webhook by its shape: a refund names
// the sale it refunds, a void reports the state voided, anything else is
// a payment.
func webhookKind(payload []byte) (string, error) {
	var p struct {
		Body struct {
			OriginalTxnID    *string `json:"oxpay_original_txn_id"`
			TransactionState string  `json:"transaction_state"`
		} `json:"body"`
	}
	if err := json.Unmarshal(payload, &p); err != nil {
		return "", fmt.Errorf("decode payload: %w", err)
	}
	switch {
	case p.Body.OriginalTxnID != nil:
		return "refund", nil
	case p.Body.TransactionState == wire.StateVoided:
		return "void", nil
	}
	return "payment", nil
}

// mutate changes decoded JSON at a dotted path: set to val, or rename
// the last key to newKey when newKey is not empty, or delete it when del.
func mutate(t *testing.T, raw []byte, path string, val any, newKey string, del bool) []byte {
	t.Helper()
	var doc any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("decode: %v", err)
	}
	keys := strings.Split(path, ".")
	node := doc
	for i, k := range keys {
		obj, ok := node.(map[string]any)
		if !ok {
			t.Fatalf("path %s: %q is inside a %T", path, k, node)
		}
		cur, ok := obj[k]
		if !ok {
			t.Fatalf("path %s: no key %q in %s", path, k, raw)
		}
		if i < len(keys)-1 {
			node = cur
			continue
		}
		switch {
		case newKey != "":
			delete(obj, k)
			obj[newKey] = cur
		case del:
			delete(obj, k)
		default:
			obj[k] = val
		}
	}
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatalf("encode: %v", err)
	}
	return out
}

// testCheckCanFail breaks copies of real, valid recorded bodies and
// expects the validator to object to each.
func testCheckCanFail(t *testing.T, c *conformance) {
	find := func(t *testing.T, step string) *exchange {
		t.Helper()
		for _, e := range c.exchanges {
			if e.step == step {
				return e
			}
		}
		t.Fatalf("no exchange recorded for step %q", step)
		return nil
	}
	tests := []struct {
		name     string
		step     string
		request  bool // break the request body rather than the response's
		path     string
		val      any
		rename   string
		del      bool
		wantSide string
	}{
		{name: "order uid renamed id", step: "create order", path: "data.uid", rename: "id", wantSide: "response"},
		{name: "total_amount as a string", step: "get order", path: "data.total_amount", val: "75000", wantSide: "response"},
		{name: "unknown order status", step: "activate order", path: "data.status", val: "shipped", wantSide: "response"},
		{name: "paid_at missing", step: "generate link", path: "data.paid_at", del: true, wantSide: "response"},
		{name: "payment_url not a uri", step: "get link", path: "data.payment_url", val: "not a url", wantSide: "response"},
		{name: "pagination missing", step: "list orders page 1", path: "data.pagination", del: true, wantSide: "response"},
		{name: "unknown error code", step: "unknown order", path: "data.code", val: "GONE", wantSide: "response"},
		{name: "gateway time as RFC 3339", step: "get sale", path: "headers.gateway_response_datetime", val: "2026-11-05T10:00:00Z", wantSide: "response"},
		{name: "unknown transaction state", step: "get refund", path: "body.transaction_state", val: "done", wantSide: "response"},
		{name: "refund_amount missing", step: "partial refund", path: "body.refund_amount", del: true, wantSide: "response"},
		{name: "flat session transaction_id missing", step: "unpaid session", path: "transaction_id", del: true, wantSide: "response"},
		{name: "status_code 4 on an error", step: "unknown transaction", path: "headers.status_code", val: 4, wantSide: "response"},
		{name: "short merchant_id in request", step: "payment page", request: true, path: "merchant_id", val: "12345", wantSide: "request"},
		{name: "order item without name in request", step: "create order", request: true, path: "items", val: []any{map[string]any{"amount": 1}}, wantSide: "request"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := find(t, tc.step)
			v := c.validatorFor(e)
			if p := v.Check(e.req, e.reqBody, e.resp, e.respBody); len(p) > 0 {
				t.Fatalf("%s: the original should pass, got %q", e, p)
			}
			reqBody, respBody := e.reqBody, e.respBody
			if tc.request {
				reqBody = mutate(t, reqBody, tc.path, tc.val, tc.rename, tc.del)
			} else {
				respBody = mutate(t, respBody, tc.path, tc.val, tc.rename, tc.del)
			}
			problems := v.Check(e.req, reqBody, e.resp, respBody)
			if len(problems) == 0 {
				t.Fatalf("%s with %s broken: got no problem, want one", e, tc.path)
			}
			for _, p := range problems {
				if !strings.HasPrefix(p, tc.wantSide+":") {
					t.Errorf("got problem %q, want only %s problems", p, tc.wantSide)
				}
			}
		})
	}

	t.Run("undocumented status", func(t *testing.T) {
		e := find(t, "get order")
		resp := *e.resp
		resp.StatusCode, resp.Status = http.StatusTeapot, "418 I'm a teapot"
		if p := c.xepeng.Check(e.req, e.reqBody, &resp, e.respBody); len(p) == 0 {
			t.Errorf("%s answered 418: got no problem, want one", e)
		}
	})

	t.Run("missing credentials", func(t *testing.T) {
		for _, tc := range []struct{ step, header string }{
			{"get order", "X-Signature"},
			{"create order", "X-Client-ID"},
			{"get sale", "Authorization"},
		} {
			e := find(t, tc.step)
			v := c.validatorFor(e)
			req := e.req.Clone(context.Background())
			req.Header.Del(tc.header)
			problems := v.Check(req, e.reqBody, e.resp, e.respBody)
			if !slices.ContainsFunc(problems, func(p string) bool { return strings.HasPrefix(p, "request:") }) {
				t.Errorf("%s without %s: got problems %q, want a request problem", e, tc.header, problems)
			}
		}
	})

	t.Run("operation without coverage", func(t *testing.T) {
		const extra = `  /settlements:
    get:
      operationId: listSettlements
      summary: List settlements
      tags: [Retrieve payments]
      responses:
        '200':
          description: A page of settlements.
`
		spec := string(specs.OxPay())
		if !strings.Contains(spec, "\nwebhooks:\n") {
			t.Fatal("the OxPay spec has no top-level webhooks key to insert a path before")
		}
		spec = strings.Replace(spec, "\nwebhooks:\n", "\n"+extra+"webhooks:\n", 1)
		v := mustValidator(t, []byte(spec), c.oxpayBase)
		uncovered, unmatched := coverage(v, c.mine(c.oxpay))
		want := []specOperation{{Method: "GET", Path: "/settlements", ID: "listSettlements"}}
		if diff := cmp.Diff(want, uncovered); diff != "" {
			t.Errorf("uncovered operations (-want +got):\n%s", diff)
		}
		if len(unmatched) != 0 {
			t.Errorf("got %d unmatched exchanges, want none", len(unmatched))
		}
	})

	t.Run("webhook", func(t *testing.T) {
		var refund []byte
		for _, d := range c.data.Webhooks {
			if k, _ := webhookKind(d.Payload); k == "refund" && d.Signature != "" {
				refund = d.Payload
				break
			}
		}
		if refund == nil {
			t.Fatal("no signed refund delivery in the dataset")
		}
		sig := http.Header{"Signature": {strings.Repeat("ab", 32)}}
		if p := c.oxpay.CheckWebhook("refund", sig, refund); len(p) > 0 {
			t.Fatalf("the original refund payload should pass, got %q", p)
		}
		for _, tc := range []struct {
			name    string
			header  http.Header
			payload []byte
		}{
			{"refund_amount missing", sig, mutate(t, refund, "body.refund_amount", nil, "", true)},
			{"amount as a string", sig, mutate(t, refund, "body.transaction_amount", "200", "", false)},
			{"signature not hex", http.Header{"Signature": {"not-a-signature"}}, refund},
		} {
			if p := c.oxpay.CheckWebhook("refund", tc.header, tc.payload); len(p) == 0 {
				t.Errorf("%s: got no problem, want one", tc.name)
			}
		}
	})
}
