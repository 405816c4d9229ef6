package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
)

// BenchmarkPages: the registrations list (a search), the dashboard and
// the CSV export with 10,000 registrations in the region: each reads every
// registration from Redis (no index yet), so this is the cost to watch.
//
//	go test ./web -run XXX -bench Pages -benchtime 20x
func BenchmarkPages(b *testing.B) {
	w := newBenchWorld(b, 10_000)
	cookie := w.benchLogin(b)
	for _, path := range []string{"/registrations?q=0042", "/", "/export/registrations.csv"} {
		b.Run(path, func(b *testing.B) {
			for b.Loop() {
				req := httptest.NewRequest(http.MethodGet, path, nil)
				req.AddCookie(cookie)
				rec := httptest.NewRecorder()
				w.srv.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("%s: %d", path, rec.Code)
				}
			}
		})
	}
}

type benchWorld struct{ *world }

func newBenchWorld(b *testing.B, n int) benchWorld {
	w := newWorld(b)
	ctx := context.Background()
	kec := w.cfg.Region.Kecamatan
	for i := range n {
		r := &umkm.Registration{Region: w.cfg.Region.Code, RegisteredAt: time.Now().Add(-time.Duration(i) * time.Hour),
			OwnerName: "Pemilik " + itoa(i), NIK: "32140155039" + pad5(i), Phone: "+62812300" + pad5(i),
			BusinessName: "Usaha " + itoa(i), Sector: w.srv.sectors[i%len(w.srv.sectors)], Kecamatan: kec[i%len(kec)].Name,
			SizeClass: umkm.SizeClasses[i%3], Conv: bot.Conversation{Channel: bot.Telegram, User: "b" + itoa(i)}}
		if err := w.store.CreateRegistration(ctx, r, 1); err != nil {
			b.Fatal(err)
		}
	}
	return benchWorld{w}
}

func pad5(i int) string {
	s := itoa(i)
	for len(s) < 5 {
		s = "0" + s
	}
	return s
}

func (w benchWorld) benchLogin(b *testing.B) *http.Cookie {
	tok := "bench-token"
	if err := w.store.CreateSession(context.Background(), sessionID(tok), umkm.OfficerSession{Officer: "petugas", CreatedAt: time.Now()}, time.Hour); err != nil {
		b.Fatal(err)
	}
	return &http.Cookie{Name: cookieName, Value: tok}
}
