package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
	"github.com/umkmbot/umkmbot/store/redistest"
)

// photoSender is a channel that takes pictures.
type photoSender struct{ got chan sentPicture }

type sentPicture struct {
	bot.Photo
	Caption string
}

func (p photoSender) Send(context.Context, bot.Conversation, bot.Reply) error { return nil }

func (p photoSender) SendPhoto(_ context.Context, _ bot.Conversation, ph bot.Photo, caption bot.Reply) error {
	p.got <- sentPicture{ph, caption.Text}
	return nil
}

// A broadcast with a picture uploaded on the console reaches an owner as a
// picture, its bytes read from the store by the serve process sending it.
func TestBroadcastPictureDelivered(t *testing.T) {
	_, prefix := redistest.Client(t)
	env := map[string]string{"REDIS_URL": redistest.URL(), "REDIS_PREFIX": prefix}
	umkmbot(t, env, registration, "chat")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a := testApp(ctx, t, env)
	pic := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 32)...)
	ref, err := a.Store.SaveImage(ctx, pic)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	b := &umkm.Broadcast{Token: "tok-picture", Region: a.Region.Code, Text: "Galeri Menong membuka kurasi.", CreatedAt: now, At: now,
		Image: &bot.Media{Type: "photo", Ref: ref}, ImageFrom: bot.Uploaded}
	if err := a.Store.CreateBroadcast(ctx, b); err != nil {
		t.Fatal(err)
	}
	ps := photoSender{got: make(chan sentPicture, 4)}
	a.Outbox.Register(bot.Console, ps)
	done := make(chan error, 1)
	go func() { done <- runBroadcasts(ctx, a) }()
	select {
	case p := <-ps.got:
		if !bytes.Equal(p.Data, pic) || p.From != bot.Uploaded || !strings.Contains(p.Caption, "Galeri Menong membuka kurasi.") {
			t.Fatalf("owner received %d bytes from %q, caption %q", len(p.Data), p.From, p.Caption)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no picture delivered")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
