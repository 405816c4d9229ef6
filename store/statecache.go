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
	m  map[bot.Conversation]*cachedState
	p  map[bot.Conversation]cachedProfile
}

// cachedState is a conversation's place in the cache: its state, while in
// (not handed over to a turn). A handed-over state keeps its place, so a
// turn's hand-over and its commit's return write the entry in place, not
// a delete and an insert of the map (the insert and its copy of the state
// were 4 % of serve's CPU under the harness).
type cachedState struct {
	st bot.State
	in bool
}

type cachedProfile struct {
	token string
	p     bot.Profile
}

// maxStates holds the 10,000 conversations of the busiest hour
// with room to spare (about 1.6 KB each mid-registration, state, profile
// and sealed forms together: ~19 MB at the bound). At 5,000, 9,500 people
// registering at once under the harness pushed half their turns off the
// direct way: 17.1 Redis commands a turn instead of 9.4–10.0, and 15–23 %
// fewer turns/s, at the same peak RSS (the soft memory limit binds either
// way).
const maxStates = 12_000

// version returns the version of k's cached state (ok: there is one) and
// the token of its cached profile ("": none).
func (c *stateCache) version(k bot.Conversation) (v int64, ok bool, token string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.m[k]; e != nil && e.in {
		v, ok = e.st.Version, true
	}
	return v, ok, c.p[k].token
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
	defer c.mu.Unlock()
	e := c.m[k]
	if e == nil || !e.in || e.st.Version != v {
		return bot.State{}, false
	}
	e.in = false
	return e.st, true
}

// handOver hands k's cached state over with its cached profile and the
// profile's token, in one look at the cache; ok is false (and nothing is
// handed over) unless both are cached.
func (c *stateCache) handOver(k bot.Conversation) (st bot.State, p bot.Profile, token string, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, cp := c.m[k], c.p[k]
	if e == nil || !e.in || cp.token == "" {
		return bot.State{}, bot.Profile{}, "", false
	}
	e.in = false
	return e.st, cp.p, cp.token, true
}

func (c *stateCache) put(k bot.Conversation, st bot.State) { c.own(k, st.Clone()) }

// own caches st itself, no copy: its caller hands it over and never
// touches its maps again.
func (c *stateCache) own(k bot.Conversation, st bot.State) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.m[k]
	if e == nil {
		if c.m == nil {
			c.m = make(map[bot.Conversation]*cachedState)
		}
		trim(c.m)
		e = &cachedState{}
		c.m[k] = e
	}
	e.st, e.in = st, true
}

func (c *stateCache) drop(k bot.Conversation) {
	c.mu.Lock()
	delete(c.m, k)
	c.mu.Unlock()
}
