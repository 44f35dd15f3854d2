package docfake

import (
	"bytes"
	"encoding/json"
)

// obj is a JSON object that keeps its keys in the order written, so a
// payload is serialised exactly as a vendor would send it and its
// signature can be computed over known bytes.
type obj []field

type field struct {
	k string
	v any
}

// MarshalJSON writes the fields in order, without HTML escaping (OxPay's
// "data untouched" rule: a sign key verifier compacts, it does not
// re-escape).
func (o obj) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := marshal(f.k)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		v, err := marshal(f.v)
		if err != nil {
			return nil, err
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// marshal is json.Marshal without HTML escaping and without the trailing
// newline of an Encoder.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// mustMarshal is marshal for values built here, which always encode.
func mustMarshal(v any) []byte {
	b, err := marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
