package telegram_test

import (
	"context"
	"testing"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/telegram"
)

// TestSendFile: a reply with a file ("data saya") goes out as its text,
// then the file as a document with its name and content; a reply
// without one sends no document.
func TestSendFile(t *testing.T) {
	r := newRig(t)
	p := r.build("files", nil, nil)
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	to := bot.Conversation{Channel: bot.Telegram, User: "7300"}
	if err := p.a.Send(ctx, to, bot.Reply{Text: "Halo"}); err != nil {
		t.Fatal(err)
	}
	if docs := r.tg.Documents(); len(docs) != 0 {
		t.Fatalf("documents for a reply without a file: %+v", docs)
	}
	copy := "PENDAFTARAN (nomor UMKM-3214-000001)\nNIK: 3214********0001"
	if err := p.a.Send(ctx, to, bot.Reply{Text: copy, File: &bot.ReplyFile{Name: "data-saya.txt", Text: copy}}); err != nil {
		t.Fatal(err)
	}
	docs := r.tg.Documents()
	if len(docs) != 1 || docs[0].Chat != 7300 || docs[0].Name != "data-saya.txt" || string(docs[0].Data) != copy {
		t.Fatalf("documents %+v, want data-saya.txt with the copy to chat 7300", docs)
	}
	if sent := r.tg.Sent(7300); len(sent) != 2 || sent[1].Text != copy {
		t.Fatalf("texts %+v, want the copy as text too", sent)
	}
}

// TestRenderFile is the converter on its own.
func TestRenderFile(t *testing.T) {
	if _, ok := telegram.RenderFile(1, bot.Reply{Text: "x"}); ok {
		t.Fatal("a document for a reply without a file")
	}
	doc, ok := telegram.RenderFile(1, bot.Reply{File: &bot.ReplyFile{Text: "isi"}})
	if !ok || doc.ChatID != 1 {
		t.Fatalf("RenderFile = %+v, %v", doc, ok)
	}
}
