package ops_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/redis/go-redis/v9"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/jobs"
	"github.com/umkmbot/umkmbot/bot/umkm"
	"github.com/umkmbot/umkmbot/locales"
	"github.com/umkmbot/umkmbot/ops"
	"github.com/umkmbot/umkmbot/store"
	"github.com/umkmbot/umkmbot/store/redistest"
)

func TestMain(m *testing.M) { os.Exit(redistest.Run(m)) }

// get serves one GET from m's handler and returns the status and body.
func get(t *testing.T, m *ops.Metrics, path string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec.Code, rec.Body.String()
}

// scrape returns /metrics, checked to parse as the Prometheus text format.
func scrape(t *testing.T, m *ops.Metrics) string {
	t.Helper()
	code, body := get(t, m, "/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics: %d\n%s", code, body)
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	if _, err := p.TextToMetricFamilies(strings.NewReader(body)); err != nil {
		t.Fatalf("/metrics is not the Prometheus text format: %v", err)
	}
	return body
}

// value returns the value of the series line that starts with series
// (name and labels exactly as exposed), or fails.
func value(t *testing.T, body, series string) float64 {
	t.Helper()
	for line := range strings.Lines(body) {
		if rest, ok := strings.CutPrefix(line, series+" "); ok {
			v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			return v
		}
	}
	t.Fatalf("series %s missing from the scrape:\n%s", series, grepLines(body, "umkmbot_"))
	return 0
}

func grepLines(body, sub string) string {
	var b strings.Builder
	for line := range strings.Lines(body) {
		if strings.Contains(line, sub) && !strings.HasPrefix(line, "#") {
			b.WriteString(line)
		}
	}
	return b.String()
}

func TestObserverSeries(t *testing.T) {
	m := ops.New(ops.Options{})
	m.Turn(bot.Telegram, "daftar", 30*time.Millisecond, "ok")
	m.Turn(bot.Telegram, "daftar", 3*time.Second, "failed")
	m.Turn(bot.WhatsApp, "", time.Millisecond, "ok")
	m.Ingest(bot.Telegram, "queued")
	m.Ingest(bot.Telegram, "duplicate")
	m.Send(bot.WhatsApp, "unreachable")
	m.Event(ops.EventLeaseTakeover)
	m.Event("fault_notice")
	// Free text where a fixed word belongs (a programming mistake) must
	// not reach a label.
	m.Event("Siti Aminah 081234567890")
	m.Turn(bot.Telegram, "Budi Santoso", time.Millisecond, "ok")

	body := scrape(t, m)
	for series, want := range map[string]float64{
		`umkmbot_turns_total{channel="telegram",flow="daftar",outcome="ok"}`:               1,
		`umkmbot_turns_total{channel="telegram",flow="daftar",outcome="failed"}`:           1,
		`umkmbot_turns_total{channel="whatsapp",flow="",outcome="ok"}`:                     1,
		`umkmbot_turn_duration_seconds_count{channel="telegram",flow="daftar"}`:            2,
		`umkmbot_turn_duration_seconds_bucket{channel="telegram",flow="daftar",le="0.05"}`: 1,
		`umkmbot_ingest_total{channel="telegram",result="queued"}`:                         1,
		`umkmbot_ingest_total{channel="telegram",result="duplicate"}`:                      1,
		`umkmbot_sends_total{channel="whatsapp",result="unreachable"}`:                     1,
		`umkmbot_lease_takeovers_total`:                                                    1,
		`umkmbot_events_total{event="fault_notice"}`:                                       1,
		`umkmbot_events_total{event="other"}`:                                              1,
		`umkmbot_turns_total{channel="telegram",flow="other",outcome="ok"}`:                1,
	} {
		if got := value(t, body, series); got != want {
			t.Errorf("%s = %v, want %v", series, got, want)
		}
	}
	for _, pii := range []string{"Siti", "0812", "Budi"} {
		if strings.Contains(body, pii) {
			t.Errorf("the scrape contains %q", pii)
		}
	}
	if !strings.Contains(body, "go_goroutines") || !strings.Contains(body, "process_") {
		t.Error("Go runtime and process collectors missing")
	}
}

type fakeQueues struct {
	st    bot.QueueStats
	err   error
	block bool
}

func (f fakeQueues) QueueStats(ctx context.Context) (bot.QueueStats, error) {
	if f.block {
		<-ctx.Done()
		return bot.QueueStats{}, ctx.Err()
	}
	return f.st, f.err
}

func TestQueueGauges(t *testing.T) {
	m := ops.New(ops.Options{})
	if err := m.WatchQueues(fakeQueues{st: bot.QueueStats{InboxDepth: 7, InboxOldest: 90 * time.Second, OutboxDepth: 2, OutboxOldest: 1500 * time.Millisecond}}); err != nil {
		t.Fatal(err)
	}
	body := scrape(t, m)
	for series, want := range map[string]float64{
		"umkmbot_inbox_depth": 7, "umkmbot_inbox_oldest_seconds": 90, `umkmbot_queues_up`: 1, "umkmbot_outbox_depth": 2, "umkmbot_outbox_oldest_seconds": 1.5,
	} {
		if got := value(t, body, series); got != want {
			t.Errorf("%s = %v, want %v", series, got, want)
		}
	}
	if err := m.WatchQueues(fakeQueues{}); err == nil {
		t.Error("a second queue source registered")
	}
}

// TestQueueSourceDown: a store that fails or hangs costs its series (and
// counts a scrape error), never the scrape.
func TestQueueSourceDown(t *testing.T) {
	for name, q := range map[string]fakeQueues{"error": {err: errors.New("redis down")}, "hangs": {block: true}} {
		t.Run(name, func(t *testing.T) {
			m := ops.New(ops.Options{Timeout: 50 * time.Millisecond})
			if err := m.WatchQueues(q); err != nil {
				t.Fatal(err)
			}
			body := scrape(t, m)
			if strings.Contains(body, "umkmbot_inbox_depth ") {
				t.Error("inbox depth shown although the source failed")
			}
			if got := value(t, body, `umkmbot_queues_up`); got != 0 {
				t.Errorf("source up = %v, want 0", got)
			}
		})
	}
}

type fakeWA struct{ st ops.WhatsAppState }

func (f fakeWA) WhatsAppState() ops.WhatsAppState { return f.st }

func TestChannelGauges(t *testing.T) {
	m := ops.New(ops.Options{})
	until := time.Now().Add(time.Hour).Truncate(time.Second)
	if err := m.WatchWhatsApp(fakeWA{ops.WhatsAppState{Restriction: "temporary_ban", RestrictedUntil: until}}); err != nil {
		t.Fatal(err)
	}
	if err := m.WatchTelegram(ops.TelegramFunc(func() ops.TelegramCounts { return ops.TelegramCounts{RateLimited: 3, PollErrors: 1} })); err != nil {
		t.Fatal(err)
	}
	body := scrape(t, m)
	for series, want := range map[string]float64{
		"umkmbot_whatsapp_connected": 0, "umkmbot_whatsapp_logged_out": 0,
		`umkmbot_whatsapp_restricted{restriction="temporary_ban"}`:     1,
		`umkmbot_whatsapp_restricted{restriction="reachout_timelock"}`: 0,
		"umkmbot_whatsapp_restricted_until_seconds":                    float64(until.Unix()),
		"umkmbot_telegram_rate_limited_total":                          3,
		"umkmbot_telegram_poll_errors_total":                           1,
		"umkmbot_telegram_conflicts_total":                             0,
	} {
		if got := value(t, body, series); got != want {
			t.Errorf("%s = %v, want %v", series, got, want)
		}
	}
}

// gate is a channel whose sends wait until it is opened.
type gate struct {
	mu   sync.Mutex
	sent int
	wait chan struct{}
	in   chan struct{} // a send is waiting
}

func (g *gate) Send(ctx context.Context, to bot.Conversation, r bot.Reply) error {
	select {
	case g.in <- struct{}{}:
	default:
	}
	select {
	case <-g.wait:
	case <-ctx.Done():
		return ctx.Err()
	}
	g.mu.Lock()
	g.sent++
	g.mu.Unlock()
	return nil
}

// TestBroadcastProgress runs a broadcast to three registered owners on the
// real store and fan-out, with a channel that holds the sends: while it
// runs, its progress is shown by its id, with no NIK, phone or name
// anywhere in the scrape; once done, its series go away.
func TestBroadcastProgress(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rdb, prefix := redistest.Client(t)
	s := store.New(rdb, store.Options{Prefix: prefix})
	type owner struct{ name, nik, phone, business string }
	owners := []owner{
		{"Siti Aminah", "3214015503900001", "+6281234567890", "Keripik Bu Siti"},
		{"Budi Santoso", "3214011204850002", "+6285712345678", "Bengkel Budi Jaya"},
		{"Rina Wulandari", "3214016708920003", "+6287798765432", "Batik Rina"},
	}
	for i, o := range owners {
		r := &umkm.Registration{Region: "32.14", RegisteredAt: time.Now(), Conv: bot.Conversation{Channel: bot.Telegram, User: strconv.Itoa(7000 + i)},
			OwnerName: o.name, NIK: o.nik, Phone: o.phone, BusinessName: o.business, Sector: "kuliner", Kecamatan: "Plered", SizeClass: "mikro"}
		if err := s.CreateRegistration(ctx, r, 1); err != nil {
			t.Fatal(err)
		}
	}
	cat, err := bot.NewCatalog(locales.FS, nil)
	if err != nil {
		t.Fatal(err)
	}
	ch := &gate{wait: make(chan struct{}), in: make(chan struct{}, 1)}
	out := bot.NewOutbox(cat, s, "id", nil)
	out.Register(bot.Telegram, ch)
	out.Register(bot.Console, bot.SenderFunc(func(context.Context, bot.Conversation, bot.Reply) error { return nil }))
	b := &umkm.Broadcast{Region: "32.14", Text: "Pelatihan kemasan 1 Desember.", CreatedBy: bot.Conversation{Channel: bot.Console, User: "petugas"},
		CreatedAt: time.Now(), At: time.Now().Add(-time.Second)}
	if err := s.CreateBroadcast(ctx, b); err != nil {
		t.Fatal(err)
	}
	f := jobs.NewFanout(jobs.FanoutConfig{Owner: "p1", Workers: map[bot.ChannelID]int{bot.Telegram: 1}, Batch: map[bot.ChannelID]int{bot.Telegram: 1},
		Poll: 20 * time.Millisecond}, s, s, umkm.AudienceSource{Region: "32.14", Registrations: s}, s, out,
		s.Limiter(map[bot.ChannelID]store.Rate{bot.Telegram: {N: 1000, Per: time.Second}}), nil)
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()

	m := ops.New(ops.Options{})
	if err := m.WatchBroadcasts(s); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ch.in: // the first send is held: the broadcast is running
	case <-time.After(30 * time.Second):
		t.Fatal("the broadcast never started sending")
	}
	body := scrape(t, m)
	id := b.ID
	for series, want := range map[string]float64{
		`umkmbot_broadcast_audience{broadcast="` + id + `"}`:                     3,
		`umkmbot_broadcast_recipients{broadcast="` + id + `",state="sent"}`:      0,
		`umkmbot_broadcast_recipients{broadcast="` + id + `",state="remaining"}`: 3,
		`umkmbot_broadcast_recipients{broadcast="` + id + `",state="failed"}`:    0,
		`umkmbot_broadcast_recipients{broadcast="` + id + `",state="skipped"}`:   0,
		`umkmbot_broadcast_recipients{broadcast="` + id + `",state="unknown"}`:   0,
	} {
		if got := value(t, body, series); got != want {
			t.Errorf("%s = %v, want %v", series, got, want)
		}
	}
	noPersonalData(t, body, owners[0].name, owners[0].nik, owners[0].phone, owners[0].business,
		owners[1].name, owners[1].nik, owners[2].phone, owners[2].business)

	close(ch.wait)
	deadline := time.Now().Add(30 * time.Second)
	for {
		bc, err := s.Broadcast(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if bc.Status == umkm.BroadcastDone {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("broadcast %s is %s after 30s", id, bc.Status)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if body := scrape(t, m); strings.Contains(body, "umkmbot_broadcast_recipients{") {
		t.Errorf("a finished broadcast still has series:\n%s", grepLines(body, "broadcast"))
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// noPersonalData fails when any of the given values, or their digits
// alone, appear in s.
func noPersonalData(t *testing.T, s string, values ...string) {
	t.Helper()
	for _, v := range values {
		if strings.Contains(s, v) || strings.Contains(s, strings.TrimPrefix(v, "+")) {
			t.Errorf("personal data %q in the scrape", v)
		}
	}
}

// TestRedisErrors counts failed commands through the hook, and not the
// answers the store expects.
func TestRedisErrors(t *testing.T) {
	srv := redistest.NewServer(t)
	m := ops.New(ops.Options{})
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr(), MaxRetries: -1, DialTimeout: time.Second})
	defer rdb.Close()
	rdb.AddHook(m.RedisHook())
	ctx := context.Background()
	if err := rdb.Get(ctx, "umkm-ops-test:none").Err(); !errors.Is(err, redis.Nil) {
		t.Fatalf("get: %v", err)
	}
	script := redis.NewScript(fmt.Sprintf("return %d", time.Now().UnixNano())) // not cached: NOSCRIPT, then EVAL
	if err := script.Run(ctx, rdb, []string{"umkm-ops-test:k"}).Err(); err != nil {
		t.Fatalf("script: %v", err)
	}
	if err := rdb.Do(ctx, "NOSUCHCOMMAND").Err(); err == nil {
		t.Fatal("unknown command accepted")
	}
	if body := scrape(t, m); grepLines(body, "umkmbot_redis_errors_total{") != `umkmbot_redis_errors_total{command="nosuchcommand",kind="server"} 1`+"\n" {
		t.Fatalf("expected answers counted as errors, or the server error not counted:\n%s", grepLines(body, "redis_errors"))
	}
	srv.Stop()
	rdb.Ping(ctx)
	rdb.Pipelined(ctx, func(p redis.Pipeliner) error { p.Get(ctx, "a"); p.Get(ctx, "b"); return nil })
	body := scrape(t, m)
	if got := value(t, body, `umkmbot_redis_errors_total{command="ping",kind="connection"}`); got != 1 {
		t.Errorf("ping errors = %v, want 1", got)
	}
	if got := value(t, body, `umkmbot_redis_errors_total{command="get",kind="connection"}`); got != 2 {
		t.Errorf("pipelined get errors = %v, want 2", got)
	}
	if strings.Contains(body, "umkm-ops-test") {
		t.Error("a key name reached the metrics")
	}
}

// TestHealthAndReady: /healthz answers while the process runs; /readyz
// fails while Redis is down or a channel is not connected, naming which.
func TestHealthAndReady(t *testing.T) {
	srv := redistest.NewServer(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr(), MaxRetries: -1, DialTimeout: 500 * time.Millisecond})
	defer rdb.Close()
	m := ops.New(ops.Options{Timeout: time.Second})
	m.AddCheck("redis", ops.RedisCheck(rdb))
	var waErr error
	var mu sync.Mutex
	m.AddCheck("whatsapp", ops.CheckFunc(func(context.Context) error { mu.Lock(); defer mu.Unlock(); return waErr }))

	if code, body := get(t, m, "/readyz"); code != 200 || body != "redis: ok\nwhatsapp: ok\n" {
		t.Fatalf("/readyz = %d %q", code, body)
	}
	srv.Stop()
	code, body := get(t, m, "/readyz")
	if code != http.StatusServiceUnavailable || !strings.HasPrefix(body, "redis: ") || strings.HasPrefix(body, "redis: ok") {
		t.Fatalf("/readyz with Redis down = %d %q", code, body)
	}
	if code, body := get(t, m, "/healthz"); code != 200 || body != "ok\n" {
		t.Fatalf("/healthz with Redis down = %d %q", code, body)
	}
	srv.Start()
	mu.Lock()
	waErr = errors.New("not connected")
	mu.Unlock()
	if code, body := get(t, m, "/readyz"); code != http.StatusServiceUnavailable || body != "redis: ok\nwhatsapp: not connected\n" {
		t.Fatalf("/readyz with WhatsApp down = %d %q", code, body)
	}
}

// TestServeAndProbe serves on a loopback port, probes it as the
// healthcheck command does, and stops gracefully with the context.
func TestServeAndProbe(t *testing.T) {
	m := ops.New(ops.Options{})
	bad := errors.New("redis down")
	m.AddCheck("redis", ops.CheckFunc(func(context.Context) error { return bad }))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ops.Serve(ctx, ln, m.Handler(), slogDiscard()) }()
	pctx, pcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer pcancel()
	if err := ops.Probe(pctx, ":"+port, "/healthz"); err != nil {
		t.Fatalf("probe /healthz on :%s: %v", port, err)
	}
	if err := ops.Probe(pctx, "0.0.0.0:"+port, "/readyz"); err == nil || !strings.Contains(err.Error(), "503") || !strings.Contains(err.Error(), "redis down") {
		t.Fatalf("probe /readyz = %v, want 503 naming redis", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}
	if err := ops.Probe(pctx, "127.0.0.1:"+port, "/healthz"); err == nil {
		t.Fatal("probe succeeded after shutdown")
	}
	if err := ops.Probe(pctx, "nonsense", "/healthz"); err == nil {
		t.Fatal("probe of a bad address succeeded")
	}
}

func slogDiscard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// TestWatchChannels: one series per registered channel, read at each
// scrape (a channel registered later appears), the bulk permission of
// those that report it, and the channel label limited to registered ids.
func TestWatchChannels(t *testing.T) {
	m := ops.New(ops.Options{})
	send := bot.SenderFunc(func(context.Context, bot.Conversation, bot.Reply) error { return nil })
	r := bot.NewChannels(bot.Channel{ID: bot.Telegram, Link: bot.Link{Sender: send}},
		bot.Channel{ID: bot.WhatsApp, Link: bot.Link{Bulk: banned{}}})
	if err := m.WatchChannels(r); err != nil {
		t.Fatal(err)
	}
	r.Register(bot.Channel{ID: "sms"})
	m.Send("sms", "ok")
	m.Send("fax", "ok")
	body := scrape(t, m)
	for _, want := range []string{
		`umkmbot_channel_linked{channel="telegram"} 1`, `umkmbot_channel_linked{channel="whatsapp"} 0`,
		`umkmbot_channel_linked{channel="sms"} 0`, `umkmbot_channel_bulk_allowed{channel="whatsapp"} 0`,
		`umkmbot_sends_total{channel="sms",result="ok"} 1`, `umkmbot_sends_total{channel="other",result="ok"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("scrape lacks %s", want)
		}
	}
	if strings.Contains(body, `umkmbot_channel_bulk_allowed{channel="telegram"}`) || strings.Contains(body, `channel="fax"`) {
		t.Errorf("series for what does not report it:\n%s", body)
	}
}
