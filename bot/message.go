// Package bot is the channel-agnostic core of umkmbot: the message and reply
// types every channel converts to and from, conversation state, flows and
// steps, the engine that runs a turn, the dispatcher that orders and dedupes
// deliveries, and the interfaces the core consumes from storage and channels.
package bot

import (
	"strings"
	"time"
)

// ChannelID names a chat channel: "telegram", "whatsapp", "console".
type ChannelID string

// The program's channels. Their ids name stored data (conversation keys
// "c:telegram:42", a registration's channel, broadcast queues), so the
// core owns them as it owns field names, and the store, the exports and
// the web console name a channel without importing its package (and its
// SDK). Each channel package describes itself under its id (Channel).
const (
	Console  ChannelID = "console"
	Telegram ChannelID = "telegram"
	WhatsApp ChannelID = "whatsapp"
)

// Conversation identifies one person on one channel. It is the unit of
// ordering and of state: a person on Telegram and the same person on WhatsApp
// are two conversations.
type Conversation struct {
	Channel ChannelID
	User    string // channel-specific stable user id (Telegram user id; on WhatsApp a pseudonym of the number, see whatsapp.Users)
}

// String is the canonical form "channel:user", used in storage keys.
func (c Conversation) String() string { return string(c.Channel) + ":" + c.User }

// Masked is the form for logs and errors: a WhatsApp user id is a phone
// number, so all but its last four characters are hidden.
func (c Conversation) Masked() string { return string(c.Channel) + ":" + MaskUser(c.User) }

// ParseConversation is the inverse of Conversation.String.
func ParseConversation(s string) (Conversation, bool) {
	ch, user, ok := strings.Cut(s, ":")
	if !ok || ch == "" || user == "" {
		return Conversation{}, false
	}
	return Conversation{Channel: ChannelID(ch), User: user}, true
}

// Kind says what a user sent.
type Kind string

// Message kinds. Unsupported covers stickers, voice notes, videos, polls and
// anything else the bot cannot read; Media.Type says which.
const (
	KindText        Kind = "text"
	KindLocation    Kind = "location"
	KindContact     Kind = "contact"
	KindPhoto       Kind = "photo"
	KindDocument    Kind = "document"
	KindUnsupported Kind = "unsupported"
)

// Message is one inbound message, already converted from the channel's SDK
// types by the adapter.
type Message struct {
	ID   string // the channel's message id (unique per conversation); used for dedupe
	Conv Conversation
	Time time.Time
	Kind Kind

	Text     string    // text or caption
	Command  bool      // Text is an explicit command (Telegram "/daftar"): it may start a flow even mid-flow
	StartArg string    // deep-link payload (Telegram /start payload), e.g. "pelatihan_12"
	Location *Location // KindLocation
	Media    *Media    // KindPhoto, KindDocument, KindUnsupported
	Contact  *Contact  // KindContact

	// Facts the channel knows about the sender.
	Phone    string // E.164 phone number when the channel knows it (WhatsApp), else ""
	Name     string // display name, if any
	LangHint string // the client's language (Telegram language_code), if any
}

// Location is a shared map point.
type Location struct {
	Lat, Lon float64
	// Name and Address come with a place picked on the map (Telegram's
	// venue, WhatsApp's named location): "Alun-alun Kota Serang", "Jl.
	// …, Cipocok Jaya, Kota Serang". Empty for a bare pin.
	Name    string `json:",omitempty"`
	Address string `json:",omitempty"`
}

// Media is a reference to a file the user sent; the bytes stay with the
// channel until someone asks for them.
type Media struct {
	Type string // "photo", "document", "sticker", "voice", "video", "audio", ...
	Ref  string // channel file reference (Telegram file_id, WhatsApp local path or direct path)
	Mime string
	Size int64
	W, H int    // pixels, when known
	Name string // a document's file name, when known
}

// Contact is a shared contact card.
type Contact struct {
	Phone  string // as sent; normalise with NormalizePhone
	Name   string
	UserID string // the channel user id the contact belongs to, when the channel says (Telegram)
	Self   bool   // the channel confirmed the contact is the sender's own
}
