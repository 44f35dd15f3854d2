// Package money holds amounts as int64 minor units and converts between
// the units each source uses. It parses decimal text exactly (never
// through a float) and knows nothing about any source.
package money

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// isoExponents are ISO 4217 minor-unit exponents for the currencies the
// product has met. Sources that deviate (Xepeng sends rupiah as whole
// units) say so in config; the exponent here is the canonical one that
// amounts are stored in.
var isoExponents = map[string]int{
	"AUD": 2, "CNY": 2, "EUR": 2, "GBP": 2, "HKD": 2, "IDR": 2, "INR": 2,
	"JPY": 0, "KRW": 0, "MYR": 2, "PHP": 2, "SGD": 2, "THB": 2, "USD": 2,
	"VND": 0,
}

// Exponent returns the ISO 4217 exponent of a currency code.
func Exponent(currency string) (int, bool) {
	e, ok := isoExponents[currency]
	return e, ok
}

// Known reports whether currency is a code this package knows.
func Known(currency string) bool {
	_, ok := isoExponents[currency]
	return ok
}

// ErrOverflow is returned when an amount does not fit in int64 minor units.
var ErrOverflow = errors.New("amount out of range")

// ErrInexact is returned when converting to fewer decimals would drop a
// non-zero digit: such an amount is an error, never rounded.
var ErrInexact = errors.New("amount has more decimals than the currency allows")

var pow10 = [...]int64{1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000}

// Rescale converts an amount in units of 10^-from to units of 10^-to.
func Rescale(amount int64, from, to int) (int64, error) {
	if from < 0 || to < 0 || from >= len(pow10) || to >= len(pow10) {
		return 0, fmt.Errorf("rescale %d from exponent %d to %d: exponent out of range", amount, from, to)
	}
	switch {
	case from == to:
		return amount, nil
	case to > from:
		f := pow10[to-from]
		if amount > math.MaxInt64/f || amount < math.MinInt64/f {
			return 0, ErrOverflow
		}
		return amount * f, nil
	default:
		f := pow10[from-to]
		if amount%f != 0 {
			return 0, ErrInexact
		}
		return amount / f, nil
	}
}

// Format says how a decimal amount is written: the decimal separator and
// the thousands separator (0 when there is none).
type Format struct {
	Decimal   byte
	Thousands byte
}

// Common formats.
var (
	// Dot is 1,250,000.00.
	Dot = Format{Decimal: '.', Thousands: ','}
	// Comma is 1.250.000,00, as Indonesian and most European exports write it.
	Comma = Format{Decimal: ',', Thousands: '.'}
)

// Parse reads a decimal amount written in format f into minor units with
// exponent exp. It accepts a leading sign, a trailing minus or an
// accounting-style (1.000,00) for negatives, thousands separators between
// digit groups, and at most exp decimals: more is an error, never rounded.
func Parse(s string, exp int, f Format) (int64, error) {
	orig := s
	s = strings.TrimSpace(s)
	neg := false
	if strings.HasPrefix(s, "(") && strings.HasSuffix(s, ")") {
		neg = true
		s = strings.TrimSpace(s[1 : len(s)-1])
	}
	switch {
	case strings.HasPrefix(s, "-"):
		if neg {
			return 0, fmt.Errorf("amount %q: two negative signs", orig)
		}
		neg, s = true, s[1:]
	case strings.HasPrefix(s, "+"):
		s = s[1:]
	case strings.HasSuffix(s, "-") && !neg:
		neg, s = true, s[:len(s)-1]
	}
	if s == "" {
		return 0, fmt.Errorf("amount %q: no digits", orig)
	}
	if exp < 0 || exp >= len(pow10) {
		return 0, fmt.Errorf("amount %q: exponent %d out of range", orig, exp)
	}
	intPart, frac := s, ""
	if i := strings.IndexByte(s, f.Decimal); i >= 0 {
		intPart, frac = s[:i], s[i+1:]
		if frac == "" {
			return 0, fmt.Errorf("amount %q: nothing after the decimal separator", orig)
		}
	}
	if intPart == "" {
		return 0, fmt.Errorf("amount %q: no digits before the decimal separator", orig)
	}
	var v int64
	digits := 0
	groupLen := -1 // digits since the last thousands separator; -1 before the first
	for i := 0; i < len(intPart); i++ {
		c := intPart[i]
		switch {
		case c >= '0' && c <= '9':
			if v > (math.MaxInt64-int64(c-'0'))/10 {
				return 0, fmt.Errorf("amount %q: %w", orig, ErrOverflow)
			}
			v = v*10 + int64(c-'0')
			digits++
			if groupLen >= 0 {
				groupLen++
			}
		case f.Thousands != 0 && c == f.Thousands:
			if digits == 0 || digits > 3 && groupLen < 0 || groupLen >= 0 && groupLen != 3 {
				return 0, fmt.Errorf("amount %q: misplaced thousands separator", orig)
			}
			groupLen = 0
		default:
			return 0, fmt.Errorf("amount %q: unexpected character %q", orig, c)
		}
	}
	if groupLen >= 0 && groupLen != 3 {
		return 0, fmt.Errorf("amount %q: misplaced thousands separator", orig)
	}
	if len(frac) > exp {
		// Trailing zeros beyond the exponent carry no value ("10.500" for a
		// 2-decimal currency); anything else would need rounding.
		extra := strings.TrimRight(frac[exp:], "0")
		if extra != "" || !allDigits(frac) {
			return 0, fmt.Errorf("amount %q: %d decimals where the currency allows %d: %w", orig, len(frac), exp, ErrInexact)
		}
		frac = frac[:exp]
	}
	for i := 0; i < exp; i++ {
		d := int64(0)
		if i < len(frac) {
			c := frac[i]
			if c < '0' || c > '9' {
				return 0, fmt.Errorf("amount %q: unexpected character %q", orig, c)
			}
			d = int64(c - '0')
		}
		if v > (math.MaxInt64-d)/10 {
			return 0, fmt.Errorf("amount %q: %w", orig, ErrOverflow)
		}
		v = v*10 + d
	}
	if neg {
		v = -v
	}
	return v, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// FormatAmount writes minor units with exponent exp in format f, with a
// leading minus for negatives: FormatAmount(125000000, 2, Comma) is
// "1.250.000,00".
func FormatAmount(minor int64, exp int, f Format) string {
	neg := minor < 0
	u := uint64(minor)
	if neg {
		u = -u
	}
	digits := fmt.Sprintf("%0*d", exp+1, u)
	intPart, frac := digits[:len(digits)-exp], digits[len(digits)-exp:]
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i := 0; i < len(intPart); i++ {
		if i > 0 && f.Thousands != 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(f.Thousands)
		}
		b.WriteByte(intPart[i])
	}
	if exp > 0 {
		b.WriteByte(f.Decimal)
		b.WriteString(frac)
	}
	return b.String()
}

// DisplayDigits returns how many decimals a currency's amounts are shown
// with to people: its ISO 4217 exponent, except the rupiah, shown
// without decimals (sen are not used in practice). ok is false for a code
// this package does not know.
func DisplayDigits(currency string) (digits int, ok bool) {
	exp, ok := isoExponents[currency]
	if !ok {
		return 0, false
	}
	if currency == "IDR" {
		return 0, true
	}
	return exp, true
}

// FormatDisplay writes minor units of a currency with exponent exp as
// people are shown them (DisplayDigits): 58000000 IDR is "580,000" in
// Dot, not "580,000.00". Decimals are dropped only when they are zero,
// so an amount with sen keeps them rather than be rounded.
func FormatDisplay(minor int64, exp int, currency string, f Format) string {
	if d, ok := DisplayDigits(currency); ok && d < exp && exp-d < len(pow10) && minor%pow10[exp-d] == 0 {
		return FormatAmount(minor/pow10[exp-d], d, f)
	}
	return FormatAmount(minor, exp, f)
}
