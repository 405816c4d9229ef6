package whatsapp

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/umkmbot/umkmbot/bot"
)

func BenchmarkConvertText(b *testing.B) {
	c := Converter{}
	evt := dm("3EB0AA", pnJID(siti), text("3214 0123 0780 0003"))
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, _, skip := c.Convert(ctx, evt); skip != Take {
			b.Fatal(skip)
		}
	}
}

func BenchmarkConvertLIDFromStore(b *testing.B) {
	c := Converter{LIDs: lidStore{lidJID(sitiLID): pnJID(siti)}}
	evt := dm("3EB0AA", lidJID(sitiLID), text("1"))
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		c.Convert(ctx, evt)
	}
}

// The event handler's own cost per message (conversion, logging set-up,
// read-receipt bookkeeping), with a dispatcher that takes at once: what
// whatsmeow's single event queue pays besides the Redis write.
func BenchmarkHandleEvent(b *testing.B) {
	sub := submitFunc(func(context.Context, bot.Message) error { return nil })
	a := New(Config{MarkRead: true}, &fakeClient{}, sub, Options{Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	evt := dm("3EB0AA", pnJID(siti), text("ya"))
	b.ReportAllocs()
	for b.Loop() {
		if !a.HandleEvent(evt) {
			b.Fatal("refused")
		}
	}
}

func BenchmarkSplitLongReply(b *testing.B) {
	text := strings.Repeat("Pelatihan kemasan produk pangan, Senin 17 Februari 2026 pukul 09.00 WIB.\n", 120) // ~9,000 characters
	b.ReportAllocs()
	for b.Loop() {
		if n := len(Split(text, MaxChunk)); n != 3 {
			b.Fatal(n)
		}
	}
}

func BenchmarkLimiterReserve(b *testing.B) {
	l := newLimiter(20, 3, time.Second, 1500*time.Millisecond)
	users := make([]string, 1000)
	for i := range users {
		users[i] = fmt.Sprintf("62812%08d", i)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		l.reserve(t0, users[i%len(users)])
		i++
	}
}
