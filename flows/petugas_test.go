package flows_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
)

// seedHandover handles the hand-over directives of transcripts:
//
//	# reply-from NAME TEXT…   an officer's reply reaches the person ("<" lines: what they get)
//	# reply-photo NAME TEXT…  the same with a photo ("< [photo]" under its caption)
//	# reply-document NAME FILE TEXT…  the same with a document ("< [document FILE]")
//	# ticket closed           an officer closes the person's ticket
//	# ticket show             the person's tickets as officers see them ("<=" lines)
//	# office-hours 1-5 08:00 16:00 [2026-12-25,…]   the region's office hours from here on
//	# clock 2026-12-25T10:00  the clock (WIB)
func seedHandover(t *testing.T, w *world, f []string, out *strings.Builder) {
	t.Helper()
	conv := w.lastConv
	writeReplies := func(rs []bot.Reply) {
		for i, r := range rs {
			if i > 0 {
				out.WriteString("<---\n")
			}
			for _, l := range strings.Split(r.PlainText(), "\n") {
				out.WriteString(strings.TrimRight("< "+l, " ") + "\n")
			}
			if a := r.Attach; a != nil {
				out.WriteString(strings.TrimRight("< ["+a.Type+" "+a.Name, " ") + "]\n")
			}
		}
	}
	switch f[0] {
	case "reply-from":
		writeReplies(w.say(conv, bot.Message{Kind: bot.KindOfficer, Name: f[1], Text: strings.Join(f[2:], " ")}))
	case "reply-photo":
		writeReplies(w.say(conv, bot.Message{Kind: bot.KindOfficer, Name: f[1], Text: strings.Join(f[2:], " "),
			Media: &bot.Media{Type: bot.AttachPhoto, Ref: "0123456789abcdef0123456789abcdef", Mime: "image/jpeg"}}))
	case "reply-document":
		writeReplies(w.say(conv, bot.Message{Kind: bot.KindOfficer, Name: f[1], Text: strings.Join(f[3:], " "),
			Media: &bot.Media{Type: bot.AttachDocument, Ref: "fedcba9876543210fedcba9876543210", Mime: "application/pdf", Name: f[2]}}))
	case "ticket":
		if f[1] == "closed" {
			id, err := w.store.OpenTicketOf(context.Background(), conv)
			if err != nil {
				t.Fatal(err)
			}
			if err := w.store.CloseTicket(context.Background(), id, "rina", "dijawab", w.now); err != nil {
				t.Fatal(err)
			}
			writeReplies(w.say(conv, bot.Message{Kind: bot.KindTicketClosed}))
			return
		}
		ts, err := w.store.TicketsOf(context.Background(), conv)
		if err != nil {
			t.Fatal(err)
		}
		for _, tk := range ts {
			fmt.Fprintf(out, "<= %s %s reg=%q flow=%q closed_by=%q\n", tk.ID, tk.Status, tk.RegID, tk.Flow, tk.ClosedBy)
			for _, m := range tk.Messages {
				media := ""
				if m.Media != nil {
					media = " [" + m.Media.Type + "]"
				}
				if m.Location != nil {
					media = fmt.Sprintf(" [lokasi %.4f,%.4f]", m.Location.Lat, m.Location.Lon)
				}
				before := ""
				if m.BeforeHandover {
					before = " (before)"
				}
				fmt.Fprintf(out, "<=   %s%s %s%s: %s\n", m.From, before, m.Kind, media, m.Text)
			}
		}
	case "office-hours":
		var from, to int
		if _, err := fmt.Sscanf(f[1], "%d-%d", &from, &to); err != nil {
			t.Fatalf("hours days %q: %v", f[1], err)
		}
		h := umkm.OfficeHours{Open: f[2], Close: f[3], Source: "transcript"}
		for d := from; d <= to; d++ {
			h.Days = append(h.Days, d)
		}
		if len(f) > 4 {
			h.Holidays = strings.Split(f[4], ",")
		}
		if err := h.Validate(); err != nil {
			t.Fatal(err)
		}
		w.deps.Region.Hours = &h
		w.engine = bot.NewEngine(bot.EngineConfig{Now: w.clock}, mustFlows(w.t, w.deps), w.store, w.store, w.catalog, nil)
	case "clock":
		at, err := time.ParseInLocation("2006-01-02T15:04", f[1], bot.Jakarta)
		if err != nil {
			t.Fatal(err)
		}
		w.now = at.Add(-time.Minute) // say adds one
	}
}
