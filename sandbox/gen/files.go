package gen

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/reconkit/reconkit/money"
	"github.com/reconkit/reconkit/wire"
)

// The files WriteFiles writes.
const (
	WebhooksFile   = "webhooks.jsonl"
	LedgerCSVFile  = "ledger.csv"
	LedgerXLSXFile = "ledger.xlsx"
	ExpectedFile   = "expected.csv"
	// LedgerSheet is the sheet of ledger.xlsx holding the rows.
	LedgerSheet = "Ledger"
)

// LedgerHeader and ExpectedHeader are the header rows of ledger.csv (and
// of the sheet) and of expected.csv.
var (
	LedgerHeader   = []string{"Date", "Reference", "Description", "Debit", "Credit", "Currency"}
	ExpectedHeader = []string{"category", "order_uid", "payment_link_uid", "oxpay_txn_id", "merchant_reference_id", "ledger_ref", "detail"}
)

// LedgerDateLayout is how ledger dates are written: DD/MM/YYYY.
const LedgerDateLayout = "02/01/2006"

// WriteFiles writes webhooks.jsonl, ledger.csv, ledger.xlsx and
// expected.csv (and settlement.yaml, in a net or mixed world) into dir, creating it if needed. The same dataset always
// gives byte-identical files. The workbook, the slowest by far, is written
// beside the others rather than after them.
func (d *Dataset) WriteFiles(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	var xlsxErr error
	var wg sync.WaitGroup
	wg.Go(func() { xlsxErr = writeFile(filepath.Join(dir, LedgerXLSXFile), d.WriteLedgerXLSX) })
	writers := []struct {
		name  string
		write func(io.Writer) error
	}{
		{WebhooksFile, d.WriteWebhooks},
		{LedgerCSVFile, d.WriteLedgerCSV},
		{ExpectedFile, d.WriteExpected},
	}
	if cfg := d.SettlementConfig(); cfg != "" {
		writers = append(writers, struct {
			name  string
			write func(io.Writer) error
		}{SettlementFile, func(w io.Writer) error { _, err := io.WriteString(w, cfg); return err }})
	}
	var errs []error
	for _, wr := range writers {
		if err := writeFile(filepath.Join(dir, wr.name), wr.write); err != nil {
			errs = append(errs, err)
			break
		}
	}
	wg.Wait()
	return errors.Join(append(errs, xlsxErr)...)
}

func writeFile(path string, write func(io.Writer) error) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close %s: %w", path, cerr)
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<16)
	if err := write(bw); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// WriteWebhooks writes the webhook log as JSON Lines (wire.WebhookLogLine):
//
//	{"received_at":"2026-11-01T03:04:05Z","headers":{"Signature":"<hex>"},"body":<payload>}
//
// body is the payload object verbatim, or, for a delivery logged
// AsString, a JSON string holding its exact bytes. Unsigned deliveries
// have no Signature header.
func (d *Dataset) WriteWebhooks(w io.Writer) error {
	var b []byte
	for i := range d.Webhooks {
		h := &d.Webhooks[i]
		b = append(b[:0], `{"received_at":"`...)
		b = h.ReceivedAt.UTC().AppendFormat(b, time.RFC3339)
		b = append(b, `","headers":{`...)
		if h.Signature != "" {
			b = append(b, `"Signature":`...)
			b = wire.AppendJSONString(b, h.Signature)
		}
		b = append(b, `},"body":`...)
		if h.AsString {
			b = wire.AppendJSONString(b, h.Payload)
		} else {
			b = append(b, h.Payload...)
		}
		b = append(b, "}\n"...)
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return nil
}

// ledgerRecord is one ledger line as text cells: amounts in the
// currency's ISO exponent as 1.250.000,00, empty when zero.
func ledgerRecord(l *LedgerLine, rec []string, fee bool) []string {
	exp, _ := money.Exponent(l.Currency)
	amount := func(v int64) string {
		if v == 0 {
			return ""
		}
		return money.FormatAmount(v, exp, money.Comma)
	}
	rec = append(rec[:0], l.Date.Format(LedgerDateLayout), l.Reference, l.Description,
		amount(l.Debit), amount(l.Credit), l.Currency)
	if fee {
		// A stated fee of 0 is written 0,00: an empty cell states none.
		f := ""
		if l.Fee != nil {
			f = money.FormatAmount(*l.Fee, exp, money.Comma)
		}
		rec = append(rec, f)
	}
	return rec
}

// ledgerHeader is the ledger's header: LedgerHeader, and the Fee column
// (LedgerFeeColumn) when the ledger books net settlement deposits.
func (d *Dataset) ledgerHeader() []string {
	if d.Options.LedgerStyle.settles() {
		return append(slices.Clone(LedgerHeader), LedgerFeeColumn)
	}
	return LedgerHeader
}

// WriteLedgerCSV writes finance's export as CSV. Descriptions go out as
// they are, formula-like ones included: the export is input the readers
// must treat as text.
func (d *Dataset) WriteLedgerCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	header := d.ledgerHeader()
	if err := cw.Write(header); err != nil {
		return err
	}
	fee := len(header) > len(LedgerHeader)
	rec := make([]string, 0, len(header))
	for i := range d.Ledger {
		rec = ledgerRecord(&d.Ledger[i], rec, fee)
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteLedgerXLSX writes the same rows as WriteLedgerCSV to the sheet
// Ledger of a workbook. Dates are real date cells (dd/mm/yyyy). Amounts
// are text cells in the CSV's 1.250.000,00 form, not numbers: a numeric
// cell is a float64, and reading money back through a float is exactly
// what the readers must never do; text keeps every digit and makes the
// workbook and the CSV parse the same way. References are text too, so
// that a numeric oxpay_txn_id keeps its form.
//
// The workbook's bytes depend only on the rows: the document properties
// carry a fixed time and excelize writes its zip entries in a fixed order
// with no timestamps.
func (d *Dataset) WriteLedgerXLSX(w io.Writer) error {
	if len(d.Ledger)+1 > excelize.TotalRows {
		return fmt.Errorf("ledger has %d lines, more than one sheet holds (%d rows with the header)",
			len(d.Ledger), excelize.TotalRows)
	}
	f := excelize.NewFile()
	defer f.Close()
	fixed := d.Options.Start.UTC().Format(time.RFC3339)
	if err := f.SetDocProps(&excelize.DocProperties{
		Creator: "reconkit sandbox", LastModifiedBy: "reconkit sandbox",
		Title: "Ledger export", Created: fixed, Modified: fixed,
	}); err != nil {
		return fmt.Errorf("set document properties: %w", err)
	}
	if err := f.SetSheetName(f.GetSheetName(0), LedgerSheet); err != nil {
		return fmt.Errorf("name sheet: %w", err)
	}
	numFmt := "dd/mm/yyyy"
	dateStyle, err := f.NewStyle(&excelize.Style{CustomNumFmt: &numFmt})
	if err != nil {
		return fmt.Errorf("date style: %w", err)
	}
	sw, err := f.NewStreamWriter(LedgerSheet)
	if err != nil {
		return fmt.Errorf("stream sheet: %w", err)
	}
	for col, width := range []float64{12, 22, 48, 16, 16, 10, 16} {
		if err := sw.SetColWidth(col+1, col+1, width); err != nil {
			return fmt.Errorf("column width: %w", err)
		}
	}
	names := d.ledgerHeader()
	fee := len(names) > len(LedgerHeader)
	header := make([]any, len(names))
	for i, h := range names {
		header[i] = h
	}
	if err := sw.SetRow("A1", header); err != nil {
		return fmt.Errorf("header row: %w", err)
	}
	rec := make([]string, 0, len(names))
	row := make([]any, len(names))
	for i := range d.Ledger {
		l := &d.Ledger[i]
		rec = ledgerRecord(l, rec, fee)
		// excelize turns a time's wall clock into the serial date, so hand
		// it the booking date itself, not an instant.
		y, m, dd := l.Date.Date()
		row[0] = excelize.Cell{StyleID: dateStyle, Value: time.Date(y, m, dd, 0, 0, 0, 0, time.UTC)}
		for c := 1; c < len(rec); c++ {
			if rec[c] == "" {
				row[c] = nil
			} else {
				row[c] = rec[c]
			}
		}
		cell, err := excelize.CoordinatesToCellName(1, i+2)
		if err != nil {
			return fmt.Errorf("ledger line %d: %w", i+1, err)
		}
		if err := sw.SetRow(cell, row); err != nil {
			return fmt.Errorf("ledger line %d: %w", i+1, err)
		}
	}
	if err := sw.Flush(); err != nil {
		return fmt.Errorf("flush sheet: %w", err)
	}
	if _, err := f.WriteTo(w); err != nil {
		return err
	}
	return nil
}

// WriteExpected writes the answer key, sorted by category then ids.
func (d *Dataset) WriteExpected(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(ExpectedHeader); err != nil {
		return err
	}
	for _, a := range d.Anomalies {
		if err := cw.Write([]string{string(a.Category), a.OrderUID, a.PaymentLinkUID, a.OxpayTxnID,
			a.MerchantReferenceID, a.LedgerRef, a.Detail}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
