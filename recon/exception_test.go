package recon

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestExceptionKey(t *testing.T) {
	base := Exception{Category: AmountMismatch, Severity: "critical", OrderUID: "ORD-1", PaymentLinkUID: "PL-1",
		OxpayTxnID: "T1", MerchantReferenceID: "MR-1", LedgerRef: "L-1", Currency: "IDR",
		ExpectedMinor: 10000, ActualMinor: 9000, DifferenceMinor: -1000, Detail: "amount differs",
		WebhookEventIDs: IDList{1}, LedgerEntryIDs: IDList{2}}
	tests := []struct {
		name   string
		change func(e *Exception)
		same   bool
	}{
		{"severity", func(e *Exception) { e.Severity = "low" }, true},
		{"expected amount", func(e *Exception) { e.ExpectedMinor = 20000 }, true},
		{"actual amount", func(e *Exception) { e.ActualMinor = 1 }, true},
		{"difference", func(e *Exception) { e.DifferenceMinor = -9999 }, true},
		{"detail", func(e *Exception) { e.Detail = "amount differs by more" }, true},
		{"webhook events", func(e *Exception) { e.WebhookEventIDs = IDList{1, 5} }, true},
		{"ledger entries", func(e *Exception) { e.LedgerEntryIDs = IDList{3} }, true},
		{"category", func(e *Exception) { e.Category = StatusMismatch }, false},
		{"order", func(e *Exception) { e.OrderUID = "ORD-2" }, false},
		{"payment link", func(e *Exception) { e.PaymentLinkUID = "PL-2" }, false},
		{"transaction", func(e *Exception) { e.OxpayTxnID = "T2" }, false},
		{"merchant reference", func(e *Exception) { e.MerchantReferenceID = "MR-2" }, false},
		{"ledger reference", func(e *Exception) { e.LedgerRef = "L-2" }, false},
		{"currency", func(e *Exception) { e.Currency = "SGD" }, false},
		{"input error", func(e *Exception) { e.InputErrorID = 7 }, false},
		// Naming no transaction, the exception is about the line itself.
		{"ledger entries of a ledger-only exception", func(e *Exception) {
			*e = Exception{Category: LedgerUnmatched, LedgerRef: "L-1", Currency: "IDR", LedgerEntryIDs: IDList{3}}
		}, false},
		// Without a separator both would read "ORD-12PL-1".
		{"where one reference ends", func(e *Exception) { e.OrderUID, e.PaymentLinkUID = "ORD-12", "PL-1" }, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, b := base, base
			switch tc.name {
			case "where one reference ends":
				a.PaymentLinkUID = "2PL-1"
			case "ledger entries of a ledger-only exception":
				a = Exception{Category: LedgerUnmatched, LedgerRef: "L-1", Currency: "IDR", LedgerEntryIDs: IDList{2}, Detail: "other"}
			}
			tc.change(&b)
			if got := ExceptionKey(&a) == ExceptionKey(&b); got != tc.same {
				t.Errorf("keys equal after changing the %s: got %v, want %v (keys %q, %q)",
					tc.name, got, tc.same, ExceptionKey(&a), ExceptionKey(&b))
			}
		})
	}

	// Keys are stored in exception_history: a change of form would make
	// every open exception new on the first run after an upgrade.
	stored := []struct {
		e    Exception
		want string
	}{
		{base, "AMOUNT_MISMATCH\x1fORD-1\x1fPL-1\x1fT1\x1fMR-1\x1fL-1\x1fIDR"},
		{Exception{Category: InputErrorCategory, Detail: "bad date", InputErrorID: 42}, "INPUT_ERROR\x1f\x1f\x1f\x1f\x1f\x1f\x1f42"},
		{Exception{Category: LedgerUnmatched, LedgerRef: "FEE", Currency: "IDR", LedgerEntryIDs: IDList{7, 9}},
			"LEDGER_UNMATCHED\x1f\x1f\x1f\x1f\x1fFEE\x1fIDR\x1fledger 7,9"},
	}
	for _, s := range stored {
		if diff := cmp.Diff(s.want, ExceptionKey(&s.e)); diff != "" {
			t.Errorf("stored form of the key of %s (-want +got):\n%s", s.e.Category, diff)
		}
	}
}

func TestAgeDays(t *testing.T) {
	tests := []struct {
		firstSeen, date string
		want            int
	}{
		{"2024-03-01", "2024-03-01", 0},
		{"2024-03-01", "2024-03-02", 1},
		{"2024-01-31", "2024-02-01", 1},
		{"2024-02-28", "2024-03-01", 2}, // leap year
		{"2023-02-28", "2023-03-01", 1},
		{"2024-03-30", "2024-04-02", 3},
		{"2023-12-31", "2024-01-01", 1},
		{"2024-01-01", "2024-12-31", 365},
		// Dates are read as UTC: across a daylight-saving change (the US
		// on 2024-03-10, Europe on 2024-10-27) a day is still 24 hours.
		{"2024-03-09", "2024-03-11", 2},
		{"2024-10-26", "2024-10-28", 2},
		// First seen after the business date: negative, as computed.
		{"2024-03-05", "2024-03-01", -4},
		{"2024-03-01", "2024-02-29", -1},
	}
	for _, tc := range tests {
		if got, ok := AgeDays(tc.firstSeen, tc.date); !ok || got != tc.want {
			t.Errorf("AgeDays(%q, %q): got %d, %v, want %d", tc.firstSeen, tc.date, got, ok, tc.want)
		}
	}
	// Anything not YYYY-MM-DD is no age at all, never an age of 0.
	for _, tc := range [][2]string{
		{"", "2024-03-01"},
		{"2024-03-01", ""},
		{"2024-3-1", "2024-03-05"},
		{"2024-02-30", "2024-03-05"},
		{"2024-03-01T00:00:00Z", "2024-03-05"},
		{"2024-03-01", "05/03/2024"},
	} {
		if got, ok := AgeDays(tc[0], tc[1]); ok {
			t.Errorf("AgeDays(%q, %q): got %d, ok; want not ok", tc[0], tc[1], got)
		}
	}
}

func TestIDList(t *testing.T) {
	tests := []struct {
		in   any
		want IDList
		bad  bool
	}{
		{in: "", want: nil},
		{in: nil, want: nil},
		{in: "7", want: IDList{7}},
		{in: []byte("1,22,333"), want: IDList{1, 22, 333}},
		{in: "1,,2", bad: true},
		{in: int64(3), bad: true},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.in), func(t *testing.T) {
			var got IDList
			err := got.Scan(tc.in)
			if (err != nil) != tc.bad {
				t.Fatalf("Scan(%v): got error %v, want error %v", tc.in, err, tc.bad)
			}
			if tc.bad {
				return
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Fatalf("Scan(%v) (-want +got):\n%s", tc.in, d)
			}
			if s, ok := tc.in.(string); ok && got.String() != s {
				t.Fatalf("String: got %q, want %q", got.String(), s)
			}
		})
	}
}
