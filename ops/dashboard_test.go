package ops_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
	"github.com/umkmbot/umkmbot/ops"
)

// TestGrafanaDashboard: every metric the dashboard queries exists, and
// every umkmbot metric is on the dashboard.
func TestGrafanaDashboard(t *testing.T) {
	b, err := os.ReadFile("../deploy/grafana/umkmbot.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatalf("the dashboard is not JSON: %v", err)
	}

	m := ops.New(ops.Options{})
	m.Turn(bot.Telegram, "daftar", time.Millisecond, "ok")
	m.Ingest(bot.Telegram, "queued")
	m.Send(bot.Telegram, "ok")
	m.Event("fault_notice")
	for _, e := range []string{ops.TicketOpened, ops.TicketTaken, ops.TicketFirstAnswer, ops.TicketClosedOwner} {
		m.TicketEvent(e, "daftar", time.Minute)
	}
	failing := m.RedisHook().ProcessHook(func(context.Context, redis.Cmder) error { return errors.New("connection reset") })
	failing(context.Background(), redis.NewStatusCmd(context.Background(), "ping"))
	for _, err := range []error{
		m.WatchQueues(fakeQueues{}),
		m.WatchBroadcasts(oneRunning{}),
		m.WatchWhatsApp(fakeWA{}),
		m.WatchTelegram(ops.TelegramFunc(func() ops.TelegramCounts { return ops.TelegramCounts{} })),
		m.WatchChannels(bot.NewChannels(bot.Channel{ID: bot.WhatsApp, Link: bot.Link{Bulk: banned{}}})),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	families, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, f := range families {
		names[f.GetName()] = true
	}
	if !names["umkmbot_broadcast_recipients"] || !names["umkmbot_redis_errors_total"] {
		t.Fatalf("the test does not make every family appear: %v", names)
	}

	metricRE := regexp.MustCompile(`\b(?:umkmbot|go|process)_[a-z_]+\b`)
	used := map[string]bool{}
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			for _, n := range metricRE.FindAllString(tg.Expr, -1) {
				base := n
				for _, suf := range []string{"_bucket", "_sum", "_count"} {
					if b, ok := strings.CutSuffix(n, suf); ok && names[b] {
						base = b
					}
				}
				if !names[base] {
					t.Errorf("panel %q queries %s, which umkmbot does not export", p.Title, n)
				}
				used[base] = true
			}
		}
	}
	var missing []string
	for n := range names {
		if strings.HasPrefix(n, ops.Namespace+"_") && !used[n] {
			missing = append(missing, n)
		}
	}
	slices.Sort(missing)
	if len(missing) > 0 {
		t.Errorf("metrics not on the dashboard: %v", missing)
	}
}

// banned is a channel's bulk permission during a ban.
type banned struct{}

func (banned) BulkAllowed() (bool, time.Time) { return false, time.Now().Add(time.Hour) }

// oneRunning is a broadcast store with broadcast 1 running.
type oneRunning struct{}

func (oneRunning) DueBroadcasts(context.Context, time.Time) ([]string, []string, error) {
	return nil, []string{"1"}, nil
}

func (oneRunning) Broadcast(context.Context, string) (*umkm.Broadcast, error) {
	return &umkm.Broadcast{ID: "1", Status: umkm.BroadcastRunning, Counts: umkm.BroadcastCounts{Audience: 10, Sent: 4}}, nil
}
