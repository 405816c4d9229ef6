package telegramtest

// The Bot API methods the server answers.

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

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
