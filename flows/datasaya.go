package flows

import (
	"context"
	"time"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/phone"
	"github.com/umkmbot/umkmbot/bot/umkm"
)

func init() { register("datasaya", newDataSaya) }

// dataWords open the owner's copy of their data (UU 27/2022 art. 7: the
// right to access and obtain a copy).
var dataWords = []string{"data saya", "lihat data", "minta salinan data", "salinan data", "my data"}

// newDataSaya shows everything the service holds about the person,
// grouped, with NIK and phone masked, and answers at once.
func newDataSaya(d Deps) *bot.Flow {
	return &bot.Flow{
		ID:        "datasaya",
		Title:     "datasaya.title",
		Triggers:  dataWords,
		Interrupt: true,
		Begin: func(ctx context.Context, t *bot.Turn, arg string) (bot.Result, error) {
			texts, err := d.personalData(ctx, t)
			if err != nil {
				return bot.Result{}, err
			}
			// The Dinas can show that access requests were answered, and when.
			if d.Audit != nil {
				subject := "conversation " + t.Conv.Masked()
				r, err := d.registration(ctx, t)
				if err != nil {
					return bot.Result{}, err
				}
				if r != nil {
					subject = r.ID
				}
				if err := d.Audit.Audit(ctx, umkm.AuditEntry{Actor: "owner:" + t.Conv.Masked(), Action: umkm.AuditAccess,
					Subject: subject, Count: 1, Detail: "copy given in chat"}); err != nil {
					return bot.Result{}, err
				}
			}
			// The same, masked, also as a file the person can keep (channels
			// that cannot send files send the text only).
			copy := bot.Say(texts...)
			copy.FileName = "data-saya-" + t.Now.In(bot.Jakarta).Format("2006-01-02") + ".txt"
			return bot.Finish(copy), nil
		},
		// Begin always finishes; the step only satisfies the registry.
		Steps: []*bot.Step{{ID: "lihat", Prompt: "datasaya.title", Handle: func(context.Context, *bot.Turn, bot.In) (bot.Result, error) { return bot.Finish(), nil }}},
	}
}

// personalData lists what the service holds about t's person as
// paragraphs; nil when a store failed (the turn fails).
func (d Deps) personalData(ctx context.Context, t *bot.Turn) ([]bot.Text, error) {
	out := []bot.Text{bot.T("datasaya.intro")}
	r, err := d.registration(ctx, t)
	if err != nil {
		return nil, err
	}
	if r != nil {
		out = append(out, bot.T("datasaya.registration", summaryWith(d, r)...))
		out = append(out, bot.T("datasaya.consent", "At", wib(r.ConsentAt), "Version", r.ConsentVersion, "Reply", r.ConsentReply))
	} else {
		out = append(out, bot.T("datasaya.registration.none"))
	}
	out = append(out, d.draftData(t)...)
	if t.Profile.Phone != "" {
		out = append(out, bot.T("datasaya.channel_phone", "Phone", phone.Mask(t.Profile.Phone)))
	}
	if d.Products != nil {
		ps, err := d.Products.Products(ctx, t.Conv)
		if err != nil {
			return nil, err
		}
		lines := make(bot.Lines, len(ps))
		for i, p := range ps {
			lines[i] = bot.Raw("- " + p.Name + ", " + bot.Rupiah(p.Price))
		}
		out = append(out, bot.N("datasaya.products", len(ps), "List", lines))
	}
	if d.Trainings != nil {
		es, err := d.Trainings.EnrolmentsOf(ctx, t.Conv)
		if err != nil {
			return nil, err
		}
		var items bot.Lines
		for _, e := range es {
			title := e.Training
			if tr, err := d.Trainings.Training(ctx, e.Training); err == nil {
				title = tr.Title
			}
			items = append(items, bot.T("datasaya.training.item", "Title", title, "Status", bot.T("datasaya.enrol."+string(e.Status))))
		}
		out = append(out, bot.N("datasaya.trainings", len(items), "List", items))
	}
	if tl, ok := d.Tickets.(ticketLister); ok {
		ts, err := tl.TicketsOf(ctx, t.Conv)
		if err != nil {
			return nil, err
		}
		var items bot.Lines
		for _, tk := range ts {
			items = append(items, bot.T("datasaya.ticket.item", "ID", tk.ID, "At", wib(tk.Opened),
				"Messages", len(tk.Messages), "Status", bot.T("datasaya.ticket."+string(tk.Status))))
		}
		out = append(out, bot.N("datasaya.tickets", len(items), "List", items))
	}
	if d.Curation != nil && r != nil {
		as, err := d.Curation.ApplicationsFor(ctx, r.Region, t.Conv)
		if err != nil {
			return nil, err
		}
		var items bot.Lines
		for _, a := range as {
			items = append(items, bot.T("datasaya.application.item", "ID", a.ID, "Target", a.TargetName, "Status", bot.T("datasaya.app."+string(a.Status))))
		}
		out = append(out, bot.N("datasaya.applications", len(items), "List", items))
	}
	if t.Profile.OptOut {
		out = append(out, bot.T("datasaya.broadcast.off"))
	} else {
		out = append(out, bot.T("datasaya.broadcast.on"))
	}
	return append(out, bot.T("datasaya.rights")), nil
}

// draftData shows the registration the person left unfinished (a draft
// kept in the conversation state until STATE_TTL), as far as answered,
// with NIK and phone masked.
func (d Deps) draftData(t *bot.Turn) []bot.Text {
	var out []bot.Text
	for _, fr := range t.State.Stack {
		if !fr.IsDraft() {
			continue
		}
		title := bot.T(fr.Flow + ".title") // every flow's title is so named
		var lines bot.Lines
		if fr.Flow == "daftar" {
			lines = draftLines(d, t, fr)
		}
		out = append(out, bot.N("datasaya.draft", len(lines), "Flow", title, "Word", fr.Flow, "List", lines))
	}
	return out
}

// draftLines are the answered fields of a registration draft.
func draftLines(d Deps, t *bot.Turn, fr bot.Frame) bot.Lines {
	dt := &bot.Turn{Conv: t.Conv, State: &bot.State{Answers: fr.Answers}}
	r := answersToRegistration(d, dt)
	var lines bot.Lines
	add := func(label string, v any) {
		lines = append(lines, bot.T("datasaya.draft.field", "Label", bot.T(label), "Value", v))
	}
	for _, f := range []struct {
		label, value string
		show         any
	}{
		{"datasaya.draft.name", r.OwnerName, r.OwnerName},
		{"datasaya.draft.nik", r.NIK, umkm.MaskNIK(r.NIK)},
		{"datasaya.draft.phone", r.Phone, phone.Mask(r.Phone)},
		{"datasaya.draft.business", r.BusinessName, r.BusinessName},
		{"datasaya.draft.sector", r.Sector, bot.T("sector." + r.Sector)},
		{"datasaya.draft.kecamatan", r.Kecamatan, r.Kecamatan},
		{"datasaya.draft.desa", r.Desa, r.Desa},
		{"datasaya.draft.address", r.Address, r.Address},
		{"datasaya.draft.products", r.MainProducts, r.MainProducts},
		{"datasaya.draft.capital", r.CapitalBracket, bot.T("bracket." + r.CapitalBracket)},
		{"datasaya.draft.sales", r.SalesBracket, bot.T("bracket." + r.SalesBracket)},
		{"datasaya.draft.workers", dt.Get("pekerja"), dt.Get("pekerja")},
		{"datasaya.draft.nib", r.NIB, r.NIB},
	} {
		if f.value != "" {
			add(f.label, f.show)
		}
	}
	if !r.ConsentAt.IsZero() {
		add("datasaya.draft.consent", wib(r.ConsentAt))
	}
	return lines
}

// summaryWith returns the registration's masked summary as key/value pairs.
func summaryWith(d Deps, r *umkm.Registration) []any {
	m := d.summary(r)
	kv := make([]any, 0, 2*len(m))
	for k, v := range m {
		kv = append(kv, k, v)
	}
	return kv
}

// wib formats a time in Jakarta time, the same in every language.
func wib(at time.Time) string {
	if at.IsZero() {
		return "-"
	}
	return at.In(bot.Jakarta).Format("2006-01-02 15:04") + " WIB"
}

// ticketLister reads a person's hand-over tickets with their messages
// (the store has it; data saya lists them).
type ticketLister interface {
	TicketsOf(ctx context.Context, c bot.Conversation) ([]*umkm.Ticket, error)
}
