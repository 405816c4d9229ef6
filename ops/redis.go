package ops

import (
	"context"
	"errors"
	"net"
	"strings"

	"github.com/redis/go-redis/v9"
)

// RedisHook returns a go-redis hook that counts failed commands in
// umkmbot_redis_errors_total by command name and kind; install it with
// client.AddHook. Key names never reach a label.
func (m *Metrics) RedisHook() redis.Hook { return redisHook{m: m} }

type redisHook struct{ m *Metrics }

func (h redisHook) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := next(ctx, network, addr)
		h.count("dial", err)

		return c, err
	}
}

func (h redisHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		if err == nil {
			h.count(cmd.Name(), cmd.Err())
		} else {
			h.count(cmd.Name(), err)
		}
		return err
	}
}

func (h redisHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		err := next(ctx, cmds)
		failed := false
		for _, c := range cmds {
			if c.Err() != nil {
				failed = true
				h.count(c.Name(), c.Err())
			}
		}
		if !failed {
			h.count("pipeline", err) // failed as a whole, if at all
		}
		return err
	}
}

// count counts err if it is an error.
func (h redisHook) count(command string, err error) {
	command = strings.ToLower(command)
	kind := redisErrorKind(err)
	if kind == "" || (kind == "server" && handshake[command]) {
		return
	}
	h.m.redisErrs.WithLabelValues(word(command), kind).Inc()
}

// handshake commands go-redis sends on a new connection; it ignores a
// server that does not know them (CLIENT SETINFO before Redis 7.2, HELLO
// before 6), so their refusals are no errors.
var handshake = map[string]bool{"client": true, "hello": true}

// redisErrorKind classifies err: "" for success and for answers the store
// expects (no such key, a script not cached yet, a consumer group that
// exists, a WATCH that lost the race, the caller giving up), else
// "timeout", "server" (Redis answered with an error) or "connection".
func redisErrorKind(err error) string {
	switch {
	case err == nil, errors.Is(err, redis.Nil), errors.Is(err, redis.TxFailedErr), errors.Is(err, context.Canceled),
		redis.HasErrorPrefix(err, "NOSCRIPT"), redis.HasErrorPrefix(err, "BUSYGROUP"), redis.HasErrorPrefix(err, "NOGROUP"):
		return ""
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return "timeout"
	}
	var re redis.Error
	if errors.As(err, &re) && !errors.Is(err, redis.ErrClosed) {
		return "server"
	}
	return "connection"
}
