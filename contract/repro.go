package contract

import (
	"encoding/json"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/reconkit/reconkit/contract/pointer"
)

// A reproducer is a POSIX shell snippet that sends a finding's request
// again with curl and exits non-zero while the finding still holds:
// status checks compare curl's %{http_code} with what the check wants,
// body drift is tested with jq -e at the finding's pointer, a missing
// required header with grep over the response headers. Secrets are never
// written out: they are references to the environment variables they
// came from, and signatures (Xepeng's HMAC over method, path, timestamp
// and body; OxPay's over the body) are computed when the snippet runs,
// with openssl, so a pasted reproducer is valid whenever it is pasted.
// The spoilt credentials of a negative check are written as the check
// sent them (fake ids and keys are not secrets).

// shq quotes s for a POSIX shell.
func shq(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// dq escapes s for the inside of a double-quoted shell word.
func dq(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "$", `\$`, "`", "\\`")
	return r.Replace(s)
}

// envRef is "$NAME" for a credential's environment variable.
func (a *Auth) envRef(key, def string) string {
	if n := a.creds.Env[key]; n != "" {
		return "$" + n
	}
	return "$" + def
}

// reproducer renders the request of a finding as a shell snippet.
func (r *runner) reproducer(op *Operation, ev *evidence, f *Finding) string {
	req, a, neg := ev.req, r.opts.Auth, ev.neg
	var pre []string
	args := []string{"curl", "-sS", "-X", req.method}
	u, err := url.Parse(req.url)
	if err != nil {
		return ""
	}
	hasBody := req.body != nil
	if hasBody {
		pre = append(pre, "body="+shq(string(req.body)))
	}
	for _, k := range sortedHeaderKeys(req.header) {
		for _, v := range req.header[k] {
			args = append(args, "-H", shq(k+": "+v))
		}
	}
	for _, k := range sortedStrings(a.creds.Headers) {
		if slices.Contains(a.creds.SecretHeaders, k) {
			args = append(args, "-H", `"`+dq(k+": ")+a.creds.Env["header:"+k]+`"`)
		} else {
			args = append(args, "-H", shq(k+": "+a.creds.Headers[k]))
		}
	}
	if hasBody {
		args = append(args, "-H", shq("Content-Type: "+req.mediaType))
	}
	urlWord := shq(req.url)
	switch a.Kind {
	case AuthXepengHMAC:
		if neg == CheckNegStaleTimestamp {
			pre = append(pre, "ts=$(($(date +%s) - 600))")
		} else {
			pre = append(pre, "ts=$(date +%s)")
		}
		secret := `"` + a.envRef("client_secret", EnvXepengClientSecret) + `"`
		if neg == CheckNegWrongSignature {
			secret = shq(fakeSecret)
		}
		bodyRef := "''"
		if hasBody {
			bodyRef = `"$body"`
		}
		if neg == CheckNegWrongClientID {
			args = append(args, "-H", shq("X-Client-ID: "+fakeClientID))
		} else {
			args = append(args, "-H", `"X-Client-ID: `+a.envRef("client_id", EnvXepengClientID)+`"`)
		}
		args = append(args, "-H", `"X-Timestamp: $ts"`)
		if neg != CheckNegUnsigned {
			pre = append(pre, "sig=$(printf '%s' "+shq(req.method)+" "+shq(u.EscapedPath())+` "$ts" `+bodyRef+
				" | openssl dgst -sha256 -hmac "+secret+" | sed 's/^.*= //')")
			args = append(args, "-H", `"X-Signature: $sig"`)
		}
	case AuthOxPay:
		key := `"Authorization: Bearer ` + a.envRef("api_key", EnvOxPayAPIKey) + `"`
		if neg == CheckNegWrongClientID {
			key = shq("Authorization: Bearer " + fakeToken)
		}
		signed := requiresSignature(op, r.spec)
		if neg != CheckNegUnsigned || signed {
			args = append(args, "-H", key)
		}
		if (signed || hasBody) && neg != CheckNegUnsigned {
			signKey := `"` + a.envRef("sign_key", EnvOxPaySignKey) + `"`
			if neg == CheckNegWrongSignature {
				signKey = shq(fakeSecret)
			}
			bodyRef := "''"
			if hasBody {
				bodyRef = `"$body"`
			}
			pre = append(pre, "sig=$(printf '%s' "+bodyRef+" | openssl dgst -sha256 -hmac "+signKey+" | sed 's/^.*= //')")
			args = append(args, "-H", `"Signature: $sig"`)
		}
	case AuthBearer:
		switch neg {
		case CheckNegUnsigned:
		case CheckNegWrongClientID:
			args = append(args, "-H", shq("Authorization: Bearer "+fakeToken))
		default:
			args = append(args, "-H", `"Authorization: Bearer `+a.envRef("token", EnvBearerToken)+`"`)
		}
	case AuthBasic:
		switch neg {
		case CheckNegUnsigned:
		case CheckNegWrongClientID:
			args = append(args, "-u", `"`+a.envRef("username", EnvUsername)+":"+dq(fakeSecret)+`"`)
		default:
			args = append(args, "-u", `"`+a.envRef("username", EnvUsername)+":"+a.envRef("password", EnvPassword)+`"`)
		}
	case AuthAPIKey:
		key := a.envRef("api_key", EnvAPIKey)
		if neg == CheckNegWrongClientID {
			key = dq(fakeToken)
		}
		if neg == CheckNegUnsigned {
			break
		}
		if a.creds.KeyIn == "query" {
			sep := "?"
			if u.RawQuery != "" {
				sep = "&"
			}
			urlWord = `"` + dq(req.url+sep+url.QueryEscape(a.creds.KeyName)+"=") + key + `"`
		} else {
			args = append(args, "-H", `"`+dq(a.creds.KeyName+": ")+key+`"`)
		}
	case AuthOAuth2:
		switch neg {
		case CheckNegUnsigned:
		case CheckNegWrongClientID:
			args = append(args, "-H", shq("Authorization: Bearer "+fakeToken))
		default:
			fetch := "token=$(curl -sS -u \"" + a.envRef("client_id", EnvOAuthClientID) + ":" + a.envRef("client_secret", EnvOAuthClientSecret) +
				"\" -d grant_type=client_credentials"
			if len(a.creds.Scopes) > 0 {
				fetch += " --data-urlencode " + shq("scope="+strings.Join(a.creds.Scopes, " "))
			}
			fetch += " " + shq(a.creds.TokenURL) + " | jq -r .access_token)"
			pre = append(pre, fetch)
			args = append(args, "-H", `"Authorization: Bearer $token"`)
		}
	}
	if hasBody {
		args = append(args, "--data-raw", `"$body"`)
	}
	extra, pipe := r.assertion(op, ev, f)
	args = append(args, extra...)
	args = append(args, urlWord)
	script := strings.Join(append(pre, strings.Join(args, " ")+pipe), "\n")
	return r.redact.String(strings.Join(append(guards(script), script), "\n"))
}

func sortedHeaderKeys(h map[string][]string) []string {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// statusAssert checks curl's status against an extended regular
// expression; the body goes to stderr so the user sees it.
func statusAssert(re string) ([]string, string) {
	return []string{"-o", "/dev/stderr", "-w", shq(`\nHTTP %{http_code}\n`)}, " | tee /dev/stderr | grep -Eqx " + shq("HTTP ("+re+")")
}

// envVarRE finds the environment variables a snippet refers to: upper
// case, as the snippet's own variables (ts, sig, body, token) are not.
var envVarRE = regexp.MustCompile(`\$\{?([A-Z_][A-Z0-9_]*)`)

// guards makes a snippet stop at once, non-zero, when a variable it needs
// is not set, rather than send a request without its secret.
func guards(script string) []string {
	var out []string
	seen := map[string]bool{}
	for _, m := range envVarRE.FindAllStringSubmatch(script, -1) {
		if !seen[m[1]] {
			seen[m[1]] = true
			out = append(out, `: "${`+m[1]+`:?set `+m[1]+`}"`)
		}
	}
	return out
}

// assertion returns the curl arguments and the pipe that make the
// snippet fail while the finding holds.
func (r *runner) assertion(op *Operation, ev *evidence, f *Finding) ([]string, string) {
	switch f.Check {
	case CheckNotAServerError:
		return statusAssert("[1-4][0-9][0-9]")
	case CheckStatusCodeDocumented:
		var alts []string
		for _, k := range documentedStatuses(op) {
			switch {
			case k == "default":
				return nil, "" // anything goes: nothing to assert
			case strings.HasSuffix(strings.ToUpper(k), "XX"):
				alts = append(alts, k[:1]+"[0-9][0-9]")
			default:
				alts = append(alts, k)
			}
		}
		return statusAssert("(" + strings.Join(alts, "|") + ")")
	case CheckExpectedStatus:
		if len(ev.expect) == 0 {
			return statusAssert("2[0-9][0-9]")
		}
		alts := make([]string, len(ev.expect))
		for i, c := range ev.expect {
			alts[i] = strconv.Itoa(c)
		}
		return statusAssert("(" + strings.Join(alts, "|") + ")")
	case CheckNegUnsigned, CheckNegWrongSignature, CheckNegStaleTimestamp, CheckNegWrongClientID:
		want := r.negativeWant(f.Check, op)
		alts := make([]string, len(want))
		for i, c := range want {
			alts[i] = strconv.Itoa(c)
		}
		return statusAssert("(" + strings.Join(alts, "|") + ")")
	case CheckNegMissingRequiredField, CheckNegWrongType, CheckNegNegativeAmount, CheckNegConstraint:
		return statusAssert("4[0-9][0-9]")
	}
	if f.In == InHeader && f.Check == CheckMissingRequiredField {
		name := strings.TrimPrefix(f.Pointer, "/")
		return []string{"-o", "/dev/null", "-D", "-"}, " | tr -d '\\r' | grep -qi " + shq("^"+name+":")
	}
	if f.In != InBody || ev.ex == nil || !ev.ex.bodyJSON {
		return nil, ""
	}
	body := ev.ex.body
	var expr string
	switch f.Check {
	case CheckMissingRequiredField, CheckUndocumentedField:
		parent, name := splitPointer(f.Pointer)
		p, ok := jqPath(body, parent)
		if !ok {
			return nil, ""
		}
		expr = "getpath(" + p + ") | has(" + jsonText(name) + ")"
		if f.Check == CheckUndocumentedField {
			expr += " | not"
		}
	case CheckTypeChanged, CheckNullabilityChanged, CheckUnknownEnumValue, CheckFormatViolation:
		p, ok := jqPath(body, f.Pointer)
		if !ok {
			return nil, ""
		}
		v, _ := lookupPointer(body, f.Pointer)
		switch f.Check {
		case CheckTypeChanged:
			t := jsonType(v)
			if t == "integer" {
				t = "number"
			}
			expr = "getpath(" + p + ") | type != " + jsonText(t)
		case CheckNullabilityChanged:
			expr = "getpath(" + p + ") != null"
		default:
			expr = "getpath(" + p + ") != " + jsonText(v)
		}
	case CheckEnvelopeChanged:
		obj, ok := body.(map[string]any)
		if !ok {
			return nil, ""
		}
		expr = "keys != " + jsonText(sortedKeys(obj))
	default:
		return nil, ""
	}
	return nil, " | tee /dev/stderr | jq -e " + shq(expr) + " >/dev/null"
}

// splitPointer returns a pointer's parent and last token.
func splitPointer(ptr string) (string, string) {
	i := strings.LastIndex(ptr, "/")
	if i < 0 {
		return "", ptr
	}
	return ptr[:i], pointer.Unescape(ptr[i+1:])
}

// jqPath renders a JSON pointer into doc as a jq path array, with array
// indexes as numbers.
func jqPath(doc any, ptr string) (string, bool) {
	path := []any{}
	cur := doc
	if ptr != "" {
		for _, tok := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
			tok = pointer.Unescape(tok)
			switch t := cur.(type) {
			case map[string]any:
				path = append(path, tok)
				cur = t[tok]
			case []any:
				i, err := strconv.Atoi(tok)
				if err != nil || i < 0 || i >= len(t) {
					return "", false
				}
				path = append(path, i)
				cur = t[i]
			default:
				return "", false
			}
		}
	}
	return jsonText(path), true
}

// jsonText is compact JSON without HTML escaping.
func jsonText(v any) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "null"
	}
	return strings.TrimSuffix(b.String(), "\n")
}
