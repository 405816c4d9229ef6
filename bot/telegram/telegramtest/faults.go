package telegramtest

// Faults the server can play: errors, hangs, blocked chats, latency.

import (
	"fmt"
	"time"
)

// Fail429 makes the next n sendMessage calls answer 429 with retry_after.
func (s *Server) Fail429(n, retryAfter int) {
	s.FailNext(n, 429, fmt.Sprintf("Too Many Requests: retry after %d", retryAfter), retryAfter)
}

// Fail500 makes the next n sendMessage calls answer 500.
func (s *Server) Fail500(n int) { s.FailNext(n, 500, "Internal Server Error", 0) }

// FailNext makes the next n sendMessage calls (after those already set to
// fail) answer code with the description desc, and retry_after when it is
// positive.
func (s *Server) FailNext(n, code int, desc string, retryAfter int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.fails = append(s.fails, failure{code, desc, retryAfter})
	}
}

// Hang makes the next n sendMessage calls deliver their message and then
// never answer (until the client gives up or the server closes): a reply
// that arrived although the bot saw a timeout.
func (s *Server) Hang(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hang += n
}

// Block makes sendMessage to chat answer 403 (the user blocked the bot).
func (s *Server) Block(chat int64) {
	s.FailChat(chat, 403, "Forbidden: bot was blocked by the user")
}

// FailChat makes every sendMessage to chat answer code with desc, e.g. 400
// "Bad Request: chat not found".
func (s *Server) FailChat(chat int64, code int, desc string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.blocked[chat] = failure{code: code, desc: desc}
}

// SetLatency delays every answer by d, as the network to Telegram does
// (tens of milliseconds from Indonesia).
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}
