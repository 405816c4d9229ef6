package store

import (
	"context"
	"fmt"
	"strconv"
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
	shas    sync.Map     // *redis.Script: its hash, boxed (sha)
}

// A call is one script call: its keys and arguments are written into one
// buffer (buf, each ending at ends) and go to go-redis as pointers to
// slices of it (rawArg). EvalSha's strings and int64s go into interfaces,
// an allocation each: a dozen per call. Calls are pooled with their
// buffers.
type call struct {
	ctx    context.Context
	script *redis.Script
	buf    []byte
	ends   []int
	nkeys  int
	raw    []rawArg
	args   []any // evalsha, sha, number of keys, &raw[i]...
	cmd    *redis.Cmd
	done   chan struct{}
}

// rawArg is a key or an argument of a call as go-redis writes it
// (encoding.BinaryMarshaler): a pointer to it goes into an interface
// without an allocation.
type rawArg []byte

func (a *rawArg) MarshalBinary() ([]byte, error) { return *a, nil }

// String and Format are the argument for hooks that print it; Format
// spares fmt a copy.
func (a *rawArg) String() string { return string(*a) }

func (a *rawArg) Format(f fmt.State, verb rune) { f.Write(*a) }

// batchLoops is how many batches may be on the wire at once: two, so that
// Redis finds the next batch waiting when it is done with one, while the
// calls that come meanwhile go together. Each batch costs a write and a
// read on both sides; with four, batches were 40 % smaller for the same
// turns/s and cost 8 % more of this process's CPU and 4 % more of Redis's
// per turn (BenchmarkTurnStore, 32 people); with one, turns/s fell 15 %.
const batchLoops = 2

// maxBatch bounds one pipeline.
const maxBatch = 256

// maxKeptBuf bounds the buffer a pooled call keeps (a turn's is ~1 KB).
const maxKeptBuf = 64 << 10

var callPool = sync.Pool{New: func() any { return &call{done: make(chan struct{}, 1)} }}

// call starts a call of script: its keys first (nkeys of them, see
// turnCall), then its arguments.
func (b *batcher) call(ctx context.Context, script *redis.Script) *call {
	c := callPool.Get().(*call)
	c.ctx, c.script = ctx, script
	c.buf, c.ends, c.nkeys = c.buf[:0], c.ends[:0], 0
	return c
}

func (c *call) str(v string) *call {
	c.buf = append(c.buf, v...)
	return c.end()
}

func (c *call) int(n int64) *call {
	c.buf = strconv.AppendInt(c.buf, n, 10)
	return c.end()
}

// end ends the argument written into buf since the last one.
func (c *call) end() *call {
	c.ends = append(c.ends, len(c.buf))
	return c
}

// run evaluates c's script through the batcher and returns its reply; c
// goes back to the pool.
func (b *batcher) run(c *call) ([]any, error) {
	b.once.Do(func() { b.reqs = make(chan *call, 4096) })
	c.raw = c.raw[:0]
	from := 0
	for _, e := range c.ends {
		c.raw = append(c.raw, rawArg(c.buf[from:e]))
		from = e
	}
	c.args = append(c.args[:0], "evalsha", b.sha(c.script), c.nkeys)
	for i := range c.raw {
		c.args = append(c.args, &c.raw[i])
	}
	defer c.free()
	select {
	case b.reqs <- c:
		if b.running.Load() < batchLoops {
			b.start()
		}
	case <-c.ctx.Done():
		return nil, c.ctx.Err()
	}
	<-c.done // always answered: the loop never drops a call
	return c.cmd.Slice()
}

// free puts c back in the pool, its command with it: the reply was taken
// from the command, and neither go-redis nor a hook keeps a command after
// Exec (one that did would see another call's arguments).
func (c *call) free() {
	clear(c.args)
	c.ctx, c.script, c.cmd = nil, nil, nil
	if cap(c.buf) > maxKeptBuf {
		c.buf, c.raw = nil, nil
	}
	callPool.Put(c)
}

// sha returns script's hash in an interface, made once per script.
func (b *batcher) sha(script *redis.Script) any {
	if v, ok := b.shas.Load(script); ok {
		return v
	}
	v, _ := b.shas.LoadOrStore(script, any(script.Hash()))
	return v
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
	pipe := b.rdb.Pipeline() // empty again after each Exec
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
		b.send(pipe, batch)
	}
}

// send runs one batch; scripts Redis does not know yet are loaded and
// their calls sent again.
func (b *batcher) send(pipe redis.Pipeliner, batch []*call) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	live := batch[:0] // a call answered is the caller's again: not touched after
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
		for _, c := range live {
			c.cmd = redis.NewCmd(ctx, c.args...)
			c.cmd.SetFirstKeyPos(3)
			_ = pipe.Process(ctx, c.cmd) // queued; its error is c.cmd's after Exec
		}
		pipe.Exec(ctx)
		again := live[:0]
		var loaded map[*redis.Script]bool
		for _, c := range live {
			if err := c.cmd.Err(); try == 0 && err != nil && strings.HasPrefix(err.Error(), "NOSCRIPT") {
				if !loaded[c.script] {
					if loaded == nil {
						loaded = map[*redis.Script]bool{}
					}
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
