package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/jobs"
	"github.com/umkmbot/umkmbot/bot/umkm"
	"github.com/umkmbot/umkmbot/flows"
	"github.com/umkmbot/umkmbot/locales"
	"github.com/umkmbot/umkmbot/store"
	"github.com/umkmbot/umkmbot/store/redistest"
)

// recorder is a Sender that keeps what it was asked to send.
type recorder struct{ sent []string }

func (r *recorder) Send(ctx context.Context, to bot.Conversation, rep bot.Reply) error {
	r.sent = append(r.sent, to.String()+": "+rep.PlainText())
	return nil
}

// TestCurationStatusNotifiesOwner: the Dinas reviews an application with
// the CLI (a process without channels); serve's notice service then tells
// the owner on their own channel, in their language, with the note.
func TestCurationStatusNotifiesOwner(t *testing.T) {
	ctx := context.Background()
	rdb, prefix := redistest.Client(t)
	s := store.New(rdb, store.Options{Prefix: prefix})
	owner := bot.Conversation{Channel: bot.WhatsApp, User: "6281234567890"}
	app := &umkm.Application{Region: "32.14", Conv: owner, RegistrationID: "UMKM-3214-000001", Business: "Keripik Bu Siti",
		Target: "menong-veteran", TargetName: "Galeri Menong (Jl. Veteran)", Products: []string{"Keripik Pedas"},
		CreatedAt: time.Date(2026, 11, 25, 9, 0, 0, 0, bot.Jakarta)}
	if err := s.SubmitApplication(ctx, app); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"REDIS_URL": redistest.URL(), "REDIS_PREFIX": prefix}

	list := umkmbot(t, env, "", "curation", "list", "--status", "diajukan")
	if !strings.Contains(list, app.ID) || !strings.Contains(list, "Keripik Pedas") {
		t.Fatalf("curation list does not show the application:\n%s", list)
	}
	umkmbot(t, env, "", "curation", "set-status", app.ID, "ditinjau")
	umkmbot(t, env, "", "curation", "set-status", app.ID, "ditolak", "--note", "Label belum mencantumkan tanggal kedaluwarsa")

	cat, err := bot.NewCatalog(locales.FS, nil)
	if err != nil {
		t.Fatal(err)
	}
	cat.OnMissing = func(lang, id string) { t.Errorf("message %q missing in %s", id, lang) }
	rec := &recorder{}
	out := bot.NewOutbox(cat, s, "id", nil)
	out.Register(bot.WhatsApp, rec)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	job := &jobs.CurationNotices{Store: s, Region: "32.14", Notifier: out, Compose: flows.CurationNotice, Log: log}
	n, err := job.Drain(ctx, 0)
	if err != nil || n != 2 || len(rec.sent) != 2 {
		t.Fatalf("drained %d, %v; sent %q", n, err, rec.sent)
	}
	for _, want := range []string{"whatsapp:6281234567890: Kabar pengajuan kurasi " + app.ID, "sedang ditinjau", "ditolak",
		"Catatan Dinas: Label belum mencantumkan tanggal kedaluwarsa", "ketik kurasi"} {
		if !strings.Contains(strings.Join(rec.sent, "\n"), want) {
			t.Errorf("notices lack %q:\n%s", want, strings.Join(rec.sent, "\n"))
		}
	}
	if n, _ := job.Drain(ctx, 0); n != 0 {
		t.Fatalf("a notice was sent twice")
	}
}

func TestCurationCommandErrors(t *testing.T) {
	_, prefix := redistest.Client(t)
	env := map[string]string{"REDIS_URL": redistest.URL(), "REDIS_PREFIX": prefix}
	for _, args := range [][]string{
		{"curation"},
		{"curation", "approve"},
		{"curation", "set-status", "KUR-3214-000001"},
		{"curation", "set-status", "KUR-3214-000001", "diajukan"},
		{"curation", "set-status", "KUR-3214-000001", "ditolak"}, // no note
		{"curation", "set-status", "KUR-3214-000009", "ditinjau"},
		{"curation", "list", "--status", "lulus"},
	} {
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), args, func(k string) string { return env[k] }, strings.NewReader(""), &stdout, &stderr)
		if err == nil {
			t.Errorf("umkmbot %s succeeded", strings.Join(args, " "))
		}
	}
}

// A MARKETPLACE_FILE that cannot be read stops the program at start.
func TestMarketplaceFileConfig(t *testing.T) {
	env := map[string]string{"DATA_DIR": t.TempDir(), "MARKETPLACE_FILE": "/nonexistent/marketplaces.toml"}
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"curation", "list"}, func(k string) string { return env[k] }, strings.NewReader(""), &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "marketplace data") {
		t.Fatalf("err = %v, want a marketplace data error", err)
	}
}

// TestParseArgs: flags may stand before, between or after the positional
// arguments; everything after -- is positional; a wrong count is a usage
// error (exit status 2).
func TestParseArgs(t *testing.T) {
	for _, tc := range []struct {
		args      []string
		pos, note string
		x         bool
	}{
		{[]string{"KUR-1", "--note", "kurang label", "ditolak", "-x"}, "KUR-1|ditolak", "kurang label", true},
		{[]string{"--note=a", "KUR-1", "ditolak"}, "KUR-1|ditolak", "a", false},
		{[]string{"KUR-1", "--", "-x"}, "KUR-1|-x", "", false},
	} {
		env := &Env{Stdout: io.Discard, Stderr: io.Discard}
		fs := flagSet("curation set-status", env)
		note, x := fs.String("note", "", ""), fs.Bool("x", false, "")
		pos, err := parseArgs(fs, tc.args, 2, 2)
		if err != nil || strings.Join(pos, "|") != tc.pos || *note != tc.note || *x != tc.x {
			t.Errorf("parseArgs(%q) = %q note %q x %v, %v", tc.args, pos, *note, *x, err)
		}
	}
	_, err := parseArgs(flagSet("curation set-status", &Env{Stdout: io.Discard, Stderr: io.Discard}), []string{"1"}, 2, 2)
	if exitCode(err) != 2 || !strings.Contains(err.Error(), "ID ditinjau|diterima|ditolak") {
		t.Fatalf("one argument of two: %v (exit %d)", err, exitCode(err))
	}
}

// TestChatListingGaleriCuration is the "done when" end to end: over
// the terminal chat an owner registers, turns a product into a listing
// draft, finds the nearest galeri and applies for curation; the Dinas
// reviews it with the CLI; the owner sees the new status in the next chat.
func TestChatListingGaleriCuration(t *testing.T) {
	_, prefix := redistest.Client(t)
	for name, env := range map[string]map[string]string{
		"embedded": {"DATA_DIR": t.TempDir()},
		"redis":    {"REDIS_URL": redistest.URL(), "REDIS_PREFIX": prefix},
	} {
		t.Run(name, func(t *testing.T) { chatListingGaleriCuration(t, env) })
	}
}

func chatListingGaleriCuration(t *testing.T, env map[string]string) {
	script := registration + `jualan
1
1
Keripik Singkong Bu Siti Pedas
1
15rb
250 gr
20
Keripik singkong pedas, tanpa pengawet.
1,2
!foto
selesai
galeri
3
!lokasi -6.5420 107.4455
6
1
1
ya
`
	chat := umkmbot(t, env, script, "chat")
	for _, want := range []string{"UMKM-3214-000001", "JUDUL:\nKeripik Singkong Bu Siti Pedas 250 gr", "HARGA: Rp15.000",
		"Draf ini sudah siap diunggah ke Shopee", "Galeri Menong (Jl. Veteran): sekitar 0,9 km (lokasi perkiraan)",
		"sudah dikirim dengan nomor KUR-3214-000001"} {
		if !strings.Contains(chat, want) {
			t.Fatalf("chat lacks %q:\n%s", want, chat)
		}
	}
	if list := umkmbot(t, env, "", "curation", "list"); !strings.Contains(list, "KUR-3214-000001") || !strings.Contains(list, "Keripik Bu Siti") {
		t.Fatalf("curation list:\n%s", list)
	}
	umkmbot(t, env, "", "curation", "set-status", "KUR-3214-000001", "diterima", "--note", "Silakan antar 10 bungkus")
	again := umkmbot(t, env, "status kurasi\nproduk saya\n", "chat")
	for _, want := range []string{"KUR-3214-000001 ke Galeri Menong (Jl. Veteran): diterima", "Catatan Dinas: Silakan antar 10 bungkus",
		"1. Keripik Singkong Bu Siti Pedas: Rp15.000, 250 gr, stok 20, 1 foto"} {
		if !strings.Contains(again, want) {
			t.Fatalf("second chat lacks %q:\n%s", want, again)
		}
	}
}

// TestCurationNoticesStoppedAtOnce: a serve stopped before the notices
// job has started stops cleanly (it returned "requeue curation notices:
// context canceled", failing serve; seen under load in
// TestServeWithUnpairedWhatsApp).
func TestCurationNoticesStoppedAtOnce(t *testing.T) {
	_, prefix := redistest.Client(t)
	a := testApp(context.Background(), t, map[string]string{"REDIS_URL": redistest.URL(), "REDIS_PREFIX": prefix})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := runCurationNotices(ctx, a); err != nil {
		t.Fatalf("notices job stopped before it started: %v", err)
	}
}
