package store_test

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
	"github.com/umkmbot/umkmbot/store"
)

// regIndexWorld is a keyed store with registrations in two kabupaten/kota:
// names from a small pool (shared words and beginnings), many made in the
// same millisecond (ties in the time order), some with an NIB, some with
// an unlisted desa, phones sharing their last digits.
type regIndexWorld struct {
	st    *store.Store
	rdb   redis.UniversalClient
	units []string
	made  []*umkm.Registration
	// erasedWords are name words of erased owners nobody else has.
	erasedWords []string
}

var (
	ixFirst  = []string{"Siti", "Sri", "Budi", "Bambang", "Dewi", "Ma'ruf", "Ahmad", "Sutrisno"}
	ixLast   = []string{"Aminah", "Wahyuni", "Santoso", "Hidayat", "Lestari", "Sudirman"}
	ixShop   = []string{"Warung", "Keripik", "Batik", "Bengkel", "Kedai", "Sambal"}
	ixKec    = map[string][]string{"36.04": {"Kramatwatu", "Ciruas", "Curug"}, "36.73": {"Serang", "Cipocok Jaya", "Curug"}}
	ixSector = []string{"kuliner", "fesyen", "jasa"}
)

func newRegIndexWorld(t *testing.T, n int) *regIndexWorld {
	t.Helper()
	rdb, _, prefix := clientPair(t)
	w := &regIndexWorld{st: store.New(rdb, store.Options{Prefix: prefix, Cipher: keyring(t, newKey(t))}), rdb: rdb, units: []string{"36.04", "36.73"}}
	base := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	for i := range n {
		unit := w.units[i%2]
		r := &umkm.Registration{Region: unit, Conv: bot.Conversation{Channel: []bot.ChannelID{bot.Telegram, bot.WhatsApp}[i%3%2], User: fmt.Sprint("u", i)},
			NIK: fmt.Sprintf("36730145058%05d", i+1), Phone: fmt.Sprintf("+6281234%02d%04d", i%7, i%13),
			OwnerName: ixFirst[i%len(ixFirst)] + " " + ixLast[i%len(ixLast)], BusinessName: ixShop[i%len(ixShop)] + " " + ixFirst[(i/3)%len(ixFirst)],
			Kecamatan: ixKec[unit][i%3], Desa: []string{"Sukajaya", "Kaliwadas", "Cimuncang"}[i%3], Sector: ixSector[i%3],
			SizeClass: umkm.SizeClasses[i%5%3], RegisteredAt: base.Add(time.Duration(i/4) * time.Second)}
		if i%4 == 0 {
			r.NIB = fmt.Sprint("91200", i)
		}
		r.DesaUnlisted = i%9 == 0
		if err := w.st.CreateRegistration(context.Background(), r, 1); err != nil {
			t.Fatal(err)
		}
		w.made = append(w.made, r)
	}
	return w
}

// scan answers q the slow way: every registration read and tested.
func (w *regIndexWorld) scan(t *testing.T, q umkm.RegistrationQuery) []string {
	t.Helper()
	var out []*umkm.Registration
	for _, u := range q.Regions {
		err := w.st.EachRegistration(context.Background(), u, func(r *umkm.Registration) error {
			if regMatches(r, q) {
				out = append(out, r)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	slices.SortFunc(out, func(a, b *umkm.Registration) int {
		return -cmp.Or(cmp.Compare(a.RegisteredAt.UnixMilli(), b.RegisteredAt.UnixMilli()), strings.Compare(a.ID, b.ID))
	})
	ids := make([]string, len(out))
	for i, r := range out {
		ids[i] = r.ID
	}
	return ids
}

func regMatches(r *umkm.Registration, q umkm.RegistrationQuery) bool {
	if q.Kecamatan != "" && !strings.EqualFold(strings.ReplaceAll(q.Kecamatan, " ", ""), strings.ReplaceAll(r.Kecamatan, " ", "")) ||
		q.Sector != "" && q.Sector != r.Sector || q.Size != "" && q.Size != r.SizeClass ||
		q.Status != "" && !slices.Contains(r.Statuses(), q.Status) ||
		q.PhoneTail != "" && !strings.HasSuffix(r.Phone, q.PhoneTail) {
		return false
	}
	words := umkm.SearchWords(r.OwnerName+" "+r.BusinessName+" "+r.Desa+" "+r.Kecamatan, 0)
	for _, q := range q.Words {
		begins := func(w string) bool { return strings.HasPrefix(w, q) }
		if len([]rune(q)) < 3 { // two letters: a whole word only
			begins = func(w string) bool { return w == q }
		}
		if !slices.ContainsFunc(words, begins) {
			return false
		}
	}
	return true
}

// pages follows q's pages forward, then back from the last, and checks
// both walks give the same ids, with the same total on every page.
func (w *regIndexWorld) pages(t *testing.T, q umkm.RegistrationQuery) (ids []string, total int) {
	t.Helper()
	ctx := context.Background()
	var forward [][]string
	for n := 0; ; n++ {
		p, err := w.st.FindRegistrations(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if n > 0 && p.Total != total {
			t.Fatalf("%+v: total %d on page %d, %d on the first", q, p.Total, n+1, total)
		}
		total = p.Total
		var page []string
		for _, r := range p.Registrations {
			page = append(page, r.ID)
		}
		forward = append(forward, page)
		ids = append(ids, page...)
		if (n > 0) != (p.Prev != "") {
			t.Fatalf("%+v: page %d has prev %q", q, n+1, p.Prev)
		}
		if p.Next == "" {
			// back to the first page
			for i := len(forward) - 2; i >= 0; i-- {
				back := q
				back.After, back.Before = "", p.Prev
				if p, err = w.st.FindRegistrations(ctx, back); err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, r := range p.Registrations {
					got = append(got, r.ID)
				}
				if !slices.Equal(got, forward[i]) {
					t.Fatalf("%+v: going back, page %d = %v, forward it was %v", q, i+1, got, forward[i])
				}
				if (i > 0) != (p.Prev != "") {
					t.Fatalf("%+v: going back, page %d has prev %q", q, i+1, p.Prev)
				}
			}
			return ids, total
		}
		if n > 200 {
			t.Fatalf("%+v: more than 200 pages", q)
		}
		q.After = p.Next
	}
}

var regQueries = []umkm.RegistrationQuery{
	{},
	{Kecamatan: "cipocok jaya"},
	{Kecamatan: "Curug", Sector: "kuliner"},
	{Sector: "fesyen", Size: "kecil"},
	{Status: umkm.RegStatusNIB},
	{Status: umkm.RegStatusDesaUnlisted, Sector: "jasa"},
	{Words: []string{"siti"}},
	{Words: []string{"si"}},
	{Words: []string{"sri"}},
	{Words: []string{"sr"}},
	{Words: []string{"warung", "am"}},
	{Words: []string{"maruf"}},
	{Words: []string{"curug"}},
	{Words: []string{"cipo", "sit"}},
	{Words: []string{"jaya"}},
	{Words: []string{"kaliwadas", "bambang"}, Size: "mikro"},
	{Words: []string{"zzz"}},
	{PhoneTail: "0012"},
	{PhoneTail: "0012", Words: []string{"s"}},
	{Sector: "pertanian"},
}

func (w *regIndexWorld) check(t *testing.T, when string) {
	t.Helper()
	for _, small := range []int{5000, 0, -1} { // intersecting the matches, walking the time order, picked by their number
		undo := store.SetFindSmall(small)
		for _, q := range regQueries {
			for _, regions := range [][]string{w.units, w.units[1:]} {
				q.Regions, q.Limit = regions, 7
				want := w.scan(t, q)
				got, total := w.pages(t, q)
				if !slices.Equal(got, want) || total != len(want) {
					t.Errorf("%s, small %d, %+v: %d ids (total %d) %v\nwant %d %v", when, small, q, len(got), total, got, len(want), want)
				}
			}
		}
		undo()
	}
	// oldest first, as the export reads them
	q := umkm.RegistrationQuery{Regions: w.units, Oldest: true, Limit: 50, Sector: "kuliner"}
	got, _ := w.pages(t, q)
	want := w.scan(t, q)
	slices.Reverse(want)
	if !slices.Equal(got, want) {
		t.Errorf("%s: oldest first %v, want %v", when, got, want)
	}
}

// TestFindRegistrationsAgreesWithScan: every search, filter and their
// combinations page by page (forward and back, ties in time included)
// give what reading every registration gives, after creates, corrections,
// an erasure, and a rebuilt index.
func TestFindRegistrationsAgreesWithScan(t *testing.T) {
	w := newRegIndexWorld(t, 260)
	ctx := context.Background()
	w.check(t, "created")

	// Corrections move a registration between sets and words.
	for i, r := range w.made[:40] {
		c := *r
		c.OwnerName = "Rahmat Kurniawan " + fmt.Sprint(i)
		c.Kecamatan, c.Sector = ixKec[r.Region][(i+1)%3], ixSector[(i+1)%3]
		c.NIB, c.DesaUnlisted = "", !r.DesaUnlisted
		if err := w.st.UpdateRegistration(ctx, &c); err != nil {
			t.Fatal(err)
		}
	}
	unique := w.made[41]
	c := *unique
	c.OwnerName = "Zubaidah Qonitah"
	if err := w.st.UpdateRegistration(ctx, &c); err != nil {
		t.Fatal(err)
	}
	w.check(t, "corrected")
	if p, _ := w.st.FindRegistrations(ctx, umkm.RegistrationQuery{Regions: w.units, Words: []string{"zubaidah"}}); p.Total != 1 {
		t.Fatalf("the corrected name: %d found, want 1", p.Total)
	}

	// Erasure: the registration is gone from every search, and its words
	// no other registration has leave the dictionary.
	if _, err := w.st.ErasePerson(ctx, []string{unique.Region}, unique.Conv); err != nil {
		t.Fatal(err)
	}
	w.check(t, "erased")
	dict := w.keysLike(t, "ix:dict")
	for _, k := range dict {
		for _, word := range []string{"zubaidah", "qonitah"} {
			if _, err := w.rdb.ZScore(ctx, k, word).Result(); err != redis.Nil {
				t.Errorf("%q is still in %s after the erasure (%v)", word, k, err)
			}
		}
	}
	if _, err := w.rdb.ZScore(ctx, w.st.Key("r:3604", "ix:dict"), "siti").Result(); err != nil {
		t.Errorf("a word others have left the dictionary: %v", err)
	}

	// The index of an older layout is rebuilt at start, and again changes nothing.
	for _, k := range w.keysLike(t, "ix:") {
		if err := w.rdb.Del(ctx, k).Err(); err != nil {
			t.Fatal(err)
		}
	}
	for _, u := range w.units {
		if err := w.rdb.Set(ctx, w.st.Key("r:"+strings.ReplaceAll(u, ".", ""), "ix:v"), "1", 0).Err(); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if err := w.st.EnsureAudienceIndex(ctx, u); err != nil {
				t.Fatal(err)
			}
		}
	}
	w.check(t, "rebuilt")
}

// TestFindRegistrationsIndexesOnFirstUse: a region never indexed (made by
// an older version) is indexed by the first search.
func TestFindRegistrationsIndexesOnFirstUse(t *testing.T) {
	w := newRegIndexWorld(t, 30)
	ctx := context.Background()
	for _, k := range w.keysLike(t, "ix:") {
		w.rdb.Del(ctx, k)
	}
	q := umkm.RegistrationQuery{Regions: w.units, Words: []string{"siti"}, Limit: 100}
	p, err := w.st.FindRegistrations(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if want := w.scan(t, q); p.Total != len(want) || len(want) == 0 {
		t.Fatalf("first search on an unindexed store: %d, want %d", p.Total, len(want))
	}
}

// TestRegistrationStats: the dashboard's counts from the index equal
// counting every registration.
func TestRegistrationStats(t *testing.T) {
	w := newRegIndexWorld(t, 90)
	ctx := context.Background()
	base := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	weeks := []time.Time{base.Add(-time.Hour), base.Add(5 * time.Second), base.Add(10 * time.Second)}
	for _, u := range w.units {
		st, err := w.st.RegistrationStats(ctx, u, ixKec[u], ixSector, umkm.SizeClasses, umkm.RegStatuses, weeks)
		if err != nil {
			t.Fatal(err)
		}
		want := umkm.RegistrationStats{Kecamatan: make([]int, 3), Sectors: make([]int, 3), Sizes: make([]int, 3),
			Statuses: make([]int, 3), Weeks: make([]int, 3)}
		for _, r := range w.made {
			if r.Region != u {
				continue
			}
			want.Total++
			want.Kecamatan[slices.Index(ixKec[u], r.Kecamatan)]++
			want.Sectors[slices.Index(ixSector, r.Sector)]++
			want.Sizes[slices.Index(umkm.SizeClasses, r.SizeClass)]++
			for _, s := range r.Statuses() {
				want.Statuses[slices.Index(umkm.RegStatuses, s)]++
			}
			for i := len(weeks) - 1; i >= 0; i-- {
				if !r.RegisteredAt.Before(weeks[i]) {
					want.Weeks[i]++
					break
				}
			}
		}
		if fmt.Sprint(st) != fmt.Sprint(want) {
			t.Errorf("%s: stats %+v, want %+v", u, st, want)
		}
	}
}

// keysLike returns the keys of the world whose name contains part.
func (w *regIndexWorld) keysLike(t *testing.T, part string) []string {
	t.Helper()
	var out []string
	ctx := context.Background()
	scan := func(ctx context.Context, c *redis.Client) error {
		it := c.Scan(ctx, 0, w.st.Key("r:*", "")+"*", 1000).Iterator()
		for it.Next(ctx) {
			if strings.Contains(it.Val(), part) {
				out = append(out, it.Val())
			}
		}
		return it.Err()
	}
	var err error
	switch c := w.rdb.(type) {
	case *redis.ClusterClient:
		err = c.ForEachMaster(ctx, scan)
	case *redis.Client:
		err = scan(ctx, c)
	}
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestFindRegistrationsConcurrentWrites: two processes create, correct
// and erase registrations at once while searches run; afterwards every
// search agrees with reading every registration, and the dictionary holds
// no word of an erased owner.
func TestFindRegistrationsConcurrentWrites(t *testing.T) {
	w := newRegIndexWorld(t, 0)
	a, b, prefix := clientPair(t)
	key := keyring(t, newKey(t))
	stores := []*store.Store{store.New(a, store.Options{Prefix: prefix, Cipher: key}), store.New(b, store.Options{Prefix: prefix, Cipher: key})}
	w.st, w.rdb = stores[0], a
	ctx := context.Background()
	var mu sync.Mutex
	var wg sync.WaitGroup
	for g := range 4 {
		st := stores[g%2]
		wg.Go(func() {
			for i := range 30 {
				n := g*100 + i
				unit := w.units[n%2]
				r := &umkm.Registration{Region: unit, Conv: bot.Conversation{Channel: bot.Telegram, User: fmt.Sprint("c", n)},
					NIK: fmt.Sprintf("36730145059%05d", n), Phone: fmt.Sprintf("+628129%07d", n),
					OwnerName: ixFirst[n%len(ixFirst)] + " Unik" + fmt.Sprint(n), BusinessName: "Warung " + ixLast[n%len(ixLast)],
					Kecamatan: ixKec[unit][n%3], Sector: ixSector[n%3], SizeClass: "mikro", RegisteredAt: time.Now()}
				if err := st.CreateRegistration(ctx, r, 1); err != nil {
					t.Error(err)
					return
				}
				if _, err := st.FindRegistrations(ctx, umkm.RegistrationQuery{Regions: w.units, Words: []string{"warung"}, Limit: 5}); err != nil {
					t.Error(err)
					return
				}
				switch i % 3 {
				case 1:
					c := *r
					c.OwnerName, c.Sector = "Koreksi "+fmt.Sprint(n), ixSector[(n+1)%3]
					if err := st.UpdateRegistration(ctx, &c); err != nil {
						t.Error(err)
						return
					}
				case 2:
					if _, err := st.ErasePerson(ctx, []string{unit}, r.Conv); err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					w.erasedWords = append(w.erasedWords, "unik"+fmt.Sprint(n))
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	w.check(t, "after concurrent writes")
	for _, word := range w.erasedWords {
		for _, u := range w.units {
			if _, err := a.ZScore(ctx, stores[0].Key("r:"+strings.ReplaceAll(u, ".", ""), "ix:dict"), word).Result(); err != redis.Nil {
				t.Fatalf("%q of an erased owner is in the dictionary of %s (%v)", word, u, err)
			}
		}
	}
}
