package telegram

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/umkmbot/umkmbot/bot"
)

// sameMessages fails unless got is want: the same texts, and the same
// reply_markup both as JSON and in the form sendMessage posts.
func sameMessages(t *testing.T, got, want []tgbotapi.MessageConfig) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d messages, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Text != w.Text || g.ChatID != w.ChatID || g.DisableWebPagePreview != w.DisableWebPagePreview {
			t.Fatalf("message %d = %q, want %q", i, g.Text, w.Text)
		}
		gj, err := json.Marshal(g.ReplyMarkup)
		if err != nil {
			t.Fatal(err)
		}
		wj, err := json.Marshal(w.ReplyMarkup)
		if err != nil {
			t.Fatal(err)
		}
		if string(gj) != string(wj) {
			t.Fatalf("message %d markup %s, want %s", i, gj, wj)
		}
		gf, err := appendForm(nil, g)
		if err != nil {
			t.Fatal(err)
		}
		wf, err := appendForm(nil, w)
		if err != nil {
			t.Fatal(err)
		}
		if string(gf) != string(wf) {
			t.Fatalf("message %d form %s, want %s", i, gf, wf)
		}
	}
}

// FuzzRenderEncodedMarkup: a reply sent with its keyboard from the cache,
// the first time and again, is what Render makes.
func FuzzRenderEncodedMarkup(f *testing.F) {
	f.Add("Setuju?", "1\x00Ya, setuju\x002\x00Tidak setuju", 0, true)
	f.Add("Pilih kecamatan:", "1\x00Plered\x002\x00Bojong Timur\x003\x00Di atas Rp1 miliar sampai Rp5 miliar", 0, false)
	f.Add("Kirim nomor HP", "", 1, false)
	f.Add("", "1\x00<b>&</b>\x00", 2, true)
	f.Add("Foto produk", "", 3, true)
	f.Add("x", "a-very-long-key-that-does-not-fit-in-callback-data-because-it-is-far-longer-than-64-bytes\x00L", 0, true)
	f.Fuzz(func(t *testing.T, text, opts string, ask int, inline bool) {
		var os []bot.ReplyOption
		parts := strings.Split(opts, "\x00")
		for i := 0; i+1 < len(parts); i += 2 {
			os = append(os, bot.ReplyOption{Key: parts[i], Label: parts[i+1]})
		}
		r := bot.Reply{Text: text, Options: os, Ask: []bot.Ask{bot.AskNone, bot.AskContact, bot.AskLocation, bot.AskPhoto}[uint(ask)%4]}
		kb := ReplyKeyboard
		if inline {
			kb = InlineKeyboard
		}
		a := &Adapter{cfg: Config{Keyboard: kb, Labels: Labels{ShareContact: "Kirim nomor", ShareLocation: "Kirim lokasi"}}}
		want := Render(42, r, kb, a.cfg.Labels)
		sameMessages(t, a.render(42, r), want)
		sameMessages(t, a.render(42, r), want) // from the cache
	})
}

// TestMarkupCacheKeepsRepliesApart: options that differ in a label, a key
// or what they ask for get their own keyboards, however often each was
// sent before (also two whose hash is the same), and the cache stays
// bounded.
func TestMarkupCacheKeepsRepliesApart(t *testing.T) {
	a := &Adapter{cfg: Config{Keyboard: InlineKeyboard, Labels: Labels{ShareContact: "Kirim nomor"}}}
	replies := []bot.Reply{
		{Text: "Pilih:", Options: []bot.ReplyOption{{Key: "1", Label: "Plered"}, {Key: "2", Label: "Bojong"}}},
		{Text: "Pilih:", Options: []bot.ReplyOption{{Key: "1", Label: "Plered"}, {Key: "2", Label: "Bungursari"}}},
		{Text: "Pilih:", Options: []bot.ReplyOption{{Key: "1", Label: "Plered"}, {Key: "3", Label: "Bojong"}}},
		{Text: "Pilih:", Options: []bot.ReplyOption{{Key: "1", Label: "Plered"}}},
		{Text: "Pilih:", Options: []bot.ReplyOption{{Key: "1", Label: "Plered"}}, Ask: bot.AskContact},
		{Text: "Pilih:", Options: []bot.ReplyOption{{Key: "1\x002", Label: "Plered"}}},
		// The same bytes hashed as the one before: kept apart by comparing.
		{Text: "Pilih:", Options: []bot.ReplyOption{{Key: "1", Label: "2\x00Plered"}}},
	}
	for range 3 {
		for _, r := range replies {
			sameMessages(t, a.render(42, r), Render(42, r, a.cfg.Keyboard, a.cfg.Labels))
		}
	}
	if n := len(a.markups.m); n < len(replies)-1 {
		t.Fatalf("%d keyboards cached for %d replies", n, len(replies))
	}
	for i := range 3 * maxMarkups {
		r := bot.Reply{Text: "Pilih:", Options: []bot.ReplyOption{{Key: "1", Label: strconv.Itoa(i)}}}
		sameMessages(t, a.render(42, r), Render(42, r, a.cfg.Keyboard, a.cfg.Labels))
	}
	if n := len(a.markups.m); n > maxMarkups {
		t.Fatalf("%d keyboards cached, want at most %d", n, maxMarkups)
	}
}

// BenchmarkRenderKeyboard: a question with the 17 kecamatan of
// Purwakarta as buttons, rendered and encoded as sendMessage posts it
// (go test ./bot/telegram -run XXX -bench RenderKeyboard).
func BenchmarkRenderKeyboard(b *testing.B) {
	var opts []bot.ReplyOption
	for i, k := range []string{"Purwakarta", "Campaka", "Jatiluhur", "Plered", "Sukatani", "Darangdan", "Maniis", "Tegalwaru",
		"Wanayasa", "Pasawahan", "Bojong", "Babakancikao", "Bungursari", "Cibatu", "Sukasari", "Pondoksalam", "Kiarapedes"} {
		opts = append(opts, bot.ReplyOption{Key: strconv.Itoa(i + 1), Label: k})
	}
	r := bot.Reply{Text: "Di kecamatan mana usaha Bapak/Ibu?", Options: opts}
	for _, kb := range []Keyboard{InlineKeyboard, ReplyKeyboard} {
		a := &Adapter{cfg: Config{Keyboard: kb}}
		var buf []byte
		b.Run(string(kb)+"/render", func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				buf, _ = appendForm(buf[:0], Render(42, r, kb, a.cfg.Labels)[0])
			}
		})
		b.Run(string(kb)+"/cached", func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				buf, _ = appendForm(buf[:0], a.render(42, r)[0])
			}
		})
	}
}
