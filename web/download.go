package web

import (
	"log/slog"
	"net/http"

	"github.com/umkmbot/umkmbot/export"
)

// Downloads of the console (registrations, participants) as CSV or Excel.

// exportFormat reads the format of a download from its file name
// ("registrations.xlsx"): csv or xlsx, or "" for another name.
func exportFormat(r *http.Request, base string) string {
	switch r.PathValue("file") {
	case base + ".csv":
		return "csv"
	case base + ".xlsx":
		return "xlsx"
	}
	return ""
}

// writeTable sends a download of header and rows as CSV or, with format
// "xlsx", an Excel workbook (text cells, header frozen and filtered), both
// through package export, as the CLI's exports: every cell a spreadsheet
// could run as a formula gets a leading apostrophe. name has no extension.
func writeTable(w http.ResponseWriter, format, name string, header []string, rows func(row func([]string)), log *slog.Logger) {
	f := export.CSV
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	if format == "xlsx" {
		f = export.XLSX
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	}
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+"."+string(f)+`"`)
	t, err := export.New(w, f, header, export.Options{Sheet: "Data"})
	if err != nil {
		log.Warn("web: download cut off", "file", name, "err", err)
		return
	}
	rows(func(cells []string) {
		if err == nil {
			err = t.Row(cells)
		}
	})
	if cerr := t.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		log.Warn("web: download cut off", "file", name, "err", err)
	}
}
