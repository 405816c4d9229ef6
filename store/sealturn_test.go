package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/store"
)

// TestProfilePhoneSealedAndRotated: a phone stored in clear before
// encryption is sealed by SealProfiles (migrate encrypt), re-sealed under
// a new key (keys rotate), and read back under the new key alone; a
// phone under a key no longer configured is dropped, not an error.
func TestProfilePhoneSealedAndRotated(t *testing.T) {
	ctx := context.Background()
	oldKey, nextKey, foreignKey := newKey(t), newKey(t), newKey(t)
	old, _, rdb, prefix := sealedStores(t, keyring(t, oldKey))
	plain := store.New(rdb, store.Options{Prefix: prefix})
	c := bot.Conversation{Channel: bot.WhatsApp, User: "6281299990000"}
	if err := plain.SetProfile(ctx, c, bot.FieldPhone, "+6281299990000"); err != nil {
		t.Fatal(err)
	}
	if got, err := old.SealProfiles(ctx); err != nil || got.Sealed != 1 {
		t.Fatalf("migrate: %+v, %v", got, err)
	}
	// (the conversation id of a WhatsApp chat is the number: only values count)
	if all := strings.ReplaceAll(dump(t, rdb, prefix), c.User, ""); strings.Contains(all, "81299990000") {
		t.Fatalf("phone in clear after sealing:\n%s", all)
	}
	rotated := store.New(rdb, store.Options{Prefix: prefix, Cipher: keyring(t, nextKey, oldKey)})
	if got, err := rotated.SealProfiles(ctx); err != nil || got.Sealed != 1 {
		t.Fatalf("rotate: %+v, %v", got, err)
	}
	if got, err := rotated.SealProfiles(ctx); err != nil || got.Unchanged != 1 || got.Sealed != 0 {
		t.Fatalf("rotate again: %+v, %v; want nothing to do", got, err)
	}
	onlyNew := store.New(rdb, store.Options{Prefix: prefix, Cipher: keyring(t, nextKey)})
	if p, err := onlyNew.Profile(ctx, c); err != nil || p.Phone != "+6281299990000" {
		t.Fatalf("profile under the new key alone: %+v, %v", p, err)
	}
	other := store.New(rdb, store.Options{Prefix: prefix, Cipher: keyring(t, foreignKey)})
	if p, err := other.Profile(ctx, c); err != nil || p.Phone != "" {
		t.Fatalf("profile under a foreign key: %+v, %v; want the phone left out", p, err)
	}
	if _, err := other.SealProfiles(ctx); err != nil {
		t.Fatal(err)
	}
	if p, _ := onlyNew.Profile(ctx, c); p.Phone != "" {
		t.Fatalf("a phone nobody can read was kept: %+v", p)
	}
}
