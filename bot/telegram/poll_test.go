package telegram

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
	"github.com/google/go-cmp/cmp"

	"github.com/umkmbot/umkmbot/bot"
)

// recorder takes messages, refusing the ids in fail.
type recorder struct {
	mu   sync.Mutex
	fail map[string]bool
	got  map[string][]string // conversation user → message ids in order
}

func (r *recorder) Submit(ctx context.Context, m bot.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail[m.ID] {
		return errors.New("inbox down")
	}
	r.got[m.Conv.User] = append(r.got[m.Conv.User], m.ID)
	return nil
}

func batch(chats ...int64) []tgbotapi.Update {
	var ups []tgbotapi.Update
	for i, c := range chats {
		ups = append(ups, tgbotapi.Update{UpdateID: 100 + i, Message: &tgbotapi.Message{
			MessageID: 100 + i, Text: "x", From: &tgbotapi.User{ID: c}, Chat: &tgbotapi.Chat{ID: c, Type: "private"}}})
	}
	return ups
}

func TestTakeBatchKeepsChatOrderAndOffset(t *testing.T) {
	tests := []struct {
		name   string
		chats  []int64
		fail   []string
		ok     bool
		offset int
		got    map[string][]string
	}{
		{"all taken", []int64{1, 2, 1, 3, 1}, nil, true, 105,
			map[string][]string{"1": {"m100", "m102", "m104"}, "2": {"m101"}, "3": {"m103"}}},
		{"a refused update stops its chat and the offset", []int64{1, 2, 1, 3, 1}, []string{"m102"}, false, 102,
			map[string][]string{"1": {"m100"}, "2": {"m101"}, "3": {"m103"}}},
		{"first refused", []int64{7, 8}, []string{"m100"}, false, 0,
			map[string][]string{"8": {"m101"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := &Adapter{log: slog.New(slog.NewTextHandler(io.Discard, nil))}
			r := &recorder{fail: map[string]bool{}, got: map[string][]string{}}
			for _, id := range tc.fail {
				r.fail[id] = true
			}
			if ok := a.takeBatch(context.Background(), r, batch(tc.chats...)); ok != tc.ok {
				t.Fatalf("takeBatch = %v, want %v", ok, tc.ok)
			}
			if a.offset != tc.offset {
				t.Errorf("offset %d, want %d", a.offset, tc.offset)
			}
			if diff := cmp.Diff(tc.got, r.got); diff != "" {
				t.Errorf("submitted (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTakeBatchSkipsTakenUpdates(t *testing.T) {
	a := &Adapter{log: slog.New(slog.NewTextHandler(io.Discard, nil)), offset: 102}
	r := &recorder{got: map[string][]string{}}
	a.takeBatch(context.Background(), r, batch(1, 1, 1))
	if diff := cmp.Diff(map[string][]string{"1": {"m102"}}, r.got); diff != "" {
		t.Fatalf("submitted (-want +got):\n%s", diff)
	}
}

// barrier is a Submitter that holds every submission until n are in
// flight at once (or the test's patience ends).
type barrier struct {
	n       int
	mu      sync.Mutex
	inside  int
	most    int
	release chan struct{}
}

func (b *barrier) Submit(ctx context.Context, m bot.Message) error {
	b.mu.Lock()
	b.inside++
	b.most = max(b.most, b.inside)
	if b.inside == b.n {
		close(b.release)
	}
	b.mu.Unlock()
	select {
	case <-b.release:
	case <-ctx.Done():
	case <-time.After(2 * time.Second):
	}
	b.mu.Lock()
	b.inside--
	b.mu.Unlock()
	return nil
}

// TestTakeBatchSubmitsWholeBatchAtOnce: the chats of a full batch (100,
// getUpdates' limit) are submitted all at the same time, so their ingests
// share Redis pipelines instead of waiting in rounds.
func TestTakeBatchSubmitsWholeBatchAtOnce(t *testing.T) {
	chats := make([]int64, 100)
	for i := range chats {
		chats[i] = int64(1000 + i)
	}
	a := &Adapter{log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	b := &barrier{n: len(chats), release: make(chan struct{})}
	if !a.takeBatch(context.Background(), b, batch(chats...)) {
		t.Fatal("batch not taken")
	}
	if b.most != len(chats) {
		t.Errorf("at most %d chats submitted at once, want all %d", b.most, len(chats))
	}
}
