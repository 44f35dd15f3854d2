// Package sqlcheck is the check, run by each SQL package's tests, that
// every SQL text handed to database/sql or sqlx is built from constants,
// so that values reach the database only as parameters.
package sqlcheck

import (
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Rules are what a package adds to the check.
type Rules struct {
	// Builders are the package's functions that make SQL text from
	// their arguments, allowed as long as every string argument is
	// itself built from constants (checked at each call). An integer
	// argument named rows or chunkRows is a row count: it repeats a
	// constant row tuple, adding no text.
	Builders map[string]bool
	// Allowed are SQL arguments the check cannot follow, each with why
	// it is constant anyway, keyed by function and expression ("fn
	// expr").
	Allowed map[string]string
}

// Check reads the package in dir (its non-test files) and fails t for
// every SQL argument not built from constants, every Allowed entry that
// matches no call, and a package where it finds fewer than minCalls SQL
// calls (the check would be reading the wrong files).
func Check(t *testing.T, dir string, rules Rules, minCalls int) {
	t.Helper()
	fset, files := parseDir(t, dir)
	c := newSQLChecker(rules, fset, files)
	if v := c.violations(); len(v) > 0 {
		t.Errorf("SQL built from something other than constants (use ? parameters, or explain the case in Rules.Allowed):\n  %s",
			strings.Join(v, "\n  "))
	}
	for key := range rules.Allowed {
		if !c.allowedUsed[key] {
			t.Errorf("allowed entry %q matches no call any more: remove it", key)
		}
	}
	seen := 0
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok {
				if _, ok := sqlMethods[sel.Sel.Name]; ok {
					seen++
				}
			}
			return true
		})
	}
	if seen < minCalls {
		t.Errorf("found %d SQL calls in %s, want at least %d: is the check reading the right files?", seen, dir, minCalls)
	}
}

// sqlMethods are the database/sql and sqlx calls that take SQL text,
// with the index of that argument.
var sqlMethods = map[string]int{
	"Exec": 0, "ExecContext": 1, "MustExec": 0, "MustExecContext": 1,
	"Query": 0, "QueryContext": 1, "Queryx": 0, "QueryxContext": 1,
	"QueryRow": 0, "QueryRowContext": 1, "QueryRowx": 0, "QueryRowxContext": 1,
	"Get": 1, "GetContext": 2, "Select": 1, "SelectContext": 2,
	"Prepare": 0, "PrepareContext": 1, "Preparex": 0, "PreparexContext": 1,
	"NamedExec": 0, "NamedExecContext": 1, "NamedQuery": 0, "NamedQueryContext": 1,
	"PrepareNamed": 0, "PrepareNamedContext": 1,
}

// sqlChecker finds SQL arguments that are not provably built from
// constants: string literals, constants, package variables initialised
// from those, + of those, locals only ever assigned those (or ranging
// over literals of those), parameters whose every call passes those,
// and the sqlBuilders. Anything else (fmt.Sprintf, a value read at run
// time, a parameter fed by a caller's string) is reported.
type sqlChecker struct {
	rules  Rules
	fset   *token.FileSet
	files  []*ast.File
	consts map[string]bool
	vars   map[string]ast.Expr
	// top holds the package-level declarations: the parser resolves an
	// identifier to them only within their own file.
	top map[any]bool
	// allowedUsed records the sqlAllowed entries that matched a call.
	allowedUsed map[string]bool
}

func newSQLChecker(rules Rules, fset *token.FileSet, files []*ast.File) *sqlChecker {
	c := &sqlChecker{rules: rules, fset: fset, files: files, consts: map[string]bool{}, vars: map[string]ast.Expr{}, top: map[any]bool{},
		allowedUsed: map[string]bool{}}
	for _, f := range files {
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.GenDecl:
				for _, s := range d.Specs {
					vs, ok := s.(*ast.ValueSpec)
					if !ok {
						continue
					}
					c.top[vs] = true
					for i, name := range vs.Names {
						if d.Tok == token.CONST {
							c.consts[name.Name] = true
						} else if i < len(vs.Values) {
							c.vars[name.Name] = vs.Values[i]
						}
					}
				}
			}
		}
	}
	return c
}

// violations lists every SQL argument not built from constants.
func (c *sqlChecker) violations() []string {
	var out []string
	c.inspectFuncs(func(fn *ast.FuncDecl, n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		idx, ok := sqlMethods[sel.Sel.Name]
		if !ok || c.isStmt(fn, sel.X) {
			return true // a prepared statement's methods take no SQL
		}
		pos := c.fset.Position(call.Pos())
		where := filepath.Base(pos.Filename) + ":" + strconv.Itoa(pos.Line) + " " + fn.Name.Name
		if idx >= len(call.Args) {
			return true // not a database call: sync.Pool.Get, say
		}
		arg := call.Args[idx]
		if key := fn.Name.Name + " " + c.text(arg); c.rules.Allowed[key] != "" {
			c.allowedUsed[key] = true
			return true
		}
		if !c.safe(fn, arg, 0) {
			out = append(out, where+": "+sel.Sel.Name+" SQL `"+c.text(arg)+"` is not built from constants only")
		}
		return true
	})
	return out
}

func (c *sqlChecker) text(e ast.Expr) string {
	var b strings.Builder
	printer.Fprint(&b, c.fset, e)
	return b.String()
}

// isStmt reports whether x is a prepared statement: declared *sql.Stmt,
// or assigned from a Prepare call or the store's own stmt/prepare.
func (c *sqlChecker) isStmt(fn *ast.FuncDecl, x ast.Expr) bool {
	id, ok := x.(*ast.Ident)
	if !ok || id.Obj == nil {
		return false
	}
	isStmtType := func(t ast.Expr) bool {
		star, ok := t.(*ast.StarExpr)
		if !ok {
			return false
		}
		sel, ok := star.X.(*ast.SelectorExpr)
		return ok && sel.Sel.Name == "Stmt"
	}
	switch d := id.Obj.Decl.(type) {
	case *ast.Field:
		return isStmtType(d.Type)
	case *ast.ValueSpec:
		return d.Type != nil && isStmtType(d.Type)
	case *ast.AssignStmt:
		if len(d.Rhs) != 1 {
			return false
		}
		call, ok := d.Rhs[0].(*ast.CallExpr)
		if !ok {
			return false
		}
		name := calledName(call)
		return strings.HasPrefix(name, "Prepare") || name == "prepare" || name == "stmt"
	}
	return false
}

// safe reports whether e is SQL text built from constants only.
func (c *sqlChecker) safe(fn *ast.FuncDecl, e ast.Expr, depth int) bool {
	if depth > 8 {
		return false
	}
	switch e := e.(type) {
	case *ast.BasicLit:
		return e.Kind == token.STRING
	case *ast.ParenExpr:
		return c.safe(fn, e.X, depth+1)
	case *ast.BinaryExpr:
		return e.Op == token.ADD && c.safe(fn, e.X, depth) && c.safe(fn, e.Y, depth) // a finite tree: no depth spent
	case *ast.CompositeLit: // an insertSQL: every part constant
		for _, el := range e.Elts {
			if kv, ok := el.(*ast.KeyValueExpr); ok {
				el = kv.Value
			}
			if lit, ok := el.(*ast.BasicLit); ok && lit.Kind == token.INT {
				continue // a count, not text
			}
			if !c.safe(fn, el, depth+1) {
				return false
			}
		}
		return true
	case *ast.IndexExpr: // an element of a package table of constant SQL
		id, ok := e.X.(*ast.Ident)
		if !ok || !c.pkgVar(id) {
			return false
		}
		return c.safe(nil, c.vars[id.Name], depth+1)
	case *ast.CallExpr:
		id, ok := e.Fun.(*ast.Ident)
		if !ok || !c.rules.Builders[id.Name] {
			return false
		}
		for _, a := range e.Args {
			if lit, ok := a.(*ast.BasicLit); ok && lit.Kind == token.INT {
				continue
			}
			if isIntName(a) {
				continue // a row count: it repeats the constant row, adds no text
			}
			if !c.safe(fn, a, depth+1) {
				return false
			}
		}
		return true
	case *ast.SelectorExpr: // a field of a range variable over literals
		id, ok := e.X.(*ast.Ident)
		if !ok || id.Obj == nil {
			return false
		}
		as, ok := id.Obj.Decl.(*ast.AssignStmt)
		if !ok || len(as.Rhs) != 1 {
			return false
		}
		rng, ok := as.Rhs[0].(*ast.UnaryExpr)
		if !ok || rng.Op != token.RANGE {
			return false
		}
		return c.rangeSafe(fn, rng.X, e.Sel.Name, depth+1)
	case *ast.Ident:
		if e.Obj == nil || c.top[e.Obj.Decl] { // package level
			if c.consts[e.Name] {
				return true
			}
			return c.pkgVar(e) && c.safe(nil, c.vars[e.Name], depth+1)
		}
		switch e.Obj.Kind {
		case ast.Con:
			return true
		case ast.Var:
			return c.localSafe(fn, e.Obj, depth+1)
		}
	}
	return false
}

// pkgVar reports whether id names a package variable with an
// initialiser that no function assigns to, wholly or by element.
func (c *sqlChecker) pkgVar(id *ast.Ident) bool {
	if id.Obj != nil && !c.top[id.Obj.Decl] {
		return false
	}
	if _, ok := c.vars[id.Name]; !ok {
		return false
	}
	mutated := false
	c.inspectFuncs(func(fn *ast.FuncDecl, n ast.Node) bool {
		var targets []ast.Expr
		switch n := n.(type) {
		case *ast.AssignStmt:
			targets = n.Lhs
		case *ast.UnaryExpr:
			if n.Op == token.AND {
				targets = []ast.Expr{n.X}
			}
		}
		for _, l := range targets {
			for {
				if ix, ok := l.(*ast.IndexExpr); ok {
					l = ix.X
					continue
				}
				if sel, ok := l.(*ast.SelectorExpr); ok {
					l = sel.X
					continue
				}
				break
			}
			if lid, ok := l.(*ast.Ident); ok && lid.Name == id.Name && (lid.Obj == nil || c.top[lid.Obj.Decl]) {
				mutated = true
			}
		}
		return true
	})
	return !mutated
}

// isIntName reports whether a builder argument is one of the store's
// integer row counts (rows, chunkRows).
func isIntName(e ast.Expr) bool {
	id, ok := e.(*ast.Ident)
	return ok && (id.Name == "rows" || id.Name == "chunkRows")
}

// localSafe checks a local variable or parameter: every value it is
// given must be safe, and its address must never be taken (Scan(&q)
// would fill it from the database).
func (c *sqlChecker) localSafe(fn *ast.FuncDecl, obj *ast.Object, depth int) bool {
	if fn == nil {
		return false
	}
	if _, ok := obj.Decl.(*ast.Field); ok {
		return c.paramSafe(fn, obj, depth)
	}
	ok := true
	check := func(lhs []ast.Expr, rhs []ast.Expr, tok token.Token) {
		for i, l := range lhs {
			id, isID := l.(*ast.Ident)
			if !isID || id.Obj != obj {
				continue
			}
			var v ast.Expr
			switch {
			case len(rhs) == len(lhs):
				v = rhs[i]
			case len(rhs) == 1:
				v = rhs[0]
			}
			if u, isRange := v.(*ast.UnaryExpr); isRange && u.Op == token.RANGE {
				ok = ok && i == 1 && c.rangeSafe(fn, u.X, "", depth)
				continue
			}
			if ix, isIndex := v.(*ast.IndexExpr); isIndex && len(lhs) == 2 && i == 0 {
				v = ix // v, ok := table[k]
			} else if len(rhs) != len(lhs) {
				ok = false // a call's results
				continue
			}
			ok = ok && v != nil && c.safe(fn, v, depth)
		}
	}
	switch d := obj.Decl.(type) {
	case *ast.AssignStmt:
		check(d.Lhs, d.Rhs, d.Tok)
	case *ast.ValueSpec:
		lhs := make([]ast.Expr, len(d.Names))
		for i, n := range d.Names {
			lhs[i] = n
		}
		if len(d.Values) > 0 {
			check(lhs, d.Values, token.DEFINE)
		}
	default:
		return false
	}
	ast.Inspect(fn.Body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.AssignStmt:
			if n != obj.Decl {
				check(n.Lhs, n.Rhs, n.Tok)
			}
		case *ast.UnaryExpr:
			if id, isID := n.X.(*ast.Ident); isID && n.Op == token.AND && id.Obj == obj {
				ok = false
			}
		}
		return true
	})
	return ok
}

// rangeSafe checks what a range variable takes: the elements (or their
// field named field) of a literal, directly or through a variable.
func (c *sqlChecker) rangeSafe(fn *ast.FuncDecl, x ast.Expr, field string, depth int) bool {
	if depth > 8 {
		return false
	}
	if id, ok := x.(*ast.Ident); ok {
		switch {
		case id.Obj == nil || c.top[id.Obj.Decl]:
			return c.pkgVar(id) && c.rangeSafe(nil, c.vars[id.Name], field, depth+1)
		case id.Obj.Kind == ast.Var:
			// Follow a local only assigned once, from a literal.
			as, isAssign := id.Obj.Decl.(*ast.AssignStmt)
			if !isAssign || len(as.Rhs) != 1 || len(as.Lhs) != 1 || c.reassigned(fn, id.Obj) {
				return false
			}
			return c.rangeSafe(fn, as.Rhs[0], field, depth+1)
		}
		return false
	}
	lit, ok := x.(*ast.CompositeLit)
	if !ok {
		return false
	}
	fieldIndex := -1
	if field != "" {
		if arr, isArr := lit.Type.(*ast.ArrayType); isArr {
			if st, isStruct := arr.Elt.(*ast.StructType); isStruct {
				i := 0
				for _, f := range st.Fields.List {
					for _, n := range f.Names {
						if n.Name == field {
							fieldIndex = i
						}
						i++
					}
				}
			}
		}
	}
	for _, el := range lit.Elts {
		if field == "" {
			if !c.safe(fn, el, depth+1) {
				return false
			}
			continue
		}
		inner, isLit := el.(*ast.CompositeLit)
		if !isLit {
			return false
		}
		var v ast.Expr
		for i, f := range inner.Elts {
			if kv, isKV := f.(*ast.KeyValueExpr); isKV {
				if k, isID := kv.Key.(*ast.Ident); isID && k.Name == field {
					v = kv.Value
				}
			} else if i == fieldIndex {
				v = f
			}
		}
		if v == nil || !c.safe(fn, v, depth+1) {
			return false
		}
	}
	return true
}

// reassigned reports whether a local is assigned again after its
// declaration or has its address taken.
func (c *sqlChecker) reassigned(fn *ast.FuncDecl, obj *ast.Object) bool {
	found := false
	ast.Inspect(fn.Body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.AssignStmt:
			if n == obj.Decl {
				return true
			}
			for _, l := range n.Lhs {
				if id, ok := l.(*ast.Ident); ok && id.Obj == obj {
					found = true
				}
			}
		case *ast.UnaryExpr:
			if id, ok := n.X.(*ast.Ident); ok && n.Op == token.AND && id.Obj == obj {
				found = true
			}
		}
		return true
	})
	return found
}

// paramSafe checks a parameter at every call of its function in the
// package: each must pass safe SQL in its place.
func (c *sqlChecker) paramSafe(fn *ast.FuncDecl, obj *ast.Object, depth int) bool {
	index, i := -1, 0
	for _, f := range fn.Type.Params.List {
		for _, n := range f.Names {
			if n.Obj == obj {
				index = i
			}
			i++
		}
	}
	if index < 0 {
		return false // a closure's parameter, or the receiver
	}
	calls := 0
	ok := true
	c.inspectFuncs(func(caller *ast.FuncDecl, n ast.Node) bool {
		call, isCall := n.(*ast.CallExpr)
		if !isCall {
			return true
		}
		if calledName(call) != fn.Name.Name || index >= len(call.Args) {
			return true
		}
		calls++
		ok = ok && c.safe(caller, call.Args[index], depth+1)
		return true
	})
	return ok && calls > 0
}

// inspectFuncs walks the body of every function the files declare,
// handing visit each node with the function it stands in.
func (c *sqlChecker) inspectFuncs(visit func(fn *ast.FuncDecl, n ast.Node) bool) {
	for _, f := range c.files {
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			ast.Inspect(fn.Body, func(n ast.Node) bool { return visit(fn, n) })
		}
	}
}

// parseDir parses the non-test Go files of dir.
func parseDir(t *testing.T, dir string) (*token.FileSet, []*ast.File) {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var files []*ast.File
	for _, p := range paths {
		if strings.HasSuffix(p, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, p, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	if len(files) == 0 {
		t.Fatal("no Go files found")
	}
	return fset, files
}

// calledName is the name a call calls: f for f(...), m for x.m(...), ""
// for anything else (a function value, a call's result).
func calledName(call *ast.CallExpr) string {
	switch f := call.Fun.(type) {
	case *ast.Ident:
		return f.Name
	case *ast.SelectorExpr:
		return f.Sel.Name
	}
	return ""
}
