package report

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/reconkit/reconkit/contract"
	"github.com/reconkit/reconkit/contract/format"
)

// BuildSARIF turns a result into a SARIF log. specURI is the spec's path
// as the repository knows it (forward slashes), so code scanning puts
// each finding at its line. Accepted findings carry a suppression.
func BuildSARIF(r *contract.Result, specURI, version string) format.SARIFLog {
	specURI = strings.ReplaceAll(specURI, `\`, "/")
	driver := format.SARIFDriver{Name: "reconkit-contract", Version: version}
	index := map[string]int{}
	for i, c := range contract.Checks {
		index[c.Name] = i
		driver.Rules = append(driver.Rules, format.SARIFRule{
			ID:               c.Name,
			Name:             ruleName(c.Name),
			ShortDescription: format.SARIFText{Text: c.Description},
			DefaultConfig:    format.SARIFRuleConfig{Level: level(c.Severity)},
		})
	}
	run := format.SARIFRun{Tool: format.SARIFTool{Driver: driver}, Invocations: []format.SARIFInvocation{{ExecutionSuccessful: true}}, Results: []format.SARIFResult{}}
	for _, f := range r.Findings {
		loc := format.SARIFLocation{
			PhysicalLocation: format.SARIFPhysical{ArtifactLocation: format.SARIFArtifact{URI: specURI}},
			LogicalLocations: []format.SARIFLogical{{Name: f.OperationID, FullyQualifiedName: f.Method + " " + f.Path, Kind: "function"}},
		}
		if f.SpecLine > 0 {
			loc.PhysicalLocation.Region = &format.SARIFRegion{StartLine: f.SpecLine}
		}
		text := f.OperationID
		if w := f.Where(); w != "" {
			text += " " + w
		}
		text += ": " + f.Message
		res := format.SARIFResult{
			RuleID:              f.Check,
			RuleIndex:           index[f.Check],
			Level:               level(f.Severity),
			Message:             format.SARIFText{Text: text},
			Locations:           []format.SARIFLocation{loc},
			PartialFingerprints: map[string]string{"contractFinding/v1": fingerprint(f)},
			Properties: map[string]any{
				"operationId": f.OperationID,
				"pointer":     f.Pointer,
				"status":      f.Status,
				"severity":    string(f.Severity),
			},
		}
		if f.Accepted {
			res.Suppressions = []format.SARIFSuppression{{Kind: "external", Status: "accepted", Justification: f.AcceptedReason}}
		}
		run.Results = append(run.Results, res)
	}
	return format.SARIFLog{Schema: format.SARIFSchema, Version: format.SARIFVersion, Runs: []format.SARIFRun{run}}
}

// SARIF writes the SARIF log as JSON.
func SARIF(w io.Writer, r *contract.Result, specURI, version string) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // messages quote response values: keep <, > and & readable
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
