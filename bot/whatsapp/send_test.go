package whatsapp

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"

	"github.com/umkmbot/umkmbot/bot"
)

// fakeClock advances only when waited on.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	waits  []time.Duration
	onWait func() // called on each wait, before time moves
}

func newFakeClock() *fakeClock { return &fakeClock{now: t0} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Wait(ctx context.Context, d time.Duration, wake <-chan struct{}) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if c.onWait != nil {
		c.onWait()
	}
	select {
	case <-wake:
		return nil
	default:
	}
	if d <= 0 {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.waits = append(c.waits, d)
	return nil
}

// sent is one message the fake client was asked to send.
type sent struct {
	At   time.Time
	To   string
	Text string
	ID   types.MessageID
	// Image is a picture sent (its caption is not in Text).
	Image *waE2E.ImageMessage
	// Doc is a document sent (its caption is not in Text).
	Doc *waE2E.DocumentMessage
}

// fakeClient records what the adapter does with a connection.
type fakeClient struct {
	mu        sync.Mutex
	clock     *fakeClock
	connected bool
	sends     []sent
	calls     []string // "read …", "typing composing", …
	failNext  []error  // errors for the next SendMessage calls
	nextID    int
	uploads   [][]byte // pictures uploaded
}

func (f *fakeClient) Upload(ctx context.Context, b []byte, _ whatsmeow.MediaType) (whatsmeow.UploadResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.uploads = append(f.uploads, b)
	return whatsmeow.UploadResponse{URL: "https://mmg.whatsapp.net/up" + strconv.Itoa(len(f.uploads)), DirectPath: "/v/up",
		MediaKey: []byte("key"), FileEncSHA256: []byte("enc"), FileSHA256: []byte("sha"), FileLength: uint64(len(b))}, nil
}

func (f *fakeClient) SendMessage(ctx context.Context, to types.JID, msg *waE2E.Message, extra ...whatsmeow.SendRequestExtra) (whatsmeow.SendResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.failNext) > 0 {
		err := f.failNext[0]
		f.failNext = f.failNext[1:]
		if errors.Is(err, whatsmeow.ErrNotConnected) {
			f.connected = false
		}
		return whatsmeow.SendResponse{}, err
	}
	if !f.connected {
		return whatsmeow.SendResponse{}, whatsmeow.ErrNotConnected
	}
	var id types.MessageID
	if len(extra) > 0 {
		id = extra[0].ID
	}
	now := time.Now()
	if f.clock != nil {
		now = f.clock.Now()
	}
	f.sends = append(f.sends, sent{At: now, To: to.String(), Text: msg.GetConversation(), ID: id, Image: msg.GetImageMessage(), Doc: msg.GetDocumentMessage()})
	return whatsmeow.SendResponse{ID: id, Timestamp: now}, nil
}

func (f *fakeClient) IsConnected() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.connected
}

func (f *fakeClient) setConnected(up bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.connected = up
}

func (f *fakeClient) MarkRead(ctx context.Context, ids []types.MessageID, ts time.Time, chat, sender types.JID, _ ...types.ReceiptType) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, fmt.Sprintf("read %s in %s from %s", strings.Join(ids, ","), chat, sender))
	return nil
}

func (f *fakeClient) SendChatPresence(ctx context.Context, jid types.JID, state types.ChatPresence, media types.ChatPresenceMedia) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, fmt.Sprintf("typing %s %s", state, jid))
	return nil
}

func (f *fakeClient) GenerateMessageID() types.MessageID {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextID++
	return fmt.Sprintf("3EB0%04d", f.nextID)
}

func (f *fakeClient) Sends() []sent {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]sent(nil), f.sends...)
}

func (f *fakeClient) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

// quiet is a config without pacing or courtesies: each test turns on what it checks.
func quiet() Config { return Config{SendWait: time.Minute} }

func newTestAdapter(t *testing.T, cfg Config) (*Adapter, *fakeClient, *fakeClock) {
	t.Helper()
	clock := newFakeClock()
	client := &fakeClient{clock: clock, connected: true}
	a := New(cfg, client, nil, Options{Clock: clock})
	return a, client, clock
}

func TestSendNumberedOptions(t *testing.T) {
	a, client, _ := newTestAdapter(t, quiet())
	r := bot.Reply{Text: "Usaha Anda bergerak di bidang apa?", Options: []bot.ReplyOption{
		{Key: "1", Label: "Kuliner (makanan & minuman)"}, {Key: "2", Label: "Fesyen"}, {Key: "3", Label: "Kriya/kerajinan"}}}
	if err := a.Send(context.Background(), sitiConv, r); err != nil {
		t.Fatal(err)
	}
	want := "Usaha Anda bergerak di bidang apa?\n\n1. Kuliner (makanan & minuman)\n2. Fesyen\n3. Kriya/kerajinan"
	got := client.Sends()
	if len(got) != 1 || got[0].Text != want || got[0].To != siti+"@s.whatsapp.net" {
		t.Fatalf("sends = %+v, want one to %s:\n%s", got, siti, want)
	}
	if a.Stats.Sent.Load() != 1 {
		t.Errorf("Sent = %d, want 1", a.Stats.Sent.Load())
	}
}

func TestSendToUnresolvedLID(t *testing.T) {
	a, client, _ := newTestAdapter(t, quiet())
	if err := a.Send(context.Background(), bot.Conversation{Channel: bot.WhatsApp, User: sitiLID + "@lid"}, bot.Reply{Text: "halo"}); err != nil {
		t.Fatal(err)
	}
	if got := client.Sends(); len(got) != 1 || got[0].To != sitiLID+"@lid" {
		t.Fatalf("sends = %+v, want one to the @lid id", got)
	}
	if err := a.Send(context.Background(), bot.Conversation{Channel: bot.WhatsApp, User: "demo"}, bot.Reply{Text: "x"}); err == nil {
		t.Fatal("a conversation user that is no WhatsApp id must fail")
	}
	if a.Stats.SendFailed.Load() != 1 {
		t.Errorf("SendFailed = %d, want 1", a.Stats.SendFailed.Load())
	}
}

func TestSendSplitsLongText(t *testing.T) {
	cfg := quiet()
	cfg.MaxChunk = 60
	a, client, _ := newTestAdapter(t, cfg)
	para := strings.Repeat("kata ", 10) // 50 characters
	text := strings.TrimSpace(para + "\n\n" + para + "\n\n" + para)
	if err := a.Send(context.Background(), sitiConv, bot.Reply{Text: text}); err != nil {
		t.Fatal(err)
	}
	got := client.Sends()
	if len(got) != 3 {
		t.Fatalf("%d pieces, want 3 (one per paragraph): %+v", len(got), got)
	}
	for _, s := range got {
		if s.Text != strings.TrimSpace(para) {
			t.Errorf("piece %q, want one paragraph", s.Text)
		}
	}
	if got[0].ID == got[1].ID {
		t.Error("pieces must have their own message ids")
	}
}

func TestSplit(t *testing.T) {
	tests := []struct {
		name string
		in   string
		max  int
		want []string
	}{
		{"short", "halo", 10, []string{"halo"}},
		{"empty", "  \n ", 10, nil},
		{"paragraphs first", "aaaa bbbb\n\ncccc\ndddd", 15, []string{"aaaa bbbb", "cccc\ndddd"}},
		{"then lines", "aaaa\nbbbb\ncccc", 10, []string{"aaaa\nbbbb", "cccc"}},
		{"then spaces", "aaaa bbbb cccc", 10, []string{"aaaa bbbb", "cccc"}},
		{"then inside a word", "abcdefghijkl", 5, []string{"abcde", "fghij", "kl"}},
		{"counts characters, not bytes", "ééééé ééééé", 5, []string{"ééééé", "ééééé"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, Split(tt.in, tt.max)); diff != "" {
				t.Errorf("Split (-want +got):\n%s", diff)
			}
		})
	}
}

func FuzzSplit(f *testing.F) {
	f.Add("aaaa bbbb\n\ncccc\ndddd", 5)
	f.Add("ééééé ééééé", 3)
	f.Fuzz(func(t *testing.T, s string, max int) {
		if max < 1 || max > 200 || !utf8.ValidString(s) {
			return
		}
		pieces := Split(s, max)
		var rest strings.Builder
		for _, p := range pieces {
			if p == "" || utf8.RuneCountInString(p) > max {
				t.Fatalf("piece %q of %q (max %d)", p, s, max)
			}
			rest.WriteString(p)
		}
		strip := func(x string) string { return strings.NewReplacer(" ", "", "\n", "").Replace(x) }
		if strip(rest.String()) != strip(strings.TrimSpace(s)) {
			t.Fatalf("Split(%q, %d) = %q lost or added text", s, max, pieces)
		}
	})
}

func TestSendMarksReadAndTypes(t *testing.T) {
	cfg := quiet()
	cfg.MarkRead, cfg.Typing = true, 1200*time.Millisecond
	a, client, clock := newTestAdapter(t, cfg)
	a.sub = submitFunc(func(context.Context, bot.Message) error { return nil })
	for _, id := range []string{"A1", "A2"} {
		if !a.HandleEvent(dm(id, pnJID(siti), text("halo"))) {
			t.Fatal("message refused")
		}
	}
	if err := a.Send(context.Background(), sitiConv, bot.Reply{Text: "Halo Bu Siti"}); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"read A1,A2 in " + siti + "@s.whatsapp.net from " + siti + "@s.whatsapp.net",
		"typing composing " + siti + "@s.whatsapp.net",
		"typing paused " + siti + "@s.whatsapp.net",
	}
	if diff := cmp.Diff(want, client.Calls()); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	if s := client.Sends(); len(s) != 1 || !s[0].At.Equal(t0.Add(1200*time.Millisecond)) {
		t.Errorf("sends %+v: want one after %s of typing", s, cfg.Typing)
	}
	if len(clock.waits) != 1 {
		t.Errorf("waits %v, want only the typing pause", clock.waits)
	}
	// Answered messages are not marked again.
	if err := a.Send(context.Background(), sitiConv, bot.Reply{Text: "lagi"}); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(strings.Join(client.Calls(), "\n"), "read "); n != 1 {
		t.Errorf("%d read receipts, want 1", n)
	}
}

type submitFunc func(ctx context.Context, msg bot.Message) error

func (f submitFunc) Submit(ctx context.Context, msg bot.Message) error { return f(ctx, msg) }

func TestRateLimiter(t *testing.T) {
	// 20 a minute (3 s apart) with bursts of 2, chats 1 s apart, no jitter.
	cfg := quiet()
	cfg.RatePerMinute, cfg.Burst, cfg.ChatGap = 20, 2, time.Second
	a, client, _ := newTestAdapter(t, cfg)
	other := bot.Conversation{Channel: bot.WhatsApp, User: "6285712345678"}
	for _, c := range []bot.Conversation{sitiConv, other, sitiConv, other, other} {
		if err := a.Send(context.Background(), c, bot.Reply{Text: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	var got []time.Duration
	for _, s := range client.Sends() {
		got = append(got, s.At.Sub(t0))
	}
	// Burst of two at once, then one every 3 s.
	want := []time.Duration{0, 0, 3 * time.Second, 6 * time.Second, 9 * time.Second}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("send times (-want +got):\n%s", diff)
	}
}

func TestLimiterChatGapAndJitter(t *testing.T) {
	l := newLimiter(0, 0, time.Second, 500*time.Millisecond)
	l.rand = func(n int64) int64 { return n - 1 } // always the most jitter
	at1 := l.reserve(t0, "a")
	at2 := l.reserve(t0, "a")
	at3 := l.reserve(t0, "b")
	if want := t0.Add(500 * time.Millisecond); !at1.Equal(want) {
		t.Errorf("first = %v, want %v (jitter only)", at1.Sub(t0), want.Sub(t0))
	}
	if want := at1.Add(time.Second + 500*time.Millisecond); !at2.Equal(want) {
		t.Errorf("second to the same chat = %v, want %v (gap and jitter)", at2.Sub(t0), want.Sub(t0))
	}
	if want := t0.Add(500 * time.Millisecond); !at3.Equal(want) {
		t.Errorf("another chat = %v, want %v (no global limit)", at3.Sub(t0), want.Sub(t0))
	}
	// Jitter stays within its bound.
	l2 := newLimiter(0, 0, 0, 300*time.Millisecond)
	for i := 0; i < 200; i++ {
		if d := l2.reserve(t0, "c").Sub(t0); d < 0 || d > 300*time.Millisecond {
			t.Fatalf("jitter %v out of [0, 300ms]", d)
		}
	}
}

func TestSendWaitsForReconnect(t *testing.T) {
	a, client, clock := newTestAdapter(t, quiet())
	client.failNext = []error{fmt.Errorf("send: %w", whatsmeow.ErrNotConnected)}
	waited := 0
	clock.onWait = func() { // the connection comes back after a few seconds
		if waited++; waited == 4 {
			client.setConnected(true)
			a.HandleEvent(&eventsConnected)
		}
	}
	a.HandleEvent(&eventsDisconnected)
	if err := a.Send(context.Background(), sitiConv, bot.Reply{Text: "Pendaftaran tersimpan."}); err != nil {
		t.Fatal(err)
	}
	got := client.Sends()
	if len(got) != 1 || got[0].Text != "Pendaftaran tersimpan." {
		t.Fatalf("sends = %+v, want the message once after reconnecting", got)
	}
	if a.Stats.Retried.Load() != 1 || a.Stats.SendFailed.Load() != 0 {
		t.Errorf("retried %d, failed %d; want 1, 0", a.Stats.Retried.Load(), a.Stats.SendFailed.Load())
	}
}

func TestSendGivesUpAfterSendWait(t *testing.T) {
	a, client, clock := newTestAdapter(t, quiet())
	client.setConnected(false)
	err := a.Send(context.Background(), sitiConv, bot.Reply{Text: "x"})
	if !errors.Is(err, ErrDisconnected) {
		t.Fatalf("err = %v, want ErrDisconnected", err)
	}
	if strings.Contains(err.Error(), siti) {
		t.Errorf("error %q shows the phone number in clear", err)
	}
	if len(client.Sends()) != 0 || a.Stats.SendFailed.Load() != 1 {
		t.Errorf("sends %d, failed %d; want 0, 1", len(client.Sends()), a.Stats.SendFailed.Load())
	}
	if waited := clock.Now().Sub(t0); waited != time.Minute {
		t.Errorf("waited %v, want SendWait (1m)", waited)
	}
}

func TestSendTimelockStopsBulk(t *testing.T) {
	a, client, _ := newTestAdapter(t, quiet())
	if ok, _ := a.BulkAllowed(); !ok {
		t.Fatal("bulk must be allowed at first")
	}
	client.failNext = []error{fmt.Errorf("%w %d", whatsmeow.ErrServerReturnedError, 463)}
	err := a.Send(context.Background(), sitiConv, bot.Reply{Text: "Info pelatihan baru"})
	if !errors.Is(err, ErrRestricted) {
		t.Fatalf("err = %v, want ErrRestricted", err)
	}
	ok, until := a.BulkAllowed()
	if ok || !until.Equal(t0.Add(24*time.Hour)) {
		t.Errorf("BulkAllowed = %v, %v; want false until a day later", ok, until)
	}
	if s := a.Status(); s.Restriction != RestrictionTimelock {
		t.Errorf("status restriction %q", s.Restriction)
	}
	// Other server errors are not retried and are not a time lock.
	client.failNext = []error{fmt.Errorf("%w %d", whatsmeow.ErrServerReturnedError, 479)}
	if err := a.Send(context.Background(), sitiConv, bot.Reply{Text: "x"}); err == nil || errors.Is(err, ErrRestricted) {
		t.Errorf("err = %v, want a plain failure", err)
	}
}

var (
	eventsConnected    = events.Connected{}
	eventsDisconnected = events.Disconnected{}
)

// dlClient can download media.
type dlClient struct {
	fakeClient
	got whatsmeow.DownloadableMessage
}

func (d *dlClient) DownloadToFile(ctx context.Context, m whatsmeow.DownloadableMessage, f whatsmeow.File) error {
	d.got = m
	_, err := f.Write([]byte("jpeg bytes"))
	return err
}

func TestFetchPhoto(t *testing.T) {
	client := &dlClient{}
	a := New(Config{MaxMediaBytes: 1000}, client, nil, Options{})
	small := &waE2E.ImageMessage{DirectPath: proto.String("/v/small"), MediaKey: []byte("k"), FileLength: proto.Uint64(999)}
	b, err := a.Fetch(context.Background(), imageRef(small))
	if err != nil || string(b) != "jpeg bytes" || client.got.GetDirectPath() != "/v/small" {
		t.Fatalf("Fetch = %q, %v (asked for %v)", b, err, client.got)
	}
	big := &waE2E.ImageMessage{DirectPath: proto.String("/v/big"), MediaKey: []byte("k"), FileLength: proto.Uint64(1001)}
	if _, err := a.Fetch(context.Background(), imageRef(big)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Fetch of a too large photo: %v", err)
	}
	if _, err := a.Fetch(context.Background(), "AgACAgIAAxkBAAI"); err == nil {
		t.Error("Fetch of a foreign reference succeeded")
	}
}
