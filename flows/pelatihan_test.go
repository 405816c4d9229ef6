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

func addTraining(t *testing.T, w *world, title string, capacity int) *umkm.Training {
	t.Helper()
	tr := &umkm.Training{Title: title, Topic: "kemasan", Organiser: "DKUPP", Place: "Aula DKUPP Purwakarta",
		Start: w.now.Add(72 * time.Hour), End: w.now.Add(75 * time.Hour), Capacity: capacity}
	if err := w.store.CreateTraining(context.Background(), tr); err != nil {
		t.Fatal(err)
	}
	return tr
}

// TestPelatihanDeepLink: a Telegram /start payload "pelatihan_<id>" opens
// that training's details, even mid-way through another flow.
func TestPelatihanDeepLink(t *testing.T) {
	w := newWorld(t)
	addTraining(t, w, "Desain Kemasan", 10)
	tr := addTraining(t, w, "Foto Produk", 10)
	conv := bot.Conversation{Channel: bot.Telegram, User: "77"}
	w.say(conv, bot.Message{Kind: bot.KindText, Text: "daftar"})
	replies := w.say(conv, bot.Message{Kind: bot.KindText, Text: "/start pelatihan_" + tr.ID, StartArg: "pelatihan_" + tr.ID, Command: true})
	if len(replies) != 1 || !strings.HasPrefix(replies[0].Text, "Foto Produk (nomor "+tr.ID+")") {
		t.Fatalf("deep link replies = %+v; want the details of %q", replies, tr.Title)
	}
	if len(replies[0].Options) != 2 {
		t.Fatalf("details options = %+v; want sign up and back", replies[0].Options)
	}
}

// TestPelatihanPromotionOtherChannel: the waitlisted owner is on WhatsApp
// and reads English; the freed seat is announced there, in English.
func TestPelatihanPromotionOtherChannel(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	tr := addTraining(t, w, "Desain Kemasan", 1)
	seated := bot.Conversation{Channel: bot.Console, User: "demo"}
	waiting := bot.Conversation{Channel: bot.WhatsApp, User: "6281200000001"}
	if err := w.store.SetProfile(ctx, waiting, bot.FieldLang, "en"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []bot.Conversation{seated, waiting} {
		if _, err := w.store.Enrol(ctx, umkm.Enrolment{Training: tr.ID, Conv: c, At: w.now}, true); err != nil {
			t.Fatal(err)
		}
	}
	for _, text := range []string{"pelatihan saya", "1", "1", "ya"} {
		w.say(seated, bot.Message{Kind: bot.KindText, Text: text})
	}
	if len(w.notified) != 1 || !strings.HasPrefix(w.notified[0], "whatsapp:6281200000001: Good news! A seat freed up in Desain Kemasan") {
		t.Fatalf("notifications = %q; want one, in English, on WhatsApp", w.notified)
	}
	if e, err := w.store.Enrolment(ctx, tr.ID, waiting); err != nil || e.Status != umkm.StatusConfirmed {
		t.Fatalf("waitlisted owner after the cancel = %+v, %v", e, err)
	}
}

// TestTrainingNoticeKinds: every notice kind the runner and the flows
// send has its message in every language.
func TestTrainingNoticeKinds(t *testing.T) {
	w := newWorld(t)
	tr := addTraining(t, w, "Desain Kemasan", 1)
	for _, kind := range []string{umkm.ReminderDayBefore, umkm.ReminderSoon, umkm.NoticePromoted} {
		for _, lang := range w.catalog.Langs() {
			r := w.catalog.Out(lang, flows.TrainingNotice(kind, tr, umkm.Enrolment{Code: "K7M3QX"}))
			if !strings.Contains(r.Text, "Desain Kemasan") || !strings.Contains(r.Text, "K7M3QX") {
				t.Errorf("%s in %s = %q; want the title and the code", kind, lang, r.Text)
			}
		}
	}
}

// TestPelatihanSayaDeepLink: the payload pelatihan_saya opens the owner's
// own trainings rather than the catalogue.
func TestPelatihanSayaDeepLink(t *testing.T) {
	w := newWorld(t)
	tr := addTraining(t, w, "Desain Kemasan", 10)
	conv := bot.Conversation{Channel: bot.Telegram, User: "78"}
	if _, err := w.store.Enrol(context.Background(), umkm.Enrolment{Training: tr.ID, Conv: conv, At: w.now}, true); err != nil {
		t.Fatal(err)
	}
	replies := w.say(conv, bot.Message{Kind: bot.KindText, Text: "/start pelatihan_saya", StartArg: "pelatihan_saya", Command: true})
	if len(replies) != 1 || !strings.HasPrefix(replies[0].Text, "Pelatihan Bapak/Ibu.") || len(replies[0].Options) != 1 {
		t.Fatalf("replies = %+v; want the owner's list of one", replies)
	}
}
