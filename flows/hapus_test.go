package flows_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/console"
	"github.com/umkmbot/umkmbot/bot/pii"
	"github.com/umkmbot/umkmbot/bot/umkm"
	"github.com/umkmbot/umkmbot/store"
	"github.com/umkmbot/umkmbot/store/redistest"
)

// registrationInputs register Siti Aminah's Warung Siti over chat (the
// channel reports her phone, so the phone question is skipped).
var registrationInputs = []string{"daftar", "1", "Siti Aminah", "3214015503900001", "Warung Siti",
	"1", "1", "Ciseureuh", "Jl. Veteran 1", "nasi", "1", "1", "2", "lewati", "belum", "ya"}

// personal are the values that must not stay anywhere after erasure (and,
// with a data key, never be stored in clear): name, NIK, typed phone, the
// phone (the channel reported it), business name.
var personal = []string{"Siti Aminah", "3214015503900001", "81299990000", "Warung Siti"}

// rightsWorld is the golden world with every store of the owner's
// rights wired, sealed with a data key when sealed is true.
func rightsWorld(t *testing.T, sealed bool) *world {
	w := newWorld(t)
	if sealed {
		seal(t, w)
	}
	w.deps.Products, w.deps.Curation, w.deps.Eraser, w.deps.Audit = w.store, w.store, w.store, w.store.AuditLog(0)
	w.engine = bot.NewEngine(bot.EngineConfig{Now: w.clock}, mustFlows(w.t, w.deps), w.store, w.store, w.catalog, nil)
	return w
}

// seal gives w's store a data key, as serve has.
func seal(t testing.TB, w *world) {
	k, err := pii.NewKey(time.Now(), nil)
	if err != nil {
		t.Fatal(err)
	}
	kr, err := pii.Parse(k)
	if err != nil {
		t.Fatal(err)
	}
	w.store = store.New(w.store.Client(), store.Options{Prefix: w.store.Prefix(), Now: w.clock,
		Rand: rand.NewChaCha8([32]byte{}), Cipher: kr})
	w.deps.Registrations, w.deps.Trainings, w.deps.Broadcasts, w.deps.Profiles = w.store, w.store, w.store, w.store
	w.engine = bot.NewEngine(bot.EngineConfig{Now: w.clock}, mustFlows(w.t, w.deps), w.store, w.store, w.catalog, nil)
}

func noneIn(t *testing.T, w *world, when string, values ...string) {
	t.Helper()
	all := redistest.Dump(t, w.store.Client(), w.store.Prefix())
	for _, v := range values {
		if strings.Contains(all, v) {
			t.Fatalf("%s: Redis holds %q:\n%s", when, v, all)
		}
	}
}

// TestEraseEndToEnd registers an owner over chat (the channel reporting
// their phone, as WhatsApp does), gives them a training seat with someone
// waiting, a product and a curation application, then erases them with
// "hapus data": every key's value is scanned for what identified them.
// REDISTEST_EMBEDDED=1 runs it on the embedded store.
func TestEraseEndToEnd(t *testing.T) {
	for _, c := range []struct {
		name     string
		sealed   bool
		embedded bool
	}{{"sealed", true, false}, {"clear", false, false}, {"sealed-embedded", true, true}} {
		t.Run(c.name, func(t *testing.T) {
			sealed := c.sealed
			if c.embedded {
				onEmbeddedStore(t)
			}
			ctx := context.Background()
			w := rightsWorld(t, sealed)
			owner := bot.Conversation{Channel: bot.Telegram, User: "42"}
			say := func(text string) string {
				m := console.Parse(text)
				m.Phone = "+6281299990000"
				var b strings.Builder
				for _, r := range w.say(owner, m) {
					b.WriteString(r.PlainText() + "\n")
				}
				return b.String()
			}
			for i, in := range registrationInputs {
				say(in)
				if sealed && i == 4 { // the NIK and phone are answers of a registration in progress
					noneIn(t, w, "during registration", "3214015503900001", "81299990000")
				}
			}
			r, err := w.store.RegistrationFor(ctx, w.deps.Region.Code, owner)
			if err != nil {
				t.Fatalf("not registered: %v", err)
			}
			if sealed {
				noneIn(t, w, "after registration", "3214015503900001", "81299990000")
			}

			tr := &umkm.Training{Title: "Foto Produk", Topic: "ecommerce", Organiser: "DKUPP", Place: "Aula",
				Start: w.now.Add(72 * time.Hour), End: w.now.Add(75 * time.Hour), Capacity: 1}
			if err := w.store.CreateTraining(ctx, tr); err != nil {
				t.Fatal(err)
			}
			waiting := bot.Conversation{Channel: bot.WhatsApp, User: "6281100000001"}
			for _, c := range []bot.Conversation{owner, waiting} {
				if _, err := w.store.Enrol(ctx, umkm.Enrolment{Training: tr.ID, Conv: c, Registration: r.ID}, true); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.store.SaveProduct(ctx, owner, &umkm.Product{Name: "Nasi Warung Siti", Price: 15000,
				Photos: []bot.Media{{Type: "photo", Ref: "photo-of-siti"}}}); err != nil {
				t.Fatal(err)
			}
			if err := w.store.SubmitApplication(ctx, &umkm.Application{Region: r.Region, Conv: owner, RegistrationID: r.ID,
				Business: r.BusinessName, Target: "menong", TargetName: "Galeri Menong", CreatedAt: w.now}); err != nil {
				t.Fatal(err)
			}

			m := console.Parse("data saya")
			m.Phone = "+6281299990000"
			if rs := w.say(owner, m); len(rs) == 0 || rs[0].File == nil || rs[0].File.Text != rs[0].Text ||
				!strings.HasPrefix(rs[0].File.Name, "data-saya-") {
				t.Fatalf("data saya sends no copy as a file: %+v", rs)
			}
			if got := say("lihat data"); !strings.Contains(got, "Warung Siti") || !strings.Contains(got, "Foto Produk") ||
				!strings.Contains(got, "KUR-") || !strings.Contains(got, "Nasi Warung Siti") || strings.Contains(got, "3214015503900001") {
				t.Fatalf("data saya shows:\n%s", got)
			}
			say("hapus data")
			if got := say("HAPUS"); !strings.Contains(got, r.ID) {
				t.Fatalf("erasure reply does not name the cancelled registration:\n%s", got)
			}

			noneIn(t, w, "after erasure", append(personal, "photo-of-siti")...)
			e, err := w.store.Enrolment(ctx, tr.ID, waiting)
			if err != nil || e.Status != umkm.StatusConfirmed {
				t.Fatalf("waitlisted owner: %+v, %v; want the freed seat", e, err)
			}
			if len(w.notified) != 1 || !strings.HasPrefix(w.notified[0], waiting.String()) {
				t.Fatalf("notified %q, want the promoted owner told", w.notified)
			}
			err = w.store.EachRegistration(ctx, w.deps.Region.Code, func(x *umkm.Registration) error {
				t.Fatalf("export still lists %s", x.ID)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			tombs, err := w.store.Tombstones(ctx, r.Region)
			if err != nil || len(tombs) != 1 || tombs[0].Registration != r.ID || tombs[0].NIKHash != w.store.NIKHash(r.NIK) {
				t.Fatalf("tombstones %+v, %v", tombs, err)
			}
			var deleted, accessed []umkm.AuditEntry
			if err := w.store.AuditLog(0).List(ctx, time.Time{}, func(e umkm.AuditEntry) error {
				switch e.Action {
				case umkm.AuditDeletion:
					deleted = append(deleted, e)
				case umkm.AuditAccess:
					accessed = append(accessed, e)
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if len(deleted) != 1 || deleted[0].Subject != r.ID || len(accessed) != 2 {
				t.Fatalf("audit log: deletions %+v, accesses %+v; want one deletion of %s after two copies", deleted, accessed, r.ID)
			}

			// The same NIK registers again, from the same conversation.
			for _, in := range registrationInputs {
				say(in)
			}
			again, err := w.store.RegistrationFor(ctx, w.deps.Region.Code, owner)
			if err != nil || again.ID == r.ID || again.NIK != r.NIK {
				t.Fatalf("re-registration: %+v, %v", again, err)
			}
		})
	}
}

// onEmbeddedStore makes the worlds of test t use the embedded store (the
// terminal chat's) instead of redis-server, whatever REDISTEST_EMBEDDED says.
func onEmbeddedStore(t *testing.T) {
	emb, err := store.OpenEmbedded(store.EmbeddedOptions{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	opt, err := redis.ParseURL(emb.URL())
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	saved := worldRedis
	worldRedis = func(testing.TB) (*redis.Client, string) { return rdb, "emb" }
	t.Cleanup(func() {
		worldRedis = saved
		rdb.Close()
		emb.Close()
	})
}

// TestDispatcherPathSealedAndErased walks a registration through the
// dispatcher (the path of the console and Telegram: ingest, commit with
// the replies in the outbox) with a data key: no key holds the NIK or a
// phone in clear at any point; then "hapus data" on the same path leaves
// nothing that identified the owner, replies included.
func TestDispatcherPathSealedAndErased(t *testing.T) {
	w := rightsWorld(t, true)
	var replies []string
	d := quietDispatcher(w, bot.SenderFunc(func(ctx context.Context, to bot.Conversation, r bot.Reply) error {
		replies = append(replies, r.PlainText())
		return nil
	}))
	defer d.Close()
	ctx := context.Background()
	conv := bot.Conversation{Channel: bot.Console, User: "path"}
	say := func(i int, text string) {
		t.Helper()
		w.now = w.now.Add(time.Minute)
		m := console.Parse(text)
		m.ID, m.Conv, m.Phone = fmt.Sprint("p", i), conv, "+6281299990000"
		if err := d.Submit(ctx, m); err != nil {
			t.Fatal(err)
		}
		if err := d.Idle(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for i, in := range registrationInputs {
		say(i, in)
		noneIn(t, w, "registering: after "+in, "3214015503900001", "81299990000")
	}
	if _, err := w.store.RegistrationFor(ctx, w.deps.Region.Code, conv); err != nil {
		t.Fatalf("not registered over the dispatcher path: %v\n%s", err, strings.Join(replies, "\n---\n"))
	}
	say(100, "hapus data")
	say(101, "HAPUS")
	if last := replies[len(replies)-1]; !strings.Contains(replies[len(replies)-2]+last, "UMKM-") {
		t.Fatalf("erasure not confirmed:\n%s", strings.Join(replies[len(replies)-3:], "\n---\n"))
	}
	noneIn(t, w, "after erasure", personal...)
	if ttl := w.store.Client().PTTL(ctx, w.store.StateKey(conv)).Val(); ttl <= 0 || ttl > time.Hour {
		t.Fatalf("state of the erased conversation expires in %s, want within an hour", ttl)
	}
}
