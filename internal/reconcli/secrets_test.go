package reconcli

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	neturl "net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/reconkit/reconkit/sandbox"
	"github.com/reconkit/reconkit/sandbox/gen"
	"github.com/reconkit/reconkit/store/postgres"
	"github.com/reconkit/reconkit/store/postgres/pgtest"
)

// TestNoSecretInAnyOutput runs the nightly job and the contract test
// against a sandbox with distinctive credentials, with debug logs, and
// scans everything they wrote (stdout, stderr, the exports, every part
// of the workbook, the contract's JUnit, JSON, Markdown and SARIF
// reports) for the secrets. A run that fails (bad credentials) is
// scanned too: error paths are where secrets leak.
func TestNoSecretInAnyOutput(t *testing.T) {
	secrets := map[string]string{
		"XEPENG_CLIENT_ID":     "cid-visible-is-fine",
		"XEPENG_CLIENT_SECRET": "xsec-7f3a9c0d-do-not-print",
		"OXPAY_API_KEY":        "ak-91b2e6-do-not-print",
		"OXPAY_SIGN_KEY":       "sk-44d1aa-do-not-print",
	}
	secretValues := []string{secrets["XEPENG_CLIENT_SECRET"], secrets["OXPAY_API_KEY"], secrets["OXPAY_SIGN_KEY"]}

	data, err := gen.Generate(gen.Options{Seed: 9, Orders: 300, SignKey: secrets["OXPAY_SIGN_KEY"]})
	if err != nil {
		t.Fatal(err)
	}
	scfg := sandbox.DefaultConfig()
	scfg.XepengClientID, scfg.XepengClientSecret = secrets["XEPENG_CLIENT_ID"], secrets["XEPENG_CLIENT_SECRET"]
	scfg.OxPayAPIKey, scfg.OxPaySignKey = secrets["OXPAY_API_KEY"], secrets["OXPAY_SIGN_KEY"]
	url, stop, err := sandbox.New(scfg, data).Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer stop()

	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for k, v := range secrets {
		env = append(env, k+"="+v)
	}
	// The same secrets, one of them wrong: the failure path.
	wrongEnv := append(append([]string{}, env...), "XEPENG_CLIENT_SECRET="+secrets["XEPENG_CLIENT_SECRET"]+"-wrong")

	var outputs []named
	run := func(env []string, bin string, args ...string) {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		if _, ok := errors.AsType[*exec.ExitError](err); err != nil && !ok {
			t.Fatalf("%s: %v", bin, err)
		}
		what := filepath.Base(bin) + " " + strings.Join(args, " ")
		outputs = append(outputs, named{what + " (stdout)", out.Bytes()}, named{what + " (stderr)", errb.Bytes()})
	}

	cfg, _ := nightSetup(t, url, data)
	dir := filepath.Dir(cfg)
	run(env, reconBinary(t), "run", "--config", cfg, "--date", "2026-11-10", "--log-level", "debug", "--log-format", "json")
	run(wrongEnv, reconBinary(t), "run", "--config", cfg, "--date", "2026-11-11", "--log-level", "debug", "--log-format", "text")
	run(env, reconBinary(t), "sandbox", "generate", "--orders", "20", "--sign-key", secrets["OXPAY_SIGN_KEY"], "--out", filepath.Join(dir, "gen"), "--log-level", "debug")

	spec := filepath.Join("..", "..", "specs")
	for _, target := range []struct{ spec, base string }{
		{filepath.Join(spec, "xepeng-openapi.yaml"), url},
		{filepath.Join(spec, "oxpay-openapi.yaml"), url + "/oxpay"},
	} {
		name := strings.TrimSuffix(filepath.Base(target.spec), ".yaml")
		out := filepath.Join(dir, "contract-"+name)
		for i, e := range [][]string{env, wrongEnv} {
			suffix := []string{"", "-wrong"}[i]
			run(e, builtBinary(t, "contract"), "test", "--spec", target.spec, "--base-url", target.base,
				"--junit", out+suffix+".xml", "--json", out+suffix+".json", "--markdown", out+suffix+".md", "--sarif", out+suffix+".sarif")
		}
	}

	files := 0
	err = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		// The inputs carry signatures, never keys; the database and the
		// config are the secrets' own home and not outputs.
		switch {
		case strings.Contains(path, string(filepath.Separator)+"inbox"+string(filepath.Separator)),
			strings.HasSuffix(path, ".yaml"), strings.Contains(filepath.Base(path), "recon.db"):
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		if strings.HasSuffix(path, ".xlsx") {
			parts, err := unzipAll(b)
			if err != nil {
				return err
			}
			for _, p := range parts {
				outputs = append(outputs, named{path + ":" + p.name, p.body})
			}
			return nil
		}
		outputs = append(outputs, named{path, b})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 12 {
		t.Fatalf("scanned only %d files; the runs wrote less than expected", files)
	}
	for _, o := range outputs {
		for _, s := range secretValues {
			if bytes.Contains(o.body, []byte(s)) {
				t.Errorf("%s holds a secret", o.name)
			}
		}
	}
}

type named struct {
	name string
	body []byte
}

// unzipAll returns every part of a zip (an .xlsx), uncompressed: a secret
// in a workbook would not show in its compressed bytes.
func unzipAll(b []byte) ([]named, error) {
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil, err
	}
	var out []named
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			return nil, err
		}
		body, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return nil, err
		}
		out = append(out, named{f.Name, body})
	}
	return out, nil
}

// TestNoDatabasePasswordInAnyOutput runs nights on PostgreSQL with the
// password in the database URL, with debug logs: one that succeeds, one
// while another run holds the merchant's lock, and one against a server
// that is not there (run without a test server too). No output, log or
// report holds the password.
func TestNoDatabasePasswordInAnyOutput(t *testing.T) {
	const password = "pg-pw-5ec7e1-do-not-print"
	url, data := startSandbox(t, 200)
	withPassword := func(database string) string {
		u, err := neturl.Parse(database)
		if err != nil {
			t.Fatal(err)
		}
		u.User = neturl.UserPassword(u.User.Username(), password)
		return u.String()
	}
	var outputs []named
	night := func(database, date string) (dir string) {
		t.Helper()
		cfg, _ := nightSetup(t, url, data)
		body := strings.Replace(string(mustRead(t, cfg)), "database: ", "database: "+withPassword(database)+"\n# was: ", 1)
		writeFile(t, cfg, body)
		for _, format := range []string{"json", "text"} {
			code, out, errs := runBinary(t, "run", "--config", cfg, "--date", date, "--log-level", "debug", "--log-format", format)
			outputs = append(outputs, named{database + " stdout", []byte(out)}, named{database + " stderr", []byte(errs)})
			if code != 0 {
				t.Logf("run on %s: exit %d", postgres.Redact(withPassword(database)), code)
			}
		}
		return filepath.Dir(cfg)
	}
	night("postgres://recon@127.0.0.1:1/recon?connect_timeout=2", "2026-11-10")
	var dirs []string
	if pgtest.Available() {
		database := pgtest.URL(t)
		dirs = append(dirs, night(database, "2026-11-10"))
		release := holdLock(t, database)
		dirs = append(dirs, night(database, "2026-11-11"))
		release()
	}
	for _, dir := range dirs {
		filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || strings.HasSuffix(path, ".yaml") || strings.Contains(path, string(filepath.Separator)+"inbox") {
				return err
			}
			b := mustRead(t, path)
			if strings.HasSuffix(path, ".xlsx") {
				parts, err := unzipAll(b)
				if err != nil {
					return err
				}
				outputs = append(outputs, parts...)
				return nil
			}
			outputs = append(outputs, named{path, b})
			return nil
		})
	}
	for _, o := range outputs {
		if bytes.Contains(o.body, []byte(password)) {
			t.Errorf("%s holds the database password:\n%s", postgres.Redact(withPassword(o.name)), bytes.ReplaceAll(o.body, []byte(password), []byte("<PASSWORD>")))
		}
	}
}
