package telegramtest

// What simulated users send: updates for getUpdates (or the webhook).

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

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
