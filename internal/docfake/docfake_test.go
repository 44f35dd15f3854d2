package docfake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The two worked examples of the Xepeng facts (from the Node package).
func TestXepengSignVectors(t *testing.T) {
	tests := []struct {
		name, method, path, body, want string
	}{
		{"post", "POST", "/openapi/orders", `{"items":[{"amount":50000,"product_name":"Kemeja Flanel"}]}`,
			"84c265c935d932e5f01da4eef080cd5ed52809867da227d15cb4fd2eaa376ba0"},
		{"get", "GET", "/openapi/orders", "", "ca9f5afda153be2df0d3b6ea4a1190f1f64d2820c3d6812c2ba226ab94175b07"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := xepengSign("test_secret", tc.method, tc.path, "1700000000", []byte(tc.body)); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func TestGenerateIsDeterministic(t *testing.T) {
	a, b := Generate(Options{Seed: 7}), Generate(Options{Seed: 7})
	var ka, kb bytes.Buffer
	a.WriteKey(&ka)
	b.WriteKey(&kb)
	if ka.String() != kb.String() {
		t.Fatal("the same seed gave two answer keys")
	}
	if len(a.Deliveries) != len(b.Deliveries) {
		t.Fatalf("got %d and %d deliveries", len(a.Deliveries), len(b.Deliveries))
	}
	for i := range a.Deliveries {
		if !bytes.Equal(a.Deliveries[i].Payload, b.Deliveries[i].Payload) {
			t.Fatalf("delivery %d differs", i)
		}
	}
	if c := Generate(Options{Seed: 8}); c.Orders[0].UID == a.Orders[0].UID {
		t.Error("another seed gave the same first order")
	}
}

// TestWorldIsHonest checks the world against README's rules with an
// independent, simple reading: what is not planted must be clean.
func TestWorldIsHonest(t *testing.T) {
	w := Generate(Options{Seed: 1})
	planted := map[string]map[string]bool{} // category -> ref -> planted
	for _, a := range w.Key {
		if planted[a.Category] == nil {
			planted[a.Category] = map[string]bool{}
		}
		for _, r := range a.Refs {
			planted[a.Category][r] = true
		}
	}
	any := func(id string, cats ...string) bool {
		for _, c := range cats {
			if planted[c][id] {
				return true
			}
		}
		return false
	}
	if n := len(w.Key); n < 30 || n > 45 {
		t.Errorf("got %d planted anomalies, want 30..45", n)
	}
	if n := len(w.Orders); n < 100 || n > 200 {
		t.Errorf("got %d orders, want 100..200", n)
	}

	// Every delivery that claims a signature either verifies or is planted.
	first := map[string]time.Time{}
	for _, d := range w.Deliveries {
		var p struct {
			Body struct {
				ID string `json:"oxpay_txn_id"`
			} `json:"body"`
		}
		if err := json.Unmarshal(d.Payload, &p); err != nil {
			t.Fatal(err)
		}
		ok := !d.NoSignature && oxpaySign(SignKey, d.Payload) == d.Signature
		if !ok && !any(p.Body.ID, "WEBHOOK_BAD_SIGNATURE") {
			t.Errorf("delivery for %s does not verify and is not planted", p.Body.ID)
		}
		if ok {
			if f, seen := first[p.Body.ID]; !seen || d.ReceivedAt.Before(f) {
				first[p.Body.ID] = d.ReceivedAt
			}
		}
	}
	// Every gateway transaction has a signed webhook unless planted.
	for _, tx := range w.Txns {
		if _, ok := first[tx.ID]; !ok && !any(tx.ID, "WEBHOOK_MISSING") {
			t.Errorf("txn %s has no signed webhook and is not planted WEBHOOK_MISSING", tx.ID)
		}
	}
	// Every settled sale and every refund has exactly one ledger line in
	// its window, unless planted.
	voided := map[string]bool{}
	for _, tx := range w.Txns {
		if tx.Type == Void {
			voided[tx.OriginalID] = true
		}
	}
	linkOf := map[string]*PaymentLink{}
	for _, l := range w.Links {
		linkOf[l.OrderUID] = l
	}
	for _, tx := range w.Txns {
		settles := (tx.Type == Sale && tx.State == "success" && !voided[tx.ID]) || tx.Type == Refund
		var in, out int
		for _, l := range w.Ledger {
			if l.Reference != tx.ID && !(tx.Type == Sale && l.Reference == tx.MerchantRef) {
				continue
			}
			at, ok := first[tx.ID]
			if !ok {
				if l := linkOf[tx.MerchantRef]; l != nil {
					at = l.PaidAt
				}
			}
			lo, hi := Window(at)
			if l.Date.Before(lo) || l.Date.After(hi) {
				out++
			} else {
				in++
			}
		}
		switch {
		case settles && in == 0 && !any(tx.ID, "LEDGER_MISSING"):
			t.Errorf("%s %s settles but has no ledger line in its window and is not planted", tx.Type, tx.ID)
		case in > 1 && !any(tx.ID, "LEDGER_DUPLICATE"):
			t.Errorf("%s %s has %d ledger lines and is not planted", tx.Type, tx.ID, in)
		case !settles && in+out > 0 && !any(tx.ID, "LEDGER_UNMATCHED", "STATUS_MISMATCH"):
			t.Errorf("%s %s (%s) does not settle but is booked", tx.Type, tx.ID, tx.State)
		case out > 0 && !any(tx.ID, "LEDGER_UNMATCHED"):
			t.Errorf("%s %s is booked outside its window and not planted", tx.Type, tx.ID)
		}
	}
	// Every paid link has a settled sale; every settled sale's link is paid.
	for _, l := range w.Links {
		var sales []*Txn
		for _, tx := range w.Txns {
			if tx.Type == Sale && tx.MerchantRef == l.OrderUID && tx.State == "success" {
				sales = append(sales, tx)
			}
		}
		switch {
		case l.Status == "paid" && len(sales) == 0 && !any(l.OrderUID, "ORDER_PAID_NO_TRANSACTION", "STATUS_MISMATCH"):
			t.Errorf("link %s paid with no sale, not planted", l.UID)
		case l.Status != "paid" && l.Status != "cancelled" && len(sales) > 0 && !any(l.OrderUID, "STATUS_MISMATCH"):
			t.Errorf("link %s %s with a sale, not planted", l.UID, l.Status)
		case len(sales) > 1 && !any(l.OrderUID, "DUPLICATE_PAYMENT"):
			t.Errorf("order %s has %d sales, not planted", l.OrderUID, len(sales))
		}
	}
	// Every window has closed by the run date.
	for id, at := range first {
		if _, hi := Window(at); !hi.Before(w.RunDate) {
			t.Errorf("txn %s's window ends %s, not before the run date %s", id, hi.Format(time.DateOnly), w.RunDate.Format(time.DateOnly))
		}
	}
	// The three total fields are all used by paid orders.
	fields := map[string]int{}
	for _, o := range w.Orders {
		fields[o.TotalField]++
	}
	for _, f := range []string{TotalAmount, TotalAmt, TotalItems} {
		if fields[f] < 10 {
			t.Errorf("only %d orders with the total under %q", fields[f], f)
		}
	}
	if fields[TotalNone] != 1 {
		t.Errorf("got %d orders with no total, want 1", fields[TotalNone])
	}
}

func TestWindow(t *testing.T) {
	tests := []struct {
		name        string
		at          time.Time
		first, last string
	}{
		{"thursday afternoon rolls past the weekend", time.Date(2026, 11, 19, 15, 0, 0, 0, wib), "2026-11-19", "2026-11-23"},
		{"logged 00:00:25 counts from the day before", time.Date(2026, 11, 20, 0, 0, 25, 0, wib), "2026-11-19", "2026-11-23"},
		{"tuesday needs no roll", time.Date(2026, 11, 17, 12, 0, 0, 0, wib), "2026-11-17", "2026-11-20"},
		{"utc evening is the next WIB day", time.Date(2026, 11, 18, 18, 0, 0, 0, time.UTC), "2026-11-19", "2026-11-23"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, l := Window(tc.at)
			if f.Format(time.DateOnly) != tc.first || l.Format(time.DateOnly) != tc.last {
				t.Errorf("got %s..%s, want %s..%s", f.Format(time.DateOnly), l.Format(time.DateOnly), tc.first, tc.last)
			}
		})
	}
}

func TestMoney(t *testing.T) {
	for minor, want := range map[int64]string{125000000: "1.250.000,00", -650000: "-6.500,00", 1250: "12,50", 5: "0,05", 100000: "1.000,00"} {
		if got := money(minor); got != want {
			t.Errorf("money(%d): got %s, want %s", minor, got, want)
		}
	}
}

func signedGet(t *testing.T, url, path string, secret string, at time.Time) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("GET", url+path, nil)
	ts := strconv.FormatInt(at.Unix(), 10)
	p := strings.SplitN(path, "?", 2)[0]
	req.Header.Set("X-Client-ID", ClientID)
	req.Header.Set("X-Timestamp", ts)
	req.Header.Set("X-Signature", xepengSign(secret, "GET", p, ts, nil))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func TestXepengFake(t *testing.T) {
	w := Generate(Options{Seed: 1})
	for _, env := range []string{EnvelopeStatus, EnvelopeSuccess} {
		t.Run(env, func(t *testing.T) {
			srv := httptest.NewServer(NewXepeng(w, XepengOptions{Envelope: env}))
			defer srv.Close()
			now := time.Now()

			seen := map[string]bool{}
			for pg := 1; ; pg++ {
				resp := signedGet(t, srv.URL, fmt.Sprintf("/openapi/orders?page=%d&limit=50", pg), ClientSecret, now)
				var v map[string]json.RawMessage
				json.NewDecoder(resp.Body).Decode(&v)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					t.Fatalf("page %d: got %d", pg, resp.StatusCode)
				}
				if _, ok := v[env]; !ok {
					t.Fatalf("envelope %s: no %q key in %v", env, env, v)
				}
				var data struct {
					Orders     []map[string]any `json:"orders"`
					Pagination struct {
						Current, Total, Items, Limit int
					} `json:"pagination"`
				}
				var raw struct {
					Orders     []map[string]any `json:"orders"`
					Pagination map[string]int   `json:"pagination"`
				}
				json.Unmarshal(v["data"], &raw)
				data.Orders = raw.Orders
				for _, o := range data.Orders {
					seen[o["uid"].(string)] = true
				}
				if raw.Pagination["total_items"] != len(w.Orders) || raw.Pagination["current_page"] != pg {
					t.Fatalf("pagination %v", raw.Pagination)
				}
				if pg >= raw.Pagination["total_pages"] {
					break
				}
			}
			if len(seen) != len(w.Orders) {
				t.Errorf("walked %d orders, want %d", len(seen), len(w.Orders))
			}

			for _, tc := range []struct {
				name   string
				secret string
				at     time.Time
				want   int
			}{
				{"signed", ClientSecret, now, 200},
				{"wrong secret", "nope", now, 401},
				{"stale timestamp", ClientSecret, now.Add(-6 * time.Minute), 401},
			} {
				resp := signedGet(t, srv.URL, "/openapi/payment-links?page=1&limit=10", tc.secret, tc.at)
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != tc.want {
					t.Errorf("%s: got %d, want %d", tc.name, resp.StatusCode, tc.want)
				}
			}
		})
	}
}

func TestOrderTotalFields(t *testing.T) {
	w := Generate(Options{Seed: 1})
	for _, o := range w.Orders {
		b := mustMarshal(orderJSON(o))
		var v map[string]any
		json.Unmarshal(b, &v)
		_, hasTotal := v["total_amount"]
		_, hasAmount := v["amount"]
		var items float64
		for _, it := range asSlice(v["items"]) {
			if a, ok := it.(map[string]any)["amount"].(float64); ok {
				items += a
			}
		}
		switch o.TotalField {
		case TotalAmount:
			if !hasTotal || hasAmount || int64(items) != o.Total {
				t.Errorf("%s: %s", o.TotalField, b)
			}
		case TotalAmt:
			if hasTotal || !hasAmount || items != 0 {
				t.Errorf("%s: %s", o.TotalField, b)
			}
		case TotalItems:
			if hasTotal || hasAmount || int64(items) != o.Total {
				t.Errorf("%s: %s", o.TotalField, b)
			}
		case TotalNone:
			if hasTotal || hasAmount || items != 0 {
				t.Errorf("%s: %s", o.TotalField, b)
			}
		}
	}
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}

func TestOxPayFake(t *testing.T) {
	w := Generate(Options{Seed: 1})
	srv := httptest.NewServer(NewOxPay(w, OxPayOptions{}))
	defer srv.Close()
	var void *Txn
	for _, tx := range w.Txns {
		if tx.Type == Void {
			void = tx
			break
		}
	}
	get := func(id, key string) (int, map[string]any) {
		req, _ := http.NewRequest("GET", srv.URL+"/payment/"+id, nil)
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var v map[string]map[string]any
		json.NewDecoder(resp.Body).Decode(&v)
		if _, ok := v["headers"]["gateway_response_datetime"]; !ok {
			t.Errorf("no headers.gateway_response_datetime for %s", id)
		}
		return resp.StatusCode, v["body"]
	}
	if code, body := get(void.ID, APIKey); code != 200 || body["transaction_state"] != "voided" || body["oxpay_original_txn_id"] != void.OriginalID {
		t.Errorf("void: got %d %v", code, body)
	}
	if code, body := get(void.OriginalID, APIKey); code != 200 || body["transaction_state"] != "success" {
		t.Errorf("voided sale: got %d %v", code, body)
	}
	if code, _ := get("99999999", APIKey); code != 400 {
		t.Errorf("unknown id: got %d, want 400", code)
	}
	if code, _ := get(void.ID, "ak-wrong"); code != 401 {
		t.Errorf("wrong key: got %d, want 401", code)
	}
}

func TestCompare(t *testing.T) {
	key := []Anomaly{
		{Category: "LEDGER_MISSING", Refs: []string{"t1", "o1"}},
		{Category: "AMOUNT_MISMATCH", Refs: []string{"o2"}},
	}
	got, err := ReadExceptions(strings.NewReader(
		"category,severity,order_uid,payment_link_uid,oxpay_txn_id,merchant_reference_id,ledger_ref,detail\n" +
			"LEDGER_MISSING,high,,,t1,,,x\n" +
			"AMOUNT_MISMATCH,critical,o3,,,,,y\n" +
			"WEBHOOK_MISSING,low,,,'t1,,,z\n"))
	if err != nil {
		t.Fatal(err)
	}
	s := Compare(key, got)
	if s.TP != 1 || len(s.FP) != 2 || len(s.FN) != 1 || s.FN[0].Category != "AMOUNT_MISMATCH" {
		t.Errorf("got TP %d FP %d FN %v", s.TP, len(s.FP), s.FN)
	}
	if got := fmt.Sprintf("%.2f %.2f", s.Precision(), s.Recall()); got != "0.33 0.50" {
		t.Errorf("got %s, want 0.33 0.50", got)
	}
	if !slices.Contains(got[2].IDs, "t1") {
		t.Errorf("the formula-safe quote was not stripped: %v", got[2].IDs)
	}
}
