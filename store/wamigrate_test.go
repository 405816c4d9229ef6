package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
	"github.com/umkmbot/umkmbot/store"
)

// TestMigrateWhatsAppUsers: a WhatsApp conversation stored under its
// number before pseudonyms (state, queued message and its pending mark,
// profile, registration and its conv index, product, hand-over ticket, a
// broadcast it created, a relayed reply) is found under its pseudonym
// after the migration, and no key name or value names the number any
// more; a second run changes nothing; other channels are untouched.
func TestMigrateWhatsAppUsers(t *testing.T) {
	ctx := context.Background()
	s, _, rdb, prefix := sealedStores(t, keyring(t, newKey(t)))
	const number = "6281234567890"
	old := bot.Conversation{Channel: bot.WhatsApp, User: number}
	tg := bot.Conversation{Channel: bot.Telegram, User: "42"}
	for i, c := range []bot.Conversation{old, tg} {
		msg := bot.Message{ID: fmt.Sprint("m", i), Conv: c, Kind: bot.KindText, Text: "halo", Time: time.Now()}
		if _, err := s.Ingest(ctx, msg, bot.Lease{Owner: "old", TTL: time.Minute}, bot.FloodLimit{}); err != nil {
			t.Fatal(err)
		}
		if err := s.SetProfile(ctx, c, bot.FieldLang, "id"); err != nil {
			t.Fatal(err)
		}
		r := reg(fmt.Sprint(i), []string{"3214015503900001", "3214015503900002"}[i])
		r.Conv = c
		if err := s.CreateRegistration(ctx, r, 1); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SaveProduct(ctx, old, &umkm.Product{Name: "Keripik", Category: "kuliner", Price: 15000}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.OpenTicket(ctx, &umkm.Ticket{Conv: old, Region: "32.14", Lang: "id", Opened: time.Now()},
		umkm.TicketMsg{At: time.Now(), From: umkm.FromOwner, Kind: bot.KindText, Text: "tanya"}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateBroadcast(ctx, &umkm.Broadcast{Region: "32.14", Text: "Pengumuman", CreatedBy: old, CreatedAt: time.Now(), At: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	rdb.RPush(ctx, prefix+":{wa}:relay", `{"to":"`+number+`","reply":{"Text":"x"}}`)
	// A running broadcast: one WhatsApp delivery queued, one whose send
	// began when serve stopped.
	bc := &umkm.Broadcast{Region: "32.14", Text: "Siaran", CreatedAt: time.Now(), At: time.Now()}
	if err := s.CreateBroadcast(ctx, bc); err != nil {
		t.Fatal(err)
	}
	begun := bot.Conversation{Channel: bot.WhatsApp, User: "6281299990000"}
	if err := s.Enqueue(ctx, bc.ID, []bot.Conversation{begun, old, tg}); err != nil {
		t.Fatal(err)
	}
	if err := s.StartBroadcast(ctx, bc.ID, 3, time.Now()); err != nil {
		t.Fatal(err)
	}
	ds, err := s.Take(ctx, bc.ID, bot.WhatsApp, "c1", 1, time.Minute)
	if err != nil || len(ds) != 1 || ds[0].To != begun {
		t.Fatalf("take: %+v, %v", ds, err)
	}
	if o, _, err := s.Begin(ctx, ds[0]); err != nil || o != umkm.OutcomeGo {
		t.Fatalf("begin: %v, %v", o, err)
	}
	if !strings.Contains(dump(t, rdb, prefix), number) {
		t.Fatal("the set-up stored no number")
	}
	if need, err := s.NeedsWhatsAppMigration(ctx, []string{"32.14"}); err != nil || !need {
		t.Fatalf("NeedsWhatsAppMigration = %v, %v before the migration", need, err)
	}

	c, err := s.MigrateWhatsAppUsers(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Users != 2 || c.Renamed < 5 || c.Rewritten < 3 || c.Queued != 2 {
		t.Errorf("counts %+v", c)
	}
	all := dump(t, rdb, prefix)
	if strings.Contains(all, number[3:]) || strings.Contains(all, "81299990000") {
		t.Fatalf("the number is still stored:\n%s", all)
	}
	user, err := s.WhatsAppPseudonym(ctx, number)
	if err != nil {
		t.Fatal(err)
	}
	conv := bot.Conversation{Channel: bot.WhatsApp, User: user}
	if r, err := s.RegistrationFor(ctx, "32.14", conv); err != nil || r.Conv != conv {
		t.Fatalf("registration under the pseudonym: %+v, %v", r, err)
	}
	if p, err := s.Profile(ctx, conv); err != nil || p.Lang != "id" {
		t.Fatalf("profile under the pseudonym: %+v, %v", p, err)
	}
	if ps, err := s.Products(ctx, conv); err != nil || len(ps) != 1 {
		t.Fatalf("products under the pseudonym: %v, %v", ps, err)
	}
	if id, err := s.OpenTicketOf(ctx, conv); err != nil || id == "" {
		t.Fatalf("ticket under the pseudonym: %q, %v", id, err)
	}
	if bs, err := s.Broadcasts(ctx); err != nil || len(bs) != 2 || bs[1].CreatedBy != conv {
		t.Fatalf("broadcast creator: %+v, %v", bs, err)
	}
	pending, err := s.Pending(ctx)
	if err != nil || len(pending) != 2 {
		t.Fatalf("pending %v, %v", pending, err)
	}
	stateKey := s.StateKey(conv)
	shardPending := stateKey[:strings.Index(stateKey, ":c:")] + ":pending"
	if rdb.ZScore(ctx, shardPending, conv.String()).Err() != nil {
		t.Fatalf("%s is not pending in its own shard %s", conv, shardPending)
	}
	if l, ok, err := s.Acquire(ctx, conv, bot.Lease{Owner: "old", TTL: time.Minute}); err != nil || !ok || !store.IsWhatsAppPseudonym(l.Msg.Conv.User) || l.Msg.Text != "halo" || l.Msg.Conv != conv {
		t.Fatalf("queued message under the pseudonym: %+v, %v, %v", l.Msg, ok, err)
	}
	if r, err := s.RegistrationFor(ctx, "32.14", tg); err != nil || r.Conv != tg {
		t.Fatalf("telegram registration: %+v, %v", r, err)
	}
	if !strings.Contains(all, `"to":"`+user+`"`) {
		t.Errorf("relayed reply not rewritten:\n%s", all)
	}

	// The broadcast goes on under the pseudonyms: the begun send is
	// counted unknown (not sent twice), the other is delivered.
	ds, err = s.Take(ctx, bc.ID, bot.WhatsApp, "c2", 10, time.Minute)
	if err != nil || len(ds) != 2 {
		t.Fatalf("take after the migration: %+v, %v", ds, err)
	}
	outcomes := map[umkm.Outcome]int{}
	for _, d := range ds {
		if !store.IsWhatsAppPseudonym(d.To.User) {
			t.Errorf("delivery to %s", d.To)
		}
		o, _, err := s.Begin(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		outcomes[o]++
	}
	if outcomes[umkm.OutcomeUnknown] != 1 || outcomes[umkm.OutcomeGo] != 1 {
		t.Fatalf("outcomes after the migration %v, want one unknown (the begun send) and one go", outcomes)
	}
	all = dump(t, rdb, prefix)
	again, err := s.MigrateWhatsAppUsers(ctx, nil)
	if err != nil || again.Renamed != 0 || again.Rewritten != 0 || again.Queued != 0 {
		t.Fatalf("second run: %+v, %v", again, err)
	}
	if dump(t, rdb, prefix) != all {
		t.Fatal("the second run changed data")
	}
	if need, err := s.NeedsWhatsAppMigration(ctx, []string{"32.14"}); err != nil || need {
		t.Fatalf("NeedsWhatsAppMigration = %v, %v after the migration", need, err)
	}
}
