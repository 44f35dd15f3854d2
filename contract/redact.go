package contract

import (
	"net/http"
	"slices"
	"strings"
	"sync"
)

// Redacted replaces every secret in report text.
const Redacted = "[REDACTED]"

// Redactor removes secrets from text that reports show: excerpts of
// requests and responses, and messages that quote them.
type Redactor struct {
	mu      sync.RWMutex
	secrets []string
	headers []string // more headers whose values are never shown
}

// Add redacts one more secret from now on (an OAuth2 token, once
// fetched).
func (r *Redactor) Add(secret string) {
	if r == nil || secret == "" {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if !slices.Contains(r.secrets, secret) {
		r.secrets = append(r.secrets, secret)
		slices.SortFunc(r.secrets, func(a, b string) int { return len(b) - len(a) })
	}
}

// WithHeaders returns r redacting the named headers too (extra headers
// configured as secret).
func (r *Redactor) WithHeaders(names ...string) *Redactor {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.headers = append(r.headers, names...)
	return r
}

// NewRedactor redacts the given secrets; empty ones are ignored, and
// longer secrets are replaced first so one that contains another is
// removed whole.
func NewRedactor(secrets ...string) *Redactor {
	var s []string
	for _, x := range secrets {
		if x != "" {
			s = append(s, x)
		}
	}
	slices.SortFunc(s, func(a, b string) int { return len(b) - len(a) })
	return &Redactor{secrets: s}
}

// String returns s with every secret replaced.
func (r *Redactor) String(s string) string {
	if r == nil {
		return s
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, x := range r.secrets {
		s = strings.ReplaceAll(s, x, Redacted)
	}
	return s
}

// sensitiveHeaders carry credentials or signatures; their values never
// appear in an excerpt.
var sensitiveHeaders = []string{"Authorization", "Signature", "X-Signature", "Proxy-Authorization", "Cookie", "Set-Cookie", "X-Api-Key"}

// Header renders headers one per line in sorted order, with credential
// headers redacted.
func (r *Redactor) Header(h http.Header) string {
	r.mu.RLock()
	hidden := append(slices.Clone(sensitiveHeaders), r.headers...)
	r.mu.RUnlock()
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		for _, v := range h[k] {
			if slices.ContainsFunc(hidden, func(s string) bool { return strings.EqualFold(s, k) }) {
				v = Redacted
			}
			b.WriteString(k + ": " + r.String(v) + "\n")
		}
	}
	return b.String()
}
