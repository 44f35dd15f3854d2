package contract

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/reconkit/reconkit/sandbox"
	"github.com/reconkit/reconkit/sandbox/gen"
	"github.com/reconkit/reconkit/specs"
)

var (
	datasetOnce sync.Once
	dataset     *gen.Dataset
	datasetErr  error
)

// testData is a small generated world, built once per test binary.
func testData(t testing.TB) *gen.Dataset {
	t.Helper()
	datasetOnce.Do(func() { dataset, datasetErr = gen.Generate(gen.Options{Seed: 1, Orders: 40}) })
	if datasetErr != nil {
		t.Fatalf("generate dataset: %v", datasetErr)
	}
	return dataset
}

// startSandbox serves a fresh sandbox on 127.0.0.1 for one test.
func startSandbox(t testing.TB) string {
	t.Helper()
	url, stop, err := sandbox.New(sandbox.DefaultConfig(), testData(t)).Start("127.0.0.1:0")
	if err != nil {
		t.Fatalf("start sandbox: %v", err)
	}
	t.Cleanup(stop)
	return url
}

// target is one spec with the sandbox's credentials and base path.
type target struct {
	name, file string
	raw        []byte
	auth       string
	creds      Credentials
	suffix     string
}

func targets() []target {
	return []target{
		{
			name: "xepeng", file: "xepeng-openapi.yaml", raw: specs.Xepeng(), auth: AuthXepengHMAC,
			creds: Credentials{ClientID: sandbox.DefaultXepengClientID, ClientSecret: sandbox.DefaultXepengClientSecret},
		},
		{
			name: "oxpay", file: "oxpay-openapi.yaml", raw: specs.OxPay(), auth: AuthOxPay, suffix: "/oxpay",
			creds: Credentials{APIKey: sandbox.DefaultOxPayAPIKey, SignKey: sandbox.DefaultOxPaySignKey},
		},
	}
}

func mustLoad(t testing.TB, name string, raw []byte) *Spec {
	t.Helper()
	s, err := Load(name, raw)
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	return s
}

func embeddedScenarios(t testing.TB) *ScenarioFile {
	t.Helper()
	raw, err := specs.FS().Open("scenario.yaml")
	if err != nil {
		t.Fatalf("open embedded scenario: %v", err)
	}
	defer raw.Close()
	var b []byte
	buf := make([]byte, 4096)
	for {
		n, err := raw.Read(buf)
		b = append(b, buf[:n]...)
		if err != nil {
			break
		}
	}
	f, err := ParseScenarios(b)
	if err != nil {
		t.Fatalf("parse embedded scenario: %v", err)
	}
	return f
}

// runTarget plans and runs one spec against baseURL with the sandbox's
// credentials.
func runTarget(t testing.TB, tg target, baseURL string, client *http.Client) *Result {
	t.Helper()
	spec := mustLoad(t, tg.file, tg.raw)
	plan, err := NewPlan(spec, embeddedScenarios(t).For(spec), PlanOptions{})
	if err != nil {
		t.Fatalf("plan: %v", err)
	}
	auth, err := NewAuth(tg.auth, tg.creds, nil)
	if err != nil {
		t.Fatalf("auth: %v", err)
	}
	res, err := Run(context.Background(), plan, RunOptions{
		BaseURL: baseURL + tg.suffix, Client: client, Timeout: 10 * time.Second, Auth: auth,
		ResponseTime: time.Minute, Negative: true, RunID: "t1", MaxCases: 30, Seed: 1, Workers: 4,
	})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	return res
}
