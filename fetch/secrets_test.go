package fetch

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/reconkit/reconkit/wire"
)

// A hostile or careless server echoes every header and the body it got
// into its error messages. None of the credentials, nor any signature,
// may reach the error text, the OnRequest log or a printed client.
func TestSecretsNeverLeak(t *testing.T) {
	var (
		mu   sync.Mutex
		sigs []string // every signature the server saw
	)
	echo := func(r *http.Request, body []byte) string {
		var b strings.Builder
		for k, v := range r.Header {
			fmt.Fprintf(&b, "%s=%s ", k, strings.Join(v, ","))
		}
		fmt.Fprintf(&b, "body=%s key=%s", body, strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
		return b.String()
	}
	modes := []string{"401", "400", "503", "200-refusal"}
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		for _, h := range []string{"X-Signature", "Signature"} {
			if s := r.Header.Get(h); s != "" {
				sigs = append(sigs, s)
			}
		}
		mu.Unlock()
		msg := echo(r, body)
		mode := r.URL.Query().Get("mode")
		if strings.HasPrefix(r.URL.Path, "/xp/") {
			switch mode {
			case "200-refusal":
				writeJSON(w, 200, xepengFail(msg, "INVALID_ORDER_STATUS"))
			default:
				status := map[string]int{"401": 401, "400": 400, "503": 503}[mode]
				writeJSON(w, status, xepengFail(msg, "X"))
			}
			return
		}
		switch mode {
		case "200-refusal":
			writeJSON(w, 200, oxFail(2, "REJECTED", "Rejected", msg))
		default:
			status := map[string]int{"401": 401, "400": 400, "503": 503}[mode]
			writeJSON(w, status, oxFail(2, msg, "Rejected", msg))
		}
	}))
	rec := &recorder{}
	xo := testOptions(srv.URL + "/xp")
	xo.OnRequest = rec.observe
	oo := testOptions(srv.URL + "/ox")
	oo.OnRequest = rec.observe
	x := NewXepeng(xo, testClientID, testSecret)
	o := NewOxPay(oo, testAPIKey, testSignKey)

	ctx := withTimeout(t)
	var texts []string
	for _, mode := range modes {
		// Xepeng list calls carry the mode in the query; the signed path
		// ignores it, the server reads it.
		x.core.opts.BaseURL = srv.URL + "/xp"
		_, err := xepengWithQuery(ctx, x, mode)
		texts = append(texts, errText(t, err))
		_, err = oxpayPostWithQuery(ctx, o, mode)
		texts = append(texts, errText(t, err))
	}
	for _, info := range rec.all() {
		if info.Err != nil {
			texts = append(texts, info.Err.Error())
		}
		texts = append(texts, fmt.Sprintf("%+v", info))
	}
	texts = append(texts, fmt.Sprintf("%v %+v %#v %v %+v %#v", x, x, x, o, o, o))

	secrets := append([]string{testSecret, testAPIKey, testSignKey, testClientID}, sigs...)
	if len(sigs) < 8 {
		t.Fatalf("server saw %d signatures, want one per request", len(sigs))
	}
	redacted := false
	for _, text := range texts {
		for _, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("secret %q leaked into %q", s, text)
			}
		}
		redacted = redacted || strings.Contains(text, "[redacted]")
	}
	if !redacted {
		t.Fatal("no error carried the echoed headers: the test did not exercise redaction")
	}
}

func errText(t *testing.T, err error) string {
	t.Helper()
	if err == nil {
		t.Fatal("got no error, want one")
	}
	return err.Error()
}

// xepengWithQuery sends a signed GET whose query tells the server how to fail.
func xepengWithQuery(ctx context.Context, x *Xepeng, mode string) (wire.Order, error) {
	var o wire.Order
	err := x.send(ctx, "GET", "/openapi/orders/{uid}", "/openapi/orders/o-1?mode="+mode, nil,
		func(data json.RawMessage) error { return decodeOrder(data, &o) })
	return o, err
}

// oxpayPostWithQuery sends a signed POST whose query tells the server how to fail.
func oxpayPostWithQuery(ctx context.Context, o *OxPay, mode string) (wire.PaymentResponse, error) {
	var out wire.PaymentResponse
	err := post(ctx, o, "/payment?mode="+mode, wire.PaymentRequest{MerchantID: "100000001"}, &out, "payment")
	return out, err
}
