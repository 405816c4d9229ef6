package web

import (
	"context"
	"html"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/phone"
	"github.com/umkmbot/umkmbot/bot/umkm"
	"github.com/umkmbot/umkmbot/flows"
	"github.com/umkmbot/umkmbot/locales"
	"github.com/umkmbot/umkmbot/store"
	"github.com/umkmbot/umkmbot/store/redistest"
)

func TestMain(m *testing.M) { os.Exit(redistest.Run(m)) }

// The accounts every test world has; the password is the same for all.
const testPassword = "kata-sandi-uji-1"

var testHash = sync.OnceValue(func() string {
	h, err := HashPassword(testPassword)
	if err != nil {
		panic(err)
	}
	return h
})

// world is a console on a real Redis with three accounts and a few
// registrations.
type world struct {
	t     testing.TB
	store *store.Store
	srv   *Server
	ts    *httptest.Server
	cfg   Config
}

type tweak func(*Config)

func newWorld(t testing.TB, tweaks ...tweak) *world {
	t.Helper()
	return newWorldDeps(t, nil, tweaks...)
}

// newWorldDeps is newWorld with a change to the dependencies (a failing
// audit log, say).
func newWorldDeps(t testing.TB, change func(*Deps), tweaks ...tweak) *world {
	t.Helper()
	rdb, prefix := redistest.Client(t)
	st := store.New(rdb, store.Options{Prefix: prefix})
	cat, err := bot.NewCatalog(locales.FS, nil)
	if err != nil {
		t.Fatal(err)
	}
	cat.OnMissing = func(lang, id string) { t.Errorf("missing message %s in %s", id, lang) }
	region, err := flows.LoadRegion("purwakarta")
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Region: region, Catalog: cat, Sectors: flows.SectorCodes(), Log: slog.New(slog.DiscardHandler)}
	for _, f := range tweaks {
		f(&cfg)
	}
	deps := Deps{Officers: st, Sessions: st, Logins: st, Registrations: st, Applications: st,
		Trainings: st, TrainingSaver: storeSaver{st}, Rows: testRows{}, Audit: st.AuditLog(0),
		Participants: st, PartRows: testRows{}, Broadcasts: st,
		Accounts: st, EndSessions: st, Channels: bot.NewChannels(
			bot.Channel{ID: bot.Telegram, Label: "channel.telegram"}, bot.Channel{ID: bot.WhatsApp, Label: "channel.whatsapp"})}
	if change != nil {
		change(&deps)
	}
	srv, err := New(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, store: st, srv: srv, cfg: srv.cfg}
	w.ts = httptest.NewServer(srv)
	t.Cleanup(w.ts.Close)
	ctx := context.Background()
	for _, o := range []struct {
		name string
		role umkm.Role
	}{{"admin", umkm.RoleAdmin}, {"petugas", umkm.RolePetugas}, {"pengamat", umkm.RolePengamat}} {
		if err := st.CreateOfficer(ctx, &umkm.Officer{Name: o.name, Role: o.role, PasswordHash: testHash()}); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

// storeSaver saves trainings straight to the store (cmd/umkmbot adds the
// promotion notices).
type storeSaver struct{ s *store.Store }

func (ss storeSaver) SaveTraining(ctx context.Context, t *umkm.Training) (int, error) {
	p, err := ss.s.UpdateTraining(ctx, t)
	return len(p), err
}

// testRows is a small export: id, business, phone masked.
type testRows struct{}

func (testRows) ParticipantHeader() []string { return []string{"registration_id", "status", "code"} }
func (testRows) ParticipantRow(e umkm.Enrolment, r *umkm.Registration) []string {
	return []string{e.Registration, string(e.Status), e.Code}
}

func (testRows) Header() []string { return []string{"registration_id", "business_name", "phone"} }
func (testRows) Row(r *umkm.Registration) []string {
	return []string{r.ID, r.BusinessName, phone.Mask(r.Phone)}
}

var regSeq int

// register stores a registration of the world's region.
func (w *world) register(owner, business, kecamatan, sector, size, phone string) *umkm.Registration {
	w.t.Helper()
	regSeq++
	nik := "3214015503" + strings.Repeat("0", 6-len(itoa(regSeq))) + itoa(regSeq)
	r := &umkm.Registration{Region: w.cfg.Region.Code, RegisteredAt: time.Now(), OwnerName: owner, NIK: nik, Phone: phone,
		BusinessName: business, Sector: sector, Kecamatan: kecamatan, Desa: "Anjun", Address: "Jl. Rahasia 7",
		MainProducts: "keripik", CapitalBracket: "modal_le1m", SalesBracket: "omzet_le2m", SizeClass: size, Workers: 2,
		Conv: bot.Conversation{Channel: bot.Telegram, User: "u" + itoa(regSeq)}, ConsentAt: time.Now()}
	if err := w.store.CreateRegistration(context.Background(), r, 1); err != nil {
		w.t.Fatal(err)
	}
	return r
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

// client is a browser-like client: a cookie jar, no redirects followed,
// and same-origin headers on every request unless the test overrides them.
type client struct {
	w    *world
	http *http.Client
}

func (w *world) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{w: w, http: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// login signs in as name and fails the test if that does not work.
func (w *world) login(name string) *client {
	w.t.Helper()
	c := w.client()
	res := c.post("/login", url.Values{"name": {name}, "password": {testPassword}})
	if res.StatusCode != http.StatusSeeOther {
		w.t.Fatalf("sign in as %s: %d %s", name, res.StatusCode, res.body)
	}
	return c
}

type response struct {
	*http.Response
	body string // as sent
	text string // with HTML entities decoded, as a person reads it
}

func (c *client) do(req *http.Request) response {
	c.w.t.Helper()
	if req.Header.Get("Sec-Fetch-Site") == "" && req.Header.Get("Origin") == "" && req.Method != http.MethodGet {
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		req.Header.Set("Origin", c.w.ts.URL)
	}
	res, err := c.http.Do(req)
	if err != nil {
		c.w.t.Fatal(err)
	}
	defer res.Body.Close()
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := res.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return response{Response: res, body: b.String(), text: html.UnescapeString(b.String())}
}

func (c *client) get(path string) response {
	req, _ := http.NewRequest(http.MethodGet, c.w.ts.URL+path, nil)
	return c.do(req)
}

func (c *client) post(path string, form url.Values, headers ...string) response {
	req, _ := http.NewRequest(http.MethodPost, c.w.ts.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return c.do(req)
}
