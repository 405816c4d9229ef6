package flows_test

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/console"
	"github.com/umkmbot/umkmbot/flows"
	"github.com/umkmbot/umkmbot/locales"
	"github.com/umkmbot/umkmbot/store"
	"github.com/umkmbot/umkmbot/store/redistest"
)

var update = flag.Bool("update", false, "rewrite the golden transcripts with what the bot says now")

func TestMain(m *testing.M) { os.Exit(redistest.Run(m)) }

// world is a bot wired like the real program, on the test's Redis, with a
// fixed clock and a strict catalog (a missing translation fails the test).
type world struct {
	t        testing.TB
	store    *store.Store
	engine   *bot.Engine
	catalog  *bot.Catalog
	outbox   *bot.Outbox
	notified []string // notifications sent, rendered
	now      time.Time
	deps     flows.Deps
	lastConv bot.Conversation // who spoke last (hand-over directives)
}

// worldRedis gives a world its Redis; TestEraseEndToEnd swaps in the
// embedded store.
var worldRedis = redistest.Client

func newWorld(t testing.TB) *world {
	t.Helper()
	rdb, prefix := worldRedis(t)
	w := &world{t: t, now: time.Date(2026, 11, 25, 9, 0, 0, 0, bot.Jakarta)}
	w.store = store.New(rdb, store.Options{Prefix: prefix, Now: w.clock, Rand: rand.NewChaCha8([32]byte{})})
	cat, err := bot.NewCatalog(locales.FS, nil)
	if err != nil {
		t.Fatal(err)
	}
	cat.OnMissing = func(lang, id string) { t.Errorf("message %q missing in %s", id, lang) }
	w.catalog = cat
	region, err := flows.LoadRegion("purwakarta")
	if err != nil {
		t.Fatal(err)
	}
	w.outbox = bot.NewOutbox(cat, w.store, "id", nil)
	rec := bot.SenderFunc(func(ctx context.Context, to bot.Conversation, r bot.Reply) error {
		w.notified = append(w.notified, to.String()+": "+r.PlainText())
		return nil
	})
	for _, ch := range []bot.ChannelID{bot.Console, bot.Telegram, bot.WhatsApp} {
		w.outbox.Register(ch, rec)
	}
	w.deps = flows.Deps{Region: region, Registrations: w.store, Notifier: w.outbox, MaxPerNIK: 1, Now: w.clock,
		Trainings: w.store,
		// Transcripts speak as user "admin" to act as a Dinas officer.
		Broadcasting: flows.Broadcasting{Admins: func(c bot.Conversation) bool { return c.User == "admin" }, Broadcasts: w.store, Profiles: w.store,
			Channels: testChannels()},
		Tickets: w.store}
	w.engine = bot.NewEngine(bot.EngineConfig{Now: w.clock}, mustFlows(w.t, w.deps), w.store, w.store, cat, nil)
	return w
}

func (w *world) clock() time.Time { return w.now }

// testChannels are the program's channels as cmd describes them.
func testChannels() *bot.Channels {
	return bot.NewChannels(
		bot.Channel{ID: bot.Telegram, Label: "channel.telegram", Aliases: []string{"tele", "tg"}, Media: bot.MediaSupport{Photos: true}},
		bot.Channel{ID: bot.WhatsApp, Label: "channel.whatsapp", Aliases: []string{"wa"}, Media: bot.MediaSupport{Photos: true}},
		bot.Channel{ID: bot.Console, Label: "channel.console", Aliases: []string{"terminal"}})
}

// useRegion rebuilds the bot for a deployment serving spec ("banten").
func (w *world) useRegion(spec string) {
	w.t.Helper()
	region, err := flows.LoadRegion(spec)
	if err != nil {
		w.t.Fatal(err)
	}
	w.deps.Region = region
	w.engine = bot.NewEngine(bot.EngineConfig{Now: w.clock}, mustFlows(w.t, w.deps), w.store, w.store, w.catalog, nil)
}

// say sends one message and returns the rendered replies.
func (w *world) say(conv bot.Conversation, msg bot.Message) []bot.Reply {
	w.t.Helper()
	w.now = w.now.Add(time.Minute)
	msg.Conv, w.lastConv = conv, conv
	if msg.ID == "" {
		msg.ID = fmt.Sprintf("m%d", w.now.UnixNano())
	}
	replies, err := w.engine.Handle(context.Background(), msg)
	if err != nil {
		w.t.Fatalf("handle %q: %v", msg.Text, err)
	}
	return replies
}

// TestGolden replays every transcript in testdata/<flow>/<case>.txt
// through the real engine and compares what the bot says.
//
// A transcript is lines of:
//
//	> text        what the person sends (console syntax: "!stiker", "!lokasi -6.5 107.4")
//	< text        what the bot answers (one line each; "<---" between two replies)
//	# user ID     switch to another person (default "demo")
//	# channel CH  the person's channel (default console)
//	# phone NUM   the channel knows the person's phone (as WhatsApp does)
//	# wait 2h     let time pass
//	# training …  trainings: add, fill, remind, notices (seed_test.go)
//	# any other comment is kept
//
// Run with -update to rewrite the "<" lines from what the bot says now.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/*/*.txt")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no golden transcripts found")
	}
	for _, file := range files {
		name := strings.TrimSuffix(strings.TrimPrefix(file, "testdata/"), ".txt")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			got := replay(t, newWorld(t), string(data))
			if *update {
				if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if diff := cmp.Diff(string(data), got); diff != "" {
				t.Errorf("transcript %s differs (-want +got); run go test ./flows -run TestGolden -update to accept:\n%s", file, diff)
			}
		})
	}
}

// replay runs a transcript's inputs and returns the transcript with the
// bot's answers as they are now.
func replay(t *testing.T, w *world, script string) string {
	var out strings.Builder
	conv := bot.Conversation{Channel: bot.Console, User: "demo"}
	phone := ""
	for _, line := range strings.Split(strings.TrimRight(script, "\n"), "\n") {
		switch {
		case strings.HasPrefix(line, "<"):
			continue // regenerated
		case strings.HasPrefix(line, "> ") || line == ">":
			out.WriteString(line + "\n")
			msg := console.Parse(strings.TrimPrefix(strings.TrimPrefix(line, ">"), " "))
			msg.Phone = phone
			for i, r := range w.say(conv, msg) {
				if i > 0 {
					out.WriteString("<---\n")
				}
				for _, l := range strings.Split(r.PlainText(), "\n") {
					out.WriteString(strings.TrimRight("< "+l, " ") + "\n")
				}
			}
		case strings.HasPrefix(line, "#"):
			out.WriteString(line + "\n")
			f := strings.Fields(strings.TrimPrefix(line, "#"))
			if len(f) < 2 {
				continue
			}
			switch f[0] {
			case "user":
				conv.User = f[1]
			case "channel":
				conv.Channel = bot.ChannelID(f[1])
			case "phone":
				phone = f[1]
			case "region": // the deployment serves REGION=f[1] from here on
				w.useRegion(f[1])
			case "wait":
				d, err := time.ParseDuration(f[1])
				if err != nil {
					t.Fatalf("bad wait %q: %v", line, err)
				}
				w.now = w.now.Add(d)
			default: // a feature's own directive (seed_test.go)
				seed(t, w, line, &out)
			}
		default:
			out.WriteString(line + "\n")
		}
	}
	return out.String()
}

// mustFlows builds the registry of every flow, failing t when it is refused.
func mustFlows(t testing.TB, d flows.Deps) *bot.Registry {
	t.Helper()
	reg, err := flows.New(d)
	if err != nil {
		t.Fatal(err)
	}
	return reg
}
