package web

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/BurntSushi/toml"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/phone"
	"github.com/umkmbot/umkmbot/bot/umkm"
)

// The officers' inbox of hand-over tickets (issue 14): owners who asked
// for a person in the chat. An officer claims a ticket (a lease: nobody
// else answers it meanwhile), reads the owner's data and messages, replies
// and closes it with a short outcome. Replies are queued into the owner's
// conversation through the dispatcher, so they go out on the owner's own
// channel through the durable outbox, in order with the bot's replies and
// under the same rate limits, and are retried while the channel is down.

// TicketDesk keeps tickets (the officers' side).
type TicketDesk interface {
	Tickets(ctx context.Context, closed bool, max int) ([]*umkm.Ticket, error)
	Ticket(ctx context.Context, id string, msgs bool) (*umkm.Ticket, error)
	// ClaimTicket gives the claim to officer; a *umkm.HeldError names another holder.
	ClaimTicket(ctx context.Context, id, officer string, lease time.Duration, now time.Time) (*umkm.Ticket, error)
	// AnswerTicketMsg records a reply (text, a picture or document) of
	// the claim's holder m.Officer (taking a free claim) and returns its
	// number in the ticket.
	AnswerTicketMsg(ctx context.Context, id string, m umkm.TicketMsg, lease time.Duration, now time.Time) (int, error)
	// TransferTicket moves the claim from one officer to another.
	TransferTicket(ctx context.Context, id, from, to string, lease time.Duration, now time.Time) (*umkm.Ticket, error)
	CloseTicket(ctx context.Context, id, by, outcome string, at time.Time) error
}

// ConversationPoster queues a message into a conversation (the
// dispatcher's Submit): an officer's reply, a closed ticket.
type ConversationPoster interface {
	Submit(ctx context.Context, msg bot.Message) error
}

const (
	ticketLease    = 15 * time.Minute // how long a claim lasts without a reply
	ticketsShown   = 200
	maxTicketReply = 1000
	maxOutcome     = 200
)

var ticketViews = []string{"open", "mine", "waiting", "closed"}

type ticketListView struct {
	View    string
	Views   []string
	Tickets []*umkm.Ticket
	Now     time.Time
	Me      string // the signed-in officer
	Moved   int    // open tickets transferred to Me, not answered yet
}

func (s *Server) ticketsOn(w http.ResponseWriter, r *http.Request) bool {
	if s.deps.Tickets == nil || s.deps.Poster == nil {
		s.fail(w, r, http.StatusNotFound, "web.error.not_found")
		return false
	}
	return true
}

// ticketList is the inbox: open tickets oldest first, those the officer
// holds (or that were moved to them, until answered), those nobody
// holds, or the latest closed; tickets moved to the officer are counted
// and marked. The page refreshes
// itself every 30 seconds (no script needed).
func (s *Server) ticketList(w http.ResponseWriter, r *http.Request) {
	if !s.ticketsOn(w, r) {
		return
	}
	v := ticketListView{View: r.URL.Query().Get("view"), Views: ticketViews, Now: s.cfg.Now()}
	if v.View == "" || !strings.Contains(strings.Join(ticketViews, " "), v.View) {
		v.View = "open"
	}
	all, err := s.deps.Tickets.Tickets(r.Context(), v.View == "closed", ticketsShown)
	if err != nil {
		s.unavailable(w, r, "list tickets", err)
		return
	}
	me := officerOf(r).officer.Name
	v.Me = me
	for _, t := range all {
		if !s.inRegion(t) {
			continue
		}
		if t.MovedToYou(me) {
			v.Moved++
		}
		switch v.View {
		case "mine":
			// also moved to me and not answered yet, after the claim lapsed
			if t.HeldBy(v.Now) != me && !t.MovedToYou(me) {
				continue
			}
		case "waiting":
			if !t.Waiting(v.Now) {
				continue
			}
		}
		v.Tickets = append(v.Tickets, t)
	}
	s.render(w, r, http.StatusOK, "tickets", "web.tickets.title", v)
}

// inRegion: a deployment's console shows its own region's tickets.
func (s *Server) inRegion(t *umkm.Ticket) bool {
	code := s.cfg.Region.Code
	return code == "" || t.Region == "" || t.Region == code || strings.HasPrefix(t.Region, code+".")
}

type ticketView struct {
	Ticket   *umkm.Ticket
	Reg      *umkm.Registration // the owner's registration, names masked for pengamat
	Owner    string
	Phone    string
	HeldBy   string // who holds the claim now ("" nobody)
	Mine     bool
	Error    string // message id
	ErrorArg string
	Done     string // "claimed", "sent", "closed"
	Reply    string // as typed, when refused, or a canned reply picked
	Canned   []CannedReply
	Now      time.Time
	// Officers the ticket may be moved to (active, not pengamat, not the
	// holder); empty when the signed-in officer may not move it.
	Targets []*umkm.Officer
	// CanAttach: replies may carry a picture or a PDF.
	CanAttach bool
	// MovedToYou: transferred to the signed-in officer, not answered yet.
	MovedToYou bool
}

func (s *Server) loadTicket(w http.ResponseWriter, r *http.Request) (*umkm.Ticket, bool) {
	if !s.ticketsOn(w, r) {
		return nil, false
	}
	t, err := s.deps.Tickets.Ticket(r.Context(), r.PathValue("id"), true)
	if errors.Is(err, bot.ErrNotFound) || (err == nil && !s.inRegion(t)) {
		s.fail(w, r, http.StatusNotFound, "web.error.not_found")
		return nil, false
	}
	if err != nil {
		s.unavailable(w, r, "load ticket", err)
		return nil, false
	}
	return t, true
}

func (s *Server) ticketViewOf(r *http.Request, t *umkm.Ticket) ticketView {
	now := s.cfg.Now()
	me := officerOf(r).officer
	v := ticketView{Ticket: t, HeldBy: t.HeldBy(now), Now: now, Done: r.URL.Query().Get("done"), Canned: s.cfg.Canned}
	// ?canned=N puts canned reply N into the box (a link: no script needed).
	if n, err := strconv.Atoi(r.URL.Query().Get("canned")); err == nil && n >= 1 && n <= len(v.Canned) {
		v.Reply = v.Canned[n-1].Text
	}
	v.Mine = v.HeldBy == me.Name
	v.MovedToYou = t.MovedToYou(me.Name)
	v.CanAttach = s.deps.Images != nil
	if s.deps.Accounts != nil && me.Role.CanChange() && t.Status == umkm.TicketOpen && (v.Mine || v.HeldBy == "" || me.Role == umkm.RoleAdmin) {
		if all, err := s.deps.Accounts.Officers(r.Context()); err == nil {
			for _, o := range all {
				if !o.Disabled && o.Role.CanChange() && o.Name != me.Name && o.Name != v.HeldBy {
					v.Targets = append(v.Targets, o)
				}
			}
		}
	}
	if t.RegID != "" {
		if reg, err := s.deps.Registrations.Registration(r.Context(), t.RegID); err == nil {
			v.Reg, v.Owner, v.Phone = reg, reg.OwnerName, phone.Mask(reg.Phone)
			if !me.Role.CanChange() {
				v.Owner = maskName(reg.OwnerName)
			}
		}
	}
	return v
}

func (s *Server) ticketDetail(w http.ResponseWriter, r *http.Request) {
	t, ok := s.loadTicket(w, r)
	if !ok {
		return
	}
	s.render(w, r, http.StatusOK, "ticket", "web.tickets.ticket", s.ticketViewOf(r, t))
}

// ticketRefused shows the ticket again with why the action was refused.
func (s *Server) ticketRefused(w http.ResponseWriter, r *http.Request, id string, err error, reply string) {
	t, terr := s.deps.Tickets.Ticket(r.Context(), id, true)
	if terr != nil {
		s.unavailable(w, r, "load ticket", terr)
		return
	}
	v := s.ticketViewOf(r, t)
	v.Reply = reply
	var held *umkm.HeldError
	status := http.StatusConflict
	switch {
	case errors.As(err, &held):
		v.Error, v.ErrorArg = "web.tickets.error.held", held.Officer
	case errors.Is(err, umkm.ErrTicketClosed):
		v.Error = "web.tickets.error.closed"
	default:
		status, v.Error = http.StatusUnprocessableEntity, err.Error()
	}
	s.render(w, r, status, "ticket", "web.tickets.ticket", v)
}

func (s *Server) ticketDone(w http.ResponseWriter, r *http.Request, id, done string) {
	http.Redirect(w, r, "/tickets/"+url.PathEscape(id)+"?done="+done, http.StatusSeeOther)
}

// ticketClaim takes the ticket for the signed-in officer; when another
// officer holds it, the page says who.
func (s *Server) ticketClaim(w http.ResponseWriter, r *http.Request) {
	t, ok := s.loadTicket(w, r)
	if !ok {
		return
	}
	me := officerOf(r).officer.Name
	if _, err := s.deps.Tickets.ClaimTicket(r.Context(), t.ID, me, ticketLease, s.cfg.Now()); err != nil {
		if errors.Is(err, umkm.ErrTicketHeld) || errors.Is(err, umkm.ErrTicketClosed) {
			s.ticketRefused(w, r, t.ID, err, "")
			return
		}
		s.unavailable(w, r, "claim ticket", err, "ticket", t.ID)
		return
	}
	s.audit(r, "ticket_claim", t.ID, "")
	s.ticketDone(w, r, t.ID, "claimed")
}

// ticketReply records the officer's reply, with a picture or document or
// without, and queues it to the owner: the dispatcher's turn sends it
// through the durable outbox, the file by reference (bot.Attachment).
func (s *Server) ticketReply(w http.ResponseWriter, r *http.Request) {
	t, ok := s.loadTicket(w, r)
	if !ok {
		return
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		// in memory: the body is capped (securityHeaders); a larger one is
		// refused whole, never sent as its text without the file
		if err := r.ParseMultipartForm(maxAttachment + 64<<10); err != nil {
			problem := "web.tickets.error.file"
			if tooLarge := new(http.MaxBytesError); errors.As(err, &tooLarge) {
				problem = "web.tickets.error.file_large"
			}
			s.ticketRefused(w, r, t.ID, errors.New(problem), "")
			return
		}
	}
	text := strings.TrimSpace(bot.CleanText(r.PostFormValue("text")))
	media, problem := s.readAttachment(r)
	switch {
	case problem != "":
		s.ticketRefused(w, r, t.ID, errors.New(problem), text)
		return
	case text == "" && media == nil:
		s.ticketRefused(w, r, t.ID, errors.New("web.tickets.error.reply_or_file"), text)
		return
	case utf8.RuneCountInString(text) > maxTicketReply:
		s.ticketRefused(w, r, t.ID, errors.New("web.tickets.error.reply"), text)
		return
	}
	me := officerOf(r).officer
	now := s.cfg.Now()
	tm := umkm.TicketMsg{Officer: me.Name, Kind: bot.KindText, Text: text, Media: media}
	if media != nil {
		tm.Kind = bot.Kind(media.Type)
	}
	n, err := s.deps.Tickets.AnswerTicketMsg(r.Context(), t.ID, tm, ticketLease, now)
	if errors.Is(err, umkm.ErrTicketHeld) || errors.Is(err, umkm.ErrTicketClosed) {
		s.ticketRefused(w, r, t.ID, err, text)
		return
	}
	if err != nil {
		s.unavailable(w, r, "answer ticket", err, "ticket", t.ID)
		return
	}
	name := me.FullName
	if name == "" {
		name = me.Name
	}
	msg := bot.Message{ID: fmt.Sprintf("tk-%s-%d", t.ID, n), Conv: t.Conv, Time: now, Kind: bot.KindOfficer, Name: name, Text: text, Media: media}
	if err := s.deps.Poster.Submit(r.Context(), msg); err != nil {
		s.unavailable(w, r, "queue ticket reply", err, "ticket", t.ID)
		return
	}
	detail := ""
	if media != nil {
		detail = media.Type
	}
	s.audit(r, "ticket_reply", t.ID, detail)
	s.ticketDone(w, r, t.ID, "sent")
}

// ticketTransfer moves the ticket to another officer: the holder hands it
// on, anyone assigns a ticket nobody holds, and an admin may move one
// another officer holds (someone away). The new holder finds it under
// "mine"; the move is in the ticket's history and the audit log.
func (s *Server) ticketTransfer(w http.ResponseWriter, r *http.Request) {
	t, ok := s.loadTicket(w, r)
	if !ok {
		return
	}
	to := strings.TrimSpace(r.PostFormValue("to"))
	me := officerOf(r).officer
	now := s.cfg.Now()
	o, err := s.deps.Officers.Officer(r.Context(), to)
	if err != nil && !errors.Is(err, bot.ErrNotFound) {
		s.unavailable(w, r, "load officer", err)
		return
	}
	if err != nil || o.Disabled || !o.Role.CanChange() || to == me.Name {
		s.ticketRefused(w, r, t.ID, errors.New("web.tickets.error.transfer"), "")
		return
	}
	from := me.Name
	if h := t.HeldBy(now); h != "" && h != me.Name && me.Role == umkm.RoleAdmin {
		from = h
	}
	if h := t.HeldBy(now); h == to {
		s.ticketRefused(w, r, t.ID, errors.New("web.tickets.error.transfer"), "")
		return
	}
	if _, err := s.deps.Tickets.TransferTicket(r.Context(), t.ID, from, to, ticketLease, now); err != nil {
		if errors.Is(err, umkm.ErrTicketHeld) || errors.Is(err, umkm.ErrTicketClosed) {
			s.ticketRefused(w, r, t.ID, err, "")
			return
		}
		s.unavailable(w, r, "transfer ticket", err, "ticket", t.ID)
		return
	}
	s.audit(r, "ticket_transfer", t.ID, "from "+from+" to "+to)
	s.ticketDone(w, r, t.ID, "transferred")
}

// ticketClose closes the ticket with a short outcome; the owner is told
// and their conversation returns to the bot.
func (s *Server) ticketClose(w http.ResponseWriter, r *http.Request) {
	t, ok := s.loadTicket(w, r)
	if !ok {
		return
	}
	outcome := strings.TrimSpace(bot.CleanText(r.PostFormValue("outcome")))
	if utf8.RuneCountInString(outcome) > maxOutcome {
		s.ticketRefused(w, r, t.ID, errors.New("web.tickets.error.outcome"), "")
		return
	}
	me := officerOf(r).officer.Name
	now := s.cfg.Now()
	if h := t.HeldBy(now); h != "" && h != me {
		s.ticketRefused(w, r, t.ID, &umkm.HeldError{Officer: h, Until: t.LeaseUntil}, "")
		return
	}
	if t.Status == umkm.TicketClosed {
		s.ticketRefused(w, r, t.ID, umkm.ErrTicketClosed, "")
		return
	}
	if err := s.deps.Tickets.CloseTicket(r.Context(), t.ID, me, outcome, now); err != nil {
		s.unavailable(w, r, "close ticket", err, "ticket", t.ID)
		return
	}
	msg := bot.Message{ID: "tk-" + t.ID + "-closed", Conv: t.Conv, Time: now, Kind: bot.KindTicketClosed}
	if err := s.deps.Poster.Submit(r.Context(), msg); err != nil {
		s.unavailable(w, r, "queue ticket closed", err, "ticket", t.ID)
		return
	}
	s.audit(r, "ticket_close", t.ID, "")
	s.ticketDone(w, r, t.ID, "closed")
}

// CannedReply is a ready answer the officer puts into the reply box.
type CannedReply struct {
	Title string `toml:"title"`
	Text  string `toml:"text"`
}

//go:embed canned.toml
var defaultCanned []byte

// ParseCanned reads canned replies ([[reply]] tables with title and text);
// empty data gives the built-in ones.
func ParseCanned(data []byte) ([]CannedReply, error) {
	if len(data) == 0 {
		data = defaultCanned
	}
	var f struct {
		Reply []CannedReply `toml:"reply"`
	}
	if err := toml.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("canned replies: %w", err)
	}
	for i, c := range f.Reply {
		if strings.TrimSpace(c.Title) == "" || strings.TrimSpace(c.Text) == "" || utf8.RuneCountInString(c.Text) > maxTicketReply {
			return nil, fmt.Errorf("canned reply %d: a title and a text of at most %d characters are needed", i+1, maxTicketReply)
		}
	}
	return f.Reply, nil
}
