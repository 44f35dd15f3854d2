package config

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/reconkit/reconkit/money"
	"github.com/reconkit/reconkit/settle"
)

// Settlement is the settlement: section. Present, it turns on net
// settlements: the gateway pays each business day's settled
// transactions out as one deposit per currency, net of its fees and of
// the day's refunds, and the ledger lines no transaction explains are
// matched to those batches. Absent (nil), every ledger line is matched
// to one transaction, as without it.
type Settlement struct {
	Fees []FeeRule `yaml:"fees"`
	// Rounding is where a fee's fraction of a minor unit is rounded
	// half-up: transaction (each fee, the default) or batch (once on
	// the batch's total).
	Rounding string `yaml:"rounding"`
	// RefundFeeReturned says the gateway gives a refunded sale's fee
	// back (by default it keeps it).
	RefundFeeReturned bool `yaml:"refund_fee_returned"`
	// Zone is the gateway's time zone, where its business days are cut;
	// empty is the top-level timezone.
	Zone string `yaml:"zone"`
	// CutOff is the time of day (HH:MM or HH:MM:SS in Zone) from which a
	// payment counts for the next business day; empty or 00:00 is
	// midnight.
	CutOff string `yaml:"cut_off"`
	// PayoutDays is N of T+N: business days from a batch's day to its
	// payout (1 when not set).
	PayoutDays int `yaml:"payout_days"`
	// Holidays are days (YYYY-MM-DD) on which no batch is cut and nothing
	// is paid out, as on weekends.
	Holidays []string `yaml:"holidays"`
	// ReferencePattern, a regular expression (Go's RE2 syntax), finds the
	// batch a deposit pays in the line's reference and description: its
	// group (?P<date>...) holds the batch's day (YYYY-MM-DD or
	// YYYYMMDD), an optional (?P<currency>...) its currency. Empty:
	// deposits are matched by payout day and amount only.
	ReferencePattern string `yaml:"reference_pattern"`
}

// FeeRule is one row of the fee schedule: the gateway's fee on a payment
// brand's transactions (in one currency, when set): Percent of the
// amount plus FixedMinor, at least MinMinor. Brand "*" is every brand
// no other rule names.
type FeeRule struct {
	Brand    string `yaml:"brand"`
	Currency string `yaml:"currency"`
	// Percent is decimal text ("2.9"), read exactly: never a float.
	Percent    string `yaml:"percent"`
	FixedMinor int64  `yaml:"fixed_minor"`
	MinMinor   int64  `yaml:"min_minor"`
}

// DefaultPayoutDays is the settlement.payout_days of a section that
// does not set it: OxPay pays out the next business day.
const DefaultPayoutDays = 1

// defaults fills in what a present section leaves unset; set holds the
// YAML paths the file sets.
func (s *Settlement) defaults(set map[string]bool) {
	if s != nil && !set["settlement.payout_days"] {
		s.PayoutDays = DefaultPayoutDays
	}
}

// validate adds a problem for every value of the section that cannot be
// read. Whether a value that reads is allowed (a brand given twice, a
// negative fee, T+N out of range, a pattern without its date group) is
// the engine's rule, checked by match.Options.Validate when the command
// maps the section.
func (s *Settlement) validate(c Config, add func(format string, args ...any)) {
	if len(s.Fees) == 0 {
		add("%s: at least one fee rule is required (brand \"*\" with percent \"0\" for a gateway that keeps none)", c.at("settlement.fees"))
	}
	for i, f := range s.Fees {
		key := fmt.Sprintf("settlement.fees[%d]", i)
		if _, err := settle.ParsePercent(f.Percent); err != nil {
			add("%s: %v: write a decimal such as \"2.9\", at most 4 decimals, in quotes", c.at(key+".percent"), err)
		}
		if f.Currency != "" && !money.Known(f.Currency) {
			add("%s %q is not a known currency", c.at(key+".currency"), f.Currency)
		}
	}
	if _, err := settle.ParseRounding(s.Rounding); err != nil {
		add("%s: %v", c.at("settlement.rounding"), err)
	}
	if _, err := s.Location(time.UTC); err != nil {
		add("%s %q is not a known IANA time zone", c.at("settlement.zone"), s.Zone)
	}
	if _, err := s.CutOffDuration(); err != nil {
		add("%s: %v", c.at("settlement.cut_off"), err)
	}
	for i, h := range s.Holidays {
		if _, err := settle.ParseDay(h); err != nil {
			add("%s: %v", c.at(fmt.Sprintf("settlement.holidays[%d]", i)), err)
		}
	}
	if _, err := s.Pattern(); err != nil {
		add("%s: %v", c.at("settlement.reference_pattern"), err)
	}
}

// Schedule reads the fee rules and the rounding rule.
func (s Settlement) Schedule() (settle.Schedule, error) {
	out := settle.Schedule{RefundFeeReturned: s.RefundFeeReturned}
	var errs []error
	for i, f := range s.Fees {
		p, err := settle.ParsePercent(f.Percent)
		if err != nil {
			errs = append(errs, fmt.Errorf("settlement.fees[%d].percent: %w", i, err))
		}
		out.Rules = append(out.Rules, settle.FeeRule{Brand: f.Brand, Currency: strings.ToUpper(f.Currency), PercentE4: p,
			FixedMinor: f.FixedMinor, MinMinor: f.MinMinor})
	}
	r, err := settle.ParseRounding(s.Rounding)
	if err != nil {
		errs = append(errs, fmt.Errorf("settlement.rounding: %w", err))
	}
	out.Rounding = r
	return out, errors.Join(errs...)
}

// Calendar reads the zone (def when not set), cut-off, T+N and
// holidays.
func (s Settlement) Calendar(def *time.Location) (settle.Calendar, error) {
	zone, err1 := s.Location(def)
	cut, err2 := s.CutOffDuration()
	c := settle.Calendar{Zone: zone, CutOff: cut, PayoutDays: s.PayoutDays}
	var errs []error
	for i, h := range s.Holidays {
		d, err := settle.ParseDay(h)
		if err != nil {
			errs = append(errs, fmt.Errorf("settlement.holidays[%d]: %w", i, err))
			continue
		}
		if c.Holidays == nil {
			c.Holidays = map[settle.Day]bool{}
		}
		c.Holidays[d] = true
	}
	return c, errors.Join(append([]error{err1, err2}, errs...)...)
}

// Location is the gateway's zone, def when the section sets none.
func (s Settlement) Location(def *time.Location) (*time.Location, error) {
	if s.Zone == "" {
		return def, nil
	}
	return time.LoadLocation(s.Zone)
}

// CutOffDuration reads the cut-off as a time of day.
func (s Settlement) CutOffDuration() (time.Duration, error) {
	if s.CutOff == "" {
		return 0, nil
	}
	parts := strings.Split(s.CutOff, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return 0, fmt.Errorf("%q: want a time of day, HH:MM or HH:MM:SS", s.CutOff)
	}
	var d time.Duration
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		limit := 60
		if i == 0 {
			limit = 24
		}
		if err != nil || len(p) != 2 || n < 0 || n >= limit {
			return 0, fmt.Errorf("%q: want a time of day, HH:MM or HH:MM:SS", s.CutOff)
		}
		d = d*60 + time.Duration(n)
	}
	if len(parts) == 2 {
		d *= 60
	}
	return d * time.Second, nil
}

// Pattern compiles the reference pattern; nil when there is none.
func (s Settlement) Pattern() (*regexp.Regexp, error) {
	if s.ReferencePattern == "" {
		return nil, nil
	}
	re, err := regexp.Compile(s.ReferencePattern)
	if err != nil {
		return nil, fmt.Errorf("not a regular expression: %w", err)
	}
	return re, nil
}
