package sandbox

import (
	"log/slog"
	"time"

	"github.com/reconkit/reconkit/sandbox/gen"
)

// Config says which credentials the sandbox accepts and how it keeps
// time. The zero value of any field means its default (DefaultConfig), so
// a test can set only what it cares about.
type Config struct {
	// XepengClientID and XepengClientSecret are the credentials every
	// /openapi request must be signed with.
	XepengClientID     string
	XepengClientSecret string
	// OxPayAPIKey is the Bearer token and OxPaySignKey the HMAC key of
	// every /oxpay request.
	OxPayAPIKey  string
	OxPaySignKey string
	// MerchantID (9 characters) and TerminalID (14 characters) are the
	// only merchant and terminal OxPay requests may name.
	MerchantID   string
	TerminalID   string
	MerchantName string
	// ClockSkew is how far X-Timestamp may be from Now, either way.
	ClockSkew time.Duration
	// SessionTTL is how long a hosted-payment-page session lives.
	SessionTTL time.Duration
	// Now is the sandbox's clock; tests inject a fixed one. It is called
	// from many goroutines at once.
	Now func() time.Time
	// Logger receives one debug line per request (method, path, status,
	// duration; never headers or bodies). Nil discards.
	Logger *slog.Logger
	// OnRequest, when set, is called for every request as its status is
	// written, before the body is sent, so a test that has an answer can
	// count on its record. It runs on the request's goroutine and must be
	// safe for concurrent use.
	OnRequest func(RequestRecord)
	// Faults makes a share of the API's requests fail on purpose (see
	// Faults and ParseFaults); the zero value injects none. New panics on
	// a Faults that does not pass Validate: that is a programming error.
	Faults Faults
	// VoidStyle is how POST /void reports a void (gen.VoidSameID or
	// gen.VoidOwnID); zero means the dataset's style, the one its voids
	// were generated in, else same-id. New panics on another value.
	VoidStyle gen.VoidStyle
	// Defects plants bugs on purpose (see Defect; recon sandbox serve
	// --defects); none by default.
	Defects []Defect
}

// RequestRecord describes one request the sandbox answered.
type RequestRecord struct {
	Method   string
	Path     string // without the query string
	Status   int
	Time     time.Time     // when the request arrived, by Config.Now
	Duration time.Duration // until the status was written
	// Fault is the fault injected into this request, "" for none. A reset
	// connection has Status 0.
	Fault FaultKind
}

// The default credentials. They are public on purpose: the sandbox only
// ever listens on a developer's machine or a CI runner.
const (
	DefaultXepengClientID     = "sandbox-client"
	DefaultXepengClientSecret = "sandbox-secret"
	DefaultOxPayAPIKey        = "ak-sandbox"
	DefaultOxPaySignKey       = "sandbox-sign-key"
	DefaultMerchantID         = "100000001"
	DefaultTerminalID         = "10000000000001"
	DefaultMerchantName       = "Reconkit Sandbox Store"
	DefaultClockSkew          = 5 * time.Minute
	DefaultSessionTTL         = 30 * time.Minute
)

// DefaultConfig returns the configuration the demo and the tests use.
func DefaultConfig() Config {
	return Config{
		XepengClientID:     DefaultXepengClientID,
		XepengClientSecret: DefaultXepengClientSecret,
		OxPayAPIKey:        DefaultOxPayAPIKey,
		OxPaySignKey:       DefaultOxPaySignKey,
		MerchantID:         DefaultMerchantID,
		TerminalID:         DefaultTerminalID,
		MerchantName:       DefaultMerchantName,
		ClockSkew:          DefaultClockSkew,
		SessionTTL:         DefaultSessionTTL,
		Now:                time.Now,
	}
}

// withDefaults fills every zero field from DefaultConfig.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	setString := func(v *string, def string) {
		if *v == "" {
			*v = def
		}
	}
	setString(&c.XepengClientID, d.XepengClientID)
	setString(&c.XepengClientSecret, d.XepengClientSecret)
	setString(&c.OxPayAPIKey, d.OxPayAPIKey)
	setString(&c.OxPaySignKey, d.OxPaySignKey)
	setString(&c.MerchantID, d.MerchantID)
	setString(&c.TerminalID, d.TerminalID)
	setString(&c.MerchantName, d.MerchantName)
	if c.ClockSkew <= 0 {
		c.ClockSkew = d.ClockSkew
	}
	if c.SessionTTL <= 0 {
		c.SessionTTL = d.SessionTTL
	}
	if c.Now == nil {
		c.Now = d.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}
