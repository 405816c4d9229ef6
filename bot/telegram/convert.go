package telegram

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/umkmbot/umkmbot/bot"
)

// MaxText is Telegram's limit on one message's text, in characters.
const MaxText = 4096

// maxCallbackData is Telegram's limit on an inline button's callback data.
const maxCallbackData = 64

// ToMessage converts an update into the core's message. It reports false
// for updates the bot does not serve: edits, channel posts, service
// messages, and messages from groups unless allowGroups.
//
// The conversation is the chat: in a private chat that is the person's user
// id; in an allowed group the whole group shares one conversation. Message
// ids are "m<message_id>" (unique within a chat) and "c<callback id>".
func ToMessage(u tgbotapi.Update, allowGroups bool) (bot.Message, bool) {
	if cb := u.CallbackQuery; cb != nil {
		if cb.From == nil || cb.Data == "" {
			return bot.Message{}, false
		}
		chat := cb.From.ID
		if cb.Message != nil && cb.Message.Chat != nil {
			if !servedChat(cb.Message.Chat, allowGroups) {
				return bot.Message{}, false
			}
			chat = cb.Message.Chat.ID
		}
		return bot.Message{
			ID:       "c" + cb.ID,
			Conv:     conv(chat),
			Time:     time.Now(),
			Kind:     bot.KindText,
			Text:     cb.Data,
			Name:     fullName(cb.From.FirstName, cb.From.LastName),
			LangHint: cb.From.LanguageCode,
		}, true
	}
	m := u.Message
	if m == nil || m.Chat == nil || m.From == nil || !servedChat(m.Chat, allowGroups) {
		return bot.Message{}, false
	}
	msg := bot.Message{
		ID:       "m" + strconv.Itoa(m.MessageID),
		Conv:     conv(m.Chat.ID),
		Time:     time.Unix(int64(m.Date), 0),
		Name:     fullName(m.From.FirstName, m.From.LastName),
		LangHint: m.From.LanguageCode,
		Text:     m.Caption,
	}
	switch {
	case m.Text != "":
		msg.Kind = bot.KindText
		msg.Text = m.Text
		if cmd, args, ok := ParseCommand(m.Text); ok {
			msg.Command = true
			// A command cannot hold a space: "/pelatihan_saya" means
			// "pelatihan saya".
			msg.Text = strings.ReplaceAll(cmd, "_", " ")
			if cmd == "start" {
				msg.StartArg = args
			} else if args != "" {
				msg.Text += " " + args
			}
		}
	case m.Contact != nil:
		c := m.Contact
		msg.Kind = bot.KindContact
		msg.Contact = &bot.Contact{
			Phone: c.PhoneNumber,
			Name:  fullName(c.FirstName, c.LastName),
			Self:  c.UserID != 0 && c.UserID == m.From.ID,
		}
		if c.UserID != 0 {
			msg.Contact.UserID = strconv.FormatInt(c.UserID, 10)
		}
	case m.Venue != nil: // a place picked on the map: Telegram sends its location too
		msg.Kind = bot.KindLocation
		msg.Location = &bot.Location{Lat: m.Venue.Location.Latitude, Lon: m.Venue.Location.Longitude,
			Name: m.Venue.Title, Address: m.Venue.Address}
	case m.Location != nil:
		msg.Kind = bot.KindLocation
		msg.Location = &bot.Location{Lat: m.Location.Latitude, Lon: m.Location.Longitude}
	case len(m.Photo) > 0:
		p := largest(m.Photo)
		msg.Kind = bot.KindPhoto
		msg.Media = &bot.Media{Type: "photo", Ref: p.FileID, Mime: "image/jpeg", Size: int64(p.FileSize), W: p.Width, H: p.Height}
	case m.Document != nil && m.Animation == nil: // a GIF sets both
		d := m.Document
		msg.Kind = bot.KindDocument
		msg.Media = &bot.Media{Type: "document", Ref: d.FileID, Mime: d.MimeType, Size: int64(d.FileSize)}
	default:
		msg.Kind = bot.KindUnsupported
		msg.Media = unsupported(m)
	}
	return msg, true
}

// unsupported names what a message carries that the bot cannot read.
func unsupported(m *tgbotapi.Message) *bot.Media {
	switch {
	case m.Sticker != nil:
		return &bot.Media{Type: "sticker", Ref: m.Sticker.FileID, Size: int64(m.Sticker.FileSize), W: m.Sticker.Width, H: m.Sticker.Height}
	case m.Voice != nil:
		return &bot.Media{Type: "voice", Ref: m.Voice.FileID, Mime: m.Voice.MimeType, Size: int64(m.Voice.FileSize)}
	case m.Audio != nil:
		return &bot.Media{Type: "audio", Ref: m.Audio.FileID, Mime: m.Audio.MimeType, Size: int64(m.Audio.FileSize)}
	case m.VideoNote != nil:
		return &bot.Media{Type: "video_note", Ref: m.VideoNote.FileID, Size: int64(m.VideoNote.FileSize)}
	case m.Animation != nil:
		return &bot.Media{Type: "animation", Ref: m.Animation.FileID, Mime: m.Animation.MimeType, Size: int64(m.Animation.FileSize)}
	case m.Video != nil:
		return &bot.Media{Type: "video", Ref: m.Video.FileID, Mime: m.Video.MimeType, Size: int64(m.Video.FileSize), W: m.Video.Width, H: m.Video.Height}
	case m.Poll != nil:
		return &bot.Media{Type: "poll"}
	case m.Dice != nil:
		return &bot.Media{Type: "dice"}
	case m.Game != nil:
		return &bot.Media{Type: "game"}
	}
	return &bot.Media{Type: "other"}
}

func servedChat(c *tgbotapi.Chat, allowGroups bool) bool {
	switch c.Type {
	case "private":
		return true
	case "group", "supergroup":
		return allowGroups
	}
	return false // channels and anything new
}

func conv(chat int64) bot.Conversation {
	return bot.Conversation{Channel: bot.Telegram, User: strconv.FormatInt(chat, 10)}
}

func fullName(first, last string) string {
	return strings.TrimSpace(first + " " + last)
}

func largest(ps []tgbotapi.PhotoSize) tgbotapi.PhotoSize {
	best := ps[0]
	for _, p := range ps[1:] {
		if p.Width*p.Height > best.Width*best.Height ||
			(p.Width*p.Height == best.Width*best.Height && p.FileSize > best.FileSize) {
			best = p
		}
	}
	return best
}

// ParseCommand splits "/daftar@umkm_bot args" into "daftar" and "args". The
// command is lower-cased; ok is false when text is not a command.
func ParseCommand(text string) (cmd, args string, ok bool) {
	if !strings.HasPrefix(text, "/") {
		return "", "", false
	}
	head, args, _ := strings.Cut(text[1:], " ")
	head, _, _ = strings.Cut(head, "@")
	if i := strings.IndexAny(head, "\n\t"); i >= 0 {
		args = strings.TrimSpace(head[i:] + " " + args)
		head = head[:i]
	}
	if head == "" {
		return "", "", false
	}
	for _, r := range head {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return "", "", false
		}
	}
	return strings.ToLower(head), strings.TrimSpace(args), true
}

// Labels are the button texts the adapter puts on affordance buttons, in
// the bot's default language (the cmd renders them from the catalog).
type Labels struct {
	ShareContact  string
	ShareLocation string
}

// Keyboard says how numbered options are shown.
type Keyboard string

// Keyboards.
const (
	ReplyKeyboard  Keyboard = "reply"  // buttons under the input field that send "1. Label"
	InlineKeyboard Keyboard = "inline" // buttons under the message that send the option key as callback data
)

// Render turns a reply into sendMessage requests for chat: the text split
// at MaxText, plain (no parse mode, so user data cannot break markup), with
// the keyboard on the last part. Without options or an affordance the
// reply keyboard is removed. Inline buttons stay on their message; a reply
// keyboard closes after use, so then the text keeps the numbered list too
// and the chat history still shows what the numbers meant.
func Render(chat int64, r bot.Reply, kb Keyboard, labels Labels) []tgbotapi.MessageConfig {
	mk := markup(r, kb, labels)
	_, inline := mk.(tgbotapi.InlineKeyboardMarkup)
	return render(chat, r, mk, inline)
}

// render is Render with r's markup made: mk, an inline keyboard or not.
func render(chat int64, r bot.Reply, mk any, inline bool) []tgbotapi.MessageConfig {
	text := r.Text
	if !inline || text == "" {
		text = r.PlainText()
	}
	if text == "" {
		text = "…"
	}
	parts := SplitText(text, MaxText)
	out := make([]tgbotapi.MessageConfig, len(parts))
	for i, p := range parts {
		out[i] = tgbotapi.NewMessage(chat, p)
		out[i].DisableWebPagePreview = true
	}
	out[len(out)-1].ReplyMarkup = mk
	return out
}

// RenderFile returns the document a reply's file is sent as, ok false
// when it has none.
func RenderFile(chat int64, r bot.Reply) (doc tgbotapi.DocumentConfig, ok bool) {
	if r.File == nil || r.File.Text == "" {
		return doc, false
	}
	name := r.File.Name
	if name == "" {
		name = "salinan.txt"
	}
	return tgbotapi.NewDocument(chat, tgbotapi.FileBytes{Name: name, Bytes: []byte(r.File.Text)}), true
}

func markup(r bot.Reply, kb Keyboard, labels Labels) any {
	var ask *tgbotapi.KeyboardButton
	switch r.Ask {
	case bot.AskContact:
		b := tgbotapi.NewKeyboardButtonContact(or(labels.ShareContact, "📱"))
		ask = &b
	case bot.AskLocation:
		b := tgbotapi.NewKeyboardButtonLocation(or(labels.ShareLocation, "📍"))
		ask = &b
	}
	if len(r.Options) == 0 && ask == nil {
		return removeKeyboard
	}
	if kb == InlineKeyboard && ask == nil && keysFit(r.Options) {
		var rows [][]tgbotapi.InlineKeyboardButton
		for _, row := range layout(r.Options) {
			var bs []tgbotapi.InlineKeyboardButton
			for _, o := range row {
				bs = append(bs, tgbotapi.NewInlineKeyboardButtonData(buttonLabel(o), o.Key))
			}
			rows = append(rows, bs)
		}
		return tgbotapi.NewInlineKeyboardMarkup(rows...)
	}
	var rows [][]tgbotapi.KeyboardButton
	if ask != nil {
		rows = append(rows, []tgbotapi.KeyboardButton{*ask})
	}
	for _, row := range layout(r.Options) {
		var bs []tgbotapi.KeyboardButton
		for _, o := range row {
			bs = append(bs, tgbotapi.NewKeyboardButton(buttonLabel(o)))
		}
		rows = append(rows, bs)
	}
	k := tgbotapi.NewReplyKeyboard(rows...)
	k.OneTimeKeyboard = true
	return k
}

// shortLabel is the longest label (in characters) that still shares a row.
const shortLabel = 18

// layout puts options in rows: two short ones side by side, long ones alone.
func layout(opts []bot.ReplyOption) [][]bot.ReplyOption {
	var rows [][]bot.ReplyOption
	for i := 0; i < len(opts); i++ {
		if i+1 < len(opts) && short(opts[i]) && short(opts[i+1]) {
			rows = append(rows, opts[i:i+2])
			i++
			continue
		}
		rows = append(rows, opts[i:i+1])
	}
	return rows
}

func short(o bot.ReplyOption) bool { return utf8.RuneCountInString(buttonLabel(o)) <= shortLabel }

func buttonLabel(o bot.ReplyOption) string {
	if o.Label == "" {
		return o.Key
	}
	return o.Key + ". " + o.Label
}

func keysFit(opts []bot.ReplyOption) bool {
	for _, o := range opts {
		if o.Key == "" || len(o.Key) > maxCallbackData {
			return false
		}
	}
	return true
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// SplitText cuts s into parts of at most limit characters as Telegram
// counts them (UTF-16 code units: an emoji may count 2), at a line break
// when one is in the second half of the part, else at a space, else (one
// very long word) anywhere between two characters. Since replies are sent
// without a parse mode there is no markup to break.
func SplitText(s string, limit int) []string {
	if limit < 2 {
		limit = MaxText
	}
	var parts []string
	for utf16Len(s) > limit {
		cut := fit(s, limit) // s[:cut] is the longest prefix within limit
		at := -1
		if i := strings.LastIndexByte(s[:cut+1], '\n'); i > cut/2 {
			at = i
		} else if i := strings.LastIndexByte(s[:cut+1], ' '); i > 0 {
			at = i
		}
		if at <= 0 {
			parts = append(parts, s[:cut])
			s = s[cut:]
			continue
		}
		if p := strings.TrimRight(s[:at], " \n"); p != "" {
			parts = append(parts, p)
		}
		s = strings.TrimLeft(s[at+1:], " \n")
	}
	if s != "" || len(parts) == 0 {
		parts = append(parts, s)
	}
	return parts
}

// utf16Len is the length of s in UTF-16 code units.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16Width(r)
	}
	return n
}

func utf16Width(r rune) int {
	if r >= 0x10000 {
		return 2
	}
	return 1
}

// fit returns the byte length of the longest prefix of s that is at most
// limit UTF-16 code units long (len(s) when all of s fits).
func fit(s string, limit int) int {
	n := 0
	for i, r := range s {
		n += utf16Width(r)
		if n > limit {
			return i
		}
	}
	return len(s)
}
