package store

import (
	"strconv"
	"sync"

	"github.com/umkmbot/umkmbot/bot"
)

// stateCache keeps the states this process committed last, decoded, so the
// next turn of the same conversation skips reading and decoding the state
// JSON: the scripts send it only when the stored version differs from the
// cached one. Bounded: past maxStates half of it is dropped.
type stateCache struct {
	mu sync.Mutex
	m  map[bot.Conversation]bot.State
}

const maxStates = 5_000

func (c *stateCache) version(k bot.Conversation) string {
	c.mu.Lock()
	st, ok := c.m[k]
	c.mu.Unlock()
	if !ok {
		return ""
	}
	return strconv.FormatInt(st.Version, 10)
}

// get hands k's cached state at version v over to the turn that took the
// conversation, and forgets it: no copy is made (put copied it already),
// and the turn's commit puts its own state back. A second copy here was
// 2 % of serve's CPU.
func (c *stateCache) get(k bot.Conversation, v int64) (bot.State, bool) {
	c.mu.Lock()
	st, ok := c.m[k]
	if ok && st.Version == v {
		delete(c.m, k)
	}
	c.mu.Unlock()
	if !ok || st.Version != v {
		return bot.State{}, false
	}
	return st, true
}

func (c *stateCache) put(k bot.Conversation, st bot.State) {
	st = st.Clone()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[bot.Conversation]bot.State)
	}
	if len(c.m) >= maxStates {
		n := 0
		for k := range c.m {
			delete(c.m, k)
			if n++; n >= maxStates/2 {
				break
			}
		}
	}
	c.m[k] = st
}

func (c *stateCache) drop(k bot.Conversation) {
	c.mu.Lock()
	delete(c.m, k)
	c.mu.Unlock()
}
