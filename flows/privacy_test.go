package flows_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/store"
)

// flaky is a turn store whose every other commit fails, as a Redis hiccup
// would, so the dispatcher's errors (which name the conversation) get
// logged.
type flaky struct {
	*store.Store
	mu sync.Mutex
	n  int
}

func (f *flaky) Commit(ctx context.Context, c bot.Conversation, msgID string, lease bot.Lease, o bot.TurnResult, acked []string) (bot.Committed, error) {
	f.mu.Lock()
	f.n++
	fail := f.n%2 == 1
	f.mu.Unlock()
	if fail {
		return bot.Committed{}, errors.New("connection reset")
	}
	return f.Store.Commit(ctx, c, msgID, lease, o, acked)
}

// syncBuffer is a log sink safe for the dispatcher's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestLogsHideNIKAndPhone registers a WhatsApp owner (whose user id is
// their phone number) through the dispatcher at debug level with failing
// turns, and checks that neither the NIK nor the phone number reach the logs.
func TestLogsHideNIKAndPhone(t *testing.T) {
	w := newWorld(t)
	var logs syncBuffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var mu sync.Mutex
	replies := 0
	w.outbox.Register(bot.WhatsApp, bot.SenderFunc(func(ctx context.Context, to bot.Conversation, r bot.Reply) error {
		mu.Lock()
		defer mu.Unlock()
		replies++
		return nil
	}))
	eng := bot.NewEngine(bot.EngineConfig{}, mustFlows(w.t, w.deps), w.store, w.store, w.catalog, log)
	d := bot.NewDispatcher(bot.DispatcherConfig{Owner: "p", Backoff: time.Millisecond}, &flaky{Store: w.store}, eng, w.outbox, w.catalog, "id", log)
	defer d.Close()
	conv := bot.Conversation{Channel: bot.WhatsApp, User: "6281298765432"}
	ctx := context.Background()
	for i, text := range []string{"daftar", "1", "Siti Aminah", "3214 0155 0390 0001", "Warung", "1", "1", "Ciseureuh",
		"Jl. Raya 5", "keripik", "1", "1", "2", "lewati", "belum", "ya"} {
		msg := bot.Message{ID: "w" + string(rune('a'+i)), Conv: conv, Kind: bot.KindText, Text: text, Phone: "+6281298765432"}
		if err := d.Submit(ctx, msg); err != nil {
			t.Fatal(err)
		}
		if err := d.Idle(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if r, err := w.store.RegistrationFor(ctx, "32.14", conv); err != nil || r.Phone != "+6281298765432" {
		t.Fatalf("registration = %+v, %v", r, err)
	}
	out := logs.String()
	if !strings.Contains(out, "commit turn, will retry") || !strings.Contains(out, "user=****5432") {
		t.Fatalf("the failing turns were not logged; the test proves nothing:\n%s", out)
	}
	for _, secret := range []string{"3214015503900001", "3214 0155 0390 0001", "81298765432", "Siti Aminah"} {
		if strings.Contains(out, secret) {
			t.Errorf("logs contain %q:\n%s", secret, out)
		}
	}
}
