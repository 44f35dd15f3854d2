package sqlite

// A Snapshot's table scans run in C, many rows per call: one cgo call
// steps a prepared SELECT on the Snapshot's own connection (inside its
// read transaction) and packs each row's values into one Go buffer, and
// Go cuts them out again without copying (scanReader).
//
// Through database/sql every value of every row cost a cgo call, an
// interface and a copy; SQLite building one text per chunk of rows
// (concat_ws and group_concat) for Go to cut apart cost nearly as much
// again, and a value that held a separator needed the chunk read twice.
// Here a value is a tag byte and its bytes, as the bulk inserts pack
// them (rowBuf): nothing in a value can be taken for a boundary.

/*
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct sqlite3 sqlite3;
typedef struct sqlite3_stmt sqlite3_stmt;
extern int sqlite3_prepare_v2(sqlite3*, const char*, int, sqlite3_stmt**, const char**);
extern int sqlite3_finalize(sqlite3_stmt*);
extern int sqlite3_bind_text(sqlite3_stmt*, int, const char*, int, void (*)(void*));
extern int sqlite3_step(sqlite3_stmt*);
extern int sqlite3_column_count(sqlite3_stmt*);
typedef struct sqlite3_value sqlite3_value;
extern sqlite3_value *sqlite3_column_value(sqlite3_stmt*, int);
extern int sqlite3_value_type(sqlite3_value*);
extern long long sqlite3_value_int64(sqlite3_value*);
extern const unsigned char *sqlite3_value_text(sqlite3_value*);
extern const void *sqlite3_value_blob(sqlite3_value*);
extern int sqlite3_value_bytes(sqlite3_value*);
extern const char *sqlite3_errmsg(sqlite3*);
extern void *sqlite3_db_mutex(sqlite3*);

#define RECONKIT_ROW 100  // SQLITE_ROW
#define RECONKIT_DONE 101 // SQLITE_DONE

// reconkit_scan_row appends the current row of st at *p and moves *p
// past it, each value a tag byte and then nothing (0: NULL), eight bytes
// of a little-endian integer (1), or four bytes of length and the text
// (2; a real or a blob as SQLite gives it as text). It returns 0, 1 when
// the row does not fit before end (*p unmoved), or SQLITE_NOMEM.
//
// Each value is taken once with sqlite3_column_value and read with the
// sqlite3_value functions: every sqlite3_column_ call takes and leaves
// the connection's mutex, and three per value were a sixth of the
// match's CPU. The value is the statement's own, read while nothing else
// uses the connection (the caller holds it). A text is read as a blob:
// its bytes in place, where sqlite3_value_text would copy them to add a
// terminating NUL.
static int reconkit_scan_row(sqlite3_stmt *st, int ncol, unsigned char **p, unsigned char *end) {
	unsigned char *q = *p;
	for (int i = 0; i < ncol; i++) {
		sqlite3_value *v = sqlite3_column_value(st, i);
		switch (sqlite3_value_type(v)) {
		case 1: { // SQLITE_INTEGER
			if (end - q < 9) return 1;
			uint64_t x = (uint64_t)sqlite3_value_int64(v);
			*q++ = 1;
			memcpy(q, &x, 8);
			q += 8;
			break;
		}
		case 5: // SQLITE_NULL
			if (end - q < 1) return 1;
			*q++ = 0;
			break;
		case 3: { // SQLITE_TEXT
			const void *t = sqlite3_value_blob(v);
			uint32_t n = (uint32_t)sqlite3_value_bytes(v);
			if (t == 0 && n != 0) return 7; // SQLITE_NOMEM
			if ((uint64_t)(end - q) < 5 + (uint64_t)n) return 1;
			*q++ = 2;
			memcpy(q, &n, 4);
			if (n) memcpy(q + 4, t, n);
			q += 4 + n;
			break;
		}
		default: { // a real or a blob, as SQLite gives it as text
			const unsigned char *t = sqlite3_value_text(v);
			uint32_t n = (uint32_t)sqlite3_value_bytes(v);
			if (t == 0) return 7; // SQLITE_NOMEM: only a NULL has no text
			if ((uint64_t)(end - q) < 5 + (uint64_t)n) return 1;
			*q++ = 2;
			memcpy(q, &n, 4);
			memcpy(q + 4, t, n);
			q += 4 + n;
		}
		}
	}
	*p = q;
	return 0;
}

// reconkit_scan steps st and packs up to max rows into buf (cap bytes),
// returning SQLITE_ROW (stopped early: max rows, or the buffer full, when
// *pending says the row stepped last is not in buf yet and goes first
// next time), SQLITE_DONE (no rows left; st must not be stepped again)
// or SQLite's error code with its message in msg. *used and *rows say
// how much of buf holds how many rows.
static int reconkit_scan(sqlite3 *db, sqlite3_stmt *st, unsigned char *buf, size_t cap, int max, int *pending,
		size_t *used, int *rows, char *msg, int msglen) {
	unsigned char *p = buf, *end = buf + cap;
	int ncol = sqlite3_column_count(st), n = 0, rc = RECONKIT_ROW;
	msg[0] = 0;
	while (n < max) {
		if (!*pending) {
			rc = sqlite3_step(st);
			if (rc != RECONKIT_ROW) break;
			*pending = 1;
		}
		int w = reconkit_scan_row(st, ncol, &p, end);
		if (w == 1) break;
		if (w != 0) {
			rc = w;
			break;
		}
		*pending = 0;
		n++;
	}
	*used = (size_t)(p - buf);
	*rows = n;
	if (rc != RECONKIT_ROW && rc != RECONKIT_DONE) {
		strncpy(msg, rc == 7 ? "out of memory" : sqlite3_errmsg(db), msglen - 1);
		msg[msglen - 1] = 0;
	}
	return rc;
}

// reconkit_scan_prepare prepares sql with its n parameters bound to the
// texts args (lens bytes each; copied: SQLITE_TRANSIENT).
static int reconkit_scan_prepare(sqlite3 *db, const char *sql, const char *args, const int *lens, int n,
		sqlite3_stmt **st, char *msg, int msglen) {
	int rc = sqlite3_prepare_v2(db, sql, -1, st, 0);
	for (int i = 0; rc == 0 && i < n; i++) {
		rc = sqlite3_bind_text(*st, i + 1, args, lens[i], (void (*)(void *))-1);
		args += lens[i];
	}
	if (rc != 0) {
		strncpy(msg, sqlite3_errmsg(db), msglen - 1);
		msg[msglen - 1] = 0;
		sqlite3_finalize(*st);
		*st = 0;
	}
	return rc;
}
*/
import "C"

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unsafe"

	"github.com/jmoiron/sqlx"
)

// The tags of a packed value (reconkit_scan_row).
const (
	valNull = 0
	valInt  = 1
	valText = 2
)

// scanVal is one value of a scanned row: an integer, a text (valid as
// long as the buffer it was cut from, which is never written again), or
// NULL.
type scanVal struct {
	s    string
	i    int64
	kind uint8
}

// nullText is text, invalid for NULL.
func (v scanVal) nullText() sql.NullString {
	return sql.NullString{String: v.text(), Valid: v.kind != valNull}
}

// text is the value as text: "" for NULL, an integer in decimal.
func (v scanVal) text() string {
	if v.kind == valInt {
		return strconv.FormatInt(v.i, 10)
	}
	return v.s
}

// errNull is a NULL where a value must be.
var errNull = errors.New("value is NULL")

// int is the value as an integer: one stored as text is parsed, and NULL
// is an error, never 0.
func (v scanVal) int() (int64, error) {
	switch v.kind {
	case valInt:
		return v.i, nil
	case valText:
		return strconv.ParseInt(v.s, 10, 64)
	}
	return 0, errNull
}

// nullableInt is int for a column that may be NULL: the value and
// whether there is one.
func (v scanVal) nullableInt() (int64, bool, error) {
	if v.kind == valNull {
		return 0, false, nil
	}
	n, err := v.int()
	return n, err == nil, err
}

// scanBuf is the size of the first buffer a scan packs rows into; a row
// that does not fit in an empty one gets one twice the size.
const scanBuf = 1 << 20

// scanStmt is a SELECT prepared in C on a Snapshot's connection, stepped
// a buffer at a time. Close finalizes it.
type scanStmt struct {
	conn    *sqlx.Conn
	st      *C.sqlite3_stmt
	pending C.int // reconkit_scan's: a row stepped, not yet packed
	done    bool
	size    int // the buffer's size for the next call
}

// prepareScan prepares query, with args as its parameters 1, 2 ... (as
// texts), on conn.
func prepareScan(conn *sqlx.Conn, query string, args ...string) (*scanStmt, error) {
	q := C.CString(query)
	defer C.free(unsafe.Pointer(q))
	a := C.CString(strings.Join(args, ""))
	defer C.free(unsafe.Pointer(a))
	lens := make([]C.int, len(args)+1) // never empty: &lens[0] is always valid
	for i, arg := range args {
		lens[i] = C.int(len(arg))
	}
	var msg [256]C.char
	s := &scanStmt{conn: conn, size: scanBuf}
	var rc C.int
	if err := onHandle(conn, func(h *C.sqlite3) {
		rc = C.reconkit_scan_prepare(h, q, a, &lens[0], C.int(len(args)), &s.st, &msg[0], C.int(len(msg)))
	}); err != nil {
		return nil, err
	}
	if rc != 0 {
		return nil, fmt.Errorf("prepare: %w", newBulkError(int(rc), C.GoString(&msg[0])))
	}
	return s, nil
}

// onHandle calls fn with conn's sqlite3 handle, holding the connection
// (no other use of it runs meanwhile).
func onHandle(conn *sqlx.Conn, fn func(h *C.sqlite3)) error {
	return conn.Raw(func(dc any) error {
		h, err := handleOf(dc)
		if err != nil {
			return err
		}
		fn(h)
		return nil
	})
}

// next packs up to max rows into a new buffer and returns a reader of
// them; none when the statement has no rows left. The buffer is new on
// every call and never written again, so what was cut from the last one
// stays valid for as long as anyone holds it.
func (s *scanStmt) next(max int) (scanReader, error) {
	for !s.done {
		buf := make([]byte, s.size)
		var (
			used C.size_t
			rows C.int
			msg  [256]C.char
			rc   C.int
		)
		err := onHandle(s.conn, func(h *C.sqlite3) {
			rc = C.reconkit_scan(h, s.st, (*C.uchar)(unsafe.Pointer(&buf[0])), C.size_t(len(buf)), C.int(max), &s.pending,
				&used, &rows, &msg[0], C.int(len(msg)))
		})
		if err != nil {
			return scanReader{}, err
		}
		switch rc {
		case C.RECONKIT_DONE:
			s.done = true
		case C.RECONKIT_ROW:
		default:
			return scanReader{}, newBulkError(int(rc), C.GoString(&msg[0]))
		}
		if rows > 0 {
			return scanReader{buf: buf[:used], rows: int(rows)}, nil
		}
		if s.pending != 0 {
			s.size *= 2 // one row larger than the whole buffer
		}
	}
	return scanReader{}, nil
}

// Close finalizes the statement; closing it again does nothing.
func (s *scanStmt) Close() {
	if s.st != nil {
		C.sqlite3_finalize(s.st)
		s.st = nil
	}
}

// errScanBuf is a packed buffer that does not hold what reconkit_scan
// writes: a bug here, not bad data.
var errScanBuf = errors.New("scan: packed rows cut short")

// scanReader cuts packed rows out of a buffer.
type scanReader struct {
	buf  []byte
	rows int
}

// row cuts the next row's values into vals, which must be as many as the
// query's columns.
func (r *scanReader) row(vals []scanVal) error {
	b := r.buf
	for i := range vals {
		if len(b) == 0 {
			return errScanBuf
		}
		v := &vals[i]
		v.kind = b[0]
		switch b[0] {
		case valNull:
			v.s, v.i = "", 0
			b = b[1:]
		case valInt:
			if len(b) < 9 {
				return errScanBuf
			}
			v.s, v.i = "", int64(binary.LittleEndian.Uint64(b[1:9]))
			b = b[9:]
		case valText:
			if len(b) < 5 {
				return errScanBuf
			}
			n := int(binary.LittleEndian.Uint32(b[1:5]))
			if len(b)-5 < n {
				return errScanBuf
			}
			v.s, v.i = unsafe.String(unsafe.SliceData(b[5:]), n), 0
			b = b[5+n:]
		default:
			return errScanBuf
		}
	}
	r.buf = b
	return nil
}

// scanTable runs query (its parameter 1 is arg, 2 ... more) on ctx's
// behalf and calls fn with every row's values, in the query's order, and
// flush (if not nil) after every chunk of at most chunk rows. fn must not
// keep vals (reused); the strings in them stay valid. An error from fn or
// flush stops the scan and is returned.
func scanTable(ctx context.Context, conn *sqlx.Conn, query, arg string, width, chunk int, fn func(vals []scanVal) error, flush func() error, more ...string) error {
	st, err := prepareScan(conn, query, append([]string{arg}, more...)...)
	if err != nil {
		return err
	}
	defer st.Close()
	vals := make([]scanVal, width)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		r, err := st.next(chunk)
		if err != nil {
			return err
		}
		if r.rows == 0 {
			return nil
		}
		for range r.rows {
			if err := r.row(vals); err != nil {
				return err
			}
			if err := fn(vals); err != nil {
				return err
			}
		}
		if flush != nil {
			if err := flush(); err != nil {
				return err
			}
		}
	}
}

// sqliteHandleHasMutex reports whether a go-sqlite3 connection has a
// mutex of its own (sqliteDSN opens them without): for tests.
func sqliteHandleHasMutex(dc driver.Conn) (bool, error) {
	h, err := handleOf(dc)
	if err != nil {
		return false, err
	}
	return C.sqlite3_db_mutex(h) != nil, nil
}
