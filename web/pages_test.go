package web

import (
	"context"
	"io/fs"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
)

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

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
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
