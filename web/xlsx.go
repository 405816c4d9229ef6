package web

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"io"
	"strconv"
	"strings"
)

// writeXLSX writes a one-sheet Excel workbook (Office Open XML) of header
// and rows. Every cell is an inline string, which spreadsheets show as
// text and never evaluate, so no cell can run as a formula and numbers
// such as phone numbers or NIBs keep their leading + or 0.
func writeXLSX(w io.Writer, sheet string, header []string, rows func(row func([]string))) error {
	z := zip.NewWriter(w)
	file := func(name, body string) error {
		f, err := z.Create(name)
		if err != nil {
			return err
		}
		_, err = io.WriteString(f, xml.Header+body)
		return err
	}
	const (
		ns   = `xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"`
		rels = `xmlns="http://schemas.openxmlformats.org/package/2006/relationships"`
		doc  = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
	)
	parts := []struct{ name, body string }{
		{"[Content_Types].xml", `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
			`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
			`<Default Extension="xml" ContentType="application/xml"/>` +
			`<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>` +
			`<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>` +
			`</Types>`},
		{"_rels/.rels", `<Relationships ` + rels + `><Relationship Id="rId1" Type="` + doc + `/officeDocument" Target="xl/workbook.xml"/></Relationships>`},
		{"xl/workbook.xml", `<workbook ` + ns + ` xmlns:r="` + doc + `"><sheets><sheet name="` + xmlText(sheet) + `" sheetId="1" r:id="rId1"/></sheets></workbook>`},
		{"xl/_rels/workbook.xml.rels", `<Relationships ` + rels + `><Relationship Id="rId1" Type="` + doc + `/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`},
	}
	for _, p := range parts {
		if err := file(p.name, p.body); err != nil {
			return err
		}
	}
	f, err := z.Create("xl/worksheets/sheet1.xml")
	if err != nil {
		return err
	}
	var b bytes.Buffer
	b.WriteString(xml.Header + `<worksheet ` + ns + `><sheetData>`)
	n := 0
	var werr error
	row := func(cells []string) {
		if werr != nil {
			return
		}
		n++
		r := strconv.Itoa(n)
		b.WriteString(`<row r="` + r + `">`)
		for i, c := range cells {
			b.WriteString(`<c r="` + column(i) + r + `" t="inlineStr"><is><t xml:space="preserve">` + xmlText(c) + `</t></is></c>`)
		}
		b.WriteString(`</row>`)
		if b.Len() > 64<<10 {
			_, werr = f.Write(b.Bytes())
			b.Reset()
		}
	}
	row(header)
	rows(row)
	b.WriteString(`</sheetData></worksheet>`)
	if werr != nil {
		return werr
	}
	if _, err := f.Write(b.Bytes()); err != nil {
		return err
	}
	return z.Close()
}

// column names the i-th column (0: A, 25: Z, 26: AA).
func column(i int) string {
	s := ""
	for i++; i > 0; i = (i - 1) / 26 {
		s = string(rune('A'+(i-1)%26)) + s
	}
	return s
}

// xmlText escapes s for XML text; characters XML cannot hold become U+FFFD.
func xmlText(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}
