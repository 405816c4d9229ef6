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
		h.count(cmd.Name(), cmd.Err())
		return err
	}
}

func (h redisHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		err := next(ctx, cmds)
		for _, c := range cmds {
			h.count(c.Name(), c.Err())
		}
		return err
	}
}

func (h redisHook) count(command string, err error) {
	if kind := redisErrorKind(err); kind != "" {
		h.m.redisErrs.WithLabelValues(word(strings.ToLower(command)), kind).Inc()
	}
}

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
