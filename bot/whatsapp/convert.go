package whatsapp

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/phone"
)

// Skip says why an incoming event is not handed to the bot. The empty Skip
// means the message is taken.
type Skip string

// Reasons to skip.
const (
	Take           Skip = ""
	SkipSelf       Skip = "from_self"        // sent by the bot's own account (another linked device)
	SkipGroup      Skip = "group"            // a group chat
	SkipStatus     Skip = "status_broadcast" // a status update
	SkipNewsletter Skip = "newsletter"       // a channel (newsletter) post
	SkipServer     Skip = "other_server"     // bots, Messenger interop, anything not a person's chat
	SkipNoContent  Skip = "no_content"       // reactions, edits, deletions, poll votes, protocol messages
	SkipOld        Skip = "too_old"          // offline-queue or history message older than MaxAge
)

// LIDResolver finds the phone number behind an @lid id. whatsmeow's
// store.LIDStore (client.Store.LIDs) satisfies it.
type LIDResolver interface {
	GetPNForLID(ctx context.Context, lid types.JID) (types.JID, error)
}

// Converter turns whatsmeow message events into bot messages. Its zero
// value takes every message, whatever its age, and resolves @lid senders
// through the message's alternate address only.
type Converter struct {
	MaxAge time.Duration    // older messages are skipped (SkipOld); 0: no limit
	Now    func() time.Time // default time.Now
	LIDs   LIDResolver      // optional: whatsmeow's LID store
	// AllowGroups takes group chats too: the group is one conversation
	// (as on Telegram), answered in the group, with no phone of its own.
	AllowGroups bool
}

// Sender says how the sender of a converted message was identified, for logs.
type Sender struct {
	User     string    // the conversation user (phone digits, or "<lid>@lid")
	Chat     types.JID // where the message came from (for read receipts)
	From     types.JID // who sent it (for read receipts)
	Resolved string    // "pn" (a phone id), "alt" (SenderAlt), "store" (LID store), "" (an unresolved @lid)
}

// Convert maps evt to a bot message. A message that must not be answered
// comes back with a non-empty Skip and the message filled as far as known
// (ID, Conv, Time), so it can be logged.
func (c Converter) Convert(ctx context.Context, evt *events.Message) (bot.Message, Sender, Skip) {
	info := evt.Info
	msg := bot.Message{ID: info.ID, Time: info.Timestamp, Conv: bot.Conversation{Channel: bot.WhatsApp}}
	var who Sender
	switch {
	case info.IsFromMe:
		return msg, who, SkipSelf
	case info.Chat == types.StatusBroadcastJID || info.Chat.Server == types.BroadcastServer && info.Chat.User == types.StatusBroadcastJID.User:
		return msg, who, SkipStatus
	case info.Chat.Server == types.NewsletterServer || evt.NewsletterMeta != nil:
		return msg, who, SkipNewsletter
	case (info.IsGroup && !info.Chat.IsBroadcastList() || info.Chat.Server == types.GroupServer) && !c.AllowGroups:
		return msg, who, SkipGroup
	case info.Chat.Server == types.GroupServer:
		return c.group(evt, msg)
	case info.Chat.Server != types.BroadcastServer && !isPersonServer(info.Chat.Server):
		return msg, who, SkipServer
	}
	who = c.sender(ctx, info.MessageSource)
	if who.User == "" {
		return msg, who, SkipServer
	}
	msg.Conv.User = who.User
	if !strings.HasSuffix(who.User, lidSuffix) {
		msg.Phone = PhoneOf(types.NewJID(who.User, types.DefaultUserServer))
	}
	msg.Name = strings.TrimSpace(info.PushName)
	if c.MaxAge > 0 && !info.Timestamp.IsZero() && c.now().Sub(info.Timestamp) > c.MaxAge {
		return msg, who, SkipOld
	}
	if evt.IsEdit || evt.Message == nil || !fillContent(&msg, evt.Message) {
		return msg, who, SkipNoContent
	}
	if msg.Kind == bot.KindContact && msg.Contact != nil && msg.Phone != "" {
		if p, err := phone.Normalize(msg.Contact.Phone); err == nil && p == msg.Phone {
			msg.Contact.Self = true
		}
	}
	return msg, who, Take
}

// group converts a message of an allowed group chat: the conversation is
// the group ("<id>@g.us"), so the bot answers there; it has no phone.
func (c Converter) group(evt *events.Message, msg bot.Message) (bot.Message, Sender, Skip) {
	info := evt.Info
	who := Sender{User: info.Chat.User + groupSuffix, Chat: info.Chat, From: info.Sender, Resolved: "group"}
	msg.Conv.User = who.User
	msg.Name = strings.TrimSpace(info.PushName)
	if c.MaxAge > 0 && !info.Timestamp.IsZero() && c.now().Sub(info.Timestamp) > c.MaxAge {
		return msg, who, SkipOld
	}
	if evt.IsEdit || evt.Message == nil || !fillContent(&msg, evt.Message) {
		return msg, who, SkipNoContent
	}
	return msg, who, Take
}

func (c Converter) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func isPersonServer(s string) bool {
	return isPhoneServer(s) || s == types.HiddenUserServer
}

// sender resolves who sent a message: a phone id as it is; an @lid id
// through the message's alternate address (SenderAlt), else the LID store,
// else it stays an @lid conversation.
func (c Converter) sender(ctx context.Context, src types.MessageSource) Sender {
	from := src.Sender.ToNonAD()
	if from.IsEmpty() {
		from = src.Chat.ToNonAD()
	}
	s := Sender{Chat: src.Chat, From: src.Sender}
	var pn types.JID
	switch {
	case from == types.PSAJID || from == types.LegacyPSAJID || from == types.OfficialBusinessJID || from == types.MetaAIJID:
		return s // WhatsApp's own accounts: nobody to answer
	case isPhoneServer(from.Server):
		pn, s.Resolved = from, "pn"
	case from.Server != types.HiddenUserServer:
		return s
	case isPhoneServer(src.SenderAlt.Server) && src.SenderAlt.User != "":
		pn, s.Resolved = src.SenderAlt.ToNonAD(), "alt"
	case c.LIDs != nil:
		if got, err := c.LIDs.GetPNForLID(ctx, from); err == nil && isPhoneServer(got.Server) && got.User != "" {
			pn, s.Resolved = got.ToNonAD(), "store"
		}
	}
	if pn.IsEmpty() {
		pn = from
	}
	s.User, _ = ConvUser(pn)
	return s
}

// fillContent reads the content of m into msg; false when it is nothing a
// person typed or sent (a reaction, a deletion, a poll vote, a key share).
func fillContent(msg *bot.Message, m *waE2E.Message) bool {
	switch {
	case m.Conversation != nil:
		msg.Kind, msg.Text = bot.KindText, m.GetConversation()
	case m.ExtendedTextMessage != nil:
		msg.Kind, msg.Text = bot.KindText, m.GetExtendedTextMessage().GetText()
	case m.LocationMessage != nil:
		l := m.GetLocationMessage()
		msg.Kind, msg.Location = bot.KindLocation, &bot.Location{Lat: l.GetDegreesLatitude(), Lon: l.GetDegreesLongitude(),
			Name: l.GetName(), Address: l.GetAddress()}
	case m.LiveLocationMessage != nil:
		l := m.GetLiveLocationMessage()
		msg.Kind, msg.Location = bot.KindLocation, &bot.Location{Lat: l.GetDegreesLatitude(), Lon: l.GetDegreesLongitude()}
	case m.ContactMessage != nil:
		msg.Kind, msg.Contact = bot.KindContact, contactOf(m.GetContactMessage())
	case m.ContactsArrayMessage != nil && len(m.GetContactsArrayMessage().GetContacts()) > 0:
		msg.Kind, msg.Contact = bot.KindContact, contactOf(m.GetContactsArrayMessage().GetContacts()[0])
	case m.ImageMessage != nil:
		im := m.GetImageMessage()
		msg.Kind, msg.Text = bot.KindPhoto, im.GetCaption()
		msg.Media = &bot.Media{Type: "photo", Mime: im.GetMimetype(), Size: int64(im.GetFileLength()),
			W: int(im.GetWidth()), H: int(im.GetHeight()), Ref: imageRef(im)}
	case m.DocumentMessage != nil:
		d := m.GetDocumentMessage()
		msg.Kind, msg.Text = bot.KindDocument, d.GetCaption()
		msg.Media = &bot.Media{Type: "document", Mime: d.GetMimetype(), Size: int64(d.GetFileLength())}
	case m.StickerMessage != nil:
		msg.Kind, msg.Media = bot.KindUnsupported, &bot.Media{Type: "sticker", Mime: m.GetStickerMessage().GetMimetype()}
	case m.AudioMessage != nil:
		a := m.GetAudioMessage()
		typ := "audio"
		if a.GetPTT() {
			typ = "voice"
		}
		msg.Kind, msg.Media = bot.KindUnsupported, &bot.Media{Type: typ, Mime: a.GetMimetype(), Size: int64(a.GetFileLength())}
	case m.VideoMessage != nil || m.PtvMessage != nil:
		v := m.GetVideoMessage()
		if v == nil {
			v = m.GetPtvMessage()
		}
		msg.Kind, msg.Text = bot.KindUnsupported, v.GetCaption()
		msg.Media = &bot.Media{Type: "video", Mime: v.GetMimetype(), Size: int64(v.GetFileLength())}
	case m.PollCreationMessage != nil || m.PollCreationMessageV2 != nil || m.PollCreationMessageV3 != nil:
		msg.Kind, msg.Media = bot.KindUnsupported, &bot.Media{Type: "poll"}
	default:
		return false
	}
	return true
}

// contactOf reads a shared contact: the first number of its vCard.
func contactOf(cm *waE2E.ContactMessage) *bot.Contact {
	v := ParseVCard(cm.GetVcard())
	c := &bot.Contact{Name: strings.TrimSpace(cm.GetDisplayName())}
	if c.Name == "" {
		c.Name = v.Name
	}
	if len(v.Phones) > 0 {
		c.Phone = v.Phones[0]
	}
	return c
}

// refPrefix starts a media reference made by imageRef.
const refPrefix = "wa1:"

// imageRef keeps what is needed to download an image later (Fetch), as
// whatsmeow would download it from the message (its URL while that is
// valid, else the direct path), without its thumbnail: a few hundred bytes
// instead of the picture.
func imageRef(im *waE2E.ImageMessage) string {
	if im.GetDirectPath() == "" || len(im.GetMediaKey()) == 0 {
		return ""
	}
	keep := &waE2E.ImageMessage{
		URL: im.URL, DirectPath: im.DirectPath, MediaKey: im.MediaKey, FileSHA256: im.FileSHA256,
		FileEncSHA256: im.FileEncSHA256, FileLength: im.FileLength, Mimetype: im.Mimetype,
	}
	b, err := proto.Marshal(keep)
	if err != nil {
		return ""
	}
	return refPrefix + base64.RawURLEncoding.EncodeToString(b)
}

// errBadRef is returned by parseRef for references it did not make.
var errBadRef = errors.New("not a whatsapp media reference")

// parseRef is the inverse of imageRef.
func parseRef(ref string) (*waE2E.ImageMessage, error) {
	body, ok := strings.CutPrefix(ref, refPrefix)
	if !ok {
		return nil, errBadRef
	}
	b, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errBadRef, err)
	}
	var im waE2E.ImageMessage
	if err := proto.Unmarshal(b, &im); err != nil {
		return nil, fmt.Errorf("%w: %w", errBadRef, err)
	}
	return &im, nil
}
