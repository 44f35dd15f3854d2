package sqlcheck

import (
	"go/ast"
	"go/parser"
	"go/token"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestSQLCheckerCatchesInjection holds the checker to the patterns it
// exists to catch, and to the safe forms it must let through.
func TestSQLCheckerCatchesInjection(t *testing.T) {
	const src = `package store

const cols = "uid, status"

var table = map[string]string{"a": "SELECT 1"}

func (db *DB) concat(ctx context.Context, id string) {
	db.x.ExecContext(ctx, "DELETE FROM orders WHERE uid = '"+id+"'")
}

func (db *DB) sprintf(ctx context.Context, id string) {
	db.x.GetContext(ctx, &n, fmt.Sprintf("SELECT * FROM orders WHERE uid = '%s'", id))
}

func (db *DB) scanned(ctx context.Context) {
	var q string
	db.x.QueryRowContext(ctx, "SELECT sql FROM saved").Scan(&q)
	db.x.ExecContext(ctx, q)
}

func (db *DB) local(ctx context.Context, name string) {
	q := "SELECT * FROM " + name
	db.x.QueryContext(ctx, q)
}

func (db *DB) reassigned(ctx context.Context, name string) {
	q := "SELECT 1"
	q = name
	db.x.SelectContext(ctx, &out, q)
}

func (db *DB) viaHelper(ctx context.Context, name string) {
	run(ctx, db, "SELECT * FROM "+name)
}

func run(ctx context.Context, db *DB, q string) {
	db.x.ExecContext(ctx, q)
}

var mutable = "SELECT 1"

func setMutable(s string) { mutable = s }

func (db *DB) mutated(ctx context.Context) {
	db.x.ExecContext(ctx, mutable)
}

func (db *DB) builderWithValue(ctx context.Context, name string) {
	db.x.PrepareContext(ctx, sqliteStmtText(insertSQL{head: "INSERT INTO " + name}, 1))
}

func (db *DB) good(ctx context.Context, id string) {
	db.x.ExecContext(ctx, "DELETE FROM orders WHERE uid = ?", id)
	db.x.GetContext(ctx, &n, "SELECT "+cols+" FROM orders WHERE uid = ?", id)
	q, ok := table[id]
	db.x.GetContext(ctx, &n, q)
	for _, q := range []string{"DELETE FROM a WHERE id = ?", "DELETE FROM b WHERE id = ?"} {
		db.x.ExecContext(ctx, q, id)
	}
	s, err := db.x.PrepareContext(ctx, "INSERT INTO t VALUES (?)")
	s.ExecContext(ctx, id)
}
`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "fake.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range newSQLChecker(Rules{Builders: map[string]bool{"sqliteStmtText": true}}, fset, []*ast.File{f}).violations() {
		got = append(got, strings.TrimSuffix(strings.Fields(v)[1], ":")) // the function's name
	}
	want := []string{"concat", "sprintf", "scanned", "local", "reassigned", "run", "mutated", "builderWithValue"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("functions flagged (-want +got):\n%s", d)
	}
}
