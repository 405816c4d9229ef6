// Package ops makes a running umkmbot observable: Prometheus metrics
// (github.com/prometheus/client_golang) fed by the core's bot.Observer
// hook, collectors that read queue depths, broadcast progress and channel
// state when Prometheus scrapes, a go-redis hook counting Redis errors,
// and the /healthz and /readyz endpoints.
//
// No label carries personal data: labels are channel ids, flow ids,
// fixed result words, Redis command names and broadcast ids. The bot
// imports nothing of this package; cmd/umkmbot wires it.
package ops

import (
	"regexp"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/umkmbot/umkmbot/bot"
)

// Namespace prefixes every metric of umkmbot's own.
const Namespace = "umkmbot"

// Metrics is umkmbot's Prometheus registry and its bot.Observer. It is
// safe for concurrent use.
type Metrics struct {
	reg *prometheus.Registry

	turns     *prometheus.CounterVec
	turnTime  *prometheus.HistogramVec
	ingest    *prometheus.CounterVec
	sends     *prometheus.CounterVec
	takeovers prometheus.Counter
	events    *prometheus.CounterVec
	redisErrs *prometheus.CounterVec
	tickets   *ticketMetrics // ops/tickets.go
	timeout   time.Duration

	mu     sync.Mutex
	checks []namedCheck // readiness, in the order added

	channels atomic.Pointer[bot.Channels] // WatchChannels: the only channel label values
}

var _ bot.Observer = (*Metrics)(nil)

// Options tunes Metrics.
type Options struct {
	// Timeout bounds each source read at scrape time (queue depths,
	// broadcast progress) and each readiness check (default 2s).
	Timeout time.Duration
}

// New returns metrics with the Go runtime and process collectors and
// umkmbot's own series registered.
func New(o Options) *Metrics {
	if o.Timeout <= 0 {
		o.Timeout = 2 * time.Second
	}
	m := &Metrics{reg: prometheus.NewRegistry(), timeout: o.Timeout}
	m.turns = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: Namespace, Name: "turns_total",
		Help: "Turns run, by channel, flow (\"\" is the main menu) and outcome (ok, failed, panic).",
	}, []string{"channel", "flow", "outcome"})
	m.turnTime = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: Namespace, Name: "turn_duration_seconds",
		Help:    "Time from taking a message to its replies being committed, by channel and flow.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"channel", "flow"})
	m.ingest = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: Namespace, Name: "ingest_total",
		Help: "Deliveries from the channels, by channel and result: queued, duplicate (dropped by the dedupe window), flood, error.",
	}, []string{"channel", "result"})
	m.sends = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: Namespace, Name: "sends_total",
		Help: "Attempts to deliver a reply, by channel and result: ok, retry, unreachable, rejected, error.",
	}, []string{"channel", "result"})
	m.takeovers = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: Namespace, Name: "lease_takeovers_total",
		Help: "Conversations this process took over from another process whose lease had expired.",
	})
	m.events = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: Namespace, Name: "events_total",
		Help: "Other noteworthy events by name (fault_notice, …).",
	}, []string{"event"})
	m.redisErrs = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: Namespace, Name: "redis_errors_total",
		Help: "Redis commands that failed, by command and kind (connection, timeout, server). Expected answers (nil, NOSCRIPT, BUSYGROUP, a lost WATCH) are not errors.",
	}, []string{"command", "kind"})
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.turns, m.turnTime, m.ingest, m.sends, m.takeovers, m.events, m.redisErrs,
	)
	m.tickets = newTicketMetrics(m.reg)
	return m
}

// Registry is the registry behind /metrics, for more collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Turn counts a turn and its duration.
func (m *Metrics) Turn(ch bot.ChannelID, flow string, took time.Duration, outcome string) {
	c, flow := m.channel(ch), word(flow)
	m.turns.WithLabelValues(c, flow, word(outcome)).Inc()
	m.turnTime.WithLabelValues(c, flow).Observe(took.Seconds())
}

// Ingest counts a delivery from a channel.
func (m *Metrics) Ingest(ch bot.ChannelID, result string) {
	m.ingest.WithLabelValues(m.channel(ch), word(result)).Inc()
}

// Send counts an attempt to deliver a reply.
func (m *Metrics) Send(ch bot.ChannelID, result string) {
	m.sends.WithLabelValues(m.channel(ch), word(result)).Inc()
}

// Events with a series of their own; the rest go to events_total.
const (
	EventLeaseTakeover = "lease_takeover"
)

// Event counts a named event.
func (m *Metrics) Event(name string) {
	switch name {
	case EventLeaseTakeover:
		m.takeovers.Inc()
	default:
		m.events.WithLabelValues(word(name)).Inc()
	}
}

// channel is ch as a label value: once WatchChannels gave the registry,
// a channel it does not hold is "other", so that the channel label has
// one value per registered channel and no more.
func (m *Metrics) channel(ch bot.ChannelID) string {
	if r := m.channels.Load(); r != nil && !r.Has(ch) {
		return "other"
	}
	return word(string(ch))
}

var wordRE = regexp.MustCompile(`^[a-z0-9_.:-]{0,40}$`)

// word keeps a label value to the short fixed words the Observer contract
// promises, so a mistake elsewhere cannot put free text (or personal
// data) into a label or blow up the number of series.
func word(s string) string {
	if wordRE.MatchString(s) {
		return s
	}
	return "other"
}
