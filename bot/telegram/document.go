package telegram

import (
	"context"
	"fmt"
	"strconv"
	"unicode/utf16"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/umkmbot/umkmbot/bot"
)

var _ bot.DocumentSender = (*Adapter)(nil)

// SendDocument uploads a file (sendDocument) with caption's text under it;
// a caption longer than Telegram takes follows the file as a message.
// Errors are those of Send.
func (a *Adapter) SendDocument(ctx context.Context, to bot.Conversation, d bot.Document, caption bot.Reply) error {
	chat, err := strconv.ParseInt(to.User, 10, 64)
	if err != nil || to.Channel != bot.Telegram || len(d.Data) == 0 {
		a.Stats.SendFailed.Add(1)
		a.Stats.Rejected.Add(1)
		a.obs.Send(bot.Telegram, "rejected")
		return fmt.Errorf("telegram: cannot send this document to a %s conversation: %w", to.Channel, bot.ErrRejected)
	}
	name := d.Name
	if name == "" {
		name = "dokumen"
	}
	text := caption.PlainText()
	long := len(utf16.Encode([]rune(text))) > maxCaption
	dc := tgbotapi.NewDocument(chat, tgbotapi.FileBytes{Name: name, Bytes: d.Data})
	if !long {
		dc.Caption = text
	}
	if err := a.send(ctx, chat, dc); err != nil {
		a.Stats.SendFailed.Add(1)
		return err
	}
	a.Stats.Sent.Add(1)
	if long {
		return a.Send(ctx, to, bot.Reply{Text: text})
	}
	return nil
}
