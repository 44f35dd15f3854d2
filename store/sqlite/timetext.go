package sqlite

import (
	"time"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// sqliteTimeLayout is how go-sqlite3 writes a time.Time and the first
// layout it tries when reading a TIMESTAMP column back.
var sqliteTimeLayout = sqlite3.SQLiteTimestampFormats[0]

// sqliteTimeText returns t in UTC as the exact text go-sqlite3 would
// store for it ("2006-01-02 15:04:05.999999999+00:00"), so rows written
// here and rows written by binding a time.Time compare equal as text.
// It exists for speed: the driver's general-purpose layout formatting
// took about a quarter of a bulk load's time. Years outside 0000-9999 are
// left to the driver.
func sqliteTimeText(t time.Time) any {
	t = t.UTC()
	if year := t.Year(); year < 0 || year > 9999 {
		return t
	}
	var b [35]byte
	return string(appendTimeText(b[:0], t))
}

// appendTimeText appends t in UTC as go-sqlite3 would store it (see
// sqliteTimeText), for the bulk inserts, which bind text themselves.
func appendTimeText(dst []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return t.AppendFormat(dst, sqliteTimeLayout)
	}
	hour, min, sec := t.Clock()
	var b [35]byte
	put := func(i, v, width int) {
		for j := i + width - 1; j >= i; j-- {
			b[j] = byte('0' + v%10)
			v /= 10
		}
	}
	put(0, year, 4)
	b[4] = '-'
	put(5, int(month), 2)
	b[7] = '-'
	put(8, day, 2)
	b[10] = ' '
	put(11, hour, 2)
	b[13] = ':'
	put(14, min, 2)
	b[16] = ':'
	put(17, sec, 2)
	n := 19
	if ns := t.Nanosecond(); ns != 0 {
		b[19] = '.'
		put(20, ns, 9)
		n = 29
		for b[n-1] == '0' { // .999999999 drops trailing zeros
			n--
		}
	}
	n += copy(b[n:], "+00:00")
	return append(dst, b[:n]...)
}

// sqliteTimeTextPtr is sqliteTimeText for a nullable time: nil is NULL.
func sqliteTimeTextPtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return sqliteTimeText(*t)
}
