package bot

import (
	"context"
)

// This file is the conversation core's side of the hand-over from the bot
// to a person (issue 14): the message kinds the officers' side queues into
// a conversation and how the engine treats them. Tickets and office hours
// are the UMKM domain's (bot/umkm/ticket.go); the flow is flows/petugas.go;
// the officers' side is the web console (web/tickets.go).

// HandoverFlow is the id of the flow that hands a conversation over to an
// officer. The engine offers it after two messages in a row it did not
// understand, when it is registered.
const HandoverFlow = "petugas"

// Message kinds the officers' side queues into an owner's conversation
// through the dispatcher, so an officer's reply goes out through the same
// durable outbox, order and rate limits as the bot's replies.
const (
	// KindOfficer is an officer's reply: Text is the reply, Name the
	// officer's display name, Media a picture or document uploaded on the
	// console with it (sent as an Attachment from Uploaded).
	KindOfficer Kind = "officer"
	// KindTicketClosed says an officer closed the person's ticket: the
	// conversation returns to the bot.
	KindTicketClosed Kind = "ticket_closed"
)

// fromOfficer handles what the officers' side queued into a conversation:
// a reply is passed on whatever the person is doing; a closed ticket
// returns a person still in the hand-over to the bot.
func (e *Engine) fromOfficer(ctx context.Context, t *Turn) []Out {
	if t.Msg.Kind == KindOfficer {
		out := Say(T("petugas.reply", "Name", t.Msg.Name, "Text", t.Msg.Text))
		if m := t.Msg.Media; m != nil && (m.Type == AttachPhoto || m.Type == AttachDocument) {
			out.Attach = &Attachment{Media: *m, From: Uploaded} // uploaded on the console
		}
		return []Out{out}
	}
	if t.State.Flow != HandoverFlow || t.Flow == nil {
		return nil
	}
	return e.finish(ctx, t, []Out{Say(T("petugas.closed_by_officer"))}, false)
}

// quiet runs a Quiet flow's turn: menu and batal leave it (after its Leave),
// everything else goes to its step.
func (e *Engine) quiet(ctx context.Context, t *Turn, text, norm string) []Out {
	if g := globals[norm]; t.Msg.Kind == KindText && (g == gMenu || g == gCancel) {
		var outs []Out
		if t.Flow.Leave != nil {
			var err error
			if outs, err = t.Flow.Leave(ctx, t); t.fail(err) {
				return nil
			}
		}
		e.clear(t)
		return append(outs, e.menu(ctx, t, T("core.menu.title")))
	}
	return e.answer(ctx, t, text, norm)
}

// missedTwice counts a message the bot did not understand and reports
// whether it is the second in a row, when the hand-over is to be offered.
func (e *Engine) missedTwice(t *Turn) bool {
	t.State.Misses = t.misses + 1
	t.State.Missed = append(t.missed, MaskNumbers(t.Msg.Text))
	if n := len(t.State.Missed); n > 2 {
		t.State.Missed = t.State.Missed[n-2:]
	}
	if t.State.Misses < 2 || e.flows.Flow(HandoverFlow) == nil {
		return false
	}
	t.State.Misses = 0 // the next miss counts anew; Missed stays for "petugas"
	return true
}
