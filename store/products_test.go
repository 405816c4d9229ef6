package store_test

import (
	"context"
	"testing"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
)

// TestHasProducts: the menu's "does this owner have a product?" says yes
// exactly while the owner keeps one: after the first is saved, until the
// last is deleted, and not after an erasure; another owner's products do
// not count.
func TestHasProducts(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	owner := bot.Conversation{Channel: bot.Telegram, User: "4242"}
	has := func(c bot.Conversation, want bool, when string) {
		t.Helper()
		if got, err := s.HasProducts(ctx, c); err != nil || got != want {
			t.Fatalf("%s: HasProducts = %v, %v; want %v", when, got, err, want)
		}
	}
	has(owner, false, "new owner")
	a, b := &umkm.Product{Name: "Keripik"}, &umkm.Product{Name: "Simping"}
	for _, p := range []*umkm.Product{a, b} {
		if err := s.SaveProduct(ctx, owner, p); err != nil {
			t.Fatal(err)
		}
	}
	has(owner, true, "two saved")
	has(bot.Conversation{Channel: bot.WhatsApp, User: "4242"}, false, "another owner")
	if err := s.DeleteProduct(ctx, owner, a.ID); err != nil {
		t.Fatal(err)
	}
	has(owner, true, "one of two deleted")
	if err := s.DeleteProduct(ctx, owner, b.ID); err != nil {
		t.Fatal(err)
	}
	has(owner, false, "the last deleted")
	if err := s.SaveProduct(ctx, owner, &umkm.Product{Name: "Opak"}); err != nil {
		t.Fatal(err)
	}
	has(owner, true, "saved again")
	if _, err := s.ErasePerson(ctx, []string{"32.14"}, owner); err != nil {
		t.Fatal(err)
	}
	has(owner, false, "erased")
}
