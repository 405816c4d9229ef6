package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/umkmbot/umkmbot/store"
)

// waSignal tells every serve process sharing the Redis that the WhatsApp
// number was paired or unlinked somewhere (the console's page in another
// process, `umkmbot whatsapp pair` in a terminal, the phone dropping the
// device): each waChannel watches the generation, a counter bumped after
// the device store changed, and re-opens the device store when it moves;
// the connection lease then decides which process connects. A request to
// unlink the number from a process without the connection is a second key,
// short-lived, that the process holding it acts on. Watching is one MGET
// of two keys every few seconds per process.
//
//	<prefix>:{wa}:pairing  the generation (INCR)
//	<prefix>:{wa}:unlink   the generation whose number an admin asked to unlink (expires after unlinkAsk)
type waSignal struct {
	rdb redis.UniversalClient
	gen string
	ask string
}

// unlinkAsk is how long a request to unlink waits for the process holding
// the connection: a request nobody acted on must not unlink a number
// paired or connected later.
const unlinkAsk = 30 * time.Second

func newWASignal(s *store.Store) *waSignal {
	return &waSignal{rdb: s.Client(), gen: s.Key("wa", "pairing"), ask: s.Key("wa", "unlink")}
}

// read returns the generation and the generation asked to be unlinked
// (-1: none asked).
func (w *waSignal) read(ctx context.Context) (gen, unlink int64, err error) {
	v, err := w.rdb.MGet(ctx, w.gen, w.ask).Result()
	if err != nil {
		return 0, -1, fmt.Errorf("read whatsapp pairing generation: %w", err)
	}
	num := func(x any, def int64) int64 {
		s, ok := x.(string)
		if !ok {
			return def
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return def
		}
		return n
	}
	return num(v[0], 0), num(v[1], -1), nil
}

// bump says the device store changed: every serve re-opens it.
func (w *waSignal) bump(ctx context.Context) error {
	_, err := w.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Incr(ctx, w.gen)
		p.Del(ctx, w.ask)
		return nil
	})
	if err != nil {
		return fmt.Errorf("bump whatsapp pairing generation: %w", err)
	}
	return nil
}

// askUnlink asks the process holding the connection of generation gen to
// unlink the number.
func (w *waSignal) askUnlink(ctx context.Context, gen int64) error {
	if err := w.rdb.Set(ctx, w.ask, gen, unlinkAsk).Err(); err != nil {
		return fmt.Errorf("ask to unlink whatsapp: %w", err)
	}
	return nil
}

// errNoHolder: an unlink asked from the console was not done because no
// serve process holds the number's connection.
var errNoHolder = errors.New("no serve process holds the WhatsApp connection to unlink the number; see `umkmbot whatsapp status`, or remove the linked device on the phone (WhatsApp → Linked devices)")
