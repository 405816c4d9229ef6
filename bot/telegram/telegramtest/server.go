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
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf16"

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
	total     int
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

// User is a simulated Telegram user in a private chat with the bot.
type User struct {
	ID   int64
	Name string
	Lang string
}

func (u User) from() *tgbotapi.User {
	return &tgbotapi.User{ID: u.ID, FirstName: u.Name, LanguageCode: u.Lang}
}

func (s *Server) message(u User) *tgbotapi.Message {
	s.nextMsg++
	return &tgbotapi.Message{MessageID: s.nextMsg, From: u.from(), Date: int(time.Now().Unix()),
		Chat: &tgbotapi.Chat{ID: u.ID, Type: "private", FirstName: u.Name}}
}

// Push queues an update for getUpdates, giving it the next update id when
// it has none, and returns the id. Pushing an update with an id already
// used delivers it again (as Telegram does after a lost acknowledgement).
func (s *Server) Push(u tgbotapi.Update) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pushLocked(u)
}

func (s *Server) pushLocked(u tgbotapi.Update) int {
	if u.UpdateID == 0 {
		u.UpdateID = s.nextID
		s.nextID++
	}
	raw, err := json.Marshal(u)
	if err != nil {
		panic("telegramtest: marshal update: " + err.Error())
	}
	s.queue(u.UpdateID, raw)
	return u.UpdateID
}

func (s *Server) queue(id int, raw json.RawMessage) {
	s.updates = append(s.updates, queued{id: id, raw: raw})
	close(s.changed)
	s.changed = make(chan struct{})
}

// PushRaw queues an update given as the JSON of its fields after
// update_id (e.g. `"message":{"message_id":"not-a-number"}`), with the
// next update id, and returns the id: an update the library may not decode.
func (s *Server) PushRaw(fields string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.nextID
	s.nextID++
	s.queue(id, json.RawMessage(fmt.Sprintf(`{"update_id":%d,%s}`, id, fields)))
	return id
}

// build makes an update from a private message of u and queues it.
func (s *Server) build(u User, fill func(m *tgbotapi.Message)) tgbotapi.Update {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.message(u)
	fill(m)
	up := tgbotapi.Update{Message: m}
	up.UpdateID = s.pushLocked(up)
	return up
}

// Text sends text from u (a "/command" gets its bot_command entity).
func (s *Server) Text(u User, text string) tgbotapi.Update {
	return s.build(u, func(m *tgbotapi.Message) {
		m.Text = text
		if strings.HasPrefix(text, "/") {
			n, _, _ := strings.Cut(text, " ")
			m.Entities = []tgbotapi.MessageEntity{{Type: "bot_command", Offset: 0, Length: len(n)}}
		}
	})
}

// Contact sends a shared contact; owner is the contact's user id (u.ID for
// the request_contact button).
func (s *Server) Contact(u User, phone string, owner int64) tgbotapi.Update {
	return s.build(u, func(m *tgbotapi.Message) {
		m.Contact = &tgbotapi.Contact{PhoneNumber: phone, FirstName: u.Name, UserID: owner}
	})
}

// Photo sends a photo in three sizes, the largest being fileID.
func (s *Server) Photo(u User, fileID, caption string) tgbotapi.Update {
	return s.build(u, func(m *tgbotapi.Message) {
		m.Caption = caption
		m.Photo = []tgbotapi.PhotoSize{
			{FileID: fileID + "-s", Width: 90, Height: 90, FileSize: 1500},
			{FileID: fileID, Width: 1280, Height: 960, FileSize: 154000},
			{FileID: fileID + "-m", Width: 320, Height: 240, FileSize: 12000},
		}
	})
}

// Press presses an inline button with callback data on the bot's message.
func (s *Server) Press(u User, data string) tgbotapi.Update {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.message(u)
	m.From = &tgbotapi.User{ID: BotID, IsBot: true, FirstName: "UMKM"}
	up := tgbotapi.Update{CallbackQuery: &tgbotapi.CallbackQuery{
		ID: "cb" + strconv.Itoa(s.nextMsg), From: u.from(), Message: m, ChatInstance: "ci", Data: data}}
	up.UpdateID = s.pushLocked(up)
	return up
}

// AddFile makes fileID downloadable with data.
func (s *Server) AddFile(fileID string, data []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files[fileID] = fileEntry{path: "photos/" + fileID + ".jpg", data: data}
}

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

// TotalSent counts messages sent to all chats.
func (s *Server) TotalSent() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total
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

type apiResp struct {
	OK          bool                         `json:"ok"`
	Result      any                          `json:"result,omitempty"`
	ErrorCode   int                          `json:"error_code,omitempty"`
	Description string                       `json:"description,omitempty"`
	Parameters  *tgbotapi.ResponseParameters `json:"parameters,omitempty"`
}

func reply(w http.ResponseWriter, code int, r apiResp) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(r)
}

func ok(w http.ResponseWriter, result any) { reply(w, 200, apiResp{OK: true, Result: result}) }

func fail(w http.ResponseWriter, code int, desc string) {
	reply(w, code, apiResp{ErrorCode: code, Description: desc})
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if rest, found := strings.CutPrefix(r.URL.Path, "/file/bot"+s.Token+"/"); found {
		s.download(w, rest)
		return
	}
	rest, found := strings.CutPrefix(r.URL.Path, "/bot"+s.Token+"/")
	if !found {
		fail(w, 401, "Unauthorized")
		return
	}
	parse := r.ParseForm
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		parse = func() error { return r.ParseMultipartForm(32 << 20) } // uploads (sendPhoto)
	}
	if err := parse(); err != nil {
		fail(w, 400, "Bad Request: "+err.Error())
		return
	}
	s.mu.Lock()
	s.calls[rest]++
	latency := s.latency
	s.mu.Unlock()
	if latency > 0 {
		time.Sleep(latency)
	}
	req := Request{Method: rest, Client: r.Header.Get(ClientHeader), At: time.Now(), Offset: formInt(r, "offset")}
	req.Chat, _ = strconv.ParseInt(r.Form.Get("chat_id"), 10, 64)
	rw := &statusWriter{ResponseWriter: w}
	w = rw
	defer func(i int) { s.setStatus(i, rw.code) }(s.logRequest(req))
	switch rest {
	case "getMe":
		ok(w, tgbotapi.User{ID: BotID, IsBot: true, FirstName: "UMKM", UserName: "umkm_test_bot"})
	case "getUpdates":
		s.getUpdates(w, r)
	case "sendMessage":
		s.sendMessage(w, r)
	case "sendDocument":
		s.sendDocument(w, r)
	case "sendPhoto":
		s.sendPhoto(w, r)
	case "answerCallbackQuery":
		s.mu.Lock()
		s.answered = append(s.answered, r.Form.Get("callback_query_id"))
		s.mu.Unlock()
		ok(w, true)
	case "getFile":
		s.mu.Lock()
		f, has := s.files[r.Form.Get("file_id")]
		s.mu.Unlock()
		if !has {
			fail(w, 400, "Bad Request: invalid file_id")
			return
		}
		ok(w, tgbotapi.File{FileID: r.Form.Get("file_id"), FileSize: len(f.data), FilePath: f.path})
	case "setWebhook":
		s.mu.Lock()
		s.webhook = hook{URL: r.Form.Get("url"), Secret: r.Form.Get("secret_token")}
		s.mu.Unlock()
		ok(w, true)
	case "deleteWebhook":
		s.mu.Lock()
		s.webhook = hook{}
		if drop, _ := strconv.ParseBool(r.Form.Get("drop_pending_updates")); drop {
			s.updates = nil
		}
		s.mu.Unlock()
		ok(w, true)
	case "getWebhookInfo":
		s.mu.Lock()
		info := tgbotapi.WebhookInfo{URL: s.webhook.URL, PendingUpdateCount: len(s.updates)}
		if info.URL != "" {
			info.AllowedUpdates = []string{"message", "callback_query"}
		}
		s.mu.Unlock()
		ok(w, info)
	case "setMyCommands":
		var cmds []tgbotapi.BotCommand
		if err := json.Unmarshal([]byte(r.Form.Get("commands")), &cmds); err != nil {
			fail(w, 400, "Bad Request: can't parse commands")
			return
		}
		s.mu.Lock()
		s.commands = cmds
		s.mu.Unlock()
		ok(w, true)
	default:
		fail(w, 404, "Not Found")
	}
}

// statusWriter remembers the status code written.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	w.code = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (s *Server) download(w http.ResponseWriter, path string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range s.files {
		if f.path == path {
			w.Header().Set("Content-Type", "image/jpeg")
			w.Write(f.data)
			return
		}
	}
	http.NotFound(w, nil)
}

func formInt(r *http.Request, name string) int {
	n, _ := strconv.Atoi(r.Form.Get(name))
	return n
}

func (s *Server) getUpdates(w http.ResponseWriter, r *http.Request) {
	offset, limit, timeout := formInt(r, "offset"), formInt(r, "limit"), formInt(r, "timeout")
	if limit <= 0 || limit > 100 {
		limit = 100
	}
	s.mu.Lock()
	s.polls[r.Header.Get(ClientHeader)]++
	if s.webhook.URL != "" {
		s.conflicts++
		s.mu.Unlock()
		fail(w, 409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first")
		return
	}
	if s.polling {
		s.conflicts++
		s.mu.Unlock()
		fail(w, 409, "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running")
		return
	}
	s.polling = true
	defer func() {
		s.mu.Lock()
		s.polling = false
		s.mu.Unlock()
	}()
	if offset > 0 { // confirms everything before offset
		kept := s.updates[:0]
		for _, u := range s.updates {
			if u.id >= offset {
				kept = append(kept, u)
			}
		}
		s.updates = kept
	}
	deadline := time.NewTimer(time.Duration(timeout) * time.Second)
	defer deadline.Stop()
	for {
		out := []json.RawMessage{}
		for _, u := range s.updates {
			if u.id >= offset && len(out) < limit {
				out = append(out, u.raw)
			}
		}
		if len(out) > 0 || timeout == 0 {
			s.mu.Unlock()
			ok(w, out)
			return
		}
		changed := s.changed
		s.mu.Unlock()
		select {
		case <-changed:
			s.mu.Lock()
		case <-deadline.C:
			ok(w, []tgbotapi.Update{})
			return
		case <-r.Context().Done():
			return
		}
	}
}

func (s *Server) sendMessage(w http.ResponseWriter, r *http.Request) {
	chat, err := strconv.ParseInt(r.Form.Get("chat_id"), 10, 64)
	text := r.Form.Get("text")
	if err != nil || text == "" {
		fail(w, 400, "Bad Request: chat_id and text are required")
		return
	}
	if n := len(utf16.Encode([]rune(text))); n > 4096 { // Telegram counts UTF-16 code units
		fail(w, 400, "Bad Request: message is too long")
		return
	}
	s.mu.Lock()
	f, blocked := s.blocked[chat]
	if !blocked && len(s.fails) > 0 {
		f, s.fails = s.fails[0], s.fails[1:]
		blocked = true
	}
	if blocked {
		s.mu.Unlock()
		r := apiResp{ErrorCode: f.code, Description: f.desc}
		if f.retryAfter > 0 {
			r.Parameters = &tgbotapi.ResponseParameters{RetryAfter: f.retryAfter}
		}
		reply(w, f.code, r)
		return
	}
	hang := s.hang > 0
	if hang {
		s.hang--
	}
	m := Sent{Chat: chat, Text: text, At: time.Now()}
	if mk := r.Form.Get("reply_markup"); mk != "" {
		m.Markup = json.RawMessage(mk)
	}
	s.sent[chat] = append(s.sent[chat], m)
	s.total++
	if wake := s.sentWake[chat]; wake != nil {
		close(wake)
		delete(s.sentWake, chat)
	}
	s.nextMsg++
	id := s.nextMsg
	s.mu.Unlock()
	if s.OnSend != nil {
		s.OnSend(m)
	}
	if hang {
		select {
		case <-r.Context().Done():
		case <-s.closed:
		}
		return
	}
	ok(w, tgbotapi.Message{MessageID: id, Date: int(m.At.Unix()), Chat: &tgbotapi.Chat{ID: chat, Type: "private"}, Text: text})
}

// Document is a file the bot sent with sendDocument.
type Document struct {
	Chat int64
	Name string
	Data []byte
}

func (s *Server) sendDocument(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseMultipartForm(8 << 20); err != nil {
		fail(w, 400, "Bad Request: "+err.Error())
		return
	}
	chat, _ := strconv.ParseInt(r.FormValue("chat_id"), 10, 64)
	f, h, err := r.FormFile("document")
	if err != nil {
		fail(w, 400, "Bad Request: there is no document in the request")
		return
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		fail(w, 400, "Bad Request: "+err.Error())
		return
	}
	s.mu.Lock()
	s.docs = append(s.docs, Document{Chat: chat, Name: h.Filename, Data: data})
	s.nextMsg++
	id := s.nextMsg
	s.mu.Unlock()
	ok(w, tgbotapi.Message{MessageID: id, Chat: &tgbotapi.Chat{ID: chat}, Date: int(time.Now().Unix()),
		Document: &tgbotapi.Document{FileName: h.Filename}})
}

// Documents returns the files the bot sent, in order.
func (s *Server) Documents() []Document {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Document(nil), s.docs...)
}

// sendPhoto takes a photo by file_id or uploaded (a new file_id is given,
// downloadable with getFile), with an optional caption.
func (s *Server) sendPhoto(w http.ResponseWriter, r *http.Request) {
	chat, err := strconv.ParseInt(r.Form.Get("chat_id"), 10, 64)
	if err != nil {
		fail(w, 400, "Bad Request: chat_id is required")
		return
	}
	caption := r.Form.Get("caption")
	if n := len(utf16.Encode([]rune(caption))); n > 1024 {
		fail(w, 400, "Bad Request: message caption is too long")
		return
	}
	s.mu.Lock()
	if len(s.fails) > 0 { // FailNext applies to pictures too
		f := s.fails[0]
		s.fails = s.fails[1:]
		s.mu.Unlock()
		reply(w, f.code, apiResp{ErrorCode: f.code, Description: f.desc})
		return
	}
	s.mu.Unlock()
	m := Sent{Chat: chat, Text: caption, At: time.Now(), PhotoID: r.Form.Get("photo")}
	if f, _, err := r.FormFile("photo"); err == nil {
		m.Photo, err = io.ReadAll(f)
		f.Close()
		if err != nil || len(m.Photo) == 0 {
			fail(w, 400, "Bad Request: empty photo")
			return
		}
	}
	s.mu.Lock()
	if m.Photo == nil {
		if _, has := s.files[m.PhotoID]; !has {
			s.mu.Unlock()
			fail(w, 400, "Bad Request: wrong file identifier/HTTP URL specified")
			return
		}
	}
	if f, blocked := s.blocked[chat]; blocked {
		s.mu.Unlock()
		reply(w, f.code, apiResp{ErrorCode: f.code, Description: f.desc})
		return
	}
	s.nextMsg++
	id := s.nextMsg
	fileID := m.PhotoID
	if m.Photo != nil {
		fileID = "photo-" + strconv.Itoa(id)
		s.files[fileID] = fileEntry{path: "photos/" + fileID + ".jpg", data: m.Photo}
	}
	s.sent[chat] = append(s.sent[chat], m)
	s.total++
	if wake := s.sentWake[chat]; wake != nil {
		close(wake)
		delete(s.sentWake, chat)
	}
	s.mu.Unlock()
	if s.OnSend != nil {
		s.OnSend(m)
	}
	ok(w, tgbotapi.Message{MessageID: id, Date: int(m.At.Unix()), Chat: &tgbotapi.Chat{ID: chat, Type: "private"}, Caption: caption,
		Photo: []tgbotapi.PhotoSize{{FileID: fileID, FileUniqueID: "u" + fileID, Width: 800, Height: 800}}})
}
