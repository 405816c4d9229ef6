package ops

import (
	"context"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
)

// Broadcasts is what the broadcast gauges read at scrape time;
// *store.Store implements it.
type Broadcasts interface {
	// DueBroadcasts lists scheduled broadcasts whose time has come and
	// running ones; only the running ones are shown.
	DueBroadcasts(ctx context.Context, now time.Time) (due, running []string, err error)
	// Broadcast returns one broadcast with its counts.
	Broadcast(ctx context.Context, id string) (*umkm.Broadcast, error)
}

// WhatsAppState is the WhatsApp connection as the gauges show it.
type WhatsAppState struct {
	Connected       bool      // this process holds a live connection
	LoggedOut       bool      // the device was unlinked: pair again
	Restriction     string    // "temporary_ban", "reachout_timelock" or ""
	RestrictedUntil time.Time // when the restriction ends
}

// WhatsAppSource reports the WhatsApp connection.
type WhatsAppSource interface{ WhatsAppState() WhatsAppState }

// WhatsAppFunc adapts a function to WhatsAppSource.
type WhatsAppFunc func() WhatsAppState

// WhatsAppState calls f.
func (f WhatsAppFunc) WhatsAppState() WhatsAppState { return f() }

// TelegramCounts are the Telegram adapter's own counters since start.
type TelegramCounts struct {
	RateLimited int64 // 429 answers (Too Many Requests) waited out
	PollErrors  int64 // getUpdates calls that failed
	Conflicts   int64 // 409 answers: another poller or a webhook takes the updates
}

// TelegramSource reports the Telegram adapter's counters.
type TelegramSource interface{ TelegramCounts() TelegramCounts }

// TelegramFunc adapts a function to TelegramSource.
type TelegramFunc func() TelegramCounts

// TelegramCounts calls f.
func (f TelegramFunc) TelegramCounts() TelegramCounts { return f() }

// WhatsApp restrictions shown by umkmbot_whatsapp_restricted (the values
// of whatsapp.Restriction*).
var whatsappRestrictions = []string{"temporary_ban", "reachout_timelock"}

// collector is a prometheus.Collector made of its descriptions and a
// function that reads the current values.
type collector struct {
	descs   []*prometheus.Desc
	collect func(ctx context.Context, ch chan<- prometheus.Metric)
	timeout time.Duration
}

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d
	}
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	c.collect(ctx, ch)
}

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(prometheus.BuildFQName(Namespace, "", name), help, labels, nil)
}

func gauge(d *prometheus.Desc, v float64, labels ...string) prometheus.Metric {
	return prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
}

func counter(d *prometheus.Desc, v int64, labels ...string) prometheus.Metric {
	return prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
}

func flag(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// upDesc describes a source read at scrape time: 1 when it answered, 0
// when not (its series are then missing from that scrape).
func upDesc(source string) *prometheus.Desc {
	return desc(source+"_up", "1 when the "+source+" could be read for this scrape, else 0 and their series are missing.")
}

func (m *Metrics) register(what string, c prometheus.Collector) error {
	if err := m.reg.Register(c); err != nil {
		return fmt.Errorf("register %s metrics: %w", what, err)
	}
	return nil
}

// WatchQueues shows the durable queues' depths and oldest ages, read from
// q at each scrape (bounded by Options.Timeout).
func (m *Metrics) WatchQueues(q bot.QueueStatser) error {
	inDepth := desc("inbox_depth", "Messages queued in the durable inbox and not yet handled.")
	inAge := desc("inbox_oldest_seconds", "Age of the oldest message waiting in the inbox (0 when none).")
	outDepth := desc("outbox_depth", "Replies committed and not yet delivered.")
	outAge := desc("outbox_oldest_seconds", "Age of the oldest reply waiting in the outbox (0 when none).")
	up := upDesc("queues")
	return m.register("queue", collector{descs: []*prometheus.Desc{inDepth, inAge, outDepth, outAge, up}, timeout: m.timeout,
		collect: func(ctx context.Context, ch chan<- prometheus.Metric) {
			s, err := q.QueueStats(ctx)
			ch <- gauge(up, flag(err == nil))
			if err != nil {
				return
			}
			ch <- gauge(inDepth, float64(s.InboxDepth))
			ch <- gauge(inAge, s.InboxOldest.Seconds())
			ch <- gauge(outDepth, float64(s.OutboxDepth))
			ch <- gauge(outAge, s.OutboxOldest.Seconds())
		}})
}

// WatchBroadcasts shows the progress of every running broadcast, by its
// id, read from b at each scrape (DueBroadcasts also drops ended
// broadcasts from the active set, as the fan-out does every second).
// Finished, paused and cancelled broadcasts have no series.
func (m *Metrics) WatchBroadcasts(b Broadcasts) error {
	rcpt := desc("broadcast_recipients", "Recipients of a running broadcast by state: sent, failed, skipped, unknown, remaining.", "broadcast", "state")
	aud := desc("broadcast_audience", "Recipients a running broadcast was queued for.", "broadcast")
	up := upDesc("broadcasts")
	return m.register("broadcast", collector{descs: []*prometheus.Desc{rcpt, aud, up}, timeout: m.timeout,
		collect: func(ctx context.Context, ch chan<- prometheus.Metric) {
			_, running, err := b.DueBroadcasts(ctx, time.Time{})
			ok := err == nil
			defer func() { ch <- gauge(up, flag(ok)) }()
			for _, id := range running {
				bc, err := b.Broadcast(ctx, id)
				if err != nil {
					ok = false
					continue
				}
				if bc.Status != umkm.BroadcastRunning {
					continue
				}
				c, id := bc.Counts, word(bc.ID)
				ch <- gauge(aud, float64(c.Audience), id)
				for state, n := range map[string]int64{"sent": c.Sent, "failed": c.Failed, "skipped": c.Skipped,
					"unknown": c.Unknown, "remaining": c.Remaining()} {
					ch <- gauge(rcpt, float64(n), id, state)
				}
			}
		}})
}

// WatchWhatsApp shows the WhatsApp connection and restrictions (bans,
// reach-out time locks).
func (m *Metrics) WatchWhatsApp(s WhatsAppSource) error {
	conn := desc("whatsapp_connected", "1 while this process holds a live WhatsApp connection.")
	out := desc("whatsapp_logged_out", "1 when the linked device was removed: run `umkmbot whatsapp pair`.")
	restr := desc("whatsapp_restricted", "1 while WhatsApp restricts the number, by restriction (temporary_ban, reachout_timelock).", "restriction")
	until := desc("whatsapp_restricted_until_seconds", "When the current restriction ends, as a Unix time (0 when none).")
	return m.register("whatsapp", collector{descs: []*prometheus.Desc{conn, out, restr, until}, timeout: m.timeout,
		collect: func(_ context.Context, ch chan<- prometheus.Metric) {
			st := s.WhatsAppState()
			active := st.Restriction != "" && time.Now().Before(st.RestrictedUntil)
			ch <- gauge(conn, flag(st.Connected))
			ch <- gauge(out, flag(st.LoggedOut))
			for _, r := range whatsappRestrictions {
				ch <- gauge(restr, flag(active && st.Restriction == r), r)
			}
			end := 0.0
			if active {
				end = float64(st.RestrictedUntil.Unix())
			}
			ch <- gauge(until, end)
		}})
}

// WatchTelegram shows the Telegram adapter's counters.
func (m *Metrics) WatchTelegram(s TelegramSource) error {
	limited := desc("telegram_rate_limited_total", "429 Too Many Requests answers from Telegram, each waited out.")
	polls := desc("telegram_poll_errors_total", "getUpdates calls that failed.")
	conflicts := desc("telegram_conflicts_total", "409 answers: another process or a webhook takes this bot's updates.")
	return m.register("telegram", collector{descs: []*prometheus.Desc{limited, polls, conflicts}, timeout: m.timeout,
		collect: func(_ context.Context, ch chan<- prometheus.Metric) {
			c := s.TelegramCounts()
			ch <- counter(limited, c.RateLimited)
			ch <- counter(polls, c.PollErrors)
			ch <- counter(conflicts, c.Conflicts)
		}})
}

// WatchChannels shows every channel registered in r, read at each scrape
// (a channel linked while serving appears then): whether it runs in this
// process, and for one that reports it, whether it may send broadcasts
// now. From then on the channel label of turns, deliveries and sends is
// one of r's channel ids, or "other".
func (m *Metrics) WatchChannels(r *bot.Channels) error {
	linked := desc("channel_linked", "1 for a registered channel that runs in this process, 0 for one that does not (not enabled, not paired).", "channel")
	bulk := desc("channel_bulk_allowed", "1 while a channel allows messages nobody asked for (broadcasts), 0 while it holds them (a WhatsApp temporary ban); only channels that report it.", "channel")
	if err := m.register("channel", collector{descs: []*prometheus.Desc{linked, bulk}, timeout: m.timeout,
		collect: func(_ context.Context, ch chan<- prometheus.Metric) {
			for _, c := range r.All() {
				id := word(string(c.ID))
				ch <- gauge(linked, flag(c.Serves()), id)
				if c.Bulk != nil {
					ok, _ := c.Bulk.BulkAllowed()
					ch <- gauge(bulk, flag(ok), id)
				}
			}
		}}); err != nil {
		return err
	}
	m.channels.Store(r)
	return nil
}
