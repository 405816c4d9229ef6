package store_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/store"
	"github.com/umkmbot/umkmbot/store/redistest"
)

// TestWhatsAppUsers: a WhatsApp id gets one pseudonym, from two processes
// at once too; Redis holds neither the id nor anything that contains it;
// the id comes back for replies; after a key rotation (new key first,
// `keys rotate`, old key dropped) the pseudonym stays and the id is sealed
// under the new key.
func TestWhatsAppUsers(t *testing.T) {
	ctx := context.Background()
	oldKey, newKey := newKey(t), newKey(t)
	a, b, rdb, prefix := sealedStores(t, keyring(t, oldKey))
	const id = "6281234567890"
	users := make([]string, 8)
	var wg sync.WaitGroup
	for i := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := a
			if i%2 == 1 {
				s = b
			}
			u, err := s.WhatsAppUser(ctx, id)
			if err != nil {
				t.Error(err)
			}
			users[i] = u
		}()
	}
	wg.Wait()
	u := users[0]
	for _, v := range users {
		if v != u {
			t.Fatalf("one id, several users: %v", users)
		}
	}
	if !store.IsWhatsAppPseudonym(u) || strings.Contains(u, "7890") {
		t.Fatalf("user %q is not a pseudonym", u)
	}
	if p, err := a.WhatsAppPseudonym(ctx, id); err != nil || p != u {
		t.Fatalf("WhatsAppPseudonym = %q, %v; want %q", p, err, u)
	}
	if all := dump(t, rdb, prefix); strings.Contains(all, "81234567890") || !strings.Contains(all, "pii1:") {
		t.Fatalf("Redis holds the id in clear, or nothing sealed:\n%s", all)
	}
	if got, err := b.WhatsAppID(ctx, u); err != nil || got != id {
		t.Fatalf("WhatsAppID = %q, %v", got, err)
	}
	if _, err := b.WhatsAppID(ctx, "p0123456789abcdef0123"); !errors.Is(err, bot.ErrNotFound) {
		t.Fatalf("unknown user: %v, want ErrNotFound", err)
	}
	other, err := a.WhatsAppUser(ctx, "6281299990000")
	if err != nil || other == u {
		t.Fatalf("another number: %q, %v", other, err)
	}

	rotating := store.New(rdb, store.Options{Prefix: prefix, Cipher: keyring(t, newKey, oldKey)})
	c, err := rotating.RotateWhatsAppIDs(ctx)
	if err != nil || c.Seen != 2 || c.Sealed != 2 {
		t.Fatalf("rotate: %+v, %v", c, err)
	}
	if c, err := rotating.RotateWhatsAppIDs(ctx); err != nil || c.Unchanged != 2 || c.Sealed != 0 {
		t.Fatalf("second rotate: %+v, %v", c, err)
	}
	after := store.New(rdb, store.Options{Prefix: prefix, Cipher: keyring(t, newKey)})
	if got, err := after.WhatsAppUser(ctx, id); err != nil || got != u {
		t.Fatalf("after rotation: %q, %v; want %q", got, err, u)
	}
	if got, err := after.WhatsAppID(ctx, u); err != nil || got != id {
		t.Fatalf("after rotation WhatsAppID = %q, %v", got, err)
	}
}

// TestForgetErasedWhatsAppUsers: after an erasure the WhatsApp number
// stays in the map while the erasing turn may still reply; once the
// conversation state expired the retention job drops it (the map then
// holds nothing of the person); a person who wrote again keeps theirs.
func TestForgetErasedWhatsAppUsers(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	_, _, rdb, prefix := sealedStores(t, keyring(t, newKey(t)))
	s := store.New(rdb, store.Options{Prefix: prefix, Cipher: keyring(t, newKey(t)), Now: func() time.Time { return now }})
	gone, err := s.WhatsAppUser(ctx, "6281234567890")
	if err != nil {
		t.Fatal(err)
	}
	back, err := s.WhatsAppUser(ctx, "6281299990000")
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{gone, back} {
		c := bot.Conversation{Channel: bot.WhatsApp, User: u}
		if err := s.SetProfile(ctx, c, bot.FieldLang, "id"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SaveState(ctx, c, bot.State{Flow: "menu"}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ErasePerson(ctx, []string{"32.14"}, c); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s.ForgetErasedWhatsAppUsers(ctx); err != nil || n != 0 {
		t.Fatalf("forgot %d, %v right after the erasure", n, err)
	}
	if id, err := s.WhatsAppID(ctx, gone); err != nil || id != "6281234567890" {
		t.Fatalf("the erasing turn cannot reply: %q, %v", id, err)
	}
	now = now.Add(3 * time.Hour)
	rdb.Del(ctx, s.StateKey(bot.Conversation{Channel: bot.WhatsApp, User: gone})) // expired; back's lives on: they wrote again
	rdb.HSet(ctx, prefix+":{wa}:ids", "x:index-under-a-retired-key", gone)
	if n, err := s.ForgetErasedWhatsAppUsers(ctx); err != nil || n != 1 {
		t.Fatalf("forgot %d, %v; want 1", n, err)
	}
	if _, err := s.WhatsAppID(ctx, gone); !errors.Is(err, bot.ErrNotFound) {
		t.Fatalf("erased user still mapped: %v", err)
	}
	if id, err := s.WhatsAppID(ctx, back); err != nil || id != "6281299990000" {
		t.Fatalf("a user who wrote again lost the map: %q, %v", id, err)
	}
	m := rdb.HGetAll(ctx, prefix+":{wa}:ids").Val()
	if len(m) != 2 || rdb.Exists(ctx, prefix+":{wa}:erased").Val() != 0 {
		t.Fatalf("map %v, erased list left", m)
	}
}

// BenchmarkWhatsAppUser: the adapter's cost per incoming message (a known
// id: one HMGET) and per reply (one HGET and an AES-GCM open).
func BenchmarkWhatsAppUser(b *testing.B) {
	ctx := context.Background()
	rdb, prefix := redistest.Client(b)
	s := store.New(rdb, store.Options{Prefix: prefix, Cipher: keyring(b, newKey(b))})
	u, err := s.WhatsAppUser(ctx, "6281234567890")
	if err != nil {
		b.Fatal(err)
	}
	b.Run("incoming", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.WhatsAppUser(ctx, "6281234567890"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("reply", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.WhatsAppID(ctx, u); err != nil {
				b.Fatal(err)
			}
		}
	})
}
