package flows

import (
	"context"
	"slices"
	"strconv"
	"testing"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
	"github.com/umkmbot/umkmbot/store"
)

// The store's products tell the menu whether there are any without
// listing them; were the method to drift, the menu would quietly list.
var _ productChecker = (*store.ProductStore)(nil)

// memProducts is a ProductStore in memory that counts its reads.
type memProducts struct {
	ps           []umkm.Product
	lists, asked int
}

func (m *memProducts) SaveProduct(_ context.Context, _ bot.Conversation, p *umkm.Product) error {
	if p.ID == "" {
		p.ID = "P" + strconv.Itoa(len(m.ps)+1)
	}
	m.ps = append(m.ps, *p)
	return nil
}

func (m *memProducts) Products(context.Context, bot.Conversation) ([]umkm.Product, error) {
	m.lists++
	return slices.Clone(m.ps), nil
}

func (m *memProducts) DeleteProduct(_ context.Context, _ bot.Conversation, id string) error {
	m.ps = slices.DeleteFunc(m.ps, func(p umkm.Product) bool { return p.ID == id })
	return nil
}

// checkingProducts also says whether there are any without listing them.
type checkingProducts struct{ *memProducts }

func (c checkingProducts) HasProducts(context.Context, bot.Conversation) (bool, error) {
	c.asked++
	return len(c.ps) > 0, nil
}

// TestProductsReadOncePerTurn: within one turn the products are read
// once however often the steps and the menu ask, and a save, a delete or
// an erasure in the turn makes the next question read them again, so the
// menu after it lists "produk saya" exactly when a product is kept; a
// store that can tell whether there are any is asked that, and never for
// the list, by the menu.
func TestProductsReadOncePerTurn(t *testing.T) {
	ctx := context.Background()
	for _, checking := range []bool{false, true} {
		t.Run("checker="+strconv.FormatBool(checking), func(t *testing.T) {
			mem := &memProducts{}
			s := Selling{Products: mem}
			if checking {
				s.Products = checkingProducts{mem}
			}
			turn := &bot.Turn{Conv: bot.Conversation{Channel: bot.Telegram, User: "7"}}
			reads := func() int { return mem.lists + mem.asked }
			has := func(want bool, when string) {
				t.Helper()
				before, lists := reads(), mem.lists
				for range 3 { // the menu, a step, its answer
					if got, err := s.hasProducts(ctx, turn); err != nil || got != want {
						t.Fatalf("%s: hasProducts = %v, %v; want %v", when, got, err, want)
					}
				}
				if n := reads() - before; n > 1 {
					t.Fatalf("%s: %d reads of the store for one turn, want at most 1", when, n)
				}
				if checking && mem.lists != lists {
					t.Fatalf("%s: the products were listed with a store that can tell", when)
				}
			}
			has(false, "none yet")
			if err := s.saveProduct(ctx, turn, &umkm.Product{Name: "Keripik"}); err != nil {
				t.Fatal(err)
			}
			has(true, "saved in the turn")
			if ps, err := s.products(ctx, turn); err != nil || len(ps) != 1 {
				t.Fatalf("products after the save = %v, %v", ps, err)
			}
			lists := mem.lists
			if ps, _ := s.products(ctx, turn); len(ps) != 1 || mem.lists != lists {
				t.Fatalf("products read again in the same turn (%d reads)", mem.lists-lists)
			}
			if err := s.deleteProduct(ctx, turn, "P1"); err != nil {
				t.Fatal(err)
			}
			has(false, "the last deleted in the turn")
			if ps, _ := s.products(ctx, turn); len(ps) != 0 {
				t.Fatalf("products after the delete = %v", ps)
			}
			mem.ps = []umkm.Product{{ID: "P9", Name: "Opak"}} // written behind the turn's back: it keeps what it read
			has(false, "written elsewhere")
			s.forgetProducts(turn)
			has(true, "read again")
			mem.ps = nil // erased (flow hapus), which forgets what the turn read
			s.forgetProducts(turn)
			has(false, "erased")

			// A turn that listed the products knows whether there are any.
			mem.ps = []umkm.Product{{ID: "P1", Name: "Opak"}}
			turn = &bot.Turn{Conv: turn.Conv}
			if _, err := s.products(ctx, turn); err != nil {
				t.Fatal(err)
			}
			before := reads()
			has(true, "listed in the turn")
			if reads() != before {
				t.Errorf("the menu asked the store again after the turn listed the products")
			}
		})
	}
}
