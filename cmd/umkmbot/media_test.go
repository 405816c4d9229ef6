package main

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/umkmbot/umkmbot/bot"
)

func TestChannelMedia(t *testing.T) {
	var m channelMedia
	if _, err := m.FetchMedia(context.Background(), bot.WhatsApp, "x"); !errors.Is(err, bot.ErrNoChannel) {
		t.Fatalf("no channel: %v", err)
	}
	open := func(_ context.Context, ref string) (io.ReadCloser, error) {
		return io.NopCloser(strings.NewReader(ref)), nil
	}
	m.add(bot.Telegram, readCapped(open, 5))
	if b, err := m.FetchMedia(context.Background(), bot.Telegram, "12345"); err != nil || string(b) != "12345" {
		t.Fatalf("at the cap: %q %v", b, err)
	}
	if b, err := m.FetchMedia(context.Background(), bot.Telegram, "123456"); err == nil {
		t.Fatalf("over the cap: %q, no error", b)
	}
}
