package contract

import (
	"net/http"
	"slices"
	"strings"
)

// Redacted replaces every secret in report text.
const Redacted = "[REDACTED]"

// Redactor removes secrets from text that reports show: excerpts of
// requests and responses, and messages that quote them.
type Redactor struct {
	secrets []string
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
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		for _, v := range h[k] {
			if slices.ContainsFunc(sensitiveHeaders, func(s string) bool { return strings.EqualFold(s, k) }) {
				v = Redacted
			}
			b.WriteString(k + ": " + r.String(v) + "\n")
		}
	}
	return b.String()
}
