package reports

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
)

// How the workbook prints (or exports to PDF). Every data sheet prints
// landscape on A4, its printed columns (sheetSpec.printCols) fitted to
// one page wide and as many pages tall as its rows need, its header row
// repeated on every page, with grid lines; the Summary prints portrait,
// fitted to one page wide, the chart kept whole on the first page. Every
// page's footer names the sheet, the business date and the page.

// printMargins are the data sheets' margins, in inches: narrow, for
// room across.
const printMargins = `<pageMargins left="0.4" right="0.4" top="0.5" bottom="0.6" header="0.3" footer="0.3"/>`

// paperA4 is SpreadsheetML's paper size code for A4, the paper of the
// zones the product serves.
const paperA4 = 9

// footer is every page's footer: the sheet's name on the left, the
// business date in the middle, the page on the right. The date is
// digits and dashes, so it holds none of the footer's & codes.
func (b *builder) footer() string {
	return "&L&A&CBusiness date " + b.businessDate() + "&RPage &P of &N"
}

// businessDate is the date the report covers, as the Summary says it.
func (b *builder) businessDate() string {
	switch {
	case b.opts.BusinessDate != "":
		return b.opts.BusinessDate
	case b.date != "":
		return b.date
	}
	return "(not set)"
}

// printSetup returns a data sheet's print elements, in the order the
// worksheet schema wants them after the autofilter. The sheet's
// pageSetUpPr fitToPage (writeHead) makes Excel and Calc honour
// fitToWidth; fitToHeight 0 lets the rows run to as many pages as they
// need.
func (b *builder) printSetup() string {
	var f strings.Builder
	f.WriteString(`<printOptions gridLines="1"/>`)
	f.WriteString(printMargins)
	f.WriteString(`<pageSetup paperSize="` + strconv.Itoa(paperA4) + `" orientation="landscape" fitToWidth="1" fitToHeight="0"/>`)
	f.WriteString(`<headerFooter><oddFooter>`)
	f.Write(appendEscaped(nil, b.footer()))
	f.WriteString(`</oddFooter></headerFooter>`)
	return f.String()
}

// quoteSheet quotes a sheet name for a reference: 'Refunds & voids'.
func quoteSheet(name string) string {
	return "'" + strings.ReplaceAll(name, "'", "''") + "'"
}

// setPrintNames names a data sheet's print titles (its header row,
// repeated on every page) and print area (its printed columns, every
// row) in the workbook, where Excel and Calc look for them.
func setPrintNames(f *excelize.File, spec *sheetSpec, p *part) error {
	h := strconv.Itoa(p.headerRow())
	for _, d := range []excelize.DefinedName{
		{Name: "_xlnm.Print_Titles", Scope: p.name, RefersTo: quoteSheet(p.name) + "!$" + h + ":$" + h},
		{Name: "_xlnm.Print_Area", Scope: p.name, RefersTo: fmt.Sprintf("%s!$A$1:$%s$%d", quoteSheet(p.name), colName(spec.printCols), p.lastRow())},
	} {
		if err := f.SetDefinedName(&d); err != nil {
			return fmt.Errorf("print setup of sheet %s: %w", p.name, err)
		}
	}
	return nil
}
