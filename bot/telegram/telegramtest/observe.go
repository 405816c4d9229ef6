package telegramtest

// What the bot did, as the server saw it: requests, messages sent, polls.

import (
	"context"
	"fmt"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// Requests returns the requests made to method (all when ""), in order.
func (s *Server) Requests(method string) []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Request
	for _, r := range s.log {
		if method == "" || r.Method == method {
			out = append(out, r)
		}
	}
	return out
}

// WaitRequest waits until a request to method satisfies match (nil: any)
// and returns it.
func (s *Server) WaitRequest(ctx context.Context, method string, match func(Request) bool) (Request, error) {
	for seen := 0; ; {
		s.mu.Lock()
		for ; seen < len(s.log); seen++ {
			if r := s.log[seen]; r.Method == method && (match == nil || match(r)) {
				s.mu.Unlock()
				return r, nil
			}
		}
		wake := s.logged
		s.mu.Unlock()
		select {
		case <-ctx.Done():
			return Request{}, fmt.Errorf("no matching %s request: %w", method, ctx.Err())
		case <-wake:
		}
	}
}

// logRequest records a request and returns its index for setStatus.
func (s *Server) logRequest(r Request) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = append(s.log, r)
	close(s.logged)
	s.logged = make(chan struct{})
	return len(s.log) - 1
}

func (s *Server) setStatus(i, code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log[i].Status = code
}

// Sent returns what the bot sent to chat so far.
func (s *Server) Sent(chat int64) []Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Sent(nil), s.sent[chat]...)
}

// WaitSent waits until chat got at least n messages and returns them all.
func (s *Server) WaitSent(ctx context.Context, chat int64, n int) ([]Sent, error) {
	for {
		s.mu.Lock()
		got := s.sent[chat]
		if len(got) >= n {
			out := append([]Sent(nil), got...)
			s.mu.Unlock()
			return out, nil
		}
		wake := s.sentWake[chat]
		if wake == nil {
			wake = make(chan struct{})
			s.sentWake[chat] = wake
		}
		s.mu.Unlock()
		select {
		case <-ctx.Done():
			return append([]Sent(nil), got...), fmt.Errorf("chat %d got %d of %d messages: %w", chat, len(got), n, ctx.Err())
		case <-wake:
		}
	}
}

// Calls counts the requests made to method.
func (s *Server) Calls(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[method]
}

// Polls counts getUpdates calls per ClientHeader value.
func (s *Server) Polls() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.polls))
	for k, v := range s.polls {
		out[k] = v
	}
	return out
}

// Conflicts counts getUpdates calls answered 409.
func (s *Server) Conflicts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conflicts
}

// Unconfirmed counts updates not yet confirmed by a getUpdates offset.
func (s *Server) Unconfirmed() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.updates)
}

// Answered lists the callback query ids answered.
func (s *Server) Answered() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.answered...)
}

// Webhook returns the registered webhook URL and secret ("" if none).
func (s *Server) Webhook() (url, secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.webhook.URL, s.webhook.Secret
}

// Commands returns the registered command menu.
func (s *Server) Commands() []tgbotapi.BotCommand {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]tgbotapi.BotCommand(nil), s.commands...)
}

// Document is a file the bot sent with sendDocument.
type Document struct {
	Chat int64
	Name string
	Data []byte
}

// Documents returns the files the bot sent, in order.
func (s *Server) Documents() []Document {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Document(nil), s.docs...)
}
