package ingest

import (
	"archive/zip"
	"encoding/xml"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/xuri/excelize/v2"
)

// cellTypes tells which cells of a worksheet are numbers. excelize's row
// iterator returns every cell as a string, and a raw value alone cannot
// tell the number 1.125 from the text "1.125" (1125 written with a
// thousands dot), which would be read a thousand times apart. So the
// worksheet's XML is streamed a second time, alongside the iterator,
// keeping only each cell's position and type attribute.
type cellTypes struct {
	zr   *zip.ReadCloser
	rc   io.ReadCloser
	dec  *xml.Decoder
	cur  int    // the last row read
	num  []bool // its numeric cells, by 0-based column
	done bool
}

// openCellTypes finds sheet's XML part in the workbook at file.
func openCellTypes(file, sheet string) (*cellTypes, error) {
	zr, err := zip.OpenReader(file)
	if err != nil {
		return nil, err
	}
	part, err := sheetPart(&zr.Reader, sheet)
	if err != nil {
		zr.Close()
		return nil, err
	}
	f := findZip(&zr.Reader, part)
	if f == nil {
		zr.Close()
		return nil, fmt.Errorf("sheet %q: part %s is missing", sheet, part)
	}
	rc, err := f.Open()
	if err != nil {
		zr.Close()
		return nil, err
	}
	return &cellTypes{zr: zr, rc: rc, dec: xml.NewDecoder(rc)}, nil
}

func (ct *cellTypes) Close() error {
	ct.rc.Close()
	return ct.zr.Close()
}

// numeric returns the numeric cells of row no (1-based), by 0-based
// column. Rows must be asked for in increasing order.
func (ct *cellTypes) numeric(no int) ([]bool, error) {
	for !ct.done && ct.cur < no {
		if err := ct.readRow(); err != nil {
			return nil, err
		}
	}
	if ct.cur == no {
		return ct.num, nil
	}
	return nil, nil
}

// readRow reads the next <row> element.
func (ct *cellTypes) readRow() error {
	ct.num = ct.num[:0]
	inRow := false
	col := 0
	for {
		tok, err := ct.dec.Token()
		if err == io.EOF {
			ct.done = true
			return nil
		}
		if err != nil {
			return err
		}
		switch el := tok.(type) {
		case xml.StartElement:
			switch el.Name.Local {
			case "row":
				inRow = true
				ct.cur++
				if r := attr(el, "r"); r != "" {
					var n int
					if _, err := fmt.Sscan(r, &n); err == nil && n > 0 {
						ct.cur = n
					}
				}
			case "c":
				if !inRow {
					continue
				}
				col++
				if ref := attr(el, "r"); ref != "" {
					if c, _, err := excelize.CellNameToCoordinates(ref); err == nil {
						col = c
					}
				}
				if t := attr(el, "t"); t == "" || t == "n" {
					for len(ct.num) < col {
						ct.num = append(ct.num, false)
					}
					ct.num[col-1] = true
				}
			}
		case xml.EndElement:
			if el.Name.Local == "row" && inRow {
				return nil
			}
			if el.Name.Local == "sheetData" {
				ct.done = true
				return nil
			}
		}
	}
}

func attr(el xml.StartElement, name string) string {
	for _, a := range el.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// sheetPart resolves a sheet name to its XML part: the package's
// relationships name the workbook part (xl/workbook.xml in every file
// Excel writes), and the workbook's relationships name each sheet's.
func sheetPart(zr *zip.Reader, sheet string) (string, error) {
	type relationships struct {
		Rels []struct {
			ID     string `xml:"Id,attr"`
			Type   string `xml:"Type,attr"`
			Target string `xml:"Target,attr"`
		} `xml:"Relationship"`
	}
	workbook := "xl/workbook.xml"
	var root relationships
	if readZipXML(zr, "_rels/.rels", &root) == nil {
		for _, r := range root.Rels {
			if strings.HasSuffix(r.Type, "/officeDocument") {
				workbook = strings.TrimPrefix(path.Clean("/"+r.Target), "/")
			}
		}
	}
	var wb struct {
		Sheets []struct {
			Name string `xml:"name,attr"`
			ID   string `xml:"id,attr"` // r:id
		} `xml:"sheets>sheet"`
	}
	if err := readZipXML(zr, workbook, &wb); err != nil {
		return "", err
	}
	id := ""
	for _, s := range wb.Sheets {
		if strings.EqualFold(s.Name, sheet) {
			id = s.ID
			break
		}
	}
	dir, file := path.Split(workbook)
	var rels relationships
	if err := readZipXML(zr, dir+"_rels/"+file+".rels", &rels); err != nil {
		return "", err
	}
	for _, r := range rels.Rels {
		if id != "" && r.ID == id {
			if strings.HasPrefix(r.Target, "/") {
				return strings.TrimPrefix(r.Target, "/"), nil
			}
			return path.Join(dir, r.Target), nil
		}
	}
	return "", fmt.Errorf("sheet %q: no worksheet part", sheet)
}

func readZipXML(zr *zip.Reader, name string, v any) error {
	f := findZip(zr, name)
	if f == nil {
		return fmt.Errorf("%s is missing", name)
	}
	rc, err := f.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	if err := xml.NewDecoder(rc).Decode(v); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// findZip finds a part by name, ignoring case as Excel does.
func findZip(zr *zip.Reader, name string) *zip.File {
	for _, f := range zr.File {
		if f.Name == name {
			return f
		}
	}
	for _, f := range zr.File {
		if strings.EqualFold(f.Name, name) {
			return f
		}
	}
	return nil
}
