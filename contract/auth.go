package contract

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/reconkit/reconkit/sign"
)

// Credentials are the secrets of one auth kind. The command layer reads
// them from the environment; nothing in this package prints them.
type Credentials struct {
	ClientID     string // xepeng_hmac
	ClientSecret string // xepeng_hmac
	APIKey       string // oxpay
	SignKey      string // oxpay
	Token        string // bearer
}

// Auth signs requests the way one API expects, and spoils the signature
// on purpose for the negative checks.
type Auth struct {
	Kind  string
	creds Credentials
	now   func() time.Time
}

// Values the negative checks send instead of the real ones. They are
// recognisably fake so a server log shows what happened.
const (
	fakeClientID = "contract-test-unknown-client"
	fakeSecret   = "contract-test-wrong-secret"
	fakeToken    = "contract-test-unknown-token"
	// staleBy is how old the stale-timestamp check's timestamp is.
	staleBy = 10 * time.Minute
)

// NewAuth returns the auth of kind with its credentials; it fails when a
// credential the kind needs is empty, naming the credential but never a
// value.
func NewAuth(kind string, c Credentials, now func() time.Time) (*Auth, error) {
	if now == nil {
		now = time.Now
	}
	var missing []string
	need := func(v, name string) {
		if v == "" {
			missing = append(missing, name)
		}
	}
	switch kind {
	case AuthXepengHMAC:
		need(c.ClientID, "client id")
		need(c.ClientSecret, "client secret")
	case AuthOxPay:
		need(c.APIKey, "API key")
		need(c.SignKey, "sign key")
	case AuthBearer:
		need(c.Token, "token")
	case AuthNone:
	default:
		return nil, fmt.Errorf("auth kind %q: want one of %s", kind, strings.Join(authKinds[1:], ", "))
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("auth %s: missing %s", kind, strings.Join(missing, " and "))
	}
	return &Auth{Kind: kind, creds: c, now: now}, nil
}

// Secrets lists the values reports must never show.
func (a *Auth) Secrets() []string {
	var out []string
	for _, s := range []string{a.creds.ClientSecret, a.creds.APIKey, a.creds.SignKey, a.creds.Token} {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// Apply sets the credentials on req, whose body is body. neg is "" for a
// proper request, or the name of the negative check whose spoilt
// credentials to send.
func (a *Auth) Apply(req *http.Request, body []byte, op *Operation, spec *Spec, neg string) error {
	switch a.Kind {
	case AuthXepengHMAC:
		ts := a.now()
		if neg == CheckNegStaleTimestamp {
			ts = ts.Add(-staleBy)
		}
		stamp := strconv.FormatInt(ts.Unix(), 10)
		id, secret := a.creds.ClientID, a.creds.ClientSecret
		switch neg {
		case CheckNegWrongClientID:
			id = fakeClientID
		case CheckNegWrongSignature:
			secret = fakeSecret
		}
		req.Header.Set("X-Client-ID", id)
		req.Header.Set("X-Timestamp", stamp)
		if neg != CheckNegUnsigned {
			req.Header.Set("X-Signature", sign.Xepeng(secret, req.Method, req.URL.EscapedPath(), stamp, body))
		}
	case AuthOxPay:
		key := a.creds.APIKey
		if neg == CheckNegWrongClientID {
			key = fakeToken
		}
		signed := requiresSignature(op, spec)
		if neg != CheckNegUnsigned || signed {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		if signed || len(body) > 0 {
			signKey := a.creds.SignKey
			if neg == CheckNegWrongSignature {
				signKey = fakeSecret
			}
			if neg != CheckNegUnsigned {
				req.Header.Set("Signature", sign.OxPay(signKey, body))
			}
		}
	case AuthBearer:
		tok := a.creds.Token
		if neg == CheckNegWrongClientID {
			tok = fakeToken
		}
		if neg != CheckNegUnsigned {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
	case AuthNone:
	default:
		return errors.New("auth: unknown kind " + strconv.Quote(a.Kind))
	}
	return nil
}

// Negatives lists the auth negative checks that make sense for op: none
// for an operation the spec leaves open, the signature ones only where a
// signature is part of the scheme.
func (a *Auth) Negatives(op *Operation, spec *Spec) []string {
	if !requiresAuth(op) {
		return nil
	}
	switch a.Kind {
	case AuthXepengHMAC:
		return []string{CheckNegUnsigned, CheckNegWrongSignature, CheckNegStaleTimestamp, CheckNegWrongClientID}
	case AuthOxPay:
		if requiresSignature(op, spec) {
			return []string{CheckNegUnsigned, CheckNegWrongSignature, CheckNegWrongClientID}
		}
		return []string{CheckNegUnsigned, CheckNegWrongClientID}
	case AuthBearer:
		return []string{CheckNegUnsigned, CheckNegWrongClientID}
	}
	return nil
}

// refusals is what the auth negative checks accept by default.
var refusals = []int{401, 403}

// NegativeStatuses returns the statuses that count as the server refusing
// the spoilt request of an auth negative check on op. It is 401 or 403,
// except that OxPay answers a missing or wrong payload signature as it
// answers any other bad payload, with a 400 Rejected (its spec documents
// a badSignature example under the 400 response), so 400 counts there.
func (a *Auth) NegativeStatuses(check string, op *Operation, spec *Spec) []int {
	if a.Kind == AuthOxPay && requiresSignature(op, spec) && (check == CheckNegUnsigned || check == CheckNegWrongSignature) {
		return []int{400, 401, 403}
	}
	return refusals
}

// requiresAuth reports whether every way to call op needs credentials.
func requiresAuth(op *Operation) bool {
	if len(op.Security) == 0 {
		return false
	}
	for _, r := range op.Security {
		if r == nil || r.ContainsEmptyRequirement || r.Requirements == nil || r.Requirements.Len() == 0 {
			return false
		}
	}
	return true
}

// requiresSignature reports whether op's security names an apiKey header
// scheme that is a signature (OxPay's Signature, Xepeng's X-Signature).
func requiresSignature(op *Operation, spec *Spec) bool {
	for _, r := range op.Security {
		if r == nil || r.Requirements == nil {
			continue
		}
		for name := range r.Requirements.KeysFromOldest() {
			if ss := securityScheme(spec, name); ss != nil && ss.Type == "apiKey" && ss.In == "header" &&
				strings.Contains(strings.ToLower(ss.Name), "signature") {
				return true
			}
		}
	}
	return false
}

// DetectAuth picks the auth kind from the spec's security schemes:
// a client-id plus signature apiKey pair is Xepeng's HMAC, bearer plus a
// signature header is OxPay's, bearer alone is plain bearer.
func DetectAuth(spec *Spec) string {
	if spec.Model.Components == nil || spec.Model.Components.SecuritySchemes == nil {
		return AuthNone
	}
	var clientID, signature, bearer bool
	for _, ss := range spec.Model.Components.SecuritySchemes.FromOldest() {
		if ss == nil {
			continue
		}
		name := strings.ToLower(ss.Name)
		switch {
		case ss.Type == "apiKey" && ss.In == "header" && strings.Contains(name, "client-id"):
			clientID = true
		case ss.Type == "apiKey" && ss.In == "header" && strings.Contains(name, "signature"):
			signature = true
		case ss.Type == "http" && strings.EqualFold(ss.Scheme, "bearer"):
			bearer = true
		}
	}
	switch {
	case clientID && signature:
		return AuthXepengHMAC
	case bearer && signature:
		return AuthOxPay
	case bearer:
		return AuthBearer
	}
	return AuthNone
}
