package bot_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/locales"
	"github.com/umkmbot/umkmbot/store"
	"github.com/umkmbot/umkmbot/store/redistest"
)

// observed records what an Observer is told.
type observed struct {
	mu     sync.Mutex
	turns  []string // "channel flow outcome"
	ingest []string // "channel result"
}

func (o *observed) Turn(ch bot.ChannelID, flow string, took time.Duration, outcome string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if took <= 0 {
		outcome += " (no duration)"
	}
	o.turns = append(o.turns, fmt.Sprintf("%s %s %s", ch, flow, outcome))
}

func (o *observed) Ingest(ch bot.ChannelID, result string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.ingest = append(o.ingest, fmt.Sprintf("%s %s", ch, result))
}

func (o *observed) Send(bot.ChannelID, string) {}
func (o *observed) Event(string)               {}

func (o *observed) got() ([]string, []string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.turns), slices.Clone(o.ingest)
}

// TestDispatcherObserver runs the real dispatcher and engine with an
// observer: each turn is reported once with the flow it ran in (the flow
// it started, the flow it ended), its outcome (a panic too), and each
// delivery as queued or duplicate.
func TestDispatcherObserver(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	st := store.New(rdb, store.Options{Prefix: prefix})
	cat, err := bot.NewCatalog(locales.FS, nil)
	if err != nil {
		t.Fatal(err)
	}
	flows := mustRegistry(
		&bot.Flow{ID: "catat", Title: "core.menu.title", Triggers: []string{"catat"}, Menu: 1, Steps: []*bot.Step{{
			ID: "ask", Prompt: "core.menu.title",
			Handle: func(ctx context.Context, t *bot.Turn, in bot.In) (bot.Result, error) {
				if in.Text == "boom" {
					panic("boom")
				}
				return bot.Result{Next: bot.Stay, Quiet: true, Say: []bot.Out{bot.Say(bot.Raw("ok"))}}, nil
			},
		}}},
	)
	obs := &observed{}
	eng := bot.NewEngine(bot.EngineConfig{}, flows, st, st, cat, nil)
	out := bot.NewOutbox(cat, st, "id", nil)
	var sent []string
	var mu sync.Mutex
	out.Register(bot.Console, bot.SenderFunc(func(_ context.Context, _ bot.Conversation, r bot.Reply) error {
		mu.Lock()
		defer mu.Unlock()
		sent = append(sent, r.Text)
		return nil
	}))
	d := bot.NewDispatcher(bot.DispatcherConfig{Owner: "p1", Backoff: time.Millisecond, Observer: obs}, st,
		eng, out, cat, "id", slog.New(slog.DiscardHandler))
	defer d.Close()
	ctx := context.Background()
	c := bot.Conversation{Channel: bot.Console, User: "obs"}
	for i, text := range []string{"halo", "catat", "satu", "satu", "boom", "batal"} {
		id := fmt.Sprint(i)
		if text == "satu" {
			id = "satu" // the second is a redelivery
		}
		if err := d.Submit(ctx, bot.Message{ID: id, Conv: c, Kind: bot.KindText, Text: text}); err != nil {
			t.Fatal(err)
		}
		if err := d.Idle(ctx); err != nil {
			t.Fatal(err)
		}
	}
	gotTurns, gotIngest := obs.got()
	wantTurns := []string{"console  ok", "console catat ok", "console catat ok", "console catat panic", "console catat ok"}
	if !slices.Equal(gotTurns, wantTurns) {
		t.Errorf("turns:\n got %q\nwant %q", gotTurns, wantTurns)
	}
	wantIngest := []string{"console queued", "console queued", "console queued", "console duplicate", "console queued", "console queued"}
	if !slices.Equal(gotIngest, wantIngest) {
		t.Errorf("ingest:\n got %q\nwant %q", gotIngest, wantIngest)
	}
}

// TestConvLogger: a line about a conversation carries the channel, the
// user masked and the message id (each key once), never the user id in
// clear.
func TestConvLogger(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	c := bot.Conversation{Channel: bot.WhatsApp, User: "6281234567890"}
	bot.ConvLogger(log, c, "3EB0C767D0A1").Warn("send failed")
	log.With("channel", "whatsapp").With(bot.ConvArgs(c, "")...).Info("no message")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	var first, second map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(lines[1]), &second); err != nil {
		t.Fatal(err)
	}
	if first["channel"] != "whatsapp" || first["user"] != "****7890" || first["msg_id"] != "3EB0C767D0A1" || first["msg"] != "send failed" {
		t.Errorf("line %s", lines[0])
	}
	if _, ok := second["msg_id"]; ok || second["user"] != "****7890" {
		t.Errorf("line %s", lines[1])
	}
	if n := strings.Count(lines[0], `"msg"`); n != 1 {
		t.Errorf("key msg %d times: %s", n, lines[0])
	}
	if strings.Contains(buf.String(), "81234567890") {
		t.Errorf("the user id in clear:\n%s", buf.String())
	}
}
