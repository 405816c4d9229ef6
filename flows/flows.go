// Package flows declares umkmbot's conversations as data: one file per flow
// (registration, profile, trainings, …) registers a builder, and Registry
// builds them all around the stores they need. Each flow's messages live in
// locales/<flow>.<lang>.toml.
package flows

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"time"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
)

// Deps is what the flows need from the rest of the program: first what
// every flow may use, then one field or group per family of flows. A
// group's fields are promoted, so a flow writes d.Products; cmd fills a
// group only for the flows it serves.
type Deps struct {
	Region        umkm.Region
	Registrations umkm.RegistrationStore // the person's registration (most flows ask)
	Notifier      bot.Notifier
	// MaxPerNIK is how many businesses one NIK may register in the region
	// (1 unless the Dinas allows more).
	MaxPerNIK int
	Now       func() time.Time
	Log       *slog.Logger // nil: slog.Default()
	// FAQ answered at any step, by language (LoadFAQ); nil: the embedded
	// one of the region.
	FAQ map[string]*bot.FAQ

	Trainings    umkm.TrainingStore // trainings and seats (pelatihan, pelatihan_saya, hadir; siaran's audience)
	Selling                         // marketplace listing help, products and galeri (jualan, produk, galeri)
	Broadcasting                    // broadcasts (siaran, langganan)
	Rights                          // the owner's rights (datasaya, hapus)
	// Tickets keeps the hand-over tickets (flow petugas); nil: the flow
	// says it is not available.
	Tickets umkm.TicketStore
}

// Selling is what the flows jualan, produk and galeri need. Market nil
// means the embedded data/marketplaces.toml.
type Selling struct {
	Market   *Market
	Products umkm.ProductStore
	Outlets  umkm.OutletStore
	Curation umkm.CurationStore
}

// Broadcasting is what the flows siaran and langganan need: Admins says
// who may compose and control broadcasts (nil: nobody); Profiles keeps
// the opt-out; Channels are the program's channels, offered by their
// names when an officer picks the channels of an audience (nil: none).
type Broadcasting struct {
	Admins     func(bot.Conversation) bool
	Channels   *bot.Channels
	Broadcasts umkm.BroadcastStore
	Profiles   bot.ProfileStore
}

// Rights is what the owner's rights need (flows datasaya, hapus): Eraser
// erases a person, Audit records it (nil: not recorded).
type Rights struct {
	Eraser umkm.PersonEraser
	Audit  umkm.Auditor
}

func (d Deps) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

type builder func(d Deps) *bot.Flow

var builders = map[string]builder{}

// register adds a flow builder; a duplicate id is a programming error.
func register(id string, b builder) {
	if id == "" {
		panic("flows: empty flow id")
	}
	if _, dup := builders[id]; dup {
		panic(fmt.Sprintf("flows: flow %q registered twice", id))
	}
	builders[id] = b
}

// New builds every registered flow around d and checks them
// (bot.NewRegistry): a flow whose graph has a hole is an error, and the
// program does not start.
func New(d Deps) (*bot.Registry, error) {
	if d.MaxPerNIK < 1 {
		d.MaxPerNIK = 1
	}
	d.Registrations = umkm.ServedRegistrations(d.Region, d.Registrations)
	ids := make([]string, 0, len(builders))
	for id := range builders {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	all := make([]*bot.Flow, 0, len(ids))
	for _, id := range ids {
		f := builders[id](d)
		if f.ID != id {
			return nil, fmt.Errorf("flows: builder %q built flow %q", id, f.ID)
		}
		withStepHelp(f)
		all = append(all, f)
	}
	return bot.NewRegistry(d.talk(), all...)
}

// registrationKey caches the person's registration for one turn.
const registrationKey = "registration"

// registration returns the person's registration, nil if none.
func (d Deps) registration(ctx context.Context, t *bot.Turn) (*umkm.Registration, error) {
	if d.Registrations == nil {
		return nil, nil
	}
	r, err := t.Cached(registrationKey, func() (any, error) {
		r, err := d.Registrations.RegistrationFor(ctx, d.Region.Code, t.Conv)
		if errors.Is(err, bot.ErrNotFound) {
			return (*umkm.Registration)(nil), nil
		}
		return r, err
	})
	if err != nil {
		return nil, err
	}
	return r.(*umkm.Registration), nil
}

// withStepHelp names the help text of every step that has none yet
// <flow>.<step>.help; TestEveryStepHasHelp checks that each exists in every
// language.
func withStepHelp(f *bot.Flow) {
	for _, s := range f.Steps {
		if s.Help == "" {
			s.Help = f.ID + "." + string(s.ID) + ".help"
		}
	}
}
