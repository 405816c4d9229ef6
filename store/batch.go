package store

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// batcher sends the turn scripts of concurrent conversations together: a
// call waits only while an earlier batch is on the wire, and then goes with
// every call that arrived meanwhile in one pipeline. Each turn still waits
// for its own two round trips, but Redis and this process make one read
// and one write per batch instead of per call, which is most of the cost of
// a small script on loopback.
type batcher struct {
	rdb     redis.UniversalClient
	reqs    chan *call
	once    sync.Once
	running atomic.Int32 // loops; each ends after a moment without calls
}

type call struct {
	ctx    context.Context
	script *redis.Script
	keys   []string
	args   []any
	cmd    *redis.Cmd
	done   chan struct{}
}

// batchLoops is how many batches may be on the wire at once.
const batchLoops = 4

// maxBatch bounds one pipeline.
const maxBatch = 256

var callPool = sync.Pool{New: func() any { return &call{done: make(chan struct{}, 1)} }}

// run evaluates script through the batcher and returns its reply.
func (b *batcher) run(ctx context.Context, script *redis.Script, keys []string, args ...any) *redis.Cmd {
	b.once.Do(func() { b.reqs = make(chan *call, 4096) })
	c := callPool.Get().(*call)
	c.ctx, c.script, c.keys, c.args, c.cmd = ctx, script, keys, args, nil
	select {
	case b.reqs <- c:
		if b.running.Load() < batchLoops {
			b.start()
		}
	case <-ctx.Done():
		callPool.Put(c)
		cmd := redis.NewCmd(ctx)
		cmd.SetErr(ctx.Err())
		return cmd
	}
	<-c.done // always answered: the loop never drops a call
	cmd := c.cmd
	c.ctx, c.keys, c.args, c.cmd = nil, nil, nil, nil
	callPool.Put(c)
	return cmd
}

func (b *batcher) start() {
	if b.running.Add(1) > batchLoops {
		b.running.Add(-1)
		return
	}
	go b.loop()
}

// loop sends batches until no call came for a second; the last loop to
// leave makes sure no call is left behind.
func (b *batcher) loop() {
	batch := make([]*call, 0, maxBatch)
	idle := time.NewTimer(time.Second)
	defer idle.Stop()
	for {
		var c *call
		select {
		case c = <-b.reqs:
		case <-idle.C:
			b.running.Add(-1)
			if len(b.reqs) > 0 {
				b.start()
			}
			return
		}
		idle.Reset(time.Second)
		batch = append(batch[:0], c)
	fill:
		for len(batch) < maxBatch {
			select {
			case c := <-b.reqs:
				batch = append(batch, c)
			default:
				break fill
			}
		}
		b.send(batch)
	}
}

// send runs one batch; scripts Redis does not know yet are loaded and
// their calls sent again.
func (b *batcher) send(batch []*call) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	live := batch[:0:0]
	for _, c := range batch {
		if err := c.ctx.Err(); err != nil {
			c.cmd = redis.NewCmd(c.ctx)
			c.cmd.SetErr(err)
			c.done <- struct{}{}
			continue
		}
		live = append(live, c)
	}
	for try := 0; len(live) > 0; try++ {
		pipe := b.rdb.Pipeline()
		for _, c := range live {
			c.cmd = c.script.EvalSha(ctx, pipe, c.keys, c.args...)
		}
		pipe.Exec(ctx)
		var again []*call
		loaded := map[*redis.Script]bool{}
		for _, c := range live {
			if err := c.cmd.Err(); try == 0 && err != nil && strings.HasPrefix(err.Error(), "NOSCRIPT") {
				if !loaded[c.script] {
					loaded[c.script] = true
					c.script.Load(ctx, b.rdb)
				}
				again = append(again, c)
				continue
			}
			c.done <- struct{}{}
		}
		live = again
	}
}
