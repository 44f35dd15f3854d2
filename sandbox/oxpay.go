package sandbox

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/reconkit/reconkit/sandbox/gen"
	"github.com/reconkit/reconkit/sign"
	"github.com/reconkit/reconkit/wire"
)

// descInvalidTxn is OxPay's own text for an unknown transaction id.
const descInvalidTxn = "The requested transaction id is invalid."

// brandList is what every hosted-payment-page session offers.
var brandList = []wire.PaymentBrandInfo{
	{BrandName: "Card", MethodName: "CARD"},
	{BrandName: "GrabPay", MethodName: "QR"},
	{BrandName: "Paynow", MethodName: "QR"},
	{BrandName: "ShopeePay", MethodName: "QR"},
	{BrandName: "Wechat", MethodName: "QR"},
	{BrandName: "Alipay", MethodName: "QR"},
}

func (s *Server) oxHeaders(code int, msg string) wire.OxHeaders {
	return wire.OxHeaders{
		StatusCode:              code,
		StatusMessage:           msg,
		GatewayResponseDatetime: s.cfg.Now().UTC().Format(wire.OxGatewayTimeLayout),
	}
}

func (s *Server) oxOK(w http.ResponseWriter, body any) {
	writeJSON(w, http.StatusOK, wire.OxEnvelope[any]{Headers: s.oxHeaders(wire.OxStatusSuccess, "SUCCESS"), Body: body})
}

// oxReject answers with status_code 2 and OxPay's {status, status_desc}
// body, the shape of every error in its documentation.
func (s *Server) oxReject(w http.ResponseWriter, status int, desc string) {
	writeJSON(w, status, wire.OxEnvelope[wire.OxError]{
		Headers: s.oxHeaders(wire.OxStatusRejected, "REJECTED"),
		Body:    wire.OxError{Status: "Rejected", StatusDesc: desc},
	})
}

// oxInvalid rejects a request whose fields failed validation, worded as
// OxPay words it.
func (s *Server) oxInvalid(w http.ResponseWriter, problems []string) {
	quoted := make([]string, len(problems))
	for i, p := range problems {
		quoted[i] = "'" + p + "'"
	}
	s.oxReject(w, http.StatusBadRequest, "The following fields from Payload's body are invalid: ["+strings.Join(quoted, ", ")+"].")
}

// oxpayAuth checks the Bearer API key, the Signature of a POST body and
// the presence of User-Agent, which OxPay requires on every request.
func (s *Server) oxpayAuth(w http.ResponseWriter, r *http.Request, body []byte) bool {
	const prefix = "Bearer "
	auth := r.Header.Get("Authorization")
	if len(auth) <= len(prefix) || !strings.EqualFold(auth[:len(prefix)], prefix) ||
		subtle.ConstantTimeCompare([]byte(strings.TrimSpace(auth[len(prefix):])), []byte(s.cfg.OxPayAPIKey)) != 1 {
		s.oxReject(w, http.StatusUnauthorized, "Invalid or missing API key.")
		return false
	}
	// OxPay reports a bad payload signature as a rejected request (HTTP
	// 400), as it does every other payload problem; 401 is for the key.
	if r.Method == http.MethodPost && !sign.VerifyOxPay(s.cfg.OxPaySignKey, body, r.Header.Get("Signature")).Valid() {
		s.oxReject(w, http.StatusBadRequest, "Missing or invalid Signature header.")
		return false
	}
	if r.Header.Get("User-Agent") == "" {
		s.oxReject(w, http.StatusBadRequest, "The User-Agent header is required.")
		return false
	}
	return true
}

func decodeOx(body []byte, v any) []string {
	if err := json.Unmarshal(body, v); err != nil {
		return []string{"body is not a valid JSON object"}
	}
	return nil
}

// checkMerchant validates what every OxPay request carries.
func (s *Server) checkMerchant(merchantID, terminalID, ref string) []string {
	var p []string
	switch {
	case merchantID == "":
		p = append(p, "merchant_id field not found in payload")
	case len(merchantID) != 9:
		p = append(p, "merchant_id must be 9 characters")
	case merchantID != s.cfg.MerchantID:
		p = append(p, "merchant_id is not a merchant of this account")
	}
	switch {
	case terminalID == "":
		p = append(p, "terminal_id field not found in payload")
	case len(terminalID) != 14:
		p = append(p, "terminal_id must be 14 characters")
	case terminalID != s.cfg.TerminalID:
		p = append(p, "terminal_id is not a terminal of this merchant")
	}
	switch n := utf8.RuneCountInString(ref); {
	case n == 0:
		p = append(p, "merchant_reference_id field not found in payload")
	case n > 100:
		p = append(p, "merchant_reference_id must be at most 100 characters")
	}
	return p
}

func checkAmount(a wire.OxAmount) []string {
	var p []string
	if a.Value < 1 {
		p = append(p, "amount.value must be a positive integer")
	}
	if !currencyRE.MatchString(a.Currency) {
		p = append(p, "amount.currency must be a three-letter ISO 4217 code")
	}
	return p
}

func (s *Server) paymentPage(w http.ResponseWriter, r *http.Request, body []byte) {
	var req wire.PaymentPageRequest
	if p := decodeOx(body, &req); p != nil {
		s.oxInvalid(w, p)
		return
	}
	p := s.checkMerchant(req.MerchantID, req.TerminalID, req.MerchantReferenceID)
	p = append(p, checkAmount(req.Amount)...)
	for _, f := range []struct {
		name string
		v    string
		max  int
	}{
		{"source.name", req.Source.Name, 100}, {"source.email", req.Source.Email, 254}, {"source.phone", req.Source.Phone, 16},
	} {
		if utf8.RuneCountInString(f.v) > f.max {
			p = append(p, fmt.Sprintf("%s must be at most %d characters", f.name, f.max))
		}
	}
	if len(p) > 0 {
		s.oxInvalid(w, p)
		return
	}
	now := s.cfg.Now().UTC()
	expires := now.Add(s.cfg.SessionTTL).Truncate(time.Second)
	st := s.st
	st.mu.Lock()
	sid := st.newSessionID()
	st.sessions[sid] = &session{
		expiresAt: expires,
		payment: wire.SessionPayment{
			MerchantID:           req.MerchantID,
			MerchantName:         s.cfg.MerchantName,
			TerminalID:           req.TerminalID,
			ExpiryDatetime:       expires.Format(time.RFC3339),
			MerchantReferenceID:  req.MerchantReferenceID,
			TransactionCurrency:  req.Amount.Currency,
			TransactionAmount:    req.Amount.Value,
			Description:          req.Description,
			PayerName:            req.Source.Name,
			PayerEmail:           req.Source.Email,
			PayerPhone:           req.Source.Phone,
			PayerReturnURL:       req.SuccessURL,
			PayerErrorURL:        req.FailureURL,
			PayerNotificationURL: req.NotificationURL,
			PayerCapture:         req.Capture == nil || *req.Capture,
			PaymentBrandList:     brandList,
		},
	}
	st.mu.Unlock()
	s.oxOK(w, wire.PaymentPageResponse{OxpayHppURL: baseURL(r) + "/oxpay/hpp?session_id=" + sid})
}

// lookupSession returns a copy of a live session.
func (s *Server) lookupSession(sid string) (wire.SessionPayment, bool) {
	now := s.cfg.Now()
	s.st.mu.RLock()
	defer s.st.mu.RUnlock()
	sess, ok := s.st.sessions[sid]
	if !ok || now.After(sess.expiresAt) {
		return wire.SessionPayment{}, false
	}
	return sess.payment, true
}

// getSession answers flat, without the {headers, body} envelope, as
// OxPay's own example of this call does.
func (s *Server) getSession(w http.ResponseWriter, r *http.Request, _ []byte) {
	sid := r.URL.Query().Get("session_id")
	if sid == "" {
		s.oxInvalid(w, []string{"session_id field not found in query"})
		return
	}
	sp, ok := s.lookupSession(sid)
	if !ok {
		s.oxReject(w, http.StatusBadRequest, "The session id is invalid or has expired.")
		return
	}
	writeJSON(w, http.StatusOK, sp)
}

// brandOf names the brand of a payment the way OxPay's examples do:
// lower case ("grabpay", "visa").
func brandOf(m wire.PaymentMethod) string {
	if m.Brand != "" {
		return strings.ToLower(m.Brand)
	}
	if m.Card == nil {
		return ""
	}
	switch n := m.Card.CardNumber; {
	case strings.HasPrefix(n, "4"):
		return "visa"
	case strings.HasPrefix(n, "5"), strings.HasPrefix(n, "2"):
		return "mastercard"
	case strings.HasPrefix(n, "34"), strings.HasPrefix(n, "37"):
		return "amex"
	default:
		return "card"
	}
}

// createPayment records a sale at once (state success, or authorized
// when capture is false): the sandbox plays an acquirer that always
// approves. A payment whose merchant_reference_id names a Xepeng order
// or link marks that link paid.
func (s *Server) createPayment(w http.ResponseWriter, r *http.Request, body []byte) {
	var req wire.PaymentRequest
	if p := decodeOx(body, &req); p != nil {
		s.oxInvalid(w, p)
		return
	}
	p := s.checkMerchant(req.MerchantID, req.TerminalID, req.MerchantReferenceID)
	p = append(p, checkAmount(req.Amount)...)
	brand := brandOf(req.PaymentMethod)
	if brand == "" {
		p = append(p, "payment_method must name a brand or carry a card")
	}
	if len(p) > 0 {
		s.oxInvalid(w, p)
		return
	}
	state := wire.StateSuccess
	if req.Capture != nil && !*req.Capture {
		state = wire.StateAuthorized
	}
	now := s.now()
	s.st.mu.Lock()
	resp, desc := s.recordPayment(req, brand, state, now)
	s.st.mu.Unlock()
	if desc != "" {
		s.oxReject(w, http.StatusBadRequest, desc)
		return
	}
	s.oxOK(w, resp)
}

// recordPayment applies a validated payment to the state, or returns why
// it is rejected. The caller holds the write lock; nothing is written to
// the network under it.
func (s *Server) recordPayment(req wire.PaymentRequest, brand, state string, now time.Time) (wire.PaymentResponse, string) {
	st := s.st
	var sess *session
	if req.OxpaySessionID != "" {
		sess = st.sessions[req.OxpaySessionID]
		switch {
		case sess == nil || now.After(sess.expiresAt):
			return wire.PaymentResponse{}, "The session id is invalid or has expired."
		case sess.payment.TransactionID != nil:
			return wire.PaymentResponse{}, "The session has already been paid."
		}
	}
	if _, used := st.liveSale[req.MerchantReferenceID]; used {
		return wire.PaymentResponse{}, "The merchant_reference_id has already been used for a payment on this terminal."
	}
	id := st.newTxnID()
	st.txns[id] = &wire.Transaction{
		OxpayTxnID:          id,
		MerchantReferenceID: req.MerchantReferenceID,
		HostTxnID:           hostTxnID(id),
		TransactionType:     wire.TypeSale,
		TransactionState:    state,
		PaymentBrand:        brand,
		TransactionAmount:   req.Amount.Value,
		TransactionCurrency: req.Amount.Currency,
	}
	st.liveSale[req.MerchantReferenceID] = id
	if sess != nil {
		txnID := id
		sess.payment.TransactionID = &txnID
	}
	if state == wire.StateSuccess {
		st.markLinkPaid(req.MerchantReferenceID, now)
	}
	return wire.PaymentResponse{PaymentBrand: brand, OxpayTxnID: id, MerchantReferenceID: req.MerchantReferenceID}, ""
}

// followUp decodes and validates a void, refund or capture request.
// Amounts are required, as OxPay's schema requires them.
func (s *Server) followUp(w http.ResponseWriter, body []byte) (wire.FollowUpRequest, bool) {
	var req wire.FollowUpRequest
	if p := decodeOx(body, &req); p != nil {
		s.oxInvalid(w, p)
		return req, false
	}
	p := s.checkMerchant(req.MerchantID, req.TerminalID, req.MerchantReferenceID)
	if req.OxpayOriginalTxnID == "" {
		p = append(p, "oxpay_original_txn_id field not found in payload")
	}
	p = append(p, checkAmount(req.Amount)...)
	if len(p) > 0 {
		s.oxInvalid(w, p)
		return req, false
	}
	return req, true
}

// followUpOp applies one validated follow-up to the sale it names and
// returns the response body, or why it is rejected. The caller holds the
// write lock.
type followUpOp func(st *state, sale *wire.Transaction, req wire.FollowUpRequest, now time.Time) (any, string)

// serveFollowUp runs op under the write lock and answers after releasing it.
func (s *Server) serveFollowUp(w http.ResponseWriter, body []byte, op followUpOp) {
	req, ok := s.followUp(w, body)
	if !ok {
		return
	}
	now := s.now()
	s.st.mu.Lock()
	resp, desc := func() (any, string) {
		sale, ok := s.st.txns[req.OxpayOriginalTxnID]
		switch {
		case !ok:
			return nil, descInvalidTxn
		case !isSale(sale):
			return nil, "The original transaction is not a sale."
		case req.Amount.Currency != sale.TransactionCurrency:
			return nil, "amount.currency does not match the original transaction."
		}
		return op(s.st, sale, req, now)
	}()
	s.st.mu.Unlock()
	if desc != "" {
		s.oxReject(w, http.StatusBadRequest, desc)
		return
	}
	s.oxOK(w, resp)
}

func (s *Server) void(w http.ResponseWriter, r *http.Request, body []byte) {
	op := voidSale
	if s.cfg.VoidStyle == gen.VoidOwnID {
		op = voidSaleOwnID
	}
	s.serveFollowUp(w, body, op)
}

func (s *Server) refund(w http.ResponseWriter, r *http.Request, body []byte) {
	s.serveFollowUp(w, body, refundSale)
}

func (s *Server) capture(w http.ResponseWriter, r *http.Request, body []byte) {
	s.serveFollowUp(w, body, captureSale)
}

// voidSale cancels a sale in full, in the same-id style (gen.VoidSameID).
// The sale keeps its id and its state becomes voided; no new transaction
// is created. An authorized sale may be voided too (releasing a
// pre-authorisation). A sale with refunds cannot be voided, and the
// amount must be the sale's.
func voidSale(st *state, sale *wire.Transaction, req wire.FollowUpRequest, _ time.Time) (any, string) {
	if desc := voidable(st, sale, req); desc != "" {
		return nil, desc
	}
	voidInPlace(st, sale)
	return wire.VoidResponse{OxpayTxnID: sale.OxpayTxnID, MerchantReferenceID: sale.MerchantReferenceID, PaymentBrand: sale.PaymentBrand}, ""
}

// voidSaleOwnID cancels a sale as OxPay's document describes it
// (gen.VoidOwnID): the void is a VOID transaction with an id of its own
// and the request's merchant_reference_id, naming the sale in
// oxpay_original_txn_id, and the answer carries both ids. The sale's
// state becomes voided as well. The same requests are refused as by
// voidSale.
func voidSaleOwnID(st *state, sale *wire.Transaction, req wire.FollowUpRequest, _ time.Time) (any, string) {
	if desc := voidable(st, sale, req); desc != "" {
		return nil, desc
	}
	voidInPlace(st, sale)
	id := st.newTxnID()
	st.txns[id] = &wire.Transaction{
		OxpayTxnID:          id,
		OxpayOriginalTxnID:  sale.OxpayTxnID,
		MerchantReferenceID: req.MerchantReferenceID,
		HostTxnID:           hostTxnID(id),
		TransactionType:     wire.TypeVoid,
		TransactionState:    wire.StateVoided,
		PaymentBrand:        sale.PaymentBrand,
		TransactionAmount:   sale.TransactionAmount,
		TransactionCurrency: sale.TransactionCurrency,
	}
	return wire.VoidResponse{OxpayTxnID: id, OxpayOriginalTxnID: sale.OxpayTxnID,
		MerchantReferenceID: req.MerchantReferenceID, PaymentBrand: sale.PaymentBrand}, ""
}

// voidable says why a void request may not void sale, "" when it may.
func voidable(st *state, sale *wire.Transaction, req wire.FollowUpRequest) string {
	switch {
	case sale.TransactionState != wire.StateSuccess && sale.TransactionState != wire.StateAuthorized:
		return "The transaction is " + sale.TransactionState + " and cannot be voided."
	case st.refunded[sale.OxpayTxnID] > 0:
		return "The transaction has refunds and cannot be voided."
	case req.Amount.Value != sale.TransactionAmount:
		return "amount.value must equal the original transaction amount."
	}
	return ""
}

// voidInPlace turns a sale voided and frees its merchant reference.
func voidInPlace(st *state, sale *wire.Transaction) {
	sale.TransactionState = wire.StateVoided
	if st.liveSale[sale.MerchantReferenceID] == sale.OxpayTxnID {
		delete(st.liveSale, sale.MerchantReferenceID)
	}
}

// refundSale creates a REFUND transaction of its own against a successful
// or captured sale, for at most what is left after earlier refunds. The
// sale itself keeps its state.
func refundSale(st *state, sale *wire.Transaction, req wire.FollowUpRequest, _ time.Time) (any, string) {
	if sale.TransactionState != wire.StateSuccess && sale.TransactionState != wire.StateCaptured {
		return nil, "The transaction is " + sale.TransactionState + " and cannot be refunded."
	}
	left := sale.TransactionAmount - st.refunded[sale.OxpayTxnID]
	if req.Amount.Value > left {
		return nil, fmt.Sprintf("amount.value exceeds the refundable amount of %d.", left)
	}
	id := st.newTxnID()
	st.txns[id] = &wire.Transaction{
		OxpayTxnID:          id,
		OxpayOriginalTxnID:  sale.OxpayTxnID,
		MerchantReferenceID: req.MerchantReferenceID,
		HostTxnID:           hostTxnID(id),
		TransactionType:     wire.TypeRefund,
		TransactionState:    wire.StateRefunded,
		PaymentBrand:        sale.PaymentBrand,
		TransactionAmount:   sale.TransactionAmount,
		RefundAmount:        req.Amount.Value,
		TransactionCurrency: sale.TransactionCurrency,
	}
	st.refunded[sale.OxpayTxnID] += req.Amount.Value
	return wire.RefundResponse{OxpayTxnID: id, MerchantReferenceID: req.MerchantReferenceID, PaymentBrand: sale.PaymentBrand, RefundAmount: req.Amount.Value}, ""
}

// captureSale completes an authorized sale: it becomes captured, keeps
// its id, and the link it pays (if any) becomes paid.
func captureSale(st *state, sale *wire.Transaction, _ wire.FollowUpRequest, now time.Time) (any, string) {
	if sale.TransactionState != wire.StateAuthorized {
		return nil, "The transaction is " + sale.TransactionState + " and cannot be captured."
	}
	sale.TransactionState = wire.StateCaptured
	st.markLinkPaid(sale.MerchantReferenceID, now)
	return wire.PaymentResponse{PaymentBrand: sale.PaymentBrand, OxpayTxnID: sale.OxpayTxnID, MerchantReferenceID: sale.MerchantReferenceID}, ""
}

func (s *Server) getTransaction(w http.ResponseWriter, r *http.Request, _ []byte) {
	s.st.mu.RLock()
	t, ok := s.st.txns[r.PathValue("oxpay_txn_id")]
	var out wire.Transaction
	if ok {
		out = *t
	}
	s.st.mu.RUnlock()
	if !ok {
		s.oxReject(w, http.StatusBadRequest, descInvalidTxn)
		return
	}
	s.oxOK(w, out)
}
