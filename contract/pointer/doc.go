// Package pointer escapes and unescapes the reference tokens of RFC 6901
// JSON pointers. The contract engine, lint, diff and webhooks all name
// places in a spec or a payload with pointers, and they share this one
// spelling of "~" and "/" inside a token.
package pointer
