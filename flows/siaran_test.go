package flows_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
	"github.com/umkmbot/umkmbot/flows"
)

// TestSiaranNonAdminsCannot: by any word, command or deep link, an owner
// who is not an admin cannot create, see or control a broadcast: the reply
// never mentions broadcasts, nothing changes, and the conversation is left
// in no flow. The same words from an admin do reach the feature, so the
// test can fail.
func TestSiaranNonAdminsCannot(t *testing.T) {
	words := []string{"siaran", "broadcast", "/siaran", "/broadcast", "SIARAN", "Broadcast!", "siaran dinas",
		"siaran daftar", "siaran list", "siaran status 1", "siaran status #1", "siaran jeda 1", "siaran pause 1",
		"siaran lanjut 1", "siaran resume 1", "siaran batal 1", "siaran cancel 1", "broadcast cancel 1", "/siaran batal 1"}
	w := newWorld(t)
	ctx := context.Background()
	b := &umkm.Broadcast{Region: w.deps.Region.Code, Text: "Rahasia Dinas: pengumuman belum terbit.", CreatedAt: w.now, At: w.now.Add(24 * time.Hour)}
	if err := w.store.CreateBroadcast(ctx, b); err != nil {
		t.Fatal(err)
	}
	people := []bot.Conversation{{Channel: bot.Telegram, User: "555"}, {Channel: bot.WhatsApp, User: "6281200000001"}, {Channel: bot.Console, User: "demo"}}
	for _, who := range people {
		for _, word := range words {
			for _, msg := range []bot.Message{
				{Kind: bot.KindText, Text: word},
				{Kind: bot.KindText, Text: word, Command: true},
				{Kind: bot.KindText, Text: "/start", StartArg: strings.ReplaceAll(strings.TrimPrefix(word, "/"), " ", "_")},
			} {
				replies := w.say(who, msg)
				for _, r := range replies {
					if txt := strings.ToLower(r.PlainText()); strings.Contains(txt, "siaran") || strings.Contains(txt, "rahasia") {
						t.Fatalf("%s %q (command %v, start %q) got a broadcast reply: %q", who, word, msg.Command, msg.StartArg, r.PlainText())
					}
				}
				st, err := w.store.LoadState(ctx, who)
				if err != nil {
					t.Fatal(err)
				}
				if st.Flow == "siaran" {
					t.Fatalf("%s %q left the conversation in the broadcast flow", who, word)
				}
			}
		}
	}
	got, err := w.store.Broadcast(ctx, b.ID)
	if err != nil || got.Status != umkm.BroadcastScheduled {
		t.Fatalf("broadcast after the attempts: %+v, %v; want it untouched", got, err)
	}
	if list, _ := w.store.Broadcasts(ctx); len(list) != 1 {
		t.Fatalf("%d broadcasts exist; non-admins created some", len(list))
	}
	// An admin reaches it with the same words.
	admin := bot.Conversation{Channel: bot.Telegram, User: "admin"}
	replies := w.say(admin, bot.Message{Kind: bot.KindText, Text: "siaran status 1"})
	if len(replies) == 0 || !strings.Contains(replies[0].Text, "#1") {
		t.Fatalf("admin's status: %+v", replies)
	}
	replies = w.say(admin, bot.Message{Kind: bot.KindText, Text: "siaran jeda 1"})
	if got, _ := w.store.Broadcast(ctx, b.ID); got.Status != umkm.BroadcastPaused {
		t.Fatalf("admin could not pause: %s, %+v", got.Status, replies)
	}
}

// TestSiaranCreatesOnce: a confirmation applied twice (a turn run again)
// creates one broadcast.
func TestSiaranCreatesOnce(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	for i := 0; i < 2; i++ {
		b := &umkm.Broadcast{Text: "Pengumuman", CreatedAt: w.now, At: w.now, Token: "telegram:admin/m1"}
		if err := w.store.CreateBroadcast(ctx, b); err != nil || b.ID != "1" {
			t.Fatalf("create %d: id %q, %v", i, b.ID, err)
		}
	}
	if list, _ := w.store.Broadcasts(ctx); len(list) != 1 {
		t.Fatalf("%d broadcasts, want 1", len(list))
	}
}

func TestParseBroadcastTime(t *testing.T) {
	now := time.Date(2026, 11, 25, 9, 0, 0, 0, bot.Jakarta) // a Wednesday
	at := func(y int, m time.Month, d, h, min int) time.Time {
		return time.Date(y, m, d, h, min, 0, 0, bot.Jakarta)
	}
	tests := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"2026-12-01 09:00", at(2026, 12, 1, 9, 0), true},
		{"2026-12-01 9.00", at(2026, 12, 1, 9, 0), true},
		{"1/12/2026 09.00", at(2026, 12, 1, 9, 0), true},
		{"01-12-2026 09:30", at(2026, 12, 1, 9, 30), true},
		{"1 Desember 2026 pukul 08.30", at(2026, 12, 1, 8, 30), true},
		{"1 des 08.30 WIB", at(2026, 12, 1, 8, 30), true},
		{"tgl 5 januari jam 10.00", at(2027, 1, 5, 10, 0), true},
		{"24 nov 10:00", at(2027, 11, 24, 10, 0), true}, // passed this year: next year
		{"25 nov 10:00", at(2026, 11, 25, 10, 0), true},
		{"besok 09.00", at(2026, 11, 26, 9, 0), true},
		{"lusa 7.15", at(2026, 11, 27, 7, 15), true},
		{"hari ini 15.00", at(2026, 11, 25, 15, 0), true},
		{"15:45", at(2026, 11, 25, 15, 45), true},
		{"31/02/2027 09.00", time.Time{}, false},
		{"2026-12-01", time.Time{}, false},
		{"kemarin 09.00", time.Time{}, false},
		{"25:00", time.Time{}, false},
		{"12.5", time.Time{}, false},
		{"1 smarch 2026 09.00", time.Time{}, false},
		{"", time.Time{}, false},
		{"2026-13-01 09:00", time.Time{}, false},
	}
	for _, tt := range tests {
		got, ok := flows.ParseBroadcastTime(tt.in, now)
		if ok != tt.ok || !got.Equal(tt.want) {
			t.Errorf("ParseBroadcastTime(%q) = %s, %v; want %s, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// FuzzParseBroadcastTime: any text either fails or gives a real WIB time
// whose clock and date survive a round trip through the ISO form.
func FuzzParseBroadcastTime(f *testing.F) {
	for _, s := range []string{"2026-12-01 09:00", "besok 08.30", "1 Desember 2026 pukul 9.00", "31/02/2027 09.00", "15:45"} {
		f.Add(s)
	}
	now := time.Date(2026, 11, 25, 9, 0, 0, 0, bot.Jakarta)
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := flows.ParseBroadcastTime(s, now)
		if !ok {
			return
		}
		if _, off := got.Zone(); off != 7*3600 {
			t.Fatalf("%q: %s not in WIB", s, got)
		}
		again, ok := flows.ParseBroadcastTime(got.Format("2006-01-02 15:04"), now)
		if !ok || !again.Equal(got) {
			t.Fatalf("%q → %s does not round-trip (%s, %v)", s, got, again, ok)
		}
	})
}
