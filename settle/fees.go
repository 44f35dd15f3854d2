package settle

import (
	"errors"
	"fmt"
	"math/bits"
	"strings"

	"github.com/reconkit/reconkit/money"
)

// Rounding says where a percentage fee's fraction of a minor unit is
// rounded (half-up): on each transaction's fee, or once on the batch's.
type Rounding uint8

// The rounding rules.
const (
	RoundPerTransaction Rounding = iota
	RoundPerBatch
)

// ParseRounding reads a rounding rule as the config writes it.
func ParseRounding(s string) (Rounding, error) {
	switch s {
	case "", "transaction":
		return RoundPerTransaction, nil
	case "batch":
		return RoundPerBatch, nil
	}
	return 0, fmt.Errorf("rounding %q: want transaction or batch", s)
}

// FeeRule is the gateway's fee on the transactions of one payment brand
// (and, when Currency is set, one currency): a percentage of the amount
// plus a fixed fee, at least a minimum. Brand "*" applies to a brand no
// other rule names.
type FeeRule struct {
	Brand    string
	Currency string // "" for every currency
	// PercentE4 is the percentage × 10^4 (2.9% is 29000), read exactly
	// from decimal text by ParsePercent.
	PercentE4  int64
	FixedMinor int64
	MinMinor   int64
}

// ParsePercent reads a percentage written as decimal text ("2.9",
// "0.75") exactly, with at most four decimals: never through a float.
func ParsePercent(s string) (int64, error) {
	v, err := money.Parse(s, 4, money.Dot)
	if err != nil {
		return 0, fmt.Errorf("percent %q: %w", s, err)
	}
	if v < 0 || v > 100_0000 {
		return 0, fmt.Errorf("percent %q must be between 0 and 100", s)
	}
	return v, nil
}

// Schedule is the gateway's fee schedule.
type Schedule struct {
	Rules    []FeeRule
	Rounding Rounding
	// RefundFeeReturned says the gateway gives a sale's fee back when the
	// sale is refunded (a refund then lowers the batch's fees by its own
	// amount's fee); by default it does not.
	RefundFeeReturned bool
}

// Validate lists every problem of the schedule at once.
func (s Schedule) Validate() error {
	var errs []error
	seen := map[[2]string]bool{}
	for i, r := range s.Rules {
		key := [2]string{strings.ToLower(r.Brand), r.Currency}
		switch {
		case r.Brand == "":
			errs = append(errs, fmt.Errorf("fee rule %d: brand is required (\"*\" for any other brand)", i+1))
		case seen[key]:
			errs = append(errs, fmt.Errorf("fee rule %d: brand %s%s is given twice", i+1, r.Brand, inCurrency(r.Currency)))
		}
		seen[key] = true
		if r.Currency != "" && !money.Known(r.Currency) {
			errs = append(errs, fmt.Errorf("fee rule %d: unknown currency %q", i+1, r.Currency))
		}
		if r.PercentE4 < 0 || r.PercentE4 > 100_0000 {
			errs = append(errs, fmt.Errorf("fee rule %d: percent must be between 0 and 100", i+1))
		}
		if r.FixedMinor < 0 || r.MinMinor < 0 {
			errs = append(errs, fmt.Errorf("fee rule %d: fixed and minimum fees must not be negative", i+1))
		}
	}
	return errors.Join(errs...)
}

func inCurrency(c string) string {
	if c == "" {
		return ""
	}
	return " in " + c
}

// rule finds the rule for a brand and currency: the brand's rule for the
// currency, else the brand's for every currency, else "*" the same way.
func (s Schedule) rule(brand, currency string) (FeeRule, bool) {
	for _, b := range []string{brand, "*"} {
		for _, cur := range []string{currency, ""} {
			for _, r := range s.Rules {
				if strings.EqualFold(r.Brand, b) && r.Currency == cur {
					return r, true
				}
			}
		}
	}
	return FeeRule{}, false
}

// exactFee is a fee in millionths of a minor unit (10^-6), exact: the
// percentage part is amount × PercentE4 / 10^6 minor units. It is held
// in 128 bits, as amount × PercentE4 passes int64 for amounts over 9.2
// × 10^12.
type exactFee struct{ hi, lo uint64 }

const micro = 1_000_000

// feeOf is the exact fee of one transaction's amount under r, the
// minimum applied.
func feeOf(r FeeRule, amount int64) exactFee {
	hi, lo := bits.Mul64(uint64(amount), uint64(r.PercentE4))
	f := exactFee{hi, lo}.add(mulMicro(r.FixedMinor))
	if min := mulMicro(r.MinMinor); f.less(min) {
		return min
	}
	return f
}

func mulMicro(v int64) exactFee {
	hi, lo := bits.Mul64(uint64(v), micro)
	return exactFee{hi, lo}
}

func (a exactFee) add(b exactFee) exactFee {
	lo, c := bits.Add64(a.lo, b.lo, 0)
	hi, _ := bits.Add64(a.hi, b.hi, c)
	return exactFee{hi, lo}
}

func (a exactFee) less(b exactFee) bool { return a.hi < b.hi || (a.hi == b.hi && a.lo < b.lo) }

// round is the fee in whole minor units, half-up, or an error when it
// does not fit in int64.
func (a exactFee) round() (int64, error) {
	a = a.add(exactFee{0, micro / 2})
	if a.hi >= micro {
		return 0, errors.New("fee beyond int64")
	}
	q, _ := bits.Div64(a.hi, a.lo, micro)
	if q > 1<<63-1 {
		return 0, errors.New("fee beyond int64")
	}
	return int64(q), nil
}
