package flows_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
	"github.com/umkmbot/umkmbot/flows"
	"github.com/umkmbot/umkmbot/locales"
)

// noRegistrations is a RegistrationStore in which nobody has registered
// and no NIK is taken: the look-ups the registration makes on its way to
// the summary, answered from memory. The loop never confirms, so nothing
// else is called.
type noRegistrations struct{ umkm.RegistrationStore }

func (noRegistrations) RegistrationFor(context.Context, string, bot.Conversation) (*umkm.Registration, error) {
	return nil, bot.ErrNotFound
}

func (noRegistrations) RegistrationsByNIK(context.Context, string, string) ([]string, error) {
	return nil, nil
}

// BenchmarkEngineTurn measures the engine alone: Engine.Turn with the real
// flows and catalog going round the registration loop (the lines of
// BenchmarkTurn), the state and profile carried from turn to turn in
// memory, no store and no dispatcher. Its CPU and allocations are the
// engine's, flows' and rendering's share of a turn. Run: go test ./flows
// -run XXX -bench EngineTurn -benchmem
func BenchmarkEngineTurn(b *testing.B) { benchEngine(b, noRegistrations{}, loop) }

// benchEngine goes round script on the engine alone, regs answering the
// flows' look-ups.
func benchEngine(b *testing.B, regs umkm.RegistrationStore, script []string) {
	cat, err := bot.NewCatalog(locales.FS, nil)
	if err != nil {
		b.Fatal(err)
	}
	region, err := flows.LoadRegion("purwakarta")
	if err != nil {
		b.Fatal(err)
	}
	reg, err := flows.New(flows.Deps{Region: region, Registrations: regs, MaxPerNIK: 1})
	if err != nil {
		b.Fatal(err)
	}
	e := bot.NewEngine(bot.EngineConfig{}, reg, nil, nil, cat, nil)
	ctx := context.Background()
	l := &bot.Loaded{}
	conv := bot.Conversation{Channel: bot.Console, User: "bench"}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		l.Msg = bot.Message{ID: strconv.Itoa(i), Conv: conv, Kind: bot.KindText, Text: script[i%len(script)]}
		res, err := e.Turn(ctx, l)
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Replies) == 0 {
			b.Fatalf("no reply to %q", l.Msg.Text)
		}
		l.State = res.State
		if res.Lang != "" {
			l.Profile.Lang = res.Lang
		}
		if res.Draft != nil {
			l.Profile.Draft = *res.Draft
		}
	}
}

// confirming is noRegistrations in which a confirmation is taken (and
// forgotten: the next round registers again).
type confirming struct{ noRegistrations }

func (confirming) CreateRegistration(_ context.Context, r *umkm.Registration, _ int) error {
	r.ID = "UMKM-3214-000001"
	return nil
}

// BenchmarkEngineConfirm is BenchmarkEngineTurn with every round confirmed
// ("ya") instead of cancelled: the confirmation turn (the registration
// made, "Pendaftaran berhasil" and the menu after it) is one turn in 17.
func BenchmarkEngineConfirm(b *testing.B) {
	script := append(append([]string(nil), loop[:len(loop)-1]...), "ya")
	benchEngine(b, confirming{}, script)
}
