package sqlite

// A Load's inserts run in C, a batch at a time: Go packs the batch's
// values into one buffer, and one cgo call binds and steps a prepared
// one-row statement for every row of it, on the Load's own connection
// and inside its transaction.
//
// Through database/sql every bound value cost a cgo call, an interface
// conversion and the driver's checks: a webhook delivery binds 19 values,
// a match result 16. In C, the 1M night's webhook ingest took 20% less
// CPU and its ledger 11% less (docs/performance.md, "Session 6"). Here a
// value is a few bytes appended to a buffer, and the text is bound in
// place (SQLITE_STATIC) rather than copied by the driver: the buffer
// stays alive, and its bindings are cleared, before the call returns.

/*
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

// Declared here rather than by including sqlite3.h, which go-sqlite3
// keeps to itself; the symbols are those of the SQLite it links in.
typedef struct sqlite3 sqlite3;
typedef struct sqlite3_stmt sqlite3_stmt;
extern int sqlite3_prepare_v2(sqlite3*, const char*, int, sqlite3_stmt**, const char**);
extern int sqlite3_finalize(sqlite3_stmt*);
extern int sqlite3_bind_parameter_count(sqlite3_stmt*);
extern int sqlite3_bind_text(sqlite3_stmt*, int, const char*, int, void (*)(void*));
extern int sqlite3_bind_int64(sqlite3_stmt*, int, long long);
extern int sqlite3_bind_null(sqlite3_stmt*, int);
extern int sqlite3_step(sqlite3_stmt*);
extern int sqlite3_reset(sqlite3_stmt*);
extern int sqlite3_clear_bindings(sqlite3_stmt*);
extern int sqlite3_changes(sqlite3*);
extern const char *sqlite3_errmsg(sqlite3*);
extern const char *sqlite3_db_filename(sqlite3*, const char*);

#define RECONKIT_DONE 101 // SQLITE_DONE

// reconkit_bind binds the value at *p to parameter i and moves *p past
// it: a tag byte, then nothing (0: NULL), eight bytes of a little-endian
// integer (1), or four bytes of length and that many bytes of text (2).
static int reconkit_bind(sqlite3_stmt *st, int i, const unsigned char **p, const unsigned char *end) {
	const unsigned char *q = *p;
	if (q >= end) return 21; // SQLITE_MISUSE: the buffer ended early
	switch (*q++) {
	case 0:
		*p = q;
		return sqlite3_bind_null(st, i);
	case 1: {
		if (end - q < 8) return 21;
		uint64_t v;
		memcpy(&v, q, 8);
		*p = q + 8;
		return sqlite3_bind_int64(st, i, (long long)v);
	}
	case 2: {
		if (end - q < 4) return 21;
		uint32_t n;
		memcpy(&n, q, 4);
		q += 4;
		if ((uint64_t)(end - q) < n) return 21;
		*p = q + n;
		// SQLITE_STATIC, (void(*)(void*))0: the text stays in the buffer,
		// which outlives the binding (cleared below before returning).
		return sqlite3_bind_text(st, i, (const char *)q, (int)n, (void (*)(void *))0);
	}
	}
	return 21;
}

// reconkit_bulk binds the first shared values of buf once, then runs st
// once for each of n rows, each the statement's remaining parameters. It
// returns SQLITE_OK or the first failure's code, with *failed the row
// that failed (-1 for the shared values) and its message in msg; *changes
// is the number of rows the statement changed. The bindings are cleared
// before it returns, so the statement keeps no pointer into buf.
static int reconkit_bulk(sqlite3 *db, sqlite3_stmt *st, const unsigned char *buf, size_t len, int shared, int n,
		long long *changes, int *failed, char *msg, int msglen) {
	const unsigned char *p = buf, *end = buf + len;
	int np = sqlite3_bind_parameter_count(st);
	long long ch = 0;
	int rc = 0, r = -1, i;
	msg[0] = 0;
	for (i = 1; i <= shared && i <= np; i++) {
		if ((rc = reconkit_bind(st, i, &p, end)) != 0) goto out;
	}
	for (r = 0; r < n; r++) {
		for (i = shared + 1; i <= np; i++) {
			if ((rc = reconkit_bind(st, i, &p, end)) != 0) goto out;
		}
		rc = sqlite3_step(st);
		if (rc != RECONKIT_DONE) goto out;
		ch += sqlite3_changes(db);
		sqlite3_reset(st);
	}
	rc = 0;
	r = -1;
out:
	if (rc != 0) {
		strncpy(msg, sqlite3_errmsg(db), msglen - 1);
		msg[msglen - 1] = 0;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	*changes = ch;
	*failed = r;
	return rc;
}

static int reconkit_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st, char *msg, int msglen) {
	int rc = sqlite3_prepare_v2(db, sql, -1, st, 0);
	if (rc != 0) {
		strncpy(msg, sqlite3_errmsg(db), msglen - 1);
		msg[msglen - 1] = 0;
	}
	return rc;
}
*/
import "C"

import (
	"database/sql/driver"
	"encoding/binary"
	"errors"
	"fmt"
	"reflect"
	"time"
	"unsafe"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// sqliteConnHandle is where go-sqlite3's SQLiteConn keeps its sqlite3
// handle, which it does not export; 0 if a new version has moved it (the
// Load then fails at its first insert, and TestBulkHandle says why).
var sqliteConnHandle = func() uintptr {
	f, ok := reflect.TypeFor[sqlite3.SQLiteConn]().FieldByName("db")
	if !ok || f.Type.Kind() != reflect.Pointer {
		return 0
	}
	return f.Offset
}()

// errNoHandle: go-sqlite3 no longer keeps its handle where this package
// looks for it.
var errNoHandle = errors.New("bulk insert: cannot reach go-sqlite3's connection handle")

// handleOf returns the sqlite3 handle of a go-sqlite3 connection.
func handleOf(dc any) (*C.sqlite3, error) {
	c, ok := dc.(*sqlite3.SQLiteConn)
	if !ok || sqliteConnHandle == 0 || c == nil {
		return nil, errNoHandle
	}
	h := *(**C.sqlite3)(unsafe.Add(unsafe.Pointer(c), sqliteConnHandle))
	if h == nil {
		return nil, errNoHandle
	}
	return h, nil
}

// bulkStmt is a statement prepared in C on a Load's connection; it is
// finalized when the Load ends.
type bulkStmt struct {
	st *C.sqlite3_stmt
	// shared is how many values every call binds first, once.
	shared int
}

// rowBuf packs the values of a batch of rows for reconkit_bulk.
type rowBuf struct{ b []byte }

func (r *rowBuf) reset() { r.b = r.b[:0] }

func (r *rowBuf) null() { r.b = append(r.b, 0) }

func (r *rowBuf) int(v int64) {
	r.b = append(r.b, 1)
	r.b = binary.LittleEndian.AppendUint64(r.b, uint64(v))
}

func (r *rowBuf) text(s string) {
	r.b = append(r.b, 2)
	r.b = binary.LittleEndian.AppendUint32(r.b, uint32(len(s)))
	r.b = append(r.b, s...)
}

// nullInt is an integer, or NULL when it is not known.
func (r *rowBuf) nullInt(v int64, known bool) {
	if !known {
		r.null()
		return
	}
	r.int(v)
}

// nullID is an id, or NULL for 0 (no id).
func (r *rowBuf) nullID(id int64) { r.nullInt(id, id != 0) }

// time is t as sqliteTimeText stores it.
func (r *rowBuf) time(t time.Time) {
	r.b = append(r.b, 2, 0, 0, 0, 0)
	at := len(r.b)
	r.b = appendTimeText(r.b, t)
	binary.LittleEndian.PutUint32(r.b[at-4:], uint32(len(r.b)-at))
}

// date is t's calendar date in its own location, YYYY-MM-DD.
func (r *rowBuf) date(t time.Time) {
	r.b = append(r.b, 2, 0, 0, 0, 0)
	at := len(r.b)
	r.b = t.AppendFormat(r.b, time.DateOnly)
	binary.LittleEndian.PutUint32(r.b[at-4:], uint32(len(r.b)-at))
}

// datePtr is date for a nullable date: nil is NULL.
func (r *rowBuf) datePtr(t *time.Time) {
	if t == nil {
		r.null()
		return
	}
	r.date(*t)
}

// timePtr is time for a nullable time: nil is NULL.
func (r *rowBuf) timePtr(t *time.Time) {
	if t == nil {
		r.null()
		return
	}
	r.time(*t)
}

// bulkPrepare prepares q's one-row statement on the Load's connection.
func (l *Load) bulkPrepare(q insertSQL) (*bulkStmt, error) {
	text := C.CString(sqliteStmtText(q, 1))
	defer C.free(unsafe.Pointer(text))
	var msg [256]C.char
	s := &bulkStmt{shared: max(q.shared, 1)}
	err := l.conn.Raw(func(dc any) error {
		h, err := handleOf(dc)
		if err != nil {
			return err
		}
		if rc := C.reconkit_prepare(h, text, &s.st, &msg[0], C.int(len(msg))); rc != 0 {
			return fmt.Errorf("prepare: %s (%d)", C.GoString(&msg[0]), int(rc))
		}
		return nil
	})
	if err != nil {
		return nil, l.fail(err)
	}
	l.bulk = append(l.bulk, s)
	return s, nil
}

// bulkFinalize finalizes the Load's C statements; called as the Load
// ends, before its connection is closed.
func (l *Load) bulkFinalize() {
	for _, s := range l.bulk {
		if s.st != nil {
			C.sqlite3_finalize(s.st)
			s.st = nil
		}
	}
	l.bulk = nil
}

// bulkExec runs s over n rows packed in buf after the shared values, and
// returns how many rows it changed. A failure names its row (name(i)).
func (l *Load) bulkExec(s *bulkStmt, buf []byte, n int, what string, name func(i int) string) (int64, error) {
	if n == 0 {
		return 0, nil
	}
	var (
		changes C.longlong
		failed  C.int
		msg     [256]C.char
		rc      C.int
	)
	err := l.conn.Raw(func(dc any) error {
		h, err := handleOf(dc)
		if err != nil {
			return err
		}
		rc = C.reconkit_bulk(h, s.st, (*C.uchar)(unsafe.Pointer(&buf[0])), C.size_t(len(buf)), C.int(s.shared), C.int(n),
			&changes, &failed, &msg[0], C.int(len(msg)))
		return nil
	})
	if err != nil {
		return 0, l.fail(err)
	}
	if rc != 0 {
		row := "(shared values)"
		if i := int(failed); i >= 0 && i < n {
			row = name(i)
		}
		return int64(changes), l.fail(fmt.Errorf("%s %s: %w", what, row, newBulkError(int(rc), C.GoString(&msg[0]))))
	}
	return int64(changes), nil
}

// bulkError is a failed step: SQLite's message, unwrapping to the
// sqlite3.Error go-sqlite3 would have returned, so that errors.As finds
// its code (ExplainBusy).
type bulkError struct {
	msg string
	se  sqlite3.Error
}

func newBulkError(rc int, msg string) error {
	return &bulkError{msg: msg, se: sqlite3.Error{Code: sqlite3.ErrNo(rc & 0xff), ExtendedCode: sqlite3.ErrNoExtended(rc)}}
}

func (e *bulkError) Error() string { return e.msg }
func (e *bulkError) Unwrap() error { return e.se }

// sqliteHandleFile is the main database file of a go-sqlite3 connection,
// read through the handle this file reaches: for TestBulkHandle.
func sqliteHandleFile(dc driver.Conn) (string, error) {
	h, err := handleOf(dc)
	if err != nil {
		return "", err
	}
	main := C.CString("main")
	defer C.free(unsafe.Pointer(main))
	return C.GoString(C.sqlite3_db_filename(h, main)), nil
}
