package contract

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// authSpec is a one-operation spec whose only security scheme is scheme.
func authSpec(scheme string) []byte {
	return []byte(`openapi: 3.0.3
info: {title: auth test, version: '1'}
paths:
  /boom:
    get:
      operationId: boom
      responses:
        '200': {description: ok}
components:
  securitySchemes:
    S: ` + scheme + `
security: [{S: []}]
`)
}

// TestAuthKindsAndReproducers runs each auth kind against a server that
// answers 401 to wrong credentials and 500 to right ones: the run finds
// the 500, and its reproducer, pasted with the secrets in the
// environment, gets the 500 too (so it sent the right credentials) and
// exits non-zero.
func TestAuthKindsAndReproducers(t *testing.T) {
	needTools(t)
	const (
		user, pass = "u1", "p4ss-word"
		key        = "k3y-value"
		cid, csec  = "client-1", "s3cret-1"
		tenant     = "t3nant-secret"
	)
	var mu sync.Mutex
	fetches := 0
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		if !ok || u != cid || p != csec || r.FormValue("grant_type") != "client_credentials" {
			http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
			return
		}
		mu.Lock()
		fetches++
		n := fetches
		mu.Unlock()
		fmt.Fprintf(w, `{"access_token":"tok-%d-xyz","token_type":"bearer","expires_in":60}`, n)
	})
	var check func(*http.Request) bool
	mux.HandleFunc("GET /boom", func(w http.ResponseWriter, r *http.Request) {
		if !check(r) || r.Header.Get("X-Tenant") != tenant {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		http.Error(w, "boom", http.StatusInternalServerError)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
	for _, tc := range []struct {
		kind, scheme string
		creds        Credentials
		env          []string
		check        func(*http.Request) bool
	}{
		{AuthBasic, "{type: http, scheme: basic}", Credentials{Username: user, Password: pass},
			[]string{EnvUsername + "=" + user, EnvPassword + "=" + pass},
			func(r *http.Request) bool { return r.Header.Get("Authorization") == basic }},
		{AuthAPIKey, "{type: apiKey, in: header, name: X-Key}", Credentials{APIKey: key, KeyIn: "header", KeyName: "X-Key"},
			[]string{EnvAPIKey + "=" + key},
			func(r *http.Request) bool { return r.Header.Get("X-Key") == key }},
		{AuthAPIKey, "{type: apiKey, in: query, name: api_key}", Credentials{APIKey: key, KeyIn: "query", KeyName: "api_key"},
			[]string{EnvAPIKey + "=" + key},
			func(r *http.Request) bool { return r.URL.Query().Get("api_key") == key }},
		{AuthBearer, "{type: http, scheme: bearer}", Credentials{Token: key},
			[]string{EnvBearerToken + "=" + key},
			func(r *http.Request) bool { return r.Header.Get("Authorization") == "Bearer "+key }},
		{AuthOAuth2, "{type: oauth2, flows: {clientCredentials: {tokenUrl: " + srv.URL + "/token, scopes: {read: r}}}}",
			Credentials{ClientID: cid, ClientSecret: csec, TokenURL: srv.URL + "/token", Scopes: []string{"read"}},
			[]string{EnvOAuthClientID + "=" + cid, EnvOAuthClientSecret + "=" + csec},
			func(r *http.Request) bool { return strings.HasPrefix(r.Header.Get("Authorization"), "Bearer tok-") }},
	} {
		t.Run(tc.kind+" "+tc.scheme, func(t *testing.T) {
			check = tc.check
			spec := mustLoad(t, "auth.yaml", authSpec(tc.scheme))
			if got := DetectAuth(spec); got != tc.kind {
				t.Errorf("DetectAuth = %s, want %s", got, tc.kind)
			}
			plan, err := NewPlan(spec, nil, PlanOptions{})
			if err != nil {
				t.Fatal(err)
			}
			c := tc.creds
			c.Headers = map[string]string{"X-Tenant": tenant}
			c.SecretHeaders = []string{"X-Tenant"}
			c.Env = map[string]string{"header:X-Tenant": "${TENANT}"}
			auth, err := NewAuth(tc.kind, c, nil)
			if err != nil {
				t.Fatal(err)
			}
			res, err := Run(context.Background(), plan, RunOptions{BaseURL: srv.URL, Auth: auth, Negative: true})
			if err != nil {
				t.Fatal(err)
			}
			fs := res.FindingsFor("boom", CheckNotAServerError)
			if len(fs) != 1 {
				t.Fatalf("findings %v, want the 500", res.Findings)
			}
			for _, f := range res.Findings {
				for _, secret := range append(auth.Secrets(), pass, key, csec, tenant, "tok-1-xyz") {
					if strings.Contains(f.Message+f.Excerpt+f.Reproducer, secret) {
						t.Errorf("%s shows a secret:\n%s\n%s", f.Check, f.Excerpt, f.Reproducer)
					}
				}
			}
			// The negative checks proved the server refuses missing and
			// wrong credentials.
			for _, check := range []string{CheckNegUnsigned, CheckNegWrongClientID} {
				if n := len(res.FindingsFor("boom", check)); n != 0 {
					t.Errorf("%s: %d findings, want none", check, n)
				}
			}
			code, out := paste(t, fs[0].Reproducer, append(tc.env, "TENANT="+tenant)...)
			if code == 0 || !strings.Contains(out, "500") {
				t.Errorf("reproducer exited %d, want non-zero with the 500:\n%s\n%s", code, fs[0].Reproducer, out)
			}
		})
	}
}

// TestOAuth2TokenRefresh fetches a token once, reuses it, and fetches a
// new one when it is about to expire.
func TestOAuth2TokenRefresh(t *testing.T) {
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		n++
		fmt.Fprintf(w, `{"access_token":"tok-%d","expires_in":60}`, n)
	}))
	t.Cleanup(srv.Close)
	now := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	a, err := NewAuth(AuthOAuth2, Credentials{ClientID: "c", ClientSecret: "s", TokenURL: srv.URL}, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	red := NewRedactor()
	a.Watch(red)
	bearer := func() string {
		req, _ := http.NewRequest("GET", "http://127.0.0.1/x", nil)
		if err := a.Apply(req, nil, &Operation{}, nil, ""); err != nil {
			t.Fatal(err)
		}
		return req.Header.Get("Authorization")
	}
	for _, tc := range []struct {
		advance time.Duration
		want    string
	}{
		{0, "Bearer tok-1"},
		{20 * time.Second, "Bearer tok-1"},
		{15 * time.Second, "Bearer tok-2"}, // 35 s in: within 30 s of expiry
	} {
		now = now.Add(tc.advance)
		if got := bearer(); got != tc.want {
			t.Errorf("after %v: got %q, want %q", tc.advance, got, tc.want)
		}
	}
	if got := red.String("tok-1 tok-2"); got != Redacted+" "+Redacted {
		t.Errorf("fetched tokens are not redacted: %q", got)
	}
}
