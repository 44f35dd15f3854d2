package fetch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/reconkit/reconkit/sign"
	"github.com/reconkit/reconkit/wire"
)

// OxPay is a client of the OxPay Payments API v1. It is safe for
// concurrent use.
type OxPay struct {
	core    *core
	apiKey  string
	signKey string
}

// NewOxPay returns a client that authenticates with apiKey and signs
// request bodies with signKey. Invalid options are reported by the first
// call (see Options.Validate).
func NewOxPay(opts Options, apiKey, signKey string) *OxPay {
	o := &OxPay{apiKey: apiKey, signKey: signKey}
	c := newCore("oxpay", opts)
	c.authorize = o.authorize
	c.sensitive = []string{"Authorization", "Signature"}
	c.secrets = redactor{apiKey, signKey}
	c.errorMessage = oxpayErrorMessage
	o.core = c
	return o
}

// String keeps the credentials out of %v and %+v.
func (o *OxPay) String() string { return "fetch.OxPay(" + o.core.opts.BaseURL + ")" }

// GoString keeps the credentials out of %#v.
func (o *OxPay) GoString() string { return o.String() }

// authorize adds the bearer token and, on a request with a body, the
// Signature over exactly the bytes sent (already compact).
func (o *OxPay) authorize(req *http.Request, body []byte) {
	req.Header.Set("Authorization", "Bearer "+o.apiKey)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Signature", sign.OxPay(o.signKey, body))
	}
}

// oxEnvelope is wire.OxEnvelope with presence visible, so a response
// without headers is told apart from status 0.
type oxEnvelope struct {
	Headers *wire.OxHeaders `json:"headers"`
	Body    json.RawMessage `json:"body"`
}

// oxpayBody opens a 2xx envelope. Status 0 (success) and 1 (pending: the
// acquirer has not answered yet) are answers; 2 (rejected) and 3 (gateway
// error) are refusals.
func oxpayBody(body []byte) (json.RawMessage, error) {
	var env oxEnvelope
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, bad("decode envelope: %w", err)
	}
	if env.Headers == nil {
		return nil, bad("envelope has no headers")
	}
	switch env.Headers.StatusCode {
	case wire.OxStatusSuccess, wire.OxStatusPending:
	default:
		code, msg := oxpayFailure(env)
		return nil, &refusal{kind: ErrRejected, code: code, msg: msg}
	}
	if !present(env.Body) {
		return nil, bad("envelope has no body")
	}
	return env.Body, nil
}

// oxpayFailure reads the status and its description: body.status_desc
// says what was wrong; headers.status_message is the fallback.
func oxpayFailure(env oxEnvelope) (code, msg string) {
	var e wire.OxError
	if present(env.Body) {
		_ = json.Unmarshal(env.Body, &e) // best effort: the status line still tells
	}
	code, msg = e.Status, e.StatusDesc
	if env.Headers != nil {
		if code == "" {
			code = env.Headers.StatusMessage
		}
		if code == "" {
			code = "status_code " + strconv.Itoa(env.Headers.StatusCode)
		}
		if msg == "" {
			msg = env.Headers.StatusMessage
		}
	}
	return code, msg
}

// oxpayErrorMessage reads a non-2xx body: {headers, body: {status,
// status_desc}} on a 400, anything at all from a proxy.
func oxpayErrorMessage(body []byte) (code, msg string) {
	var env oxEnvelope
	if err := json.Unmarshal(body, &env); err != nil {
		return "", snippet(body)
	}
	return oxpayFailure(env)
}

// post sends a signed POST and decodes the envelope's body into out.
func post[T any](ctx context.Context, o *OxPay, path string, in any, out *T, what string) error {
	cl := call{method: "POST", endpoint: "POST " + path, path: path, mutates: true}
	b, err := encodeBody(in)
	if err != nil {
		return fmt.Errorf("oxpay %s: encode body: %w", cl.endpoint, err)
	}
	cl.body = b
	return o.core.do(ctx, cl, func(body []byte) error {
		data, err := oxpayBody(body)
		if err != nil {
			return err
		}
		*out = *new(T)
		return decodeObject(data, what, out)
	})
}

// PaymentPage asks for a hosted payment page with POST /payment-page.
func (o *OxPay) PaymentPage(ctx context.Context, req wire.PaymentPageRequest) (wire.PaymentPageResponse, error) {
	var out wire.PaymentPageResponse
	err := post(ctx, o, "/payment-page", req, &out, "payment page")
	return out, err
}

// Payment creates a payment with POST /payment.
func (o *OxPay) Payment(ctx context.Context, req wire.PaymentRequest) (wire.PaymentResponse, error) {
	var out wire.PaymentResponse
	err := post(ctx, o, "/payment", req, &out, "payment")
	return out, err
}

// Void voids a sale or cancels a pending QR payment with POST /void.
func (o *OxPay) Void(ctx context.Context, req wire.FollowUpRequest) (wire.VoidResponse, error) {
	var out wire.VoidResponse
	err := post(ctx, o, "/void", req, &out, "void")
	return out, err
}

// Refund refunds a sale with POST /refund.
func (o *OxPay) Refund(ctx context.Context, req wire.FollowUpRequest) (wire.RefundResponse, error) {
	var out wire.RefundResponse
	err := post(ctx, o, "/refund", req, &out, "refund")
	return out, err
}

// Capture captures an authorised payment with POST /capture.
func (o *OxPay) Capture(ctx context.Context, req wire.FollowUpRequest) (wire.PaymentResponse, error) {
	var out wire.PaymentResponse
	err := post(ctx, o, "/capture", req, &out, "capture")
	return out, err
}

// GetTransaction reads one transaction with GET /payment/{oxpay_txn_id}.
// raw is the envelope's body object exactly as sent, for callers that
// keep the source record. A transaction whose id is not the one asked for
// (a confused proxy cache) is ErrInconsistent.
func (o *OxPay) GetTransaction(ctx context.Context, oxpayTxnID string) (wire.Transaction, json.RawMessage, error) {
	const endpoint = "GET /payment/{oxpay_txn_id}"
	if oxpayTxnID == "" {
		return wire.Transaction{}, nil, o.core.invalidArg("GET", endpoint, "empty oxpay_txn_id")
	}
	var (
		tx  wire.Transaction
		raw json.RawMessage
	)
	cl := call{method: "GET", endpoint: endpoint, path: "/payment/" + url.PathEscape(oxpayTxnID)}
	err := o.core.do(ctx, cl, func(body []byte) error {
		data, err := oxpayBody(body)
		if err != nil {
			return err
		}
		tx = wire.Transaction{}
		if err := decodeObject(data, "transaction", &tx); err != nil {
			return err
		}
		if tx.OxpayTxnID == "" {
			return bad("transaction has no oxpay_txn_id")
		}
		if tx.OxpayTxnID != oxpayTxnID {
			return &refusal{kind: ErrInconsistent, msg: fmt.Sprintf("asked for transaction %s, got %s", oxpayTxnID, tx.OxpayTxnID)}
		}
		raw = data
		return nil
	})
	if err != nil {
		return wire.Transaction{}, nil, err
	}
	return tx, raw, nil
}

// GetPaymentBySession reads a hosted-page session with GET
// /payment?session_id=. OxPay's example answers flat, without the
// {headers, body} envelope; an enveloped answer is accepted too.
func (o *OxPay) GetPaymentBySession(ctx context.Context, sessionID string) (wire.SessionPayment, error) {
	const endpoint = "GET /payment?session_id={session_id}"
	if sessionID == "" {
		return wire.SessionPayment{}, o.core.invalidArg("GET", endpoint, "empty session_id")
	}
	var sp wire.SessionPayment
	cl := call{method: "GET", endpoint: endpoint, path: "/payment?session_id=" + url.QueryEscape(sessionID)}
	err := o.core.do(ctx, cl, func(body []byte) error {
		data := json.RawMessage(body)
		var env oxEnvelope
		if err := json.Unmarshal(body, &env); err != nil {
			return bad("decode session: %w", err)
		}
		if env.Headers != nil {
			d, err := oxpayBody(body)
			if err != nil {
				return err
			}
			data = d
		}
		sp = wire.SessionPayment{}
		if err := decodeObject(data, "session", &sp); err != nil {
			return err
		}
		if sp.MerchantReferenceID == "" && sp.MerchantID == "" {
			return bad("session has neither merchant_reference_id nor merchant_id")
		}
		return nil
	})
	return sp, err
}

// GetTransactions reads many transactions by id, Options.Concurrency at a
// time under the rate limiter, and calls fn once per id in the order of
// ids. A failure that concerns one id (not found, rejected, inconsistent)
// reaches fn as err with a zero tx; fn decides whether it is fatal by
// returning an error. A failure that concerns them all — unreachable,
// unauthorized, a cancelled context — stops the run and is returned.
func (o *OxPay) GetTransactions(ctx context.Context, ids []string, fn func(id string, tx wire.Transaction, raw json.RawMessage, err error) error) error {
	type result struct {
		tx  wire.Transaction
		raw json.RawMessage
		err error
	}
	progress := o.core.opts.Progress
	err := ordered(ctx, len(ids), o.core.opts.Concurrency,
		func(ctx context.Context, i int) result {
			tx, raw, err := o.GetTransaction(ctx, ids[i])
			return result{tx, raw, err}
		},
		func(i int, r result) error {
			if r.err != nil && !perID(r.err) {
				return fmt.Errorf("get transaction %s: %w", ids[i], r.err)
			}
			if err := fn(ids[i], r.tx, r.raw, r.err); err != nil {
				return err
			}
			if progress != nil {
				progress(i+1, len(ids))
			}
			return nil
		})
	if err != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		if _, ok := errors.AsType[*APIError](err); !ok {
			return fmt.Errorf("get transactions: %w", err)
		}
	}
	return err
}

// perID says whether an error belongs to one id rather than to the run.
func perID(err error) bool {
	return errors.Is(err, ErrNotFound) || errors.Is(err, ErrRejected) || errors.Is(err, ErrInconsistent)
}
