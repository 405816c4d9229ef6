package whatsapp

import (
	"context"
	"errors"
	"time"

	"go.mau.fi/whatsmeow/types/events"

	"github.com/umkmbot/umkmbot/bot"
)

// Why holding the connection ended.
const (
	endStopped   = "stopped"        // ctx ended
	endLoggedOut = "logged_out"     // the device was unlinked
	endOutdated  = "outdated"       // WhatsApp refuses this client version
	endReplaced  = "replaced"       // another client took the connection
	endBanned    = "banned"         // a temporary ban
	endLost      = "lost_lease"     // another process holds the lease now
	endFailed    = "connect_failed" // could not connect
)

// Run holds the device connection until ctx ends: it waits for the lease
// (another serve process may hold the connection; it takes over when that
// one dies), connects, renews the lease, and disconnects cleanly at the
// end. After a temporary ban it waits for the ban to end before
// connecting again; after a connect failure it lets the lease go (a
// standby may take over) and tries again with a growing pause; after
// another client replaced the connection it waits Config.ReplacedWait,
// doubling while it repeats, so two clients do not replace each other
// forever. When the device is logged out or banned for good (or the
// client is too old) it logs how to recover and returns nil, so the rest
// of serve keeps running without WhatsApp.
func (a *Adapter) Run(ctx context.Context) error {
	conn, ok := a.client.(connector)
	if !ok {
		return errors.New("whatsapp client cannot connect")
	}
	failures := 0
	for {
		if !a.acquire(ctx) {
			return nil
		}
		why := a.hold(ctx, conn)
		if why != endFailed {
			failures = 0
		}
		switch why {
		case endStopped, endLoggedOut, endOutdated:
			a.log.Info("whatsapp channel stopped", "why", why)
			return nil
		case endFailed:
			failures++
			if sleep(ctx, a.clock, min(5*time.Second<<min(failures-1, 5), 2*time.Minute)) != nil {
				return nil
			}
		}
	}
}

// loadStatus takes over restrictions another process recorded.
func (a *Adapter) loadStatus(ctx context.Context) {
	if a.store == nil {
		return
	}
	s, err := a.store.LoadStatus(ctx)
	if err != nil {
		a.log.Warn("read whatsapp status", "err", err)
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.shared = s
	if s.Restriction != "" && s.RestrictedUntil.After(a.status.RestrictedUntil) {
		a.status.Restriction, a.status.RestrictedUntil, a.status.RestrictionCode = s.Restriction, s.RestrictedUntil, s.RestrictionCode
	}
	if s.ReplacedUntil.After(a.status.ReplacedUntil) {
		a.status.Replaced, a.status.ReplacedUntil = s.Replaced, s.ReplacedUntil
	}
}

// replaced records that another client took the device connection and
// says how long no process may connect: Config.ReplacedWait, doubled for
// each replacement in a row up to 6 hours. A connection that lasted an
// hour ends the row.
func (a *Adapter) replaced() {
	now := a.clock.Now()
	a.mu.Lock()
	n := a.status.Replaced
	if !a.upAt.IsZero() && now.Sub(a.upAt) >= time.Hour {
		n = 0
	}
	a.mu.Unlock()
	n++
	until := now.Add(min(a.cfg.ReplacedWait<<min(n-1, 10), 6*time.Hour))
	a.update(func(s *Status) { s.Replaced, s.ReplacedUntil = n, until })
	a.log.Error("WHATSAPP CONNECTION REPLACED: another client is using this number's linked device "+
		"(another umkmbot without the shared Redis, a copy of the device store, or `whatsapp pair` on another machine). "+
		"No serve process connects again before the pause ends, so the two do not replace each other forever. "+
		"Stop the other client; if it must stay, unlink one of them on the phone (WhatsApp → Linked devices).",
		"times_in_a_row", n, "until", until.In(bot.Jakarta).Format(time.RFC3339))
}

// acquire waits for the end of a temporary ban and for the lease; false
// when ctx ended first.
func (a *Adapter) acquire(ctx context.Context) bool {
	standing := false
	for {
		a.loadStatus(ctx) // a ban, time lock or replacement another process recorded
		s, now := a.Status(), a.clock.Now()
		var until time.Time
		switch {
		case s.Restriction == RestrictionTempBan && now.Before(s.RestrictedUntil):
			until = s.RestrictedUntil
			a.log.Warn("whatsapp: waiting for the temporary ban to end before connecting", "until", until)
		case now.Before(s.ReplacedUntil):
			until = s.ReplacedUntil
			a.log.Warn("whatsapp: another client replaced the connection; waiting before connecting again", "until", until)
		}
		if !until.IsZero() {
			if sleep(ctx, a.clock, min(until.Sub(now), 5*time.Minute)) != nil {
				return false
			}
			continue
		}
		if a.lease == nil {
			return ctx.Err() == nil
		}
		ok, err := a.lease.ClaimLease(ctx, a.cfg.LeaseKey, a.cfg.Owner, a.cfg.LeaseTTL)
		switch {
		case ctx.Err() != nil:
			return false
		case err == nil && ok:
			return true
		case err != nil:
			a.log.Warn("whatsapp: claim the connection lease", "err", err)
		case !standing:
			a.log.Info("whatsapp: another process holds the device connection; standing by to take over")
			standing = true
		}
		if sleep(ctx, a.clock, a.cfg.LeaseTTL/3) != nil {
			return false
		}
	}
}

// hold connects and keeps the lease until something ends it.
func (a *Adapter) hold(ctx context.Context, conn connector) string {
	for drained := false; !drained; { // events of an earlier connection
		select {
		case <-a.signals:
		default:
			drained = true
		}
	}
	a.update(func(s *Status) { s.Owner, s.Account, s.LoggedOut = a.cfg.Owner, maskAccount(a.cfg.Account), false })
	a.log.Info("whatsapp: connecting; this process holds the device connection", "owner", a.cfg.Owner)
	if err := conn.Connect(); err != nil {
		a.log.Error("whatsapp connect", "err", err)
		a.release(ctx)
		return endFailed
	}
	stopRelay := a.startRelay(ctx)
	defer func() {
		stopRelay()
		conn.Disconnect()
		a.setConnected(false)
		a.release(ctx)
		a.log.Info("whatsapp disconnected cleanly")
	}()
	every := a.cfg.LeaseTTL / 3
	tick := time.NewTicker(every)
	defer tick.Stop()
	renewed := a.clock.Now()
	for {
		select {
		case <-ctx.Done():
			return endStopped
		case e := <-a.signals:
			switch e.(type) {
			case *events.LoggedOut:
				return endLoggedOut
			case *events.ClientOutdated:
				return endOutdated
			case *events.StreamReplaced:
				a.replaced()
				return endReplaced
			case *events.TemporaryBan:
				return endBanned
			case *events.ConnectFailure:
				return endFailed
			}
		case <-tick.C:
			if a.lease == nil {
				continue
			}
			ok, err := a.lease.ClaimLease(ctx, a.cfg.LeaseKey, a.cfg.Owner, a.cfg.LeaseTTL)
			switch {
			case ctx.Err() != nil:
				return endStopped
			case err == nil && ok:
				renewed = a.clock.Now()
			case err == nil:
				a.log.Error("whatsapp: another process took the connection lease; disconnecting")
				return endLost
			case a.clock.Now().Sub(renewed) >= a.cfg.LeaseTTL-every:
				a.log.Error("whatsapp: cannot renew the connection lease; disconnecting before it expires so two processes never share the device", "err", err)
				return endLost
			default:
				a.log.Warn("whatsapp: renew the connection lease", "err", err)
			}
		}
	}
}

// release gives the lease up, even while ctx is ending.
func (a *Adapter) release(ctx context.Context) {
	if a.lease == nil {
		return
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := a.lease.ReleaseLease(rctx, a.cfg.LeaseKey, a.cfg.Owner); err != nil {
		a.log.Warn("whatsapp: release the connection lease", "err", err)
	}
}
