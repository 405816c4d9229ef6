package telegram

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"unicode/utf16"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/umkmbot/umkmbot/bot"
)

// maxCaption is the longest photo caption Telegram takes, in UTF-16 code
// units; a longer text follows the photo as a message.
const maxCaption = 1024

var _ bot.PhotoSender = (*Adapter)(nil)

// sentPhoto remembers the file_id Telegram gave the last picture uploaded,
// so a broadcast uploads its picture once and sends the id to everyone else.
type sentPhoto struct {
	mu      sync.Mutex
	key, id string
}

func (s *sentPhoto) get(key string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.key == key {
		return s.id
	}
	return ""
}

func (s *sentPhoto) set(key, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.key, s.id = key, id
}

// SendPhoto sends a picture (sendPhoto) with caption's text under it: by
// file_id when the picture came from Telegram or was uploaded before,
// else uploaded from p.Data. Errors are those of Send.
func (a *Adapter) SendPhoto(ctx context.Context, to bot.Conversation, p bot.Photo, caption bot.Reply) error {
	chat, err := strconv.ParseInt(to.User, 10, 64)
	if err != nil || to.Channel != bot.Telegram {
		a.Stats.SendFailed.Add(1)
		a.Stats.Rejected.Add(1)
		a.obs.Send(bot.Telegram, "rejected")
		return fmt.Errorf("telegram: cannot send to a %s conversation: %w", to.Channel, bot.ErrRejected)
	}
	key := string(p.From) + "|" + p.Ref
	var file tgbotapi.RequestFileData
	switch id := a.photo.get(key); {
	case id != "":
		file = tgbotapi.FileID(id)
	case p.From == bot.Telegram && p.Ref != "":
		file = tgbotapi.FileID(p.Ref)
	case len(p.Data) > 0:
		file = tgbotapi.FileBytes{Name: "foto.jpg", Bytes: p.Data}
	default:
		return fmt.Errorf("telegram: a photo without a file id or bytes: %w", bot.ErrRejected)
	}
	text := caption.PlainText()
	long := len(utf16.Encode([]rune(text))) > maxCaption
	pc := tgbotapi.NewPhoto(chat, file)
	if !long {
		pc.Caption = text
	}
	resp, err := a.request(ctx, chat, pc)
	if err != nil {
		a.Stats.SendFailed.Add(1)
		return err
	}
	a.Stats.Sent.Add(1)
	var m tgbotapi.Message
	if resp != nil && json.Unmarshal(resp.Result, &m) == nil && len(m.Photo) > 0 {
		a.photo.set(key, largest(m.Photo).FileID)
	}
	if long {
		return a.Send(ctx, to, bot.Reply{Text: text})
	}
	return nil
}
