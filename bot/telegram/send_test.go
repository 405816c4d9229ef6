package telegram_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/telegram"
	"github.com/umkmbot/umkmbot/bot/telegram/telegramtest"
	"github.com/umkmbot/umkmbot/store"
)

// refusingDialer makes the next refuse dials fail with "connection
// refused" (a real one: a loopback port nobody listens on), then dials
// normally. Keep-alives are off, so every request dials.
func refusingClient(t *testing.T, refuse *atomic.Int32) *http.Client {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	var d net.Dialer
	tr := &http.Transport{DisableKeepAlives: true, DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		if refuse.Add(-1) >= 0 {
			return d.DialContext(ctx, network, closed)
		}
		return d.DialContext(ctx, network, addr)
	}}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

// TestSendErrorClassification: what Send returns for each way Telegram
// (or the network) can fail, what it reports to the observer per attempt,
// how often the message reached Telegram, and which retries may have
// doubled it.
func TestSendErrorClassification(t *testing.T) {
	const (
		ok          = "ok"
		unreachable = "unreachable"
		rejected    = "rejected"
		retryAfter  = "retry_after" // a *bot.RetryAfterError, not unreachable nor rejected
		retryable   = "retryable"   // a plain error: the outbox tries again later
	)
	tests := []struct {
		name      string
		setup     func(tg *telegramtest.Server, chat int64, refuse *atomic.Int32)
		want      string
		results   []string
		delivered int
		doubled   int64
	}{
		{"403 blocked", func(tg *telegramtest.Server, chat int64, _ *atomic.Int32) {
			tg.FailChat(chat, 403, "Forbidden: bot was blocked by the user")
		}, unreachable, []string{"unreachable"}, 0, 0},
		{"403 user deactivated", func(tg *telegramtest.Server, chat int64, _ *atomic.Int32) {
			tg.FailChat(chat, 403, "Forbidden: user is deactivated")
		}, unreachable, []string{"unreachable"}, 0, 0},
		{"400 chat not found", func(tg *telegramtest.Server, chat int64, _ *atomic.Int32) {
			tg.FailChat(chat, 400, "Bad Request: chat not found")
		}, unreachable, []string{"unreachable"}, 0, 0},
		{"400 bad markup", func(tg *telegramtest.Server, chat int64, _ *atomic.Int32) {
			tg.FailChat(chat, 400, "Bad Request: can't parse entities: Unsupported start tag")
		}, rejected, []string{"rejected"}, 0, 0},
		{"400 message text is empty", func(tg *telegramtest.Server, chat int64, _ *atomic.Int32) {
			tg.FailChat(chat, 400, "Bad Request: message text is empty")
		}, rejected, []string{"rejected"}, 0, 0},
		{"401 token revoked is not the message's fault", func(tg *telegramtest.Server, _ int64, _ *atomic.Int32) {
			tg.FailNext(3, 401, "Unauthorized", 0)
		}, retryable, []string{"retry", "retry", "error"}, 0, 0},
		{"429 longer than the adapter waits", func(tg *telegramtest.Server, _ int64, _ *atomic.Int32) {
			tg.Fail429(1, 60)
		}, retryAfter, []string{"error"}, 0, 0},
		{"429 short, waited out", func(tg *telegramtest.Server, _ int64, _ *atomic.Int32) {
			tg.Fail429(1, 1)
		}, ok, []string{"retry", "ok"}, 1, 0},
		{"500 throughout", func(tg *telegramtest.Server, _ int64, _ *atomic.Int32) {
			tg.Fail500(3)
		}, retryable, []string{"retry", "retry", "error"}, 0, 0},
		{"500 once", func(tg *telegramtest.Server, _ int64, _ *atomic.Int32) {
			tg.Fail500(1)
		}, ok, []string{"retry", "ok"}, 1, 0},
		{"connection refused throughout", func(_ *telegramtest.Server, _ int64, refuse *atomic.Int32) {
			refuse.Store(3)
		}, retryable, []string{"retry", "retry", "error"}, 0, 0},
		{"connection refused once: safe to retry", func(_ *telegramtest.Server, _ int64, refuse *atomic.Int32) {
			refuse.Store(1)
		}, ok, []string{"retry", "ok"}, 1, 0},
		{"timeout after sending, throughout", func(tg *telegramtest.Server, _ int64, _ *atomic.Int32) {
			tg.Hang(3)
		}, retryable, []string{"retry", "retry", "error"}, 3, 2},
		{"timeout after sending once: retried and counted", func(tg *telegramtest.Server, _ int64, _ *atomic.Int32) {
			tg.Hang(1)
		}, ok, []string{"retry", "ok"}, 2, 1},
	}
	r := newRig(t)
	// Through net/http (a configured client) and on the adapter's own
	// connections (none configured), which cannot be made to refuse.
	for j, own := range []bool{false, true} {
		for i, tc := range tests {
			if own && strings.HasPrefix(tc.name, "connection refused") {
				continue
			}
			name := "net/http/" + tc.name
			if own {
				name = "own/" + tc.name
			}
			t.Run(name, func(t *testing.T) {
				chat := int64(7100 + 100*j + i)
				obs := &observed{}
				var refuse atomic.Int32
				p := r.build("c"+strconv.Itoa(100*j+i), func(c *telegram.Config) {
					c.Observer = obs
					c.Shared = nil // a 429 here would hold the next cases (Test429SlowsEveryProcess)
					c.HTTPClient = refusingClient(t, &refuse)
					if own {
						c.HTTPClient = nil
					}
					c.RequestTimeout = time.Second // long enough that only Hang times out on a loaded machine
				}, nil)
				tc.setup(r.tg, chat, &refuse)
				ctx, cancel := context.WithTimeout(context.Background(), waitFor)
				defer cancel()
				to := bot.Conversation{Channel: bot.Telegram, User: strconv.FormatInt(chat, 10)}
				err := p.a.Send(ctx, to, bot.Reply{Text: "Pelatihan besok jam 09.00."})
				var ra *bot.RetryAfterError
				got := retryable
				switch {
				case err == nil:
					got = ok
				case errors.Is(err, bot.ErrUnreachable):
					got = unreachable
				case errors.Is(err, bot.ErrRejected):
					got = rejected
				case errors.As(err, &ra):
					got = retryAfter
					if ra.After != time.Minute {
						t.Errorf("retry after %v, want 1m", ra.After)
					}
				}
				if got != tc.want {
					t.Fatalf("Send = %v: %s, want %s", err, got, tc.want)
				}
				if err != nil && strings.Contains(err.Error(), token) {
					t.Fatalf("the token is in the error: %v", err)
				}
				if diff := cmp.Diff(tc.results, obs.results()); diff != "" {
					t.Errorf("attempt results (-want +got):\n%s", diff)
				}
				if n := len(r.tg.Sent(chat)); n != tc.delivered {
					t.Errorf("Telegram delivered %d messages, want %d", n, tc.delivered)
				}
				if n := p.a.Stats.MaybeDoubled.Load(); n != tc.doubled {
					t.Errorf("%d retries counted as maybe doubled, want %d", n, tc.doubled)
				}
			})
		}
	}
	// The caller logs a failed send; the adapter does not log it too.
	if logs := r.logs.String(); strings.Contains(logs, "level=ERROR") {
		t.Fatalf("the adapter logged an error it returned:\n%s", logs)
	}
}

// slowSignal tells when SlowDown reached the shared limiter.
type slowSignal struct {
	telegram.SharedLimiter
	done chan time.Duration
}

func (s slowSignal) SlowDown(ctx context.Context, key bot.ChannelID, after time.Duration) error {
	err := s.SharedLimiter.SlowDown(ctx, key, after)
	s.done <- after
	return err
}

// Test429SlowsEveryProcess: Telegram answers one process 429 with
// retry_after 2; a second process on the same Redis waits it out too
// before its next send.
func Test429SlowsEveryProcess(t *testing.T) {
	r := newRig(t)
	slowed := make(chan time.Duration, 1)
	a := r.build("A", func(c *telegram.Config) { c.Shared = slowSignal{c.Shared, slowed} }, nil)
	b := r.build("B", nil, nil)
	r.tg.Fail429(1, 2)
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	aDone := make(chan error, 1)
	go func() { aDone <- a.a.Send(ctx, conv(siti), bot.Reply{Text: "Halo"}) }()
	select {
	case after := <-slowed:
		if after != 2*time.Second {
			t.Fatalf("shared limiter told to wait %v, want 2s", after)
		}
	case <-ctx.Done():
		t.Fatal("the shared limiter was not told about the 429")
	}
	limited := r.tg.Requests("sendMessage")[0].At // the request answered 429
	if err := b.a.Send(ctx, conv(budi), bot.Reply{Text: "Halo"}); err != nil {
		t.Fatal(err)
	}
	if err := <-aDone; err != nil {
		t.Fatal(err)
	}
	sent := r.tg.Sent(budi.ID)
	if len(sent) != 1 {
		t.Fatalf("%d messages to B's chat, want 1", len(sent))
	}
	// Redis and this test read the same clock; allow its granularity.
	if gap := sent[0].At.Sub(limited); gap < 2*time.Second-20*time.Millisecond {
		t.Fatalf("B sent %v after A's 429 with retry_after 2s: it did not wait", gap)
	}
	if n := len(r.tg.Requests("sendMessage")); n != 3 {
		t.Fatalf("%d sendMessage requests, want 3 (A's 429, A's retry, B's)", n)
	}
}

// TestSharedLimitAcrossProcesses: two processes each send 20 messages at
// once with a limit of 10 a second for the bot; Telegram sees no more than
// about 10 in any second (each process alone would allow 10, 20 together).
func TestSharedLimitAcrossProcesses(t *testing.T) {
	r := newRig(t)
	shared := func(c *telegram.Config) {
		c.RatePerSecond = 10
		c.Shared = r.store.Limiter(map[bot.ChannelID]store.Rate{telegram.LimitKey(token): {N: 10, Per: time.Second}})
	}
	procs := []*proc{r.build("A", shared, nil), r.build("B", shared, nil)}
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			to := bot.Conversation{Channel: bot.Telegram, User: strconv.Itoa(7200 + i)}
			errs <- procs[i%2].a.Send(ctx, to, bot.Reply{Text: "Pengumuman"})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	var at []time.Time
	for _, q := range r.tg.Requests("sendMessage") {
		at = append(at, q.At)
	}
	sort.Slice(at, func(i, j int) bool { return at[i].Before(at[j]) })
	most := 0
	for i := range at {
		n := sort.Search(len(at), func(j int) bool { return !at[j].Before(at[i].Add(time.Second)) }) - i
		most = max(most, n)
	}
	t.Logf("%d messages in %v, at most %d in one second", len(at), at[len(at)-1].Sub(at[0]), most)
	if len(at) != 40 || most > 15 { // unshared: 20 at once, then 20 a second
		t.Fatalf("%d messages, %d in one second: the limit of 10/s is not shared", len(at), most)
	}
}
