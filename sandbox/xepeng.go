package sandbox

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/reconkit/reconkit/money"
	"github.com/reconkit/reconkit/sign"
	"github.com/reconkit/reconkit/wire"
)

// Xepeng error codes in data.code. The first four are the PHP README's.
const (
	codeValidation    = "VALIDATION_ERROR"
	codeNotFound      = "NOT_FOUND"
	codeInvalidStatus = "INVALID_ORDER_STATUS"
	codeUnauthorized  = "UNAUTHORIZED"
)

// Pagination limits of the list calls.
const (
	defaultLimit = 10
	maxLimit     = 100
)

var currencyRE = regexp.MustCompile(`^[A-Z]{3}$`)

// xepengEnvelope is wire.XepengResponse with data as a value, so a page
// of orders is encoded once rather than marshalled and then re-scanned.
type xepengEnvelope struct {
	Status  string `json:"status"`
	Message string `json:"message"`
	Data    any    `json:"data"`
}

func xepengOK(w http.ResponseWriter, status int, msg string, data any) {
	writeJSON(w, status, xepengEnvelope{Status: wire.XepengStatusSuccess, Message: msg, Data: data})
}

func xepengError(w http.ResponseWriter, status int, msg, code string, errs []wire.FieldError) {
	writeJSON(w, status, xepengEnvelope{
		Status:  wire.XepengStatusError,
		Message: msg,
		Data:    wire.XepengError{Code: code, Errors: errs},
	})
}

func validationFailed(w http.ResponseWriter, errs []wire.FieldError) {
	xepengError(w, http.StatusUnprocessableEntity, "Validation failed", codeValidation, errs)
}

// xepengAuth checks X-Client-ID, X-Timestamp and X-Signature, and answers
// 401 when any is wrong. The signature covers the path as received
// without its query and the body bytes exactly as read. Messages never
// echo what the client sent.
func (s *Server) xepengAuth(w http.ResponseWriter, r *http.Request, body []byte) bool {
	deny := func(msg string) bool {
		xepengError(w, http.StatusUnauthorized, msg, codeUnauthorized, nil)
		return false
	}
	id := r.Header.Get("X-Client-ID")
	if id == "" {
		return deny("Missing X-Client-ID header")
	}
	if subtle.ConstantTimeCompare([]byte(id), []byte(s.cfg.XepengClientID)) != 1 {
		return deny("Invalid client id")
	}
	ts := r.Header.Get("X-Timestamp")
	if ts == "" {
		return deny("Missing X-Timestamp header")
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return deny("X-Timestamp must be Unix time in seconds")
	}
	skew := s.cfg.Now().Unix() - sec
	if skew < 0 {
		skew = -skew
	}
	if skew > int64(s.cfg.ClockSkew/time.Second) {
		return deny("Request timestamp expired")
	}
	sig := r.Header.Get("X-Signature")
	if sig == "" {
		return deny("Missing X-Signature header")
	}
	secret := s.cfg.XepengClientSecret
	if sign.VerifyXepeng(secret, r.Method, r.URL.EscapedPath(), ts, body, sig) {
		return true
	}
	if r.URL.Path != r.URL.EscapedPath() && sign.VerifyXepeng(secret, r.Method, r.URL.Path, ts, body, sig) {
		return true
	}
	return deny("Invalid signature")
}

// decodeBody unmarshals a JSON object, turning decoder errors into field
// errors. Malformed JSON is a 422 VALIDATION_ERROR like any other bad
// input, with field "body", so clients handle one error shape.
func decodeBody(body []byte, v any) []wire.FieldError {
	if len(bytes.TrimSpace(body)) == 0 {
		return []wire.FieldError{{Field: "body", Message: "a JSON object is required"}}
	}
	err := json.Unmarshal(body, v)
	if err == nil {
		return nil
	}
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) && typeErr.Field != "" {
		return []wire.FieldError{{Field: typeErr.Field, Message: fmt.Sprintf("must be %s, not %s", jsonKind(typeErr.Type.Kind().String()), typeErr.Value)}}
	}
	if errors.As(err, &typeErr) {
		return []wire.FieldError{{Field: "body", Message: "a JSON object is required"}}
	}
	return []wire.FieldError{{Field: "body", Message: "malformed JSON: " + err.Error()}}
}

// jsonKind names a Go kind the way a JSON client thinks of it.
func jsonKind(kind string) string {
	switch {
	case strings.HasPrefix(kind, "int"), strings.HasPrefix(kind, "uint"):
		return "an integer"
	case kind == "string":
		return "a string"
	case kind == "slice", kind == "array":
		return "an array"
	case kind == "struct", kind == "map":
		return "an object"
	case kind == "bool":
		return "a boolean"
	default:
		return "a " + kind
	}
}

// validateItems checks order items and returns their total.
func validateItems(items []wire.OrderItem) (int64, []wire.FieldError) {
	if len(items) == 0 {
		return 0, []wire.FieldError{{Field: "items", Message: "at least one item is required"}}
	}
	var errs []wire.FieldError
	var total int64
	for i, it := range items {
		if it.Amount < 1 {
			errs = append(errs, wire.FieldError{Field: fmt.Sprintf("items.%d.amount", i), Message: "amount must be at least 1"})
		} else if total > math.MaxInt64-it.Amount {
			errs = append(errs, wire.FieldError{Field: fmt.Sprintf("items.%d.amount", i), Message: "the order total is too large"})
		} else {
			total += it.Amount
		}
		if strings.TrimSpace(it.ProductName) == "" {
			errs = append(errs, wire.FieldError{Field: fmt.Sprintf("items.%d.product_name", i), Message: "product_name is required"})
		}
	}
	return total, errs
}

func validateCurrency(field, c string) []wire.FieldError {
	if !currencyRE.MatchString(c) {
		return []wire.FieldError{{Field: field, Message: "currency must be a three-letter ISO 4217 code"}}
	}
	if !money.Known(c) {
		return []wire.FieldError{{Field: field, Message: "currency " + c + " is not supported"}}
	}
	return nil
}

func (s *Server) now() time.Time { return s.cfg.Now().UTC().Truncate(time.Second) }

func (s *Server) createOrder(w http.ResponseWriter, r *http.Request, body []byte) {
	var req wire.CreateOrderRequest
	if errs := decodeBody(body, &req); errs != nil {
		validationFailed(w, errs)
		return
	}
	total, errs := validateItems(req.Items)
	if req.Currency == "" {
		req.Currency = "IDR"
	} else {
		errs = append(errs, validateCurrency("currency", req.Currency)...)
	}
	if len(errs) > 0 {
		validationFailed(w, errs)
		return
	}
	now := s.now()
	st := s.st
	st.mu.Lock()
	o := &wire.Order{
		UID:         st.newOrderUID(),
		Status:      wire.OrderPending,
		Currency:    req.Currency,
		TotalAmount: total,
		Items:       req.Items,
		CreatedAt:   now,
		UpdatedAt:   now,
	}
	st.orderByUID[o.UID] = o
	st.orders = insertSorted(st.orders, o, compareOrders)
	out := *o
	st.mu.Unlock()
	xepengOK(w, http.StatusCreated, "Order created", out)
}

// orderTransitions are the status changes PUT may make.
var orderTransitions = map[[2]string]bool{
	{wire.OrderPending, wire.OrderActive}:   true,
	{wire.OrderPending, wire.OrderInactive}: true,
	{wire.OrderActive, wire.OrderInactive}:  true,
}

func (s *Server) updateOrder(w http.ResponseWriter, r *http.Request, body []byte) {
	var req wire.UpdateOrderRequest
	// The package always sends a body, but an empty one means "activate".
	if len(bytes.TrimSpace(body)) > 0 {
		if errs := decodeBody(body, &req); errs != nil {
			validationFailed(w, errs)
			return
		}
	}
	if req.Status == "" {
		req.Status = wire.OrderActive
	}
	var errs []wire.FieldError
	keepStatus := false
	if req.Status != wire.OrderActive && req.Status != wire.OrderInactive {
		if s.defect(DefectInvalidEnum) {
			keepStatus = true // the planted bug: an unknown status is ignored
		} else {
			errs = append(errs, wire.FieldError{Field: "status", Message: "status must be one of active, inactive"})
		}
	}
	var total int64
	if req.Items != nil {
		var itemErrs []wire.FieldError
		total, itemErrs = validateItems(req.Items)
		errs = append(errs, itemErrs...)
	}
	if len(errs) > 0 {
		validationFailed(w, errs)
		return
	}
	now := s.now()
	st := s.st
	st.mu.Lock()
	o, ok := st.orderByUID[r.PathValue("uid")]
	if !ok {
		st.mu.Unlock()
		xepengError(w, http.StatusNotFound, "Order not found", codeNotFound, nil)
		return
	}
	from := o.Status
	if keepStatus {
		req.Status = from
	}
	if req.Items != nil && from != wire.OrderPending && slices.Equal(req.Items, o.Items) {
		// The official package's update always sends the items; sending
		// the current ones back is not a change, so deactivating an active
		// order through it works.
		req.Items = nil
	}
	if req.Items != nil && from != wire.OrderPending {
		st.mu.Unlock()
		xepengError(w, http.StatusUnprocessableEntity, "Order items can only change while the order is pending", codeInvalidStatus, nil)
		return
	}
	if from != req.Status && !orderTransitions[[2]string{from, req.Status}] {
		st.mu.Unlock()
		xepengError(w, http.StatusUnprocessableEntity, fmt.Sprintf("Order cannot change from %s to %s", from, req.Status), codeInvalidStatus, nil)
		return
	}
	// The same status again without items changes nothing, so a retried
	// activation is harmless.
	if from != req.Status || req.Items != nil {
		o.Status = req.Status
		if req.Items != nil {
			o.Items = req.Items
			o.TotalAmount = total
		}
		o.UpdatedAt = now
	}
	out := *o
	st.mu.Unlock()
	xepengOK(w, http.StatusOK, "Order updated", out)
}

func (s *Server) getOrder(w http.ResponseWriter, r *http.Request, _ []byte) {
	s.st.mu.RLock()
	o, ok := s.st.orderByUID[r.PathValue("uid")]
	var out wire.Order
	if ok {
		out = *o
	}
	s.st.mu.RUnlock()
	if !ok {
		xepengError(w, http.StatusNotFound, "Order not found", codeNotFound, nil)
		return
	}
	xepengOK(w, http.StatusOK, "Order retrieved", out)
}

// pageParams reads page and limit. An empty value means the default;
// anything else that is not an integer in range is a 422.
func pageParams(r *http.Request) (pageNo, limit int, errs []wire.FieldError) {
	q := r.URL.Query()
	parse := func(name string, def, lo, hi int) int {
		v := q.Get(name)
		if v == "" {
			return def
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < lo || n > hi {
			msg := fmt.Sprintf("%s must be an integer of at least %d", name, lo)
			if hi < math.MaxInt {
				msg = fmt.Sprintf("%s must be an integer from %d to %d", name, lo, hi)
			}
			errs = append(errs, wire.FieldError{Field: name, Message: msg})
		}
		return n
	}
	pageNo = parse("page", 1, 1, math.MaxInt)
	limit = parse("limit", defaultLimit, 1, maxLimit)
	return pageNo, limit, errs
}

func (s *Server) listOrders(w http.ResponseWriter, r *http.Request, _ []byte) {
	pageNo, limit, errs := pageParams(r)
	if errs != nil {
		validationFailed(w, errs)
		return
	}
	s.st.mu.RLock()
	orders, p := page(s.st.orders, pageNo, limit)
	s.st.mu.RUnlock()
	if pageNo >= 2 && s.defect(DefectPage2Field) {
		xepengOK(w, http.StatusOK, "Orders retrieved", map[string]any{"orders": withoutField(orders, "currency"), "pagination": p})
		return
	}
	xepengOK(w, http.StatusOK, "Orders retrieved", wire.OrderList{Orders: orders, Pagination: p})
}

func (s *Server) generateLink(w http.ResponseWriter, r *http.Request, body []byte) {
	var req wire.GeneratePaymentLinkRequest
	if errs := decodeBody(body, &req); errs != nil {
		validationFailed(w, errs)
		return
	}
	now := s.now()
	var errs []wire.FieldError
	if strings.TrimSpace(req.OrderUID) == "" {
		errs = append(errs, wire.FieldError{Field: "order_uid", Message: "order_uid is required"})
	}
	var expiredAt *time.Time
	if req.ExpiredAt != "" {
		t, err := time.Parse(time.RFC3339, req.ExpiredAt)
		switch {
		case err != nil:
			errs = append(errs, wire.FieldError{Field: "expired_at", Message: "expired_at must be an RFC 3339 date-time"})
		case !t.After(now):
			errs = append(errs, wire.FieldError{Field: "expired_at", Message: "expired_at must be in the future"})
		default:
			t = t.UTC()
			expiredAt = &t
		}
	}
	for _, f := range []struct{ name, v string }{
		{"callback_url", req.CallbackURL}, {"success_url", req.SuccessURL}, {"cancel_url", req.CancelURL},
	} {
		if f.v != "" && !isHTTPURL(f.v) {
			errs = append(errs, wire.FieldError{Field: f.name, Message: f.name + " must be an absolute http or https URL"})
		}
	}
	if len(errs) > 0 {
		validationFailed(w, errs)
		return
	}
	st := s.st
	st.mu.Lock()
	o, ok := st.orderByUID[req.OrderUID]
	if !ok {
		st.mu.Unlock()
		xepengError(w, http.StatusNotFound, "Order not found", codeNotFound, nil)
		return
	}
	if o.Status != wire.OrderActive {
		st.mu.Unlock()
		xepengError(w, http.StatusUnprocessableEntity, "Order is not active", codeInvalidStatus, nil)
		return
	}
	uid := st.newLinkUID()
	l := &wire.PaymentLink{
		UID:        uid,
		OrderUID:   o.UID,
		Status:     wire.LinkPending,
		PaymentURL: baseURL(r) + "/pay/" + uid,
		Amount:     o.TotalAmount,
		Currency:   o.Currency,
		ExpiredAt:  expiredAt,
		CreatedAt:  now,
		UpdatedAt:  now,
	}
	st.linkByUID[uid] = l
	st.links = insertSorted(st.links, l, compareLinks)
	st.linksByOrder[o.UID] = append(st.linksByOrder[o.UID], l)
	out := *l
	st.mu.Unlock()
	xepengOK(w, http.StatusCreated, "Payment link generated", out)
}

func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

func (s *Server) listLinks(w http.ResponseWriter, r *http.Request, _ []byte) {
	pageNo, limit, errs := pageParams(r)
	if errs != nil {
		validationFailed(w, errs)
		return
	}
	if limit == maxLimit && s.defect(DefectBoundaryCrash) {
		crash(w)
		return
	}
	s.st.mu.RLock()
	links, p := page(s.st.links, pageNo, limit)
	s.st.mu.RUnlock()
	xepengOK(w, http.StatusOK, "Payment links retrieved", wire.PaymentLinkList{PaymentLinks: links, Pagination: p})
}

func (s *Server) getLink(w http.ResponseWriter, r *http.Request, _ []byte) {
	s.st.mu.RLock()
	l, ok := s.st.linkByUID[r.PathValue("uid")]
	var out wire.PaymentLink
	if ok {
		out = *l
	}
	s.st.mu.RUnlock()
	if !ok {
		xepengError(w, http.StatusNotFound, "Payment link not found", codeNotFound, nil)
		return
	}
	xepengOK(w, http.StatusOK, "Payment link retrieved", out)
}

// inactivateLink disables a pending link. Inactivating an inactive link
// again succeeds (a retry must not fail); a paid, expired or cancelled
// link has already ended and answers 422.
func (s *Server) inactivateLink(w http.ResponseWriter, r *http.Request, _ []byte) {
	now := s.now()
	st := s.st
	st.mu.Lock()
	l, ok := st.linkByUID[r.PathValue("uid")]
	if !ok {
		st.mu.Unlock()
		xepengError(w, http.StatusNotFound, "Payment link not found", codeNotFound, nil)
		return
	}
	switch l.Status {
	case wire.LinkPending:
		l.Status = wire.LinkInactive
		l.UpdatedAt = now
	case wire.LinkInactive:
	default:
		status := l.Status
		st.mu.Unlock()
		xepengError(w, http.StatusUnprocessableEntity, "Payment link is "+status+" and cannot be inactivated", codeInvalidStatus, nil)
		return
	}
	out := *l
	st.mu.Unlock()
	xepengOK(w, http.StatusOK, "Payment link inactivated", out)
}
