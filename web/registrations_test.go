package web

import (
	"context"
	"encoding/csv"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/net/html"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
	"github.com/umkmbot/umkmbot/flows"
)

// TestRegistrationSearch: each kind of search and filter finds what an
// officer would expect, newest first.
func TestRegistrationSearch(t *testing.T) {
	w := newWorld(t)
	siti := w.register("Siti Aminah", "Keripik Bu Siti", "Plered", "kuliner", "mikro", "+6281234567890")
	budi := w.register("Budi Santoso", "Bengkel Budi", "Campaka", "jasa", "kecil", "+6285711112222")
	ani := w.register("Ani Rahayu", "Batik Ani", "Plered", "fesyen", "mikro", "+6289933334444")
	c := w.login("petugas")
	for query, want := range map[string][]string{
		"":                                    {ani.ID, budi.ID, siti.ID},
		"q=siti":                              {siti.ID},
		"q=BENGKEL":                           {budi.ID},
		"q=" + ani.ID:                         {ani.ID},
		"q=campaka":                           {budi.ID},
		"q=7890":                              {siti.ID},
		"q=" + url.QueryEscape("2222"):        {budi.ID},
		"kecamatan=Plered":                    {ani.ID, siti.ID},
		"sector=fesyen":                       {ani.ID},
		"size=kecil":                          {budi.ID},
		"kecamatan=Plered&size=mikro&q=batik": {ani.ID},
		"q=tidak-ada":                         nil,
		"q=sit":                               {siti.ID},
		"q=anjun+plered":                      {ani.ID, siti.ID},
		"q=bu+sit":                            {siti.ID},
		"q=" + siti.NIK:                       {siti.ID},
		"q=" + url.QueryEscape(strings.ToLower(strings.ReplaceAll(budi.ID, "-", " "))): {budi.ID},
		"status=no_nib&sector=jasa": {budi.ID},
		"status=nib":                nil,
	} {
		res := c.get("/registrations?" + query)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", query, res.StatusCode)
		}
		if got := ids(res.body); !slices.Equal(got, want) {
			t.Errorf("%q found %v, want %v", query, got, want)
		}
	}
}

// TestRegistrationPaging: pages of PageSize, links keep the filter.
func TestRegistrationPaging(t *testing.T) {
	w := newWorld(t, func(c *Config) { c.PageSize = 2 })
	var all []string
	for i := range 5 {
		r := w.register("Pemilik "+itoa(i), "Usaha "+itoa(i), "Plered", "kuliner", "mikro", "+628123456700"+itoa(i))
		all = append([]string{r.ID}, all...)
	}
	w.register("Lain", "Di Campaka", "Campaka", "kuliner", "mikro", "+6281234567999")
	c := w.login("petugas")
	link := func(body, rel string) string {
		m := regexp.MustCompile(`rel="` + rel + `" href="/registrations\?([^"]*)"`).FindStringSubmatch(body)
		if m == nil {
			return ""
		}
		return strings.ReplaceAll(m[1], "&amp;", "&")
	}
	page := c.get("/registrations?kecamatan=Plered")
	for n, want := range [][]string{all[:2], all[2:4], all[4:]} {
		if got := ids(page.body); !slices.Equal(got, want) {
			t.Fatalf("page %d: %v, want %v", n+1, got, want)
		}
		if !strings.Contains(page.text, "Halaman "+itoa(n+1)+" dari 3") {
			t.Fatalf("page %d does not say so", n+1)
		}
		next := link(page.body, "next")
		if n == 2 {
			if next != "" {
				t.Fatalf("the last page links to %q", next)
			}
			break
		}
		if q, _ := url.ParseQuery(next); q.Get("kecamatan") != "Plered" || q.Get("page") != itoa(n+2) || q.Get("after") == "" {
			t.Fatalf("page %d links to %q, want the filter, page %d and a cursor", n+1, next, n+2)
		}
		page = c.get("/registrations?" + next)
	}
	for n := 1; n >= 0; n-- { // and back
		prev := link(page.body, "prev")
		if q, _ := url.ParseQuery(prev); q.Get("kecamatan") != "Plered" {
			t.Fatalf("page %d links back to %q", n+2, prev)
		}
		page = c.get("/registrations?" + prev)
		if got := ids(page.body); !slices.Equal(got, all[2*n:2*n+2]) {
			t.Fatalf("back to page %d: %v, want %v", n+1, got, all[2*n:2*n+2])
		}
	}
	if link(page.body, "prev") != "" {
		t.Fatal("the first page links back")
	}
	if got := ids(c.get("/registrations?kecamatan=Plered&page=2").body); !slices.Equal(got, all[2:4]) {
		t.Fatalf("page 2 by number: %v, want %v", got, all[2:4])
	}
	if got := ids(c.get("/registrations?kecamatan=Plered&page=99").body); !slices.Equal(got, all[4:]) {
		t.Fatalf("a page past the end shows %v, want the last page", got)
	}
}

// TestExportCSV: the export follows the filter, oldest first, phone
// masked, and formula cells are neutralised.
func TestExportCSV(t *testing.T) {
	w := newWorld(t)
	a := w.register("Siti", "=HYPERLINK(\"http://x\",\"klik\")", "Plered", "kuliner", "mikro", "+6281234567890")
	b := w.register("Budi", "@SUM(A1)", "Plered", "kuliner", "mikro", "+6281234567891")
	w.register("Ani", "Batik Ani", "Campaka", "fesyen", "mikro", "+6281234567892")
	res := w.login("petugas").get("/export/registrations.csv?kecamatan=Plered")
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") ||
		!strings.Contains(res.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("export: %d %q %q", res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("Content-Disposition"))
	}
	rows, err := csv.NewReader(strings.NewReader(res.body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"registration_id", "business_name", "phone"},
		{a.ID, `'=HYPERLINK("http://x","klik")`, "'+62812****7890"},
		{b.ID, "'@SUM(A1)", "'+62812****7891"},
	}
	if !slices.EqualFunc(rows, want, slices.Equal) {
		t.Fatalf("export rows:\n%v\nwant\n%v", rows, want)
	}
}

// TestRegistrationCorrect: a petugas corrects fields; bad values come back
// with their messages and change nothing; a form older than the record is
// refused; the audit log names the fields, not their values.
func TestRegistrationCorrect(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	reg := w.register("Siti Aminah", "Keripik Bu Siti", "Plered", "kuliner", "mikro", "+6281234567890")
	off := w.login("petugas")
	form := func(page response) url.Values {
		doc, err := html.Parse(strings.NewReader(page.body))
		if err != nil {
			t.Fatal(err)
		}
		v := url.Values{}
		var walk func(n *html.Node)
		walk = func(n *html.Node) {
			if n.Type == html.ElementNode {
				a := map[string]string{}
				for _, at := range n.Attr {
					a[at.Key] = at.Val
				}
				switch {
				case n.Data == "input" && a["name"] != "":
					v.Set(a["name"], a["value"])
				case n.Data == "option":
					if _, selected := a["selected"]; selected || v.Get(attr(n.Parent, "name")) == "" {
						v.Set(attr(n.Parent, "name"), a["value"])
					}
				}
			}
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				walk(c)
			}
		}
		walk(doc)
		return v
	}
	page := off.get("/registrations/" + reg.ID + "/edit")
	if page.StatusCode != http.StatusOK {
		t.Fatalf("form: %d", page.StatusCode)
	}
	v := form(page)
	if v.Get("owner") != "Siti Aminah" || v.Get("kecamatan") != "Plered" || v.Get("sector") != "kuliner" || v.Get("version") == "" {
		t.Fatalf("form values %v", v)
	}

	bad := url.Values{}
	for k := range v {
		bad.Set(k, v.Get(k))
	}
	bad.Set("owner", "")
	bad.Set("phone", "12345")
	bad.Set("nib", "123")
	bad.Set("kecamatan", "Atlantis")
	res := off.post("/registrations/"+reg.ID, bad)
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("bad form: %d", res.StatusCode)
	}
	for _, id := range []string{"web.correct.error.text", "web.correct.error.phone", "web.correct.error.nib", "web.correct.error.choose"} {
		if !strings.Contains(res.text, w.cfg.Catalog.Render("id", bot.T(id))) {
			t.Errorf("bad form lacks %s", id)
		}
	}
	if got, _ := w.store.Registration(ctx, reg.ID); got.OwnerName != "Siti Aminah" || got.Phone != reg.Phone {
		t.Fatalf("a refused form changed the record: %+v", got)
	}

	v.Set("phone", "0857 1111 2222")
	v.Set("kecamatan", "Campaka")
	v.Set("nib", "1234 5678 90123")
	res = off.post("/registrations/"+reg.ID, v)
	if res.StatusCode != http.StatusSeeOther || !strings.Contains(res.Header.Get("Location"), "corrected=") {
		t.Fatalf("correct: %d %q\n%s", res.StatusCode, res.Header.Get("Location"), res.text)
	}
	got, _ := w.store.Registration(ctx, reg.ID)
	if got.Phone != "+6285711112222" || got.Kecamatan != "Campaka" || got.NIB != "1234567890123" || got.NIK != reg.NIK || got.OwnerName != "Siti Aminah" {
		t.Fatalf("after correction: %+v", got)
	}
	if ids, _ := w.store.RegistrationsByNIK(ctx, w.cfg.Region.Code, reg.NIK); len(ids) != 1 || ids[0] != reg.ID {
		t.Fatalf("NIK index after correction: %v", ids)
	}
	if page := off.get(res.Header.Get("Location")); !strings.Contains(page.text, "Perbaikan tersimpan") {
		t.Errorf("the detail does not confirm the correction")
	}
	entries, _ := w.store.AuditLog(0).Recent(ctx, 1)
	if len(entries) != 1 || entries[0].Action != "registration.correct" || entries[0].Detail != "phone,kecamatan,nib" {
		t.Fatalf("audit entry %+v", entries)
	}

	// The same (now stale) form again: refused, nothing changed.
	v.Set("owner", "Siti A.")
	if res := off.post("/registrations/"+reg.ID, v); res.StatusCode != http.StatusConflict {
		t.Fatalf("stale form: %d", res.StatusCode)
	}
	if got, _ := w.store.Registration(ctx, reg.ID); got.OwnerName != "Siti Aminah" {
		t.Fatalf("a stale form changed the record")
	}
}

// TestExportXLSX: the Excel download holds the same rows as the CSV, every
// part is well-formed XML, every cell is an inline string (a spreadsheet
// never evaluates it), so formula text and "+62…" arrive as typed.
func TestExportXLSX(t *testing.T) {
	w := newWorld(t)
	a := w.register("Siti", "=HYPERLINK(\"http://x\",\"klik\")", "Plered", "kuliner", "mikro", "+6281234567890")
	w.register("Budi", "Bengkel & Las <Budi>", "Plered", "jasa", "mikro", "+6281234567891")
	res := w.login("petugas").get("/export/registrations.xlsx?kecamatan=Plered")
	if res.StatusCode != http.StatusOK || !strings.Contains(res.Header.Get("Content-Type"), "spreadsheetml") ||
		!strings.Contains(res.Header.Get("Content-Disposition"), ".xlsx") {
		t.Fatalf("xlsx: %d %q %q", res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("Content-Disposition"))
	}
	// Read back as Excel would: every cell a text cell, no formula, the
	// cells a spreadsheet could run neutralised as in the CLI's exports.
	f, err := excelize.OpenReader(strings.NewReader(res.body))
	if err != nil {
		t.Fatalf("not a workbook: %v", err)
	}
	defer f.Close()
	got, err := f.GetRows("Data")
	if err != nil {
		t.Fatal(err)
	}
	for r := range got {
		for c := range got[r] {
			cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
			if typ, _ := f.GetCellType("Data", cell); typ != excelize.CellTypeSharedString && typ != excelize.CellTypeInlineString && typ != excelize.CellTypeUnset {
				t.Fatalf("cell %s is of type %v, want text", cell, typ)
			}
			if fm, _ := f.GetCellFormula("Data", cell); fm != "" {
				t.Fatalf("cell %s has the formula %q", cell, fm)
			}
		}
	}
	want := [][]string{{"registration_id", "business_name", "phone"},
		{a.ID, `'=HYPERLINK("http://x","klik")`, "'+62812****7890"}}
	if len(got) != 3 || !slices.Equal(got[0], want[0]) || !slices.Equal(got[1], want[1]) || got[2][1] != "Bengkel & Las <Budi>" {
		t.Fatalf("sheet rows %q", got)
	}
	if res := w.login("petugas").get("/export/registrations.pdf"); res.StatusCode != http.StatusNotFound {
		t.Fatalf("an unknown format: %d", res.StatusCode)
	}
}

func ids(body string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`href="/registrations/(UMKM-[0-9-]+)"`).FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

func TestRegistrationSearchByNIKNeedsFullRole(t *testing.T) {
	w := newWorld(t)
	siti := w.register("Siti Aminah", "Keripik Bu Siti", "Plered", "kuliner", "mikro", "+6281234567890")
	if got := ids(w.login("pengamat").get("/registrations?q=" + siti.NIK).body); got != nil {
		t.Fatalf("a pengamat found %v by NIK", got)
	}
	if got := ids(w.login("petugas").get("/registrations?q=" + siti.NIK).body); !slices.Equal(got, []string{siti.ID}) {
		t.Fatalf("a petugas found %v by NIK, want %s", got, siti.ID)
	}
}

func TestRegistrationsProvince(t *testing.T) {
	region, err := flows.LoadRegion("banten")
	if err != nil {
		t.Fatal(err)
	}
	w := newWorld(t, func(c *Config) { c.Region = region })
	ctx := context.Background()
	add := func(unit, owner, kec string) *umkm.Registration {
		regSeq++
		r := &umkm.Registration{Region: unit, RegisteredAt: time.Now().Add(time.Duration(regSeq) * time.Second), OwnerName: owner, NIK: "367301550300" + itoa(1000+regSeq),
			BusinessName: "Usaha " + owner, Sector: "kuliner", Kecamatan: kec, SizeClass: "mikro",
			Conv: bot.Conversation{Channel: bot.Telegram, User: "p" + itoa(regSeq)}}
		if err := w.store.CreateRegistration(ctx, r, 1); err != nil {
			t.Fatal(err)
		}
		return r
	}
	serang := add("36.73", "Siti Serang", "Curug")
	tangerang := add("36.03", "Siti Tangerang", "Curug")
	lebak := add("36.02", "Budi Lebak", "Rangkasbitung")
	c := w.login("petugas")
	for query, want := range map[string][]string{
		"":                       {lebak.ID, tangerang.ID, serang.ID},
		"kabkota=36.73":          {serang.ID},
		"kecamatan=Curug":        {tangerang.ID, serang.ID},
		"q=siti&kabkota=36.03":   {tangerang.ID},
		"q=1":                    {lebak.ID, tangerang.ID, serang.ID}, // number 1 of each kabupaten/kota
		"q=000001&kabkota=36.02": {lebak.ID},
		"q=" + lebak.ID:          {lebak.ID},
		"q=rangkas":              {lebak.ID},
	} {
		res := c.get("/registrations?" + query)
		if got := ids(res.body); !slices.Equal(got, want) {
			t.Errorf("%q found %v, want %v", query, got, want)
		}
	}
	body := c.get("/registrations").text
	for _, want := range []string{"Kota Serang", "Kabupaten Tangerang", "Kabupaten Lebak", "Rangkasbitung"} {
		if !strings.Contains(body, want) {
			t.Errorf("the province's list does not show %q", want)
		}
	}
	dash := c.get("/").body
	for _, want := range []string{"3 usaha terdaftar", `href="/registrations?kabkota=36.73"`,
		`href="/registrations?kabkota=36.03&amp;kecamatan=Curug"`, "Curug (Kabupaten Tangerang)", "Curug (Kota Serang)"} {
		if !strings.Contains(dash, want) {
			t.Errorf("the province's dashboard lacks %q", want)
		}
	}
}
