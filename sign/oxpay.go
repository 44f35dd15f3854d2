package sign

import (
	"bytes"
	"crypto/hmac"
	"encoding/json"
	"strings"
)

// Match says which form of a payload a signature was found to cover.
type Match string

// The outcomes of VerifyOxPay. They are stored with each webhook delivery,
// so their text is part of the database and the reports.
const (
	MatchRaw      Match = "raw"      // over the bytes exactly as received
	MatchCompact  Match = "compact"  // over the compact re-serialisation
	MatchNone     Match = "invalid"  // a signature was present and matched neither
	MatchUnsigned Match = "unsigned" // no signature was present
)

// Valid reports whether the signature matched one of the accepted forms.
func (m Match) Valid() bool { return m == MatchRaw || m == MatchCompact }

// Compact returns payload with the whitespace between JSON tokens removed,
// key order and string contents untouched: the form OxPay documents as
// the one it signs.
func Compact(payload []byte) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(len(payload))
	if err := json.Compact(&buf, payload); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// OxPay returns the lowercase hex HMAC-SHA256 of payload keyed with the
// sign key. Callers that sign a request pass its compact JSON body.
func OxPay(signKey string, payload []byte) string {
	return hexMAC([]byte(signKey), payload)
}

// VerifyOxPay checks sig against payload as received and, failing that,
// against its compact form. OxPay's own samples disagree on escaping and
// on whitespace, so both are accepted and the result says which matched.
// Comparisons are constant-time.
func VerifyOxPay(signKey string, payload []byte, sig string) Match {
	sig = strings.TrimSpace(sig)
	if sig == "" {
		return MatchUnsigned
	}
	got := []byte(strings.ToLower(sig))
	if hmac.Equal(got, []byte(OxPay(signKey, payload))) {
		return MatchRaw
	}
	if compact, err := Compact(payload); err == nil && !bytes.Equal(compact, payload) {
		if hmac.Equal(got, []byte(OxPay(signKey, compact))) {
			return MatchCompact
		}
	}
	return MatchNone
}

// KeyFingerprint names a sign key without revealing it: 16 hex digits of
// an HMAC of a fixed text under the key. A stored verdict carries the
// fingerprint of the key it was made with, so that verdicts made with
// another key (a wrong OXPAY_SIGN_KEY, since corrected) can be found and
// made again; the key itself is never stored. An empty key has the
// empty fingerprint.
func KeyFingerprint(signKey string) string {
	if signKey == "" {
		return ""
	}
	return hexMAC([]byte(signKey), []byte("reconkit sign-key fingerprint v1"))[:16]
}
