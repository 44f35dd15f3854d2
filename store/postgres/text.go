package postgres

import (
	"context"
	"database/sql/driver"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// PostgreSQL's text holds neither a NUL byte nor bytes that are not
// UTF-8, both of which the store keeps byte for byte on SQLite: a raw
// API record as received, a field a hostile API sent as "\u0000", the
// text of an input line that could not be read. Such a string is stored
// escaped, reversibly: textMark, then the string as strconv.Quote writes
// it without its quotes (NUL as \x00, a stray byte as \xff, the rest as
// is or escaped). A string that starts with textMark is escaped too, so
// that every stored value reads back as the one written. Every other
// string, which is nearly every one, is stored as it is.
//
// Escaping is one-to-one, so equality, and so every unique key, is kept;
// only the sort order of escaped strings among the rest differs from
// SQLite's, and no export is sorted by the database.
//
// Values going through database/sql are escaped and read back by the
// driver below (connector), so the shared SQL needs nothing; the bulk
// paths that talk to pgx directly (COPY, the snapshot's reads) call
// escapeText and unescapeText themselves.

// textMark is U+FFFF, a noncharacter: no text that means anything
// starts with it, and strconv.Quote writes it escaped.
const textMark = "\uffff"

func needsEscape(s string) bool {
	return strings.IndexByte(s, 0) >= 0 || !utf8.ValidString(s) || strings.HasPrefix(s, textMark)
}

// escapeText returns s as stored.
func escapeText(s string) string {
	if !needsEscape(s) {
		return s
	}
	q := strconv.Quote(s)
	return textMark + q[1:len(q)-1]
}

// unescapeText returns the string stored as s.
func unescapeText(s string) string {
	if !strings.HasPrefix(s, textMark) {
		return s
	}
	u, err := strconv.Unquote(`"` + s[len(textMark):] + `"`)
	if err != nil {
		return s // not written by escapeText: leave it be
	}
	return u
}

// connector is pgx's database/sql connector with every string argument
// escaped and every string read back unescaped.
type connector struct{ driver.Connector }

func (c connector) Connect(ctx context.Context) (driver.Conn, error) {
	dc, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &conn{Conn: dc.(*stdlib.Conn)}, nil
}

// conn is a stdlib connection whose queries go through escapeArgs and
// textRows.
type conn struct{ *stdlib.Conn }

// pgxConn returns the connection under a database/sql one, from inside
// (*sql.Conn).Raw.
func pgxConn(driverConn any) *pgx.Conn { return driverConn.(*conn).Conn.Conn() }

func (c *conn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	return c.Conn.ExecContext(ctx, query, escapeArgs(args))
}

func (c *conn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	rs, err := c.Conn.QueryContext(ctx, query, escapeArgs(args))
	if err != nil {
		return nil, err
	}
	return &textRows{Rows: rs.(*stdlib.Rows)}, nil
}

func (c *conn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

func (c *conn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	s, err := c.Conn.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	return &stmt{Stmt: s.(*stdlib.Stmt)}, nil
}

type stmt struct{ *stdlib.Stmt }

func (s *stmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	return s.Stmt.ExecContext(ctx, escapeArgs(args))
}

func (s *stmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	rs, err := s.Stmt.QueryContext(ctx, escapeArgs(args))
	if err != nil {
		return nil, err
	}
	return &textRows{Rows: rs.(*stdlib.Rows)}, nil
}

// textRows unescapes the strings of each row.
type textRows struct{ *stdlib.Rows }

func (r *textRows) Next(dest []driver.Value) error {
	if err := r.Rows.Next(dest); err != nil {
		return err
	}
	for i, v := range dest {
		if s, ok := v.(string); ok && strings.HasPrefix(s, textMark) {
			dest[i] = unescapeText(s)
		}
	}
	return nil
}

// escapeArgs returns args with every string that needs it escaped,
// copying args only then.
func escapeArgs(args []driver.NamedValue) []driver.NamedValue {
	out := args
	for i, a := range args {
		if s, ok := a.Value.(string); ok && needsEscape(s) {
			if &out[0] == &args[0] {
				out = append([]driver.NamedValue(nil), args...)
			}
			out[i].Value = escapeText(s)
		}
	}
	return out
}
