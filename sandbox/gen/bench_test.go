package gen

import "testing"

// BenchmarkGenerate builds a 100k-order world per iteration and reports
// orders/s.
//
// Measured on the 2-core build machine (go1.26.8, AMD EPYC, other builds
// running beside it): 100k orders in 0.40 to 0.44 s (230k to 250k
// orders/s, 149 MB and about 15k allocations per world). One million
// orders: 3.5 to 3.8 s wall, 4.8 s CPU with payloads built on both cores,
// 1.14 GB live afterwards (1.4 GB peak), of which about 350 MB are the
// webhook payloads and the rest mostly the wire structs the contract
// holds. WriteFiles of that world takes about 7 s, nearly all of it
// excelize streaming the 800k-row workbook.
func BenchmarkGenerate(b *testing.B) {
	const orders = 100_000
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Generate(Options{Seed: 1, Orders: orders}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(orders)*float64(b.N)/b.Elapsed().Seconds(), "orders/s")
}

// BenchmarkWriteFiles writes the four files of a 100k-order world and
// reports ledger lines/s. Measured as above: 0.86 s per world (80k ledger
// lines, 92k lines/s), the workbook taking most of it.
func BenchmarkWriteFiles(b *testing.B) {
	ds, err := Generate(Options{Seed: 1, Orders: 100_000})
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	for b.Loop() {
		if err := ds.WriteFiles(dir); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(ds.Ledger))*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}
