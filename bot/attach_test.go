package bot_test

import (
	"context"
	"testing"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/locales"
)

// recDocs is a channel that sends pictures and documents.
type recDocs struct {
	recPhotos
	docs []bot.Document
}

func (r *recDocs) SendDocument(_ context.Context, _ bot.Conversation, d bot.Document, caption bot.Reply) error {
	r.docs = append(r.docs, d)
	r.texts = append(r.texts, caption.Text)
	return nil
}

// TestSendAttached: a reply with an attachment goes to the channel's
// PhotoSender or DocumentSender with the bytes read from the media source;
// a channel without the capability, or a file no longer kept, gets the
// text alone.
func TestSendAttached(t *testing.T) {
	cat, err := bot.NewCatalog(locales.FS, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tg, plain := &recDocs{}, &textOnly{}
	out := bot.NewOutbox(cat, nil, "id", nil)
	out.Register(bot.Telegram, tg)
	out.Register(bot.Console, plain)
	src := &source{}
	out.SetMediaSource(src)
	to := bot.Conversation{Channel: bot.Telegram, User: "1"}
	doc := bot.Reply{Text: "Formulir", Attach: &bot.Attachment{Media: bot.Media{Type: bot.AttachDocument, Ref: "d1", Name: "f.pdf", Mime: "application/pdf"}, From: bot.Uploaded}}
	if err := out.Send(ctx, to, doc); err != nil {
		t.Fatal(err)
	}
	if len(tg.docs) != 1 || tg.docs[0].Name != "f.pdf" || string(tg.docs[0].Data) != "upload/d1" || tg.texts[0] != "Formulir" {
		t.Fatalf("document: %+v %q", tg.docs, tg.texts)
	}
	photo := bot.Reply{Text: "Contoh", Attach: &bot.Attachment{Media: bot.Media{Type: bot.AttachPhoto, Ref: "p1"}, From: bot.Uploaded}}
	if err := out.Send(ctx, to, photo); err != nil {
		t.Fatal(err)
	}
	if len(tg.photos) != 1 || string(tg.photos[0].Data) != "upload/p1" {
		t.Fatalf("photo: %+v", tg.photos)
	}
	if err := out.Send(ctx, bot.Conversation{Channel: bot.Console, User: "x"}, doc); err != nil || len(plain.texts) != 1 || plain.texts[0] != "Formulir" {
		t.Fatalf("text-only channel: %v %q", err, plain.texts)
	}
	src.err = bot.ErrNotFound
	gone := bot.Reply{Text: "Hilang", Attach: &bot.Attachment{Media: bot.Media{Type: bot.AttachDocument, Ref: "d2"}, From: bot.Uploaded}}
	if err := out.Send(ctx, to, gone); err != nil || len(tg.docs) != 1 || tg.texts[len(tg.texts)-1] != "Hilang" {
		t.Fatalf("file no longer kept: %v %q", err, tg.texts)
	}
}
