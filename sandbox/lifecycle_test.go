package sandbox

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/reconkit/reconkit/sandbox/gen"
	"github.com/reconkit/reconkit/wire"
)

func ptr[T any](v T) *T { return &v }

// TestLifecycle walks one order from creation to a fully refunded payment.
func TestLifecycle(t *testing.T) {
	e := newEnv(t, nil)

	items := []wire.OrderItem{
		{Amount: 50000, ProductName: "Kemeja Flanel", ProductDescription: "size M"},
		{Amount: 25000, ProductName: "Kaos", Notes: "gift wrap"},
	}
	created := data[wire.Order](t, e.xepeng("POST", "/openapi/orders", wire.CreateOrderRequest{Items: items}), http.StatusCreated)
	want := wire.Order{UID: "ORD-SBX-000001", Status: wire.OrderPending, Currency: "IDR", TotalAmount: 75000, Items: items, CreatedAt: t0, UpdatedAt: t0}
	if d := cmp.Diff(want, created, ignoreReceived); d != "" {
		t.Fatalf("created order (-want +got):\n%s", d)
	}

	e.clock.Add(time.Minute)
	activated := data[wire.Order](t, e.xepeng("PUT", "/openapi/orders/"+created.UID, wire.UpdateOrderRequest{Status: wire.OrderActive}), http.StatusOK)
	want.Status, want.UpdatedAt = wire.OrderActive, t0.Add(time.Minute)
	if d := cmp.Diff(want, activated, ignoreReceived); d != "" {
		t.Fatalf("activated order (-want +got):\n%s", d)
	}
	if d := cmp.Diff(want, data[wire.Order](t, e.xepeng("GET", "/openapi/orders/"+created.UID, nil), http.StatusOK), ignoreReceived); d != "" {
		t.Fatalf("fetched order (-want +got):\n%s", d)
	}

	expiry := t0.Add(24 * time.Hour)
	link := data[wire.PaymentLink](t, e.xepeng("POST", "/openapi/payment-links/generate", wire.GeneratePaymentLinkRequest{
		OrderUID: created.UID, ExpiredAt: expiry.Format(time.RFC3339), SuccessURL: "https://merchant.example/ok",
	}), http.StatusCreated)
	wantLink := wire.PaymentLink{
		UID: "PL-SBX-000001", OrderUID: created.UID, Status: wire.LinkPending,
		PaymentURL: e.url + "/pay/PL-SBX-000001", Amount: 75000, Currency: "IDR",
		ExpiredAt: &expiry, CreatedAt: t0.Add(time.Minute), UpdatedAt: t0.Add(time.Minute),
	}
	if d := cmp.Diff(wantLink, link, ignoreReceived); d != "" {
		t.Fatalf("generated link (-want +got):\n%s", d)
	}
	if page := e.do(mustGet(t, link.PaymentURL)); page.status != http.StatusOK || !strings.Contains(string(page.body), link.UID) {
		t.Fatalf("payment_url page: got %d %s, want 200 naming the link", page.status, page.body)
	}

	// The payer pays through OxPay with the order uid as reference.
	e.clock.Add(time.Minute)
	paid := oxOKBody[wire.PaymentResponse](t, e.oxpay("POST", "/oxpay/payment", e.payment(created.UID, 7500000, "IDR")))
	if d := cmp.Diff(wire.PaymentResponse{PaymentBrand: "grabpay", OxpayTxnID: "10000001", MerchantReferenceID: created.UID}, paid); d != "" {
		t.Fatalf("payment (-want +got):\n%s", d)
	}
	wantLink.Status, wantLink.PaidAt, wantLink.UpdatedAt = wire.LinkPaid, ptr(t0.Add(2*time.Minute)), t0.Add(2*time.Minute)
	if d := cmp.Diff(wantLink, data[wire.PaymentLink](t, e.xepeng("GET", "/openapi/payment-links/"+link.UID, nil), http.StatusOK), ignoreReceived); d != "" {
		t.Fatalf("link after payment (-want +got):\n%s", d)
	}
	sale := oxOKBody[wire.Transaction](t, e.oxpay("GET", "/oxpay/payment/10000001", nil))
	wantSale := wire.Transaction{
		OxpayTxnID: "10000001", MerchantReferenceID: created.UID, HostTxnID: sale.HostTxnID,
		TransactionType: wire.TypeSale, TransactionState: wire.StateSuccess, PaymentBrand: "grabpay",
		TransactionAmount: 7500000, TransactionCurrency: "IDR",
	}
	if d := cmp.Diff(wantSale, sale, ignoreReceived); d != "" {
		t.Fatalf("sale (-want +got):\n%s", d)
	}
	if len(sale.HostTxnID) != 32 || strings.Trim(sale.HostTxnID, "0123456789abcdef") != "" {
		t.Fatalf("got host_txn_id %q, want 32 lowercase hex characters", sale.HostTxnID)
	}

	// The reference is taken while the sale stands.
	if desc := oxRejected(t, e.oxpay("POST", "/oxpay/payment", e.payment(created.UID, 100, "IDR")), http.StatusBadRequest); !strings.Contains(desc, "merchant_reference_id") {
		t.Fatalf("got %q, want a duplicate reference rejection", desc)
	}

	refunds := []struct {
		value  int64
		wantID string
	}{{3000000, "10000002"}, {4500000, "10000003"}}
	for _, rf := range refunds {
		got := oxOKBody[wire.RefundResponse](t, e.oxpay("POST", "/oxpay/refund", e.followUp("10000001", created.UID, rf.value, "IDR")))
		if d := cmp.Diff(wire.RefundResponse{OxpayTxnID: rf.wantID, MerchantReferenceID: created.UID, PaymentBrand: "grabpay", RefundAmount: rf.value}, got); d != "" {
			t.Fatalf("refund of %d (-want +got):\n%s", rf.value, d)
		}
		txn := oxOKBody[wire.Transaction](t, e.oxpay("GET", "/oxpay/payment/"+rf.wantID, nil))
		wantTxn := wire.Transaction{
			OxpayTxnID: rf.wantID, OxpayOriginalTxnID: "10000001", MerchantReferenceID: created.UID, HostTxnID: txn.HostTxnID,
			TransactionType: wire.TypeRefund, TransactionState: wire.StateRefunded, PaymentBrand: "grabpay",
			TransactionAmount: 7500000, RefundAmount: rf.value, TransactionCurrency: "IDR",
		}
		if d := cmp.Diff(wantTxn, txn, ignoreReceived); d != "" {
			t.Fatalf("refund transaction (-want +got):\n%s", d)
		}
	}
	if desc := oxRejected(t, e.oxpay("POST", "/oxpay/refund", e.followUp("10000001", created.UID, 1, "IDR")), http.StatusBadRequest); !strings.Contains(desc, "refundable amount of 0") {
		t.Fatalf("got %q, want the refundable amount exhausted", desc)
	}
	if got := oxOKBody[wire.Transaction](t, e.oxpay("GET", "/oxpay/payment/10000001", nil)); got.TransactionState != wire.StateSuccess {
		t.Fatalf("got sale state %q after refunds, want success (refunds are transactions of their own)", got.TransactionState)
	}
	// A fully refunded sale cannot be voided.
	oxRejected(t, e.oxpay("POST", "/oxpay/void", e.followUp("10000001", created.UID, 7500000, "IDR")), http.StatusBadRequest)
}

func mustGet(t *testing.T, url string) *http.Request {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func TestVoid(t *testing.T) {
	e := newEnv(t, nil)
	sale := oxOKBody[wire.PaymentResponse](t, e.oxpay("POST", "/oxpay/payment", e.payment("VOID-1", 2000, "SGD")))

	// Wrong amount and wrong currency are rejected and change nothing.
	oxRejected(t, e.oxpay("POST", "/oxpay/void", e.followUp(sale.OxpayTxnID, "VOID-1", 1999, "SGD")), http.StatusBadRequest)
	oxRejected(t, e.oxpay("POST", "/oxpay/void", e.followUp(sale.OxpayTxnID, "VOID-1", 2000, "MYR")), http.StatusBadRequest)

	got := oxOKBody[wire.VoidResponse](t, e.oxpay("POST", "/oxpay/void", e.followUp(sale.OxpayTxnID, "VOID-1", 2000, "SGD")))
	if d := cmp.Diff(wire.VoidResponse{OxpayTxnID: sale.OxpayTxnID, MerchantReferenceID: "VOID-1", PaymentBrand: "grabpay"}, got); d != "" {
		t.Fatalf("void (-want +got):\n%s", d)
	}
	if txn := oxOKBody[wire.Transaction](t, e.oxpay("GET", "/oxpay/payment/"+sale.OxpayTxnID, nil)); txn.TransactionState != wire.StateVoided {
		t.Fatalf("got state %q, want voided (a void keeps the sale's id)", txn.TransactionState)
	}
	if desc := oxRejected(t, e.oxpay("POST", "/oxpay/refund", e.followUp(sale.OxpayTxnID, "VOID-1", 100, "SGD")), http.StatusBadRequest); !strings.Contains(desc, "voided") {
		t.Fatalf("got %q, want a refund of a voided sale rejected", desc)
	}
	oxRejected(t, e.oxpay("POST", "/oxpay/void", e.followUp(sale.OxpayTxnID, "VOID-1", 2000, "SGD")), http.StatusBadRequest)
	// No transaction was created by the void: the next sale takes the next id,
	// and the voided sale's reference is free again.
	again := oxOKBody[wire.PaymentResponse](t, e.oxpay("POST", "/oxpay/payment", e.payment("VOID-1", 2000, "SGD")))
	if again.OxpayTxnID != "10000002" {
		t.Fatalf("got id %s, want 10000002", again.OxpayTxnID)
	}
}

// TestVoidOwnID: in own-id style a void is a VOID transaction of its own
// that names the sale, as OxPay's document describes it.
func TestVoidOwnID(t *testing.T) {
	e := newEnv(t, nil, func(c *Config) { c.VoidStyle = gen.VoidOwnID })
	sale := oxOKBody[wire.PaymentResponse](t, e.oxpay("POST", "/oxpay/payment", e.payment("VOID-1", 2000, "SGD")))
	oxRejected(t, e.oxpay("POST", "/oxpay/void", e.followUp(sale.OxpayTxnID, "VOID-1", 1999, "SGD")), http.StatusBadRequest)

	got := oxOKBody[wire.VoidResponse](t, e.oxpay("POST", "/oxpay/void", e.followUp(sale.OxpayTxnID, "VOID-1", 2000, "SGD")))
	want := wire.VoidResponse{OxpayTxnID: "10000002", OxpayOriginalTxnID: sale.OxpayTxnID, MerchantReferenceID: "VOID-1", PaymentBrand: "grabpay"}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("void (-want +got):\n%s", d)
	}
	if txn := oxOKBody[wire.Transaction](t, e.oxpay("GET", "/oxpay/payment/"+sale.OxpayTxnID, nil)); txn.TransactionState != wire.StateVoided {
		t.Fatalf("sale: got state %q, want voided", txn.TransactionState)
	}
	void := oxOKBody[wire.Transaction](t, e.oxpay("GET", "/oxpay/payment/"+got.OxpayTxnID, nil))
	if void.TransactionType != wire.TypeVoid || void.TransactionState != wire.StateVoided || void.OxpayOriginalTxnID != sale.OxpayTxnID ||
		void.TransactionAmount != 2000 || void.TransactionCurrency != "SGD" || void.MerchantReferenceID != "VOID-1" {
		t.Fatalf("void transaction %+v", void)
	}
	// Neither the sale again nor the void can be voided.
	oxRejected(t, e.oxpay("POST", "/oxpay/void", e.followUp(sale.OxpayTxnID, "VOID-1", 2000, "SGD")), http.StatusBadRequest)
	oxRejected(t, e.oxpay("POST", "/oxpay/void", e.followUp(got.OxpayTxnID, "VOID-1", 2000, "SGD")), http.StatusBadRequest)
	again := oxOKBody[wire.PaymentResponse](t, e.oxpay("POST", "/oxpay/payment", e.payment("VOID-1", 2000, "SGD")))
	if again.OxpayTxnID != "10000003" {
		t.Fatalf("got id %s, want 10000003", again.OxpayTxnID)
	}
}

// TestVoidStyleFollowsTheDataset: a server seeded with an own-id world
// voids in own-id style unless told otherwise.
func TestVoidStyleFollowsTheDataset(t *testing.T) {
	data, err := gen.Generate(gen.Options{Seed: 1, Orders: 5, VoidStyle: gen.VoidOwnID})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		style gen.VoidStyle
		want  gen.VoidStyle
	}{{"", gen.VoidOwnID}, {gen.VoidSameID, gen.VoidSameID}} {
		if got := New(Config{VoidStyle: tc.style}, data).cfg.VoidStyle; got != tc.want {
			t.Errorf("Config.VoidStyle %q over an own-id world: got %q, want %q", tc.style, got, tc.want)
		}
	}
	if got := New(Config{}, nil).cfg.VoidStyle; got != gen.VoidSameID {
		t.Errorf("no dataset: got %q, want %q", got, gen.VoidSameID)
	}
}

func TestCapture(t *testing.T) {
	e := newEnv(t, nil)
	o := e.activeOrder(40000)
	link := data[wire.PaymentLink](t, e.xepeng("POST", "/openapi/payment-links/generate", wire.GeneratePaymentLinkRequest{OrderUID: o.UID}), http.StatusCreated)

	req := e.payment(link.UID, 4000000, "IDR")
	req.PaymentMethod = wire.PaymentMethod{Card: &wire.Card{Name: "Sarah", CardNumber: "4111111111111111", ExpiryMonth: "12", ExpiryYear: "2030", CVV: "123"}}
	req.Capture = ptr(false)
	auth := oxOKBody[wire.PaymentResponse](t, e.oxpay("POST", "/oxpay/payment", req))
	if auth.PaymentBrand != "visa" {
		t.Fatalf("got brand %q, want visa", auth.PaymentBrand)
	}
	if txn := oxOKBody[wire.Transaction](t, e.oxpay("GET", "/oxpay/payment/"+auth.OxpayTxnID, nil)); txn.TransactionState != wire.StateAuthorized {
		t.Fatalf("got state %q, want authorized", txn.TransactionState)
	}
	if l := data[wire.PaymentLink](t, e.xepeng("GET", "/openapi/payment-links/"+link.UID, nil), http.StatusOK); l.Status != wire.LinkPending {
		t.Fatalf("got link %s before capture, want pending", l.Status)
	}
	// An authorized sale cannot be refunded yet.
	oxRejected(t, e.oxpay("POST", "/oxpay/refund", e.followUp(auth.OxpayTxnID, link.UID, 100, "IDR")), http.StatusBadRequest)

	e.clock.Add(time.Minute)
	got := oxOKBody[wire.PaymentResponse](t, e.oxpay("POST", "/oxpay/capture", e.followUp(auth.OxpayTxnID, link.UID, 4000000, "IDR")))
	if d := cmp.Diff(wire.PaymentResponse{PaymentBrand: "visa", OxpayTxnID: auth.OxpayTxnID, MerchantReferenceID: link.UID}, got); d != "" {
		t.Fatalf("capture (-want +got):\n%s", d)
	}
	if txn := oxOKBody[wire.Transaction](t, e.oxpay("GET", "/oxpay/payment/"+auth.OxpayTxnID, nil)); txn.TransactionState != wire.StateCaptured {
		t.Fatalf("got state %q, want captured", txn.TransactionState)
	}
	l := data[wire.PaymentLink](t, e.xepeng("GET", "/openapi/payment-links/"+link.UID, nil), http.StatusOK)
	if l.Status != wire.LinkPaid || l.PaidAt == nil || !l.PaidAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("got link %s paid_at %v after capture, want paid at %v", l.Status, l.PaidAt, t0.Add(time.Minute))
	}
	oxRejected(t, e.oxpay("POST", "/oxpay/capture", e.followUp(auth.OxpayTxnID, link.UID, 4000000, "IDR")), http.StatusBadRequest)
	oxOKBody[wire.RefundResponse](t, e.oxpay("POST", "/oxpay/refund", e.followUp(auth.OxpayTxnID, link.UID, 4000000, "IDR")))
}

// TestLinkPayment checks which link a payment pays.
func TestLinkPayment(t *testing.T) {
	past, future := t0.Add(-time.Hour), t0.Add(time.Hour)
	ds := &gen.Dataset{
		Orders: []wire.Order{
			{UID: "O-1", Status: wire.OrderActive, Currency: "IDR", TotalAmount: 10, CreatedAt: t0, UpdatedAt: t0},
			{UID: "O-2", Status: wire.OrderActive, Currency: "IDR", TotalAmount: 10, CreatedAt: t0, UpdatedAt: t0},
			{UID: "O-3", Status: wire.OrderActive, Currency: "IDR", TotalAmount: 10, CreatedAt: t0, UpdatedAt: t0},
		},
		Links: []wire.PaymentLink{
			{UID: "L-1a", OrderUID: "O-1", Status: wire.LinkInactive, Amount: 10, Currency: "IDR", CreatedAt: t0.Add(-2 * time.Hour)},
			{UID: "L-1b", OrderUID: "O-1", Status: wire.LinkPending, Amount: 10, Currency: "IDR", CreatedAt: t0.Add(-time.Hour)},
			{UID: "L-2", OrderUID: "O-2", Status: wire.LinkPending, Amount: 10, Currency: "IDR", ExpiredAt: &past, CreatedAt: t0.Add(-2 * time.Hour)},
			{UID: "L-3", OrderUID: "O-3", Status: wire.LinkPending, Amount: 10, Currency: "IDR", ExpiredAt: &future, CreatedAt: t0.Add(-time.Hour)},
		},
	}
	tests := []struct {
		name, ref string
		want      map[string]string // link uid → status after the payment
	}{
		{"order uid pays its pending link", "O-1", map[string]string{"L-1a": wire.LinkInactive, "L-1b": wire.LinkPaid}},
		{"an expired link stays as it is", "O-2", map[string]string{"L-2": wire.LinkPending}},
		{"link uid pays that link", "L-3", map[string]string{"L-3": wire.LinkPaid}},
		{"an unknown reference pays nothing", "NOPE", map[string]string{"L-1b": wire.LinkPending, "L-3": wire.LinkPending}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, ds)
			oxOKBody[wire.PaymentResponse](t, e.oxpay("POST", "/oxpay/payment", e.payment(tc.ref, 1000, "IDR")))
			for uid, want := range tc.want {
				if got := data[wire.PaymentLink](t, e.xepeng("GET", "/openapi/payment-links/"+uid, nil), http.StatusOK).Status; got != want {
					t.Errorf("link %s: got %s, want %s", uid, got, want)
				}
			}
		})
	}
	// The dataset itself is never changed by the server.
	if ds.Links[1].Status != wire.LinkPending {
		t.Fatalf("got dataset link status %s, want pending", ds.Links[1].Status)
	}
}

// TestSeededTransactions checks follow-ups against generated history.
func TestSeededTransactions(t *testing.T) {
	ds := &gen.Dataset{Transactions: []wire.Transaction{
		// The refund is listed before its sale on purpose.
		{OxpayTxnID: "20000005", OxpayOriginalTxnID: "20000001", MerchantReferenceID: "R-1", TransactionState: wire.StateRefunded, TransactionAmount: 1000, RefundAmount: 600, TransactionCurrency: "SGD", PaymentBrand: "paynow"},
		{OxpayTxnID: "20000001", MerchantReferenceID: "R-1", TransactionState: wire.StateSuccess, TransactionAmount: 1000, TransactionCurrency: "SGD", PaymentBrand: "paynow"},
		{OxpayTxnID: "20000002", MerchantReferenceID: "R-2", TransactionType: wire.TypeSale, TransactionState: wire.StateVoided, TransactionAmount: 500, TransactionCurrency: "SGD", PaymentBrand: "paynow"},
		{OxpayTxnID: "9", MerchantReferenceID: "R-3", TransactionType: wire.TypeSale, TransactionState: wire.StateSuccess, TransactionAmount: 500, TransactionCurrency: "SGD", PaymentBrand: "paynow"},
	}}
	e := newEnv(t, ds)
	if desc := oxRejected(t, e.oxpay("POST", "/oxpay/refund", e.followUp("20000001", "R-1", 500, "SGD")), http.StatusBadRequest); !strings.Contains(desc, "refundable amount of 400") {
		t.Fatalf("got %q, want 400 left to refund", desc)
	}
	got := oxOKBody[wire.RefundResponse](t, e.oxpay("POST", "/oxpay/refund", e.followUp("20000001", "R-1", 400, "SGD")))
	if got.OxpayTxnID != "20000006" {
		t.Fatalf("got id %s, want 20000006 (after the dataset's highest)", got.OxpayTxnID)
	}
	oxRejected(t, e.oxpay("POST", "/oxpay/refund", e.followUp("20000002", "R-2", 100, "SGD")), http.StatusBadRequest)
	oxRejected(t, e.oxpay("POST", "/oxpay/refund", e.followUp("20000005", "R-1", 100, "SGD")), http.StatusBadRequest)
	// A voided sale's reference is free; a standing one is not.
	oxOKBody[wire.PaymentResponse](t, e.oxpay("POST", "/oxpay/payment", e.payment("R-2", 100, "SGD")))
	oxRejected(t, e.oxpay("POST", "/oxpay/payment", e.payment("R-3", 100, "SGD")), http.StatusBadRequest)
}
