package jobs_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/jobs"
	"github.com/umkmbot/umkmbot/bot/umkm"
)

// takeQueue has broadcast 1 running with nothing queued, and records who
// asks for deliveries.
type takeQueue struct {
	umkm.BroadcastQueue // only what the test calls is implemented

	mu    sync.Mutex
	asked map[string]int // consumer → batch size asked for
	ch    chan struct{}  // a signal per Take
}

func (q *takeQueue) DueBroadcasts(context.Context, time.Time) ([]string, []string, error) {
	return nil, []string{"1"}, nil
}

func (q *takeQueue) Take(_ context.Context, _ string, _ bot.ChannelID, consumer string, n int, _ time.Duration) ([]umkm.Delivery, error) {
	q.mu.Lock()
	q.asked[consumer] = n
	q.mu.Unlock()
	select {
	case q.ch <- struct{}{}:
	default:
	}
	return nil, nil
}

// waitAsked waits until consumer has asked for deliveries and returns its
// batch size.
func (q *takeQueue) waitAsked(t *testing.T, consumer string) int {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		q.mu.Lock()
		n, ok := q.asked[consumer]
		q.mu.Unlock()
		if ok {
			return n
		}
		select {
		case <-q.ch:
		case <-deadline:
			t.Fatalf("%s never asked for deliveries; asked: %v", consumer, q.asked)
		}
	}
}

// TestFanoutWorkersFollowRegistry: the fan-out runs each registered
// channel's Workers with its Batch, and a channel registered while it
// runs (WhatsApp paired while serving) gets its workers too.
func TestFanoutWorkersFollowRegistry(t *testing.T) {
	q := &takeQueue{asked: map[string]int{}, ch: make(chan struct{}, 1)}
	r := bot.NewChannels(bot.Channel{ID: bot.Telegram, Workers: 2})
	f := jobs.NewFanout(jobs.FanoutConfig{Owner: "p1", Channels: r, Poll: 10 * time.Millisecond},
		q, nil, umkm.AudienceSource{}, nil, nil, nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	for _, c := range []string{"p1-telegram-0", "p1-telegram-1"} {
		if n := q.waitAsked(t, c); n != 16 {
			t.Errorf("%s takes %d at once, want the default 16", c, n)
		}
	}
	r.Register(bot.Channel{ID: "sms", Batch: 3})
	if n := q.waitAsked(t, "p1-sms-0"); n != 3 {
		t.Errorf("sms takes %d at once, want its Batch 3", n)
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if _, ok := q.asked["p1-sms-1"]; ok {
		t.Error("sms has a second worker; its Workers default to 1")
	}
}

// regs holds one registration per conversation.
type regs struct {
	umkm.RegistrationStore // only EachRegistration is implemented
	convs                  []bot.Conversation
}

func (r regs) EachRegistration(_ context.Context, _ string, fn func(*umkm.Registration) error) error {
	for _, c := range r.convs {
		if err := fn(&umkm.Registration{Conv: c}); err != nil {
			return err
		}
	}
	return nil
}

// expandQueue records what an expansion queues.
type expandQueue struct {
	umkm.BroadcastQueue
	queued   []bot.Conversation
	audience int64
}

func (q *expandQueue) ClaimExpansion(context.Context, string, string, time.Duration) (bool, error) {
	return true, nil
}

func (q *expandQueue) Enqueue(_ context.Context, _ string, to []bot.Conversation) error {
	q.queued = append(q.queued, to...)
	return nil
}

func (q *expandQueue) StartBroadcast(_ context.Context, _ string, n int64, _ time.Time) error {
	q.audience = n
	return nil
}

type oneBroadcast struct{ umkm.BroadcastStore }

func (oneBroadcast) Broadcast(context.Context, string) (*umkm.Broadcast, error) {
	return &umkm.Broadcast{ID: "1"}, nil
}

// TestExpandLeavesOutUnknownChannels: an owner on a channel the program
// does not have (one removed since) is not queued, where no worker would
// ever take the entry and the broadcast would never end.
func TestExpandLeavesOutUnknownChannels(t *testing.T) {
	q := &expandQueue{}
	src := umkm.AudienceSource{Registrations: regs{convs: []bot.Conversation{
		{Channel: bot.Telegram, User: "1"}, {Channel: "fax", User: "2"}, {Channel: bot.Console, User: "3"}}}}
	f := jobs.NewFanout(jobs.FanoutConfig{Owner: "p1", Channels: bot.NewChannels(bot.Channel{ID: bot.Telegram}, bot.Channel{ID: bot.Console})},
		q, oneBroadcast{}, src, nil, nil, nil, nil)
	if started, err := f.Expand(context.Background(), "1"); err != nil || !started {
		t.Fatalf("Expand: %v, %v", started, err)
	}
	if len(q.queued) != 2 || q.audience != 2 || q.queued[0].User != "1" || q.queued[1].User != "3" {
		t.Fatalf("queued %v, audience %d; want the telegram and console owners", q.queued, q.audience)
	}
}
