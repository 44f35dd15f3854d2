package webhooklog

import "testing"

// BenchmarkDecode decodes a line of the sandbox's 1M-order night.
func BenchmarkDecode(b *testing.B) {
	line := []byte(`{"received_at":"2026-11-01T00:01:36Z","headers":{"Signature":"ee619d24b93a478264b848558ee1341a5b40619b53c7e11ccc4d2f16ead97fb6"},"body":{"headers":{"status_code":2,"status_message":"Rejected","gateway_response_datetime":"20261101000121"},"body":{"host_txn_id":"3d350d521dbb213ab0552ea16f863c32","merchant_reference_id":"ORD-20261101-0000256","oxpay_txn_id":"10000001","payment_brand":"Wechat","transaction_amount":84600000,"transaction_currency":"IDR","transaction_state":"rejected"}}}`)
	var d Decoder
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		if _, p := d.Decode(line); p != nil {
			b.Fatal(p)
		}
	}
}
