package whatsapp

import (
	"context"
	"errors"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"

	"github.com/umkmbot/umkmbot/bot"
)

// Restrictions WhatsApp puts on an account.
const (
	// RestrictionTempBan: WhatsApp refused the connection with a temporary
	// ban (events.TemporaryBan); it ends at RestrictedUntil.
	RestrictionTempBan = "temporary_ban"
	// RestrictionTimelock: a send was refused with error 463, a reach-out
	// time lock (no messages to people who did not write first). WhatsApp
	// does not say when it ends; the adapter assumes Config.TimelockPause.
	RestrictionTimelock = "reachout_timelock"
	// RestrictionBanned: WhatsApp banned the number for good (connect
	// failure 403 or 406) and removed the linked device; it has no end
	// until WhatsApp lifts it on review and the number is paired again.
	RestrictionBanned = "permanent_ban"
)

// Status is what `umkmbot whatsapp status` shows: the state of the device
// connection as the process holding it last recorded it.
type Status struct {
	Owner     string    `json:"owner,omitempty"`   // the serve process holding the connection
	Account   string    `json:"account,omitempty"` // the paired number, masked
	Connected bool      `json:"connected"`
	Since     time.Time `json:"since,omitzero"` // last connection change
	LoggedOut bool      `json:"logged_out,omitempty"`

	Restriction     string    `json:"restriction,omitempty"` // RestrictionTempBan, RestrictionTimelock or ""
	RestrictedUntil time.Time `json:"restricted_until,omitzero"`
	RestrictionCode int       `json:"restriction_code,omitempty"` // WhatsApp's ban reason code

	// Another client took the device connection (StreamReplaced) Replaced
	// times in a row; no process connects before ReplacedUntil.
	Replaced      int       `json:"replaced,omitempty"`
	ReplacedUntil time.Time `json:"replaced_until,omitzero"`

	Updated time.Time `json:"updated"`
}

// BulkAllowed reports whether messages nobody asked for (broadcasts,
// reminders to many people) may go out at now, and if not, until when they
// must wait (the zero time after a permanent ban: no end known). Replies
// to people who wrote are not affected by a time lock.
func (s Status) BulkAllowed(now time.Time) (bool, time.Time) {
	if s.Restriction == RestrictionBanned {
		return false, time.Time{}
	}
	if s.Restriction != "" && now.Before(s.RestrictedUntil) {
		return false, s.RestrictedUntil
	}
	return true, time.Time{}
}

// StatusStore keeps the adapter's Status where other processes (the status
// command, a broadcast job in another process) can read it. cmd/umkmbot
// keeps it in Redis.
type StatusStore interface {
	LoadStatus(ctx context.Context) (Status, error)
	SaveStatus(ctx context.Context, s Status) error
}

// Leaser hands out the one lease that lets a process hold the device's
// connection; *store.Store satisfies it.
type Leaser interface {
	ClaimLease(ctx context.Context, key, owner string, ttl time.Duration) (bool, error)
	ReleaseLease(ctx context.Context, key, owner string) error
}

func (a *Adapter) onTempBan(e *events.TemporaryBan) {
	wait, known := e.Expire, true
	if wait <= 0 { // WhatsApp did not say: connecting again at once would only meet the ban again
		wait, known = a.cfg.BanWait, false
	}
	until := a.clock.Now().Add(wait)
	a.log.Error("WHATSAPP TEMPORARY BAN: WhatsApp refuses this number until the ban ends. "+
		"Broadcasts stay stopped until then; the connection is retried after it. "+
		"Send fewer messages nobody asked for (see the README on ban risk).",
		"reason", e.Code.String(), "until", until.In(bot.Jakarta).Format(time.RFC3339), "end_known", known)
	a.restrict(RestrictionTempBan, until, int(e.Code))
	a.setConnected(false)
	a.obs.Event("whatsapp_ban")
	a.signal(e)
}

// onLoggedOut handles the end of the pairing: the phone removed the
// device, or WhatsApp banned the number (connect failure 403 "locked" or
// 406 "banned"), where pairing again does not help.
func (a *Adapter) onLoggedOut(e *events.LoggedOut) {
	a.setConnected(false)
	if isPermanentBan(e.Reason) {
		a.log.Error("WHATSAPP NUMBER BANNED: WhatsApp refused this number for good and removed the linked device "+
			"(code "+e.Reason.NumberString()+"). Pairing again does not help while the ban lasts. "+
			"Open WhatsApp on the bot's phone: it shows the ban and lets you request a review. "+
			"Until WhatsApp lifts it, use another number (and fewer messages nobody asked for) or Telegram; "+
			"the rest of the service keeps running.",
			"reason", e.Reason.String(), "code", int(e.Reason))
		a.update(func(s *Status) {
			s.LoggedOut, s.Connected = true, false
			s.Restriction, s.RestrictedUntil, s.RestrictionCode = RestrictionBanned, time.Time{}, int(e.Reason)
		})
		a.obs.Event("whatsapp_permanent_ban")
		a.signal(e)
		return
	}
	a.log.Error("WHATSAPP LOGGED OUT: the phone removed this linked device (or WhatsApp did). "+
		"The WhatsApp channel stops; the rest of the service keeps running. "+
		"Pair again with `umkmbot whatsapp pair` (or `umkmbot whatsapp pair --phone 62812…`) and restart serve.",
		"reason", e.Reason.String(), "on_connect", e.OnConnect)
	a.update(func(s *Status) { s.LoggedOut, s.Connected = true, false })
	a.obs.Event("whatsapp_logged_out")
	a.signal(e)
}

// isPermanentBan reports the connect failures by which WhatsApp bans a
// number: 403 (LOCKED in WhatsApp Web's code) and 406 (BANNED).
func isPermanentBan(r events.ConnectFailureReason) bool {
	return r == events.ConnectFailureMainDeviceGone || r == events.ConnectFailureUnknownLogout
}

// announce sends the 'available' presence, as WhatsApp's own clients do
// when they come online. It publishes the account's push name and makes
// whatsmeow send ordinary delivery receipts instead of 'inactive' ones.
// Before the first app state sync after pairing the name is not known yet;
// the sync (AppStateSyncComplete, PushNameSetting) calls it again.
func (a *Adapter) announce(why string) {
	p, ok := a.client.(presenceAnnouncer)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	switch err := p.SendPresence(ctx, types.PresenceAvailable); {
	case errors.Is(err, whatsmeow.ErrNoPushName):
		a.log.Info("whatsapp: the account's name is not known yet; presence follows after the sync", "when", why)
	case err != nil:
		a.log.Warn("whatsapp: send presence", "when", why, "err", err)
	default:
		a.log.Debug("whatsapp presence sent: available", "when", why)
	}
}

// restrict records a restriction WhatsApp announced.
func (a *Adapter) restrict(kind string, until time.Time, code int) {
	a.update(func(s *Status) {
		s.Restriction, s.RestrictedUntil, s.RestrictionCode = kind, until, code
	})
}

// BulkAllowed reports whether messages nobody asked for (broadcasts) may
// be sent now, and if not, until when to wait: false during a temporary
// ban or after a reach-out time lock. Broadcast jobs ask it before each
// batch; other processes read the same from the StatusStore.
func (a *Adapter) BulkAllowed() (bool, time.Time) {
	return a.Status().BulkAllowed(a.clock.Now())
}

// Status returns the adapter's current status.
func (a *Adapter) Status() Status {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.status
}

// update changes the status and records it (best effort).
func (a *Adapter) update(f func(*Status)) {
	a.mu.Lock()
	f(&a.status)
	a.status.Updated = a.clock.Now()
	s := a.status
	a.mu.Unlock()
	if a.store == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := a.store.SaveStatus(ctx, s); err != nil {
		a.log.Warn("record whatsapp status", "err", err)
	}
}

// setConnected tracks the connection for senders waiting on it.
func (a *Adapter) setConnected(up bool) {
	a.mu.Lock()
	changed := a.status.Connected != up
	if up && changed {
		close(a.up)
		a.upAt = a.clock.Now()
	} else if !up && changed {
		a.up = make(chan struct{})
	}
	a.mu.Unlock()
	if !changed {
		return
	}
	a.update(func(s *Status) {
		s.Connected, s.Since = up, a.clock.Now()
		if up && s.Restriction == RestrictionBanned {
			s.Restriction, s.RestrictionCode = "", 0 // paired again and let in: the ban is over
		}
	})
	if up {
		a.obs.Event("whatsapp_connected")
	} else {
		a.obs.Event("whatsapp_disconnected")
	}
}

// Connection reports, for readiness checks and metrics, whether the
// device is connected and which restriction WhatsApp has put on the
// number ("" for none, else a Restriction… constant). In a process that
// stands by for the lease it reports the holder's connection as last
// recorded (read every LeaseTTL/3).
func (a *Adapter) Connection() (connected bool, ban string) {
	now := a.clock.Now()
	a.mu.Lock()
	s := a.status
	if !a.holding.Load() && a.store != nil {
		s.Connected = a.shared.Connected
	}
	a.mu.Unlock()
	if s.Restriction == RestrictionBanned || s.Restriction != "" && now.Before(s.RestrictedUntil) {
		ban = s.Restriction
	}
	return s.Connected, ban
}

// connectedCh returns a channel closed once the Connected event comes, or
// nil when it came already (the client may lag behind the event, or the
// Disconnected event may still be on its way): then waiters poll.
func (a *Adapter) connectedCh() <-chan struct{} {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.status.Connected {
		return nil
	}
	return a.up
}

// signal passes a connection event to Run without blocking the handler.
func (a *Adapter) signal(e any) {
	select {
	case a.signals <- e:
	default:
	}
}
