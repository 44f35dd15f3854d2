package contract

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Severity says whether a finding fails the gate.
type Severity string

// The two severities. A breaking finding that no live baseline entry
// accepts makes `contract test` exit 1; a warning is reported only.
const (
	Breaking Severity = "breaking"
	Warning  Severity = "warning"
)

// Check names. They are stable: baselines, severity overrides, JUnit test
// case names and SARIF rule ids all use them, so renaming one is a
// breaking change for every user's configuration.
const (
	// Checks on every response.
	CheckNotAServerError         = "not_a_server_error"
	CheckStatusCodeDocumented    = "status_code_documented"
	CheckContentTypeConformance  = "content_type_conformance"
	CheckResponseSchema          = "response_schema_conformance"
	CheckResponseTime            = "response_time"
	CheckExpectedStatus          = "expected_status"
	CheckTransport               = "transport_error"
	CheckStepBlocked             = "step_blocked"
	CheckUndocumentedField       = "undocumented_field"
	CheckMissingRequiredField    = "missing_required_field"
	CheckTypeChanged             = "type_changed"
	CheckUnknownEnumValue        = "unknown_enum_value"
	CheckFormatViolation         = "format_violation"
	CheckNullabilityChanged      = "nullability_changed"
	CheckEnvelopeChanged         = "envelope_changed"
	CheckNegUnsigned             = "negative_unsigned_request"
	CheckNegWrongSignature       = "negative_wrong_signature"
	CheckNegStaleTimestamp       = "negative_stale_timestamp"
	CheckNegWrongClientID        = "negative_wrong_client_id"
	CheckNegMissingRequiredField = "negative_missing_required_field"
	CheckNegWrongType            = "negative_wrong_type"
	CheckNegNegativeAmount       = "negative_negative_amount"
	CheckNegConstraint           = "negative_constraint_violation"
)

// CheckInfo describes one check for reports (SARIF rules, docs).
type CheckInfo struct {
	Name        string
	Severity    Severity // the default; Config.Severities overrides it
	Description string
}

// Checks lists every check in report order, with its default severity.
// Response-time overruns and undocumented fields are warnings by default:
// the first depends on the machine and the second is an additive change
// most clients survive. Everything else breaks clients and fails the gate.
var Checks = []CheckInfo{
	{CheckNotAServerError, Breaking, "The response is not a 5xx."},
	{CheckStatusCodeDocumented, Breaking, "The status code is documented for the operation (exactly, as a range such as 2XX, or by default)."},
	{CheckContentTypeConformance, Breaking, "The Content-Type is one the spec documents for that status."},
	{CheckResponseSchema, Breaking, "The body validates against the documented schema (libopenapi-validator)."},
	{CheckResponseTime, Warning, "The response arrived within the configured budget."},
	{CheckExpectedStatus, Breaking, "A call the test expects to succeed got the status it expects (2xx unless the scenario says otherwise)."},
	{CheckTransport, Breaking, "The request got an HTTP response at all."},
	{CheckStepBlocked, Breaking, "A scenario step could run: every value it takes from an earlier response was there."},
	{CheckUndocumentedField, Warning, "A field is present in the response but absent from the schema, even where the schema allows extra properties."},
	{CheckMissingRequiredField, Breaking, "A field the schema requires is absent."},
	{CheckTypeChanged, Breaking, "A value has a JSON type the schema does not allow."},
	{CheckUnknownEnumValue, Breaking, "A value is not one of the schema's enum values."},
	{CheckFormatViolation, Breaking, "A string does not match its format (date-time, date, email, uri, uuid, ipv4, ipv6) or an integer overflows int32/int64."},
	{CheckNullabilityChanged, Breaking, "A value is null where the schema does not allow null."},
	{CheckEnvelopeChanged, Breaking, "The top-level envelope changed: required top-level fields are gone and undocumented ones took their place (e.g. status vs success)."},
	{CheckNegUnsigned, Breaking, "A request without its signature (or without credentials, for bearer auth) is refused with 401/403, never 2xx or 5xx."},
	{CheckNegWrongSignature, Breaking, "A request signed with the wrong key is refused with 401/403."},
	{CheckNegStaleTimestamp, Breaking, "A correctly signed request whose timestamp is 10 minutes old is refused with 401/403."},
	{CheckNegWrongClientID, Breaking, "A request naming an unknown client id (or API key, or token) is refused with 401/403."},
	{CheckNegMissingRequiredField, Breaking, "A body without a required field is refused with 4xx, never 2xx or 5xx."},
	{CheckNegWrongType, Breaking, "A body with a field of the wrong JSON type is refused with 4xx."},
	{CheckNegNegativeAmount, Breaking, "A body with a negative amount is refused with 4xx."},
	{CheckNegConstraint, Breaking, "A generated request with one value just outside a schema constraint (bound, length, item count, enum, pattern, format) is refused with 4xx."},
}

// DefaultSeverity returns the documented default severity of a check,
// and Breaking for a name it does not know.
func DefaultSeverity(check string) Severity {
	for _, c := range Checks {
		if c.Name == check {
			return c.Severity
		}
	}
	return Breaking
}

// KnownCheck reports whether name is one of Checks.
func KnownCheck(name string) bool {
	return slices.ContainsFunc(Checks, func(c CheckInfo) bool { return c.Name == name })
}

// Location says where in an exchange a finding points.
const (
	InBody   = "body"
	InHeader = "header"
)

// Finding is one failed check or one drift, tied to an operation, a
// JSON pointer into the response (or a header name) and a line of the
// spec.
type Finding struct {
	OperationID string   `json:"operation_id"`
	Method      string   `json:"method"`
	Path        string   `json:"path"`
	Step        string   `json:"step,omitempty"`   // the plan step that made the call
	Status      int      `json:"status,omitempty"` // the response status, 0 when there was none
	Check       string   `json:"check"`
	In          string   `json:"in,omitempty"` // body, header or query; empty for whole-exchange checks
	Pointer     string   `json:"pointer"`      // RFC 6901, "" for the whole document
	Message     string   `json:"message"`
	Severity    Severity `json:"severity"`
	SpecLine    int      `json:"spec_line,omitempty"`
	// Occurrences counts how many list elements, and how many calls of
	// the operation, showed the same finding; Pointer and Step name the
	// first.
	Occurrences int `json:"occurrences,omitempty"`
	// Accepted is set when a live baseline entry covers the finding.
	Accepted       bool   `json:"accepted,omitempty"`
	AcceptedReason string `json:"accepted_reason,omitempty"`
	// BaselineExpired is set when the only entry that covered the finding
	// has expired, which is why it fails the gate again.
	BaselineExpired string `json:"baseline_expired,omitempty"`
	// Excerpt is the request line and the start of the response, with
	// secrets redacted, for reports that show evidence.
	Excerpt string `json:"excerpt,omitempty"`
	// Case describes the generated case that found it ("query limit =
	// 100 (maximum)"), and how it was shrunk; empty for planned calls.
	Case string `json:"case,omitempty"`
	// Reproducer is a POSIX shell command that repeats the request with
	// curl, secrets as environment variable references, and exits
	// non-zero while the finding still holds (see docs/contract.md).
	Reproducer string `json:"reproducer,omitempty"`
}

// Fails reports whether the finding fails the gate.
func (f Finding) Fails() bool { return f.Severity == Breaking && !f.Accepted }

// Where is "body /data/uid", "header x-request-id" or "" for the
// whole exchange, for messages.
func (f Finding) Where() string {
	switch {
	case f.In == InHeader:
		return "header " + strings.TrimPrefix(f.Pointer, "/")
	case f.In == InQuery:
		return "query " + strings.TrimPrefix(f.Pointer, "/")
	case f.In == InBody && f.Pointer == "":
		return "body"
	case f.In == InBody:
		return "body " + f.Pointer
	}
	return ""
}

// String is a one-line summary for consoles and logs.
func (f Finding) String() string {
	s := fmt.Sprintf("%s %s %s", f.Severity, f.OperationID, f.Check)
	if w := f.Where(); w != "" {
		s += " at " + w
	}
	return s + ": " + f.Message
}

// SortFindings orders findings deterministically: by operation, check,
// location and pointer, then status and message.
func SortFindings(fs []Finding) {
	slices.SortStableFunc(fs, func(a, b Finding) int {
		return cmp.Or(
			cmp.Compare(a.OperationID, b.OperationID),
			cmp.Compare(a.Check, b.Check),
			cmp.Compare(a.In, b.In),
			cmp.Compare(a.Pointer, b.Pointer),
			cmp.Compare(a.Status, b.Status),
			cmp.Compare(a.Step, b.Step),
			cmp.Compare(a.Message, b.Message),
		)
	})
}
