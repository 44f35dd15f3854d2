package sign

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"hash"
	"strings"
)

// OxPayVerifier checks OxPay signatures under one sign key and gives the
// same answers as VerifyOxPay. It keeps its HMAC state between calls, so
// a reader verifying a webhook log of millions of deliveries does not set
// up a new HMAC (and its allocations) for each one. It is not safe for
// concurrent use: give each goroutine its own.
type OxPayVerifier struct {
	mac     hash.Hash
	sum     [sha256.Size]byte
	hexSum  [2 * sha256.Size]byte
	compact bytes.Buffer
}

// NewOxPayVerifier returns a verifier for signatures made with signKey.
func NewOxPayVerifier(signKey string) *OxPayVerifier {
	return &OxPayVerifier{mac: hmac.New(sha256.New, []byte(signKey))}
}

// Verify checks sig against payload as received and, failing that,
// against its compact form, as VerifyOxPay does.
func (v *OxPayVerifier) Verify(payload []byte, sig string) Match {
	sig = strings.TrimSpace(sig)
	if sig == "" {
		return MatchUnsigned
	}
	got := strings.ToLower(sig) // allocates only when sig has upper case
	if v.matches(payload, got) {
		return MatchRaw
	}
	v.compact.Reset()
	if err := json.Compact(&v.compact, payload); err == nil && !bytes.Equal(v.compact.Bytes(), payload) {
		if v.matches(v.compact.Bytes(), got) {
			return MatchCompact
		}
	}
	return MatchNone
}

// matches compares, in constant time, the lowercase hex signature sig
// with the HMAC of payload.
func (v *OxPayVerifier) matches(payload []byte, sig string) bool {
	v.mac.Reset()
	v.mac.Write(payload)
	hex.Encode(v.hexSum[:], v.mac.Sum(v.sum[:0]))
	if len(sig) != len(v.hexSum) {
		return false // a length is no secret; hmac.Equal says the same
	}
	var got [2 * sha256.Size]byte
	copy(got[:], sig)
	return subtle.ConstantTimeCompare(got[:], v.hexSum[:]) == 1
}
