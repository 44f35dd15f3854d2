package docfake

import (
	"cmp"
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strings"
)

// IDColumns are the columns of recon's exceptions export that name a
// record (README: "Outputs of a run").
var IDColumns = []string{"order_uid", "payment_link_uid", "oxpay_txn_id", "merchant_reference_id", "ledger_ref"}

// Exception is one row of recon's exceptions-DATE.csv.
type Exception struct {
	Category string
	IDs      []string          // the non-empty values of IDColumns
	Row      map[string]string // every column
}

// ReadExceptions reads an exceptions CSV by its header names.
func ReadExceptions(r io.Reader) ([]Exception, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	rows, err := cr.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("read exceptions: %w", err)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("read exceptions: no header")
	}
	head := rows[0]
	var out []Exception
	for _, row := range rows[1:] {
		e := Exception{Row: map[string]string{}}
		for i, h := range head {
			if i < len(row) {
				// README: text cells are made safe against formula
				// injection, which may prefix a quote.
				e.Row[h] = strings.TrimPrefix(row[i], "'")
			}
		}
		e.Category = e.Row["category"]
		for _, c := range IDColumns {
			for _, id := range strings.FieldsFunc(e.Row[c], func(r rune) bool { return r == ';' || r == ',' || r == ' ' }) {
				e.IDs = append(e.IDs, id)
			}
		}
		out = append(out, e)
	}
	return out, nil
}

// Score is the comparison of recon's exceptions with the answer key.
type Score struct {
	Rows     int
	TP       int         // rows that match a planted anomaly
	FP       []Exception // rows that match none
	Found    []int       // per key entry, how many rows matched it
	FN       []Anomaly   // required key entries no row matched
	Key      []Anomaly
	ByCat    map[string]*CatScore
	Repeated []Anomaly // key entries matched by more than one row
	// AmountNotes are matches whose expected/actual amounts differ from
	// the world's: the right category for another reason.
	AmountNotes []string
}

// CatScore counts one category.
type CatScore struct{ Reported, True, False, Planted, Found int }

// Precision is TP / rows (1 when recon reported nothing).
func (s Score) Precision() float64 {
	if s.Rows == 0 {
		return 1
	}
	return float64(s.TP) / float64(s.Rows)
}

// Required is the number of key entries that must be reported.
func (s Score) Required() int {
	n := 0
	for _, a := range s.Key {
		if !a.Optional {
			n++
		}
	}
	return n
}

// Recall is found required entries / required entries.
func (s Score) Recall() float64 {
	if s.Required() == 0 {
		return 1
	}
	return float64(s.Required()-len(s.FN)) / float64(s.Required())
}

// Compare matches exceptions to the key: a row matches an anomaly when it
// has the same category and names one of the anomaly's references in any
// id column.
func Compare(key []Anomaly, got []Exception) Score {
	s := Score{Rows: len(got), Key: key, Found: make([]int, len(key)), ByCat: map[string]*CatScore{}}
	cat := func(c string) *CatScore {
		if s.ByCat[c] == nil {
			s.ByCat[c] = &CatScore{}
		}
		return s.ByCat[c]
	}
	for _, a := range key {
		if !a.Optional {
			cat(a.Category).Planted++
		}
	}
	for _, e := range got {
		c := cat(e.Category)
		c.Reported++
		hit := false
		for i, a := range key {
			if a.Category != e.Category || !namesAny(e.IDs, a.Refs) {
				continue
			}
			s.Found[i]++
			hit = true
			if a.HasAmounts && (e.Row["expected_minor"] != fmt.Sprint(a.Expected) || e.Row["actual_minor"] != fmt.Sprint(a.Actual)) {
				s.AmountNotes = append(s.AmountNotes, fmt.Sprintf("%s %s: recon expected=%s actual=%s, the world %d and %d (%s)",
					a.Category, a.Refs[0], e.Row["expected_minor"], e.Row["actual_minor"], a.Expected, a.Actual, a.What))
			}
		}
		if hit {
			s.TP++
			c.True++
		} else {
			s.FP = append(s.FP, e)
			c.False++
		}
	}
	for i, a := range key {
		switch {
		case s.Found[i] == 0:
			if !a.Optional {
				s.FN = append(s.FN, a)
			}
		case s.Found[i] > 1:
			s.Repeated = append(s.Repeated, a)
			fallthrough
		default:
			if !a.Optional {
				cat(a.Category).Found++
			}
		}
	}
	return s
}

func namesAny(ids, refs []string) bool {
	for _, id := range ids {
		if slices.Contains(refs, id) {
			return true
		}
	}
	return false
}

// labelColumns are the id columns in the order that best says what an
// exception is about: the transaction, then the ledger line, then the order.
var labelColumns = []string{"oxpay_txn_id", "ledger_ref", "order_uid", "payment_link_uid", "merchant_reference_id"}

// Label says what the world made of the records an exception names: the
// scenario of the first id the world has one for, cut to its kind (what
// comes before the first ", ", " (" or " ["; for another planted anomaly,
// its category), and the order's total field.
func (w *World) Label(e Exception) string {
	label := ""
	for _, c := range labelColumns {
		if sc := scenario(w.Notes[e.Row[c]]); sc != "" {
			label = sc
			break
		}
	}
	if label == "" {
		label = "(no id the world knows)"
	}
	label = strings.TrimPrefix(label, "same order as: ")
	if strings.HasPrefix(label, "planted ") {
		// Records of another planted anomaly: name the anomaly only.
		if i := strings.Index(label, ":"); i > 0 {
			label = label[:i]
		}
	} else {
		for _, sep := range []string{", ", " (", " ["} {
			if i := strings.Index(label, sep); i > 0 {
				label = label[:i]
			}
		}
	}
	if f := w.totalField(e); f != "" {
		label += ` [total under "` + f + `"]`
	}
	return label
}

// scenario is a note without the parts that only name records.
func scenario(note string) string {
	var keep []string
	for _, p := range strings.Split(note, "; ") {
		if p == "" || strings.HasPrefix(p, "order ") || strings.HasPrefix(p, "sale ") || strings.HasPrefix(p, "link ") ||
			strings.HasPrefix(p, "refund ") || strings.HasPrefix(p, "void ") {
			continue
		}
		keep = append(keep, p)
	}
	return strings.Join(keep, "; ")
}

func (w *World) totalField(e Exception) string {
	uid := e.Row["order_uid"]
	if uid == "" {
		if t := w.Txn(e.Row["oxpay_txn_id"]); t != nil {
			uid = t.MerchantRef
		}
	}
	if uid == "" {
		uid = e.Row["merchant_reference_id"]
	}
	for _, o := range w.Orders {
		if o.UID == uid {
			return o.TotalField
		}
	}
	return ""
}

// Report is the score as text: the totals, a table per category, the
// false positives grouped by category and what the world made of them
// (with an example each), and every false negative.
func (s Score) Report(w *World) string {
	var b strings.Builder
	fmt.Fprintf(&b, "precision %.3f (%d of %d exceptions are planted anomalies), recall %.3f (%d of %d required anomalies reported)\n\n",
		s.Precision(), s.TP, s.Rows, s.Recall(), s.Required()-len(s.FN), s.Required())
	cats := make([]string, 0, len(s.ByCat))
	for c := range s.ByCat {
		cats = append(cats, c)
	}
	slices.Sort(cats)
	fmt.Fprintf(&b, "%-28s %8s %6s %6s %8s %6s\n", "category", "reported", "true", "false", "planted", "found")
	for _, c := range cats {
		v := s.ByCat[c]
		fmt.Fprintf(&b, "%-28s %8d %6d %6d %8d %6d\n", c, v.Reported, v.True, v.False, v.Planted, v.Found)
	}

	if len(s.FP) > 0 {
		type group struct {
			cat, label string
			rows       []Exception
		}
		groups := map[string]*group{}
		for _, e := range s.FP {
			l := w.Label(e)
			k := e.Category + "\x00" + l
			if groups[k] == nil {
				groups[k] = &group{cat: e.Category, label: l}
			}
			groups[k].rows = append(groups[k].rows, e)
		}
		list := make([]*group, 0, len(groups))
		for _, g := range groups {
			list = append(list, g)
		}
		slices.SortFunc(list, func(a, b *group) int {
			return cmp.Or(cmp.Compare(a.cat, b.cat), cmp.Compare(len(b.rows), len(a.rows)), cmp.Compare(a.label, b.label))
		})
		fmt.Fprintf(&b, "\nfalse positives (%d), by category and what the fake planted there:\n", len(s.FP))
		for _, g := range list {
			e := g.rows[0]
			fmt.Fprintf(&b, "  %-26s %4d  %s\n", g.cat, len(g.rows), g.label)
			fmt.Fprintf(&b, "      e.g. %s expected=%s actual=%s: %s\n",
				idsText(e), e.Row["expected_minor"], e.Row["actual_minor"], clip(e.Row["detail"], 200))
		}
	}
	if len(s.FN) > 0 {
		fmt.Fprintf(&b, "\nfalse negatives (%d):\n", len(s.FN))
		for _, a := range s.FN {
			fmt.Fprintf(&b, "  %-26s %s  planted: %s\n", a.Category, strings.Join(a.Refs, " | "), a.What)
		}
	}
	var opt []string
	for i, a := range s.Key {
		if a.Optional {
			opt = append(opt, fmt.Sprintf("  %-26s %s  (%s) reported by %d row(s)", a.Category, strings.Join(a.Refs, " | "), a.What, s.Found[i]))
		}
	}
	if len(opt) > 0 {
		fmt.Fprintf(&b, "\noptional (allowed, not required):\n%s\n", strings.Join(opt, "\n"))
	}
	if len(s.AmountNotes) > 0 {
		fmt.Fprintf(&b, "\nright category and reference, other amounts than the world's:\n  %s\n", strings.Join(s.AmountNotes, "\n  "))
	}
	if len(s.Repeated) > 0 {
		fmt.Fprintf(&b, "\nplanted anomalies reported by more than one row (counted as found; the extra rows count as true):\n")
		for _, a := range s.Repeated {
			fmt.Fprintf(&b, "  %-26s %s\n", a.Category, strings.Join(a.Refs, " | "))
		}
	}
	return b.String()
}

func idsText(e Exception) string {
	var parts []string
	for _, c := range IDColumns {
		if v := e.Row[c]; v != "" {
			parts = append(parts, c+"="+v)
		}
	}
	return strings.Join(parts, " ")
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
