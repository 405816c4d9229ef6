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

	"go.mau.fi/libsignal/ecc"
	"go.mau.fi/libsignal/keys/identity"
	"go.mau.fi/libsignal/keys/prekey"
	"go.mau.fi/libsignal/util/optional"
	"go.mau.fi/whatsmeow"
	waBinary "go.mau.fi/whatsmeow/binary"
	"go.mau.fi/whatsmeow/proto/waAdv"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/store"
	"go.mau.fi/whatsmeow/types"
	waLog "go.mau.fi/whatsmeow/util/log"
	"google.golang.org/protobuf/proto"

	"github.com/umkmbot/umkmbot/bot"
)

// recLog is a whatsmeow logger that keeps its lines, so a test can see
// what the library did (a receipt it tried to send, a handler failure).
type recLog struct {
	mu    *sync.Mutex
	lines *[]string
}

func newRecLog() recLog { return recLog{mu: &sync.Mutex{}, lines: &[]string{}} }

func (l recLog) add(level, msg string, args []any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	*l.lines = append(*l.lines, level+" "+fmt.Sprintf(msg, args...))
}
func (l recLog) Warnf(msg string, args ...any)  { l.add("WARN", msg, args) }
func (l recLog) Errorf(msg string, args ...any) { l.add("ERROR", msg, args) }
func (l recLog) Infof(msg string, args ...any)  { l.add("INFO", msg, args) }
func (l recLog) Debugf(msg string, args ...any) { l.add("DEBUG", msg, args) }
func (l recLog) Sub(string) waLog.Logger        { return l }

// count returns how many lines contain s, and forgets all lines.
func (l recLog) count(s string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, line := range *l.lines {
		if strings.Contains(line, s) {
			n++
		}
	}
	*l.lines = nil
	return n
}

// signalPair is two devices in one whatsmeow device store on a temporary
// SQLite file: the bot's linked device and a person's phone, which can
// encrypt messages to the bot with the real Signal protocol.
type signalPair struct {
	bot, person *store.Device
	botJID      types.JID
	personJID   types.JID
}

func newSignalPair(t *testing.T) signalPair {
	t.Helper()
	ctx := context.Background()
	ds, err := OpenDeviceStore(ctx, SQLitePath(t.TempDir()), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ds.Close() })
	p := signalPair{botJID: types.NewADJID("6281100000001", 0, 7), personJID: pnJID(siti)}
	p.bot, p.person = ds.NewDevice(), ds.NewDevice()
	p.bot.ID, p.person.ID = &p.botJID, &p.personJID
	for _, d := range []*store.Device{p.bot, p.person} {
		d.Account = &waAdv.ADVSignedDeviceIdentity{ // what pairing stores; unused here
			Details: []byte{1}, AccountSignature: make([]byte, 64), AccountSignatureKey: make([]byte, 32), DeviceSignature: make([]byte, 64),
		}
		if err := d.Save(ctx); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// message is what WhatsApp's server delivers when the person sends body to
// the bot: a <message> stanza with one Signal prekey message, encrypted
// by the person's device (as whatsmeow encrypts) against a prekey bundle
// of the bot's device (as the server hands it out).
func (p signalPair) message(t *testing.T, id string, sent time.Time, body *waE2E.Message) *waBinary.Node {
	t.Helper()
	ctx := context.Background()
	pk, err := p.bot.PreKeys.GenOnePreKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	spk := p.bot.SignedPreKey
	bundle := prekey.NewBundle(p.bot.RegistrationID, uint32(p.botJID.Device),
		optional.NewOptionalUint32(pk.KeyID), spk.KeyID,
		ecc.NewDjbECPublicKey(*pk.Pub), ecc.NewDjbECPublicKey(*spk.Pub), *spk.Signature,
		identity.NewKey(ecc.NewDjbECPublicKey(*p.bot.IdentityKey.Pub)))
	plain, err := proto.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	sender := whatsmeow.NewClient(p.person, nil)
	enc, _, err := sender.DangerousInternals().EncryptMessageForDevice(ctx, plain, p.botJID, bundle, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &waBinary.Node{
		Tag: "message",
		Attrs: waBinary.Attrs{
			"id": id, "from": p.personJID, "type": "text", "t": strconv.FormatInt(sent.Unix(), 10),
		},
		Content: []waBinary.Node{*enc},
	}
}

// W1: a message whose queueing failed is not lost. whatsmeow decrypts it
// (the Signal session moves on), the handler says it was not queued, so no
// receipt goes out and WhatsApp delivers the same stanza again; thanks to
// the decrypted-event buffer the redelivery is handed to the bot, queued,
// and only then acknowledged. A third delivery is recognised as done.
// Everything runs through whatsmeow's real receive path: stanza parsing,
// Signal decryption against the SQLite device store, the event buffer
// table, the event handler contract, and its receipt logic (whose attempts
// show in its log: there is no socket, so each fails and is logged).
func TestRedeliveryAfterFailedQueueIsProcessed(t *testing.T) {
	p := newSignalPair(t)
	wlog := newRecLog()
	cli := whatsmeow.NewClient(p.bot, wlog)

	var mu sync.Mutex
	var queued []bot.Message
	down := true
	sub := submitFunc(func(_ context.Context, m bot.Message) error {
		mu.Lock()
		defer mu.Unlock()
		if down {
			return errors.New("redis: connection refused")
		}
		queued = append(queued, m)
		return nil
	})
	a := New(Config{SubmitTimeout: time.Second}, cli, sub, Options{})
	a.Attach(cli)
	node := p.message(t, "3EB0A1B2C3D4", time.Now(), &waE2E.Message{Conversation: proto.String("daftar")})
	deliver := func() { cli.DangerousInternals().HandleEncryptedMessage(context.Background(), node) }

	deliver() // Redis is down: not queued, not acknowledged
	if a.Stats.SubmitFailed.Load() != 1 {
		t.Fatalf("submit failures %d, want 1", a.Stats.SubmitFailed.Load())
	}
	if n := wlog.count("Failed to send receipt for 3EB0A1B2C3D4"); n != 0 {
		t.Fatalf("a receipt was sent for a message that was not queued (%d)", n)
	}

	mu.Lock()
	down = false
	mu.Unlock()
	deliver() // WhatsApp delivers it again
	mu.Lock()
	got := append([]bot.Message(nil), queued...)
	mu.Unlock()
	if len(got) != 1 || got[0].Text != "daftar" || got[0].ID != "3EB0A1B2C3D4" || got[0].Conv != sitiConv {
		t.Fatalf("after redelivery queued %+v; want the message once", got)
	}
	if n := wlog.count("Failed to send receipt for 3EB0A1B2C3D4"); n != 1 {
		t.Errorf("receipts after the redelivery was queued: %d, want 1", n)
	}

	deliver() // a late duplicate: acknowledged, not queued twice
	mu.Lock()
	n := len(queued)
	mu.Unlock()
	if n != 1 {
		t.Errorf("queued %d times, want 1", n)
	}
	if n := wlog.count("Failed to send receipt for 3EB0A1B2C3D4"); n != 1 {
		t.Errorf("receipts for the duplicate: %d, want 1", n)
	}
}
