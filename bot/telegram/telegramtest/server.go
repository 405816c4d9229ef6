// Package telegramtest is a Bot API server on loopback for tests and load
// runs: it speaks the real HTTP shapes the adapter uses (getMe, getUpdates
// with offset/limit/timeout, sendMessage, sendPhoto (by file_id or upload),
// answerCallbackQuery, getFile and
// file downloads, setWebhook, deleteWebhook, getWebhookInfo,
// setMyCommands) and can answer 429 with retry_after, 403 for a blocked
// chat, 409 to a second poller, any error for the next sends (FailNext),
// hang a send after taking it (Hang), and deliver an update that does not
// decode (PushRaw). Every request is logged with its time (Requests).
package telegramtest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// ClientHeader names the test client that made a request (tests give each
// adapter an HTTP client that sets it), so polls can be counted per process.
const ClientHeader = "X-Test-Client"

// BotID is the fake bot's user id.
const BotID = 777000

// Sent is one message the bot sent.
type Sent struct {
	Chat int64
	Text string // a photo's caption
	// A photo (sendPhoto): the file_id sent, and the bytes when uploaded
	// (the server then gives them a new file_id).
	PhotoID string
	Photo   []byte
	Markup  json.RawMessage // reply_markup as sent, nil if none
	At      time.Time
}

// Server is the fake Bot API server.
type Server struct {
	URL   string // API base URL: give it as the adapter's API URL
	Token string
	srv   *httptest.Server

	// OnSend, if set before use, is called (without locks) for every
	// message sent, after it is recorded.
	OnSend func(Sent)

	mu        sync.Mutex
	changed   chan struct{} // closed and replaced when an update is pushed
	updates   []queued
	nextID    int
	nextMsg   int
	polling   bool
	polls     map[string]int
	conflicts int
	calls     map[string]int
	sent      map[int64][]Sent
	docs      []Document
	sentWake  map[int64]chan struct{}
	fails     []failure // answers for the next sendMessage calls, in order
	hang      int       // next sendMessage calls taken, then never answered
	blocked   map[int64]failure
	latency   time.Duration
	log       []Request
	logged    chan struct{} // closed and replaced when a request is logged
	closed    chan struct{}
	files     map[string]fileEntry
	answered  []string
	webhook   hook
	commands  []tgbotapi.BotCommand
}

type hook struct{ URL, Secret string }

// queued is an update waiting for getUpdates, as the JSON Telegram sends.
type queued struct {
	id  int
	raw json.RawMessage
}

// failure is an error answer: its code, description and retry_after.
type failure struct {
	code       int
	desc       string
	retryAfter int
}

// Request is one request the server got.
type Request struct {
	Method string
	Client string    // the ClientHeader value
	At     time.Time // when it arrived
	Chat   int64     // sendMessage: the chat
	Offset int       // getUpdates: the offset asked for
	Status int       // the HTTP status answered (0 when never answered)
}

type fileEntry struct {
	path string
	data []byte
}

// New starts a server for token on 127.0.0.1.
func New(token string) *Server {
	s := &Server{Token: token, changed: make(chan struct{}), nextID: 1, nextMsg: 1,
		polls: map[string]int{}, calls: map[string]int{}, sent: map[int64][]Sent{},
		sentWake: map[int64]chan struct{}{}, blocked: map[int64]failure{}, files: map[string]fileEntry{},
		logged: make(chan struct{}), closed: make(chan struct{})}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	return s
}

// Close stops the server.
func (s *Server) Close() {
	s.mu.Lock()
	select {
	case <-s.closed:
	default:
		close(s.closed)
	}
	s.mu.Unlock()
	s.srv.CloseClientConnections()
	s.srv.Close()
}

// AddFile makes fileID downloadable with data.
func (s *Server) AddFile(fileID string, data []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files[fileID] = fileEntry{path: "photos/" + fileID + ".jpg", data: data}
}
