package ops

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Hand-over tickets by topic (issue 14): how many owners ask an officer,
// how long they wait until an officer takes their question and until the
// first answer, by topic: the flow the owner was in when they asked
// (daftar, pelatihan, jualan, …; "none" from the menu). Counted, never
// quoted: no label carries a ticket's text or its owner.
type ticketMetrics struct {
	opened *prometheus.CounterVec
	closed *prometheus.CounterVec
	wait   *prometheus.HistogramVec
	answer *prometheus.HistogramVec
}

// ticketBuckets span a front desk's day: a minute to three days.
var ticketBuckets = []float64{60, 300, 900, 1800, 3600, 2 * 3600, 4 * 3600, 8 * 3600, 24 * 3600, 72 * 3600}

func newTicketMetrics(reg *prometheus.Registry) *ticketMetrics {
	t := &ticketMetrics{
		opened: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "tickets_opened_total",
			Help: "Hand-over tickets opened (owners asking a Dinas officer), by topic: the flow the owner was in (none: the menu).",
		}, []string{"topic"}),
		closed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "tickets_closed_total",
			Help: "Hand-over tickets closed, by topic and by whom (owner, officer).",
		}, []string{"topic", "by"}),
		wait: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace, Name: "ticket_wait_seconds",
			Help:    "Time from a ticket's opening until an officer first took it (claim, reply or transfer), by topic.",
			Buckets: ticketBuckets,
		}, []string{"topic"}),
		answer: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace, Name: "ticket_first_answer_seconds",
			Help:    "Time from a ticket's opening until the first officer reply, by topic.",
			Buckets: ticketBuckets,
		}, []string{"topic"}),
	}
	reg.MustRegister(t.opened, t.closed, t.wait, t.answer)
	return t
}

// Ticket events (TicketEvent's event).
const (
	TicketOpened      = "opened"       // took: 0
	TicketTaken       = "taken"        // took: opened → first taken by an officer
	TicketFirstAnswer = "first_answer" // took: opened → first officer reply
	TicketClosedOwner = "closed_owner" // the owner ended it
	TicketClosedDesk  = "closed_officer"
)

// TicketEvent counts what happened to a ticket of topic (a flow id, ""
// for none) and, for taken and first_answer, how long it took.
func (m *Metrics) TicketEvent(event, topic string, took time.Duration) {
	if topic == "" {
		topic = "none"
	}
	topic = word(topic)
	switch event {
	case TicketOpened:
		m.tickets.opened.WithLabelValues(topic).Inc()
	case TicketTaken:
		m.tickets.wait.WithLabelValues(topic).Observe(took.Seconds())
	case TicketFirstAnswer:
		m.tickets.answer.WithLabelValues(topic).Observe(took.Seconds())
	case TicketClosedOwner:
		m.tickets.closed.WithLabelValues(topic, "owner").Inc()
	case TicketClosedDesk:
		m.tickets.closed.WithLabelValues(topic, "officer").Inc()
	}
}
