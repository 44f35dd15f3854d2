package contract

import (
	"encoding/json"
	"testing"
)

func TestIDsFromResponses(t *testing.T) {
	body := func(s string) any {
		v, err := decodeJSON([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	orders := &Operation{ID: "createOrder", Path: "/openapi/orders"}
	pets := &Operation{ID: "createPet", Path: "/pets"}
	txn := &Operation{ID: "pay", Path: "/payment"}
	r := &runner{history: []*exchange{
		{op: orders, status: 201, bodyJSON: true, body: body(`{"data":{"uid":"ORD-1","items":[{"uid":"IT-1"}]}}`)},
		{op: pets, status: 201, bodyJSON: true, body: body(`{"id":7,"owner":{"id":99}}`)},
		{op: txn, status: 200, bodyJSON: true, body: body(`{"body":{"oxpay_txn_id":"10001"}}`)},
		{op: orders, status: 422, bodyJSON: true, body: body(`{"data":{"uid":"BAD"}}`)},
	}}
	for _, tc := range []struct {
		op    *Operation
		name  string
		exact bool
		want  any
	}{
		{&Operation{Path: "/openapi/orders/{order_uid}"}, "order_uid", true, "ORD-1"},
		{&Operation{Path: "/x"}, "orderUid", false, "ORD-1"},
		{&Operation{Path: "/payment/{oxpay_txn_id}"}, "oxpay_txn_id", true, "10001"},
		{&Operation{Path: "/payment/{oxpay_txn_id}"}, "oxpay_txn_id", false, nil}, // only an exact name finds it
		{&Operation{Path: "/pets/{id}"}, "id", true, json.Number("7")},
		{&Operation{Path: "/owners/{id}"}, "id", true, nil}, // no response of /owners
		{&Operation{Path: "/x"}, "paid", true, nil},
	} {
		got, ok := r.fromResponses(tc.op, tc.name, tc.exact)
		if tc.want == nil {
			if ok {
				t.Errorf("%s %s: got %v, want nothing", tc.op.Path, tc.name, got)
			}
			continue
		}
		if !ok || got != tc.want {
			t.Errorf("%s %s: got %v (%v), want %v", tc.op.Path, tc.name, got, ok, tc.want)
		}
	}
}
