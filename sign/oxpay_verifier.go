package sign

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
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
	compact bytes.Buffer
}

// NewOxPayVerifier returns a verifier for signatures made with signKey.
func NewOxPayVerifier(signKey string) *OxPayVerifier {
	return &OxPayVerifier{mac: hmac.New(sha256.New, []byte(signKey))}
}

// Verify checks sig against payload as received and, failing that,
// against its compact form, as VerifyOxPay does. The signature is
// decoded rather than lower-cased and compared as text: hex digits of
// either case name the same bytes, and anything that is not 64 of them
// matches no HMAC.
func (v *OxPayVerifier) Verify(payload []byte, sig string) Match {
	sig = strings.TrimSpace(sig)
	if sig == "" {
		return MatchUnsigned
	}
	want, ok := decodeSig(sig)
	if !ok {
		return MatchNone
	}
	return v.check(payload, nil, &want)
}

// VerifyCompact is Verify for a reader that holds the signature as bytes
// and has the payload's compact form at hand (what json.Compact makes of
// it: the payload itself when no whitespace stands between its tokens),
// so that neither is made again. A nil compact is made here if needed.
func (v *OxPayVerifier) VerifyCompact(payload, compact, sig []byte) Match {
	sig = bytes.TrimSpace(sig)
	if len(sig) == 0 {
		return MatchUnsigned
	}
	want, ok := decodeSig(sig)
	if !ok {
		return MatchNone
	}
	return v.check(payload, compact, &want)
}

// decodeSig reads a trimmed signature's 64 hex digits.
func decodeSig[S string | []byte](sig S) (want [sha256.Size]byte, ok bool) {
	var text [2 * sha256.Size]byte
	if len(sig) != len(text) {
		return want, false // a length is no secret; hmac.Equal says the same
	}
	copy(text[:], sig)
	_, err := hex.Decode(want[:], text[:])
	return want, err == nil
}

// check compares want with the HMAC of payload, then of its compact
// form (made here when compact is nil) if that differs.
func (v *OxPayVerifier) check(payload, compact []byte, want *[sha256.Size]byte) Match {
	if v.matches(payload, want) {
		return MatchRaw
	}
	if compact == nil {
		v.compact.Reset()
		if err := json.Compact(&v.compact, payload); err != nil {
			return MatchNone
		}
		compact = v.compact.Bytes()
	}
	if !bytes.Equal(compact, payload) && v.matches(compact, want) {
		return MatchCompact
	}
	return MatchNone
}

// matches compares, in constant time, the HMAC of payload with want.
func (v *OxPayVerifier) matches(payload []byte, want *[sha256.Size]byte) bool {
	v.mac.Reset()
	v.mac.Write(payload)
	return hmac.Equal(v.mac.Sum(v.sum[:0]), want[:])
}
