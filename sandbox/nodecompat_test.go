package sandbox_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/reconkit/reconkit/sandbox"
	"github.com/reconkit/reconkit/sandbox/gen"
)

// TestOfficialNodePackage runs the official xepeng-oauth-js package
// against the sandbox: what real merchants run must work unchanged.
// .ci/run installs the package and sets XEPENG_OAUTH_JS_DIR to the folder
// holding its node_modules; elsewhere the test is skipped.
func TestOfficialNodePackage(t *testing.T) {
	dir := os.Getenv("XEPENG_OAUTH_JS_DIR")
	node, err := exec.LookPath("node")
	if dir == "" || err != nil {
		t.Skip("set XEPENG_OAUTH_JS_DIR (npm install --prefix DIR xepeng-oauth-js@1.1.2) and put node on PATH")
	}
	data, err := gen.Generate(gen.Options{Seed: 1, Orders: 20})
	if err != nil {
		t.Fatal(err)
	}
	cfg := sandbox.DefaultConfig()
	url, stop, err := sandbox.New(cfg, data).Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer stop()

	script, err := filepath.Abs("../testdata/node/compat.js")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, script)
	cmd.Env = append(os.Environ(),
		"NODE_PATH="+filepath.Join(dir, "node_modules"),
		"BASE_URL="+url+"/", // the package drops a trailing slash
		"CLIENT_ID="+cfg.XepengClientID, "CLIENT_SECRET="+cfg.XepengClientSecret)
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("node: %v\n%s", err, stderr)
	}
	var got map[string]any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("node printed %q: %v", out, err)
	}
	want := map[string]any{
		"create_status": "pending", "update_status": "active", "get_uid_matches": true,
		"list_count": float64(10), "list_total": float64(len(data.Orders) + 1),
		"link_has_url": true, "link_order_uid_matches": true, "wrong_secret": float64(401),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("official package against the sandbox (-want +got):\n%s", diff)
	}
}
