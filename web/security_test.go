package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
)

// concrete turns a route pattern into a path that reaches its handler.
func concrete(pattern, trainingID, regID string) string {
	p := strings.NewReplacer("{$}", "", "{action}", "pause", "{name}", "petugas").Replace(pattern)
	if strings.HasPrefix(p, "/export/trainings/") {
		p = strings.ReplaceAll(p, "{file}", "participants.csv")
	}
	p = strings.ReplaceAll(p, "{file}", "registrations.csv")
	if strings.HasPrefix(p, "/registrations/") {
		return strings.ReplaceAll(p, "{id}", regID)
	}
	return strings.ReplaceAll(p, "{id}", trainingID)
}

// validTrainingForm is a form that would create or change a training.
func validTrainingForm(title string) url.Values {
	start := time.Now().Add(72 * time.Hour).In(bot.Jakarta)
	return url.Values{"title": {title}, "topic": {"ecommerce"}, "place": {"Aula DKUPP"}, "capacity": {"20"},
		"start": {start.Format(formTime)}, "end": {start.Add(3 * time.Hour).Format(formTime)}}
}

func (w *world) training(title string, capacity int) *umkm.Training {
	w.t.Helper()
	start := time.Now().Add(48 * time.Hour)
	t := &umkm.Training{Title: title, Topic: "ecommerce", Place: "Aula", Start: start, End: start.Add(2 * time.Hour),
		Capacity: capacity, Status: umkm.TrainingOpen}
	if err := w.store.CreateTraining(context.Background(), t); err != nil {
		w.t.Fatal(err)
	}
	return t
}

// TestEveryRouteNeedsSession: without a session every page is sent to the
// sign-in page and every action is refused with 401; nothing changes.
func TestEveryRouteNeedsSession(t *testing.T) {
	w := newWorld(t)
	reg := w.register("Siti Aminah", "Keripik Bu Siti", "Plered", "kuliner", "mikro", "+6281234567890")
	tr := w.training("Jualan di marketplace", 10)
	c := w.client()
	n := 0
	for _, rt := range w.srv.routeTable() {
		if rt.access == public {
			continue
		}
		n++
		path := concrete(rt.pattern, tr.ID, reg.ID)
		if rt.method == http.MethodGet {
			res := c.get(path)
			if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login?next=") {
				t.Errorf("GET %s without a session: %d, Location %q; want 303 to /login", path, res.StatusCode, res.Header.Get("Location"))
			}
			if strings.Contains(res.body, "Keripik") {
				t.Errorf("GET %s without a session shows data", path)
			}
			continue
		}
		res := c.post(path, validTrainingForm("Diubah tanpa masuk"))
		if res.StatusCode != http.StatusUnauthorized {
			t.Errorf("POST %s without a session: %d, want 401", path, res.StatusCode)
		}
	}
	if n < 10 {
		t.Fatalf("only %d protected routes walked", n)
	}
	all, _ := w.store.AllTrainings(context.Background())
	if len(all) != 1 || all[0].Title != tr.Title || all[0].Status != umkm.TrainingOpen {
		t.Fatalf("trainings changed without a session: %+v", all[0])
	}
	// A made-up cookie is no session either.
	c.http.Jar.SetCookies(mustURL(w.ts.URL), []*http.Cookie{{Name: cookieName, Value: "forged-token"}})
	if res := c.get("/registrations"); res.StatusCode != http.StatusSeeOther {
		t.Errorf("a forged cookie got %d", res.StatusCode)
	}
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

// TestPengamatCannotChange: an observer tries every POST and the export
// and is refused each time; the data stays as it was. A petugas doing the
// same succeeds, so the refusals are about the role.
func TestPengamatCannotChange(t *testing.T) {
	w := newWorld(t)
	reg := w.register("Siti Aminah", "Keripik Bu Siti", "Plered", "kuliner", "mikro", "+6281234567890")
	tr := w.training("Jualan di marketplace", 10)
	obs := w.login("pengamat")
	tried := 0
	for _, rt := range w.srv.routeTable() {
		if rt.access != mayChange && rt.access != adminOnly {
			continue
		}
		tried++
		path := concrete(rt.pattern, tr.ID, reg.ID)
		var res response
		if rt.method == http.MethodGet {
			res = obs.get(path)
		} else {
			res = obs.post(path, validTrainingForm("Diubah pengamat"))
		}
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("pengamat %s %s: %d, want 403", rt.method, path, res.StatusCode)
		}
	}
	if tried < 8 {
		t.Fatalf("only %d guarded routes tried", tried)
	}
	all, _ := w.store.AllTrainings(context.Background())
	if len(all) != 1 || all[0].Title != tr.Title || all[0].Status != umkm.TrainingOpen {
		t.Fatalf("a pengamat changed trainings: %d trainings, first %+v", len(all), all[0])
	}
	// The observer's pages do not offer the actions either.
	if res := obs.get("/trainings"); strings.Contains(res.body, "/close") || strings.Contains(res.body, "/trainings/new") {
		t.Errorf("the pengamat's trainings page offers changes")
	}
	if res := obs.get("/registrations"); strings.Contains(res.body, "registrations.csv") {
		t.Errorf("the pengamat's list offers the export")
	}

	if entries, _ := w.store.AuditLog(0).Recent(context.Background(), 10); len(entries) != 1 || entries[0].Action != "signin" {
		t.Fatalf("the pengamat's refused attempts left audit entries: %+v", entries)
	}

	off := w.login("petugas")
	if res := off.get("/audit"); res.StatusCode != http.StatusForbidden {
		t.Fatalf("petugas on the audit log: %d, want 403", res.StatusCode)
	}
	if res := off.post("/trainings/"+tr.ID+"/close", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("petugas close: %d %s", res.StatusCode, res.body)
	}
	got, _ := w.store.Training(context.Background(), tr.ID)
	if got.Status != umkm.TrainingClosed {
		t.Fatalf("petugas close did not close: %s", got.Status)
	}
}

// TestPengamatSeesMaskedData: the observer's list and detail mask the
// owner's name, phone and address; the NIK is masked for everyone.
func TestPengamatSeesMaskedData(t *testing.T) {
	w := newWorld(t)
	reg := w.register("Siti Aminah", "Keripik Bu Siti", "Plered", "kuliner", "mikro", "+6281234567890")
	obs := w.login("pengamat")
	for _, path := range []string{"/registrations", "/registrations/" + reg.ID} {
		res := obs.get(path)
		for _, secret := range []string{"Siti Aminah", "+6281234567890", "Jl. Rahasia", reg.NIK} {
			if strings.Contains(res.text, secret) {
				t.Errorf("pengamat sees %q on %s", secret, path)
			}
		}
		if !strings.Contains(res.text, "S*** A***") || !strings.Contains(res.text, "Keripik Bu Siti") {
			t.Errorf("%s: masked owner or business missing", path)
		}
	}
	off := w.login("petugas")
	res := off.get("/registrations/" + reg.ID)
	if !strings.Contains(res.text, "Siti Aminah") || !strings.Contains(res.text, "+6281234567890") || !strings.Contains(res.text, "3214********") {
		t.Errorf("petugas detail lacks the owner's name, phone or masked NIK")
	}
	if strings.Contains(res.text, reg.NIK) {
		t.Errorf("the detail shows the full NIK")
	}
}

// TestCrossOriginRefused: a signed-in officer's browser sent by another
// site to post a form is refused, whether the browser says so with
// Sec-Fetch-Site or only with Origin; the same post from the console
// itself goes through.
func TestCrossOriginRefused(t *testing.T) {
	w := newWorld(t)
	tr := w.training("Jualan di marketplace", 10)
	off := w.login("petugas")
	for name, headers := range map[string][]string{
		"sec-fetch-site": {"Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"},
		"origin only":    {"Origin", "https://evil.example"},
		"same-site":      {"Sec-Fetch-Site", "same-site", "Origin", "https://other.dinas.example"},
	} {
		res := off.post("/trainings/"+tr.ID+"/close", nil, headers...)
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", name, res.StatusCode)
		}
		// Sign-in from another site is refused too (login CSRF).
		res = w.client().post("/login", url.Values{"name": {"petugas"}, "password": {testPassword}}, headers...)
		if res.StatusCode != http.StatusForbidden || res.Header.Get("Set-Cookie") != "" {
			t.Errorf("%s login: %d, cookie %q", name, res.StatusCode, res.Header.Get("Set-Cookie"))
		}
	}
	if got, _ := w.store.Training(context.Background(), tr.ID); got.Status != umkm.TrainingOpen {
		t.Fatal("a cross-origin post closed the training")
	}
	if res := off.post("/trainings/"+tr.ID+"/close", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("same-origin close: %d", res.StatusCode)
	}
}

// TestBusinessNameIsText: a business name with markup is shown as text on
// the list, the detail and the dashboard's curation list.
func TestBusinessNameIsText(t *testing.T) {
	w := newWorld(t)
	reg := w.register("Budi <b>", `Keripik <script>alert("x")</script>`, "Plered", "kuliner", "mikro", "+6281234567891")
	off := w.login("petugas")
	for _, path := range []string{"/registrations", "/registrations/" + reg.ID, "/registrations?q=" + url.QueryEscape("<script>")} {
		res := off.get(path)
		if strings.Contains(res.body, "<script>") || strings.Contains(res.body, "<b>") {
			t.Errorf("%s renders the name as markup", path)
		}
		if !strings.Contains(res.body, "Keripik &lt;script&gt;") {
			t.Errorf("%s does not show the name escaped", path)
		}
	}
}

// TestLoginRateLimit: after 5 attempts on an account within the window,
// even the right password is refused with 429; other accounts are not
// affected until the address's own limit is reached.
func TestLoginRateLimit(t *testing.T) {
	w := newWorld(t, func(c *Config) { c.LoginPerAddress = 8 })
	c := w.client()
	for i := 1; i <= 5; i++ {
		res := c.post("/login", url.Values{"name": {"petugas"}, "password": {"salah-salah-salah"}})
		if res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("wrong attempt %d: %d", i, res.StatusCode)
		}
	}
	res := c.post("/login", url.Values{"name": {"petugas"}, "password": {testPassword}})
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Set-Cookie") != "" {
		t.Fatalf("6th attempt with the right password: %d, cookie %q; want 429 and no session", res.StatusCode, res.Header.Get("Set-Cookie"))
	}
	if res.Header.Get("Retry-After") == "" || !strings.Contains(res.body, "15") {
		t.Errorf("429 does not say when to retry")
	}
	// Another account from the same address still works (7th attempt)…
	w.login("admin")
	// …until the address has made 8 attempts.
	c.post("/login", url.Values{"name": {"pengamat"}, "password": {"salah-salah-salah"}})
	res = c.post("/login", url.Values{"name": {"pengamat"}, "password": {testPassword}})
	if res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("9th attempt from the address: %d, want 429", res.StatusCode)
	}
}

// TestLoginRateLimitConcurrent: 20 wrong passwords at once for one
// account: exactly 5 are checked, 15 refused, whatever the interleaving.
func TestLoginRateLimitConcurrent(t *testing.T) {
	w := newWorld(t)
	var mu sync.Mutex
	codes := map[int]int{}
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			res := w.client().post("/login", url.Values{"name": {"admin"}, "password": {"salah-salah-salah"}})
			mu.Lock()
			codes[res.StatusCode]++
			mu.Unlock()
		})
	}
	wg.Wait()
	if codes[http.StatusUnauthorized] != 5 || codes[http.StatusTooManyRequests] != 15 {
		t.Fatalf("status counts %v; want 5×401 and 15×429", codes)
	}
}

// TestSessionCookieFlags: HttpOnly and SameSite always; Secure (and the
// __Host- prefix) behind TLS: forced by config, or said by a trusted proxy.
func TestSessionCookieFlags(t *testing.T) {
	cases := []struct {
		name    string
		tweak   tweak
		headers []string
		secure  bool
	}{
		{"plain http", nil, nil, false},
		{"ADMIN_SECURE_COOKIES", func(c *Config) { c.SecureCookies = true }, nil, true},
		{"trusted proxy says https", func(c *Config) { c.TrustProxy = true }, []string{"X-Forwarded-Proto", "https"}, true},
		{"untrusted X-Forwarded-Proto", nil, []string{"X-Forwarded-Proto", "https"}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var tweaks []tweak
			if tc.tweak != nil {
				tweaks = append(tweaks, tc.tweak)
			}
			w := newWorld(t, tweaks...)
			res := w.client().post("/login", url.Values{"name": {"petugas"}, "password": {testPassword}}, tc.headers...)
			cookies := res.Cookies()
			if res.StatusCode != http.StatusSeeOther || len(cookies) != 1 {
				t.Fatalf("login: %d, cookies %v", res.StatusCode, cookies)
			}
			ck := cookies[0]
			if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || ck.Domain != "" {
				t.Errorf("cookie %s: HttpOnly %v SameSite %v Path %q Domain %q", ck.Name, ck.HttpOnly, ck.SameSite, ck.Path, ck.Domain)
			}
			if ck.Secure != tc.secure {
				t.Errorf("Secure = %v, want %v", ck.Secure, tc.secure)
			}
			if tc.secure != strings.HasPrefix(ck.Name, "__Host-") {
				t.Errorf("cookie name %q with Secure %v", ck.Name, tc.secure)
			}
			if len(ck.Value) < 40 {
				t.Errorf("session token too short: %d characters", len(ck.Value))
			}
		})
	}
}

// TestLogoutEndsSession: after signing out the old cookie opens nothing,
// and a disabled account's session ends at once.
func TestLogoutEndsSession(t *testing.T) {
	w := newWorld(t)
	c := w.login("petugas")
	old := c.http.Jar.Cookies(mustURL(w.ts.URL))
	if res := c.post("/logout", nil); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login" {
		t.Fatalf("logout: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	replay := w.client()
	replay.http.Jar.SetCookies(mustURL(w.ts.URL), old)
	if res := replay.get("/"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("the signed-out cookie still opens the dashboard: %d", res.StatusCode)
	}

	c = w.login("pengamat")
	if res := c.get("/"); res.StatusCode != http.StatusOK {
		t.Fatalf("dashboard: %d", res.StatusCode)
	}
	o, _ := w.store.Officer(context.Background(), "pengamat")
	o.Disabled = true
	if err := w.store.SaveOfficer(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	if res := c.get("/"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("a disabled account's session still works: %d", res.StatusCode)
	}
	if res := w.client().post("/login", url.Values{"name": {"pengamat"}, "password": {testPassword}}); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a disabled account signs in: %d", res.StatusCode)
	}
}

// TestSessionLifetime: a session older than SessionMax ends even when used.
func TestSessionLifetime(t *testing.T) {
	now := time.Now()
	w := newWorld(t, func(c *Config) { c.Now = func() time.Time { return now } })
	c := w.login("admin")
	now = now.Add(w.cfg.SessionMax + time.Minute)
	if res := c.get("/"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("a session past its lifetime works: %d", res.StatusCode)
	}
}

// TestNextStaysOnSite: the page after sign-in is a path of the console,
// never another site.
func TestNextStaysOnSite(t *testing.T) {
	for next, want := range map[string]string{
		"/registrations?q=a": "/registrations?q=a", "//evil.example/": "/", "https://evil.example": "/",
		"/\\evil.example": "/", "": "/",
	} {
		if got := localPath(next); got != want {
			t.Errorf("localPath(%q) = %q, want %q", next, got, want)
		}
	}
}

func TestPasswordHash(t *testing.T) {
	h, err := HashPassword("benar-sekali-123")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q", h)
	}
	if ok, err := CheckPassword(h, "benar-sekali-123"); !ok || err != nil {
		t.Fatalf("right password: %v %v", ok, err)
	}
	if ok, _ := CheckPassword(h, "benar-sekali-124"); ok {
		t.Fatal("wrong password accepted")
	}
	if h2, _ := HashPassword("benar-sekali-123"); h2 == h {
		t.Fatal("two hashes of one password are equal: no salt")
	}
	if _, err := HashPassword("pendek"); err == nil {
		t.Fatal("a 6-character password accepted")
	}
	for _, bad := range []string{"", "$2a$10$abc", "$argon2id$v=19$m=0,t=1,p=1$AAAA$AAAA", "$argon2id$v=19$m=99999999,t=1,p=1$AAAA$AAAA"} {
		if ok, err := CheckPassword(bad, "x"); ok || err == nil {
			t.Errorf("CheckPassword(%q) = %v, %v", bad, ok, err)
		}
	}
}

// failingAudit refuses every audit entry, as a Redis that is down would.
type failingAudit struct{ Auditor }

func (failingAudit) Audit(context.Context, umkm.AuditEntry) error { return errors.New("redis down") }

// TestRevealNIKIsAudited: the full NIK appears only after a deliberate
// post, which is in the audit log before the NIK is shown; when the log
// cannot be written the NIK stays hidden. The admin reads the log.
func TestRevealNIKIsAudited(t *testing.T) {
	w := newWorld(t)
	reg := w.register("Siti Aminah", "Keripik Bu Siti", "Plered", "kuliner", "mikro", "+6281234567890")
	off := w.login("petugas")
	if res := off.get("/registrations/" + reg.ID); strings.Contains(res.text, reg.NIK) || !strings.Contains(res.body, "/nik") {
		t.Fatalf("detail before the click: NIK shown or no reveal button")
	}
	res := off.post("/registrations/"+reg.ID+"/nik", nil)
	if res.StatusCode != http.StatusOK || !strings.Contains(res.text, reg.NIK) {
		t.Fatalf("reveal: %d, NIK shown %v", res.StatusCode, strings.Contains(res.text, reg.NIK))
	}
	if res.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("the page with the NIK may be cached: %q", res.Header.Get("Cache-Control"))
	}
	off.get("/export/registrations.csv?kecamatan=Plered")
	entries, err := w.store.AuditLog(0).Recent(context.Background(), 10)
	if err != nil || len(entries) != 3 {
		t.Fatalf("audit log = %+v, %v", entries, err)
	}
	if e := entries[1]; e.Action != umkm.AuditRevealNIK || e.Actor != "web:petugas" || e.Subject != reg.ID {
		t.Fatalf("reveal entry = %+v", e)
	}
	if e := entries[0]; e.Action != umkm.AuditExport || e.Subject != "registrations" || !strings.Contains(e.Detail, "1 rows") || !strings.Contains(e.Detail, "Plered") {
		t.Fatalf("export entry = %+v", e)
	}
	for _, e := range entries {
		if strings.Contains(e.Detail+e.Subject, reg.NIK) || strings.Contains(e.Detail, "6281234567890") {
			t.Fatalf("the audit log holds personal data: %+v", e)
		}
	}
	page := w.login("admin").get("/audit")
	if page.StatusCode != http.StatusOK || !strings.Contains(page.text, umkm.AuditRevealNIK) || !strings.Contains(page.text, reg.ID) {
		t.Fatalf("audit page: %d", page.StatusCode)
	}

	broken := newWorldDeps(t, func(d *Deps) { d.Audit = failingAudit{d.Audit} })
	reg = broken.register("Budi", "Bengkel", "Plered", "jasa", "mikro", "+6281234567891")
	c := broken.client()
	res = c.post("/login", url.Values{"name": {"petugas"}, "password": {testPassword}})
	res = c.post("/registrations/"+reg.ID+"/nik", nil)
	if res.StatusCode != http.StatusServiceUnavailable || strings.Contains(res.text, reg.NIK) {
		t.Fatalf("reveal without an audit log: %d, NIK shown %v", res.StatusCode, strings.Contains(res.text, reg.NIK))
	}
}

// TestSignInAgainEndsOldSession: signing in again in the same browser
// ends the session it had; an oversized form is refused, not read.
func TestSignInAgainEndsOldSession(t *testing.T) {
	w := newWorld(t)
	c := w.login("petugas")
	old := c.http.Jar.Cookies(mustURL(w.ts.URL))
	w.login("petugas") // another browser: unaffected
	c.post("/login", url.Values{"name": {"petugas"}, "password": {testPassword}})
	replay := w.client()
	replay.http.Jar.SetCookies(mustURL(w.ts.URL), old)
	if res := replay.get("/"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("the session before signing in again still works: %d", res.StatusCode)
	}
	if res := c.get("/"); res.StatusCode != http.StatusOK {
		t.Fatalf("the new session does not work: %d", res.StatusCode)
	}
	big := url.Values{"name": {"petugas"}, "password": {testPassword}, "pad": {strings.Repeat("x", 200<<10)}}
	if res := w.client().post("/login", big); res.StatusCode != http.StatusBadRequest || res.Header.Get("Set-Cookie") != "" {
		t.Fatalf("a 200 KiB sign-in form: %d", res.StatusCode)
	}
}
