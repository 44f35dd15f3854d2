package sqlstore

import (
	"testing"
	"time"

	"github.com/reconkit/reconkit/store"
)

func TestParseTimeText(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"2024-03-14", time.Date(2024, 3, 14, 0, 0, 0, 0, time.UTC), true},
		{"2024-03-14 09:30:05+00:00", time.Date(2024, 3, 14, 9, 30, 5, 0, time.UTC), true},
		{"2024-03-14 09:30:05.123456789+00:00", time.Date(2024, 3, 14, 9, 30, 5, 123456789, time.UTC), true},
		{"2024-03-14 09:30:05.5+07:00", time.Date(2024, 3, 14, 2, 30, 5, 5e8, time.UTC), true},
		{"2024-03-14 09:30:05.123456+00", time.Date(2024, 3, 14, 9, 30, 5, 123456000, time.UTC), true},
		{"2024-03-14 09:30:05-05", time.Date(2024, 3, 14, 14, 30, 5, 0, time.UTC), true},
		{"2024-03-14T09:30:05Z", time.Date(2024, 3, 14, 9, 30, 5, 0, time.UTC), true},
		{"2024-03-14 09:30", time.Date(2024, 3, 14, 9, 30, 0, 0, time.UTC), true}, // the driver's layouts
		{"2024-03-14T09:30:05.25", time.Date(2024, 3, 14, 9, 30, 5, 25e7, time.UTC), true},
		{"2024-02-30", time.Time{}, false},
		{"yesterday", time.Time{}, false},
	}
	for _, tc := range tests {
		got, err := parseTimeText(tc.in)
		if (err == nil) != tc.ok || !got.Equal(tc.want) {
			t.Errorf("parseTimeText(%q): got %v, %v; want %v, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
		if err == nil && got.Location() != time.UTC {
			t.Errorf("parseTimeText(%q): got zone %v, want UTC", tc.in, got.Location())
		}
	}
	// What either backend writes reads back exactly: SQLite's driver's
	// form, and PostgreSQL's timestamptz in UTC.
	for _, want := range []time.Time{time.Date(2024, 3, 3, 2, 30, 7, 123456789, time.UTC), time.Date(2024, 3, 1, 23, 59, 59, 0, time.UTC)} {
		got, err := parseTimeText(want.Format("2006-01-02 15:04:05.999999999-07:00"))
		if err != nil || !got.Equal(want) {
			t.Errorf("round trip of %v: got %v, %v", want, got, err)
		}
		want = want.Truncate(time.Microsecond)
		got, err = parseTimeText(want.Format("2006-01-02 15:04:05.999999-07"))
		if err != nil || !got.Equal(want) {
			t.Errorf("round trip of %v as PostgreSQL writes it: got %v, %v", want, got, err)
		}
	}
}

// TestCountTables holds Count's list to store.Tables.
func TestCountTables(t *testing.T) {
	if len(countSQL) != len(store.Tables) {
		t.Errorf("countSQL has %d tables, store.Tables %d", len(countSQL), len(store.Tables))
	}
	for _, table := range store.Tables {
		if _, ok := countSQL[table]; !ok {
			t.Errorf("countSQL lacks %s", table)
		}
	}
}
