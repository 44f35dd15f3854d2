package sign

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// XepengPayload returns the exact bytes Xepeng signs: the upper-cased
// method, the path without its query string, the Unix timestamp in seconds
// as a decimal string, and the raw body bytes (empty for a GET).
func XepengPayload(method, path, timestamp string, body []byte) []byte {
	if i := strings.IndexByte(path, '?'); i >= 0 {
		// The official package signs the path alone, even for a list call
		// that carries ?page=1&limit=10.
		path = path[:i]
	}
	b := make([]byte, 0, len(method)+len(path)+len(timestamp)+len(body))
	b = append(b, strings.ToUpper(method)...)
	b = append(b, path...)
	b = append(b, timestamp...)
	b = append(b, body...)
	return b
}

// Xepeng returns the lowercase hex HMAC-SHA256 signature that goes in the
// X-Signature header.
func Xepeng(secret, method, path, timestamp string, body []byte) string {
	return hexMAC([]byte(secret), XepengPayload(method, path, timestamp, body))
}

// VerifyXepeng reports whether sig is the signature of the request, in
// constant time.
func VerifyXepeng(secret, method, path, timestamp string, body []byte, sig string) bool {
	want := Xepeng(secret, method, path, timestamp, body)
	return hmac.Equal([]byte(want), []byte(strings.ToLower(sig)))
}

func hexMAC(key, payload []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write(payload)
	return hex.EncodeToString(m.Sum(nil))
}
