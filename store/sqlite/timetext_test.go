package sqlite

import (
	"testing"
	"time"
)

func TestSqliteTimeTextMatchesDriver(t *testing.T) {
	tests := []time.Time{
		{},
		time.Date(2024, 3, 1, 9, 30, 5, 0, time.UTC),
		time.Date(2024, 3, 1, 9, 30, 5, 120000000, time.UTC),
		time.Date(2024, 3, 1, 9, 30, 5, 1, time.UTC),
		time.Date(2024, 3, 1, 9, 30, 5, 999999999, time.UTC),
		time.Date(2024, 12, 31, 23, 59, 59, 500, jakarta), // crosses the date line into UTC
		time.Date(2024, 1, 1, 3, 0, 0, 0, jakarta),        // and back into last year
		time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Now(), // with a monotonic reading and the local zone
	}
	for _, in := range tests {
		t.Run(in.String(), func(t *testing.T) {
			want := in.UTC().Format(sqliteTimeLayout)
			var got string
			switch v := sqliteTimeText(in).(type) {
			case string:
				got = v
			case time.Time:
				got = v.Format(sqliteTimeLayout) // what the driver will write
				if y := in.UTC().Year(); y >= 0 && y <= 9999 {
					t.Errorf("year %d left to the driver, want text", y)
				}
			default:
				t.Fatalf("got %T, want string or time.Time", v)
			}
			if got != want {
				t.Errorf("got %q, want %q", got, want)
			}
		})
	}
	if got := sqliteTimeTextPtr(nil); got != nil {
		t.Errorf("nil time: got %v, want nil", got)
	}
}
