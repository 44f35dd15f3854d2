package recon

import (
	"fmt"

	"github.com/reconkit/reconkit/money"
)

// Sources whose amounts arrive as bare integers.
const (
	SourceXepeng = "xepeng"
	SourceOxPay  = "oxpay"
)

// Units says, per source and currency, how many decimals the integers a
// source sends carry: Xepeng sends rupiah as whole units (IDR: 0) while
// OxPay sends the smallest unit (IDR: 2). A currency a source does not
// list is taken to be in its ISO 4217 exponent.
type Units map[string]map[string]int

// DefaultUnits is what the sandbox and the known production APIs send.
func DefaultUnits() Units {
	return Units{
		SourceXepeng: {"IDR": 0},
		SourceOxPay:  {},
	}
}

// ToMinor converts an amount as a source sent it into the currency's
// minor units.
func (u Units) ToMinor(source, currency string, amount int64) (int64, error) {
	iso, ok := money.Exponent(currency)
	if !ok {
		return 0, fmt.Errorf("unknown currency %q", currency)
	}
	from := iso
	if e, ok := u[source][currency]; ok {
		from = e
	}
	v, err := money.Rescale(amount, from, iso)
	if err != nil {
		return 0, fmt.Errorf("%s amount %d %s: %w", source, amount, currency, err)
	}
	return v, nil
}

// FromMinor converts minor units back into the integer a source would send.
func (u Units) FromMinor(source, currency string, minor int64) (int64, error) {
	iso, ok := money.Exponent(currency)
	if !ok {
		return 0, fmt.Errorf("unknown currency %q", currency)
	}
	to := iso
	if e, ok := u[source][currency]; ok {
		to = e
	}
	return money.Rescale(minor, iso, to)
}
