package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/umkmbot/umkmbot/bot/whatsapp"
	"github.com/umkmbot/umkmbot/ops"
)

// Serve's WhatsApp channel across pairings (waChannel): the paired
// number's session, the wait for a pairing made on any process's page or
// in a terminal, and logging out wherever the connection is held.

// waSession is the paired number's session in this process: its
// adapter holds the connection when it has the lease, or stands by.
type waSession struct {
	run func(ctx context.Context) error
	// holds says whether this process is connected as the number now.
	holds func() bool
	// logOut unlinks the number through this process's connection.
	logOut func(ctx context.Context) error
	// unlinked says, after run ended, whether the device is gone from
	// the device store (logged out on the phone or here).
	unlinked func() bool
}

// waChannel is serve's WhatsApp channel across pairings: it holds the
// paired number's connection; with no number paired it waits until one
// is paired (on the console's WhatsApp page of any serve process sharing
// the Redis, or with `umkmbot whatsapp pair`) and then connects, without a
// restart; after the number is unlinked (from the page of any process or
// from the phone) every process stops and waits for the next pairing.
type waChannel struct {
	log    *slog.Logger
	pairer *waPairer
	// open opens the paired number's session (nil: none paired).
	open   func(ctx context.Context) (*waSession, error)
	paired chan struct{} // a pairing succeeded in this process (buffered: one is enough)
	// sig is the pairing generation shared by the serve processes (nil:
	// this process only); every is how often it is read (default 3 s).
	sig   *waSignal
	every time.Duration

	mu    sync.Mutex
	ad    *whatsapp.Adapter // the running session's, nil before one
	check ops.Check
	cur   *heldSession // the session running now
}

// heldSession is a session while Run holds it.
type heldSession struct {
	*waSession
	gen       int64              // the generation it was opened at
	stop      context.CancelFunc // ends it
	loggedOut bool               // unlinked through this process (under waChannel.mu)
}

func newWAChannel(log *slog.Logger) *waChannel {
	return &waChannel{log: log, paired: make(chan struct{}, 1)}
}

// Paired tells the channel a number was just paired in this process, and
// the other serve processes through the generation.
func (c *waChannel) Paired() {
	if c.sig != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := c.sig.bump(ctx); err != nil {
			c.log.Error("whatsapp: tell the other serve processes about the pairing", "err", err)
		}
		cancel()
	}
	select {
	case c.paired <- struct{}{}:
	default:
	}
}

func (c *waChannel) setAdapter(ad *whatsapp.Adapter, check ops.Check) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ad, c.check = ad, check
}

// Ready is the channel's readiness (/readyz).
func (c *waChannel) Ready(ctx context.Context) error {
	c.mu.Lock()
	check := c.check
	c.mu.Unlock()
	if check == nil {
		return errors.New("no number paired: pair it on the console's WhatsApp page or run `umkmbot whatsapp pair`")
	}
	return check.Ready(ctx)
}

// state is the metrics' view of the current session.
func (c *waChannel) state() ops.WhatsAppState {
	c.mu.Lock()
	ad := c.ad
	c.mu.Unlock()
	if ad == nil {
		return ops.WhatsAppState{}
	}
	s := ad.Status()
	return ops.WhatsAppState{Connected: s.Connected, LoggedOut: s.LoggedOut, Restriction: s.Restriction, RestrictedUntil: s.RestrictedUntil}
}

// generation reads the shared generation; 0 without one (or when Redis
// does not answer: the next read compares again).
func (c *waChannel) generation(ctx context.Context) int64 {
	if c.sig == nil {
		return 0
	}
	g, _, err := c.sig.read(ctx)
	if err != nil {
		c.log.Warn("whatsapp: read the pairing generation", "err", err)
	}
	return g
}

// ticker ticks every c.every while there is a shared generation to read.
func (c *waChannel) ticker() (<-chan time.Time, func()) {
	if c.sig == nil {
		return nil, func() {}
	}
	t := time.NewTicker(cmp.Or(c.every, 3*time.Second))
	return t.C, t.Stop
}

// Run holds the paired number's connection, and waits for a pairing
// whenever there is none, until ctx ends.
func (c *waChannel) Run(ctx context.Context) error {
	defer c.pairer.Wait()
	for {
		gen := c.generation(ctx)
		s, err := c.open(ctx)
		switch {
		case err != nil:
			c.log.Error("whatsapp: open the device store; waiting for a new pairing", "err", err)
		case s == nil:
			c.log.Warn("WhatsApp is enabled but no number is paired: pair it on the console's WhatsApp page or run " +
				"`umkmbot whatsapp pair` (QR code) or `umkmbot whatsapp pair --phone 62812…` (pairing code); it connects at once. " +
				"Serving the other channels meanwhile.")
		default:
			moved, unlinked, err := c.hold(ctx, s, gen)
			if err != nil {
				return err
			}
			if ctx.Err() != nil {
				return nil
			}
			if unlinked && c.sig != nil {
				// The device was removed here: the other processes'
				// standby sessions stop and wait for a pairing too.
				if err := c.sig.bump(ctx); err != nil {
					c.log.Error("whatsapp: tell the other serve processes about the unlinking", "err", err)
				}
			}
			if moved || unlinked {
				continue // re-open the device store
			}
			// Banned for good or too old a client: the adapter said why. A
			// new pairing starts it again.
		}
		if !c.wait(ctx, gen) {
			return nil
		}
	}
}

// wait waits for a pairing here or a change of the generation elsewhere;
// false when ctx ended.
func (c *waChannel) wait(ctx context.Context, gen int64) bool {
	tick, stop := c.ticker()
	defer stop()
	for {
		select {
		case <-ctx.Done():
			return false
		case <-c.paired:
			c.log.Info("whatsapp: a number was paired on the console; connecting")
			return true
		case <-tick:
			if g := c.generation(ctx); g != gen {
				c.log.Info("whatsapp: the number was paired or unlinked by another process; re-opening the device store")
				return true
			}
		}
	}
}

// hold runs a session until it ends, ctx ends, or the generation moves
// (moved: the number was paired or unlinked elsewhere); it unlinks the
// number when the console asked another process to and this one holds the
// connection. unlinked: the device is gone from the store.
func (c *waChannel) hold(ctx context.Context, s *waSession, gen int64) (moved, unlinked bool, err error) {
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	h := &heldSession{waSession: s, gen: gen, stop: stop}
	c.mu.Lock()
	c.cur = h
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.cur = nil
		unlinked = h.loggedOut || (s.unlinked != nil && s.unlinked())
		c.mu.Unlock()
	}()
	done := make(chan error, 1)
	go func() { done <- s.run(sctx) }()
	tick, stopTick := c.ticker()
	defer stopTick()
	asked := false
	for {
		select {
		case err := <-done:
			return moved, false, err
		case <-tick:
			g, ask, err := c.sig.read(ctx)
			if err != nil {
				c.log.Warn("whatsapp: read the pairing generation", "err", err)
				continue
			}
			if g != gen && !moved {
				c.log.Info("whatsapp: the number was paired or unlinked by another process; re-opening the device store")
				moved = true
				stop()
			}
			if ask == gen && !asked && !moved && s.holds() {
				asked = true // once: a failure is logged, the console's admin asks again
				if err := c.logOutHere(ctx, h); err != nil {
					c.log.Error("whatsapp: unlink the number as asked on the console", "err", err)
				}
			}
		}
	}
}

// logOutHere unlinks the number through this process's connection and
// ends the session.
func (c *waChannel) logOutHere(ctx context.Context, h *heldSession) error {
	if err := h.logOut(ctx); err != nil {
		return fmt.Errorf("whatsapp log out: %w", err)
	}
	c.mu.Lock()
	h.loggedOut = true
	c.mu.Unlock()
	h.stop()
	return nil
}

// LogOut unlinks the number (the console's page): through this process's
// connection when it holds it, else by asking the process that does and
// waiting until it did (the generation moves).
func (c *waChannel) LogOut(ctx context.Context) error {
	c.mu.Lock()
	h := c.cur
	c.mu.Unlock()
	if h != nil && h.holds() {
		return c.logOutHere(ctx, h)
	}
	if c.sig == nil {
		return errNoHolder
	}
	gen, _, err := c.sig.read(ctx)
	if err != nil {
		return err
	}
	if err := c.sig.askUnlink(ctx, gen); err != nil {
		return err
	}
	tick, stop := c.ticker()
	defer stop()
	deadline := time.After(unlinkAsk)
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline:
			return errNoHolder
		case <-tick:
			if g, _, err := c.sig.read(ctx); err == nil && g != gen {
				return nil
			}
		}
	}
}
