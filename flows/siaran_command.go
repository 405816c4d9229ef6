package flows

import (
	"context"
	"errors"
	"strings"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
)

// The broadcast commands in chat: "siaran daftar", "siaran status 3",
// "siaran jeda 3", "siaran lanjut 3", "siaran batal 3".

// siaranBegin starts the flow, with the deep-link or command argument.
func siaranBegin(d Deps) func(context.Context, *bot.Turn, string) (bot.Result, error) {
	return func(ctx context.Context, t *bot.Turn, arg string) (bot.Result, error) {
		if !d.admin(t.Conv) {
			d.refuse(t)
			return bot.Finish(), nil
		}
		if d.Broadcasts == nil || d.Registrations == nil {
			return bot.Finish(bot.Say(bot.T("siaran.unavailable"))), nil
		}
		if arg != "" {
			return siaranCommand(ctx, d, t, arg)
		}
		return bot.Goto("teks"), nil
	}
}

// answer ends the flow with texts and no menu: the officer typed a command.
func answer(texts ...bot.Text) bot.Result {
	return bot.Result{Say: []bot.Out{bot.Say(texts...)}, Next: bot.Done, Quiet: true}
}

// siaranCommand lists and controls broadcasts: "daftar", "status 3",
// "jeda 3", "lanjut 3", "batal 3" (and English words).
func siaranCommand(ctx context.Context, d Deps, t *bot.Turn, arg string) (bot.Result, error) {
	f := strings.Fields(strings.ReplaceAll(strings.TrimPrefix(bot.Normalize(arg), "#"), "_", " ")) // deep links: status_3
	verb, id := f[0], ""
	if len(f) > 1 {
		id = strings.TrimPrefix(f[1], "#")
	}
	actions := map[string]string{
		"jeda": umkm.BroadcastPause, "pause": umkm.BroadcastPause, "hentikan": umkm.BroadcastPause,
		"lanjut": umkm.BroadcastResume, "lanjutkan": umkm.BroadcastResume, "resume": umkm.BroadcastResume,
		"batal": umkm.BroadcastCancel, "batalkan": umkm.BroadcastCancel, "cancel": umkm.BroadcastCancel,
	}
	switch {
	case verb == "daftar" || verb == "list":
		list, err := d.Broadcasts.Broadcasts(ctx)
		if err != nil {
			return bot.Result{}, err
		}
		if len(list) == 0 {
			return answer(bot.T("siaran.list.empty")), nil
		}
		texts := []bot.Text{bot.T("siaran.list.title")}
		for _, b := range list[:min(len(list), 5)] {
			texts = append(texts, statusText(b))
		}
		return answer(texts...), nil
	case id == "":
		return answer(bot.T("siaran.command.usage")), nil
	case verb == "status":
		b, err := d.Broadcasts.Broadcast(ctx, id)
		if errors.Is(err, bot.ErrNotFound) {
			return answer(bot.T("siaran.notfound", "ID", id)), nil
		}
		if err != nil {
			return bot.Result{}, err
		}
		return answer(statusText(b)), nil
	case actions[verb] != "":
		st, err := d.Broadcasts.ControlBroadcast(ctx, id, actions[verb])
		switch {
		case errors.Is(err, bot.ErrNotFound):
			return answer(bot.T("siaran.notfound", "ID", id)), nil
		case errors.Is(err, umkm.ErrBroadcastState):
			return answer(bot.T("siaran.control.refused", "ID", id, "Status", bot.T("siaran.status."+string(st)))), nil
		case err != nil:
			return bot.Result{}, err
		}
		d.logger().Info("broadcast controlled in chat", "broadcast", id, "action", actions[verb], "user", bot.MaskUser(t.Conv.User))
		return answer(bot.T("siaran.control.done", "ID", id, "Status", bot.T("siaran.status."+string(st)))), nil
	}
	return answer(bot.T("siaran.command.usage")), nil
}

// statusText is one broadcast's progress line.
func statusText(b *umkm.Broadcast) bot.Text {
	c := b.Counts
	if c.Audience == 0 && c.Done() == 0 {
		return bot.T("siaran.status.waiting", "ID", b.ID, "Status", bot.T("siaran.status."+string(b.Status)), "When", when(b.At))
	}
	return bot.T("siaran.status", "ID", b.ID, "Status", bot.T("siaran.status."+string(b.Status)), "When", when(b.At),
		"Sent", c.Sent, "Failed", c.Failed, "Skipped", c.Skipped, "Unknown", c.Unknown, "Remaining", c.Remaining(), "Audience", c.Audience)
}
