package settle

import (
	"testing"
	"time"
)

// BenchmarkBuild cuts a net-settlement night's transactions (800k, as
// the 1M-order night batches) into batches.
func BenchmarkBuild(b *testing.B) {
	zone := time.FixedZone("WIB", 7*3600)
	start := time.Date(2026, 11, 2, 0, 0, 0, 0, zone)
	brands := []string{"Card", "GrabPay", "Paynow", "ShopeePay", "Alipay", "Wechat"}
	txns := make([]Txn, 800_000)
	for i := range txns {
		txns[i] = Txn{ID: int32(i), Brand: brands[i%len(brands)], Currency: []string{"IDR", "SGD"}[i%7/6],
			Amount: int64(100_000 + i%977*1000), At: start.Add(time.Duration(i) * 300 * time.Millisecond)}
		if i%20 == 0 {
			txns[i].Kind = Refund
		}
	}
	s := Schedule{Rules: []FeeRule{{Brand: "Card", Currency: "IDR", PercentE4: 20000, FixedMinor: 200000},
		{Brand: "Card", PercentE4: 29000, FixedMinor: 30}, {Brand: "*", Currency: "IDR", PercentE4: 7000, MinMinor: 100000},
		{Brand: "*", PercentE4: 15000}}}
	c := Calendar{Zone: zone, CutOff: 23 * time.Hour, PayoutDays: 1}
	b.ReportAllocs()
	for b.Loop() {
		Build(txns, s, c)
	}
}
