// Package config reads recon.yaml: defaults, the file, ${VAR} expansion,
// environment overrides for credentials, and Validate, which lists every
// problem at once so a bad config fails before any work. It reads the
// config file and the environment and does no other I/O.
package config

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/reconkit/reconkit/money"
	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/store"
)

// Config is the whole of recon.yaml.
type Config struct {
	Timezone  string   `yaml:"timezone"`
	Database  string   `yaml:"database"`
	Merchant  string   `yaml:"merchant"`
	ReportDir string   `yaml:"report_dir"`
	Xepeng    Xepeng   `yaml:"xepeng"`
	OxPay     OxPay    `yaml:"oxpay"`
	HTTP      HTTP     `yaml:"http"`
	Inputs    Inputs   `yaml:"inputs"`
	Ledger    Ledger   `yaml:"ledger"`
	Units     Units    `yaml:"units"`
	Matching  Matching `yaml:"matching"`
	Webhooks  Webhooks `yaml:"webhooks"`
	Workbook  Workbook `yaml:"workbook"`
	// Settlement, when the file has the section, turns on net
	// settlements (settlement.go).
	Settlement *Settlement `yaml:"settlement"`

	// lines holds the line of each YAML path the file sets, so that a
	// problem Validate finds can name it.
	lines map[string]int
}

// at names a YAML path for a problem: with its line in the file, when
// the config was read from one.
func (c Config) at(key string) string {
	if l, ok := c.lines[key]; ok {
		return fmt.Sprintf("%s (line %d)", key, l)
	}
	return key
}

// Webhooks says how the webhook logs are judged as a whole.
type Webhooks struct {
	// MaxBadSignatureShare is the share of a log's signed deliveries
	// that may fail their signature check before the run blames
	// OXPAY_SIGN_KEY rather than the deliveries: forgeries come one by
	// one, a wrong key fails nearly all.
	MaxBadSignatureShare float64 `yaml:"max_bad_signature_share"`
}

// Workbook tunes the finance workbook.
type Workbook struct {
	// LinkHosts are further hosts a payment link's URL may point at for
	// its uid to be a hyperlink (a host also allows its subdomains),
	// besides the hosts of xepeng.base_url and oxpay.base_url and
	// xepeng.com. A URL on any other host is shown as text.
	LinkHosts []string `yaml:"link_hosts"`
}

// Xepeng is the Xepeng Open API section.
type Xepeng struct {
	BaseURL      string `yaml:"base_url"`
	ClientID     string `yaml:"client_id"`
	ClientSecret string `yaml:"client_secret"`
	PageSize     int    `yaml:"page_size"`
	// Lookback is how far before the newest order (or link) of the last
	// pull the next pull starts reading; recon run --full reads all.
	Lookback time.Duration `yaml:"lookback"`
}

// OxPay is the OxPay Payments API section. Confirm says which gateway
// transactions to ask the API for: all, unconfirmed (those known only
// from webhooks) or none.
type OxPay struct {
	BaseURL string `yaml:"base_url"`
	APIKey  string `yaml:"api_key"`
	SignKey string `yaml:"sign_key"`
	Confirm string `yaml:"confirm"`
}

// HTTP tunes both clients.
type HTTP struct {
	Timeout     time.Duration `yaml:"timeout"`
	MaxAttempts int           `yaml:"max_attempts"`
	Concurrency int           `yaml:"concurrency"`
	RateLimit   float64       `yaml:"rate_limit"` // requests per second per API; 0 is unlimited
	// Deadline bounds all the calls of one run to both APIs, retries and
	// waits included: a source that is down for good ends the run (exit
	// 3) after this long rather than after every backoff of every call.
	Deadline time.Duration `yaml:"deadline"`
}

// Inputs are the globs of files the nightly job ingests.
type Inputs struct {
	Webhooks []string `yaml:"webhooks"`
	Ledger   []string `yaml:"ledger"`
}

// Ledger maps a ledger export's columns and formats.
type Ledger struct {
	Columns         LedgerColumns `yaml:"columns"`
	Delimiter       string        `yaml:"delimiter"`   // CSV: one character, tab, or auto; see DelimiterRune
	DateLayout      string        `yaml:"date_layout"` // DD/MM/YYYY, YYYY-MM-DD, ... or a Go layout
	Decimal         string        `yaml:"decimal"`
	Thousands       string        `yaml:"thousands"`
	DefaultCurrency string        `yaml:"default_currency"`
	Sheet           string        `yaml:"sheet"` // XLSX only; empty is the first sheet
}

// LedgerColumns names the header of each mapped column. Either Amount
// (signed) or both Debit and Credit.
type LedgerColumns struct {
	Date        string `yaml:"date"`
	Reference   string `yaml:"reference"`
	Description string `yaml:"description"`
	Amount      string `yaml:"amount"`
	Debit       string `yaml:"debit"`
	Credit      string `yaml:"credit"`
	Currency    string `yaml:"currency"`
	TxnType     string `yaml:"txn_type"`
	// Fee, optional, is the column where a settlement deposit states the
	// fee the gateway kept from it (FEE_MISMATCH when it is not the
	// schedule's).
	Fee string `yaml:"fee"`
}

// amountChoice clears the default amount mapping when the file makes
// its own: amount, debit and credit are one choice (a signed column, or
// two), so a file that sets any of them sets the whole choice. A file
// that maps amount alone must not inherit the default Debit and Credit,
// and one that maps debit and credit must not inherit an amount; one
// that sets all three is still an error, which Validate reports. set
// holds the YAML paths the file sets.
func (c *LedgerColumns) amountChoice(set map[string]bool) {
	for _, k := range []string{"amount", "debit", "credit"} {
		if set["ledger.columns."+k] {
			c.Amount, c.Debit, c.Credit = "", "", ""
			return
		}
	}
}

// Units says how many decimals each source's integers carry per
// currency; see recon.Units.
type Units map[string]map[string]int

// Matching tunes the matching engine.
type Matching struct {
	Reference        string    `yaml:"reference"` // order_uid or payment_link_uid
	Tolerance        Tolerance `yaml:"tolerance"`
	SettlementWindow []int     `yaml:"settlement_window_days"` // [min, max] days after the payment
	// ReplayWindow is how long after its first receipt a signed webhook
	// may arrive again as the gateway's retry; later it is a replay.
	ReplayWindow time.Duration `yaml:"replay_window"`
	// WeekendRoll moves a settlement window whose last day is a Saturday
	// or Sunday to end on the Monday: banks do not book at weekends.
	WeekendRoll bool `yaml:"weekend_roll"`
	// PaymentLag is how long before its first logged webhook (or its
	// link's paid_at) a payment may have happened: the window's first day
	// is counted from that much earlier, so a payment at 23:59 logged at
	// 00:01 may be booked the day before the log says.
	PaymentLag time.Duration `yaml:"payment_lag"`
}

// Tolerance is how far a ledger amount may be from the gateway's (fees).
type Tolerance struct {
	AbsoluteMinor int64  `yaml:"absolute_minor"`
	Percent       string `yaml:"percent"` // decimal text, e.g. "2.5"; never a float
}

// PercentE4 reads Percent exactly, as percent × 10^4 (2.5 is 25000); an
// empty Percent is 0.
func (t Tolerance) PercentE4() (int64, error) {
	if t.Percent == "" {
		return 0, nil
	}
	return money.Parse(t.Percent, 4, money.Dot)
}

// Default returns the configuration used when a key is not set: the local
// sandbox with its documented default credentials.
func Default() Config {
	return Config{
		Timezone:  "Asia/Jakarta",
		Database:  "recon.db",
		Merchant:  store.DefaultMerchant,
		ReportDir: "reports",
		Xepeng: Xepeng{
			BaseURL:  "http://127.0.0.1:8080",
			PageSize: 100,
			Lookback: 72 * time.Hour,
		},
		OxPay: OxPay{
			BaseURL: "http://127.0.0.1:8080/oxpay",
			Confirm: "unconfirmed",
		},
		HTTP: HTTP{Timeout: 15 * time.Second, MaxAttempts: 5, Concurrency: 4, RateLimit: 0, Deadline: 30 * time.Minute},
		Ledger: Ledger{
			Columns: LedgerColumns{
				Date: "Date", Reference: "Reference", Description: "Description",
				Debit: "Debit", Credit: "Credit", Currency: "Currency",
			},
			Delimiter: ",", DateLayout: "DD/MM/YYYY", Decimal: ",", Thousands: ".", DefaultCurrency: "IDR",
		},
		Units:    Units(recon.DefaultUnits()),
		Matching: Matching{Reference: "order_uid", SettlementWindow: []int{0, 3}, ReplayWindow: 24 * time.Hour, WeekendRoll: true, PaymentLag: time.Hour},
		Webhooks: Webhooks{MaxBadSignatureShare: 0.5},
	}
}

// XepengDomain is the vendor's own domain: payment links on it, or on one
// of its subdomains, are hyperlinks in the workbook whatever the base
// URLs say.
const XepengDomain = "xepeng.com"

// LinkHosts is every host a payment link may point at to be a
// hyperlink in the workbook: the configured base URLs' hosts, the
// vendor's domain and workbook.link_hosts.
func (c Config) LinkHosts() []string {
	hosts := []string{XepengDomain}
	for _, u := range []string{c.Xepeng.BaseURL, c.OxPay.BaseURL} {
		if p, err := url.Parse(u); err == nil && p.Hostname() != "" {
			hosts = append(hosts, p.Hostname())
		}
	}
	return append(hosts, c.Workbook.LinkHosts...)
}

// Environment variables that carry credentials; they override the file.
const (
	EnvXepengClientID     = "XEPENG_CLIENT_ID"
	EnvXepengClientSecret = "XEPENG_CLIENT_SECRET"
	EnvOxPayAPIKey        = "OXPAY_API_KEY"
	EnvOxPaySignKey       = "OXPAY_SIGN_KEY"
)

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// Load reads path over the defaults, expanding ${VAR} from getenv, then
// applies the credential environment variables. It does not validate.
//
// A file that is not YAML is an error. Keys the file misspells and values
// of the wrong type are returned together as Problems, each naming its
// YAML path and line, with the config read as far as it goes: such values
// keep their defaults, so that a caller can add Validate's problems and
// report every one at once.
func Load(path string, getenv func(string) string) (Config, error) {
	cfg := Default()
	var problems Problems
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return cfg, fmt.Errorf("read config: %w", err)
		}
		// An unset variable expands to "", which Validate reports as a
		// missing value where one is required.
		b = envRef.ReplaceAllFunc(b, func(m []byte) []byte {
			return []byte(getenv(string(envRef.FindSubmatch(m)[1])))
		})
		var doc yaml.Node
		if err := yaml.Unmarshal(b, &doc); err != nil {
			return cfg, fmt.Errorf("config %s: %w", path, err)
		}
		if len(doc.Content) > 0 { // an empty file is all defaults
			// A misspelt key is an error, not a silent default.
			check := fileCheck{set: map[string]bool{}, lines: map[string]int{}}
			check.walk(doc.Content[0], reflect.TypeFor[Config](), "")
			problems = check.problems
			cfg.Ledger.Columns.amountChoice(check.set)
			cfg.lines = check.lines
			// yaml.v3 decodes past a value of the wrong type, leaving it
			// as it was, and ignores unknown keys: the check has listed
			// both. Anything else it refuses is reported in its words.
			if err := doc.Decode(&cfg); err != nil && len(problems) == 0 {
				problems = append(problems, err.Error())
			}
			cfg.Settlement.defaults(check.set)
		}
	}
	override := func(dst *string, name string) {
		if v := getenv(name); v != "" {
			*dst = v
		}
	}
	override(&cfg.Xepeng.ClientID, EnvXepengClientID)
	override(&cfg.Xepeng.ClientSecret, EnvXepengClientSecret)
	override(&cfg.OxPay.APIKey, EnvOxPayAPIKey)
	override(&cfg.OxPay.SignKey, EnvOxPaySignKey)
	if len(problems) > 0 {
		return cfg, problems
	}
	return cfg, nil
}

// Problems lists every problem of a config at once: those Load finds in
// the file (misspelt keys, values of the wrong type) and Validate's.
type Problems []string

func (p Problems) Error() string {
	return "invalid config:\n  - " + strings.Join(p, "\n  - ")
}

// Secrets names credentials, for ValidateFor.
type Secrets uint8

const (
	XepengSecrets Secrets = 1 << iota // xepeng.client_id and client_secret
	OxPayAPIKey                       // oxpay.api_key
	OxPaySignKey                      // oxpay.sign_key, which webhooks are verified with
	AllSecrets    = XepengSecrets | OxPayAPIKey | OxPaySignKey
)

// Validate checks the whole config and returns every problem at once, as
// Problems, or nil. Every credential is required.
func (c Config) Validate() error { return c.ValidateFor(AllSecrets) }

// ValidateFor is Validate for a command that uses only the credentials
// in need: matching a night again or rewriting its workbook is offline
// work, and must not ask for API keys it never sends.
func (c Config) ValidateFor(need Secrets) error {
	var p Problems
	add := func(format string, args ...any) { p = append(p, fmt.Sprintf(format, args...)) }
	if _, err := time.LoadLocation(c.Timezone); err != nil || c.Timezone == "" {
		add("timezone %q is not a known IANA time zone", c.Timezone)
	}
	if c.Database == "" {
		add("database: a path is required")
	} else if IsPostgresURL(c.Database) {
		if u, err := url.Parse(c.Database); err != nil || u.Path == "" || u.Path == "/" {
			// Not the URL itself: it may hold a password.
			add("database: not a postgres://[user[:password]@]host[:port]/dbname URL (put the password in PGPASSWORD, or ${VAR})")
		}
	}
	if err := store.CheckMerchant(c.Merchant); err != nil {
		add("merchant: %v", err)
	}
	if c.ReportDir == "" {
		add("report_dir: a directory is required")
	}
	checkURL := func(key, v string) {
		if !strings.HasPrefix(v, "http://") && !strings.HasPrefix(v, "https://") {
			add("%s %q must start with http:// or https://", key, v)
		}
	}
	checkURL("xepeng.base_url", c.Xepeng.BaseURL)
	checkURL("oxpay.base_url", c.OxPay.BaseURL)
	for _, req := range []struct {
		key, env, v string
		kind        Secrets
	}{
		{"xepeng.client_id", EnvXepengClientID, c.Xepeng.ClientID, XepengSecrets},
		{"xepeng.client_secret", EnvXepengClientSecret, c.Xepeng.ClientSecret, XepengSecrets},
		{"oxpay.api_key", EnvOxPayAPIKey, c.OxPay.APIKey, OxPayAPIKey},
		{"oxpay.sign_key", EnvOxPaySignKey, c.OxPay.SignKey, OxPaySignKey},
	} {
		if req.v == "" && need&req.kind != 0 {
			add("%s is required: set %s in the environment, or ${%s} in the file", req.key, req.env, req.env)
		}
	}
	if c.Xepeng.PageSize < 1 || c.Xepeng.PageSize > 100 {
		add("xepeng.page_size %d must be between 1 and 100", c.Xepeng.PageSize)
	}
	if c.Xepeng.Lookback < 0 {
		add("xepeng.lookback must not be negative")
	}
	switch c.OxPay.Confirm {
	case "all", "unconfirmed", "none":
	default:
		add("oxpay.confirm %q must be all, unconfirmed or none", c.OxPay.Confirm)
	}
	if c.HTTP.Timeout <= 0 {
		add("http.timeout must be positive")
	}
	if c.HTTP.MaxAttempts < 1 {
		add("http.max_attempts %d must be at least 1", c.HTTP.MaxAttempts)
	}
	if c.HTTP.Concurrency < 1 || c.HTTP.Concurrency > 64 {
		add("http.concurrency %d must be between 1 and 64", c.HTTP.Concurrency)
	}
	if c.HTTP.Deadline <= 0 {
		add("http.deadline must be positive")
	}
	if c.HTTP.RateLimit < 0 {
		add("http.rate_limit must not be negative")
	}
	if sh := c.Webhooks.MaxBadSignatureShare; sh < 0 || sh > 1 {
		add("webhooks.max_bad_signature_share %v must be between 0 and 1", sh)
	}
	for _, h := range c.Workbook.LinkHosts {
		if h == "" || strings.ContainsAny(h, "/:@ ") {
			add("workbook.link_hosts: %q is not a host name (write pay.example.com, without a scheme or path)", h)
		}
	}
	cols := c.Ledger.Columns
	if cols.Date == "" || cols.Reference == "" {
		add("ledger.columns: date and reference are required")
	}
	switch {
	case cols.Amount != "" && (cols.Debit != "" || cols.Credit != ""):
		add("ledger.columns: amount is set together with debit or credit; map either one signed amount column, or debit and credit")
	case cols.Amount == "" && cols.Debit == "" && cols.Credit == "":
		add("ledger.columns: map either one signed amount column (amount), or debit and credit")
	case cols.Amount == "" && (cols.Debit == "") != (cols.Credit == ""):
		add("ledger.columns: debit and credit go together")
	}
	if d := c.Ledger.Delimiter; utf8.RuneCountInString(d) != 1 && !strings.EqualFold(d, "tab") && d != "auto" {
		add(`ledger.delimiter %q must be one character (such as ";" or "\t"), tab or auto`, d)
	} else if d == `"` || d == "\r" || d == "\n" || d == string(utf8.RuneError) {
		add("ledger.delimiter %q cannot be a quote or a line break", d)
	}
	if _, err := GoDateLayout(c.Ledger.DateLayout); err != nil {
		add("ledger.date_layout: %v", err)
	}
	if len(c.Ledger.Decimal) != 1 {
		add("ledger.decimal %q must be one character", c.Ledger.Decimal)
	}
	if len(c.Ledger.Thousands) > 1 || c.Ledger.Thousands == c.Ledger.Decimal {
		add("ledger.thousands %q must be one character (or empty) and differ from the decimal separator", c.Ledger.Thousands)
	}
	if c.Ledger.DefaultCurrency != "" && !money.Known(c.Ledger.DefaultCurrency) {
		add("ledger.default_currency %q is not a known currency", c.Ledger.DefaultCurrency)
	}
	for src, m := range c.Units {
		if src != recon.SourceXepeng && src != recon.SourceOxPay {
			add("units.%s: unknown source (xepeng or oxpay)", src)
		}
		for cur, e := range m {
			if !money.Known(cur) {
				add("units.%s.%s: unknown currency", src, cur)
			}
			if e < 0 || e > 4 {
				add("units.%s.%s: exponent %d out of range 0..4", src, cur, e)
			}
		}
	}
	// Whether the matching values are allowed (ranges, the reference's
	// names) is the engine's rule, checked once by match.Options.Validate
	// when the command maps them; here only whether they can be read.
	if _, err := c.Matching.Tolerance.PercentE4(); err != nil {
		add("matching.tolerance.percent %q must be a decimal with at most 4 decimals", c.Matching.Tolerance.Percent)
	}
	if len(c.Matching.SettlementWindow) != 2 {
		add("matching.settlement_window_days must be [min, max]")
	}
	if c.Settlement != nil {
		c.Settlement.validate(c, add)
	}
	if len(p) == 0 {
		return nil
	}
	return p
}

// Location returns the configured time zone.
func (c Config) Location() *time.Location {
	loc, err := time.LoadLocation(c.Timezone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// IsPostgresURL reports whether database names a PostgreSQL database
// (a postgres:// or postgresql:// URL) rather than an SQLite file.
func IsPostgresURL(database string) bool {
	return strings.HasPrefix(database, "postgres://") || strings.HasPrefix(database, "postgresql://")
}

// databasePassword is the password a postgres:// URL holds, "" if none.
func databasePassword(database string) string {
	if !IsPostgresURL(database) {
		return ""
	}
	u, err := url.Parse(database)
	if err != nil {
		return ""
	}
	if pw, ok := u.User.Password(); ok {
		return pw
	}
	return u.Query().Get("password")
}

// Secrets returns the configured secret values, for redaction and for the
// test that scans outputs for them.
func (c Config) Secrets() []string {
	var s []string
	for _, v := range []string{c.Xepeng.ClientSecret, c.OxPay.APIKey, c.OxPay.SignKey, databasePassword(c.Database)} {
		if v != "" {
			s = append(s, v)
		}
	}
	return s
}

var layoutTokens = strings.NewReplacer("YYYY", "2006", "YY", "06", "MM", "01", "DD", "02")

// GoDateLayout turns a layout written as finance writes it (DD/MM/YYYY,
// YYYY-MM-DD) into Go's; a layout already in Go's form is kept.
func GoDateLayout(s string) (string, error) {
	if s == "" {
		return "", errors.New("a date layout is required")
	}
	l := layoutTokens.Replace(s)
	if !strings.Contains(l, "2006") && !strings.Contains(l, "06") {
		return "", fmt.Errorf("%q has no year", s)
	}
	if !strings.Contains(l, "01") && !strings.Contains(l, "Jan") {
		return "", fmt.Errorf("%q has no month", s)
	}
	if !strings.Contains(l, "02") {
		return "", fmt.Errorf("%q has no day", s)
	}
	return l, nil
}

// DelimiterRune returns the CSV delimiter of a valid ledger section, or
// auto when it is to be picked from each file's header line.
func (l Ledger) DelimiterRune() (r rune, auto bool) {
	switch {
	case l.Delimiter == "auto":
		return 0, true
	case strings.EqualFold(l.Delimiter, "tab"):
		return '\t', false
	}
	r, _ = utf8.DecodeRuneInString(l.Delimiter)
	return r, false
}

// Format returns the amount format of the ledger section.
func (l Ledger) Format() money.Format {
	f := money.Format{}
	if l.Decimal != "" {
		f.Decimal = l.Decimal[0]
	}
	if l.Thousands != "" {
		f.Thousands = l.Thousands[0]
	}
	return f
}
