package diff

// Verdict is how a rule judges a change seen from one direction.
type Verdict int

// Verdicts.
const (
	NotBreaking Verdict = iota
	Breaking
)

// String names the verdict as the rule table in docs/contract-diff-lint.md
// spells it.
func (v Verdict) String() string {
	switch v {
	case Breaking:
		return "breaking"
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
	RulePathParamRenamed         = "path-parameter-renamed"
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
	RuleExtensibleEnumAdded      = "extensible-enum-value-added"
	RuleNullableAdded            = "nullable-added"
	RuleNullableRemoved          = "nullable-removed"
	RuleConstraintNarrowed       = "constraint-narrowed"
	RuleConstraintWidened        = "constraint-widened"
	RuleConstraintChanged        = "constraint-changed"
	RuleOptionAdded              = "schema-option-added"
	RuleOptionRemoved            = "schema-option-removed"
	RuleReadOnlyAdded            = "read-only-added"
	RuleReadOnlyRemoved          = "read-only-removed"
	RuleWriteOnlyAdded           = "write-only-added"
	RuleWriteOnlyRemoved         = "write-only-removed"
	RuleDefaultChanged           = "default-changed"
	RuleSchemaChanged            = "schema-changed"
	RuleSecurityAdded            = "security-requirement-added"
	RuleSecurityRemoved          = "security-requirement-removed"
	RuleSecurityAltRemoved       = "security-alternative-removed"
	RuleSecurityAltAdded         = "security-alternative-added"
	RuleSecurityScopeAdded       = "security-scope-added"
	RuleSecurityScopeRemoved     = "security-scope-removed"
	RuleSecuritySchemeChanged    = "security-scheme-changed"
	RuleServerRemoved            = "server-removed"
	RuleServerAdded              = "server-added"
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
	{RuleEndpointRemoved, "An operation, or a path with its operations, was removed (a path that had no operations is metadata).", Breaking, Breaking},
	{RuleEndpointAdded, "An operation or path was added.", NotBreaking, NotBreaking},
	{RulePathParamRenamed, "A path parameter was renamed (`/books/{bookId}` to `/books/{id}`): the URL clients call is the same.", NotBreaking, NotBreaking},
	{RuleParameterRemoved, "A parameter was removed; clients still send it.", Breaking, Breaking},
	{RuleParameterAdded, "An optional parameter was added.", NotBreaking, NotBreaking},
	{RuleRequiredParameterAdded, "A required parameter was added; existing calls lack it.", Breaking, Breaking},
	{RuleParameterLocationChanged, "A parameter moved (`in` changed, e.g. query to header).", Breaking, Breaking},
	{RuleParameterStyleChanged, "A parameter's serialisation changed (style, explode, allowReserved, allowEmptyValue, or a form body's encoding), defaults taken into account.", Breaking, Breaking},
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
	{RuleEnumValueRemoved, "An enum value (or x-extensible-enum value) was removed. Clients that send it are rejected; a response sending fewer values is harmless.", Breaking, NotBreaking},
	{RuleEnumValueAdded, "An enum value was added. Clients that switch on a response value meet one they do not know.", NotBreaking, Breaking},
	{RuleExtensibleEnumAdded, "A value was added to an x-extensible-enum: clients were told to expect values they do not know.", NotBreaking, NotBreaking},
	{RuleNullableAdded, "A schema became nullable (nullable: true, null added to type, or wrapped in oneOf/anyOf with a null option).", NotBreaking, Breaking},
	{RuleNullableRemoved, "A schema is no longer nullable; clients sending null are rejected.", Breaking, NotBreaking},
	{RuleConstraintNarrowed, "Fewer values are valid: a max lowered or a min raised, a pattern, format, const, enum, allOf member, contains, prefixItems, dependentRequired/dependentSchemas, patternProperties, propertyNames, if, not or contentSchema added, additionalProperties: false, number to integer.", Breaking, NotBreaking},
	{RuleConstraintWidened, "More values are valid: the opposite of constraint-narrowed. Clients validating responses may reject the new values.", NotBreaking, Breaking},
	{RuleConstraintChanged, "A pattern, format, const, if or not changed to another value, a multipleOf to one neither dividing nor multiplying it, or a contentMediaType/contentEncoding added, removed or changed: neither narrower nor wider can be told.", Breaking, Breaking},
	{RuleOptionAdded, "A oneOf/anyOf alternative (or discriminator mapping) was added.", NotBreaking, Breaking},
	{RuleOptionRemoved, "A oneOf/anyOf alternative (or discriminator mapping) was removed.", Breaking, NotBreaking},
	{RuleReadOnlyAdded, "A property became readOnly: clients may no longer send it.", Breaking, NotBreaking},
	{RuleReadOnlyRemoved, "A property is no longer readOnly (if it is required, required-added says so for requests).", NotBreaking, NotBreaking},
	{RuleWriteOnlyAdded, "A property became writeOnly: responses no longer carry it.", NotBreaking, Breaking},
	{RuleWriteOnlyRemoved, "A property is no longer writeOnly: responses may carry it.", NotBreaking, NotBreaking},
	{RuleDefaultChanged, "A default was added, removed or changed; clients that omit the field get other behaviour. In a response a default only documents.", Breaking, NotBreaking},
	{RuleSchemaChanged, "Any other schema change no rule above names (a discriminator's property, an unknown keyword): breaking until judged otherwise.", Breaking, Breaking},
	{RuleSecurityAdded, "An operation that accepted anonymous calls now requires authentication.", Breaking, Breaking},
	{RuleSecurityRemoved, "An operation no longer requires authentication.", NotBreaking, NotBreaking},
	{RuleSecurityAltRemoved, "A way to authenticate an operation was removed or replaced (an operation-level security replacing the global one, a scheme added to a requirement): clients using it are rejected.", Breaking, Breaking},
	{RuleSecurityAltAdded, "A new way to authenticate an operation was added; the old ones still work.", NotBreaking, NotBreaking},
	{RuleSecurityScopeAdded, "A requirement asks for a scope it did not ask for; tokens without it are rejected.", Breaking, Breaking},
	{RuleSecurityScopeRemoved, "A requirement asks for fewer scopes.", NotBreaking, NotBreaking},
	{RuleSecuritySchemeChanged, "A security scheme changed how credentials are sent or obtained (type, in, name, scheme, flows and their URLs, openIdConnectUrl).", Breaking, Breaking},
	{RuleServerRemoved, "A server URL was removed; clients configured with it fail.", Breaking, Breaking},
	{RuleServerAdded, "A server URL was added.", NotBreaking, NotBreaking},
	{RuleServerChanged, "A server's variables changed (a default or an allowed value).", Breaking, Breaking},
	{RuleOperationIDChanged, "An operationId changed; HTTP clients are unaffected (generated SDKs may rename a method).", NotBreaking, NotBreaking},
	{RuleDeprecated, "Something was marked deprecated, or no longer is.", NotBreaking, NotBreaking},
	{RuleMetadataChanged, "Descriptions, summaries, titles, examples, tags, info, extensions, and changes with no effect on valid values.", NotBreaking, NotBreaking},
	{RuleComponentAdded, "A component (schema, parameter, response, ...) was added.", NotBreaking, NotBreaking},
	{RuleComponentRemoved, "A component was removed; any use of it shows as its own change.", NotBreaking, NotBreaking},
	{RuleOtherChanged, "Any change no rule above names: breaking, as a gate should not pass what it does not understand.", Breaking, Breaking},
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
