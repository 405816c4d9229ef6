package umkm

import (
	"context"
	"errors"
	"time"

	"github.com/umkmbot/umkmbot/bot"
)

// Product is one product an owner saved for listings and curation
// applications. Photos are references to what they sent in the chat.
type Product struct {
	ID          string      `json:"id"` // "P1", "P2", … per conversation
	Name        string      `json:"name"`
	Category    string      `json:"category"` // sector code: kuliner, fesyen, kriya, pertanian, lainnya
	Price       int64       `json:"price"`    // rupiah
	Weight      int         `json:"weight"`   // grams
	Stock       int         `json:"stock"`
	Description string      `json:"description,omitempty"`
	Permits     []string    `json:"permits,omitempty"` // pirt, halal, bpom the owner says the product has
	Photos      []bot.Media `json:"photos,omitempty"`
	// Origin is the id of the message that created the product: saving a
	// new product twice with the same Origin (a turn run again after a
	// conflict) creates it once.
	Origin    string    `json:"origin,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Food reports whether the product is food or drink, for which buyers and
// curators look for permits (P-IRT, halal, BPOM MD).
func (p Product) Food() bool { return p.Category == "kuliner" || p.Category == "pertanian" }

// HasPermit reports whether the owner said the product has permit id.
func (p Product) HasPermit(id string) bool {
	for _, x := range p.Permits {
		if x == id {
			return true
		}
	}
	return false
}

// ProductStore keeps each owner's products, per conversation.
type ProductStore interface {
	// SaveProduct creates p (assigning p.ID when empty) or replaces the
	// product with the same id.
	SaveProduct(ctx context.Context, c bot.Conversation, p *Product) error
	// Products returns the owner's products, oldest first.
	Products(ctx context.Context, c bot.Conversation) ([]Product, error)
	// DeleteProduct removes one product; ErrNotFound if there is none.
	DeleteProduct(ctx context.Context, c bot.Conversation, id string) error
}

// MaxProducts is how many products one owner may keep.
const MaxProducts = 50

// ErrTooManyProducts is returned by SaveProduct when the owner already
// keeps MaxProducts.
var ErrTooManyProducts = errors.New("too many products")
