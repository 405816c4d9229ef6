package telegram_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/umkmbot/umkmbot/bot"
)

// uploads is a media source holding one uploaded picture, counting reads.
type uploads struct {
	data  []byte
	reads atomic.Int32
}

func (u *uploads) FetchMedia(_ context.Context, from bot.ChannelID, ref string) ([]byte, error) {
	u.reads.Add(1)
	if from != bot.Uploaded || ref != "img-1" {
		return nil, bot.ErrNotFound
	}
	return u.data, nil
}

// A broadcast picture uploaded on the console goes to the first chat as an
// upload and to the next by the file_id Telegram gave it, captioned.
func TestNotifyPhotoUploadsOnce(t *testing.T) {
	r := newRig(t)
	p := r.build("p1", nil, nil)
	src := &uploads{data: []byte("\xff\xd8\xff\xe0 a jpeg")}
	p.outbox.SetMediaSource(src)
	ctx := context.Background()
	img := bot.Media{Type: "photo", Ref: "img-1", Mime: "image/jpeg"}
	for _, chat := range []string{"7001", "7002"} {
		if err := p.outbox.NotifyPhoto(ctx, bot.Conversation{Channel: bot.Telegram, User: chat}, img, bot.Uploaded, bot.Say(bot.Raw("Pelatihan kemasan Senin"))); err != nil {
			t.Fatalf("photo to %s: %v", chat, err)
		}
	}
	first, second := r.tg.Sent(7001), r.tg.Sent(7002)
	if len(first) != 1 || !bytes.Equal(first[0].Photo, src.data) || first[0].Text != "Pelatihan kemasan Senin" {
		t.Fatalf("first chat got %+v, want the uploaded picture with its caption", first)
	}
	if len(second) != 1 || second[0].Photo != nil || second[0].PhotoID == "" || second[0].Text != "Pelatihan kemasan Senin" {
		t.Fatalf("second chat got %+v, want the picture by file_id", second)
	}
	if n := src.reads.Load(); n != 1 {
		t.Errorf("the picture was read %d times, want once", n)
	}
	if n := r.tg.Calls("sendMessage"); n != 0 {
		t.Errorf("%d text messages besides the photos", n)
	}
}

// A picture an admin sent in Telegram goes out by its file_id; a caption
// longer than Telegram takes follows the picture as a message; a chat
// that blocked the bot is unreachable.
func TestNotifyPhotoTelegramFile(t *testing.T) {
	r := newRig(t)
	p := r.build("p1", nil, nil)
	r.tg.AddFile("tg-file-9", []byte("jpeg"))
	ctx := context.Background()
	img := bot.Media{Type: "photo", Ref: "tg-file-9"}
	if err := p.outbox.NotifyPhoto(ctx, bot.Conversation{Channel: bot.Telegram, User: "7001"}, img, bot.Telegram, bot.Say(bot.Raw("Halo"))); err != nil {
		t.Fatal(err)
	}
	if got := r.tg.Sent(7001); len(got) != 1 || got[0].PhotoID != "tg-file-9" || got[0].Photo != nil {
		t.Fatalf("got %+v, want the file_id", got)
	}

	long := strings.Repeat("Pengumuman penting. ", 80) // 1,600 characters
	if err := p.outbox.NotifyPhoto(ctx, bot.Conversation{Channel: bot.Telegram, User: "7002"}, img, bot.Telegram, bot.Say(bot.Raw(long))); err != nil {
		t.Fatal(err)
	}
	got := r.tg.Sent(7002)
	if len(got) != 2 || got[0].PhotoID != "tg-file-9" || got[0].Text != "" || got[1].Text != strings.TrimSpace(long) && got[1].Text != long {
		t.Fatalf("long caption: got %d messages %+v", len(got), got)
	}

	r.tg.Block(7003)
	err := p.outbox.NotifyPhoto(ctx, bot.Conversation{Channel: bot.Telegram, User: "7003"}, img, bot.Telegram, bot.Say(bot.Raw("Halo")))
	if !errors.Is(err, bot.ErrUnreachable) {
		t.Fatalf("blocked chat: %v, want unreachable", err)
	}
}
