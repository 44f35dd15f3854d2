package sandbox

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/reconkit/reconkit/sandbox/gen"
)

func TestParseDefects(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    []Defect
		wantErr bool
	}{
		{"", nil, false},
		{"none", nil, false},
		{"all", Defects(), false},
		{"page2-field, boundary-crash,page2-field", []Defect{DefectPage2Field, DefectBoundaryCrash}, false},
		{"boundary-crash,nope", nil, true},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseDefects(tc.in)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if !tc.wantErr {
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Errorf("(-want +got):\n%s", diff)
				}
			}
		})
	}
}

// TestDefects checks each planted defect, and that the sandbox keeps its
// contract where the defect is off.
func TestDefects(t *testing.T) {
	for _, on := range []bool{false, true} {
		name := "off"
		if on {
			name = "on"
		}
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, &gen.Dataset{Orders: seededOrders(25)}, func(c *Config) {
				if on {
					c.Defects = Defects()
				}
			})
			wantCrash := http.StatusOK
			if on {
				wantCrash = http.StatusInternalServerError
			}
			if got := e.xepeng("GET", "/openapi/payment-links?limit=100", nil).status; got != wantCrash {
				t.Errorf("boundary-crash: limit=100 got %d, want %d", got, wantCrash)
			}
			if got := e.xepeng("GET", "/openapi/payment-links?limit=99", nil).status; got != http.StatusOK {
				t.Errorf("boundary-crash: limit=99 got %d, want 200", got)
			}

			o := e.activeOrder(5000)
			wantEnum := http.StatusUnprocessableEntity
			if on {
				wantEnum = http.StatusOK
			}
			if got := e.xepeng("PUT", "/openapi/orders/"+o.UID, map[string]any{"status": "archived"}).status; got != wantEnum {
				t.Errorf("invalid-enum: got %d, want %d", got, wantEnum)
			}

			for _, pg := range []string{"1", "2"} {
				r := e.xepeng("GET", "/openapi/orders?page="+pg, nil)
				var body struct {
					Data struct {
						Orders []map[string]any `json:"orders"`
					} `json:"data"`
				}
				if err := json.Unmarshal(r.body, &body); err != nil || len(body.Data.Orders) == 0 {
					t.Fatalf("page %s: %v, %d orders", pg, err, len(body.Data.Orders))
				}
				_, has := body.Data.Orders[0]["currency"]
				if want := !(on && pg == "2"); has != want {
					t.Errorf("page2-field: page %s has currency %v, want %v", pg, has, want)
				}
			}
		})
	}
}
