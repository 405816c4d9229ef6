package main

import (
	"context"
	"errors"
	"fmt"
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
	ch.Rate = botRate(c.Broadcast.RateWhatsApp)
	return ch
}

// linkWhatsApp makes the adapter WhatsApp's link in this process:
// replies and broadcasts go through it, broadcasts wait out its bans and
// time locks (Bulk), and the metrics show its connection.
func linkWhatsApp(a *App, ad *whatsapp.Adapter) error {
	if err := a.linkChannel(bot.WhatsApp, bot.Link{Sender: ad, Bulk: ad, Fetch: ad.Fetch, Ready: whatsappCheck(a, ad)}); err != nil {
		return err
	}
	a.watchMetrics("whatsapp", func(m *ops.Metrics) error { return m.WatchWhatsApp(whatsappGauges(ad)) })
	return nil
}

// whatsappGauges is the WhatsApp connection as the gauges show it.
func whatsappGauges(ad *whatsapp.Adapter) ops.WhatsAppSource {
	return ops.WhatsAppFunc(func() ops.WhatsAppState {
		s := ad.Status()
		return ops.WhatsAppState{Connected: s.Connected, LoggedOut: s.LoggedOut, Restriction: s.Restriction, RestrictedUntil: s.RestrictedUntil}
	})
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
