package flows

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
)

// Flow petugas: the hand-over to a Dinas officer (issue 14). The owner asks
// for a person ("petugas", "admin", "cs", "bicara dengan petugas", or the
// bot failed to understand them twice in a row), writes the question, and a
// ticket opens. While it is open the bot stays quiet: every message, photo,
// location and document goes to the ticket; officers answer from the web
// console. "selesai", "menu" or "batal" end the hand-over and the bot is
// back.

func init() { register(bot.HandoverFlow, petugasFlow) }

var (
	petugasWords = []string{"petugas", "admin", "cs", "bicara dengan petugas", "mau tanya langsung",
		"tanya langsung", "hubungi petugas", "minta petugas", "customer service", "operator", "officer",
		"talk to an officer"}
	// petugasPhrases start the hand-over from anywhere in a message when
	// no flow runs ("saya mau bicara dengan petugas dinas").
	petugasPhrases = []string{"bicara dengan petugas", "bicara sama petugas", "bicara dgn petugas", "tanya langsung",
		"ngobrol dengan petugas", "hubungi petugas", "sambungkan ke petugas", "minta petugas", "talk to an officer",
		"speak to an officer", "talk to a person", "speak to a person", "talk to a human"}
	// endWords end the hand-over and return to the bot.
	endWords = []string{"selesai", "sudah selesai", "udah selesai", "sudah", "cukup", "done", "finish", "finished"}
)

const (
	ticketKey = "ticket"
	missedKey = "missed"
)

// phraseArg is the argument Intent gives, so that the engine starts the
// flow before answering the words of the phrase from the FAQ; it is no
// question.
const phraseArg = "\x00"

// petugasFlow hands the conversation over to an officer: the owner's
// question opens a ticket, and what they write while it is open goes to
// the officer until either ends it.
func petugasFlow(d Deps) *bot.Flow {
	hours := umkm.DefaultOfficeHours()
	if d.Region.Hours != nil {
		hours = *d.Region.Hours
	}
	return &bot.Flow{
		ID:        bot.HandoverFlow,
		Version:   1, // one list encoding (bot.ListValue), no "none" or "-"
		Migrate:   migratePetugas,
		Title:     "petugas.title",
		Triggers:  petugasWords,
		Interrupt: true,
		Quiet:     true,
		Intent: func(norm string) (string, bool) {
			return phraseArg, slices.ContainsFunc(petugasPhrases, func(p string) bool { return strings.Contains(norm, p) })
		},
		Entries: []bot.StepID{"open"},
		Begin:   petugasBegin(d, hours),
		Leave:   petugasLeave(d),
		Steps:   []*bot.Step{petugasQuestion(d, hours), petugasOpen(d)},
	}
}

// everyKind is what a message to the officer may be.
var everyKind = []bot.Kind{bot.KindText, bot.KindPhoto, bot.KindDocument, bot.KindLocation, bot.KindContact, bot.KindUnsupported}

// petugasBegin goes back to the open ticket, opens one with the words
// that came with the command, or asks the question.
func petugasBegin(d Deps, hours umkm.OfficeHours) func(context.Context, *bot.Turn, string) (bot.Result, error) {
	return func(ctx context.Context, t *bot.Turn, arg string) (bot.Result, error) {
		if d.Tickets == nil {
			return bot.Finish(bot.Say(bot.T("petugas.unavailable"))), nil
		}
		if m := t.Missed(); len(m) > 0 { // what the bot did not understand goes to the officer too
			t.SetList(missedKey, m)
		}
		id, err := d.Tickets.OpenTicketOf(ctx, t.Conv)
		if err != nil {
			return bot.Result{Next: bot.Stay}, err
		}
		if id != "" { // asked again while a ticket is open
			t.Set(ticketKey, id)
			return bot.Result{Say: []bot.Out{bot.Say(bot.T("petugas.already_open"))}, Next: "open", Quiet: true}, nil
		}
		if arg != "" && arg != phraseArg {
			return d.openTicket(ctx, t, hours)
		}
		return bot.Goto("question"), nil
	}
}

// petugasLeave closes the open ticket when the owner leaves the flow.
func petugasLeave(d Deps) func(context.Context, *bot.Turn) ([]bot.Out, error) {
	return func(ctx context.Context, t *bot.Turn) ([]bot.Out, error) {
		if id := t.Get(ticketKey); id != "" && d.Tickets != nil {
			if err := d.Tickets.CloseTicket(ctx, id, umkm.FromOwner, "", t.Now); err != nil {
				d.logger().Warn("close ticket", "ticket", id, "err", err)
			}
			return []bot.Out{bot.Say(bot.T("petugas.ended"))}, nil
		}
		return nil, nil
	}
}

// petugasQuestion asks what the owner needs; the answer opens the ticket.
func petugasQuestion(d Deps, hours umkm.OfficeHours) *bot.Step {
	return &bot.Step{
		ID: "question", Prompt: "petugas.question", Accept: everyKind, Verbatim: true,
		Data: func(ctx context.Context, t *bot.Turn) (map[string]any, error) {
			if r := d.dinasOf(ctx, t); dinasKnown(r) { // else the block would send them here
				return map[string]any{"Contact": contactBlock(r, true)}, nil
			}
			return nil, nil
		},
		Targets: []bot.StepID{"open"},
		Handle: func(ctx context.Context, t *bot.Turn, in bot.In) (bot.Result, error) {
			if slices.Contains(endWords, in.Norm) {
				return bot.Finish(bot.Say(bot.T("petugas.not_opened"))), nil
			}
			return d.openTicket(ctx, t, hours)
		},
	}
}

// petugasOpen passes what the owner writes to the open ticket until one
// side ends it.
func petugasOpen(d Deps) *bot.Step {
	return &bot.Step{
		ID: "open", Prompt: "petugas.open", Accept: everyKind, Verbatim: true,
		Handle: func(ctx context.Context, t *bot.Turn, in bot.In) (bot.Result, error) {
			id := t.Get(ticketKey)
			if slices.Contains(endWords, in.Norm) {
				if err := d.Tickets.CloseTicket(ctx, id, umkm.FromOwner, "", t.Now); err != nil {
					return bot.Result{}, err
				}
				return bot.Finish(bot.Say(bot.T("petugas.ended"))), nil
			}
			if err := d.Tickets.AddTicketMsg(ctx, id, umkm.TicketMsgOf(t.Msg, t.Now)); err != nil {
				if !isClosed(err) {
					return bot.Result{Next: bot.Stay}, err
				}
				return bot.Finish(bot.Say(bot.T("petugas.closed_by_officer"))), nil
			}
			return bot.Result{Next: bot.Stay, Quiet: true}, nil // the officer answers
		},
	}
}

// openTicket opens a ticket with the message of this turn and tells the
// owner when an officer answers.
func (d Deps) openTicket(ctx context.Context, t *bot.Turn, hours umkm.OfficeHours) (bot.Result, error) {
	tk := &umkm.Ticket{Conv: t.Conv, Region: d.Region.Code, Lang: t.Lang, Status: umkm.TicketOpen, Opened: t.Now}
	r, err := d.registration(ctx, t)
	if err != nil {
		return bot.Result{}, err
	}
	if r != nil {
		tk.RegID, tk.Business, tk.Region = r.ID, r.BusinessName, r.Region
	}
	for _, fr := range t.State.Stack { // the flow the owner left to ask
		if fr.Flow != bot.HandoverFlow {
			tk.Flow = fr.Flow
			break
		}
	}
	var earlier []umkm.TicketMsg // the messages the bot did not understand before
	if m := t.List(missedKey); len(m) > 0 {
		for i, text := range m {
			earlier = append(earlier, umkm.TicketMsg{ID: fmt.Sprintf("%s.before%d", t.Msg.ID, i), At: t.Now, From: umkm.FromOwner,
				Kind: bot.KindText, Text: text, BeforeHandover: true})
		}
		t.Del(missedKey)
	}
	first := umkm.TicketMsgOf(t.Msg, t.Now)
	if t.Get(ticketKey) == "" && t.Msg.Kind == bot.KindText && t.State.Step == "" {
		// "petugas <question>": the question without the word
		first.Text = bot.MaskNumbers(questionOf(t.Msg.Text))
	}
	msgs := append(earlier, first)
	id, pos, err := d.Tickets.OpenTicket(ctx, tk, msgs[0])
	if err != nil {
		return bot.Result{Next: bot.Stay}, err
	}
	t.Set(ticketKey, id)
	for _, m := range msgs[1:] {
		if err := d.Tickets.AddTicketMsg(ctx, id, m); err != nil {
			return bot.Result{Next: bot.Stay}, err
		}
	}
	var say []bot.Text
	switch {
	case hours.IsOpen(t.Now):
		say = append(say, bot.N("petugas.opened.inside", pos))
	case hours.Holiday(t.Now):
		say = append(say, bot.T("petugas.opened.holiday", "When", when(hours.NextOpen(t.Now))))
	default:
		say = append(say, bot.T("petugas.opened.outside", "When", when(hours.NextOpen(t.Now))))
	}
	if hours.Default {
		say = append(say, bot.T("petugas.hours_unconfirmed"))
	}
	say = append(say, bot.T("petugas.opened.how"))
	return bot.Result{Say: []bot.Out{bot.Say(say...)}, Next: "open", Quiet: true}, nil
}

// questionOf drops the trigger word from "petugas saya mau tanya pinjaman".
func questionOf(text string) string {
	norm := bot.Normalize(text)
	for _, w := range petugasWords {
		if strings.HasPrefix(norm, w+" ") {
			fields := strings.Fields(text)
			return strings.Join(fields[len(strings.Fields(w)):], " ")
		}
	}
	return text
}

func isClosed(err error) bool { return errors.Is(err, umkm.ErrTicketClosed) }
