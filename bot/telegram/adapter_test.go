package telegram_test

import (
	"context"
	"errors"
	"io"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/telegram"
	"github.com/umkmbot/umkmbot/bot/telegram/telegramtest"
)

var siti = telegramtest.User{ID: 5001, Name: "Siti", Lang: "id"}

func conv(u telegramtest.User) bot.Conversation {
	return bot.Conversation{Channel: bot.Telegram, User: strconv.FormatInt(u.ID, 10)}
}

func TestRegistrationOverTelegram(t *testing.T) {
	r := newRig(t)
	r.start("p1", nil, nil)
	u := siti

	m := expect(t, r.say(u, "/start"), "selamat datang")
	if !strings.Contains(string(m.Markup), `"1. Daftar UMKM"`) {
		t.Fatalf("menu without a reply keyboard: %s", m.Markup)
	}
	m = expect(t, r.say(u, "/daftar"), "Apakah Bapak/Ibu setuju?")
	if !strings.Contains(string(m.Markup), `"1. Ya, setuju"`) {
		t.Fatalf("consent without buttons: %s", m.Markup)
	}
	expect(t, r.say(u, "1. Ya, setuju"), "nama lengkap") // the button's text
	expect(t, r.say(u, "Siti Aminah"), "NIK")
	got := r.say(u, "3214 0155 0390 0001")
	m = expect(t, got, "nomor HP")
	if !strings.Contains(string(m.Markup), `"request_contact":true`) || !strings.Contains(string(m.Markup), "Kirim nomor HP saya") {
		t.Fatalf("phone question without the contact button: %s", m.Markup)
	}
	// Someone else's contact card is not the sender's number.
	other := r.turn(u, func() { r.tg.Contact(u, "+6285700001111", 6002) })
	if strings.Contains(last(t, other).Text, "nama usaha") {
		t.Fatalf("someone else's contact was accepted: %q", last(t, other).Text)
	}
	expect(t, r.turn(u, func() { r.tg.Contact(u, "6281234567890", u.ID) }), "nama usaha")
	expect(t, r.say(u, "Keripik Singkong Bu Siti"), "bidang apa")
	expect(t, r.say(u, "1. Kuliner (makanan & minuman)"), "kecamatan")
	expect(t, r.say(u, "plered"), "desa")
	expect(t, r.say(u, "Desa Anjun"), "alamat")
	expect(t, r.say(u, "Jl. Raya Anjun No. 5 RT 02/RW 01"), "produk utama")
	expect(t, r.say(u, "keripik singkong, simping"), "modal")
	expect(t, r.say(u, "1"), "omzet")
	expect(t, r.say(u, "1"), "bekerja")
	expect(t, r.say(u, "3"), "NIB")
	expect(t, r.say(u, "lewati"), "marketplace")
	expect(t, r.say(u, "belum"), "periksa data")
	expect(t, r.say(u, "ya"), "Ada lagi")

	reg, err := r.store.RegistrationFor(context.Background(), r.region.Code, conv(u))
	if err != nil {
		t.Fatalf("registration not in the store: %v", err)
	}
	if reg.OwnerName != "Siti Aminah" || reg.Phone != "+6281234567890" || reg.NIK != "3214015503900001" || reg.Kecamatan != "Plered" {
		t.Fatalf("stored registration = %+v", reg)
	}
	if cmds := r.tg.Commands(); len(cmds) != 1 || cmds[0].Command != "daftar" || cmds[0].Description == "" {
		t.Fatalf("command menu = %+v", cmds)
	}
	if r.tg.Conflicts() != 0 {
		t.Fatalf("%d getUpdates conflicts", r.tg.Conflicts())
	}
}

func TestCallbackQueryOptionPress(t *testing.T) {
	r := newRig(t)
	r.start("p1", func(c *telegram.Config) { c.Keyboard = telegram.InlineKeyboard }, nil)
	u := siti
	m := expect(t, r.say(u, "/daftar"), "setuju")
	if !strings.Contains(string(m.Markup), `"callback_data":"1"`) {
		t.Fatalf("consent without inline buttons: %s", m.Markup)
	}
	var cb string
	got := r.turn(u, func() { cb = r.tg.Press(u, "1").CallbackQuery.ID })
	expect(t, got, "nama lengkap")
	eventually(t, "the callback answered", func() bool {
		for _, id := range r.tg.Answered() {
			if id == cb {
				return true
			}
		}
		return false
	})
}

func TestDeepLinkOpensFlow(t *testing.T) {
	r := newRig(t)
	r.start("p1", nil, nil)
	expect(t, r.say(siti, "/start daftar"), "Apakah Bapak/Ibu setuju?")
}

func TestPhotoArrivesAsMediaAndDownloads(t *testing.T) {
	r := newRig(t)
	var mu sync.Mutex
	var photos []bot.Message
	p := r.start("p1", nil, func(next telegram.Submitter) telegram.Submitter {
		return submitFunc(func(ctx context.Context, msg bot.Message) error {
			if msg.Kind == bot.KindPhoto {
				mu.Lock()
				photos = append(photos, msg)
				mu.Unlock()
			}
			return next.Submit(ctx, msg)
		})
	})
	jpeg := []byte("\xff\xd8\xff\xe0 not really a jpeg")
	r.tg.AddFile("AgACphoto1", jpeg)
	r.turn(siti, func() { r.tg.Photo(siti, "AgACphoto1", "keripik") })
	mu.Lock()
	defer mu.Unlock()
	if len(photos) != 1 {
		t.Fatalf("%d photo messages, want 1", len(photos))
	}
	want := bot.Media{Type: "photo", Ref: "AgACphoto1", Mime: "image/jpeg", Size: 154000, W: 1280, H: 960}
	if got := photos[0]; *got.Media != want || got.Text != "keripik" {
		t.Fatalf("photo message = %+v media %+v", got, *got.Media)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	rc, err := p.a.Download(ctx, photos[0].Media.Ref)
	if err != nil {
		t.Fatalf("download: %v", err)
	}
	defer rc.Close()
	data, _ := io.ReadAll(rc)
	if string(data) != string(jpeg) {
		t.Fatalf("downloaded %q", data)
	}
	if _, err := p.a.Download(ctx, "nope"); err == nil || strings.Contains(err.Error(), token) {
		t.Fatalf("download of an unknown file: %v", err)
	}
}

func TestKilledBeforeSubmitRedeliversAfterRestart(t *testing.T) {
	for _, tc := range []struct {
		name      string
		pipelined bool // with the poll journal
	}{{"one batch at a time", false}, {"pipelined", true}} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t)
			mode := func(c *telegram.Config) {
				if !tc.pipelined {
					c.Journal = nil
				}
			}
			// The first process fetches the update but dies before the
			// dispatcher takes it: every Submit fails.
			p1 := r.start("p1", mode, func(telegram.Submitter) telegram.Submitter {
				return submitFunc(func(ctx context.Context, msg bot.Message) error { return errors.New("redis down") })
			})
			r.tg.Text(siti, "/daftar")
			eventually(t, "the update fetched and refused", func() bool { return p1.a.Stats.SubmitFailed.Load() > 0 })
			p1.stop()
			if tc.pipelined {
				// Telegram may have been told it was taken: the journal has it.
				if n := r.journal.len(); n != 1 {
					t.Fatalf("%d batches in the journal after the crash, want 1", n)
				}
			} else if n := r.tg.Unconfirmed(); n != 1 {
				t.Fatalf("%d unconfirmed updates after the crash, want 1 (the offset moved past a message nobody took)", n)
			}
			r.start("p2", mode, nil)
			ctx, cancel := context.WithTimeout(context.Background(), waitFor)
			defer cancel()
			got, err := r.tg.WaitSent(ctx, siti.ID, 1)
			if err != nil {
				t.Fatal(err)
			}
			expect(t, got, "setuju")
			eventually(t, "the journal emptied", func() bool { return r.journal.len() == 0 })
		})
	}
}

func TestSameUpdateTwiceProcessedOnce(t *testing.T) {
	r := newRig(t)
	p1 := r.start("p1", nil, nil)
	var up = r.tg.Text(siti, "/daftar")
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	if _, err := r.tg.WaitSent(ctx, siti.ID, 1); err != nil {
		t.Fatal(err)
	}
	r.idle()
	p1.stop()
	// Telegram delivers the same update again (its acknowledgement was
	// lost) to a new process.
	r.tg.Push(up)
	p2 := r.start("p2", nil, nil)
	// Wait until the dispatcher decided about it (taken or dropped): the
	// adapter counts an update before it submits it.
	eventually(t, "the repeated update submitted", func() bool {
		return p2.disp.Stats.Taken.Load()+p2.disp.Stats.Duplicates.Load() == 1
	})
	r.idle()
	if n := len(r.tg.Sent(siti.ID)); n != 1 {
		t.Fatalf("%d replies, want 1: the repeat was processed again", n)
	}
	if p2.disp.Stats.Duplicates.Load() != 1 {
		t.Fatalf("duplicates = %d, want 1", p2.disp.Stats.Duplicates.Load())
	}
}

func TestRestartMidConversation(t *testing.T) {
	r := newRig(t)
	p1 := r.start("p1", nil, nil)
	r.say(siti, "/daftar")
	r.say(siti, "ya")
	expect(t, r.say(siti, "Siti Aminah"), "NIK")
	p1.stop()
	r.start("p2", nil, nil)
	expect(t, r.say(siti, "3214015503900001"), "nomor HP")
}

func TestRetryAfter429(t *testing.T) {
	r := newRig(t)
	p := r.start("p1", nil, nil)
	r.tg.Fail429(1, 1)
	start := time.Now()
	got := r.say(siti, "/daftar")
	if len(got) != 1 {
		t.Fatalf("%d replies, want exactly 1", len(got))
	}
	expect(t, got, "setuju")
	if p.a.Stats.Waited.Load() != 1 {
		t.Fatalf("waited %d times, want 1", p.a.Stats.Waited.Load())
	}
	if el := got[0].At.Sub(start); el < time.Second {
		t.Fatalf("reply after %v: retry_after 1s was not obeyed", el)
	}
}

func TestServerErrorsRetried(t *testing.T) {
	r := newRig(t)
	p := r.start("p1", nil, nil)
	r.tg.Fail500(2)
	got := r.say(siti, "/daftar")
	if len(got) != 1 || p.a.Stats.Retried.Load() != 2 {
		t.Fatalf("%d replies after %d retries, want 1 after 2", len(got), p.a.Stats.Retried.Load())
	}
}

func TestBlockedUserMarkedUnreachable(t *testing.T) {
	r := newRig(t)
	p := r.start("p1", nil, nil)
	r.tg.Block(siti.ID)
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	err := p.outbox.Send(ctx, conv(siti), bot.Reply{Text: "Pelatihan besok."})
	if !errors.Is(err, bot.ErrUnreachable) {
		t.Fatalf("send to a blocked user: %v, want ErrUnreachable", err)
	}
	prof, err := r.store.Profile(ctx, conv(siti))
	if err != nil || !prof.Unreachable {
		t.Fatalf("profile = %+v, %v: not marked unreachable", prof, err)
	}
	if p.a.Stats.SendFailed.Load() != 1 || p.a.Stats.Unreachable.Load() != 1 {
		t.Fatalf("failures not counted: %d failed, %d unreachable", p.a.Stats.SendFailed.Load(), p.a.Stats.Unreachable.Load())
	}
}

func TestLongReplySplit(t *testing.T) {
	r := newRig(t)
	p := r.start("p1", nil, nil)
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	text := strings.Repeat("Daftar peserta pelatihan batik Purwakarta. ", 250) // ~10,750 characters
	reply := bot.Reply{Text: text, Options: []bot.ReplyOption{{Key: "1", Label: "Daftar"}}}
	if err := p.a.Send(ctx, conv(siti), reply); err != nil {
		t.Fatal(err)
	}
	got := r.tg.Sent(siti.ID)
	if len(got) != 3 {
		t.Fatalf("%d messages, want 3", len(got))
	}
	var joined []string
	for _, m := range got {
		joined = append(joined, m.Text)
	}
	if strings.Join(strings.Fields(strings.Join(joined, " ")), " ") != strings.Join(strings.Fields(reply.PlainText()), " ") {
		t.Fatal("text lost or changed in splitting")
	}
	if got[0].Markup != nil || !strings.Contains(string(got[2].Markup), "1. Daftar") {
		t.Fatalf("keyboard not on the last part: %s / %s", got[0].Markup, got[2].Markup)
	}
}

func TestTokenRedactedFromErrors(t *testing.T) {
	r := newRig(t)
	p := r.start("p1", nil, nil)
	r.tg.Close() // Telegram unreachable: every call fails with the URL in the error
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	eventually(t, "a failed poll", func() bool { return p.a.Stats.PollErrors.Load() > 0 })
	_, err := p.a.Download(ctx, "x")
	if err == nil || strings.Contains(err.Error(), token) || strings.Contains(err.Error(), "AAH-test_token") {
		t.Fatalf("download error %v", err)
	}
	p.stop()
	// newRig's cleanup checks the logs.
}
