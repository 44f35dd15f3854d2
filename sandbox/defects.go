package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// Defect names a bug the sandbox plants on purpose, so that the contract
// tool's generated cases can be shown to find it. Each one breaks one
// operation in one way; with none switched on the sandbox keeps its
// contract.
type Defect string

// The planted defects.
const (
	// DefectBoundaryCrash makes GET /openapi/payment-links crash with a
	// 500 when limit is 100, the documented maximum.
	DefectBoundaryCrash Defect = "boundary-crash"
	// DefectInvalidEnum makes PUT /openapi/orders/{uid} accept a status
	// outside [active, inactive]: it answers 200 and leaves the order as
	// it was, instead of 422.
	DefectInvalidEnum Defect = "invalid-enum"
	// DefectPage2Field makes GET /openapi/orders drop each order's
	// required currency from page 2 on.
	DefectPage2Field Defect = "page2-field"
)

// Defects returns every planted defect.
func Defects() []Defect {
	return []Defect{DefectBoundaryCrash, DefectInvalidEnum, DefectPage2Field}
}

// ParseDefects reads a comma-separated list of defects; "all" switches
// every one on and "" or "none" none.
func ParseDefects(s string) ([]Defect, error) {
	s = strings.TrimSpace(s)
	switch s {
	case "", "none":
		return nil, nil
	case "all":
		return Defects(), nil
	}
	var out []Defect
	var errs []error
	for _, part := range strings.Split(s, ",") {
		d := Defect(strings.TrimSpace(part))
		if !slices.Contains(Defects(), d) {
			errs = append(errs, fmt.Errorf("unknown defect %q (want all, none or any of %s)", d, joinDefects(Defects())))
			continue
		}
		if !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	return out, errors.Join(errs...)
}

func joinDefects(ds []Defect) string {
	s := make([]string, len(ds))
	for i, d := range ds {
		s[i] = string(d)
	}
	return strings.Join(s, ", ")
}

// defect reports whether the defect d is switched on.
func (s *Server) defect(d Defect) bool { return slices.Contains(s.cfg.Defects, d) }

// crash answers as an unhandled error would: a 500 in the API's envelope.
func crash(w http.ResponseWriter) {
	xepengError(w, http.StatusInternalServerError, "Internal server error", "INTERNAL_ERROR", nil)
}

// withoutField re-encodes list items with one field removed, for
// DefectPage2Field.
func withoutField[T any](items []T, field string) []map[string]any {
	out := make([]map[string]any, 0, len(items))
	for _, it := range items {
		b, err := json.Marshal(it)
		if err != nil {
			continue
		}
		var m map[string]any
		if json.Unmarshal(b, &m) != nil {
			continue
		}
		delete(m, field)
		out = append(out, m)
	}
	return out
}
