package telegram

import (
	"encoding/json"
	"hash/maphash"
	"slices"
	"sync"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/umkmbot/umkmbot/bot"
)

// encodedMarkup is a reply_markup already encoded: its JSON, and that
// escaped for a form (sendMessage's). It encodes as its JSON, so the
// library's own requests send the same bytes.
type encodedMarkup struct {
	json, form []byte
}

func (m *encodedMarkup) MarshalJSON() ([]byte, error) { return m.json, nil }

// markups keeps the encoded keyboards of the replies sent, by their
// options and what they ask for: the same steps ask the same questions,
// and laying a keyboard out and encoding it by reflection for every
// message was 5 % of serve's CPU under the bench harness. An entry is
// used only for options equal to its own, one by one; past maxMarkups
// entries the cache starts again empty.
type markups struct {
	mu sync.RWMutex
	m  map[uint64]markupEntry
}

var markupSeed = maphash.MakeSeed()

type markupEntry struct {
	ask    bot.Ask
	opts   []bot.ReplyOption
	mk     *encodedMarkup
	inline bool
}

const maxMarkups = 1024

// of returns r's markup as Render makes it with kb and labels, encoded,
// and whether it is an inline keyboard. r has options or asks for
// something (else its markup is removeKeyboard).
func (c *markups) of(r bot.Reply, kb Keyboard, labels Labels) (*encodedMarkup, bool) {
	var h maphash.Hash
	h.SetSeed(markupSeed)
	h.WriteString(string(r.Ask))
	h.WriteByte(0)
	for _, o := range r.Options {
		h.WriteString(o.Key)
		h.WriteByte(0)
		h.WriteString(o.Label)
		h.WriteByte(0)
	}
	k := h.Sum64()
	c.mu.RLock()
	e, ok := c.m[k]
	c.mu.RUnlock()
	if ok && e.ask == r.Ask && slices.Equal(e.opts, r.Options) {
		return e.mk, e.inline
	}
	mk := markup(r, kb, labels)
	b, err := json.Marshal(mk)
	if err != nil { // not for the markups markup makes
		return nil, false
	}
	_, inline := mk.(tgbotapi.InlineKeyboardMarkup)
	e = markupEntry{ask: r.Ask, opts: append([]bot.ReplyOption(nil), r.Options...), mk: &encodedMarkup{json: b, form: appendQueryEscape(nil, b)}, inline: inline}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxMarkups {
		c.m = make(map[uint64]markupEntry)
	}
	c.m[k] = e
	c.mu.Unlock()
	return e.mk, e.inline
}
