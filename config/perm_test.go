package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFileWarnings(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("mode bits do not say who can read a file on Windows")
	}
	const literal = `
xepeng:
  client_id: cid
  client_secret: xs-LEAK-1
oxpay:
  api_key: ak-LEAK-2
  sign_key: "${OXPAY_SIGN_KEY}"
`
	tests := []struct {
		name string
		body string
		mode os.FileMode
		want string // "" for no warning; FILE stands for the path
	}{
		{
			name: "world-readable with two literal secrets",
			body: literal, mode: 0o644,
			want: "config FILE is readable by its group and others (mode 0644) and holds xepeng.client_secret, oxpay.api_key in plain text: run chmod 600 FILE, or set XEPENG_CLIENT_SECRET, OXPAY_API_KEY in the environment (or ${VAR} in the file) instead",
		},
		{
			name: "group-readable",
			body: "oxpay:\n  sign_key: sk-LEAK-3\n", mode: 0o640,
			want: "config FILE is readable by its group (mode 0640) and holds oxpay.sign_key in plain text: run chmod 600 FILE, or set OXPAY_SIGN_KEY in the environment (or ${VAR} in the file) instead",
		},
		{
			name: "readable by others only",
			body: "oxpay:\n  sign_key: sk-LEAK-3\n", mode: 0o604,
			want: "config FILE is readable by others (mode 0604) and holds oxpay.sign_key in plain text: run chmod 600 FILE, or set OXPAY_SIGN_KEY in the environment (or ${VAR} in the file) instead",
		},
		{
			name: "a literal part around a reference is still a literal secret",
			body: "oxpay:\n  api_key: \"ak-LEAK-4${SUFFIX}\"\n", mode: 0o644,
			want: "config FILE is readable by its group and others (mode 0644) and holds oxpay.api_key in plain text: run chmod 600 FILE, or set OXPAY_API_KEY in the environment (or ${VAR} in the file) instead",
		},
		{
			name: "a database URL with its password written out",
			body: "database: postgres://recon:pg-LEAK-5@db.example/recon\n", mode: 0o644,
			want: "config FILE is readable by its group and others (mode 0644) and holds database (its password) in plain text: run chmod 600 FILE, or set PGPASSWORD in the environment (or ${VAR} in the file) instead",
		},
		{name: "world-readable, database password from the environment", body: "database: postgres://recon@db.example/recon\n", mode: 0o644},
		{name: "private file with literal secrets", body: literal, mode: 0o600},
		{name: "owner read-only", body: literal, mode: 0o400},
		{name: "world-readable, secrets only as references", body: "xepeng:\n  client_secret: ${XEPENG_CLIENT_SECRET}\noxpay:\n  api_key: \" ${A}${B} \"\n  sign_key: ${OXPAY_SIGN_KEY}\n", mode: 0o644},
		{name: "world-readable, no secrets", body: "timezone: Asia/Jakarta\nxepeng:\n  client_id: not-a-secret\n", mode: 0o644},
		{name: "world-readable, empty secret", body: "oxpay:\n  sign_key: \"\"\n", mode: 0o644},
		{name: "world-readable, empty file", body: "", mode: 0o644},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "recon.yaml")
			if err := os.WriteFile(p, []byte(tc.body), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(p, tc.mode); err != nil { // WriteFile's mode passes through the umask
				t.Fatal(err)
			}
			got, err := FileWarnings(p)
			if err != nil {
				t.Fatalf("FileWarnings: %v", err)
			}
			var want []string
			if tc.want != "" {
				want = []string{strings.ReplaceAll(tc.want, "FILE", p)}
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("warnings (-want +got):\n%s", d)
			}
			for _, w := range got {
				if strings.Contains(w, "LEAK") {
					t.Errorf("warning %q holds a secret value", w)
				}
			}
		})
	}
}

// TestFileWarningsAgreeWithLoad holds FileWarnings to what Load reads: a
// key it calls a literal secret is one Load takes from the file even
// with the environment empty, and one it lets pass comes from the
// environment.
func TestFileWarningsAgreeWithLoad(t *testing.T) {
	p := writeConfig(t, "xepeng:\n  client_secret: literal\noxpay:\n  api_key: ${FROM_ENV}\n")
	if err := os.Chmod(p, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(p, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Xepeng.ClientSecret != "literal" || cfg.OxPay.APIKey != "" {
		t.Fatalf("Load: got client_secret %q api_key %q, want the literal and an empty expansion", cfg.Xepeng.ClientSecret, cfg.OxPay.APIKey)
	}
	got, err := FileWarnings(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || !strings.Contains(got[0], "holds xepeng.client_secret in plain text") {
		t.Fatalf("got %q, want one warning naming xepeng.client_secret only", got)
	}
}

func TestFileWarningsErrors(t *testing.T) {
	t.Run("missing file", func(t *testing.T) {
		_, err := FileWarnings(filepath.Join(t.TempDir(), "nope.yaml"))
		if !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("got %v, want fs.ErrNotExist", err)
		}
	})
	t.Run("broken YAML", func(t *testing.T) {
		p := writeConfig(t, "oxpay: [\n")
		if err := os.Chmod(p, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := FileWarnings(p); err == nil || !strings.Contains(err.Error(), p) {
			t.Fatalf("got %v, want an error naming %s", err, p)
		}
	})
	t.Run("no config file", func(t *testing.T) {
		if got, err := FileWarnings(""); got != nil || err != nil {
			t.Fatalf("got %v, %v; want nothing", got, err)
		}
	})
}
