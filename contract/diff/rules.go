package diff

// Verdict is how a rule judges a change seen from one direction.
type Verdict int

// Verdicts. Library defers to libopenapi's own breaking flag, for changes
// no specific rule here describes.
const (
	NotBreaking Verdict = iota
	Breaking
	Library
)

// String names the verdict as the rule table in docs/contract-diff-lint.md
// spells it.
func (v Verdict) String() string {
	switch v {
	case Breaking:
		return "breaking"
	case Library:
		return "libopenapi"
	default:
		return "not breaking"
	}
}

// Direction is which way a schema travels in an operation: in a request the
// client writes and the server reads; in a response the server writes and
// the client reads. For webhooks and callbacks the API sends the request,
// so their request bodies count as responses and the other way round.
type Direction string

// Directions.
const (
	Request  Direction = "request"
	Response Direction = "response"
)

// Rule is one named kind of change with its verdict per direction. Rules
// that do not depend on direction have the same verdict in both columns.
type Rule struct {
	ID       string
	Summary  string
	Request  Verdict
	Response Verdict
}

// verdict returns the rule's verdict for a direction.
func (r Rule) verdict(d Direction) Verdict {
	if d == Response {
		return r.Response
	}
	return r.Request
}

// Rule ids. They are stable: ignore files and CI dashboards refer to them.
const (
	RuleEndpointRemoved          = "endpoint-removed"
	RuleEndpointAdded            = "endpoint-added"
	RuleParameterRemoved         = "parameter-removed"
	RuleParameterAdded           = "parameter-added"
	RuleRequiredParameterAdded   = "required-parameter-added"
	RuleParameterLocationChanged = "parameter-location-changed"
	RuleParameterStyleChanged    = "parameter-style-changed"
	RuleRequestBodyRemoved       = "request-body-removed"
	RuleRequestBodyAdded         = "request-body-added"
	RuleRequiredBodyAdded        = "required-request-body-added"
	RuleSuccessResponseRemoved   = "success-response-removed"
	RuleResponseRemoved          = "response-removed"
	RuleResponseAdded            = "response-added"
	RuleMediaTypeRemoved         = "media-type-removed"
	RuleMediaTypeAdded           = "media-type-added"
	RuleHeaderRemoved            = "header-removed"
	RuleHeaderAdded              = "header-added"
	RulePropertyRemoved          = "property-removed"
	RulePropertyRenamed          = "property-renamed"
	RulePropertyAdded            = "property-added"
	RuleTypeChanged              = "type-changed"
	RuleRequiredAdded            = "required-added"
	RuleRequiredRemoved          = "required-removed"
	RuleEnumValueRemoved         = "enum-value-removed"
	RuleEnumValueAdded           = "enum-value-added"
	RuleNullableAdded            = "nullable-added"
	RuleNullableRemoved          = "nullable-removed"
	RuleConstraintNarrowed       = "constraint-narrowed"
	RuleConstraintWidened        = "constraint-widened"
	RuleConstraintChanged        = "constraint-changed"
	RuleOptionAdded              = "schema-option-added"
	RuleOptionRemoved            = "schema-option-removed"
	RuleDefaultChanged           = "default-changed"
	RuleRefChanged               = "ref-changed"
	RuleSchemaChanged            = "schema-changed"
	RuleSecurityChanged          = "security-changed"
	RuleSecuritySchemeChanged    = "security-scheme-changed"
	RuleServerChanged            = "server-changed"
	RuleOperationIDChanged       = "operation-id-changed"
	RuleDeprecated               = "deprecated"
	RuleMetadataChanged          = "metadata-changed"
	RuleComponentAdded           = "component-added"
	RuleComponentRemoved         = "component-removed"
	RuleOtherChanged             = "other-changed"
	RuleIgnoreExpired            = "ignore-expired"
)

// Rules lists every rule in the order the documentation shows them. The
// verdicts here are the whole policy: the rest of the package only decides
// which rule a change is and which directions it is seen from.
var Rules = []Rule{
	{RuleEndpointRemoved, "An operation, or a whole path with its operations, was removed.", Breaking, Breaking},
	{RuleEndpointAdded, "An operation or path was added.", NotBreaking, NotBreaking},
	{RuleParameterRemoved, "A parameter was removed; clients still send it.", Breaking, Breaking},
	{RuleParameterAdded, "An optional parameter was added.", NotBreaking, NotBreaking},
	{RuleRequiredParameterAdded, "A required parameter was added; existing calls lack it.", Breaking, Breaking},
	{RuleParameterLocationChanged, "A parameter moved (`in` changed, e.g. query to header).", Breaking, Breaking},
	{RuleParameterStyleChanged, "A parameter's serialisation changed (style, explode, allowReserved, allowEmptyValue).", Breaking, Breaking},
	{RuleRequestBodyRemoved, "An operation no longer takes a request body.", Breaking, Breaking},
	{RuleRequestBodyAdded, "An optional request body was added.", NotBreaking, NotBreaking},
	{RuleRequiredBodyAdded, "A required request body was added.", Breaking, Breaking},
	{RuleSuccessResponseRemoved, "A 2xx, 3xx or default response was removed; clients expect it.", Breaking, Breaking},
	{RuleResponseRemoved, "An error (4xx/5xx) response was removed.", NotBreaking, NotBreaking},
	{RuleResponseAdded, "A response status code was added.", NotBreaking, NotBreaking},
	{RuleMediaTypeRemoved, "A content type was removed from a request or response.", Breaking, Breaking},
	{RuleMediaTypeAdded, "A content type was added.", NotBreaking, NotBreaking},
	{RuleHeaderRemoved, "A response header was removed.", Breaking, Breaking},
	{RuleHeaderAdded, "A response header was added.", NotBreaking, NotBreaking},
	{RulePropertyRemoved, "A schema property was removed.", Breaking, Breaking},
	{RulePropertyRenamed, "A property was removed and another with an identical schema added in the same object.", Breaking, Breaking},
	{RulePropertyAdded, "A property was added (if it is also required, required-added says so).", NotBreaking, NotBreaking},
	{RuleTypeChanged, "A schema's type changed (other than to or from null, and integer to number).", Breaking, Breaking},
	{RuleRequiredAdded, "A property, parameter, header or body became required. Clients must now send it; a response promising more is harmless.", Breaking, NotBreaking},
	{RuleRequiredRemoved, "A property, parameter, header or body became optional. Clients may rely on a response field being present.", NotBreaking, Breaking},
	{RuleEnumValueRemoved, "An enum value was removed. Clients that send it are rejected; a response sending fewer values is harmless.", Breaking, NotBreaking},
	{RuleEnumValueAdded, "An enum value was added. Clients that switch on a response value meet one they do not know.", NotBreaking, Breaking},
	{RuleNullableAdded, "A schema became nullable (nullable: true, or null added to type).", NotBreaking, Breaking},
	{RuleNullableRemoved, "A schema is no longer nullable; clients sending null are rejected.", Breaking, NotBreaking},
	{RuleConstraintNarrowed, "Fewer values are valid: maxLength/maximum/maxItems lowered, min* raised, pattern/format/multipleOf/const/uniqueItems added, additionalProperties: false, number to integer.", Breaking, NotBreaking},
	{RuleConstraintWidened, "More values are valid: the opposite of constraint-narrowed. Clients validating responses may reject the new values.", NotBreaking, Breaking},
	{RuleConstraintChanged, "A pattern, format, multipleOf or const changed to another value; neither narrower nor wider can be told.", Breaking, Breaking},
	{RuleOptionAdded, "A oneOf/anyOf alternative was added.", NotBreaking, Breaking},
	{RuleOptionRemoved, "A oneOf/anyOf alternative was removed.", Breaking, NotBreaking},
	{RuleDefaultChanged, "A default value changed; clients that omit the field get other behaviour.", Breaking, NotBreaking},
	{RuleRefChanged, "A $ref now points to another schema.", Breaking, Breaking},
	{RuleSchemaChanged, "Any other schema change (allOf, items, discriminator, readOnly, ...): libopenapi's verdict.", Library, Library},
	{RuleSecurityChanged, "Security requirements changed: libopenapi's verdict.", Library, Library},
	{RuleSecuritySchemeChanged, "A security scheme changed, was added or removed: libopenapi's verdict.", Library, Library},
	{RuleServerChanged, "A server entry changed: libopenapi's verdict.", Library, Library},
	{RuleOperationIDChanged, "An operationId changed; HTTP clients are unaffected (generated SDKs may rename a method).", NotBreaking, NotBreaking},
	{RuleDeprecated, "Something was marked deprecated, or no longer is.", NotBreaking, NotBreaking},
	{RuleMetadataChanged, "Descriptions, summaries, titles, examples, tags, info, extensions.", NotBreaking, NotBreaking},
	{RuleComponentAdded, "A component (schema, parameter, response, ...) was added.", NotBreaking, NotBreaking},
	{RuleComponentRemoved, "A component was removed; any use of it shows as its own change.", NotBreaking, NotBreaking},
	{RuleOtherChanged, "Any change no rule above names: libopenapi's verdict.", Library, Library},
	{RuleIgnoreExpired, "An ignore-file entry passed its expiry date and no longer ignores anything.", NotBreaking, NotBreaking},
}

// ruleByID indexes Rules.
var ruleByID = func() map[string]Rule {
	m := make(map[string]Rule, len(Rules))
	for _, r := range Rules {
		m[r.ID] = r
	}
	return m
}()

// directional reports whether a rule's verdict depends on direction, so the
// finding should say which directions it was judged in.
func (r Rule) directional() bool { return r.Request != r.Response }
