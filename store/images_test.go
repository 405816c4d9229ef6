package store_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/store"
)

// A picture saved by one process is read by another; too large or empty
// pictures are refused; an unknown reference is not found.
func TestImages(t *testing.T) {
	ctx := context.Background()
	a, b := twoStores(t)
	pic := []byte("\x89PNG\r\n\x1a\n picture")
	ref, err := a.SaveImage(ctx, pic)
	if err != nil || len(ref) != 32 {
		t.Fatalf("save: %q %v", ref, err)
	}
	if again, err := a.SaveImage(ctx, pic); err != nil || again != ref {
		t.Fatalf("the same picture twice: %q %v, want %q", again, err, ref)
	}
	got, err := b.Image(ctx, ref)
	if err != nil || !bytes.Equal(got, pic) {
		t.Fatalf("read by another process: %v", err)
	}
	if _, err := b.Image(ctx, "0123456789abcdef0123456789abcdef"); !errors.Is(err, bot.ErrNotFound) {
		t.Fatalf("unknown: %v, want not found", err)
	}
	for _, bad := range [][]byte{nil, make([]byte, store.MaxImage+1)} {
		if _, err := a.SaveImage(ctx, bad); !errors.Is(err, store.ErrImageTooLarge) {
			t.Errorf("%d bytes: %v", len(bad), err)
		}
	}
	if ttl := a.Client().TTL(ctx, a.Key("img", ref)).Val(); ttl < 59*24*time.Hour || ttl > 60*24*time.Hour {
		t.Errorf("TTL %s, want 60 days", ttl)
	}
}
