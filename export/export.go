// Package export writes the tables the Dinas exports (registrations,
// training participants, curation applications, broadcasts) as CSV or as
// an Excel workbook, so that no file can be turned against the people in
// it when an office worker opens it.
//
// Every cell goes through Neutralise (OWASP's rule against formula
// injection: a cell that starts with =, +, -, @, a tab or a carriage return
// gets a leading apostrophe), in CSV and in XLSX alike. In XLSX every cell
// is a text cell in a column formatted as text, so a NIK or a phone number
// never turns into a number in scientific notation; the header row is
// frozen and has a filter; one export is one sheet.
package export

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"
)

// Format is the kind of file an export writes.
type Format string

const (
	CSV  Format = "csv"
	XLSX Format = "xlsx"
)

// ParseFormat reads a --format flag.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(strings.TrimSpace(s))); f {
	case CSV, XLSX:
		return f, nil
	}
	return "", fmt.Errorf("unknown format %q: use csv or xlsx", s)
}

// Neutralise makes a cell safe to open in a spreadsheet: a value that
// starts with =, +, -, @, a tab or a carriage return could be taken for a
// formula (=HYPERLINK(…) sending a neighbouring NIK away), so it gets a
// leading apostrophe, which spreadsheets show as text.
func Neutralise(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

// Options tunes a Writer.
type Options struct {
	Sheet string // XLSX sheet name (at most 31 characters); default "Data"
	BOM   bool   // CSV: start with a UTF-8 byte order mark so Excel reads the accents right
}

// Writer writes one table: the header given to New, then rows.
type Writer struct {
	format Format
	out    io.Writer
	cols   int
	rows   int

	csv *csv.Writer

	xl    *excelize.File
	sw    *excelize.StreamWriter
	sheet string
}

// New starts a table with its header row on w. Close finishes it.
func New(w io.Writer, f Format, header []string, o Options) (*Writer, error) {
	t := &Writer{format: f, out: w, cols: len(header)}
	switch f {
	case CSV:
		if o.BOM {
			if _, err := io.WriteString(w, "\ufeff"); err != nil {
				return nil, err
			}
		}
		t.csv = csv.NewWriter(w)
	case XLSX:
		if err := t.startXLSX(o.Sheet); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("unknown format %q", f)
	}
	return t, t.write(header, true)
}

func (t *Writer) startXLSX(sheet string) error {
	if sheet == "" {
		sheet = "Data"
	}
	if len([]rune(sheet)) > 31 {
		sheet = string([]rune(sheet)[:31])
	}
	t.xl = excelize.NewFile()
	if err := t.xl.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	t.sheet = sheet
	sw, err := t.xl.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	t.sw = sw
	// Built-in number format 49 is "@": text. Typing into a cell of these
	// columns keeps it text too.
	text, err := t.xl.NewStyle(&excelize.Style{NumFmt: 49})
	if err != nil {
		return err
	}
	if t.cols > 0 {
		if err := sw.SetColStyle(1, t.cols, text); err != nil {
			return err
		}
		if err := sw.SetColWidth(1, t.cols, 18); err != nil {
			return err
		}
	}
	return sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"})
}

// Row writes one row; each cell is neutralised.
func (t *Writer) Row(cells []string) error { return t.write(cells, false) }

func (t *Writer) write(cells []string, header bool) error {
	safe := make([]string, len(cells))
	for i, c := range cells {
		safe[i] = Neutralise(c)
	}
	if t.format == CSV {
		return t.csv.Write(safe)
	}
	vals := make([]any, len(safe))
	for i, c := range safe {
		vals[i] = c // a Go string is always written as a text cell
	}
	t.rows++
	cell, err := excelize.CoordinatesToCellName(1, t.rows)
	if err != nil {
		return err
	}
	var opts []excelize.RowOpts
	if header {
		bold, err := t.xl.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, NumFmt: 49})
		if err != nil {
			return err
		}
		opts = append(opts, excelize.RowOpts{StyleID: bold})
	}
	return t.sw.SetRow(cell, vals, opts...)
}

// Close finishes the file: flushes the CSV, or writes the workbook with
// the filter on the header row.
func (t *Writer) Close() error {
	if t.format == CSV {
		t.csv.Flush()
		return t.csv.Error()
	}
	defer t.xl.Close()
	if err := t.sw.Flush(); err != nil {
		return err
	}
	if t.cols > 0 {
		last, err := excelize.CoordinatesToCellName(t.cols, max(t.rows, 1))
		if err != nil {
			return err
		}
		if err := t.xl.AutoFilter(t.sheet, "A1:"+last, nil); err != nil {
			return err
		}
	}
	return t.xl.Write(t.out)
}
