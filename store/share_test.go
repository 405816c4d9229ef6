package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/umkmbot/umkmbot/bot"
)

// TestShareOffers: an ingest that offers (bot.Lease.Offer) queues the
// message and leaves a free conversation free, for any process to take;
// one held by its caller or by another process is queued as always. An
// offered conversation goes out once, in the order offered, to whichever
// process asks; one offered first goes before the others.
func TestShareOffers(t *testing.T) {
	ctx := context.Background()
	s, other := twoStores(t)
	offer := bot.Lease{Owner: "p1", TTL: time.Minute, Offer: true}
	in, err := s.Ingest(ctx, msg("1", "pesan 1"), offer, noFlood)
	if err != nil || in.Result != bot.Free {
		t.Fatalf("offering ingest of a free conversation = %+v, %v; want free", in.Result, err)
	}
	if pending, err := s.Pending(ctx); err != nil || len(pending) != 1 || pending[0] != conv {
		t.Fatalf("pending = %v, %v; want the offered conversation marked", pending, err)
	}
	// Still free: the next offering ingest leaves it free too.
	if in, err := s.Ingest(ctx, msg("2", "pesan 2"), offer, noFlood); err != nil || in.Result != bot.Free {
		t.Fatalf("second offering ingest = %+v, %v; want free", in.Result, err)
	}
	second := bot.Conversation{Channel: bot.WhatsApp, User: "6281234567890"}
	third := bot.Conversation{Channel: bot.Telegram, User: "77"}
	for i, c := range []bot.Conversation{second, third, conv} {
		if err := s.Offer(ctx, c, i == 2); err != nil {
			t.Fatal(err)
		}
	}
	got, err := other.Offers(ctx, time.Second, 10)
	if err != nil || len(got) != 3 || got[0] != conv || got[1] != second || got[2] != third {
		t.Fatalf("offers = %v, %v; want %v (offered first), %v, %v", got, err, conv, second, third)
	}
	if got, err := s.Offers(ctx, time.Second, 10); err != nil || len(got) != 0 {
		t.Fatalf("offers taken twice: %v, %v", got, err)
	}
	// The taker gets the queue in order.
	l, ok, err := other.Acquire(ctx, conv, lease("p2"))
	if err != nil || !ok || l.Msg.Text != "pesan 1" {
		t.Fatalf("take the offered conversation = %+v, %v, %v; want pesan 1", l.Msg, ok, err)
	}
	// Held by p2 now: an offering ingest from p1 queues behind it, and
	// one from p2 finds its own lease.
	if in, err := s.Ingest(ctx, msg("3", "pesan 3"), offer, noFlood); err != nil || in.Result != bot.Queued {
		t.Fatalf("offering ingest of a conversation p2 holds = %+v, %v; want queued", in.Result, err)
	}
	if in, err := other.Ingest(ctx, msg("4", "pesan 4"), bot.Lease{Owner: "p2", TTL: time.Minute, Offer: true}, noFlood); err != nil || in.Result != bot.Ours {
		t.Fatalf("offering ingest under the caller's own lease = %+v, %v; want ours", in.Result, err)
	}
	for i, want := range []string{"pesan 2", "pesan 3", "pesan 4"} {
		cm, err := other.Commit(ctx, conv, l.Msg.ID, lease("p2"), bot.TurnResult{State: l.State}, nil)
		if err != nil || cm.Next == nil || cm.Next.Msg.Text != want {
			t.Fatalf("commit %d = %+v, %v; want next %q", i, cm, err, want)
		}
		l.Msg, l.State.Version = cm.Next.Msg, cm.Version
	}
}

// TestShareOffersWait: a process waiting for offers gets one made while
// it waits.
func TestShareOffersWait(t *testing.T) {
	ctx := context.Background()
	s, other := twoStores(t)
	got := make(chan []bot.Conversation, 1)
	go func() {
		cs, err := other.Offers(ctx, 5*time.Second, 1)
		if err != nil {
			t.Error(err)
		}
		got <- cs
	}()
	time.Sleep(50 * time.Millisecond)
	if err := s.Offer(ctx, conv, false); err != nil {
		t.Fatal(err)
	}
	if cs := <-got; len(cs) != 1 || cs[0] != conv {
		t.Fatalf("offers = %v, want %v", cs, conv)
	}
}
