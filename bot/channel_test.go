package bot_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/umkmbot/umkmbot/bot"
)

// photoSender sends text and pictures and records nothing.
type photoSender struct{}

func (photoSender) Send(context.Context, bot.Conversation, bot.Reply) error { return nil }
func (photoSender) SendPhoto(context.Context, bot.Conversation, bot.Photo, bot.Reply) error {
	return nil
}

func TestChannelsRegistry(t *testing.T) {
	textOnly := bot.SenderFunc(func(context.Context, bot.Conversation, bot.Reply) error { return nil })
	r := bot.NewChannels(
		bot.Channel{ID: "telegram", IsAdmin: func(u string) bool { return u == "42" }},
		bot.Channel{ID: "sms", Media: bot.MediaSupport{Photos: true}}, // claims photos; no sender yet
	)
	if got := r.IDs(); len(got) != 2 || got[0] != "telegram" || got[1] != "sms" {
		t.Fatalf("IDs = %v, want registration order", got)
	}
	for conv, want := range map[bot.Conversation]bool{
		{Channel: "telegram", User: "42"}: true,
		{Channel: "telegram", User: "7"}:  false,
		{Channel: "sms", User: "42"}:      false, // no IsAdmin: nobody
		{Channel: "fax", User: "42"}:      false, // not registered
	} {
		if got := r.IsAdmin(conv); got != want {
			t.Errorf("IsAdmin(%s) = %v, want %v", conv, got, want)
		}
	}
	if c, _ := r.Get("sms"); c.Serves() {
		t.Fatal("a channel without a sender serves")
	}
	if err := r.Link("sms", bot.Link{Sender: textOnly}); err == nil || !strings.Contains(err.Error(), "photos") {
		t.Fatalf("a text-only sender for a channel that claims photos: %v", err)
	}
	if err := r.Link("sms", bot.Link{Sender: photoSender{}}); err != nil {
		t.Fatal(err)
	}
	if c, _ := r.Get("sms"); !c.Serves() {
		t.Fatal("linked channel does not serve")
	}
	if err := r.Link("fax", bot.Link{Sender: textOnly}); !errors.Is(err, bot.ErrUnknownChannel) {
		t.Fatalf("linking an unregistered channel: %v", err)
	}
	var nilReg *bot.Channels
	if nilReg.All() != nil || nilReg.Has("telegram") || nilReg.IsAdmin(bot.Conversation{Channel: "telegram", User: "42"}) {
		t.Fatal("a nil registry is not empty")
	}
}

func TestChannelsRegisterRefuses(t *testing.T) {
	textOnly := bot.SenderFunc(func(context.Context, bot.Conversation, bot.Reply) error { return nil })
	for name, c := range map[string]bot.Channel{
		"empty id":         {},
		"not a word":       {ID: "Tele Gram"},
		"upload source":    {ID: bot.Uploaded},
		"duplicate":        {ID: "telegram"},
		"photos, no means": {ID: "sms", Media: bot.MediaSupport{Photos: true}, Link: bot.Link{Sender: textOnly}},
	} {
		t.Run(name, func(t *testing.T) {
			r := bot.NewChannels(bot.Channel{ID: "telegram"})
			defer func() {
				if recover() == nil {
					t.Errorf("Register(%+v) did not panic", c.ID)
				}
			}()
			r.Register(c)
		})
	}
}
