package report

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/reconkit/reconkit/contract"
)

// SARIF 2.1.0, the subset code-scanning views read.

// SarifLog is the root object.
type SarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []SarifRun `json:"runs"`
}

// SarifRun is one run of one tool.
type SarifRun struct {
	Tool        SarifTool         `json:"tool"`
	Invocations []SarifInvocation `json:"invocations,omitempty"`
	Results     []SarifResult     `json:"results"`
}

// SarifTool names the tool and its rules.
type SarifTool struct {
	Driver SarifDriver `json:"driver"`
}

// SarifDriver is the tool component.
type SarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri,omitempty"`
	Rules          []SarifRule `json:"rules"`
}

// SarifRule is one check.
type SarifRule struct {
	ID                   string            `json:"id"`
	Name                 string            `json:"name"`
	ShortDescription     SarifMessage      `json:"shortDescription"`
	DefaultConfiguration SarifRuleConfig   `json:"defaultConfiguration"`
	Properties           map[string]string `json:"properties,omitempty"`
}

// SarifRuleConfig carries a rule's default level.
type SarifRuleConfig struct {
	Level string `json:"level"`
}

// SarifMessage is a plain-text message.
type SarifMessage struct {
	Text string `json:"text"`
}

// SarifInvocation says whether the run completed.
type SarifInvocation struct {
	ExecutionSuccessful bool `json:"executionSuccessful"`
}

// SarifResult is one finding.
type SarifResult struct {
	RuleID              string             `json:"ruleId"`
	RuleIndex           int                `json:"ruleIndex"`
	Level               string             `json:"level"`
	Message             SarifMessage       `json:"message"`
	Locations           []SarifLocation    `json:"locations"`
	PartialFingerprints map[string]string  `json:"partialFingerprints"`
	Suppressions        []SarifSuppression `json:"suppressions,omitempty"`
	Properties          map[string]any     `json:"properties,omitempty"`
}

// SarifLocation places a finding in the spec.
type SarifLocation struct {
	PhysicalLocation SarifPhysical  `json:"physicalLocation"`
	LogicalLocations []SarifLogical `json:"logicalLocations,omitempty"`
}

// SarifPhysical is a file and a region.
type SarifPhysical struct {
	ArtifactLocation SarifArtifact `json:"artifactLocation"`
	Region           *SarifRegion  `json:"region,omitempty"`
}

// SarifArtifact names the spec file.
type SarifArtifact struct {
	URI string `json:"uri"`
}

// SarifRegion is the spec line.
type SarifRegion struct {
	StartLine int `json:"startLine"`
}

// SarifLogical names the operation.
type SarifLogical struct {
	Name               string `json:"name"`
	FullyQualifiedName string `json:"fullyQualifiedName,omitempty"`
	Kind               string `json:"kind,omitempty"`
}

// SarifSuppression records a baseline acceptance.
type SarifSuppression struct {
	Kind          string `json:"kind"`
	Status        string `json:"status"`
	Justification string `json:"justification,omitempty"`
}

// SarifSchemaURI is the published schema of SARIF 2.1.0.
const SarifSchemaURI = "https://json.schemastore.org/sarif-2.1.0.json"

// BuildSARIF turns a result into a SARIF log. specURI is the spec's path
// as the repository knows it (forward slashes), so code scanning puts
// each finding at its line. Accepted findings carry a suppression.
func BuildSARIF(r *contract.Result, specURI, version string) SarifLog {
	specURI = strings.ReplaceAll(specURI, `\`, "/")
	driver := SarifDriver{Name: "reconkit-contract", Version: version}
	index := map[string]int{}
	for i, c := range contract.Checks {
		index[c.Name] = i
		driver.Rules = append(driver.Rules, SarifRule{
			ID:                   c.Name,
			Name:                 ruleName(c.Name),
			ShortDescription:     SarifMessage{Text: c.Description},
			DefaultConfiguration: SarifRuleConfig{Level: level(c.Severity)},
		})
	}
	run := SarifRun{Tool: SarifTool{Driver: driver}, Invocations: []SarifInvocation{{ExecutionSuccessful: true}}, Results: []SarifResult{}}
	for _, f := range r.Findings {
		loc := SarifLocation{
			PhysicalLocation: SarifPhysical{ArtifactLocation: SarifArtifact{URI: specURI}},
			LogicalLocations: []SarifLogical{{Name: f.OperationID, FullyQualifiedName: f.Method + " " + f.Path, Kind: "function"}},
		}
		if f.SpecLine > 0 {
			loc.PhysicalLocation.Region = &SarifRegion{StartLine: f.SpecLine}
		}
		text := f.OperationID
		if w := f.Where(); w != "" {
			text += " " + w
		}
		text += ": " + f.Message
		res := SarifResult{
			RuleID:              f.Check,
			RuleIndex:           index[f.Check],
			Level:               level(f.Severity),
			Message:             SarifMessage{Text: text},
			Locations:           []SarifLocation{loc},
			PartialFingerprints: map[string]string{"contractFinding/v1": fingerprint(f)},
			Properties: map[string]any{
				"operationId": f.OperationID,
				"pointer":     f.Pointer,
				"status":      f.Status,
				"severity":    string(f.Severity),
			},
		}
		if f.Accepted {
			res.Suppressions = []SarifSuppression{{Kind: "external", Status: "accepted", Justification: f.AcceptedReason}}
		}
		run.Results = append(run.Results, res)
	}
	return SarifLog{Schema: SarifSchemaURI, Version: "2.1.0", Runs: []SarifRun{run}}
}

// SARIF writes the SARIF log as JSON.
func SARIF(w io.Writer, r *contract.Result, specURI, version string) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(BuildSARIF(r, specURI, version)); err != nil {
		return fmt.Errorf("write sarif: %w", err)
	}
	return nil
}

func level(s contract.Severity) string {
	if s == contract.Breaking {
		return "error"
	}
	return "warning"
}

// ruleName is the check name in PascalCase, as SARIF viewers show it.
func ruleName(check string) string {
	parts := strings.Split(check, "_")
	for i, p := range parts {
		if p != "" {
			parts[i] = strings.ToUpper(p[:1]) + p[1:]
		}
	}
	return strings.Join(parts, "")
}

// fingerprint identifies a finding across runs: the same drift at the
// same place is the same alert, whatever the message or status says.
func fingerprint(f contract.Finding) string {
	sum := sha256.Sum256([]byte(f.OperationID + "\x00" + f.Check + "\x00" + f.In + "\x00" + f.Pointer))
	return hex.EncodeToString(sum[:16])
}
