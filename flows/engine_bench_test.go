package flows_test

import (
	"context"
	"fmt"
	"regexp"
	"runtime"
	"strconv"
	"strings"
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
	e := memEngine(b, flows.Deps{Registrations: regs})
	ctx := context.Background()
	l := &bot.Loaded{}
	conv := bot.Conversation{Channel: bot.Console, User: "bench"}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		l.Msg = bot.Message{ID: strconv.Itoa(i), Conv: conv, Kind: bot.KindText, Text: script[i%len(script)]}
		benchTurn(ctx, b, e, l)
	}
}

// memEngine is the engine with the real flows and catalog of Purwakarta,
// the flows' stores those of deps.
func memEngine(tb testing.TB, deps flows.Deps) *bot.Engine {
	cat, err := bot.NewCatalog(locales.FS, nil)
	if err != nil {
		tb.Fatal(err)
	}
	if deps.Region, err = flows.LoadRegion("purwakarta"); err != nil {
		tb.Fatal(err)
	}
	deps.MaxPerNIK = 1
	reg, err := flows.New(deps)
	if err != nil {
		tb.Fatal(err)
	}
	return bot.NewEngine(bot.EngineConfig{}, reg, nil, nil, cat, nil)
}

// benchTurn runs l.Msg on e and carries the new state and profile into l
// for the next message, as the turn store would.
func benchTurn(ctx context.Context, b *testing.B, e *bot.Engine, l *bot.Loaded) {
	res, err := e.Turn(ctx, l)
	if err != nil {
		b.Fatal(err)
	}
	if len(res.Replies) == 0 {
		b.Fatalf("no reply to %q", l.Msg.Text)
	}
	carry(l, res)
}

// carry puts what a turn changed into l for the next message.
func carry(l *bot.Loaded, res bot.TurnResult) {
	l.State = res.State
	if res.Lang != "" {
		l.Profile.Lang = res.Lang
	}
	if res.Draft != nil {
		l.Profile.Draft = *res.Draft
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

// harnessDaftar is the bench harness's registration
// (../shared/bench/scripts/umkmbot-daftar.txt): 17 turns, each answer
// with what the harness expects to read in the bot's reply. {nik}, {hp}
// and {u} are the user's own, as the harness fills in {u:4}, {u:8}, {u}.
var harnessDaftar = []struct{ say, expect string }{
	{"daftar", `(?i)setuju`},
	{"1", `(?i)nama lengkap`},
	{"Budi Santoso", `(?i)NIK`},
	{"{nik}", `(?i)(tercatat|nomor HP)`},
	{"{hp}", `(?i)nama usaha`},
	{"Warung Budi {u}", `(?i)bidang`},
	{"1", `(?i)kecamatan`},
	{"plered", `(?i)desa`},
	{"Anjun", `(?i)alamat`},
	{"Jl. Raya Anjun No. 5", `(?i)produk utama`},
	{"keripik singkong", `(?i)modal`},
	{"1", `(?i)omzet`},
	{"1", `(?i)bekerja`},
	{"3", `(?i)NIB`},
	{"lewati", `(?i)marketplace`},
	{"1,2", `(?i)periksa data`},
	{"ya", `(?i)UMKM-3214-`},
}

// harnessUser is one simulated person of the harness: their conversation
// and the 17 messages they send.
type harnessUser struct {
	conv bot.Conversation
	says []string
}

// harnessUsers makes n people of the harness, numbered from 1 as the
// harness numbers them (a NIK's serial is never 0000).
func harnessUsers(n int) []harnessUser {
	users := make([]harnessUser, n)
	for i := range users {
		u := i + 1
		r := strings.NewReplacer("{nik}", fmt.Sprintf("3214 0155 0390 %04d", u), "{hp}", fmt.Sprintf("0812%08d", u),
			"{u}", strconv.Itoa(u))
		users[i].conv = bot.Conversation{Channel: bot.Telegram, User: strconv.Itoa(100000 + u)}
		for _, line := range harnessDaftar {
			users[i].says = append(users[i].says, r.Replace(line.say))
		}
	}
	return users
}

// memRegistrations is a RegistrationStore in memory for the harness's
// registration: every NIK is free, and a registration made is found by
// its conversation afterwards. forget drops one when its person is done,
// so that a long benchmark keeps a handful.
type memRegistrations struct {
	umkm.RegistrationStore
	byConv map[bot.Conversation]*umkm.Registration
	seq    int
}

func (m *memRegistrations) RegistrationFor(_ context.Context, _ string, c bot.Conversation) (*umkm.Registration, error) {
	if r := m.byConv[c]; r != nil {
		return r, nil
	}
	return nil, bot.ErrNotFound
}

func (m *memRegistrations) RegistrationsByNIK(context.Context, string, string) ([]string, error) {
	return nil, nil
}

func (m *memRegistrations) CreateRegistration(_ context.Context, r *umkm.Registration, _ int) error {
	m.seq++
	r.ID = fmt.Sprintf("UMKM-3214-%06d", m.seq)
	m.byConv[r.Conv] = r
	return nil
}

func (m *memRegistrations) forget(c bot.Conversation) { delete(m.byConv, c) }

// countingProducts is a ProductStore in which nobody has products; it
// counts the look-ups (a Redis round trip each in serve: HGETALL for the
// list, EXISTS for whether there are any, as store.ProductStore).
type countingProducts struct {
	umkm.ProductStore
	lookups int
}

func (p *countingProducts) Products(context.Context, bot.Conversation) ([]umkm.Product, error) {
	p.lookups++
	return nil, nil
}

func (p *countingProducts) HasProducts(context.Context, bot.Conversation) (bool, error) {
	p.lookups++
	return false, nil
}

// harnessEngine is the engine as serve wires it for the harness's
// registration, on stores in memory.
func harnessEngine(tb testing.TB, regs umkm.RegistrationStore, products umkm.ProductStore) *bot.Engine {
	return memEngine(tb, flows.Deps{Registrations: regs, Selling: flows.Selling{Products: products}})
}

// TestHarnessRegistration walks the harness's registration through the
// engine and checks every reply as the harness does, so that
// BenchmarkEngineDaftar measures the path the harness takes (an answer
// refused would measure retries instead).
func TestHarnessRegistration(t *testing.T) {
	regs := &memRegistrations{byConv: map[bot.Conversation]*umkm.Registration{}}
	e := harnessEngine(t, regs, &countingProducts{})
	for _, u := range harnessUsers(2) {
		l := &bot.Loaded{}
		for i, text := range u.says {
			l.Msg = bot.Message{ID: strconv.Itoa(i), Conv: u.conv, Kind: bot.KindText, Text: text}
			res, err := e.Turn(context.Background(), l)
			if err != nil {
				t.Fatal(err)
			}
			var said strings.Builder
			for _, r := range res.Replies {
				said.WriteString(r.PlainText() + "\n")
			}
			if want := harnessDaftar[i].expect; !regexp.MustCompile(want).MatchString(said.String()) {
				t.Fatalf("%s: %q: reply does not match %s:\n%s", u.conv.User, text, want, said.String())
			}
			carry(l, res)
		}
	}
}

// BenchmarkEngineDaftar is the harness's registration (17 turns a person,
// each person new, with their own NIK and phone) on the engine alone, the
// registrations and products in memory: the engine's, flows' and
// rendering's share of serve's CPU under the harness. One op is one turn.
// It also reports the product look-ups a turn makes (a Redis round trip
// each in serve). Run: go test ./flows -run XXX -bench EngineDaftar -benchmem
func BenchmarkEngineDaftar(b *testing.B) {
	regs := &memRegistrations{byConv: map[bot.Conversation]*umkm.Registration{}}
	products := &countingProducts{}
	e := harnessEngine(b, regs, products)
	users := harnessUsers(1000) // made before the clock runs; reused round robin
	ctx := context.Background()
	l := &bot.Loaded{}
	var u *harnessUser
	var m0, m1 runtime.MemStats
	b.ReportAllocs()
	b.ResetTimer()
	runtime.ReadMemStats(&m0)
	for i := 0; i < b.N; i++ {
		turn := i % len(harnessDaftar)
		if turn == 0 { // the next person, new to the bot
			if u != nil {
				regs.forget(u.conv)
			}
			u = &users[i/len(harnessDaftar)%len(users)]
			*l = bot.Loaded{}
		}
		l.Msg = bot.Message{ID: strconv.Itoa(i), Conv: u.conv, Kind: bot.KindText, Text: u.says[turn]}
		benchTurn(ctx, b, e, l)
	}
	runtime.ReadMemStats(&m1)
	b.StopTimer()
	// allocs/op rounded down hides a tenth of an allocation a turn.
	b.ReportMetric(float64(m1.Mallocs-m0.Mallocs)/float64(b.N), "allocs/turn")
	b.ReportMetric(float64(products.lookups)/float64(b.N), "product-lookups/turn")
}
