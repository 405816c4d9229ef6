package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
)

// TestErasePersonIdempotentAndConcurrent: two processes erasing the same
// person at once (a turn run again, a second instance) leave one
// tombstone, free the NIK, leave the other owner of the region untouched,
// and a second erasure finds nothing.
func TestErasePersonIdempotentAndConcurrent(t *testing.T) {
	ctx := context.Background()
	a, b, _, _ := sealedStores(t, keyring(t, newKey(t)))
	siti, budi := reg("siti", "3214015503900001"), reg("budi", "3214015503900002")
	for _, r := range []*umkm.Registration{siti, budi} {
		if err := a.CreateRegistration(ctx, r, 1); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for _, s := range []interface {
		ErasePerson(context.Context, []string, bot.Conversation) (umkm.Erasure, error)
	}{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.ErasePerson(ctx, []string{"32.14"}, siti.Conv); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	again, err := a.ErasePerson(ctx, []string{"32.14"}, siti.Conv)
	if err != nil || again.Registration != "" || again.Trainings+again.Applications+again.Products+again.Broadcasts != 0 {
		t.Fatalf("erasing again: %+v, %v; want nothing found", again, err)
	}
	tombs, err := a.Tombstones(ctx, "32.14")
	if err != nil || len(tombs) != 1 || tombs[0].Registration != siti.ID || tombs[0].NIKHash != a.NIKHash(siti.NIK) {
		t.Fatalf("tombstones %+v, %v", tombs, err)
	}
	if ids, err := a.RegistrationsByNIK(ctx, "32.14", siti.NIK); err != nil || len(ids) != 0 {
		t.Fatalf("NIK index after erasure: %v, %v", ids, err)
	}
	if ids, err := a.RegistrationsByNIK(ctx, "32.14", budi.NIK); err != nil || len(ids) != 1 || ids[0] != budi.ID {
		t.Fatalf("the other owner's NIK index: %v, %v", ids, err)
	}
	if got, err := b.RegistrationFor(ctx, "32.14", budi.Conv); err != nil || got.OwnerName != budi.OwnerName {
		t.Fatalf("the other owner: %+v, %v", got, err)
	}
	if err := a.EnsureAudienceIndex(ctx, "32.14"); err != nil {
		t.Fatal(err)
	}
	if n, err := a.CountAudience(ctx, "32.14", umkm.Audience{Channels: []bot.ChannelID{bot.Console}}); err != nil || n[bot.Console] != 1 {
		t.Fatalf("audience after erasure: %v, %v; want only budi", n, err)
	}
}

// TestEraseDropsUnsentCurationNotices: a status change the owner was not
// yet told of is not sent after erasure; another owner's still is.
func TestEraseDropsUnsentCurationNotices(t *testing.T) {
	ctx := context.Background()
	s, _ := twoStores(t)
	at := time.Date(2026, 11, 25, 9, 0, 0, 0, bot.Jakarta)
	var ids []string
	for _, user := range []string{"siti", "budi"} {
		a := &umkm.Application{Region: "32.14", Conv: bot.Conversation{Channel: bot.Console, User: user}, Business: "Usaha " + user,
			Target: "menong", TargetName: "Galeri Menong", CreatedAt: at}
		if err := s.SubmitApplication(ctx, a); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetApplicationStatus(ctx, a.ID, umkm.StatusReviewing, "foto produk kurang jelas", at); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, a.ID)
	}
	e, err := s.ErasePerson(ctx, []string{"32.14"}, bot.Conversation{Channel: bot.Console, User: "siti"})
	if err != nil || e.Applications != 1 {
		t.Fatalf("erase: %+v, %v", e, err)
	}
	n, done, ok, err := s.NextCurationNotice(ctx, "32.14", 0)
	if err != nil || !ok || n.App != ids[1] {
		t.Fatalf("next notice: %+v, %v, %v; want budi's", n, ok, err)
	}
	if err := done(ctx); err != nil {
		t.Fatal(err)
	}
	if n, _, ok, err := s.NextCurationNotice(ctx, "32.14", 0); err != nil || ok {
		t.Fatalf("a notice left after erasure: %+v, %v", n, err)
	}
	if _, err := s.Application(ctx, ids[0]); !errors.Is(err, bot.ErrNotFound) {
		t.Fatalf("erased application still there: %v", err)
	}
}

// TestEraseRemovesTickets: an owner's hand-over tickets (their messages
// to officers) go with the rest of their data.
func TestEraseRemovesTickets(t *testing.T) {
	ctx := context.Background()
	a, _, _, _ := sealedStores(t, keyring(t, newKey(t)))
	siti := reg("siti", "3214015503900001")
	if err := a.CreateRegistration(ctx, siti, 1); err != nil {
		t.Fatal(err)
	}
	id, _, err := a.OpenTicket(ctx, &umkm.Ticket{Conv: siti.Conv, Region: "32.14", Opened: time.Now(), Status: umkm.TicketOpen},
		umkm.TicketMsg{At: time.Now(), Text: "pinjaman modal bagaimana?"})
	if err != nil {
		t.Fatal(err)
	}
	e, err := a.ErasePerson(ctx, []string{"32.14"}, siti.Conv)
	if err != nil || e.Tickets != 1 {
		t.Fatalf("erasure = %+v, %v; want 1 ticket", e, err)
	}
	if ts, err := a.TicketsOf(ctx, siti.Conv); err != nil || len(ts) != 0 {
		t.Fatalf("tickets after erasure = %d, %v", len(ts), err)
	}
	if _, err := a.Ticket(ctx, id, true); !errors.Is(err, bot.ErrNotFound) {
		t.Fatalf("ticket %s after erasure: %v, want not found", id, err)
	}
}
