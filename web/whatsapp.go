package web

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strings"

	"rsc.io/qr"
)

// WhatsAppPairing links the Dinas's WhatsApp number to the bot from the
// console, as `umkmbot whatsapp pair` does in a terminal (cmd/umkmbot
// implements it with whatsmeow).
type WhatsAppPairing interface {
	// Pairing returns the pairing in progress or just ended; the zero
	// Pairing when none was started.
	Pairing(ctx context.Context) (Pairing, error)
	// StartPairing starts linking a number: by QR code when phone is "",
	// else by a code typed on that phone. ErrPaired when a number is
	// already linked, ErrBadPhone when phone is not a number.
	StartPairing(ctx context.Context, phone string) error
	// LogOut unlinks the number (the phone drops the linked device).
	LogOut(ctx context.Context) error
}

// Pairing is the state of linking the number.
type Pairing struct {
	Active    bool   // waiting for the phone
	QR        string // the QR code's content now shown; it rotates
	PhoneCode string // the pairing code to type on the phone ("ABCD-EFGH")
	Paired    bool   // the phone accepted; serve's channel connects the number next
	// Failed is "", "timeout" or "error" (message web.pair.failed.<Failed>).
	Failed string
}

var (
	// ErrPaired is returned by StartPairing when a number is already linked.
	ErrPaired = errors.New("a WhatsApp number is already paired")
	// ErrBadPhone is returned by StartPairing for a phone that is not a number.
	ErrBadPhone = errors.New("not a phone number")
	// ErrPairingElsewhere is returned by StartPairing while another serve
	// process sharing the Redis is pairing (two pairings would link two
	// devices).
	ErrPairingElsewhere = errors.New("a pairing is in progress in another serve process")
)

type pairView struct {
	State     WhatsAppState
	HasState  bool
	Can       bool // a pairing source is wired in this process
	Pairing   Pairing
	QR        template.HTML // the QR code as an inline SVG
	Phone     string        // as typed, when refused
	Error     string        // message id
	LoggedOut bool
}

// whatsAppPage shows the number's state and, while pairing, the QR code
// (the page reloads itself every few seconds as codes rotate) or the
// pairing code.
func (s *Server) whatsAppPage(w http.ResponseWriter, r *http.Request) {
	s.renderPair(w, r, http.StatusOK, pairView{LoggedOut: r.URL.Query().Get("loggedout") != ""})
}

func (s *Server) renderPair(w http.ResponseWriter, r *http.Request, status int, v pairView) {
	if s.deps.WhatsApp != nil {
		st, err := s.deps.WhatsApp.WhatsAppState(r.Context())
		if err != nil {
			s.cfg.Log.Warn("web: whatsapp state", "err", err)
		} else {
			v.State, v.HasState = st, true
		}
	}
	if p := s.deps.Pairing; p != nil {
		v.Can = true
		pr, err := p.Pairing(r.Context())
		if err != nil {
			s.unavailable(w, r, "whatsapp pairing", err)
			return
		}
		v.Pairing = pr
		if pr.Active && pr.QR != "" {
			svg, err := qrSVG(pr.QR)
			if err != nil {
				s.cfg.Log.Error("web: draw QR code", "err", err)
			}
			v.QR = svg
		}
	}
	s.render(w, r, status, "whatsapp", "web.pair.title", v)
}

// whatsAppPair starts pairing by QR code, or by pairing code when a phone
// number is given.
func (s *Server) whatsAppPair(w http.ResponseWriter, r *http.Request) {
	p := s.deps.Pairing
	if p == nil {
		s.fail(w, r, http.StatusNotFound, "web.pair.unavailable")
		return
	}
	phone := strings.TrimSpace(r.PostFormValue("phone"))
	if r.PostFormValue("by") == "code" && phone == "" {
		s.renderPair(w, r, http.StatusUnprocessableEntity, pairView{Error: "web.pair.error.phone"})
		return
	}
	err := p.StartPairing(r.Context(), phone)
	switch {
	case errors.Is(err, ErrPaired):
		s.renderPair(w, r, http.StatusConflict, pairView{Error: "web.pair.error.paired"})
		return
	case errors.Is(err, ErrPairingElsewhere):
		s.renderPair(w, r, http.StatusConflict, pairView{Error: "web.pair.error.elsewhere"})
		return
	case errors.Is(err, ErrBadPhone):
		s.renderPair(w, r, http.StatusUnprocessableEntity, pairView{Error: "web.pair.error.phone", Phone: phone})
		return
	case err != nil:
		s.unavailable(w, r, "start whatsapp pairing", err)
		return
	}
	s.audit(r, "whatsapp_pair", "whatsapp", map[bool]string{true: "qr", false: "code"}[phone == ""])
	http.Redirect(w, r, "/whatsapp", http.StatusSeeOther)
}

// whatsAppLogout unlinks the number.
func (s *Server) whatsAppLogout(w http.ResponseWriter, r *http.Request) {
	p := s.deps.Pairing
	if p == nil {
		s.fail(w, r, http.StatusNotFound, "web.pair.unavailable")
		return
	}
	if err := p.LogOut(r.Context()); err != nil {
		s.unavailable(w, r, "whatsapp log out", err)
		return
	}
	s.audit(r, "whatsapp_logout", "whatsapp", "")
	http.Redirect(w, r, "/whatsapp?loggedout=1", http.StatusSeeOther)
}

// qrSVG draws a QR code as an inline SVG (one path, a quiet zone of four
// modules), made here so the page needs nothing from the internet.
func qrSVG(text string) (template.HTML, error) {
	c, err := qr.Encode(text, qr.L)
	if err != nil {
		return "", err
	}
	const quiet = 4
	n := c.Size + 2*quiet
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="qr" viewBox="0 0 %d %d" shape-rendering="crispEdges"><rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="`, n, n, n, n)
	for y := 0; y < c.Size; y++ {
		for x := 0; x < c.Size; x++ {
			if c.Black(x, y) {
				fmt.Fprintf(&b, "M%d %dh1v1h-1z", x+quiet, y+quiet)
			}
		}
	}
	b.WriteString(`"/></svg>`)
	// The SVG is made of numbers only: nothing of the code's text is in it.
	return template.HTML(b.String()), nil
}
