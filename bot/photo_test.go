package bot_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/locales"
)

// recPhotos records what a channel was asked to send.
type recPhotos struct {
	mu     sync.Mutex
	photos []bot.Photo
	texts  []string
}

func (r *recPhotos) Send(_ context.Context, _ bot.Conversation, rep bot.Reply) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.texts = append(r.texts, rep.Text)
	return nil
}

func (r *recPhotos) SendPhoto(_ context.Context, _ bot.Conversation, p bot.Photo, caption bot.Reply) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.photos = append(r.photos, p)
	r.texts = append(r.texts, caption.Text)
	return nil
}

// textOnly is a channel without pictures.
type textOnly struct{ texts []string }

func (t *textOnly) Send(_ context.Context, _ bot.Conversation, rep bot.Reply) error {
	t.texts = append(t.texts, rep.Text)
	return nil
}

type source struct {
	reads int
	err   error
}

func (s *source) FetchMedia(_ context.Context, from bot.ChannelID, ref string) ([]byte, error) {
	s.reads++
	if s.err != nil {
		return nil, s.err
	}
	return []byte(string(from) + "/" + ref), nil
}

func TestNotifyPhoto(t *testing.T) {
	cat, err := bot.NewCatalog(locales.FS, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	caption := bot.Say(bot.Raw("Pameran Sabtu"))
	tg, wa := &recPhotos{}, &recPhotos{}
	plain := &textOnly{}
	out := bot.NewOutbox(cat, nil, "id", nil)
	out.Register(bot.Telegram, tg)
	out.Register(bot.WhatsApp, wa)
	out.Register(bot.Console, plain)
	img := bot.Media{Type: "photo", Ref: "f1"}

	// Without a media source only a channel's own file goes as a picture.
	if err := out.NotifyPhoto(ctx, bot.Conversation{Channel: bot.Telegram, User: "1"}, img, bot.Telegram, caption); err != nil || len(tg.photos) != 1 || tg.photos[0].Data != nil {
		t.Fatalf("own file: %v %+v", err, tg.photos)
	}
	if err := out.NotifyPhoto(ctx, bot.Conversation{Channel: bot.WhatsApp, User: "2"}, img, bot.Telegram, caption); !errors.Is(err, bot.ErrNoMediaSource) {
		t.Fatalf("across channels without a source: %v", err)
	}

	src := &source{}
	out.SetMediaSource(src)
	for _, u := range []string{"2", "3"} {
		if err := out.NotifyPhoto(ctx, bot.Conversation{Channel: bot.WhatsApp, User: u}, img, bot.Telegram, caption); err != nil {
			t.Fatal(err)
		}
	}
	if len(wa.photos) != 2 || string(wa.photos[1].Data) != "telegram/f1" || wa.texts[0] != "Pameran Sabtu" || src.reads != 1 {
		t.Fatalf("across channels: %d photos, texts %q, %d reads", len(wa.photos), wa.texts, src.reads)
	}

	// A channel without pictures gets the text.
	if err := out.NotifyPhoto(ctx, bot.Conversation{Channel: bot.Console, User: "demo"}, img, bot.Telegram, caption); err != nil ||
		len(plain.texts) != 1 || plain.texts[0] != "Pameran Sabtu" {
		t.Fatalf("text-only channel: %v %q", err, plain.texts)
	}

	// A picture no longer kept: the text still goes; a store that does
	// not answer is an error to retry.
	other := bot.Media{Type: "photo", Ref: "gone"}
	src.err = fmt.Errorf("image gone: %w", bot.ErrNotFound)
	if err := out.NotifyPhoto(ctx, bot.Conversation{Channel: bot.WhatsApp, User: "4"}, other, bot.Uploaded, caption); err != nil ||
		len(wa.photos) != 2 || wa.texts[len(wa.texts)-1] != "Pameran Sabtu" {
		t.Fatalf("gone picture: %v, %d photos", err, len(wa.photos))
	}
	src.err = errors.New("redis down")
	if err := out.NotifyPhoto(ctx, bot.Conversation{Channel: bot.WhatsApp, User: "5"}, other, bot.Uploaded, caption); err == nil {
		t.Fatal("a store error was swallowed")
	}
}
