package settle

import (
	"fmt"
	"time"
)

// Day is a calendar date, as days since 1970-01-01.
type Day int32

// DayOf is the date t has in its own location.
func DayOf(t time.Time) Day {
	y, m, d := t.Date()
	return Day(floorDiv(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix(), 86400))
}

// ParseDay reads a date written YYYY-MM-DD.
func ParseDay(s string) (Day, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return 0, fmt.Errorf("date %q: want YYYY-MM-DD", s)
	}
	return DayOf(t), nil
}

// Time is the day at midnight UTC.
func (d Day) Time() time.Time { return time.Unix(int64(d)*86400, 0).UTC() }

// String writes the day YYYY-MM-DD.
func (d Day) String() string { return d.Time().Format(time.DateOnly) }

// Weekday is the day's weekday.
func (d Day) Weekday() time.Weekday {
	// 1970-01-01, day 0, was a Thursday.
	return time.Weekday((int64(d)%7 + 7 + 4) % 7)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// Calendar says which gateway business day settles a transaction and
// when that day's batch is paid out.
type Calendar struct {
	// Zone is the gateway's; CutOff the time of day (since midnight)
	// from which a transaction counts for the next business day.
	Zone   *time.Location
	CutOff time.Duration
	// PayoutDays is N of T+N: business days from a batch's day to its
	// payout.
	PayoutDays int
	// Holidays are days no batch is cut and nothing is paid out, as
	// weekends.
	Holidays map[Day]bool
}

// Validate lists what is wrong with the calendar.
func (c Calendar) Validate() error {
	switch {
	case c.CutOff < 0 || c.CutOff >= 24*time.Hour:
		return fmt.Errorf("cut-off %s must be a time of day (0 to 23:59:59)", c.CutOff)
	case c.PayoutDays < 0 || c.PayoutDays > 30:
		return fmt.Errorf("payout after %d business days: want 0 to 30", c.PayoutDays)
	}
	return nil
}

// BusinessDay reports whether d is neither a weekend nor a holiday.
func (c Calendar) BusinessDay(d Day) bool {
	wd := d.Weekday()
	return wd != time.Saturday && wd != time.Sunday && !c.Holidays[d]
}

// nextBusiness is d if it is a business day, else the first one after.
func (c Calendar) nextBusiness(d Day) Day {
	for !c.BusinessDay(d) {
		d++
	}
	return d
}

// BatchDay is the business day whose batch settles a transaction made at
// t: its date in the gateway's zone, the next day from the cut-off on,
// moved on to a business day.
func (c Calendar) BatchDay(t time.Time) Day {
	zone := c.Zone
	if zone == nil {
		zone = time.UTC
	}
	// The wall clock in the zone, as seconds since 1970-01-01 00:00 of
	// that clock: its day and its time of day without building a date (a
	// night's million transactions pass through here).
	_, off := t.In(zone).Zone()
	secs := t.Unix() + int64(off)
	d := Day(floorDiv(secs, 86400))
	if c.CutOff > 0 && time.Duration(secs-int64(d)*86400)*time.Second >= c.CutOff {
		d++
	}
	return c.nextBusiness(d)
}

// PayoutDay is the day a batch cut on day d is paid out: PayoutDays
// business days later.
func (c Calendar) PayoutDay(d Day) Day {
	for n := 0; n < c.PayoutDays; {
		d++
		if c.BusinessDay(d) {
			n++
		}
	}
	return c.nextBusiness(d)
}
