package contractcli

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"testing"

	"github.com/reconkit/reconkit/contract"
	"github.com/reconkit/reconkit/sandbox"
	"github.com/reconkit/reconkit/sandbox/gen"
)

const (
	xepengSpec = "../../specs/xepeng-openapi.yaml"
	oxpaySpec  = "../../specs/oxpay-openapi.yaml"
)

// sandboxEnv is the sandbox's credentials as the environment carries them.
var sandboxEnv = map[string]string{
	contract.EnvXepengClientID:     sandbox.DefaultXepengClientID,
	contract.EnvXepengClientSecret: sandbox.DefaultXepengClientSecret,
	contract.EnvOxPayAPIKey:        sandbox.DefaultOxPayAPIKey,
	contract.EnvOxPaySignKey:       sandbox.DefaultOxPaySignKey,
}

// secrets must never appear in anything the CLI writes.
var secrets = []string{sandbox.DefaultXepengClientSecret, sandbox.DefaultOxPayAPIKey, sandbox.DefaultOxPaySignKey}

// runCLI runs the whole command line in-process with a fixed environment.
func runCLI(t *testing.T, environ map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = RunWithEnv(args, &out, &errb, func(k string) string { return environ[k] })
	return code, out.String(), errb.String()
}

var (
	dataOnce sync.Once
	data     *gen.Dataset
	dataErr  error
)

// startSandbox serves a fresh sandbox over a small generated world.
func startSandbox(t *testing.T) string {
	t.Helper()
	dataOnce.Do(func() { data, dataErr = gen.Generate(gen.Options{Seed: 1, Orders: 30}) })
	if dataErr != nil {
		t.Fatal(dataErr)
	}
	u, stop, err := sandbox.New(sandbox.DefaultConfig(), data).Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return u
}

// rewrite changes one decoded 2xx JSON response in place.
type rewrite struct {
	method string
	path   *regexp.Regexp
	change func(body map[string]any)
}

// driftProxy is a test proxy on 127.0.0.1 in front of the sandbox that
// rewrites the 2xx JSON responses the rewrites match, as a server whose
// contract drifted would answer.
func driftProxy(t *testing.T, target string, rewrites []rewrite) string {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.ModifyResponse = func(resp *http.Response) error {
		if resp.StatusCode >= 300 {
			return nil
		}
		for _, rw := range rewrites {
			if resp.Request.Method != rw.method || !rw.path.MatchString(resp.Request.URL.Path) {
				continue
			}
			raw, err := io.ReadAll(resp.Body)
			if err != nil {
				return err
			}
			resp.Body.Close()
			var body map[string]any
			if err := json.Unmarshal(raw, &body); err != nil {
				return err
			}
			rw.change(body)
			out, err := json.Marshal(body)
			if err != nil {
				return err
			}
			resp.Body = io.NopCloser(bytes.NewReader(out))
			resp.ContentLength = int64(len(out))
			resp.Header.Set("Content-Length", strconv.Itoa(len(out)))
		}
		return nil
	}
	srv := httptest.NewServer(rp)
	t.Cleanup(srv.Close)
	return srv.URL
}

func obj(m map[string]any, key string) map[string]any {
	v, _ := m[key].(map[string]any)
	return v
}

// jsonReport is the part of the JSON report the tests read.
type jsonReport struct {
	Passed   bool               `json:"passed"`
	Findings []contract.Finding `json:"findings"`
	Summary  contract.Summary   `json:"summary"`
}

func readJSONReport(t *testing.T, path string) jsonReport {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var r jsonReport
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatalf("parse %s: %v", path, err)
	}
	return r
}

func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
