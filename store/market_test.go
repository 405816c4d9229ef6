package store_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
	"github.com/umkmbot/umkmbot/store"
	"github.com/umkmbot/umkmbot/store/redistest"
)

func newStore(t *testing.T) *store.Store {
	rdb, prefix := redistest.Client(t)
	return store.New(rdb, store.Options{Prefix: prefix})
}

func TestProductsCRUD(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	p := &umkm.Product{Name: "Keripik Singkong", Category: "kuliner", Price: 15000, Weight: 250, Stock: 10,
		Photos: []bot.Media{{Type: "photo", Ref: "f1", W: 800, H: 800, Size: 150000}}}
	if err := s.SaveProduct(ctx, conv, p); err != nil || p.ID != "P1" {
		t.Fatalf("create = %q, %v; want P1", p.ID, err)
	}
	q := &umkm.Product{Name: "Simping", Category: "kuliner", Price: 10000}
	if err := s.SaveProduct(ctx, conv, q); err != nil || q.ID != "P2" {
		t.Fatalf("second create = %q, %v; want P2", q.ID, err)
	}
	// The same turn run again (same origin) does not add a product.
	p1 := &umkm.Product{Name: "Keripik Singkong", Origin: "msg-1"}
	again := &umkm.Product{Name: "Keripik Singkong", Origin: "msg-1"}
	if err := s.SaveProduct(ctx, bot.Conversation{Channel: bot.Console, User: "o"}, p1); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveProduct(ctx, bot.Conversation{Channel: bot.Console, User: "o"}, again); err != nil || again.ID != p1.ID {
		t.Fatalf("same origin saved as %q, first %q, %v", again.ID, p1.ID, err)
	}
	p.Price = 17000
	if err := s.SaveProduct(ctx, conv, p); err != nil || p.ID != "P1" {
		t.Fatalf("update = %q, %v", p.ID, err)
	}
	got, err := s.Products(ctx, conv)
	if err != nil || len(got) != 2 || got[0].ID != "P1" || got[0].Price != 17000 || got[1].Name != "Simping" ||
		len(got[0].Photos) != 1 || got[0].Photos[0].Ref != "f1" {
		t.Fatalf("products = %+v, %v", got, err)
	}
	other := bot.Conversation{Channel: bot.WhatsApp, User: "62812"}
	if list, _ := s.Products(ctx, other); len(list) != 0 {
		t.Fatalf("another owner sees %d products", len(list))
	}
	if err := s.DeleteProduct(ctx, conv, "P1"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteProduct(ctx, conv, "P1"); !errors.Is(err, bot.ErrNotFound) {
		t.Fatalf("delete twice: %v, want ErrNotFound", err)
	}
	ghost := &umkm.Product{ID: "P1", Name: "x"}
	if err := s.SaveProduct(ctx, conv, ghost); !errors.Is(err, bot.ErrNotFound) {
		t.Fatalf("update a deleted product: %v, want ErrNotFound", err)
	}
	if got, _ := s.Products(ctx, conv); len(got) != 1 || got[0].ID != "P2" {
		t.Fatalf("after delete = %+v", got)
	}
}

// Two processes saving new products for the same owner at once get
// distinct ids and the limit holds.
func TestProductsConcurrentCreate(t *testing.T) {
	ctx := context.Background()
	a, b := twoStores(t)
	var wg sync.WaitGroup
	errs := make(chan error, 2*umkm.MaxProducts)
	for i := 0; i < umkm.MaxProducts; i++ {
		for _, s := range []*store.Store{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- s.SaveProduct(ctx, conv, &umkm.Product{Name: fmt.Sprint("p", i)})
			}()
		}
	}
	wg.Wait()
	close(errs)
	full := 0
	for err := range errs {
		if errors.Is(err, umkm.ErrTooManyProducts) {
			full++
		} else if err != nil {
			t.Fatal(err)
		}
	}
	got, _ := a.Products(ctx, conv)
	ids := map[string]bool{}
	for _, p := range got {
		ids[p.ID] = true
	}
	if len(got) != umkm.MaxProducts || len(ids) != umkm.MaxProducts || full != umkm.MaxProducts {
		t.Fatalf("%d products, %d distinct ids, %d refused; want %d each", len(got), len(ids), full, umkm.MaxProducts)
	}
}

func testRegion() umkm.Region {
	return umkm.Region{Code: "32.14", Name: "Kabupaten Purwakarta", Outlets: []umkm.Outlet{
		{ID: "a", Name: "Galeri A", Lat: -6.5560, Lon: 107.4430},
		{ID: "b", Name: "Galeri B", Lat: -6.5400, Lon: 107.4460},
		{ID: "c", Name: "Galeri C", Lat: -6.7000, Lon: 107.5000},
		{ID: "d", Name: "Galeri D", Lat: -6.9000, Lon: 107.6000},
	}}
}

func TestNearestOutlets(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	r := testRegion()
	if err := s.LoadOutlets(ctx, r); err != nil {
		t.Fatal(err)
	}
	got, err := s.NearestOutlets(ctx, r.Code, bot.Location{Lat: -6.5420, Lon: 107.4455}, 3)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"b", "a", "c"}
	if len(got) != 3 {
		t.Fatalf("got %d outlets, want 3", len(got))
	}
	for i, w := range want {
		if got[i].Outlet.ID != w {
			t.Fatalf("nearest[%d] = %s, want %s (all %+v)", i, got[i].Outlet.ID, w, got)
		}
	}
	// B is about 230 m away; A about 1.6 km (haversine).
	if math.Abs(got[0].KM-0.23) > 0.05 || math.Abs(got[1].KM-1.57) > 0.1 {
		t.Fatalf("distances %.3f, %.3f km; want about 0.23 and 1.57", got[0].KM, got[1].KM)
	}
	// Reloading with fewer outlets drops the old ones from the index.
	r.Outlets = r.Outlets[2:]
	if err := s.LoadOutlets(ctx, r); err != nil {
		t.Fatal(err)
	}
	got, _ = s.NearestOutlets(ctx, r.Code, bot.Location{Lat: -6.5420, Lon: 107.4455}, 3)
	if len(got) != 2 || got[0].Outlet.ID != "c" {
		t.Fatalf("after reload: %+v", got)
	}
	list, _ := s.Outlets(ctx, r.Code)
	if len(list) != 2 || list[0].ID != "c" {
		t.Fatalf("outlets after reload: %+v", list)
	}
	if none, err := s.Outlets(ctx, "35.29"); err != nil || len(none) != 0 {
		t.Fatalf("region without outlets: %+v, %v", none, err)
	}
	bad := umkm.Region{Code: "32.14", Outlets: []umkm.Outlet{{ID: "x", Name: "X"}}}
	if err := s.LoadOutlets(ctx, bad); err == nil {
		t.Fatal("an outlet without coordinates loaded")
	}
}

func TestCurationLifecycle(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	at := time.Date(2026, 11, 25, 9, 0, 0, 0, bot.Jakarta)
	a := &umkm.Application{Region: "32.14", Conv: conv, Target: "menong-veteran", TargetName: "Galeri Menong",
		Products: []string{"Simping"}, CreatedAt: at}
	if err := s.SubmitApplication(ctx, a); err != nil || a.ID != "KUR-3214-000001" || a.Status != umkm.StatusSubmitted {
		t.Fatalf("submit = %+v, %v", a, err)
	}
	again := &umkm.Application{Region: "32.14", Conv: conv, Target: "menong-veteran", CreatedAt: at}
	var dup *umkm.AlreadyAppliedError
	if err := s.SubmitApplication(ctx, again); !errors.As(err, &dup) || dup.ID != a.ID {
		t.Fatalf("second submit for the same target: %v", err)
	}
	if _, err := s.SetApplicationStatus(ctx, a.ID, umkm.StatusSubmitted, "", at); !errors.Is(err, umkm.ErrBadTransition) {
		t.Fatalf("diajukan → diajukan: %v", err)
	}
	if _, err := s.SetApplicationStatus(ctx, a.ID, umkm.StatusReviewing, "", at.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	got, err := s.SetApplicationStatus(ctx, a.ID, umkm.StatusRejected, "Kemasan belum berlabel", at.Add(2*time.Hour))
	if err != nil || got.Status != umkm.StatusRejected || got.Note != "Kemasan belum berlabel" || len(got.History) != 3 {
		t.Fatalf("decide = %+v, %v", got, err)
	}
	if _, err := s.SetApplicationStatus(ctx, a.ID, umkm.StatusAccepted, "", at); !errors.Is(err, umkm.ErrBadTransition) {
		t.Fatalf("change after a decision: %v", err)
	}
	if _, err := s.SetApplicationStatus(ctx, "KUR-3214-000099", umkm.StatusReviewing, "", at); !errors.Is(err, bot.ErrNotFound) {
		t.Fatalf("unknown id: %v", err)
	}
	// Decided: the owner may apply to the same galeri again.
	if err := s.SubmitApplication(ctx, again); err != nil || again.ID != "KUR-3214-000002" {
		t.Fatalf("apply again after a decision: %q, %v", again.ID, err)
	}
	mine, err := s.ApplicationsFor(ctx, "32.14", conv)
	if err != nil || len(mine) != 2 || mine[0].Status != umkm.StatusRejected || mine[0].Conv != conv {
		t.Fatalf("applications of the owner = %+v, %v", mine, err)
	}
	open, _ := s.Applications(ctx, "32.14", umkm.StatusSubmitted)
	if len(open) != 1 || open[0].ID != again.ID {
		t.Fatalf("submitted = %+v", open)
	}
	// Two notices queued, in order; a notice taken but not finished comes
	// back after a restart.
	n, done, ok, err := s.NextCurationNotice(ctx, "32.14", time.Second)
	if err != nil || !ok || n.Status != umkm.StatusReviewing || n.Conv != conv.String() {
		t.Fatalf("first notice = %+v, %v, %v", n, ok, err)
	}
	if err := done(ctx); err != nil {
		t.Fatal(err)
	}
	n, _, ok, _ = s.NextCurationNotice(ctx, "32.14", time.Second)
	if !ok || n.Status != umkm.StatusRejected || n.Note != "Kemasan belum berlabel" {
		t.Fatalf("second notice = %+v", n)
	}
	if k, err := s.RequeueCurationNotices(ctx, "32.14"); err != nil || k != 1 {
		t.Fatalf("requeue = %d, %v; want 1", k, err)
	}
	n, done, ok, _ = s.NextCurationNotice(ctx, "32.14", time.Second)
	if !ok || n.Status != umkm.StatusRejected {
		t.Fatalf("requeued notice = %+v", n)
	}
	done(ctx)
	if _, _, ok, err := s.NextCurationNotice(ctx, "32.14", 0); ok || err != nil {
		t.Fatalf("empty queue gave a notice: %v, %v", ok, err)
	}
}

// Two reviewers deciding the same application at once: exactly one wins,
// and exactly one notice is queued for the decision.
func TestCurationConcurrentDecision(t *testing.T) {
	ctx := context.Background()
	a, b := twoStores(t)
	at := time.Date(2026, 11, 25, 9, 0, 0, 0, bot.Jakarta)
	app := &umkm.Application{Region: "32.14", Conv: conv, Target: "ritel", CreatedAt: at}
	if err := a.SubmitApplication(ctx, app); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	results := make([]error, 20)
	for i := range results {
		s, st := a, umkm.StatusAccepted
		if i%2 == 1 {
			s, st = b, umkm.StatusRejected
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, results[i] = s.SetApplicationStatus(ctx, app.ID, st, "catatan", at)
		}()
	}
	wg.Wait()
	wins := 0
	for _, err := range results {
		if err == nil {
			wins++
		} else if !errors.Is(err, umkm.ErrBadTransition) {
			t.Fatal(err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d decisions succeeded, want 1", wins)
	}
	count := 0
	for {
		_, done, ok, err := a.NextCurationNotice(ctx, "32.14", 0)
		if err != nil || !ok {
			break
		}
		done(ctx)
		count++
	}
	if count != 1 {
		t.Fatalf("%d notices queued, want 1", count)
	}
}

// A submit that runs twice at once (a turn retried on a conflict, two
// processes) files one application.
func TestCurationConcurrentSubmit(t *testing.T) {
	ctx := context.Background()
	a, b := twoStores(t)
	at := time.Date(2026, 11, 25, 9, 0, 0, 0, bot.Jakarta)
	var wg sync.WaitGroup
	errs := make([]error, 16)
	for i := range errs {
		s := a
		if i%2 == 1 {
			s = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.SubmitApplication(ctx, &umkm.Application{Region: "32.14", Conv: conv, Target: "ritel", CreatedAt: at})
		}()
	}
	wg.Wait()
	created := 0
	for _, err := range errs {
		var dup *umkm.AlreadyAppliedError
		switch {
		case err == nil:
			created++
		case !errors.As(err, &dup):
			t.Fatal(err)
		}
	}
	all, _ := a.Applications(ctx, "32.14", "")
	if created != 1 || len(all) != 1 {
		t.Fatalf("%d submits succeeded, %d stored; want 1", created, len(all))
	}
}

func BenchmarkNearestOutlets(b *testing.B) {
	rdb, prefix := redistest.Client(b)
	s := store.New(rdb, store.Options{Prefix: prefix})
	ctx := context.Background()
	if err := s.LoadOutlets(ctx, testRegion()); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := s.NearestOutlets(ctx, "32.14", bot.Location{Lat: -6.54, Lon: 107.44}, 3); err != nil {
			b.Fatal(err)
		}
	}
}
