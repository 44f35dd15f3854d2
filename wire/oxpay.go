package wire

// OxPay operation status codes in headers.status_code.
const (
	OxStatusSuccess  = 0
	OxStatusPending  = 1
	OxStatusRejected = 2
	OxStatusError    = 3
)

// OxPay transaction states.
const (
	StateAuthorized       = "authorized"
	StateCaptureRejected  = "capture_rejected"
	StateCaptureSubmitted = "capture_submitted"
	StateCaptured         = "captured"
	StateError            = "error"
	StatePending          = "pending"
	StateRefunded         = "refunded"
	StateRejected         = "rejected"
	StateRequested        = "requested"
	StateSale             = "sale"
	StateSuccess          = "success"
	StateVoided           = "voided"
)

// OxPay transaction types.
const (
	TypeSale    = "SALE"
	TypeVoid    = "VOID"
	TypeRefund  = "REFUND"
	TypeCapture = "CAPTURE"
)

// OxGatewayTimeLayout is the layout OxPay uses for gateway_response_datetime
// in every example (20240111071316), although its own schema says date-time.
const OxGatewayTimeLayout = "20060102150405"

// OxHeaders is the headers object of every OxPay payload.
type OxHeaders struct {
	StatusCode              int    `json:"status_code"`
	StatusMessage           string `json:"status_message"`
	GatewayResponseDatetime string `json:"gateway_response_datetime"`
}

// OxEnvelope is OxPay's {headers, body} payload, for responses and webhooks.
type OxEnvelope[T any] struct {
	Headers OxHeaders `json:"headers"`
	Body    T         `json:"body"`
}

// OxError is the body of a rejected request (HTTP 400).
type OxError struct {
	Status     string `json:"status"`
	StatusDesc string `json:"status_desc"`
}

// OxAmount is an amount in the currency's smallest unit (SGD 1 = 100).
type OxAmount struct {
	Value    int64  `json:"value"`
	Currency string `json:"currency"`
}

// OxSource is the payer of a hosted payment page.
type OxSource struct {
	Name  string `json:"name"`
	Email string `json:"email"`
	Phone string `json:"phone"`
}

// PaymentPageRequest is the body of POST /payment-page.
type PaymentPageRequest struct {
	MerchantID          string   `json:"merchant_id"`
	TerminalID          string   `json:"terminal_id"`
	MerchantReferenceID string   `json:"merchant_reference_id"`
	Description         string   `json:"description"`
	SuccessURL          string   `json:"success_url"`
	FailureURL          string   `json:"failure_url"`
	NotificationURL     string   `json:"notification_url"`
	Amount              OxAmount `json:"amount"`
	Source              OxSource `json:"source"`
	Capture             *bool    `json:"capture,omitempty"`
}

// PaymentPageResponse is the body of a POST /payment-page response.
type PaymentPageResponse struct {
	OxpayHppURL string `json:"oxpay_hpp_url"`
}

// Card is a card payment method.
type Card struct {
	Name        string `json:"name"`
	CardNumber  string `json:"card_number"`
	ExpiryMonth string `json:"expiry_month"`
	ExpiryYear  string `json:"expiry_year"`
	CVV         string `json:"cvv"`
}

// PaymentMethod says how the payer pays: a brand (QR wallets) or a card.
type PaymentMethod struct {
	Brand string `json:"brand,omitempty"`
	Card  *Card  `json:"card_info,omitempty"`
}

// PaymentRequest is the body of POST /payment.
type PaymentRequest struct {
	MerchantID          string        `json:"merchant_id"`
	TerminalID          string        `json:"terminal_id"`
	MerchantReferenceID string        `json:"merchant_reference_id"`
	OxpaySessionID      string        `json:"oxpay_session_id,omitempty"`
	SuccessURL          string        `json:"success_url"`
	FailureURL          string        `json:"failure_url"`
	NotificationURL     string        `json:"notification_url"`
	PaymentMethod       PaymentMethod `json:"payment_method"`
	Amount              OxAmount      `json:"amount"`
	Capture             *bool         `json:"capture,omitempty"`
}

// PaymentResponse is the body of a POST /payment or /capture response.
type PaymentResponse struct {
	PaymentBrand        string `json:"payment_brand,omitempty"`
	OxpayTxnID          string `json:"oxpay_txn_id"`
	MerchantReferenceID string `json:"merchant_reference_id"`
}

// FollowUpRequest is the body of POST /void, /refund and /capture: an
// operation on an earlier transaction.
type FollowUpRequest struct {
	MerchantID          string   `json:"merchant_id"`
	TerminalID          string   `json:"terminal_id"`
	OxpayOriginalTxnID  string   `json:"oxpay_original_txn_id"`
	MerchantReferenceID string   `json:"merchant_reference_id"`
	NotificationURL     string   `json:"notification_url"`
	Amount              OxAmount `json:"amount"`
}

// VoidResponse is the body of a POST /void response. A gateway that
// gives the void an id of its own (as OxPay's document does) answers with
// that id in OxpayTxnID and the sale's in OxpayOriginalTxnID; one that
// voids the sale in place answers with the sale's id and no original.
type VoidResponse struct {
	OxpayTxnID          string `json:"oxpay_txn_id"`
	OxpayOriginalTxnID  string `json:"oxpay_original_txn_id,omitempty"`
	MerchantReferenceID string `json:"merchant_reference_id"`
	PaymentBrand        string `json:"payment_brand,omitempty"`
}

// RefundResponse is the body of a POST /refund response.
type RefundResponse struct {
	OxpayTxnID          string `json:"oxpay_txn_id"`
	MerchantReferenceID string `json:"merchant_reference_id"`
	PaymentBrand        string `json:"payment_brand,omitempty"`
	RefundAmount        int64  `json:"refund_amount"`
}

// Transaction is the body of GET /payment/{oxpay_txn_id}. The first seven
// fields are OxPay's documented ones; the refund fields appear on refunds,
// as they do in the refund webhook, and TransactionType where the gateway
// states it.
type Transaction struct {
	OxpayTxnID          string `json:"oxpay_txn_id"`
	OxpayOriginalTxnID  string `json:"oxpay_original_txn_id,omitempty"`
	MerchantReferenceID string `json:"merchant_reference_id"`
	HostTxnID           string `json:"host_txn_id"`
	TransactionType     string `json:"transaction_type,omitempty"`
	TransactionState    string `json:"transaction_state"`
	PaymentBrand        string `json:"payment_brand"`
	TransactionAmount   int64  `json:"transaction_amount"`
	RefundAmount        int64  `json:"refund_amount,omitempty"`
	TransactionCurrency string `json:"transaction_currency"`
	// Received holds the amounts as they were received, set by
	// UnmarshalJSON; nil for a transaction built in code. Read them
	// with ReadAmounts.
	Received *TransactionMoney `json:"-"`
}

// PaymentBrandInfo is one entry of a session's payment_brand_list.
type PaymentBrandInfo struct {
	BrandName  string `json:"brand_name"`
	MethodName string `json:"method_name"`
}

// SessionPayment is the (flat, unwrapped) response of GET
// /payment?session_id=..., as OxPay's own example shows it.
type SessionPayment struct {
	MerchantID           string             `json:"merchant_id"`
	MerchantName         string             `json:"merchant_name"`
	TerminalID           string             `json:"terminal_id"`
	TransactionID        *string            `json:"transaction_id"`
	ExpiryDatetime       string             `json:"expiry_datetime"`
	MerchantReferenceID  string             `json:"merchant_reference_id"`
	TransactionCurrency  string             `json:"transaction_currency"`
	TransactionAmount    int64              `json:"transaction_amount"`
	Description          string             `json:"description"`
	PayerName            string             `json:"payer_name"`
	PayerEmail           string             `json:"payer_email"`
	PayerPhone           string             `json:"payer_phone"`
	PayerReturnURL       string             `json:"payer_return_url"`
	PayerErrorURL        string             `json:"payer_error_url"`
	PayerNotificationURL string             `json:"payer_notification_url"`
	PayerCapture         bool               `json:"payer_capture"`
	PaymentBrandList     []PaymentBrandInfo `json:"payment_brand_list"`
}

// Notification is the body of a payment, refund or void webhook. Refunds
// add OxpayOriginalTxnID and RefundAmount.
type Notification struct {
	HostTxnID           string `json:"host_txn_id"`
	MerchantReferenceID string `json:"merchant_reference_id"`
	OxpayOriginalTxnID  string `json:"oxpay_original_txn_id,omitempty"`
	OxpayTxnID          string `json:"oxpay_txn_id"`
	PaymentBrand        string `json:"payment_brand"`
	TransactionAmount   int64  `json:"transaction_amount"`
	RefundAmount        int64  `json:"refund_amount,omitempty"`
	TransactionCurrency string `json:"transaction_currency"`
	TransactionState    string `json:"transaction_state"`
}

// Webhook kinds, as the OxPay spec names its three notifications.
const (
	WebhookPayment = "payment"
	WebhookRefund  = "refund"
	WebhookVoid    = "void"
)

// WebhookLogLine is one delivery in a webhook log (JSON Lines): when it
// was received, its HTTP headers, and the payload either as a JSON object
// or as a JSON string holding the exact raw bytes received.
type WebhookLogLine struct {
	ReceivedAt string            `json:"received_at"` // RFC 3339
	Headers    map[string]string `json:"headers"`
	Body       any               `json:"body"`
}
