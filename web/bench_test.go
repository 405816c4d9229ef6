package web

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
	"github.com/umkmbot/umkmbot/flows"
)

// BenchmarkPages: the console's pages of a province (Banten, 8
// kabupaten/kota) with N registrations, 10,000 by default, a province's
// 800,000 with WEB_BENCH_N=800000 (loading them takes a few minutes and
// about 1.7 GB of Redis): every page reads the index, never every
// registration, so its time hardly grows with N.
//
//	go test ./web -run XXX -bench Pages -benchtime 20x
//	WEB_BENCH_N=800000 go test ./web -run XXX -bench Pages -benchtime 20x -timeout 30m
func BenchmarkPages(b *testing.B) {
	n := 10_000
	if v, err := strconv.Atoi(os.Getenv("WEB_BENCH_N")); err == nil && v > 0 {
		n = v
	}
	w := newBenchWorld(b, n)
	cookie := w.benchLogin(b)
	serang, _ := w.cfg.Region.Unit("36.73")
	kec := serang.Kecamatan[0].Name
	for _, path := range []string{
		"/registrations",
		"/registrations?kabkota=36.73&kecamatan=" + kec + "&sector=kuliner&size=mikro",
		"/registrations?sector=kuliner",
		"/registrations?status=desa_lainnya",
		"/registrations?q=siti",
		"/registrations?q=siti+aminah&kabkota=36.73",
		"/registrations?q=ami",
		"/registrations?q=1234",
		"/registrations?q=siti&page=40",
		"/",
		"/export/registrations.csv?kabkota=36.73&kecamatan=" + kec + "&sector=kuliner",
	} {
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

var (
	benchFirst = []string{"Siti", "Budi", "Rina", "Agus", "Dewi", "Ahmad", "Nur", "Yanti", "Hendra", "Sri", "Asep", "Euis"}
	benchLast  = []string{"Aminah", "Santoso", "Marlina", "Hidayat", "Lestari", "Fauzi", "Rahayu", "Saputra", "Wulandari", "Permana"}
	benchGoods = []string{"Keripik singkong", "Emping melinjo", "Sate bandeng", "Batik", "Anyaman bambu", "Kopi bubuk", "Sambal", "Jahit pakaian"}
)

// newBenchWorld is a Banten console with n registrations spread over
// its kabupaten/kota, kecamatan and desa and over two years, loaded by 16
// writers through the store's registration script.
func newBenchWorld(b *testing.B, n int) benchWorld {
	region, err := flows.LoadRegion("banten")
	if err != nil {
		b.Fatal(err)
	}
	w := newWorld(b, func(c *Config) { c.Region = region })
	ctx := context.Background()
	now := time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				rng := rand.New(rand.NewPCG(uint64(i), 7)) // every field drawn on its own
				pick := func(n int) int { return rng.IntN(n) }
				u := region.Units[pick(len(region.Units))]
				k := u.Kecamatan[pick(len(u.Kecamatan))]
				d := k.Desa[pick(len(k.Desa))]
				owner := benchFirst[pick(len(benchFirst))] + " " + benchLast[pick(len(benchLast))]
				size := "mikro"
				if pick(20) == 0 {
					size = "kecil"
				}
				r := &umkm.Registration{Region: u.Code, RegisteredAt: now.Add(-time.Duration(pick(2*365*24*60)) * time.Minute),
					OwnerName: owner, NIK: fmt.Sprintf("3601%012d", i), Phone: fmt.Sprintf("+62812%08d", i),
					BusinessName: benchGoods[pick(len(benchGoods))] + " " + owner, Sector: w.srv.sectors[pick(len(w.srv.sectors))],
					Kecamatan: k.Name, Desa: d.Name, DesaCode: d.Code, DesaUnlisted: pick(50) == 0,
					SizeClass: size, Conv: bot.Conversation{Channel: bot.Telegram, User: "b" + strconv.Itoa(i)}}
				if err := w.store.CreateRegistration(ctx, r, 1); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
	for _, u := range region.Units { // as serve does at start
		if err := w.store.EnsureAudienceIndex(ctx, u.Code); err != nil {
			b.Fatal(err)
		}
	}
	return benchWorld{w}
}

func (w benchWorld) benchLogin(b *testing.B) *http.Cookie {
	tok := "bench-token"
	if err := w.store.CreateSession(context.Background(), sessionID(tok), umkm.OfficerSession{Officer: "petugas", CreatedAt: time.Now()}, time.Hour); err != nil {
		b.Fatal(err)
	}
	return &http.Cookie{Name: cookieName, Value: tok}
}
