package decide

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/reconkit/reconkit/recon"
	"github.com/reconkit/reconkit/store"
)

func TestReadCSV(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []Row
		err      string
	}{
		{name: "the three columns", in: "key,decision,note\nk1,accepted,bank fee\nk2,,\n",
			want: []Row{{Row: 2, Key: "k1", Decision: "accepted", Note: "bank fee"}, {Row: 3, Key: "k2"}}},
		{name: "any order, the workbook's header names, other columns left", in: "Note,Category,Exception key,Decision\n\"a, \"\"quoted\"\"\nnote\",X,k1,written off\n",
			want: []Row{{Row: 2, Key: "k1", Decision: "written off", Note: "a, \"quoted\"\nnote"}}},
		{name: "Excel's CSV UTF-8 starts with a BOM", in: "\ufeffkey,decision,note\r\nk1,accepted,\r\n",
			want: []Row{{Row: 2, Key: "k1", Decision: "accepted"}}},
		{name: "a BOM and semicolons", in: "\ufeffkey;decision;note\nk1;accepted;bank fee\n",
			err: "x.csv line 1: the columns are separated by semicolons; recon reads decisions separated by commas"},
		{name: "tabs", in: "key\tdecision\tnote\n", err: "separated by tabs"},
		{name: "a column missing", in: "key,note\nk1,x\n", err: `x.csv line 1: the header "key,note" lacks the column(s) decision`},
		{name: "empty", in: "", err: "x.csv: empty"},
		{name: "a broken quote names its line", in: "key,decision,note\nk1,accepted,ok\nk2,accepted,\"open\n", err: "line 3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadCSV(strings.NewReader(tc.in), "x.csv")
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("ReadCSV: %v, want an error with %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("rows (-want +got):\n%s", d)
			}
		})
	}
}

// FuzzReadCSV: any bytes give rows or an error, never a panic, and every
// row names a line of the file.
func FuzzReadCSV(f *testing.F) {
	for _, s := range []string{"key,decision,note\nk,accepted,n\n", "\ufeffkey;decision;note\n", "note,key,decision\n\"a\nb\",k,open\n", ""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		rows, err := ReadCSV(strings.NewReader(string(b)), "f.csv")
		if err != nil {
			return
		}
		lines := strings.Count(string(b), "\n") + 1
		for _, r := range rows {
			if r.Row < 2 || r.Row > lines {
				t.Fatalf("row on line %d of a %d-line file", r.Row, lines)
			}
		}
	})
}

// FuzzParseDecisionKey: every key DecisionKey writes reads back, and
// any other text is refused or read as some key without a panic.
func FuzzParseDecisionKey(f *testing.F) {
	f.Add("default", "ORD-1", "FEE")
	f.Add("m_1", "\x00\xff", "=1+1")
	f.Fuzz(func(t *testing.T, merchant, order, ref string) {
		e := recon.Exception{Category: recon.AmountMismatch, OrderUID: order, LedgerRef: ref}
		m, k, err := recon.ParseDecisionKey(recon.DecisionKey(merchant, &e))
		if store.CheckMerchant(merchant) == nil && (err != nil || m != merchant || k != recon.ExceptionKey(&e)) {
			t.Fatalf("DecisionKey of %q %q read back as %q %q, %v", merchant, order, m, k, err)
		}
		recon.ParseDecisionKey(order)
	})
}
