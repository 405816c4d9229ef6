package telegram

import (
	"reflect"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// The usual updates (a message with text, a contact, a location or venue,
// a photo, a document, a voice note or a sticker; an edited message; a
// callback query with the bot's message and its inline keyboard) are read
// here straight into the library's types, without
// encoding/json's validity scan and reflection, which were 6–7 % of
// serve's CPU. The result is exactly what json.Unmarshal gives
// (FuzzDecodeFastMatchesLibrary, TestDecodeFastShapes): anything this
// reader is not sure of gives up (ok false) and encoding/json decides. It
// gives up on:
//   - a member the library knows but this reader does not read (a forward,
//     a poll, a chat's photo, ...), and any name that differs from a known
//     one only in case or is not ASCII (encoding/json matches names
//     case-insensitively);
//   - a member given twice (encoding/json merges a repeated object), null,
//     a value of another JSON type than the field's, a number the field
//     cannot hold, anything that is not well-formed JSON, and nesting
//     deeper than maxFastDepth.
// Members the library does not know are skipped, as encoding/json skips
// them, after checking that they are well-formed.
//
// Allocations: the string fields of one update share one string (the
// values only, not the JSON around them), and a message shares one
// allocation with its sender and chat: about 3 allocations an update
// instead of 14.

// decodeUpdateFast decodes one update that is the whole of raw (white
// space around it allowed). ok false: not one of the usual shapes; the
// caller decodes raw with encoding/json instead.
func decodeUpdateFast(raw []byte) (u tgbotapi.Update, ok bool) {
	if !fastReadable {
		return u, false
	}
	s := fastScanner{b: raw, text: make([]byte, 0, len(raw)), refs: make([]textRef, 0, 16)}
	s.ws()
	if !s.update(&u) {
		return tgbotapi.Update{}, false
	}
	s.ws()
	if s.i != len(s.b) {
		return tgbotapi.Update{}, false
	}
	s.finish()
	return u, true
}

// maxFastDepth bounds the nesting this reader follows (encoding/json's own
// limit is 10,000): deeper input is left to encoding/json.
const maxFastDepth = 64

// fastScanner reads JSON from b at i. Its methods return false to give
// up; the position is then of no use.
type fastScanner struct {
	b     []byte
	i     int
	depth int

	// The strings of one update are made as one allocation: their bytes
	// gathered in text, the fields they go to in refs (finish).
	text []byte
	refs []textRef
}

// textRef is a string field waiting for its bytes, text[from:to].
type textRef struct {
	dst      *string
	from, to int
}

// finish gives the string fields of the update just read their values,
// one string holding them all, and gets ready for the next update.
func (s *fastScanner) finish() {
	all := string(s.text)
	for i, r := range s.refs {
		*r.dst = all[r.from:r.to]
		s.refs[i].dst = nil
	}
	s.text, s.refs = s.text[:0], s.refs[:0]
}

// reset drops what an update given up left.
func (s *fastScanner) reset() {
	clear(s.refs)
	s.text, s.refs = s.text[:0], s.refs[:0]
}

func (s *fastScanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// peek returns the byte at the position (0 at the end).
func (s *fastScanner) peek() byte {
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

// member results of a type's reader: the bit of a member it read (0–63),
// or one of these.
const (
	memberUnknown = -1 // not read here: skipped if the library does not know it either
	memberBad     = -2 // give up
	memberSkipped = -3 // read and ignored: it may be repeated
)

// object reads an object, s at its '{'. member reads the value of a
// member it knows and returns its bit, memberUnknown for any other
// member (its value not read), memberBad to give up; known holds the
// library's names of the type's fields, folded as fold does.
func (s *fastScanner) object(known map[string]bool, member func(key []byte) int) bool {
	if s.peek() != '{' || s.depth >= maxFastDepth {
		return false
	}
	s.i++
	s.depth++
	s.ws()
	if s.peek() == '}' {
		s.i++
		s.depth--
		return true
	}
	var seen uint64
	for {
		key, ok := s.key()
		if !ok {
			return false
		}
		s.ws()
		if s.peek() != ':' {
			return false
		}
		s.i++
		s.ws()
		switch bit := member(key); {
		case bit >= 0:
			if seen&(1<<bit) != 0 {
				return false
			}
			seen |= 1 << bit
		case bit == memberUnknown:
			if libraryKnows(known, key) || !s.skip() {
				return false
			}
		case bit == memberSkipped:
		default:
			return false
		}
		if end, ok := s.after('}'); end || !ok {
			return ok
		}
	}
}

// after reads what follows a member or an element: a comma (more come:
// end false) or close (the object or array ends here: end true); ok is
// false for anything else.
func (s *fastScanner) after(close byte) (end, ok bool) {
	s.ws()
	if s.i >= len(s.b) {
		return false, false
	}
	c := s.b[s.i]
	s.i++
	switch c {
	case ',':
		s.ws()
		return false, true
	case close:
		s.depth--
		return true, true
	}
	return false, false
}

// array reads an array, s at its '['; elem reads one element.
func (s *fastScanner) array(elem func() bool) bool {
	if s.peek() != '[' || s.depth >= maxFastDepth {
		return false
	}
	s.i++
	s.depth++
	s.ws()
	if s.peek() == ']' {
		s.i++
		s.depth--
		return true
	}
	for {
		if !elem() {
			return false
		}
		if end, ok := s.after(']'); end || !ok {
			return ok
		}
	}
}

// key reads a member's name: its bytes in b when it has no escape, else
// a copy unquoted.
func (s *fastScanner) key() ([]byte, bool) {
	raw, escaped, ok := s.stringToken()
	if !ok {
		return nil, false
	}
	if !escaped {
		return raw, true
	}
	return unquoteJSON(nil, raw), true
}

// str reads a string value into *v (when the update is finished).
func (s *fastScanner) str(v *string) int {
	raw, escaped, ok := s.stringToken()
	if !ok {
		return memberBad
	}
	if !escaped {
		if c, ok := common(raw); ok {
			*v = c
			return 0
		}
	}
	from := len(s.text)
	if escaped {
		s.text = unquoteJSON(s.text, raw)
	} else {
		s.text = append(s.text, raw...)
	}
	s.refs = append(s.refs, textRef{v, from, len(s.text)})
	return 0
}

// common returns raw as a string, ok for the values most updates repeat,
// which need no allocation.
func common(raw []byte) (_ string, ok bool) {
	switch string(raw) {
	case "":
		return "", true
	case "private":
		return "private", true
	case "group":
		return "group", true
	case "supergroup":
		return "supergroup", true
	case "id":
		return "id", true
	case "en":
		return "en", true
	case "bot_command":
		return "bot_command", true
	case "image/jpeg":
		return "image/jpeg", true
	case "audio/ogg":
		return "audio/ogg", true
	case "application/pdf":
		return "application/pdf", true
	}
	return "", false
}

// stringToken reads a string, s at its '"': raw is what is between the
// quotes, escaped whether it holds an escape or bytes that are not valid
// UTF-8 (both need unquoteJSON). False when it is not a valid JSON
// string (a control character, a bad escape, no end).
func (s *fastScanner) stringToken() (raw []byte, escaped, ok bool) {
	if s.peek() != '"' {
		return nil, false, false
	}
	s.i++
	start := s.i
	ascii := true
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			raw = s.b[start:s.i]
			s.i++
			if !ascii && !escaped && !utf8.Valid(raw) {
				escaped = true
			}
			return raw, escaped, true
		case c == '\\':
			escaped = true
			if s.i+1 >= len(s.b) {
				return nil, false, false
			}
			switch s.b[s.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.i += 2
			case 'u':
				if s.i+6 > len(s.b) {
					return nil, false, false
				}
				for _, h := range s.b[s.i+2 : s.i+6] {
					if !isHex(h) {
						return nil, false, false
					}
				}
				s.i += 6
			default:
				return nil, false, false
			}
		case c < 0x20:
			return nil, false, false
		default:
			if c >= utf8.RuneSelf {
				ascii = false
			}
			s.i++
		}
	}
	return nil, false, false
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// unquoteJSON appends the inside of a valid JSON string s (stringToken
// checked its escapes) to b decoded as encoding/json does: a lone or
// broken surrogate and each byte that is not UTF-8 become U+FFFD.
func unquoteJSON(b, s []byte) []byte {
	for r := 0; r < len(s); {
		c := s[r]
		switch {
		case c == '\\':
			switch e := s[r+1]; e {
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case 'u':
				rr := hex4(s[r+2:])
				r += 6
				if utf16.IsSurrogate(rr) {
					if r+6 <= len(s) && s[r] == '\\' && s[r+1] == 'u' {
						if dec := utf16.DecodeRune(rr, hex4(s[r+2:])); dec != utf8.RuneError {
							r += 6
							b = utf8.AppendRune(b, dec)
							continue
						}
					}
					rr = utf8.RuneError
				}
				b = utf8.AppendRune(b, rr)
				continue
			default: // " \ /
				b = append(b, e)
			}
			r += 2
		case c < utf8.RuneSelf:
			b = append(b, c)
			r++
		default:
			rr, size := utf8.DecodeRune(s[r:])
			r += size
			b = utf8.AppendRune(b, rr) // RuneError for a byte that is not UTF-8
		}
	}
	return b
}

func hex4(s []byte) rune {
	var r rune
	for _, c := range s[:4] {
		switch {
		case c <= '9':
			c -= '0'
		case c >= 'a':
			c -= 'a' - 10
		default:
			c -= 'A' - 10
		}
		r = r<<4 | rune(c)
	}
	return r
}

// numberToken reads a JSON number: its text, and whether it is an integer
// (no fraction or exponent).
func (s *fastScanner) numberToken() (num []byte, integer, ok bool) {
	start := s.i
	if s.peek() == '-' {
		s.i++
	}
	switch c := s.peek(); {
	case c == '0':
		s.i++
	case '1' <= c && c <= '9':
		for s.i++; s.i < len(s.b) && '0' <= s.b[s.i] && s.b[s.i] <= '9'; s.i++ {
		}
	default:
		return nil, false, false
	}
	integer = true
	if s.peek() == '.' {
		integer = false
		s.i++
		if !s.digits() {
			return nil, false, false
		}
	}
	if c := s.peek(); c == 'e' || c == 'E' {
		integer = false
		s.i++
		if c := s.peek(); c == '+' || c == '-' {
			s.i++
		}
		if !s.digits() {
			return nil, false, false
		}
	}
	return s.b[start:s.i], integer, true
}

// digits reads one or more digits.
func (s *fastScanner) digits() bool {
	start := s.i
	for s.i < len(s.b) && '0' <= s.b[s.i] && s.b[s.i] <= '9' {
		s.i++
	}
	return s.i > start
}

// int64 reads an integer into *v: a number with a fraction or an exponent,
// or one out of range, is an error for encoding/json.
func (s *fastScanner) int64(v *int64) int {
	num, integer, ok := s.numberToken()
	if !ok || !integer {
		return memberBad
	}
	n, err := strconv.ParseInt(string(num), 10, 64)
	if err != nil {
		return memberBad
	}
	*v = n
	return 0
}

func (s *fastScanner) int(v *int) int {
	var n int64
	if s.int64(&n) != 0 || int64(int(n)) != n {
		return memberBad
	}
	*v = int(n)
	return 0
}

func (s *fastScanner) float(v *float64) int {
	num, _, ok := s.numberToken()
	if !ok {
		return memberBad
	}
	f, err := strconv.ParseFloat(string(num), 64)
	if err != nil {
		return memberBad
	}
	*v = f
	return 0
}

func (s *fastScanner) bool(v *bool) int {
	switch {
	case s.literal("true"):
		*v = true
	case s.literal("false"):
		*v = false
	default:
		return memberBad
	}
	return 0
}

// literal reads lit if it is next.
func (s *fastScanner) literal(lit string) bool {
	if len(s.b)-s.i < len(lit) || string(s.b[s.i:s.i+len(lit)]) != lit {
		return false
	}
	s.i += len(lit)
	return true
}

// skip reads any well-formed JSON value (the value of a member the library
// ignores).
func (s *fastScanner) skip() bool {
	switch c := s.peek(); {
	case c == '{':
		return s.object(nil, func([]byte) int {
			if !s.skip() {
				return memberBad
			}
			return memberSkipped
		})
	case c == '[':
		return s.array(s.skip)
	case c == '"':
		_, _, ok := s.stringToken()
		return ok
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	}
	_, _, ok := s.numberToken()
	return ok
}

// bit returns b, the bit of a member, when r (its value reader's result)
// says the value was read, else memberBad.
func bit(r, b int) int {
	if r != 0 {
		return memberBad
	}
	return b
}

// ptr reads an object into a new *T with read.
func ptr[T any](p **T, read func(*T) bool) int {
	v := new(T)
	if !read(v) {
		return memberBad
	}
	*p = v
	return 0
}

// slice reads an array of T, each element with read. An empty array is an
// empty slice, not nil, as encoding/json makes it.
func slice[T any](s *fastScanner, p *[]T, read func(*T) bool) int {
	out := make([]T, 0, 4)
	ok := s.array(func() bool {
		if len(out) == cap(out) {
			// append moves the elements: the string fields read into
			// them get their values first (finish).
			s.finish()
		}
		out = append(out, *new(T))
		return read(&out[len(out)-1])
	})
	if !ok {
		return memberBad
	}
	*p = out
	return 0
}

func (s *fastScanner) update(u *tgbotapi.Update) bool {
	return s.object(knownUpdate, func(k []byte) int {
		switch string(k) {
		case "update_id":
			return bit(s.int(&u.UpdateID), 0)
		case "message":
			return bit(s.messagePtr(&u.Message), 1)
		case "edited_message":
			return bit(s.messagePtr(&u.EditedMessage), 2)
		case "callback_query":
			return bit(ptr(&u.CallbackQuery, s.callback), 3)
		}
		return memberUnknown
	})
}

// messageBlock is a message with its sender and chat, allocated as one.
type messageBlock struct {
	m    tgbotapi.Message
	from tgbotapi.User
	chat tgbotapi.Chat
}

// messagePtr reads a message into a new *Message.
func (s *fastScanner) messagePtr(p **tgbotapi.Message) int {
	b := new(messageBlock)
	if !s.message(b) {
		return memberBad
	}
	*p = &b.m
	return 0
}

func (s *fastScanner) message(b *messageBlock) bool {
	m := &b.m
	return s.object(knownMessage, func(k []byte) int {
		switch string(k) {
		case "message_id":
			return bit(s.int(&m.MessageID), 0)
		case "from":
			if !s.user(&b.from) {
				return memberBad
			}
			m.From = &b.from
			return 1
		case "date":
			return bit(s.int(&m.Date), 2)
		case "chat":
			if !s.chat(&b.chat) {
				return memberBad
			}
			m.Chat = &b.chat
			return 3
		case "text":
			return bit(s.str(&m.Text), 4)
		case "entities":
			return bit(slice(s, &m.Entities, s.entity), 5)
		case "caption":
			return bit(s.str(&m.Caption), 6)
		case "caption_entities":
			return bit(slice(s, &m.CaptionEntities, s.entity), 7)
		case "contact":
			return bit(ptr(&m.Contact, s.contact), 8)
		case "location":
			return bit(ptr(&m.Location, s.location), 9)
		case "venue":
			return bit(ptr(&m.Venue, s.venue), 10)
		case "photo":
			return bit(slice(s, &m.Photo, s.photoSize), 11)
		case "document":
			return bit(ptr(&m.Document, s.document), 12)
		case "voice":
			return bit(ptr(&m.Voice, s.voice), 13)
		case "sticker":
			return bit(ptr(&m.Sticker, s.sticker), 14)
		case "edit_date":
			return bit(s.int(&m.EditDate), 15)
		case "reply_markup":
			return bit(ptr(&m.ReplyMarkup, s.inlineKeyboard), 16)
		case "reply_to_message":
			return bit(s.messagePtr(&m.ReplyToMessage), 17)
		case "media_group_id":
			return bit(s.str(&m.MediaGroupID), 18)
		case "has_protected_content":
			return bit(s.bool(&m.HasProtectedContent), 19)
		case "author_signature":
			return bit(s.str(&m.AuthorSignature), 20)
		}
		return memberUnknown
	})
}

func (s *fastScanner) user(u *tgbotapi.User) bool {
	return s.object(knownUser, func(k []byte) int {
		switch string(k) {
		case "id":
			return bit(s.int64(&u.ID), 0)
		case "is_bot":
			return bit(s.bool(&u.IsBot), 1)
		case "first_name":
			return bit(s.str(&u.FirstName), 2)
		case "last_name":
			return bit(s.str(&u.LastName), 3)
		case "username":
			return bit(s.str(&u.UserName), 4)
		case "language_code":
			return bit(s.str(&u.LanguageCode), 5)
		case "can_join_groups":
			return bit(s.bool(&u.CanJoinGroups), 6)
		case "can_read_all_group_messages":
			return bit(s.bool(&u.CanReadAllGroupMessages), 7)
		case "supports_inline_queries":
			return bit(s.bool(&u.SupportsInlineQueries), 8)
		}
		return memberUnknown
	})
}

func (s *fastScanner) chat(c *tgbotapi.Chat) bool {
	return s.object(knownChat, func(k []byte) int {
		switch string(k) {
		case "id":
			return bit(s.int64(&c.ID), 0)
		case "type":
			return bit(s.str(&c.Type), 1)
		case "title":
			return bit(s.str(&c.Title), 2)
		case "username":
			return bit(s.str(&c.UserName), 3)
		case "first_name":
			return bit(s.str(&c.FirstName), 4)
		case "last_name":
			return bit(s.str(&c.LastName), 5)
		}
		return memberUnknown
	})
}

func (s *fastScanner) entity(e *tgbotapi.MessageEntity) bool {
	return s.object(knownEntity, func(k []byte) int {
		switch string(k) {
		case "type":
			return bit(s.str(&e.Type), 0)
		case "offset":
			return bit(s.int(&e.Offset), 1)
		case "length":
			return bit(s.int(&e.Length), 2)
		case "url":
			return bit(s.str(&e.URL), 3)
		case "user":
			return bit(ptr(&e.User, s.user), 4)
		case "language":
			return bit(s.str(&e.Language), 5)
		}
		return memberUnknown
	})
}

func (s *fastScanner) contact(c *tgbotapi.Contact) bool {
	return s.object(knownContact, func(k []byte) int {
		switch string(k) {
		case "phone_number":
			return bit(s.str(&c.PhoneNumber), 0)
		case "first_name":
			return bit(s.str(&c.FirstName), 1)
		case "last_name":
			return bit(s.str(&c.LastName), 2)
		case "user_id":
			return bit(s.int64(&c.UserID), 3)
		case "vcard":
			return bit(s.str(&c.VCard), 4)
		}
		return memberUnknown
	})
}

func (s *fastScanner) location(l *tgbotapi.Location) bool {
	return s.object(knownLocation, func(k []byte) int {
		switch string(k) {
		case "longitude":
			return bit(s.float(&l.Longitude), 0)
		case "latitude":
			return bit(s.float(&l.Latitude), 1)
		case "horizontal_accuracy":
			return bit(s.float(&l.HorizontalAccuracy), 2)
		case "live_period":
			return bit(s.int(&l.LivePeriod), 3)
		case "heading":
			return bit(s.int(&l.Heading), 4)
		case "proximity_alert_radius":
			return bit(s.int(&l.ProximityAlertRadius), 5)
		}
		return memberUnknown
	})
}

func (s *fastScanner) venue(v *tgbotapi.Venue) bool {
	return s.object(knownVenue, func(k []byte) int {
		switch string(k) {
		case "location":
			if !s.location(&v.Location) {
				return memberBad
			}
			return 0
		case "title":
			return bit(s.str(&v.Title), 1)
		case "address":
			return bit(s.str(&v.Address), 2)
		case "foursquare_id":
			return bit(s.str(&v.FoursquareID), 3)
		case "foursquare_type":
			return bit(s.str(&v.FoursquareType), 4)
		case "google_place_id":
			return bit(s.str(&v.GooglePlaceID), 5)
		case "google_place_type":
			return bit(s.str(&v.GooglePlaceType), 6)
		}
		return memberUnknown
	})
}

func (s *fastScanner) photoSize(p *tgbotapi.PhotoSize) bool {
	return s.object(knownPhotoSize, func(k []byte) int {
		switch string(k) {
		case "file_id":
			return bit(s.str(&p.FileID), 0)
		case "file_unique_id":
			return bit(s.str(&p.FileUniqueID), 1)
		case "width":
			return bit(s.int(&p.Width), 2)
		case "height":
			return bit(s.int(&p.Height), 3)
		case "file_size":
			return bit(s.int(&p.FileSize), 4)
		}
		return memberUnknown
	})
}

func (s *fastScanner) document(d *tgbotapi.Document) bool {
	return s.object(knownDocument, func(k []byte) int {
		switch string(k) {
		case "file_id":
			return bit(s.str(&d.FileID), 0)
		case "file_unique_id":
			return bit(s.str(&d.FileUniqueID), 1)
		case "thumb":
			return bit(ptr(&d.Thumbnail, s.photoSize), 2)
		case "file_name":
			return bit(s.str(&d.FileName), 3)
		case "mime_type":
			return bit(s.str(&d.MimeType), 4)
		case "file_size":
			return bit(s.int(&d.FileSize), 5)
		}
		return memberUnknown
	})
}

func (s *fastScanner) voice(v *tgbotapi.Voice) bool {
	return s.object(knownVoice, func(k []byte) int {
		switch string(k) {
		case "file_id":
			return bit(s.str(&v.FileID), 0)
		case "file_unique_id":
			return bit(s.str(&v.FileUniqueID), 1)
		case "duration":
			return bit(s.int(&v.Duration), 2)
		case "mime_type":
			return bit(s.str(&v.MimeType), 3)
		case "file_size":
			return bit(s.int(&v.FileSize), 4)
		}
		return memberUnknown
	})
}

func (s *fastScanner) sticker(st *tgbotapi.Sticker) bool {
	return s.object(knownSticker, func(k []byte) int {
		switch string(k) {
		case "file_id":
			return bit(s.str(&st.FileID), 0)
		case "file_unique_id":
			return bit(s.str(&st.FileUniqueID), 1)
		case "width":
			return bit(s.int(&st.Width), 2)
		case "height":
			return bit(s.int(&st.Height), 3)
		case "is_animated":
			return bit(s.bool(&st.IsAnimated), 4)
		case "thumb":
			return bit(ptr(&st.Thumbnail, s.photoSize), 5)
		case "emoji":
			return bit(s.str(&st.Emoji), 6)
		case "set_name":
			return bit(s.str(&st.SetName), 7)
		case "file_size":
			return bit(s.int(&st.FileSize), 8)
		}
		return memberUnknown
	})
}

func (s *fastScanner) callback(c *tgbotapi.CallbackQuery) bool {
	return s.object(knownCallback, func(k []byte) int {
		switch string(k) {
		case "id":
			return bit(s.str(&c.ID), 0)
		case "from":
			return bit(ptr(&c.From, s.user), 1)
		case "message":
			return bit(s.messagePtr(&c.Message), 2)
		case "inline_message_id":
			return bit(s.str(&c.InlineMessageID), 3)
		case "chat_instance":
			return bit(s.str(&c.ChatInstance), 4)
		case "data":
			return bit(s.str(&c.Data), 5)
		case "game_short_name":
			return bit(s.str(&c.GameShortName), 6)
		}
		return memberUnknown
	})
}

func (s *fastScanner) inlineKeyboard(k *tgbotapi.InlineKeyboardMarkup) bool {
	return s.object(knownInlineKeyboard, func(key []byte) int {
		if string(key) != "inline_keyboard" {
			return memberUnknown
		}
		return slice(s, &k.InlineKeyboard, func(row *[]tgbotapi.InlineKeyboardButton) bool {
			return slice(s, row, s.button) == 0
		})
	})
}

func (s *fastScanner) button(b *tgbotapi.InlineKeyboardButton) bool {
	return s.object(knownButton, func(k []byte) int {
		switch string(k) {
		case "text":
			return bit(s.str(&b.Text), 0)
		case "url":
			return bit(ptr(&b.URL, s.strObject), 1)
		case "callback_data":
			return bit(ptr(&b.CallbackData, s.strObject), 2)
		case "switch_inline_query":
			return bit(ptr(&b.SwitchInlineQuery, s.strObject), 3)
		case "switch_inline_query_current_chat":
			return bit(ptr(&b.SwitchInlineQueryCurrentChat, s.strObject), 4)
		case "pay":
			return bit(s.bool(&b.Pay), 5)
		}
		return memberUnknown
	})
}

// strObject reads a string for a *string field.
func (s *fastScanner) strObject(v *string) bool { return s.str(v) == 0 }

// The library's field names of each type read here, folded: a member
// whose name is one of them but is not read here (or is spelt with other
// cases) makes the reader give up.
var (
	knownUpdate         = jsonNames(tgbotapi.Update{})
	knownMessage        = jsonNames(tgbotapi.Message{})
	knownUser           = jsonNames(tgbotapi.User{})
	knownChat           = jsonNames(tgbotapi.Chat{})
	knownEntity         = jsonNames(tgbotapi.MessageEntity{})
	knownContact        = jsonNames(tgbotapi.Contact{})
	knownLocation       = jsonNames(tgbotapi.Location{})
	knownVenue          = jsonNames(tgbotapi.Venue{})
	knownPhotoSize      = jsonNames(tgbotapi.PhotoSize{})
	knownDocument       = jsonNames(tgbotapi.Document{})
	knownVoice          = jsonNames(tgbotapi.Voice{})
	knownSticker        = jsonNames(tgbotapi.Sticker{})
	knownCallback       = jsonNames(tgbotapi.CallbackQuery{})
	knownInlineKeyboard = jsonNames(tgbotapi.InlineKeyboardMarkup{})
	knownButton         = jsonNames(tgbotapi.InlineKeyboardButton{})
)

// fastReadable is false when the library has a type read here with a
// field jsonNames cannot name for certain (an embedded struct, a name
// without a tag): a library upgrade that adds one needs a look here, and
// until then every update is left to encoding/json (TestDecodeFastShapes
// fails).
var fastReadable = true

// jsonNames returns the names encoding/json gives v's fields, folded.
func jsonNames(v any) map[string]bool {
	t := reflect.TypeOf(v)
	names := make(map[string]bool, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.Anonymous || name == "" || name == "-" || !f.IsExported() {
			fastReadable = false
			continue
		}
		names[string(fold(nil, []byte(name)))] = true
	}
	return names
}

// fold appends name with its ASCII letters upper-cased, as encoding/json
// folds names to match them (libraryKnows leaves names that are not ASCII
// to encoding/json).
func fold(dst, name []byte) []byte {
	for _, c := range name {
		if 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

// libraryKnows reports whether encoding/json could match key to one of the
// fields named in known (nil: no fields, the value of any member is
// ignored), or cannot be sure (a name that is not ASCII, or a long one).
func libraryKnows(known map[string]bool, key []byte) bool {
	if known == nil {
		return false
	}
	if len(key) > 64 {
		return true
	}
	for _, c := range key {
		if c >= utf8.RuneSelf {
			return true
		}
	}
	var buf [64]byte
	return known[string(fold(buf[:0], key))]
}
