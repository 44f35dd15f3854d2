package contract

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/reconkit/reconkit/sign"
)

// Credentials are the secrets of one auth kind, and the settings that
// go with them. The command layer reads them from the environment;
// nothing in this package prints them.
type Credentials struct {
	ClientID     string // xepeng_hmac, oauth2_client_credentials
	ClientSecret string // xepeng_hmac, oauth2_client_credentials
	APIKey       string // oxpay, api_key
	SignKey      string // oxpay
	Token        string // bearer
	Username     string // basic
	Password     string // basic
	// KeyIn ("header" or "query") and KeyName say where api_key sends the
	// key; header X-API-Key when empty.
	KeyIn   string
	KeyName string
	// TokenURL and Scopes are the OAuth2 client-credentials token
	// endpoint and the scopes asked for.
	TokenURL string
	Scopes   []string
	// Headers are sent with every request, of any kind; SecretHeaders
	// names those whose values are secrets (read from the environment),
	// redacted like credentials.
	Headers       map[string]string
	SecretHeaders []string
	// Env names the environment variable each secret came from, by
	// credential ("client_id", "client_secret", "api_key", "sign_key",
	// "token", "username", "password", or "header:NAME"), so that
	// reproducers refer to variables instead of values; "header:NAME" holds
	// the inside of a double-quoted shell word instead ("Bearer ${TOKEN}").
	// The documented defaults stand in for names left out.
	Env map[string]string
	// Client fetches OAuth2 tokens; a client with a 10 s timeout when nil.
	Client *http.Client
}

// Auth signs requests the way one API expects, and spoils the signature
// on purpose for the negative checks.
type Auth struct {
	Kind  string
	creds Credentials
	now   func() time.Time

	mu      sync.Mutex // guards the OAuth2 token
	token   string
	expires time.Time
	fetches int // OAuth2 token requests, for tests
	// watch learns every token fetched, so reports redact it.
	watch *Redactor
}

// Watch makes every secret Auth learns later (an OAuth2 token) redacted
// by red too.
func (a *Auth) Watch(red *Redactor) {
	a.mu.Lock()
	a.watch = red
	a.mu.Unlock()
}

// Values the negative checks send instead of the real ones. They are
// recognisably fake so a server log shows what happened.
const (
	fakeClientID = "contract-test-unknown-client"
	fakeSecret   = "contract-test-wrong-secret"
	fakeToken    = "contract-test-unknown-token"
	// staleBy is how old the stale-timestamp check's timestamp is.
	staleBy = 10 * time.Minute
	// refreshBefore is how long before its expiry an OAuth2 token is
	// fetched again.
	refreshBefore = 30 * time.Second
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
	case AuthBasic:
		need(c.Username, "username")
		need(c.Password, "password")
	case AuthAPIKey:
		need(c.APIKey, "API key")
		if c.KeyIn != "" && c.KeyIn != "header" && c.KeyIn != "query" {
			return nil, fmt.Errorf("auth %s: in %q: want header or query", kind, c.KeyIn)
		}
	case AuthOAuth2:
		need(c.ClientID, "client id")
		need(c.ClientSecret, "client secret")
		need(c.TokenURL, "token URL")
	case AuthNone:
	default:
		return nil, fmt.Errorf("auth kind %q: want one of %s", kind, strings.Join(authKinds[1:], ", "))
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("auth %s: missing %s", kind, strings.Join(missing, " and "))
	}
	if c.KeyName == "" {
		c.KeyName = "X-API-Key"
	}
	if c.KeyIn == "" {
		c.KeyIn = "header"
	}
	return &Auth{Kind: kind, creds: c, now: now}, nil
}

// SecretHeaders names the extra headers whose values are secrets.
func (a *Auth) SecretHeaders() []string {
	out := slices.Clone(a.creds.SecretHeaders)
	if a.Kind == AuthAPIKey && a.creds.KeyIn == "header" {
		out = append(out, a.creds.KeyName)
	}
	return out
}

// Secrets lists the values reports must never show.
func (a *Auth) Secrets() []string {
	var out []string
	add := func(vals ...string) {
		for _, s := range vals {
			if s != "" {
				out = append(out, s)
			}
		}
	}
	add(a.creds.ClientSecret, a.creds.APIKey, a.creds.SignKey, a.creds.Token, a.creds.Password)
	if a.Kind == AuthBasic {
		add(basicValue(a.creds.Username, a.creds.Password))
	}
	for _, h := range a.creds.SecretHeaders {
		add(a.creds.Headers[h])
	}
	a.mu.Lock()
	add(a.token)
	a.mu.Unlock()
	return out
}

// Redactor returns a redactor of every secret known so far, the OAuth2
// token included once fetched.
func (a *Auth) Redactor() *Redactor {
	return NewRedactor(a.Secrets()...).WithHeaders(a.SecretHeaders()...)
}

func basicValue(user, pass string) string {
	return base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
}

// Apply sets the credentials on req, whose body is body. neg is "" for a
// proper request, or the name of the negative check whose spoilt
// credentials to send.
func (a *Auth) Apply(req *http.Request, body []byte, op *Operation, spec *Spec, neg string) error {
	for _, k := range sortedStrings(a.creds.Headers) {
		req.Header.Set(k, a.creds.Headers[k])
	}
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
	case AuthBasic:
		pass := a.creds.Password
		if neg == CheckNegWrongClientID {
			pass = fakeSecret
		}
		if neg != CheckNegUnsigned {
			req.Header.Set("Authorization", "Basic "+basicValue(a.creds.Username, pass))
		}
	case AuthAPIKey:
		key := a.creds.APIKey
		if neg == CheckNegWrongClientID {
			key = fakeToken
		}
		if neg == CheckNegUnsigned {
			break
		}
		if a.creds.KeyIn == "query" {
			q := req.URL.Query()
			q.Set(a.creds.KeyName, key)
			req.URL.RawQuery = q.Encode()
		} else {
			req.Header.Set(a.creds.KeyName, key)
		}
	case AuthOAuth2:
		tok := fakeToken
		if neg != CheckNegWrongClientID {
			var err error
			if tok, err = a.oauthToken(req.Context()); err != nil {
				return err
			}
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

// oauthToken returns the client-credentials access token, fetching it
// when there is none or it expires within refreshBefore.
func (a *Auth) oauthToken(ctx context.Context) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.token != "" && (a.expires.IsZero() || a.now().Before(a.expires.Add(-refreshBefore))) {
		return a.token, nil
	}
	form := url.Values{"grant_type": {"client_credentials"}}
	if len(a.creds.Scopes) > 0 {
		form.Set("scope", strings.Join(a.creds.Scopes, " "))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.creds.TokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return "", fmt.Errorf("oauth2 token request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.SetBasicAuth(url.QueryEscape(a.creds.ClientID), url.QueryEscape(a.creds.ClientSecret))
	client := a.creds.Client
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	a.fetches++
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("oauth2 token from %s: %w", shownURL(a.creds.TokenURL), err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", fmt.Errorf("oauth2 token from %s: %w", shownURL(a.creds.TokenURL), err)
	}
	var tr struct {
		AccessToken string      `json:"access_token"`
		ExpiresIn   json.Number `json:"expires_in"`
	}
	if resp.StatusCode/100 != 2 || json.Unmarshal(raw, &tr) != nil || tr.AccessToken == "" {
		return "", fmt.Errorf("oauth2 token from %s: status %d, no access_token", shownURL(a.creds.TokenURL), resp.StatusCode)
	}
	a.token = tr.AccessToken
	a.watch.Add(a.token)
	a.expires = time.Time{}
	if secs, err := tr.ExpiresIn.Int64(); err == nil && secs > 0 {
		a.expires = a.now().Add(time.Duration(secs) * time.Second)
	}
	return a.token, nil
}

func sortedStrings(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
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
	case AuthBearer, AuthBasic, AuthAPIKey, AuthOAuth2:
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
// signature header is OxPay's, bearer alone is plain bearer; then HTTP
// basic, an OAuth2 client-credentials flow, and an apiKey (see
// DetectAPIKey and DetectOAuth2).
func DetectAuth(spec *Spec) string {
	if spec.Model.Components == nil || spec.Model.Components.SecuritySchemes == nil {
		return AuthNone
	}
	var clientID, signature, bearer, basic, apiKey, oauth bool
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
		case ss.Type == "http" && strings.EqualFold(ss.Scheme, "basic"):
			basic = true
		case ss.Type == "apiKey" && (ss.In == "header" || ss.In == "query"):
			apiKey = true
		case ss.Type == "oauth2" && ss.Flows != nil && ss.Flows.ClientCredentials != nil:
			oauth = true
		}
	}
	switch {
	case clientID && signature:
		return AuthXepengHMAC
	case bearer && signature:
		return AuthOxPay
	case bearer:
		return AuthBearer
	case basic:
		return AuthBasic
	case oauth:
		return AuthOAuth2
	case apiKey:
		return AuthAPIKey
	}
	return AuthNone
}

// DetectAPIKey returns where the spec's first apiKey scheme (that is not
// a signature) sends its key.
func DetectAPIKey(spec *Spec) (in, name string) {
	if spec.Model.Components == nil || spec.Model.Components.SecuritySchemes == nil {
		return "", ""
	}
	for _, ss := range spec.Model.Components.SecuritySchemes.FromOldest() {
		if ss != nil && ss.Type == "apiKey" && (ss.In == "header" || ss.In == "query") && !strings.Contains(strings.ToLower(ss.Name), "signature") {
			return ss.In, ss.Name
		}
	}
	return "", ""
}

// DetectOAuth2 returns the token URL and scopes of the spec's first
// OAuth2 client-credentials flow.
func DetectOAuth2(spec *Spec) (tokenURL string, scopes []string) {
	if spec.Model.Components == nil || spec.Model.Components.SecuritySchemes == nil {
		return "", nil
	}
	for _, ss := range spec.Model.Components.SecuritySchemes.FromOldest() {
		if ss == nil || ss.Type != "oauth2" || ss.Flows == nil || ss.Flows.ClientCredentials == nil {
			continue
		}
		cc := ss.Flows.ClientCredentials
		if cc.Scopes != nil {
			for k := range cc.Scopes.KeysFromOldest() {
				scopes = append(scopes, k)
			}
		}
		return cc.TokenUrl, scopes
	}
	return "", nil
}
