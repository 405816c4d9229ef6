package store

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
)

var _ umkm.ProductStore = (*ProductStore)(nil)

// An owner's products live with the conversation, tag {c:<channel>:<user>}:
//   products      hash id → product JSON
//   products:seq  INCR counter for ids P1, P2, …
//   products:origin  hash message id → product id, so a retried turn saves once

// saveProduct: KEYS hash, seq, origins; ARGV id ("" = new), JSON, max,
// origin. Returns the id, "missing" or "full". The id is the hash field,
// not in the JSON. A new product whose origin was seen returns that id.
var saveProduct = redis.NewScript(`
local id = ARGV[1]
if id == '' then
  if ARGV[4] ~= '' then
    local seen = redis.call('HGET', KEYS[3], ARGV[4])
    if seen and redis.call('HEXISTS', KEYS[1], seen) == 1 then return seen end
  end
  if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[3]) then return 'full' end
  id = 'P' .. redis.call('INCR', KEYS[2])
  if ARGV[4] ~= '' then redis.call('HSET', KEYS[3], ARGV[4], id) end
elseif redis.call('HEXISTS', KEYS[1], id) == 0 then
  return 'missing'
end
redis.call('HSET', KEYS[1], id, ARGV[2])
return id
`)

// SaveProduct creates p (p.ID empty: a new id is assigned) or replaces the
// stored product with p.ID.
func (s *ProductStore) SaveProduct(ctx context.Context, c bot.Conversation, p *umkm.Product) error {
	rec := *p
	rec.ID = ""
	body, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("encode product: %w", err)
	}
	res, err := saveProduct.Run(ctx, s.rdb,
		[]string{s.convKey(c, "products"), s.convKey(c, "products:seq"), s.convKey(c, "products:origin")},
		p.ID, body, umkm.MaxProducts, p.Origin).Text()
	if err != nil {
		return fmt.Errorf("save product: %w", err)
	}
	switch res {
	case "full":
		return fmt.Errorf("save product (at most %d): %w", umkm.MaxProducts, umkm.ErrTooManyProducts)
	case "missing":
		return fmt.Errorf("save product %s: %w", p.ID, bot.ErrNotFound)
	}
	p.ID = res
	return nil
}

// Products returns the owner's products, oldest first.
func (s *ProductStore) Products(ctx context.Context, c bot.Conversation) ([]umkm.Product, error) {
	m, err := s.rdb.HGetAll(ctx, s.convKey(c, "products")).Result()
	if err != nil {
		return nil, fmt.Errorf("load products: %w", err)
	}
	out := make([]umkm.Product, 0, len(m))
	for id, body := range m {
		var p umkm.Product
		if err := json.Unmarshal([]byte(body), &p); err != nil {
			return nil, fmt.Errorf("decode product %s: %w", id, err)
		}
		p.ID = id
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return productNum(out[i].ID) < productNum(out[j].ID) })
	return out, nil
}

// HasProducts reports whether the owner has a product, without reading
// them: the menu asks at every turn that shows it. Redis removes a hash
// with its last field, so the hash exists exactly while a product does.
// It rides the turn path's pipelines (a command on its own was a write
// and a read of this process and of Redis: 3 % of serve's CPU under the
// harness, for one look-up a registration).
func (s *ProductStore) HasProducts(ctx context.Context, c bot.Conversation) (bool, error) {
	vals, err := evalBatched(ctx, s.batch, s.rdb, existsScript, []string{s.convKey(c, "products")}, nil)
	if err != nil {
		return false, fmt.Errorf("look for products: %w", err)
	}
	n, _ := vals[0].(int64)
	return n > 0, nil
}

// existsScript: {EXISTS KEYS[1]}, as a list for the batcher.
var existsScript = redis.NewScript(`return {redis.call('EXISTS', KEYS[1])}`)

func productNum(id string) int {
	n, _ := strconv.Atoi(strings.TrimPrefix(id, "P"))
	return n
}

// DeleteProduct removes one product.
func (s *ProductStore) DeleteProduct(ctx context.Context, c bot.Conversation, id string) error {
	n, err := s.rdb.HDel(ctx, s.convKey(c, "products"), id).Result()
	if err != nil {
		return fmt.Errorf("delete product %s: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("delete product %s: %w", id, bot.ErrNotFound)
	}
	return nil
}
