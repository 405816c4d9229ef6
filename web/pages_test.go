package web

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"io/fs"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/net/html"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
	"github.com/umkmbot/umkmbot/flows"
)

// ids returns the registration numbers a list page links to, in order.
func ids(body string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`href="/registrations/(UMKM-[0-9-]+)"`).FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

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

// TestRegistrationSearchByNIKNeedsFullRole: a pengamat, who sees NIKs
// masked, cannot find a registration by its NIK either.
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

// TestRegistrationsProvince: a deployment of several kabupaten/kota lists
// the registrations of all of them, filters by one, and its number search
// looks in each.
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

// TestRegistrationPaging: pages of PageSize; the next and previous links
// keep the filter and carry a cursor; an address with a page number only
// (a bookmark) shows that page, one past the end the last.
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

// TestTrainingForms: a petugas creates a training from the form, a bad
// form comes back with its errors and values, an edit below the seats
// taken is refused, open and close work.
func TestTrainingForms(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	c := w.login("petugas")
	form := validTrainingForm("Foto produk dengan HP")
	form["kecamatan"] = []string{"Plered", "Bukan Kecamatan"}
	form["sectors"] = []string{"kuliner"}
	form["sizes"] = []string{"mikro"}
	res := c.post("/trainings", form)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d\n%s", res.StatusCode, res.body)
	}
	all, _ := w.store.AllTrainings(ctx)
	if len(all) != 1 {
		t.Fatalf("%d trainings", len(all))
	}
	tr := all[0]
	if tr.Title != "Foto produk dengan HP" || tr.Capacity != 20 || tr.Status != umkm.TrainingOpen ||
		!slices.Equal(tr.Kecamatan, []string{"Plered"}) || !slices.Equal(tr.Sectors, []string{"kuliner"}) ||
		tr.Start.In(bot.Jakarta).Format(formTime) != form.Get("start") {
		t.Fatalf("stored %+v", tr)
	}
	if res := c.get(res.Header.Get("Location")); !strings.Contains(res.body, "Foto produk dengan HP") {
		t.Fatalf("the list does not show the new training")
	}

	bad := validTrainingForm("")
	bad.Set("end", bad.Get("start"))
	bad.Set("capacity", "nol")
	bad.Set("place", "Aula <b>Desa</b>")
	res = c.post("/trainings", bad)
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("bad form: %d", res.StatusCode)
	}
	for _, id := range []string{"web.training.error.title", "web.training.error.end", "web.training.error.capacity"} {
		if !strings.Contains(res.text, w.cfg.Catalog.Render("id", bot.T(id))) {
			t.Errorf("bad form lacks %s", id)
		}
	}
	if !strings.Contains(res.body, `value="Aula &lt;b&gt;Desa&lt;/b&gt;"`) {
		t.Errorf("bad form does not keep the place as typed")
	}
	if all, _ := w.store.AllTrainings(ctx); len(all) != 1 {
		t.Fatalf("a bad form stored a training")
	}

	// Fill 2 seats, then try to lower the capacity to 1.
	for i := range 2 {
		e := umkm.Enrolment{Training: tr.ID, Conv: bot.Conversation{Channel: bot.Telegram, User: "p" + itoa(i)}, Registration: "UMKM-3214-00000" + itoa(i), At: time.Now()}
		if _, err := w.store.Enrol(ctx, e, false); err != nil {
			t.Fatal(err)
		}
	}
	edit := validTrainingForm("Foto produk dengan HP")
	edit.Set("capacity", "1")
	if res := c.post("/trainings/"+tr.ID, edit); res.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(res.text, w.cfg.Catalog.Render("id", bot.T("web.training.error.below_taken"))) {
		t.Fatalf("capacity below the seats taken: %d", res.StatusCode)
	}
	edit.Set("capacity", "40")
	if res := c.post("/trainings/"+tr.ID, edit); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit: %d %s", res.StatusCode, res.body)
	}
	if got, _ := w.store.Training(ctx, tr.ID); got.Capacity != 40 || got.Confirmed != 2 || len(got.Kecamatan) != 0 {
		t.Fatalf("after edit: capacity %d, confirmed %d, kecamatan %v", got.Capacity, got.Confirmed, got.Kecamatan)
	}
	for _, step := range []struct {
		action string
		want   umkm.TrainingStatus
	}{{"close", umkm.TrainingClosed}, {"open", umkm.TrainingOpen}} {
		c.post("/trainings/"+tr.ID+"/"+step.action, nil)
		if got, _ := w.store.Training(ctx, tr.ID); got.Status != step.want {
			t.Fatalf("%s: status %s", step.action, got.Status)
		}
	}
	if res := c.get("/trainings/999/edit"); res.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown training: %d", res.StatusCode)
	}
}

// TestDashboard: the counts per kecamatan, sector and size and the week
// chart add up to the registrations; trainings and curation show.
func TestDashboard(t *testing.T) {
	w := newWorld(t)
	w.register("Siti", "Keripik", "Plered", "kuliner", "mikro", "+6281234567890")
	w.register("Budi", "Bengkel", "Plered", "jasa", "kecil", "+6281234567891")
	w.training("Kemasan menarik", 30)
	app := &umkm.Application{Region: w.cfg.Region.Code, Conv: bot.Conversation{Channel: bot.Telegram, User: "u1"},
		RegistrationID: "UMKM-3214-000001", Business: "Keripik <i>", Target: "menong", TargetName: "Galeri Menong", Products: []string{"keripik"}}
	if err := w.store.SubmitApplication(context.Background(), app); err != nil {
		t.Fatal(err)
	}
	res := w.login("pengamat").get("/")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("dashboard: %d", res.StatusCode)
	}
	for _, want := range []string{
		`href="/registrations?kecamatan=Plered"`, `value="2"`, `href="/registrations?sector=jasa"`, "Kemasan menarik",
		"Galeri Menong", "Keripik &lt;i&gt;", "1 diajukan, 0 ditinjau", "2 usaha terdaftar",
	} {
		if !strings.Contains(res.body, want) {
			t.Errorf("dashboard lacks %q", want)
		}
	}
}

// TestFormFieldsLabelled: every input, select and textarea of every page
// with a form has a <label for> (or sits inside one), and ids are unique.
func TestFormFieldsLabelled(t *testing.T) {
	w := newWorld(t)
	w.register("Siti", "Keripik", "Plered", "kuliner", "mikro", "+6281234567890")
	tr := w.training("Kemasan", 30)
	c := w.login("admin")
	pages := map[string]string{"/login (signed out)": w.client().get("/login").body}
	reg := w.register("Budi", "Bengkel", "Plered", "jasa", "mikro", "+6281234567891")
	for _, p := range []string{"/", "/registrations", "/registrations/" + reg.ID, "/registrations/" + reg.ID + "/edit",
		"/trainings", "/trainings/new", "/trainings/" + tr.ID + "/edit", "/trainings/" + tr.ID, "/curation",
		"/broadcasts", "/broadcasts/new", "/audit", "/accounts", "/accounts/new", "/accounts/petugas"} {
		res := c.get(p)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", p, res.StatusCode)
		}
		pages[p] = res.body
	}
	for p, body := range pages {
		doc, err := html.Parse(strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		labelled := map[string]bool{}
		ids := map[string]int{}
		type field struct {
			id, name string
			inLabel  bool
		}
		var fields []field
		var walk func(n *html.Node, inLabel bool)
		walk = func(n *html.Node, inLabel bool) {
			if n.Type == html.ElementNode {
				a := map[string]string{}
				for _, at := range n.Attr {
					a[at.Key] = at.Val
				}
				if a["id"] != "" {
					ids[a["id"]]++
				}
				switch n.Data {
				case "label":
					labelled[a["for"]] = true
					inLabel = true
				case "input", "select", "textarea":
					if a["type"] != "hidden" && a["type"] != "submit" {
						fields = append(fields, field{a["id"], a["name"], inLabel || a["aria-label"] != ""})
					}
				}
			}
			for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
				walk(ch, inLabel)
			}
		}
		walk(doc, false)
		for _, f := range fields {
			if !f.inLabel && (f.id == "" || !labelled[f.id]) {
				t.Errorf("%s: field %q (id %q) has no label", p, f.name, f.id)
			}
		}
		for id, n := range ids {
			if n > 1 {
				t.Errorf("%s: id %q used %d times", p, id, n)
			}
		}
		if (strings.HasSuffix(p, "/edit") || strings.HasSuffix(p, "/new")) && len(fields) < 5 {
			t.Errorf("%s: only %d fields found", p, len(fields))
		}
	}
}

// TestMessagesExist: every web.* message id the templates and the code
// name, and every one built from a code, exists in every language.
func TestMessagesExist(t *testing.T) {
	w := newWorld(t)
	cat := w.cfg.Catalog
	need := map[string]bool{}
	lit := regexp.MustCompile(`"(web\.[a-z_.]+[a-z_])"`)
	for _, dir := range []fs.FS{templateFS} {
		fs.WalkDir(dir, ".", func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, _ := fs.ReadFile(dir, path)
			for _, m := range lit.FindAllStringSubmatch(string(b), -1) {
				need[m[1]] = true
			}
			return nil
		})
	}
	for _, r := range []umkm.Role{umkm.RoleAdmin, umkm.RolePetugas, umkm.RolePengamat} {
		need["web.role."+string(r)] = true
	}
	for _, st := range umkm.RegStatuses {
		need["web.registrations.status."+st] = true
	}
	for _, st := range []umkm.EnrolStatus{umkm.StatusConfirmed, umkm.StatusWaitlisted, umkm.StatusAttended} {
		need["web.participants.status."+string(st)] = true
	}
	for _, st := range []umkm.BroadcastStatus{umkm.BroadcastDraft, umkm.BroadcastScheduled, umkm.BroadcastRunning,
		umkm.BroadcastPaused, umkm.BroadcastCancelled, umkm.BroadcastDone} {
		need["web.broadcasts.status."+string(st)] = true
	}
	for _, a := range []string{umkm.BroadcastPause, umkm.BroadcastResume, umkm.BroadcastCancel} {
		need["web.broadcasts."+a] = true
	}
	for _, p := range []string{"banned", "tempban", "timelock", "logged_out", "replaced"} {
		need["web.whatsapp.problem."+p] = true
	}
	for _, st := range []umkm.TrainingStatus{umkm.TrainingOpen, umkm.TrainingClosed} {
		need["web.trainings.status."+string(st)] = true
	}
	for _, st := range []umkm.ApplicationStatus{umkm.StatusSubmitted, umkm.StatusReviewing} {
		need["web.curation.status."+string(st)] = true
	}
	for _, f := range []string{"title", "organiser", "start", "end", "deadline", "capacity", "place", "link"} {
		need["web.training."+f] = true
	}
	for _, c := range w.srv.sectors {
		need["sector."+c] = true
	}
	for _, c := range umkm.TrainingTopics {
		need["pelatihan.topic."+c] = true
	}
	if len(need) < 60 {
		t.Fatalf("only %d message ids found: the scan is broken", len(need))
	}
	for id := range need {
		for _, lang := range cat.Langs() {
			if !cat.Has(lang, id) {
				t.Errorf("%s lacks %s", lang, id)
			}
		}
	}
}

// TestEnglishPages: the language link switches the pages to English.
func TestEnglishPages(t *testing.T) {
	w := newWorld(t)
	c := w.login("petugas")
	res := c.get("/lang?to=en&back=%2Fregistrations")
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/registrations" {
		t.Fatalf("lang: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	if body := c.get("/registrations").body; !strings.Contains(body, `<html lang="en">`) || !strings.Contains(body, "UMKM registrations") {
		t.Fatalf("not English after choosing it")
	}
	if res := c.get("/lang?to=en&back=https://evil.example"); res.Header.Get("Location") != "/" {
		t.Fatalf("lang back to another site: %q", res.Header.Get("Location"))
	}
}

func TestHealthz(t *testing.T) {
	w := newWorld(t)
	res := w.client().get("/healthz")
	if res.StatusCode != http.StatusOK || res.body != "ok\n" {
		t.Fatalf("healthz: %d %q", res.StatusCode, res.body)
	}
	if css := w.client().get("/static/style.css"); css.StatusCode != http.StatusOK || !strings.Contains(css.body, "@media") {
		t.Fatalf("stylesheet: %d", css.StatusCode)
	}
}

// TestTrainingParticipants: the training page lists seats then the
// waitlist, a petugas checks an owner in by code (bad and unknown codes
// are told), exports the list; a pengamat sees names masked and no codes.
func TestTrainingParticipants(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	tr := w.training("Kemasan menarik", 2)
	var codes []string
	for i, name := range []string{"Siti Aminah", "Budi Santoso", "Ani Rahayu"} {
		reg := w.register(name, "Usaha "+itoa(i), "Plered", "kuliner", "mikro", "+62812345678"+itoa(10+i))
		e, err := w.store.Enrol(ctx, umkm.Enrolment{Training: tr.ID, Conv: reg.Conv, Registration: reg.ID, At: time.Now()}, true)
		if err != nil {
			t.Fatal(err)
		}
		codes = append(codes, e.Code)
	}
	off := w.login("petugas")
	page := off.get("/trainings/" + tr.ID)
	if page.StatusCode != http.StatusOK {
		t.Fatalf("training page: %d", page.StatusCode)
	}
	for _, want := range []string{"Siti Aminah", "Budi Santoso", "Ani Rahayu", "daftar tunggu #1", codes[0], "2 dari 2 kursi terisi, 1 daftar tunggu"} {
		if !strings.Contains(page.text, want) {
			t.Errorf("training page lacks %q", want)
		}
	}
	if strings.Index(page.text, "Ani Rahayu") < strings.Index(page.text, "Budi Santoso") {
		t.Errorf("the waitlisted owner is listed before a seat")
	}

	for code, want := range map[string]string{"12": "?checkin=bad", "ACEFGH": "?checkin=unknown", strings.ToLower(codes[2]): "?checkin=notseated"} {
		res := off.post("/trainings/"+tr.ID+"/checkin", url.Values{"code": {code}})
		if res.StatusCode != http.StatusSeeOther || !strings.Contains(res.Header.Get("Location"), want) {
			t.Errorf("code %q: %d %q, want %s", code, res.StatusCode, res.Header.Get("Location"), want)
		}
	}
	if res := off.get("/trainings/" + tr.ID + "?checkin=unknown"); !strings.Contains(res.text, "tidak dimiliki peserta") {
		t.Errorf("an unknown code is not told")
	}
	res := off.post("/trainings/"+tr.ID+"/checkin", url.Values{"code": {strings.ToLower(codes[1])}})
	if res.StatusCode != http.StatusSeeOther || !strings.Contains(res.Header.Get("Location"), "checked=UMKM-") {
		t.Fatalf("check in: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	if page := off.get(res.Header.Get("Location")); !strings.Contains(page.text, "Tercatat hadir") || !strings.Contains(page.text, "1 sudah hadir") {
		t.Errorf("after check-in the page does not say so")
	}
	ps, _ := w.store.Participants(ctx, tr.ID)
	attended := 0
	for _, p := range ps {
		if p.Status == umkm.StatusAttended {
			attended++
		}
	}
	if attended != 1 {
		t.Fatalf("%d attended after one check-in", attended)
	}

	csvRes := off.get("/export/trainings/" + tr.ID + "/participants.csv")
	rows, err := csv.NewReader(strings.NewReader(csvRes.body)).ReadAll()
	if err != nil || len(rows) != 4 || rows[0][0] != "registration_id" {
		t.Fatalf("participants export: %v, %v", rows, err)
	}

	obs := w.login("pengamat").get("/trainings/" + tr.ID)
	if strings.Contains(obs.text, "Siti Aminah") || !strings.Contains(obs.text, "S*** A***") {
		t.Errorf("the pengamat sees owners' names unmasked")
	}
	if strings.Contains(obs.text, codes[0]) || strings.Contains(obs.body, `id="code"`) {
		t.Errorf("the pengamat sees attendance codes or the check-in form")
	}
}

// TestCurationReview: the queue shows undecided applications; a petugas
// moves one on with a note (a rejection needs one), each change queues
// the owner's notice; two officers deciding at once: one wins, the other
// is told.
func TestCurationReview(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	submit := func(user, business string) *umkm.Application {
		a := &umkm.Application{Region: w.cfg.Region.Code, Conv: bot.Conversation{Channel: bot.Telegram, User: user},
			RegistrationID: "UMKM-3214-000001", Business: business, Target: "menong", TargetName: "Galeri Menong",
			Products: []string{"Keripik singkong", "Rengginang"}, CreatedAt: time.Now()}
		if err := w.store.SubmitApplication(ctx, a); err != nil {
			t.Fatal(err)
		}
		return a
	}
	a := submit("u1", "Keripik Bu Siti")
	b := submit("u2", "Batik Ani")
	off := w.login("petugas")
	if res := off.get("/curation"); !strings.Contains(res.text, "Keripik Bu Siti") || !strings.Contains(res.text, "Batik Ani") || !strings.Contains(res.text, "Rengginang") {
		t.Fatalf("queue lacks the applications")
	}
	res := off.post("/curation/"+a.ID, url.Values{"status": {"ditolak"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(res.text, "apa yang perlu diperbaiki") {
		t.Fatalf("rejection without a note: %d", res.StatusCode)
	}
	if res := off.post("/curation/"+a.ID, url.Values{"status": {"diajukan"}}); res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("back to diajukan: %d", res.StatusCode)
	}
	res = off.post("/curation/"+a.ID, url.Values{"status": {"ditinjau"}, "note": {"Sampel dibawa ke galeri Senin"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("ditinjau: %d %s", res.StatusCode, res.body)
	}
	if page := off.get(res.Header.Get("Location")); !strings.Contains(page.text, "Status tersimpan") || !strings.Contains(page.text, "Sampel dibawa ke galeri Senin") {
		t.Fatalf("after the change the page does not show it")
	}
	n, done, ok, err := w.store.NextCurationNotice(ctx, w.cfg.Region.Code, time.Second)
	if err != nil || !ok || n.App != a.ID || n.Status != umkm.StatusReviewing || n.Note != "Sampel dibawa ke galeri Senin" {
		t.Fatalf("owner's notice = %+v, %v, %v", n, ok, err)
	}
	done(ctx)

	// Two officers decide b at the same moment.
	other := w.login("admin")
	var wg sync.WaitGroup
	codes := make([]int, 2)
	for i, c := range []*client{off, other} {
		status := []string{"diterima", "ditolak"}[i]
		wg.Go(func() {
			codes[i] = c.post("/curation/"+b.ID, url.Values{"from": {"diajukan"}, "status": {status}, "note": {"keputusan " + status}}).StatusCode
		})
	}
	wg.Wait()
	slices.Sort(codes)
	if codes[0] != http.StatusSeeOther || codes[1] != http.StatusConflict {
		t.Fatalf("two decisions at once: %v, want one 303 and one 409", codes)
	}
	got, _ := w.store.Application(ctx, b.ID)
	if len(got.History) != 2 || !got.Status.Final() {
		t.Fatalf("b after two decisions: %+v", got)
	}
	if page := off.get("/curation/" + b.ID); strings.Contains(page.body, `name="status"`) {
		t.Fatalf("a decided application still offers a status change")
	}
	if res := off.get("/curation"); strings.Contains(res.text, "Batik Ani") {
		t.Fatalf("a decided application is still in the undecided queue")
	}
	if res := off.get("/curation?status=" + string(got.Status)); !strings.Contains(res.text, "Batik Ani") {
		t.Fatalf("the decided application is not under its status")
	}
	if res := off.get("/curation/KUR-9999-000001"); res.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown application: %d", res.StatusCode)
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

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// TestBroadcastsPage: progress with counts, rate and percent; pause,
// resume and cancel from the page; an action the status no longer allows
// is told, not applied; the dashboard shows what runs.
func TestBroadcastsPage(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	b := &umkm.Broadcast{Region: w.cfg.Region.Code, Text: "Pelatihan <b>kemasan</b> Senin", CreatedAt: time.Now(), At: time.Now()}
	if err := w.store.CreateBroadcast(ctx, b); err != nil {
		t.Fatal(err)
	}
	var to []bot.Conversation
	for i := range 4 {
		to = append(to, bot.Conversation{Channel: bot.Telegram, User: "r" + itoa(i)})
	}
	if err := w.store.Enqueue(ctx, b.ID, to); err != nil {
		t.Fatal(err)
	}
	if err := w.store.StartBroadcast(ctx, b.ID, 4, time.Now().Add(-10*time.Second)); err != nil {
		t.Fatal(err)
	}
	ds, err := w.store.Take(ctx, b.ID, bot.Telegram, "test", 1, time.Minute)
	if err != nil || len(ds) != 1 {
		t.Fatalf("take: %v, %v", ds, err)
	}
	if o, _, err := w.store.Begin(ctx, ds[0]); err != nil || o != umkm.OutcomeGo {
		t.Fatalf("begin: %s, %v", o, err)
	}
	if _, err := w.store.Settle(ctx, ds[0], umkm.OutcomeSent, ""); err != nil {
		t.Fatal(err)
	}
	off := w.login("petugas")
	page := off.get("/broadcasts")
	for _, want := range []string{"1 dari 4 penerima (25%)", "terkirim 1 · gagal 0 · dilewati 0 · tidak pasti 0 · sisa 3", "pesan/detik",
		"Pelatihan &lt;b&gt;kemasan&lt;/b&gt;", `http-equiv="refresh"`, `action="/broadcasts/` + b.ID + `/pause"`} {
		if !strings.Contains(page.body, want) && !strings.Contains(page.text, want) {
			t.Errorf("broadcasts page lacks %q", want)
		}
	}
	var live []liveItem
	if res := off.get("/broadcasts/progress.json"); res.StatusCode != http.StatusOK || json.Unmarshal([]byte(res.body), &live) != nil ||
		len(live) != 1 || live[0].Done != 1 || live[0].Audience != 4 || !live[0].Live || live[0].Progress != "1 dari 4 penerima (25%)" {
		t.Fatalf("progress.json: %d %s", res.StatusCode, res.body)
	}
	if dash := off.get("/"); !strings.Contains(dash.text, "1 dari 4 penerima") {
		t.Errorf("the dashboard does not show the running broadcast")
	}
	for _, step := range []struct {
		action string
		want   umkm.BroadcastStatus
	}{{"pause", umkm.BroadcastPaused}, {"resume", umkm.BroadcastRunning}, {"cancel", umkm.BroadcastCancelled}} {
		res := off.post("/broadcasts/"+b.ID+"/"+step.action, nil)
		if res.StatusCode != http.StatusSeeOther || !strings.Contains(res.Header.Get("Location"), "changed=") {
			t.Fatalf("%s: %d %q", step.action, res.StatusCode, res.Header.Get("Location"))
		}
		if got, _ := w.store.Broadcast(ctx, b.ID); got.Status != step.want {
			t.Fatalf("after %s: %s", step.action, got.Status)
		}
	}
	res := off.post("/broadcasts/"+b.ID+"/resume", nil)
	if !strings.Contains(res.Header.Get("Location"), "refused=") {
		t.Fatalf("resuming a cancelled broadcast: %q", res.Header.Get("Location"))
	}
	if page := off.get(res.Header.Get("Location")); !strings.Contains(page.text, "Tidak bisa") || strings.Contains(page.body, `/resume"`) {
		t.Errorf("the refusal is not told, or a cancelled broadcast offers resume")
	}
	if res := off.post("/broadcasts/"+b.ID+"/explode", nil); res.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown action: %d", res.StatusCode)
	}
	if entries, _ := w.store.AuditLog(0).Recent(ctx, 5); entries[0].Action != "broadcast.cancel" || entries[0].Subject != b.ID {
		t.Fatalf("audit: %+v", entries[0])
	}
}

// TestBroadcastCompose: an officer writes a broadcast, sees it as owners
// will with the recipients per channel, and schedules it once even when
// the form is sent twice; bad text, a past time and an empty audience are
// refused.
func TestBroadcastCompose(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	siti := w.register("Siti", "Keripik", "Plered", "kuliner", "mikro", "+6281234567890")
	w.register("Budi", "Bengkel", "Plered", "jasa", "mikro", "+6281234567891")
	wa := w.register("Ani", "Batik", "Campaka", "fesyen", "kecil", "+6281234567892")
	wa.Conv = bot.Conversation{Channel: bot.WhatsApp, User: "6281234567892"}
	if err := w.store.UpdateRegistration(ctx, wa); err != nil {
		t.Fatal(err)
	}
	tr := w.training("Kemasan", 10)
	if _, err := w.store.Enrol(ctx, umkm.Enrolment{Training: tr.ID, Conv: siti.Conv, Registration: siti.ID, At: time.Now()}, false); err != nil {
		t.Fatal(err)
	}
	off := w.login("petugas")
	page := off.get("/broadcasts/new")
	token := regexp.MustCompile(`name="token" value="([0-9a-f]{32})"`).FindStringSubmatch(page.body)
	if page.StatusCode != http.StatusOK || token == nil {
		t.Fatalf("compose page: %d, token %v", page.StatusCode, token)
	}
	form := url.Values{"token": {token[1]}, "text": {"Pelatihan kemasan <gratis> Senin 09.00 di aula DKUPP."}, "kecamatan": {"Plered"}}
	res := off.post("/broadcasts/preview", form)
	footer := w.cfg.Catalog.Render("id", bot.T("broadcast.footer"))
	if res.StatusCode != http.StatusOK || !strings.Contains(res.text, "2 penerima") || !strings.Contains(res.text, "Telegram: 2") || !strings.Contains(res.text, "WhatsApp: 0") ||
		!strings.Contains(res.text, footer) || !strings.Contains(res.body, "Pelatihan kemasan &lt;gratis&gt;") {
		t.Fatalf("preview: %d\n%s", res.StatusCode, res.text)
	}
	for name, tc := range map[string]struct {
		change url.Values
		want   int
		text   string
	}{
		"everyone":           {url.Values{"kecamatan": nil}, http.StatusOK, "3 penerima|Telegram: 2|WhatsApp: 1"},
		"whatsapp only":      {url.Values{"kecamatan": nil, "channels": {"whatsapp"}}, http.StatusOK, "1 penerima|Telegram: 0|WhatsApp: 1"},
		"training":           {url.Values{"trainings": {tr.ID}}, http.StatusOK, "1 penerima|Telegram: 1"},
		"mikro in campaka":   {url.Values{"kecamatan": {"Campaka"}, "sizes": {"mikro"}}, http.StatusOK, "0 penerima"},
		"too short":          {url.Values{"text": {"hai"}}, http.StatusUnprocessableEntity, "5 sampai 3.500 huruf"},
		"in the past":        {url.Values{"at": {"2020-01-01T09:00"}}, http.StatusUnprocessableEntity, "sudah lewat"},
		"unknown kecamatan ": {url.Values{"kecamatan": {"Atlantis"}}, http.StatusOK, "3 penerima"},
	} {
		f := url.Values{}
		for k, v := range form {
			f[k] = v
		}
		for k, v := range tc.change {
			f[k] = v
		}
		res := off.post("/broadcasts/preview", f)
		if res.StatusCode != tc.want {
			t.Errorf("%s: %d, want %d", name, res.StatusCode, tc.want)
		}
		for _, part := range strings.Split(tc.text, "|") {
			if !strings.Contains(res.text, part) {
				t.Errorf("%s: the page lacks %q", name, part)
			}
		}
	}

	nobody := url.Values{"token": {newToken()}, "text": form["text"], "sectors": {"kriya"}}
	if res := off.post("/broadcasts", nobody); res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(res.text, "Tidak ada usaha yang cocok") {
		t.Fatalf("empty audience: %d", res.StatusCode)
	}
	for range 2 { // a double click
		res = off.post("/broadcasts", form)
		if res.StatusCode != http.StatusSeeOther || !strings.Contains(res.Header.Get("Location"), "created=") {
			t.Fatalf("create: %d %q", res.StatusCode, res.Header.Get("Location"))
		}
	}
	all, _ := w.store.Broadcasts(ctx)
	if len(all) != 1 || all[0].Status != umkm.BroadcastScheduled || !slices.Equal(all[0].Audience.Kecamatan, []string{"Plered"}) ||
		all[0].Region != w.cfg.Region.Code {
		t.Fatalf("broadcasts after two sends of one form: %+v", all)
	}
	if page := off.get(res.Header.Get("Location")); !strings.Contains(page.text, "dijadwalkan") {
		t.Errorf("the list does not confirm the new broadcast")
	}
}

// TestAccounts: an admin makes an account in the browser, changes its
// role and password (which signs it out everywhere), and cannot lock
// themselves out.
func TestAccounts(t *testing.T) {
	w := newWorld(t)
	adm := w.login("admin")
	newAcc := url.Values{"name": {"Rina"}, "full_name": {"Rina <W>"}, "role": {"petugas"}, "password": {"sandi-rina-123"}, "password_again": {"sandi-rina-123"}}
	for name, change := range map[string]url.Values{
		"weak":     {"password": {"pendek"}, "password_again": {"pendek"}},
		"mismatch": {"password_again": {"sandi-rina-124"}},
		"bad name": {"name": {"r"}},
		"bad role": {"role": {"raja"}},
	} {
		f := url.Values{}
		for k, v := range newAcc {
			f[k] = v
		}
		for k, v := range change {
			f[k] = v
		}
		if res := adm.post("/accounts", f); res.StatusCode != http.StatusUnprocessableEntity || strings.Contains(res.body, "sandi-rina") {
			t.Errorf("%s: %d (or the password was put back in the page)", name, res.StatusCode)
		}
	}
	if res := adm.post("/accounts", newAcc); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d %s", res.StatusCode, res.text)
	}
	if res := adm.post("/accounts", newAcc); res.StatusCode != http.StatusConflict {
		t.Fatalf("create twice: %d", res.StatusCode)
	}
	if list := adm.get("/accounts"); !strings.Contains(list.body, "Rina &lt;W&gt;") || !strings.Contains(list.text, "petugas") {
		t.Fatalf("the list lacks rina")
	}
	rina := w.client()
	if res := rina.post("/login", url.Values{"name": {"rina"}, "password": {"sandi-rina-123"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("rina signs in: %d", res.StatusCode)
	}
	if res := rina.get("/trainings/new"); res.StatusCode != http.StatusOK {
		t.Fatalf("rina as petugas: %d", res.StatusCode)
	}
	// A new full name alone keeps her signed in.
	adm.post("/accounts/rina", url.Values{"full_name": {"Rina Wulandari"}, "role": {"petugas"}})
	if res := rina.get("/"); res.StatusCode != http.StatusOK {
		t.Fatalf("a new full name signed rina out: %d", res.StatusCode)
	}
	res := adm.post("/accounts/rina", url.Values{"full_name": {"Rina Wulandari"}, "role": {"pengamat"},
		"password": {"sandi-baru-456"}, "password_again": {"sandi-baru-456"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("change: %d %s", res.StatusCode, res.text)
	}
	if res := rina.get("/"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("rina's session outlived a new role and password: %d", res.StatusCode)
	}
	if res := w.client().post("/login", url.Values{"name": {"rina"}, "password": {"sandi-rina-123"}}); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("the old password still works: %d", res.StatusCode)
	}
	rina = w.client()
	rina.post("/login", url.Values{"name": {"rina"}, "password": {"sandi-baru-456"}})
	if res := rina.get("/trainings/new"); res.StatusCode != http.StatusForbidden {
		t.Fatalf("rina as pengamat on a change page: %d", res.StatusCode)
	}
	for _, f := range []url.Values{{"role": {"admin"}, "disabled": {"on"}}, {"role": {"petugas"}}} {
		if res := adm.post("/accounts/admin", f); res.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("the admin locks themselves out with %v: %d", f, res.StatusCode)
		}
	}
	entries, _ := w.store.AuditLog(0).Recent(context.Background(), 20)
	var actions []string
	for _, e := range entries {
		if strings.HasPrefix(e.Action, "account.") {
			actions = append(actions, e.Action+" "+e.Subject+" "+e.Detail)
		}
		if strings.Contains(e.Detail, "sandi") {
			t.Fatalf("a password in the audit log: %+v", e)
		}
	}
	want := []string{"account.change rina role=pengamat,password", "account.change rina full_name", "account.create rina role=petugas"}
	if !slices.Equal(actions, want) {
		t.Fatalf("audit: %q, want %q", actions, want)
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

// fixedWhatsApp is a WhatsApp state for the dashboard.
type fixedWhatsApp WhatsAppState

func (f fixedWhatsApp) WhatsAppState(context.Context) (WhatsAppState, error) {
	return WhatsAppState(f), nil
}

// TestDashboardWhatsApp: the dashboard tells the number's state and a
// restriction with its end; without WhatsApp it says nothing.
func TestDashboardWhatsApp(t *testing.T) {
	until := time.Date(2026, 12, 2, 9, 0, 0, 0, bot.Jakarta)
	w := newWorldDeps(t, func(d *Deps) {
		d.WhatsApp = fixedWhatsApp{Used: true, Account: "+62812****7890", Holder: "srv-1", Problem: "tempban", Until: until}
	})
	res := w.login("pengamat").get("/")
	for _, want := range []string{"Nomor WhatsApp", "+62812****7890", "tidak tersambung", "diblokir sementara", "Rabu, 2 Desember 2026 pukul 09.00 WIB"} {
		if !strings.Contains(res.text, want) {
			t.Errorf("dashboard lacks %q", want)
		}
	}
	if res := newWorld(t).login("pengamat").get("/"); strings.Contains(res.text, "Nomor WhatsApp") {
		t.Errorf("a console without WhatsApp shows a WhatsApp card")
	}
}
