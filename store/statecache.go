package store

import (
	"sync"

	"github.com/umkmbot/umkmbot/bot"
)

// stateCache keeps the states this process committed last, decoded, so the
// next turn of the same conversation skips reading and decoding the state
// JSON: the scripts send it only when the stored version differs from the
// cached one. Bounded: past maxStates half of it is dropped.
//
// It keeps the profiles the scripts sent too, under the profile token
// ('pv' in the state hash, see turn.go) they were read with: the scripts
// send the profile only when the stored token differs from the cached one.
type stateCache struct {
	mu sync.Mutex
	m  map[bot.Conversation]bot.State
	p  map[bot.Conversation]cachedProfile
}

type cachedProfile struct {
	token string
	p     bot.Profile
}

const maxStates = 5_000

// version returns the version of k's cached state (ok: there is one) and
// the token of its cached profile ("": none).
func (c *stateCache) version(k bot.Conversation) (v int64, ok bool, token string) {
	c.mu.Lock()
	st, ok := c.m[k]
	token = c.p[k].token
	c.mu.Unlock()
	return st.Version, ok, token
}

// profile returns k's cached profile if it was read under token.
func (c *stateCache) profile(k bot.Conversation, token string) (bot.Profile, bool) {
	c.mu.Lock()
	cp, ok := c.p[k]
	c.mu.Unlock()
	if !ok || token == "" || cp.token != token {
		return bot.Profile{}, false
	}
	return cp.p, true
}

// putProfile caches p, read under token ("": not cached).
func (c *stateCache) putProfile(k bot.Conversation, token string, p bot.Profile) {
	if token == "" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.p == nil {
		c.p = make(map[bot.Conversation]cachedProfile)
	}
	trim(c.p)
	c.p[k] = cachedProfile{token, p}
}

func (c *stateCache) dropProfile(k bot.Conversation) {
	c.mu.Lock()
	delete(c.p, k)
	c.mu.Unlock()
}

// trim drops half of m once it holds maxStates.
func trim[V any](m map[bot.Conversation]V) {
	if len(m) < maxStates {
		return
	}
	n := 0
	for k := range m {
		delete(m, k)
		if n++; n >= maxStates/2 {
			break
		}
	}
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

// take hands k's cached state over whatever its version (see get).
func (c *stateCache) take(k bot.Conversation) (bot.State, bool) {
	c.mu.Lock()
	st, ok := c.m[k]
	delete(c.m, k)
	c.mu.Unlock()
	return st, ok
}

func (c *stateCache) put(k bot.Conversation, st bot.State) { c.own(k, st.Clone()) }

// own caches st itself, no copy: its caller hands it over and never
// touches its maps again.
func (c *stateCache) own(k bot.Conversation, st bot.State) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[bot.Conversation]bot.State)
	}
	trim(c.m)
	c.m[k] = st
}

func (c *stateCache) drop(k bot.Conversation) {
	c.mu.Lock()
	delete(c.m, k)
	c.mu.Unlock()
}
