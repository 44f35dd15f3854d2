package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "recon.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// withCredentials is the default config with every credential set.
func withCredentials() Config {
	c := Default()
	c.Xepeng.ClientID, c.Xepeng.ClientSecret = "id", "secret"
	c.OxPay.APIKey, c.OxPay.SignKey = "ak", "sk"
	return c
}

func TestDefaultWithCredentialsIsValid(t *testing.T) {
	if err := withCredentials().Validate(); err != nil {
		t.Fatalf("default config invalid: %v", err)
	}
}

// TestValidateForNeedsOnlyItsSecrets: an offline command validates
// without any credential, ingesting webhooks needs the sign key only.
func TestValidateForNeedsOnlyItsSecrets(t *testing.T) {
	cfg := Default()
	if err := cfg.ValidateFor(0); err != nil {
		t.Errorf("offline: %v", err)
	}
	var p Problems
	if err := cfg.ValidateFor(OxPaySignKey); !errors.As(err, &p) || len(p) != 1 || !strings.Contains(p[0], EnvOxPaySignKey) {
		t.Errorf("sign key only: got %v, want one problem naming %s", err, EnvOxPaySignKey)
	}
}

func TestMissingCredentialsNameTheVariable(t *testing.T) {
	err := Default().Validate()
	for _, want := range []string{EnvXepengClientID, EnvXepengClientSecret, EnvOxPayAPIKey, EnvOxPaySignKey} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("got %v, want a problem naming %s", err, want)
		}
	}
}

func TestLoadExpandsAndOverrides(t *testing.T) {
	p := writeConfig(t, `
timezone: Asia/Singapore
xepeng:
  base_url: https://staging-api.xepeng.com
  client_id: ${MY_ID}
  client_secret: from-file
oxpay:
  sign_key: ${MISSING_VAR}
`)
	cfg, err := Load(p, env(map[string]string{"MY_ID": "cid-1", EnvXepengClientSecret: "from-env"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Timezone != "Asia/Singapore" || cfg.Xepeng.ClientID != "cid-1" {
		t.Fatalf("got timezone %q client id %q", cfg.Timezone, cfg.Xepeng.ClientID)
	}
	if cfg.Xepeng.ClientSecret != "from-env" {
		t.Fatalf("environment must override the file: got %q", cfg.Xepeng.ClientSecret)
	}
	if cfg.OxPay.SignKey != "" {
		t.Fatalf("unset ${VAR} must expand to empty, got %q", cfg.OxPay.SignKey)
	}
	if cfg.Database != "recon.db" {
		t.Fatalf("unset keys keep defaults: got database %q", cfg.Database)
	}
}

// TestWebhooksAndWorkbookKeys: the sign-key share and the link hosts read
// as written, are checked, and the workbook's hosts start from the base
// URLs and the vendor's domain.
func TestWebhooksAndWorkbookKeys(t *testing.T) {
	cfg, err := Load(writeConfig(t, `
xepeng:
  base_url: https://staging-api.xepeng.com
oxpay:
  base_url: http://127.0.0.1:8080/oxpay
webhooks:
  max_bad_signature_share: 0.2
workbook:
  link_hosts: [pay.example.com]
`), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Webhooks.MaxBadSignatureShare != 0.2 {
		t.Errorf("max_bad_signature_share %v, want 0.2", cfg.Webhooks.MaxBadSignatureShare)
	}
	want := []string{"xepeng.com", "staging-api.xepeng.com", "127.0.0.1", "pay.example.com"}
	if d := cmp.Diff(want, cfg.LinkHosts()); d != "" {
		t.Errorf("link hosts (-want +got):\n%s", d)
	}
	if Default().Webhooks.MaxBadSignatureShare != 0.5 {
		t.Errorf("default share %v, want 0.5", Default().Webhooks.MaxBadSignatureShare)
	}
	bad := Default()
	bad.Webhooks.MaxBadSignatureShare = 1.5
	bad.Workbook.LinkHosts = []string{"https://evil.example/x"}
	err = bad.ValidateFor(0)
	for _, want := range []string{"webhooks.max_bad_signature_share 1.5 must be between 0 and 1", `workbook.link_hosts: "https://evil.example/x" is not a host name`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("got %v, want it to say %q", err, want)
		}
	}
}

func TestLoadRejectsUnknownKey(t *testing.T) {
	p := writeConfig(t, "timezon: Asia/Jakarta\n")
	if _, err := Load(p, env(nil)); err == nil || !strings.Contains(err.Error(), "timezon") {
		t.Fatalf("got %v, want an error naming the unknown key", err)
	}
}

func TestLoadEmptyFile(t *testing.T) {
	cfg, err := Load(writeConfig(t, ""), env(nil))
	if err != nil || cfg.Timezone != "Asia/Jakarta" {
		t.Fatalf("got %v, %q", err, cfg.Timezone)
	}
}

// TestMatchingSettlementRules: the weekend roll and the payment lag are
// on by default, and a config can turn them off.
func TestMatchingSettlementRules(t *testing.T) {
	def := Default().Matching
	if !def.WeekendRoll || def.PaymentLag != time.Hour {
		t.Errorf("defaults: weekend_roll %v, payment_lag %s; want true, 1h", def.WeekendRoll, def.PaymentLag)
	}
	path := filepath.Join(t.TempDir(), "recon.yaml")
	if err := os.WriteFile(path, []byte("matching:\n  weekend_roll: false\n  payment_lag: 0s\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(path, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Matching.WeekendRoll || cfg.Matching.PaymentLag != 0 || cfg.Matching.ReplayWindow != 24*time.Hour {
		t.Errorf("loaded %+v; want weekend_roll false, payment_lag 0, the default replay window", cfg.Matching)
	}
}

func TestValidateListsEveryProblem(t *testing.T) {
	cfg := withCredentials()
	cfg.Timezone = "Mars/Olympus"
	cfg.Xepeng.BaseURL = "ftp://x"
	cfg.OxPay.Confirm = "sometimes"
	cfg.Ledger.Columns.Amount = "Amount" // with debit and credit also set
	cfg.Ledger.DateLayout = "DD/MM"
	cfg.Matching.Tolerance.Percent = "abc"
	cfg.Units = Units{"stripe": {"XXX": 9}}
	err := cfg.Validate()
	var p Problems
	if !errors.As(err, &p) {
		t.Fatalf("got %v, want Problems", err)
	}
	for _, want := range []string{"timezone", "xepeng.base_url", "oxpay.confirm", "ledger.columns", "ledger.date_layout", "tolerance.percent", "units.stripe", "units.stripe.XXX"} {
		found := false
		for _, s := range p {
			if strings.Contains(s, want) {
				found = true
			}
		}
		if !found {
			t.Errorf("no problem mentions %q in %v", want, p)
		}
	}
}

func TestGoDateLayout(t *testing.T) {
	tests := map[string]string{
		"DD/MM/YYYY": "02/01/2006",
		"YYYY-MM-DD": "2006-01-02",
		"2006-01-02": "2006-01-02",
	}
	for in, want := range tests {
		got, err := GoDateLayout(in)
		if err != nil || got != want {
			t.Errorf("GoDateLayout(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := GoDateLayout("MM/YYYY"); err == nil {
		t.Error("a layout without a day must be rejected")
	}
}

// TestExampleConfig keeps recon.example.yaml loadable and valid: it is
// the documentation users copy.
func TestExampleConfig(t *testing.T) {
	creds := map[string]string{EnvXepengClientID: "id", EnvXepengClientSecret: "s", EnvOxPayAPIKey: "ak", EnvOxPaySignKey: "sk"}
	cfg, err := Load("../recon.example.yaml", env(creds))
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("recon.example.yaml does not validate: %v", err)
	}
	if cfg.Xepeng.ClientID != "id" || cfg.HTTP.RateLimit != 20 || len(cfg.Inputs.Webhooks) != 1 {
		t.Fatalf("example not read as written: %+v", cfg)
	}
}

// exampleEdit replaces text that must occur exactly once in
// recon.example.yaml: when the example changes, the variant built on it
// fails here rather than drifting away from what the file documents.
type exampleEdit struct{ old, new string }

// TestExampleConfigVariants loads recon.example.yaml as shipped and with
// each alternative its comments document, and checks that every one
// validates and is read as written.
func TestExampleConfigVariants(t *testing.T) {
	b, err := os.ReadFile("../recon.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	example := string(b)
	creds := map[string]string{EnvXepengClientID: "id", EnvXepengClientSecret: "s", EnvOxPayAPIKey: "ak", EnvOxPaySignKey: "sk"}
	tests := []struct {
		name  string
		edits []exampleEdit
		check func(Config) string // "" when the config reads as the variant says
	}{
		{name: "as shipped", check: func(c Config) string {
			if l := c.Ledger.Columns; l.Debit != "Debit" || l.Credit != "Credit" || l.Amount != "" {
				return fmt.Sprintf("columns %+v, want debit and credit", l)
			}
			return ""
		}},
		{
			name: "production Xepeng and live OxPay",
			edits: []exampleEdit{
				{"base_url: https://staging-api.xepeng.com", "base_url: https://api.xepeng.com"},
				{"base_url: https://api.uat.oxpayfinancial.com", "base_url: https://api.oxpayfinancial.com"},
			},
			check: func(c Config) string {
				if c.Xepeng.BaseURL != "https://api.xepeng.com" || c.OxPay.BaseURL != "https://api.oxpayfinancial.com" {
					return fmt.Sprintf("base URLs %q %q", c.Xepeng.BaseURL, c.OxPay.BaseURL)
				}
				return ""
			},
		},
		{
			name:  "workbook links to a further host, a stricter sign-key share",
			edits: []exampleEdit{{"link_hosts: []", "link_hosts: [pay.example.com]"}, {"max_bad_signature_share: 0.5", "max_bad_signature_share: 0.1"}},
			check: func(c Config) string {
				if !slices.Contains(c.LinkHosts(), "pay.example.com") || c.Webhooks.MaxBadSignatureShare != 0.1 {
					return fmt.Sprintf("link hosts %q, share %v", c.LinkHosts(), c.Webhooks.MaxBadSignatureShare)
				}
				return ""
			},
		},
		{
			name: "credentials from the environment only",
			edits: []exampleEdit{
				{"  client_id: ${XEPENG_CLIENT_ID}\n", ""},
				{"  client_secret: ${XEPENG_CLIENT_SECRET}\n", ""},
				{"  api_key: ${OXPAY_API_KEY}\n", ""},
				{"  sign_key: ${OXPAY_SIGN_KEY}                  # verifies every webhook delivery\n", ""},
			},
			check: func(c Config) string {
				if c.Xepeng.ClientID != "id" || c.OxPay.SignKey != "sk" {
					return fmt.Sprintf("credentials %q %q, want them from the environment", c.Xepeng.ClientID, c.OxPay.SignKey)
				}
				return ""
			},
		},
		{name: "confirm all", edits: []exampleEdit{{"confirm: unconfirmed", "confirm: all"}}, check: func(c Config) string {
			return want(c.OxPay.Confirm, "all")
		}},
		{name: "confirm none", edits: []exampleEdit{{"confirm: unconfirmed", "confirm: none"}}, check: func(c Config) string {
			return want(c.OxPay.Confirm, "none")
		}},
		{name: "no rate limit", edits: []exampleEdit{{"rate_limit: 20 ", "rate_limit: 0  "}}, check: func(c Config) string {
			return want(fmt.Sprint(c.HTTP.RateLimit), "0")
		}},
		{
			name: "plain webhook logs and XLSX ledgers",
			edits: []exampleEdit{
				{"/srv/webhooks/oxpay-*.jsonl.gz", "/srv/webhooks/oxpay-*.jsonl"},
				{"/srv/finance/exports/ledger-*.csv", "/srv/finance/exports/ledger-*.xlsx"},
			},
			check: func(c Config) string {
				return want(c.Inputs.Webhooks[0]+" "+c.Inputs.Ledger[0], "/srv/webhooks/oxpay-*.jsonl /srv/finance/exports/ledger-*.xlsx")
			},
		},
		{
			// "For one signed amount column, set amount and leave debit
			// and credit out."
			name: "one signed amount column",
			edits: []exampleEdit{
				{"    debit: Debit                # money out, written positive\n", ""},
				{"    credit: Credit              # money in\n", ""},
				{"    # amount: Amount", "    amount: Amount  "},
			},
			check: func(c Config) string {
				if l := c.Ledger.Columns; l.Amount != "Amount" || l.Debit != "" || l.Credit != "" {
					return fmt.Sprintf("columns %+v, want amount only", l)
				}
				return ""
			},
		},
		{name: "transaction type column", edits: []exampleEdit{{"    # txn_type: Type", "    txn_type: Type  "}}, check: func(c Config) string {
			return want(c.Ledger.Columns.TxnType, "Type")
		}},
		{name: "ISO dates", edits: []exampleEdit{{"date_layout: DD/MM/YYYY", "date_layout: YYYY-MM-DD"}}, check: func(c Config) string {
			return want(c.Ledger.DateLayout, "YYYY-MM-DD")
		}},
		{name: "Go date layout", edits: []exampleEdit{{"date_layout: DD/MM/YYYY", "date_layout: 2006-01-02"}}, check: func(c Config) string {
			return want(c.Ledger.DateLayout, "2006-01-02")
		}},
		{name: "XLSX sheet", edits: []exampleEdit{{"  # sheet: Ledger", "  sheet: Ledger  "}}, check: func(c Config) string {
			return want(c.Ledger.Sheet, "Ledger")
		}},
		{name: "semicolon ledger", edits: []exampleEdit{{`delimiter: ","`, `delimiter: ";"`}}, check: func(c Config) string {
			return want(c.Ledger.Delimiter, ";")
		}},
		{name: "tab-separated ledger", edits: []exampleEdit{{`delimiter: ","`, `delimiter: "\t"`}}, check: func(c Config) string {
			return want(c.Ledger.Delimiter, "\t")
		}},
		{name: "tab-separated ledger, spelt out", edits: []exampleEdit{{`delimiter: ","`, `delimiter: tab`}}, check: func(c Config) string {
			return want(c.Ledger.Delimiter, "tab")
		}},
		{name: "delimiter from the header", edits: []exampleEdit{{`delimiter: ","`, `delimiter: auto`}}, check: func(c Config) string {
			return want(c.Ledger.Delimiter, "auto")
		}},
		{name: "payment link references", edits: []exampleEdit{{"reference: order_uid ", "reference: payment_link_uid "}}, check: func(c Config) string {
			return want(c.Matching.Reference, "payment_link_uid")
		}},
		{name: "fee column", edits: []exampleEdit{{"    # fee: Fee ", "    fee: Fee   "}}, check: func(c Config) string {
			return want(c.Ledger.Columns.Fee, "Fee")
		}},
		{name: "net settlements", edits: []exampleEdit{uncomment(example, "# settlement:\n", "\n\nwebhooks:")}, check: func(c Config) string {
			s := c.Settlement
			if s == nil {
				return "no settlement section"
			}
			sch, err1 := s.Schedule()
			cal, err2 := s.Calendar(time.UTC)
			re, err3 := s.Pattern()
			if err := errors.Join(err1, err2, err3); err != nil {
				return err.Error()
			}
			if len(sch.Rules) != 3 || sch.Rules[1].PercentE4 != 20000 || sch.Rules[1].FixedMinor != 200000 || sch.Rules[2].MinMinor != 10 ||
				sch.RefundFeeReturned || cal.Zone.String() != "Asia/Singapore" || cal.CutOff != 22*time.Hour || cal.PayoutDays != 1 ||
				len(cal.Holidays) != 2 || re.SubexpIndex("date") < 0 {
				return fmt.Sprintf("read as %+v, %+v, %v", sch, cal, re)
			}
			if !re.MatchString("OXPAY SETTLEMENT 2026-11-21 IDR") {
				return "the example pattern does not match the example text"
			}
			return ""
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			text := example
			for _, e := range tc.edits {
				if n := strings.Count(text, e.old); n != 1 {
					t.Fatalf("recon.example.yaml holds %q %d times, want once: the example changed, update this variant", e.old, n)
				}
				text = strings.Replace(text, e.old, e.new, 1)
			}
			cfg, err := Load(writeConfig(t, text), env(creds))
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			if err := cfg.Validate(); err != nil {
				t.Fatalf("validate: %v", err)
			}
			if msg := tc.check(cfg); msg != "" {
				t.Error(msg)
			}
		})
	}
}

// uncomment is the edit that uncomments the block of the example from
// the line starting with start to the text end (left as it is): its
// lines lose their leading "# ".
func uncomment(example, start, end string) exampleEdit {
	i := strings.Index(example, start)
	j := strings.Index(example[max(i, 0):], end)
	if i < 0 || j < 0 {
		return exampleEdit{start, start}
	}
	block := example[i : i+j]
	var out []string
	for _, l := range strings.Split(block, "\n") {
		out = append(out, strings.TrimPrefix(l, "# "))
	}
	return exampleEdit{block, strings.Join(out, "\n")}
}

func want(got, want string) string {
	if got != want {
		return fmt.Sprintf("got %q, want %q", got, want)
	}
	return ""
}

// TestAmountColumnsAreOneChoice: a file that maps any of amount, debit
// and credit maps the amount its own way, without the default columns.
func TestAmountColumnsAreOneChoice(t *testing.T) {
	tests := []struct {
		name, columns string
		want          LedgerColumns
		problem       string
	}{
		{"defaults", "date: Date", LedgerColumns{Debit: "Debit", Credit: "Credit"}, ""},
		{"amount alone", "amount: Amount", LedgerColumns{Amount: "Amount"}, ""},
		{"debit and credit", "debit: Out\n    credit: In", LedgerColumns{Debit: "Out", Credit: "In"}, ""},
		{"debit alone", "debit: Out", LedgerColumns{Debit: "Out"}, "ledger.columns: debit and credit go together"},
		{"all three", "amount: Amount\n    debit: Out\n    credit: In", LedgerColumns{Amount: "Amount", Debit: "Out", Credit: "In"},
			"ledger.columns: amount is set together with debit or credit; map either one signed amount column, or debit and credit"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Load(writeConfig(t, "ledger:\n  columns:\n    "+tc.columns+"\n"), env(nil))
			if err != nil {
				t.Fatal(err)
			}
			c := cfg.Ledger.Columns
			if got := (LedgerColumns{Amount: c.Amount, Debit: c.Debit, Credit: c.Credit}); got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
			var p Problems
			errors.As(cfg.ValidateFor(0), &p)
			if d := cmp.Diff(tc.problem, strings.Join(p, "\n")); d != "" {
				t.Errorf("problems (-want +got):\n%s", d)
			}
		})
	}
}

func TestLedgerDelimiter(t *testing.T) {
	tests := []struct {
		value   string
		want    rune
		auto    bool
		problem string
	}{
		{",", ',', false, ""},
		{";", ';', false, ""},
		{"|", '|', false, ""},
		{"\t", '\t', false, ""},
		{"tab", '\t', false, ""},
		{"TAB", '\t', false, ""},
		{"auto", 0, true, ""},
		{"", 0, false, `ledger.delimiter "" must be one character (such as ";" or "\t"), tab or auto`},
		{";;", 0, false, `ledger.delimiter ";;" must be one character (such as ";" or "\t"), tab or auto`},
		{`"`, 0, false, `ledger.delimiter "\"" cannot be a quote or a line break`},
		{"\n", 0, false, `ledger.delimiter "\n" cannot be a quote or a line break`},
	}
	for _, tc := range tests {
		t.Run(tc.value, func(t *testing.T) {
			cfg := Default()
			if cfg.Ledger.Delimiter != "," {
				t.Fatalf("default %q, want \",\"", cfg.Ledger.Delimiter)
			}
			cfg.Ledger.Delimiter = tc.value
			var p Problems
			errors.As(cfg.ValidateFor(0), &p)
			if d := cmp.Diff(tc.problem, strings.Join(p, "\n")); d != "" {
				t.Fatalf("problems (-want +got):\n%s", d)
			}
			if tc.problem != "" {
				return
			}
			if got, auto := cfg.Ledger.DelimiterRune(); got != tc.want || auto != tc.auto {
				t.Errorf("got %q, auto %v; want %q, %v", got, auto, tc.want, tc.auto)
			}
		})
	}
}

// TestLoadProblems: every key the file misspells and every value of the
// wrong type is a problem naming its YAML path and line, in words rather
// than Go types, all at once; the rest of the file still loads.
func TestLoadProblems(t *testing.T) {
	tests := []struct {
		name, file string
		want       []string
	}{
		{"misspelt key", "matching:\n  tolerence:\n    percent: \"1\"\n",
			[]string{"matching.tolerence (line 2): unknown key; did you mean tolerance?"}},
		{"misspelt top-level key", "timezon: Asia/Jakarta\n",
			[]string{"timezon (line 1): unknown key; did you mean timezone?"}},
		{"transposed letters", "xepeng:\n  lookbakc: 1h\n",
			[]string{"xepeng.lookbakc (line 2): unknown key; did you mean lookback?"}},
		{"unknown key, nothing close", "xepeng:\n  colour: red\n",
			[]string{"xepeng.colour (line 2): unknown key; xepeng takes base_url, client_id, client_secret, page_size, lookback"}},
		{"unknown top-level key", "stripe: {}\n",
			[]string{"stripe (line 1): unknown key; the top level takes timezone, database, merchant, report_dir, xepeng, oxpay, http, inputs, ledger, units, matching, webhooks, workbook, settlement"}},
		{"a word for a number", "xepeng:\n  page_size: abc\n",
			[]string{`xepeng.page_size (line 2): "abc" is not a whole number`}},
		{"a word for a float", "http:\n  rate_limit: fast\n",
			[]string{`http.rate_limit (line 2): "fast" is not a number`}},
		{"not a duration", "http:\n  timeout: soon\n",
			[]string{`http.timeout (line 2): "soon" is not a duration such as 15s, 30m or 72h`}},
		{"not a bool", "matching:\n  weekend_roll: maybe\n",
			[]string{`matching.weekend_roll (line 2): "maybe" is not true or false`}},
		{"a list for text", "timezone: [Asia/Jakarta]\n",
			[]string{"timezone (line 1): must be text, not a list"}},
		{"a scalar for a section", "xepeng: 5\n",
			[]string{`xepeng (line 1): must be a mapping, not "5"`}},
		{"a scalar for a list", "inputs:\n  ledger: /srv/ledger.csv\n",
			[]string{`inputs.ledger (line 2): must be a list, not "/srv/ledger.csv"`}},
		{"a list element", "matching:\n  settlement_window_days: [0, x]\n",
			[]string{`matching.settlement_window_days[1] (line 2): "x" is not a whole number`}},
		{"a map value", "units:\n  xepeng:\n    IDR: zero\n",
			[]string{`units.xepeng.IDR (line 3): "zero" is not a whole number`}},
		{"a key set twice", "timezone: Asia/Jakarta\ntimezone: Asia/Singapore\n",
			[]string{"timezone (line 2): set twice (first on line 1)"}},
		{"not a mapping at all", "just text\n",
			[]string{`the top level (line 1): must be a mapping, not "just text"`}},
		{"every problem at once", "xepeng:\n  page_size: abc\n  colour: red\nmatching:\n  tolerence: {}\n  reference: order_uid\nhttp:\n  timeout: soon\n", []string{
			`xepeng.page_size (line 2): "abc" is not a whole number`,
			"xepeng.colour (line 3): unknown key; xepeng takes base_url, client_id, client_secret, page_size, lookback",
			"matching.tolerence (line 5): unknown key; did you mean tolerance?",
			`http.timeout (line 8): "soon" is not a duration such as 15s, 30m or 72h`,
		}},
		{"merge keys and anchors are keys like any other", "defaults: &h {timeout: 5s}\nhttp:\n  <<: *h\n  max_attempts: 3\n",
			[]string{"defaults (line 1): unknown key; the top level takes timezone, database, merchant, report_dir, xepeng, oxpay, http, inputs, ledger, units, matching, webhooks, workbook, settlement"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(writeConfig(t, tc.file), env(nil))
			var p Problems
			if !errors.As(err, &p) {
				t.Fatalf("got %v, want Problems", err)
			}
			if d := cmp.Diff(tc.want, []string(p)); d != "" {
				t.Errorf("problems (-want +got):\n%s", d)
			}
		})
	}
}

// TestLoadReadsPastProblems: a file with problems still loads what is
// right, and the values that are wrong keep their defaults, so that
// Validate's problems can be listed with the file's.
func TestLoadReadsPastProblems(t *testing.T) {
	cfg, err := Load(writeConfig(t, "xepeng:\n  page_size: abc\n  lookback: 1h\nmatching:\n  tolerence: {}\nhttp:\n  max_attempts: 0\n"), env(nil))
	var p Problems
	if !errors.As(err, &p) || len(p) != 2 {
		t.Fatalf("got %v, want two problems", err)
	}
	if cfg.Xepeng.PageSize != 100 || cfg.Xepeng.Lookback != time.Hour || cfg.HTTP.MaxAttempts != 0 {
		t.Errorf("got page_size %d lookback %s max_attempts %d; want the default 100, 1h, 0", cfg.Xepeng.PageSize, cfg.Xepeng.Lookback, cfg.HTTP.MaxAttempts)
	}
	var v Problems
	errors.As(cfg.ValidateFor(0), &v)
	if d := cmp.Diff([]string{"http.max_attempts 0 must be at least 1"}, []string(v)); d != "" {
		t.Errorf("validate (-want +got):\n%s", d)
	}
}

// TestLoadMergeKey: a YAML merge key brings in the keys of the anchored
// mapping as if they were written in place, and an alias its value.
func TestLoadMergeKey(t *testing.T) {
	cfg, err := Load(writeConfig(t, "units:\n  xepeng: &u {IDR: 0}\n  oxpay:\n    <<: *u\n    SGD: 2\nledger:\n  columns: {date: D, reference: &r R, amount: *r}\n"), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(Units{"xepeng": {"IDR": 0}, "oxpay": {"IDR": 0, "SGD": 2}}, cfg.Units); d != "" {
		t.Errorf("units (-want +got):\n%s", d)
	}
	if c := cfg.Ledger.Columns; c.Amount != "R" || c.Debit != "" || c.Credit != "" {
		t.Errorf("got columns %+v, want amount R and no debit or credit", c)
	}
}

// TestValidateMessages: each of Validate's problems names the YAML path
// of the key at fault, as the file spells it.
func TestValidateMessages(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"timezone", func(c *Config) { c.Timezone = "Mars/Olympus" }, `timezone "Mars/Olympus" is not a known IANA time zone`},
		{"database", func(c *Config) { c.Database = "" }, "database: a path is required"},
		{"report dir", func(c *Config) { c.ReportDir = "" }, "report_dir: a directory is required"},
		{"database url", func(c *Config) { c.Database = "postgres://recon:pw@db.example" }, "database: not a postgres://[user[:password]@]host[:port]/dbname URL (put the password in PGPASSWORD, or ${VAR})"},
		{"merchant", func(c *Config) { c.Merchant = "Shop 1" }, `merchant: merchant "Shop 1": want a short id of a-z, 0-9, '-' and '_' (at most 32, starting with a letter or digit)`},
		{"base url", func(c *Config) { c.Xepeng.BaseURL = "ftp://x" }, `xepeng.base_url "ftp://x" must start with http:// or https://`},
		{"client id", func(c *Config) { c.Xepeng.ClientID = "" }, "xepeng.client_id is required: set XEPENG_CLIENT_ID in the environment, or ${XEPENG_CLIENT_ID} in the file"},
		{"page size", func(c *Config) { c.Xepeng.PageSize = 101 }, "xepeng.page_size 101 must be between 1 and 100"},
		{"lookback", func(c *Config) { c.Xepeng.Lookback = -time.Hour }, "xepeng.lookback must not be negative"},
		{"confirm", func(c *Config) { c.OxPay.Confirm = "sometimes" }, `oxpay.confirm "sometimes" must be all, unconfirmed or none`},
		{"timeout", func(c *Config) { c.HTTP.Timeout = 0 }, "http.timeout must be positive"},
		{"max attempts", func(c *Config) { c.HTTP.MaxAttempts = 0 }, "http.max_attempts 0 must be at least 1"},
		{"concurrency", func(c *Config) { c.HTTP.Concurrency = 65 }, "http.concurrency 65 must be between 1 and 64"},
		{"deadline", func(c *Config) { c.HTTP.Deadline = 0 }, "http.deadline must be positive"},
		{"rate limit", func(c *Config) { c.HTTP.RateLimit = -1 }, "http.rate_limit must not be negative"},
		{"date column", func(c *Config) { c.Ledger.Columns.Date = "" }, "ledger.columns: date and reference are required"},
		{"date layout", func(c *Config) { c.Ledger.DateLayout = "DD/MM" }, `ledger.date_layout: "DD/MM" has no year`},
		{"decimal", func(c *Config) { c.Ledger.Decimal = ",," }, `ledger.decimal ",," must be one character`},
		{"thousands", func(c *Config) { c.Ledger.Thousands = "," }, `ledger.thousands "," must be one character (or empty) and differ from the decimal separator`},
		{"default currency", func(c *Config) { c.Ledger.DefaultCurrency = "RUP" }, `ledger.default_currency "RUP" is not a known currency`},
		{"units source", func(c *Config) { c.Units = Units{"stripe": {}} }, "units.stripe: unknown source (xepeng or oxpay)"},
		{"units exponent", func(c *Config) { c.Units = Units{"oxpay": {"SGD": 5}} }, "units.oxpay.SGD: exponent 5 out of range 0..4"},
		// The matching section's ranges are the engine's rules, checked
		// by match.Options.Validate (TestOptionsValidate); here only
		// whether the values can be read.
		{"percent tolerance", func(c *Config) { c.Matching.Tolerance.Percent = "2.12345" }, `matching.tolerance.percent "2.12345" must be a decimal with at most 4 decimals`},
		{"settlement window", func(c *Config) { c.Matching.SettlementWindow = []int{3} }, "matching.settlement_window_days must be [min, max]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := withCredentials()
			tc.edit(&c)
			var p Problems
			errors.As(c.Validate(), &p)
			if d := cmp.Diff([]string{tc.want}, []string(p)); d != "" {
				t.Errorf("problems (-want +got):\n%s", d)
			}
		})
	}
}

// TestDatabaseURL takes a postgres:// URL, its password from the
// environment, and counts that password among the secrets.
func TestDatabaseURL(t *testing.T) {
	p := filepath.Join(t.TempDir(), "recon.yaml")
	if err := os.WriteFile(p, []byte("database: postgres://recon:${DB_PASSWORD}@db.example:5432/recon?sslmode=require\nmerchant: shop-1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(p, env(map[string]string{"DB_PASSWORD": "pg-secret", EnvXepengClientID: "id", EnvXepengClientSecret: "s",
		EnvOxPayAPIKey: "ak", EnvOxPaySignKey: "sk"}))
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if !IsPostgresURL(cfg.Database) || cfg.Merchant != "shop-1" {
		t.Fatalf("read %q for %q", cfg.Database, cfg.Merchant)
	}
	if !slices.Contains(cfg.Secrets(), "pg-secret") {
		t.Errorf("Secrets() = %q, want the database password among them", cfg.Secrets())
	}
}

// TestSettlementSection: the section is off unless present; present, a
// value that cannot be read is a problem naming its YAML path and line,
// a misspelt key is one with a hint, and payout_days defaults to 1.
func TestSettlementSection(t *testing.T) {
	cfg, err := Load(writeConfig(t, "timezone: Asia/Jakarta\n"), env(nil))
	if err != nil || cfg.Settlement != nil {
		t.Fatalf("no section: %+v, %v; want none", cfg.Settlement, err)
	}
	cfg, err = Load(writeConfig(t, "settlement:\n  fees:\n    - {brand: Card, percent: \"2.9\"}\n"), env(nil))
	if err != nil || cfg.Settlement == nil || cfg.Settlement.PayoutDays != DefaultPayoutDays {
		t.Fatalf("a section: %+v, %v; want payout_days %d", cfg.Settlement, err, DefaultPayoutDays)
	}
	if err := cfg.ValidateFor(0); err != nil {
		t.Errorf("a minimal section: %v", err)
	}
	cfg, err = Load(writeConfig(t, "settlement:\n  payout_days: 0\n  fees: [{brand: Card, percent: \"1\"}]\n"), env(nil))
	if err != nil || cfg.Settlement.PayoutDays != 0 {
		t.Errorf("payout_days 0 (T+0) as written: %+v, %v", cfg.Settlement, err)
	}

	body := `settlement:
  fees:
    - {brand: Card, percent: "2,9"}
    - {brand: QR, currency: XYZ, percent: "0.7"}
  rounding: daily
  zone: Mars/Olympus
  cut_off: "25:00"
  holidays: [2026-12-25, 25/12/2026]
  reference_pattern: 'SETTLEMENT (?P<date>\d+'
`
	cfg, err = Load(writeConfig(t, body), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	err = cfg.ValidateFor(0)
	for _, want := range []string{
		`settlement.fees[0].percent (line 3): percent "2,9"`,
		`settlement.fees[1].currency (line 4) "XYZ" is not a known currency`,
		`settlement.rounding (line 5): rounding "daily": want transaction or batch`,
		`settlement.zone (line 6) "Mars/Olympus" is not a known IANA time zone`,
		`settlement.cut_off (line 7): "25:00": want a time of day`,
		`settlement.holidays[1] (line 8): date "25/12/2026": want YYYY-MM-DD`,
		`settlement.reference_pattern (line 9): not a regular expression`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("got %v\nwant a problem with %q", err, want)
		}
	}
	cfg, err = Load(writeConfig(t, "settlement:\n  payout_day: 2\n"), env(nil))
	if err == nil || !strings.Contains(err.Error(), "settlement.payout_day (line 2): unknown key; did you mean payout_days?") {
		t.Errorf("misspelt key: %v", err)
	}
	if err := cfg.ValidateFor(0); err == nil || !strings.Contains(err.Error(), "settlement.fees: at least one fee rule is required") {
		t.Errorf("no fee rule: %v", err)
	}
}
