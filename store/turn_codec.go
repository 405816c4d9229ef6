package store

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/umkmbot/umkmbot/bot"
)

// How a turn's messages and replies are written in Redis: an inbox entry
// (sealed when it may carry a NIK or phone number) and an outbox entry,
// whose JSON is written by hand (see appendReply).

func outID(msgID string, i int) string { return msgID + "." + strconv.Itoa(i) }

// An inbox entry is "<id>\n<message JSON>"; the conversation is implied by
// the key, so it is left out. A message that may carry a NIK or a phone
// number (a run of 9 or more digits in its text, a phone the channel
// gave, a shared contact) is sealed like the state's answers while it
// waits for its turn: "<id>\n!<sealed JSON>". Most messages carry none and
// cost no encryption.
//
// The JSON leaves out the id, the conversation and every zero field
// (entryJSON): a text message is some 40 bytes instead of 250, which
// Redis's Lua hashes twice in a turn (the ingest's argument, the commit's
// read of the queue's head). Entries written with every field decode the
// same.
func (s *ConversationStore) encodeEntry(m bot.Message) (string, error) {
	b, err := s.appendEntry(nil, m)
	return string(b), err
}

// appendEntry appends m's inbox entry (encodeEntry) to b.
func (s *ConversationStore) appendEntry(b []byte, m bot.Message) ([]byte, error) {
	b = append(append(b, m.ID...), '\n')
	if s.cipher != nil && (m.Phone != "" || m.Contact != nil || bot.MaskNumbers(m.Text) != m.Text) {
		j, err := json.Marshal(entryJSON(m))
		if err != nil {
			return b, fmt.Errorf("encode message: %w", err)
		}
		sealed, err := s.cipher.Seal(fieldMessage, string(j))
		if err != nil {
			return b, fmt.Errorf("seal message: %w", err)
		}
		return append(append(b, '!'), sealed...), nil
	}
	if e, ok := appendEntryJSON(b, m); ok {
		return e, nil
	}
	j, err := json.Marshal(entryJSON(m))
	if err != nil {
		return b, fmt.Errorf("encode message: %w", err)
	}
	return append(b, j...), nil
}

// appendEntryJSON appends m's entryJSON as json.Marshal writes it
// (TestEntryJSON), without its reflection, for a message without
// location, media or contact (ok false: b as it was, use json.Marshal).
func appendEntryJSON(b []byte, m bot.Message) (_ []byte, ok bool) {
	if m.Location != nil || m.Media != nil || m.Contact != nil {
		return b, false
	}
	from := len(b)
	b = append(b, '{')
	if !m.Time.IsZero() {
		b = append(b, `"Time":"`...)
		t, err := m.Time.AppendText(b)
		if err != nil { // a year json.Marshal refuses too
			return b[:from], false
		}
		b = append(t, `",`...)
	}
	b = appendField(b, "Kind", string(m.Kind), true)
	b = appendField(b, "Text", m.Text, true)
	if m.Command {
		b = append(b, `"Command":true,`...)
	}
	b = appendField(b, "StartArg", m.StartArg, true)
	b = appendField(b, "Phone", m.Phone, true)
	b = appendField(b, "Name", m.Name, true)
	b = appendField(b, "LangHint", m.LangHint, true)
	if b[len(b)-1] == ',' {
		b = b[:len(b)-1]
	}
	return append(b, '}'), true
}

// entryJSON is bot.Message as an inbox entry writes it (a conversion:
// a field added to bot.Message that is not added here fails to compile).
type entryJSON struct {
	ID       string           `json:"-"`
	Conv     bot.Conversation `json:"-"`
	Time     time.Time        `json:",omitzero"`
	Kind     bot.Kind         `json:",omitempty"`
	Text     string           `json:",omitempty"`
	Command  bool             `json:",omitempty"`
	StartArg string           `json:",omitempty"`
	Location *bot.Location    `json:",omitempty"`
	Media    *bot.Media       `json:",omitempty"`
	Contact  *bot.Contact     `json:",omitempty"`
	Phone    string           `json:",omitempty"`
	Name     string           `json:",omitempty"`
	LangHint string           `json:",omitempty"`
}

// fieldMessage binds a sealed inbox entry to its use.
const fieldMessage = "message"

func (s *ConversationStore) decodeEntry(c bot.Conversation, entry string) bot.Message {
	id, body, _ := strings.Cut(entry, "\n")
	if sealed, ok := strings.CutPrefix(body, "!"); ok {
		body = "" // no key that opens it: unsupported below
		if s.cipher != nil {
			if plain, _, err := s.cipher.Open(fieldMessage, sealed); err == nil {
				body = plain
			}
		}
	}
	var m bot.Message
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		// A corrupt entry (or one sealed under a key no longer configured)
		// must not block the conversation forever: hand it on as an
		// unsupported message, which the engine answers politely.
		return bot.Message{ID: id, Conv: c, Kind: bot.KindUnsupported}
	}
	m.ID, m.Conv = id, c
	return m
}

// appendOut appends the outbox entry of reply r with id id,
// "<id>\x1f<reply JSON>\x1e".
func appendOut(b []byte, id string, r bot.Reply) []byte {
	b = slices.Grow(b, len(id)+len(r.Text)+64+32*len(r.Options))
	b = append(append(b, id...), '\x1f')
	return append(appendReply(b, r), '\x1e')
}

// joinIDs writes reply ids as the outbox keeps them ('oi'): "<id>\x1e" each.
func joinIDs(ids []string) string { return string(appendIDs(nil, ids)) }

func appendIDs(b []byte, ids []string) []byte {
	for _, id := range ids {
		b = append(append(b, id...), '\x1e')
	}
	return b
}

// appendReply appends r's JSON as json.Marshal writes it (TestReplyJSON),
// without its reflection.
func appendReply(b []byte, r bot.Reply) []byte {
	b = append(b, `{"Text":`...)
	b = appendJSONString(b, r.Text)
	b = append(b, `,"Options":`...)
	if r.Options == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, o := range r.Options {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"Key":`...)
			b = appendJSONString(b, o.Key)
			b = append(b, `,"Label":`...)
			b = appendJSONString(b, o.Label)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = append(b, `,"Ask":`...)
	b = appendJSONString(b, string(r.Ask))
	if r.File != nil {
		b = append(b, `,"File":{"Name":`...)
		b = appendJSONString(b, r.File.Name)
		b = append(b, `,"Text":`...)
		b = appendJSONString(b, r.File.Text)
		b = append(b, '}')
	}
	if r.Attach != nil { // rare (an officer's file): the library's encoding
		a, _ := json.Marshal(r.Attach) // plain strings and numbers: cannot fail
		b = append(b, `,"Attach":`...)
		b = append(b, a...)
	}
	return append(b, '}')
}

// decodeOut splits an outbox field into its entries.
func decodeOut(out string) []bot.OutEntry {
	var es []bot.OutEntry
	for out != "" {
		e, rest, _ := strings.Cut(out, "\x1e")
		out = rest
		id, body, _ := strings.Cut(e, "\x1f")
		var r bot.Reply
		if err := json.Unmarshal([]byte(body), &r); err != nil {
			r = bot.Reply{} // undecodable: delivered as nothing rather than blocking the rest
		}
		es = append(es, bot.OutEntry{ID: id, Reply: r})
	}
	return es
}
