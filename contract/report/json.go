package report

import (
	"encoding/json"
	"io"

	"github.com/reconkit/reconkit/contract"
)

// jsonReport is the JSON document: the result plus its summary and the
// gate's verdict, so a consumer need not recount.
type jsonReport struct {
	Passed  bool             `json:"passed"`
	Summary contract.Summary `json:"summary"`
	*contract.Result
}

// JSON writes the result as one indented JSON document.
func JSON(w io.Writer, r *contract.Result) error {
	if r.Findings == nil {
		c := *r
		c.Findings = []contract.Finding{}
		r = &c
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(jsonReport{Passed: r.Passed(), Summary: r.Summary(), Result: r})
}
