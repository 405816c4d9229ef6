package main

import (
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/web"
)

// channelMedia downloads files users sent, through the channel they came
// from: serve's channels register their download here as they start, and
// the console shows product photos with it.
type channelMedia struct {
	mu    sync.RWMutex
	fetch map[bot.ChannelID]func(ctx context.Context, ref string) ([]byte, error)
}

var _ web.MediaFetcher = (*channelMedia)(nil)

func (m *channelMedia) add(ch bot.ChannelID, f func(ctx context.Context, ref string) ([]byte, error)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fetch == nil {
		m.fetch = map[bot.ChannelID]func(context.Context, string) ([]byte, error){}
	}
	m.fetch[ch] = f
}

func (m *channelMedia) FetchMedia(ctx context.Context, ch bot.ChannelID, ref string) ([]byte, error) {
	m.mu.RLock()
	f := m.fetch[ch]
	m.mu.RUnlock()
	if f == nil {
		return nil, fmt.Errorf("fetch %s media: %w", ch, bot.ErrNoChannel)
	}
	return f(ctx, ref)
}

// maxFetchedMedia caps a file downloaded for the console (the Bot API
// serves up to 20 MB; a product photo is far smaller).
const maxFetchedMedia = 10 << 20

// readCapped reads at most max bytes of a download and fails on more.
func readCapped(open func(context.Context, string) (io.ReadCloser, error), max int64) func(context.Context, string) ([]byte, error) {
	return func(ctx context.Context, ref string) ([]byte, error) {
		rc, err := open(ctx, ref)
		if err != nil {
			return nil, err
		}
		defer rc.Close()
		b, err := io.ReadAll(io.LimitReader(rc, max+1))
		if err != nil {
			return nil, err
		}
		if int64(len(b)) > max {
			return nil, fmt.Errorf("media larger than %d bytes", max)
		}
		return b, nil
	}
}
