package money

import (
	"errors"
	"math"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in      string
		exp     int
		f       Format
		want    int64
		wantErr bool
	}{
		{"1.250.000,00", 2, Comma, 125000000, false},
		{"1,250,000.00", 2, Dot, 125000000, false},
		{"1250000", 2, Dot, 125000000, false},
		{"-1.000,00", 2, Comma, -100000, false},
		{"(1.000,00)", 2, Comma, -100000, false},
		{"1.000,00-", 2, Comma, -100000, false},
		{"+12.5", 2, Dot, 1250, false},
		{" 0,05 ", 2, Comma, 5, false},
		{"10.500", 2, Dot, 1050, false}, // trailing zero beyond the exponent carries no value
		{"50000", 0, Dot, 50000, false},
		{"12.345", 2, Dot, 0, true}, // would need rounding
		{"1.5", 0, Dot, 0, true},
		{"", 2, Dot, 0, true},
		{"-", 2, Dot, 0, true},
		{"12a", 2, Dot, 0, true},
		{"1,25,000.00", 2, Dot, 0, true}, // Indian grouping is not this format
		{",100.00", 2, Dot, 0, true},
		{"1000,000.00", 2, Dot, 0, true},
		{"1.", 2, Dot, 0, true},
		{".5", 2, Dot, 0, true},
		{"--1", 2, Dot, 0, true},
		{"(-1)", 2, Dot, 0, true},
		{"92233720368547758.07", 2, Dot, math.MaxInt64, false},
		{"92233720368547758.08", 2, Dot, 0, true},
		{"99999999999999999999", 0, Dot, 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := Parse(tc.in, tc.exp, tc.f)
			if (err != nil) != tc.wantErr {
				t.Fatalf("Parse(%q) error = %v, wantErr %v", tc.in, err, tc.wantErr)
			}
			if got != tc.want {
				t.Fatalf("Parse(%q) = %d, want %d", tc.in, got, tc.want)
			}
		})
	}
}

func TestFormatAmountRoundTrip(t *testing.T) {
	tests := []struct {
		minor int64
		exp   int
		f     Format
		want  string
	}{
		{125000000, 2, Comma, "1.250.000,00"},
		{-100000, 2, Comma, "-1.000,00"},
		{5, 2, Dot, "0.05"},
		{50000, 0, Dot, "50,000"},
		{999, 2, Dot, "9.99"},
		{math.MinInt64, 2, Dot, "-92,233,720,368,547,758.08"},
	}
	for _, tc := range tests {
		got := FormatAmount(tc.minor, tc.exp, tc.f)
		if got != tc.want {
			t.Errorf("FormatAmount(%d) = %q, want %q", tc.minor, got, tc.want)
		}
		if tc.minor == math.MinInt64 {
			continue
		}
		back, err := Parse(got, tc.exp, tc.f)
		if err != nil || back != tc.minor {
			t.Errorf("Parse(FormatAmount(%d)) = %d, %v", tc.minor, back, err)
		}
	}
}

func TestRescale(t *testing.T) {
	tests := []struct {
		amount   int64
		from, to int
		want     int64
		err      error
	}{
		{50000, 0, 2, 5000000, nil},
		{5000000, 2, 0, 50000, nil},
		{5000050, 2, 0, 0, ErrInexact},
		{math.MaxInt64 / 10, 0, 2, 0, ErrOverflow},
		{7, 2, 2, 7, nil},
	}
	for _, tc := range tests {
		got, err := Rescale(tc.amount, tc.from, tc.to)
		if !errors.Is(err, tc.err) || got != tc.want {
			t.Errorf("Rescale(%d, %d, %d) = %d, %v; want %d, %v", tc.amount, tc.from, tc.to, got, err, tc.want, tc.err)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"1.250.000,00", "(1.000,00)", "-0,01", "1,250,000.00", "", "9999999999999999999"} {
		f.Add(s, 2, true)
	}
	f.Fuzz(func(t *testing.T, s string, exp int, comma bool) {
		exp = ((exp % 4) + 4) % 4
		fm := Dot
		if comma {
			fm = Comma
		}
		v, err := Parse(s, exp, fm)
		if err != nil {
			return
		}
		// Whatever parses must format back to text that parses to the same value.
		if v == math.MinInt64 {
			return
		}
		back, err := Parse(FormatAmount(v, exp, fm), exp, fm)
		if err != nil || back != v {
			t.Fatalf("Parse(%q)=%d, but round trip gave %d, %v", s, v, back, err)
		}
	})
}

func TestFormatDisplay(t *testing.T) {
	for _, tc := range []struct {
		minor    int64
		exp      int
		currency string
		want     string
	}{
		{58000000, 2, "IDR", "580,000"},
		{-58000000, 2, "IDR", "-580,000"},
		{58000050, 2, "IDR", "580,000.50"}, // sen are kept, never rounded away
		{11250, 2, "SGD", "112.50"},
		{1500, 0, "JPY", "1,500"},
		{12345, 2, "XXX", "123.45"}, // unknown: the exponent given
	} {
		if got := FormatDisplay(tc.minor, tc.exp, tc.currency, Dot); got != tc.want {
			t.Errorf("FormatDisplay(%d %s): got %q, want %q", tc.minor, tc.currency, got, tc.want)
		}
	}
}
