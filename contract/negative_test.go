package contract

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/reconkit/reconkit/sandbox"
	"github.com/reconkit/reconkit/sign"
)

// lenientProxy fronts the sandbox like a server that does not check
// credentials: it signs every request properly itself before passing it
// on, so unsigned, stale and wrongly signed requests all get through.
func lenientProxy(t *testing.T, target string) string {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		if strings.HasPrefix(r.URL.Path, "/oxpay/") {
			r.Header.Set("Authorization", "Bearer "+sandbox.DefaultOxPayAPIKey)
			r.Header.Set("Signature", sign.OxPay(sandbox.DefaultOxPaySignKey, body))
		} else {
			ts := strconv.FormatInt(time.Now().Unix(), 10)
			r.Header.Set("X-Client-ID", sandbox.DefaultXepengClientID)
			r.Header.Set("X-Timestamp", ts)
			r.Header.Set("X-Signature", sign.Xepeng(sandbox.DefaultXepengClientSecret, r.Method, r.URL.EscapedPath(), ts, body))
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// crashingProxy answers 500 wherever the sandbox refuses a body (422 or
// 400), like a server that validates nothing and falls over instead.
func crashingProxy(t *testing.T, target string) string {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.ModifyResponse = func(resp *http.Response) error {
		if resp.StatusCode == http.StatusUnprocessableEntity || resp.StatusCode == http.StatusBadRequest {
			resp.StatusCode = http.StatusInternalServerError
		}
		return nil
	}
	srv := httptest.NewServer(rp)
	t.Cleanup(srv.Close)
	return srv.URL
}

// failed returns "operationId check" for every failing finding of the
// given checks.
func failed(res *Result, checks ...string) []string {
	var out []string
	for _, f := range res.Findings {
		if f.Fails() && slices.Contains(checks, f.Check) {
			out = append(out, f.OperationID+" "+f.Check)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func TestNegativeChecksCatchALenientServer(t *testing.T) {
	authChecks := []string{CheckNegUnsigned, CheckNegWrongSignature, CheckNegStaleTimestamp, CheckNegWrongClientID}
	tests := []struct {
		tg   target
		want []string
	}{
		{targets()[0], func() []string {
			var w []string
			for _, op := range []string{"createOrder", "generatePaymentLink", "getOrder", "getPaymentLink", "inactivatePaymentLink", "listOrders", "listPaymentLinks", "updateOrder"} {
				for _, c := range []string{CheckNegStaleTimestamp, CheckNegUnsigned, CheckNegWrongClientID, CheckNegWrongSignature} {
					w = append(w, op+" "+c)
				}
			}
			return w
		}()},
		{targets()[1], []string{
			// The unsigned call is the first to reach the lenient server, so
			// it is the one that gets a 2xx everywhere. It takes the sale's
			// merchant reference, so the real sale is then refused and the
			// steps that need its id are blocked (getTransactionById).
			"cancelPayment " + CheckNegUnsigned, "capturePayment " + CheckNegUnsigned, "createPayment " + CheckNegUnsigned,
			"getPaymentBySessionId " + CheckNegUnsigned, "getPaymentBySessionId " + CheckNegWrongClientID,
			"paymentPage " + CheckNegUnsigned, "paymentPage " + CheckNegWrongClientID, "paymentPage " + CheckNegWrongSignature,
			"refundPayment " + CheckNegUnsigned,
		}},
	}
	for _, tc := range tests {
		t.Run(tc.tg.name, func(t *testing.T) {
			res := runTarget(t, tc.tg, lenientProxy(t, startSandbox(t)), nil)
			got := failed(res, authChecks...)
			for _, w := range tc.want {
				if !slices.Contains(got, w) {
					t.Errorf("missing failed negative check %q; got %v", w, got)
				}
			}
			if res.Passed() {
				t.Error("the gate passed a server that accepts unsigned requests")
			}
			for _, f := range res.Findings {
				if f.Check == CheckNegUnsigned && f.Status >= 200 && f.Status < 300 && !strings.Contains(f.Message, "accepted it") {
					t.Errorf("message %q does not say the server accepted it", f.Message)
				}
			}
		})
	}
}

func TestNegativeBodyChecksCatchAServerThatCrashes(t *testing.T) {
	res := runTarget(t, targets()[0], crashingProxy(t, startSandbox(t)), nil)
	got := failed(res, CheckNegMissingRequiredField, CheckNegWrongType, CheckNegNegativeAmount)
	want := []string{
		"createOrder " + CheckNegMissingRequiredField, "createOrder " + CheckNegNegativeAmount, "createOrder " + CheckNegWrongType,
		"generatePaymentLink " + CheckNegMissingRequiredField, "generatePaymentLink " + CheckNegWrongType,
		"updateOrder " + CheckNegWrongType,
	}
	if !slices.Equal(got, want) {
		t.Errorf("failed body checks:\n got %v\nwant %v", got, want)
	}
	for _, f := range res.Findings {
		if f.Check == CheckNegNegativeAmount && f.Pointer != "/items/0/amount" {
			t.Errorf("negative amount at %q, want /items/0/amount", f.Pointer)
		}
	}
}

// TestRefusalsAreJudgedToo checks that the error answers the negative
// checks get are held to the spec like any other response.
func TestRefusalsAreJudgedToo(t *testing.T) {
	u, _ := url.Parse(startSandbox(t))
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.ModifyResponse = func(resp *http.Response) error {
		if resp.StatusCode != http.StatusUnauthorized {
			return nil
		}
		raw, _ := io.ReadAll(resp.Body)
		out := strings.Replace(string(raw), `"status":"error"`, `"success":false`, 1)
		resp.Body = io.NopCloser(strings.NewReader(out))
		resp.ContentLength = int64(len(out))
		resp.Header.Set("Content-Length", strconv.Itoa(len(out)))
		return nil
	}
	srv := httptest.NewServer(rp)
	defer srv.Close()
	res := runTarget(t, targets()[0], srv.URL, nil)
	got := failed(res, CheckEnvelopeChanged)
	if len(got) != 8 {
		t.Errorf("envelope_changed on %v, want all 8 operations' 401 answers", got)
	}
	for _, f := range res.Findings {
		if f.Check == CheckEnvelopeChanged && (f.Status != 401 || !strings.Contains(f.Step, "(negative_")) {
			t.Errorf("finding %+v does not name the negative call", f)
		}
	}
}
