package gen

import (
	"fmt"
	"math"
	"time"
)

// Defaults for the Options fields left zero.
const (
	DefaultDays        = 3
	DefaultAnomalyRate = 0.02
	DefaultSignKey     = "sandbox-sign-key"
	DefaultZone        = "Asia/Jakarta"
)

// MaxOrders bounds Options.Orders so that every oxpay_txn_id keeps eight
// digits and stays below the 9xxxxxxx numbers used for ledger references
// nothing knows.
const MaxOrders = 10_000_000

// DefaultFirstTxnID is the first oxpay_txn_id of a world whose
// Options.FirstTxnID is zero.
const DefaultFirstTxnID = 10_000_001

// maxDays bounds Options.Days to ten years of business days.
const maxDays = 3660

// PaymentURLBase is where payment links point; the sandbox server may
// rewrite the host to its own.
const PaymentURLBase = "https://pay.sandbox.xepeng.local/pl/"

// DefaultStart is the first business day when Options.Start is zero.
func DefaultStart(zone *time.Location) time.Time {
	return time.Date(2026, time.November, 1, 0, 0, 0, 0, zone)
}

func defaultZone() *time.Location {
	if loc, err := time.LoadLocation(DefaultZone); err == nil {
		return loc
	}
	// Without tzdata: WIB has been UTC+7 without daylight saving since
	// 1964, so every generated time is the same.
	return time.FixedZone("WIB", 7*3600)
}

// normalized fills the defaults and rejects options no world fits. Start
// keeps its calendar date and moves to midnight in Zone, so a date parsed
// in any location means that day.
func (o Options) normalized() (Options, error) {
	if o.Orders < 0 || o.Orders > MaxOrders {
		return o, fmt.Errorf("orders %d: want 0..%d", o.Orders, MaxOrders)
	}
	if o.Days < 0 || o.Days > maxDays {
		return o, fmt.Errorf("days %d: want 1..%d", o.Days, maxDays)
	}
	if o.Days == 0 {
		o.Days = DefaultDays
	}
	if o.FirstTxnID == 0 {
		o.FirstTxnID = DefaultFirstTxnID
	}
	// Ids keep eight digits below the references nothing knows (a world
	// has fewer than two transactions an order), and those, moved up as
	// much, keep eight digits too.
	if o.FirstTxnID < DefaultFirstTxnID || o.FirstTxnID-DefaultFirstTxnID+int64(o.Orders) > MaxOrders {
		return o, fmt.Errorf("first transaction id %d: want %d to %d for %d orders",
			o.FirstTxnID, DefaultFirstTxnID, DefaultFirstTxnID+MaxOrders-int64(o.Orders), o.Orders)
	}
	if math.IsNaN(o.AnomalyRate) || o.AnomalyRate > 1 {
		return o, fmt.Errorf("anomaly rate %v: want at most 1 (negative for none)", o.AnomalyRate)
	}
	if o.AnomalyRate == 0 {
		o.AnomalyRate = DefaultAnomalyRate
	}
	if o.Zone == nil {
		o.Zone = defaultZone()
	}
	if o.Start.IsZero() {
		o.Start = DefaultStart(o.Zone)
	} else {
		y, m, d := o.Start.Date()
		o.Start = time.Date(y, m, d, 0, 0, 0, 0, o.Zone)
	}
	if o.SignKey == "" {
		o.SignKey = DefaultSignKey
	}
	if o.VoidStyle == "" {
		o.VoidStyle = VoidSameID
	}
	if _, err := ParseVoidStyle(string(o.VoidStyle)); err != nil {
		return o, err
	}
	if o.LedgerStyle == "" {
		o.LedgerStyle = LedgerGross
	}
	if _, err := ParseLedgerStyle(string(o.LedgerStyle)); err != nil {
		return o, err
	}
	return o, nil
}

// Generate builds the world for opts. It depends on nothing but opts (no
// clock, no map order): the same options give the same Dataset, in every
// field and order. Zero fields take the defaults above; a negative
// AnomalyRate injects nothing. Dataset.Options holds the options with the
// defaults filled in.
//
// A million orders take a few seconds and about a gigabyte, most of it the
// webhook payloads; see BenchmarkGenerate.
func Generate(opts Options) (*Dataset, error) {
	opts, err := opts.normalized()
	if err != nil {
		return nil, fmt.Errorf("generate: %w", err)
	}
	w := newWorld(opts)
	w.planAnomalies()
	for i := range opts.Orders {
		w.genOrder(i)
	}
	if w.err == nil && opts.LedgerStyle.settles() {
		w.settleLedger()
	}
	if w.err != nil {
		return nil, fmt.Errorf("generate: %w", w.err)
	}
	ds, err := w.finish()
	if err != nil {
		return nil, fmt.Errorf("generate: %w", err)
	}
	return ds, nil
}
