package recon

import (
	"flag"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the README's table of exception categories from Categories")

// categoryConstants reads every constant of type Category declared in
// the package's source, so that a code added there without a row in
// Categories fails TestCategoriesAreWhole.
func categoryConstants(t *testing.T) []Category {
	t.Helper()
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var out []Category
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, spec := range g.Specs {
				v := spec.(*ast.ValueSpec)
				if id, ok := v.Type.(*ast.Ident); !ok || id.Name != "Category" {
					continue
				}
				for _, val := range v.Values {
					lit, ok := val.(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						t.Fatalf("%s: a Category constant that is not a string literal", fset.Position(val.Pos()))
					}
					code, err := strconv.Unquote(lit.Value)
					if err != nil {
						t.Fatal(err)
					}
					out = append(out, Category(code))
				}
			}
		}
	}
	return out
}

// TestCategoriesAreWhole fails when a category lacks any part: a row in
// Categories, a severity, a readable name that is a valid sheet name, a
// control, a description.
func TestCategoriesAreWhole(t *testing.T) {
	consts := categoryConstants(t)
	for _, c := range consts {
		if _, ok := c.Info(); !ok {
			t.Errorf("%s has no row in Categories", c)
		}
	}
	codes, names := map[Category]bool{}, map[string]bool{}
	for i, info := range Categories {
		if info.Code == "" || info.Code != Category(strings.ToUpper(string(info.Code))) || strings.ContainsAny(string(info.Code), " ,") {
			t.Errorf("row %d: code %q: want upper case, without spaces or commas", i, info.Code)
		}
		if codes[info.Code] {
			t.Errorf("%s has two rows", info.Code)
		}
		codes[info.Code] = true
		if !slices.Contains(Severities, info.Severity) {
			t.Errorf("%s: severity %q, want one of %v", info.Code, info.Severity, Severities)
		}
		if n := info.Name; n == "" || len([]rune(n)) > 31 || strings.ContainsAny(n, `:\/?*[]`) || strings.Trim(n, "'") != n {
			t.Errorf("%s: name %q, want a sheet name: 1 to 31 characters, none of :\\/?*[], no leading or trailing '", info.Code, n)
		}
		if names[strings.ToLower(info.Name)] {
			t.Errorf("%s: name %q is another category's too (sheet names must differ)", info.Code, info.Name)
		}
		names[strings.ToLower(info.Name)] = true
		if info.Control < ControlNone || info.Control >= controlEnd {
			t.Errorf("%s: no control (say ControlNone if its exceptions take no part in the control line)", info.Code)
		}
		oneLine := func(d string) bool {
			return strings.HasSuffix(d, ".") && !strings.ContainsAny(d, "|\n")
		}
		if !oneLine(info.Description) || info.Markdown != "" && !oneLine(info.Markdown) {
			t.Errorf("%s: description %q (Markdown %q), want one line ending in a full stop, without |",
				info.Code, info.Description, info.Markdown)
		}
		if strings.Contains(info.Description, "`") {
			t.Errorf("%s: the description is shown as plain text: put Markdown in Markdown", info.Code)
		}
		if got := info.Code.Rank(); got != i {
			t.Errorf("%s: rank %d, want %d", info.Code, got, i)
		}
		if got := info.Code.Severity(); got != info.Severity {
			t.Errorf("%s: Severity() %q, want %q", info.Code, got, info.Severity)
		}
	}
	if len(Categories) != len(consts) {
		t.Errorf("Categories has %d rows, want one for each of the %d Category constants", len(Categories), len(consts))
	}
	if info, ok := Category("NO_SUCH_CODE").Info(); ok || info.Code != "NO_SUCH_CODE" ||
		Category("NO_SUCH_CODE").Rank() != len(Categories) || Category("NO_SUCH_CODE").Severity() != "" {
		t.Errorf("an unknown code: got %+v, %v", info, ok)
	}
}

const (
	readmePath    = "../README.md"
	readmeHeading = "### Exception categories"
	readmeHeader  = "| code | severity | meaning |\n|---|---|---|\n"
)

// markdownTable is the README's table of the categories, made from
// Categories.
func markdownTable() string {
	var b strings.Builder
	b.WriteString(readmeHeader)
	for _, info := range Categories {
		d := info.Markdown
		if d == "" {
			d = info.Description
		}
		b.WriteString("| `" + string(info.Code) + "` | " + info.Severity + " | " + d + " |\n")
	}
	return b.String()
}

// TestREADMECategoryTable holds the README's table of exception
// categories to Categories; go test ./recon -update rewrites it.
func TestREADMECategoryTable(t *testing.T) {
	raw, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	readme := string(raw)
	h := strings.Index(readme, readmeHeading)
	if h < 0 {
		t.Fatalf("README has no %q", readmeHeading)
	}
	start := strings.Index(readme[h:], readmeHeader)
	if start < 0 {
		t.Fatalf("README's %q has no table headed %q", readmeHeading, readmeHeader)
	}
	start += h
	end := start
	for _, line := range strings.SplitAfter(readme[start:], "\n") {
		if !strings.HasPrefix(line, "|") {
			break
		}
		end += len(line)
	}
	got, want := readme[start:end], markdownTable()
	if got == want {
		return
	}
	if *update {
		if err := os.WriteFile(readmePath, []byte(readme[:start]+want+readme[end:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("README's table of exception categories differs from Categories (go test ./recon -update rewrites it)\ngot:\n%s\nwant:\n%s", got, want)
}
