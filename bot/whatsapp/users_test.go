package whatsapp

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/umkmbot/umkmbot/bot"
)

// fakeUsers is a pseudonym map in memory.
type fakeUsers struct {
	mu   sync.Mutex
	byID map[string]string
	fail error
}

func (f *fakeUsers) WhatsAppUser(ctx context.Context, id string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return "", f.fail
	}
	if f.byID == nil {
		f.byID = map[string]string{}
	}
	if u, ok := f.byID[id]; ok {
		return u, nil
	}
	u := "p" + strings.Repeat("0", 19) + string(rune('a'+len(f.byID)))
	f.byID[id] = u
	return u, nil
}

func (f *fakeUsers) WhatsAppID(ctx context.Context, user string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for id, u := range f.byID {
		if u == user {
			return id, nil
		}
	}
	return "", bot.ErrNotFound
}

// TestPseudonymousConversations: with Users the conversation user of a
// message is the pseudonym (the number stays only in Message.Phone), the
// read receipts and replies to the pseudonym reach the number, an id
// stored before pseudonyms still gets its reply, an unknown pseudonym
// (erased) is refused for good, and a map that fails leaves the message
// unacknowledged.
func TestPseudonymousConversations(t *testing.T) {
	ctx := context.Background()
	users := &fakeUsers{}
	clock := newFakeClock()
	client := &fakeClient{clock: clock, connected: true}
	var got []bot.Message
	cfg := quiet()
	cfg.MarkRead = true
	a := New(cfg, client, submitFunc(func(_ context.Context, m bot.Message) error {
		got = append(got, m)
		return nil
	}), Options{Clock: clock, Users: users})
	if !a.HandleEvent(dm("B1", pnJID(siti), text("halo"))) {
		t.Fatal("message refused")
	}
	if len(got) != 1 {
		t.Fatalf("submitted %d", len(got))
	}
	m := got[0]
	if strings.Contains(m.Conv.String(), siti) || !strings.HasPrefix(m.Conv.User, "p") || m.Phone != "+"+siti {
		t.Fatalf("conversation %s, phone %q: want a pseudonym and the number in Phone", m.Conv, m.Phone)
	}
	if err := a.Send(ctx, m.Conv, bot.Reply{Text: "Halo"}); err != nil {
		t.Fatal(err)
	}
	if s := client.Sends(); len(s) != 1 || s[0].To != siti+"@s.whatsapp.net" {
		t.Fatalf("sends %+v, want one to the number", s)
	}
	if c := client.Calls(); len(c) != 1 || !strings.HasPrefix(c[0], "read B1") {
		t.Errorf("calls %v, want the message marked read", c)
	}
	// An entry queued before pseudonyms names the number.
	if err := a.Send(ctx, sitiConv, bot.Reply{Text: "lama"}); err != nil {
		t.Fatal(err)
	}
	if s := client.Sends(); len(s) != 2 || s[1].To != siti+"@s.whatsapp.net" {
		t.Fatalf("sends %+v", s)
	}
	err := a.Send(ctx, bot.Conversation{Channel: bot.WhatsApp, User: "p0000000000000000000z"}, bot.Reply{Text: "x"})
	if !errors.Is(err, bot.ErrRejected) {
		t.Fatalf("reply to an unknown pseudonym: %v, want ErrRejected", err)
	}
	users.fail = errors.New("redis down")
	if a.HandleEvent(dm("B2", pnJID(siti), text("lagi"))) {
		t.Fatal("a message whose pseudonym could not be read was acknowledged")
	}
	if len(got) != 1 {
		t.Fatalf("submitted %d, want still 1", len(got))
	}
}
