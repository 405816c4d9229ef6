package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/whatsapp"
	"github.com/umkmbot/umkmbot/ops"
)

// whatsappChannel describes WhatsApp: its admins are
// ADMIN_WHATSAPP_NUMBERS, its broadcasts go at BROADCAST_RATE_WHATSAPP.
func whatsappChannel(c Config) bot.Channel {
	ch, admins := whatsapp.Channel(), c.Broadcast.AdminWhatsApp
	ch.IsAdmin = func(user string) bool {
		number, _, _ := strings.Cut(user, "@")
		return admins[number]
	}
	ch.Admins = func() []string { return slices.Sorted(maps.Keys(admins)) }
	ch.Rate = botRate(c.Broadcast.RateWhatsApp)
	return ch
}

// watchWhatsApp makes ch, serve's WhatsApp across pairings, the channel's
// readiness and gauges from the start: before a number is paired they say
// so; a session's link (linkWhatsApp) keeps them.
func watchWhatsApp(a *App, ch *waChannel) error {
	if err := a.linkChannel(bot.WhatsApp, bot.Link{Ready: ch.Ready}); err != nil {
		return err
	}
	a.watchMetrics("whatsapp", func(m *ops.Metrics) error { return m.WatchWhatsApp(ops.WhatsAppFunc(ch.state)) })
	return nil
}

// linkWhatsApp makes the paired number's adapter WhatsApp's link in this
// process: replies and broadcasts go through it, broadcasts wait out its
// bans and time locks (Bulk), and readiness and the gauges follow it.
func linkWhatsApp(a *App, ch *waChannel, ad *whatsapp.Adapter) error {
	ch.setAdapter(ad, ops.CheckFunc(whatsappCheck(a, ad)))
	return a.linkChannel(bot.WhatsApp, bot.Link{Sender: ad, Bulk: ad, Fetch: ad.Fetch, Ready: ch.Ready})
}

// whatsappCheck is ready while this process is connected, or while
// another process holds the connection (this one stands by to take over).
func whatsappCheck(a *App, ad *whatsapp.Adapter) func(context.Context) error {
	shared := newRedisStatus(a.Store)
	return func(ctx context.Context) error {
		s := ad.Status()
		switch {
		case s.Connected:
			return nil
		case s.LoggedOut:
			return errors.New("logged out: run `umkmbot whatsapp pair`")
		case s.Restriction == whatsapp.RestrictionTempBan && time.Now().Before(s.RestrictedUntil):
			return fmt.Errorf("temporary ban until %s", s.RestrictedUntil.In(bot.Jakarta).Format(time.RFC3339))
		}
		rec, err := shared.LoadStatus(ctx)
		if err != nil {
			return err
		}
		if rec.Connected && rec.Owner != a.Cfg.Instance {
			return nil
		}
		return errors.New("not connected")
	}
}
