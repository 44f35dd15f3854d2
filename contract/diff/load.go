package diff

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// LoadRef reads a document named on the command line: a file, or REV:PATH
// for the document as it was at a git revision (`main:specs/x.yaml`),
// read with `git show` in repoDir. An existing file wins over the REV:PATH
// reading, so a file name with a colon still works. It returns the bytes
// and the name findings should use.
func LoadRef(ref, repoDir string) ([]byte, string, error) {
	p := ref
	if !filepath.IsAbs(p) && repoDir != "" {
		p = filepath.Join(repoDir, ref)
	}
	b, err := os.ReadFile(p)
	if err == nil {
		return b, ref, nil
	}
	rev, path, ok := strings.Cut(ref, ":")
	if !ok || rev == "" || path == "" || !errors.Is(err, fs.ErrNotExist) || isWindowsDrive(ref) {
		return nil, "", fmt.Errorf("read spec %s: %w", ref, err)
	}
	cmd := exec.Command("git", "show", rev+":"+filepath.ToSlash(path))
	cmd.Dir = repoDir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return nil, "", fmt.Errorf("read spec %s from git (is %s a revision and %s a path in it?): %s", ref, rev, path, msg)
	}
	return stdout.Bytes(), ref, nil
}

func isWindowsDrive(ref string) bool {
	return len(ref) >= 2 && ref[1] == ':' && (ref[0] >= 'A' && ref[0] <= 'Z' || ref[0] >= 'a' && ref[0] <= 'z') && len(ref) > 2 && (ref[2] == '\\' || ref[2] == '/')
}
