package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
	"github.com/umkmbot/umkmbot/store"
	"github.com/umkmbot/umkmbot/store/redistest"
)

// umkmbotErr runs the program and returns its error.
func umkmbotErr(env map[string]string, args ...string) error {
	var out, errs bytes.Buffer
	return run(context.Background(), args, func(k string) string { return env[k] }, strings.NewReader(""), &out, &errs)
}

// TestBroadcastCLI: an officer on the server previews, creates, lists,
// watches, pauses, resumes and cancels a broadcast; bad flags are refused.
func TestBroadcastCLI(t *testing.T) {
	_, prefix := redistest.Client(t)
	env := map[string]string{"REDIS_URL": redistest.URL(), "REDIS_PREFIX": prefix}
	umkmbot(t, env, registration, "chat")
	text := filepath.Join(t.TempDir(), "siaran.txt")
	if err := os.WriteFile(text, []byte("Pelatihan kemasan 1 Desember pukul 09.00 di aula DKUPP.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dry := umkmbot(t, env, "", "broadcast", "create", "--text-file", text, "--kecamatan", "plered", "--sector", "kuliner", "--dry-run")
	for _, want := range []string{"Pelatihan kemasan 1 Desember", "Balas BERHENTI", "recipients: 1"} {
		if !strings.Contains(dry, want) {
			t.Fatalf("dry run lacks %q:\n%s", want, dry)
		}
	}
	if list := umkmbot(t, env, "", "broadcast", "list"); !strings.Contains(list, "no broadcasts") {
		t.Fatalf("a dry run created a broadcast:\n%s", list)
	}
	created := umkmbot(t, env, "", "broadcast", "create", "--text-file", text, "--kecamatan", "Plered", "--sector", "kuliner", "--size", "mikro", "--at", "2030-12-01 09:00")
	if !strings.Contains(created, "broadcast 1 scheduled for 2030-12-01 09:00 WIB") {
		t.Fatalf("create said:\n%s", created)
	}
	if list := umkmbot(t, env, "", "broadcast", "list"); !strings.Contains(list, "scheduled") || !strings.Contains(list, "Pelatihan kemasan") {
		t.Fatalf("list:\n%s", list)
	}
	for _, step := range []struct{ cmd, want string }{
		{"status", "broadcast 1  scheduled"},
		{"pause", "broadcast 1 is now paused"},
		{"resume", "broadcast 1 is now scheduled"},
		{"cancel", "broadcast 1 is now cancelled"},
	} {
		if out := umkmbot(t, env, "", "broadcast", step.cmd, "1"); !strings.Contains(out, step.want) {
			t.Fatalf("broadcast %s 1:\n%s\nwant %q", step.cmd, out, step.want)
		}
	}
	for _, args := range [][]string{
		{"broadcast", "cancel", "1"},
		{"broadcast", "status", "99"},
		{"broadcast", "create", "--text-file", text, "--kecamatan", "Atlantis"},
		{"broadcast", "create", "--text-file", text, "--sector", "tambang"},
		{"broadcast", "create", "--text-file", text, "--channel", "sms"},
		{"broadcast", "create", "--text-file", text, "--at", "besok"},
		{"broadcast", "create", "--text-file", text, "--kecamatan", "Wanayasa"}, // nobody there
		{"broadcast", "create"},
		{"broadcast", "explode", "1"},
	} {
		if err := umkmbotErr(env, args...); err == nil {
			t.Errorf("umkmbot %s succeeded; want an error", strings.Join(args, " "))
		}
	}
}

func TestBroadcastProgressBar(t *testing.T) {
	start := time.Date(2026, 12, 1, 9, 0, 0, 0, bot.Jakarta)
	b := &umkm.Broadcast{ID: "7", Status: umkm.BroadcastRunning, At: start, Counts: umkm.BroadcastCounts{
		Audience: 1000, Sent: 480, Failed: 5, Skipped: 15, Unknown: 0, Started: start}}
	got := broadcastProgress(b, start.Add(20*time.Second))
	for _, want := range []string{"broadcast 7  running", "[███████████████░░░░░░░░░░░░░░░]  50.0%  500/1000",
		"sent 480  failed 5  skipped 15  unknown 0  remaining 500", "rate 25.0/s  ETA 20s"} {
		if !strings.Contains(got, want) {
			t.Errorf("progress lacks %q:\n%s", want, got)
		}
	}
}

func TestBroadcastConfigAdmins(t *testing.T) {
	env := map[string]string{"ADMIN_TELEGRAM_IDS": "123, 456", "ADMIN_WHATSAPP_NUMBERS": "0812-3456-7890,+62 813 1111 2222",
		"BROADCAST_RATE_WHATSAPP": "10/m", "BROADCAST_RATE_TELEGRAM": "20/s"}
	var errs []string
	c := loadBroadcastConfig(func(k string) string { return env[k] }, &errs)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	channels := newChannels(Config{Broadcast: c})
	for conv, want := range map[bot.Conversation]bool{
		{Channel: bot.Telegram, User: "123"}:                          true,
		{Channel: bot.Telegram, User: "456"}:                          true,
		{Channel: bot.Telegram, User: "789"}:                          false,
		{Channel: bot.WhatsApp, User: "6281234567890"}:                true,
		{Channel: bot.WhatsApp, User: "6281311112222@s.whatsapp.net"}: true,
		{Channel: bot.WhatsApp, User: "6281299999999"}:                false,
		{Channel: bot.WhatsApp, User: "123"}:                          false,
		{Channel: bot.Console, User: "local"}:                         true,
		{Channel: "sms", User: "123"}:                                 false, // a channel the program does not have
	} {
		if got := channels.IsAdmin(conv); got != want {
			t.Errorf("IsAdmin(%s) = %v, want %v", conv, got, want)
		}
	}
	if c.RateWhatsApp != (store.Rate{N: 10, Per: time.Minute, Spread: true, Jitter: 0.5}) || c.RateTelegram.N != 20 {
		t.Errorf("rates %+v %+v", c.RateTelegram, c.RateWhatsApp)
	}
	errs = nil
	loadBroadcastConfig(func(k string) string {
		return map[string]string{"ADMIN_TELEGRAM_IDS": "abc", "ADMIN_WHATSAPP_NUMBERS": "12", "BROADCAST_RATE_TELEGRAM": "fast", "BROADCAST_WORKERS": "0"}[k]
	}, &errs)
	if len(errs) != 4 {
		t.Errorf("bad values gave %d errors, want 4: %q", len(errs), errs)
	}
}

// TestBroadcastServiceDelivers: serve's "broadcasts" service delivers a
// broadcast created from the CLI to the registered owner, footer included.
func TestBroadcastServiceDelivers(t *testing.T) {
	_, prefix := redistest.Client(t)
	for name, env := range map[string]map[string]string{
		"embedded": {"DATA_DIR": t.TempDir()},
		"redis":    {"REDIS_URL": redistest.URL(), "REDIS_PREFIX": prefix},
	} {
		t.Run(name, func(t *testing.T) { serviceDelivers(t, env) })
	}
}

func serviceDelivers(t *testing.T, env map[string]string) {
	umkmbot(t, env, registration, "chat")
	text := filepath.Join(t.TempDir(), "siaran.txt")
	if err := os.WriteFile(text, []byte("Galeri Menong membuka kurasi produk."), 0o644); err != nil {
		t.Fatal(err)
	}
	umkmbot(t, env, "", "broadcast", "create", "--text-file", text)
	cfg, err := loadConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var logs bytes.Buffer
	a, err := openApp(ctx, cfg, &logs)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	got := make(chan string, 4)
	a.Outbox.Register(bot.Console, bot.SenderFunc(func(ctx context.Context, to bot.Conversation, r bot.Reply) error {
		got <- r.Text
		return nil
	}))
	done := make(chan error, 1)
	go func() { done <- runBroadcasts(ctx, a) }()
	select {
	case msg := <-got:
		if !strings.Contains(msg, "Galeri Menong membuka kurasi produk.") || !strings.Contains(msg, "Balas BERHENTI") {
			t.Fatalf("owner received %q", msg)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("nothing delivered; logs:\n%s", logs.String())
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
