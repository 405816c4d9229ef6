package export

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

func TestNeutralise(t *testing.T) {
	for in, want := range map[string]string{
		"":                   "",
		"Warung Bu Siti":     "Warung Bu Siti",
		"=1+1":               "'=1+1",
		"+cmd|' /C calc'!A0": "'+cmd|' /C calc'!A0",
		"-2+3":               "'-2+3",
		"@SUM(1+1)":          "'@SUM(1+1)",
		"\t=1":               "'\t=1",
		"\r=1":               "'\r=1",
		"a=1":                "a=1",
		"'already":           "'already",
		"3214010101900001":   "3214010101900001",
	} {
		if got := Neutralise(in); got != want {
			t.Errorf("Neutralise(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCSVBOM(t *testing.T) {
	for _, bom := range []bool{false, true} {
		var b bytes.Buffer
		w, err := New(&b, CSV, []string{"a", "b"}, Options{BOM: bom})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Row([]string{"=x", "Kuliner (makanan & minuman)"}); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		got := b.String()
		if has := strings.HasPrefix(got, "\ufeff"); has != bom {
			t.Fatalf("bom %v: output starts %q", bom, got[:4])
		}
		recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(got, "\ufeff"))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if recs[1][0] != "'=x" {
			t.Fatalf("cell = %q, want '=x", recs[1][0])
		}
	}
}

func TestXLSXTextFrozenFiltered(t *testing.T) {
	var b bytes.Buffer
	w, err := New(&b, XLSX, []string{"nik", "phone", "name"}, Options{Sheet: "Registrasi"})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Row([]string{"3214010101900001", "+6281234567890", "=HYPERLINK(\"x\")"}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&b)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.GetSheetList(); len(got) != 1 || got[0] != "Registrasi" {
		t.Fatalf("sheets = %v", got)
	}
	for cell, want := range map[string]string{"A2": "3214010101900001", "B2": "'+6281234567890", "C2": `'=HYPERLINK("x")`} {
		v, _ := f.GetCellValue("Registrasi", cell)
		typ, _ := f.GetCellType("Registrasi", cell)
		if v != want {
			t.Errorf("%s = %q, want %q", cell, v, want)
		}
		if typ != excelize.CellTypeSharedString && typ != excelize.CellTypeInlineString {
			t.Errorf("%s has type %v, want a text cell", cell, typ)
		}
		if formula, _ := f.GetCellFormula("Registrasi", cell); formula != "" {
			t.Errorf("%s has a formula %q", cell, formula)
		}
	}
	panes, err := f.GetPanes("Registrasi")
	if err != nil || !panes.Freeze || panes.YSplit != 1 {
		t.Errorf("panes = %+v, %v; want the header row frozen", panes, err)
	}
	filters, err := f.GetDefinedName(), error(nil)
	found := false
	for _, d := range filters {
		if d.Name == "_xlnm._FilterDatabase" && strings.Contains(d.RefersTo, "$A$1:$C$2") {
			found = true
		}
	}
	if !found || err != nil {
		t.Errorf("no filter on A1:C2; defined names %+v", filters)
	}
}

// FuzzNeutralise: no neutralised cell starts with a character a
// spreadsheet evaluates, and removing the added apostrophe gives the
// value back.
func FuzzNeutralise(f *testing.F) {
	for _, s := range []string{"", "=1+1", "+62812", "-", "@x", "\t=1", "\r=1", "Warung", "'=1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Neutralise(s)
		if got != "" && strings.ContainsRune("=+-@\t\r", rune(got[0])) {
			t.Fatalf("Neutralise(%q) = %q starts with a formula character", s, got)
		}
		if got != s && got != "'"+s {
			t.Fatalf("Neutralise(%q) = %q changed more than a leading apostrophe", s, got)
		}
	})
}
