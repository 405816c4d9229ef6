package whatsapp_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/whatsapp"
	"github.com/umkmbot/umkmbot/flows"
	"github.com/umkmbot/umkmbot/locales"
	"github.com/umkmbot/umkmbot/store"
	"github.com/umkmbot/umkmbot/store/redistest"
)

func TestMain(m *testing.M) { os.Exit(redistest.Run(m)) }

// phone is a connected WhatsApp client that records what the bot sends.
type phone struct {
	mu    sync.Mutex
	texts []string
}

func (p *phone) SendMessage(ctx context.Context, to types.JID, msg *waE2E.Message, extra ...whatsmeow.SendRequestExtra) (whatsmeow.SendResponse, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.texts = append(p.texts, to.String()+": "+msg.GetConversation())
	return whatsmeow.SendResponse{}, nil
}

func (p *phone) IsConnected() bool { return true }

func (p *phone) last() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.texts) == 0 {
		return ""
	}
	return p.texts[len(p.texts)-1]
}

func (p *phone) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.texts)
}

// lids is whatsmeow's LID store as far as this test needs it.
type lids map[types.JID]types.JID

func (l lids) GetPNForLID(ctx context.Context, lid types.JID) (types.JID, error) {
	return l[lid], nil
}

// A whole registration over WhatsApp: the adapter's receive path with the
// real dispatcher, engine, flows and Redis store. Messages arrive now from
// the phone number and now from the @lid address; the phone question is
// skipped because WhatsApp gave the number, and the registration is stored
// with it.
func TestRegistrationOverWhatsApp(t *testing.T) {
	ctx := context.Background()
	rdb, prefix := redistest.Client(t)
	st := store.New(rdb, store.Options{Prefix: prefix})
	cat, err := bot.NewCatalog(locales.FS, nil)
	if err != nil {
		t.Fatal(err)
	}
	cat.OnMissing = func(lang, id string) { t.Errorf("message %q missing in %s", id, lang) }
	region, err := flows.LoadRegion("purwakarta")
	if err != nil {
		t.Fatal(err)
	}
	outbox := bot.NewOutbox(cat, st, "id", nil)
	registry, err := flows.New(flows.Deps{Region: region, Registrations: st, Notifier: outbox, MaxPerNIK: 1})
	if err != nil {
		t.Fatal(err)
	}
	engine := bot.NewEngine(bot.EngineConfig{}, registry, st, st, cat, nil)
	disp := bot.NewDispatcher(bot.DispatcherConfig{Owner: "test"}, st, engine, outbox, cat, "id", nil)
	t.Cleanup(func() { disp.Close() })

	const pn, lid = "6281234567890", "204060801030507"
	pnJID := types.NewJID(pn, types.DefaultUserServer)
	lidJID := types.NewJID(lid, types.HiddenUserServer)
	client := &phone{}
	ad := whatsapp.New(whatsapp.Config{SendWait: time.Minute}, client, disp, whatsapp.Options{LIDs: lids{lidJID: pnJID}})
	outbox.Register(bot.WhatsApp, ad)

	deliver := func(id, text string, asLID bool) {
		t.Helper()
		src := types.MessageSource{Chat: pnJID, Sender: pnJID, SenderAlt: lidJID}
		if asLID {
			src = types.MessageSource{Chat: lidJID, Sender: lidJID, AddressingMode: types.AddressingModeLID}
			if len(id)%2 == 0 { // half of them carry the phone number along; the rest need the LID store
				src.SenderAlt = types.NewADJID(pn, 0, 0)
			}
		}
		evt := &events.Message{
			Info:    types.MessageInfo{MessageSource: src, ID: id, Timestamp: time.Now(), PushName: "Asep"},
			Message: &waE2E.Message{Conversation: proto.String(text)},
		}
		if !ad.HandleEvent(evt) {
			t.Fatalf("message %q not acknowledged", text)
		}
		if err := disp.Idle(ctx); err != nil {
			t.Fatal(err)
		}
	}
	askPhone := cat.Out("id", bot.Say(bot.T("daftar.hp"))).Text
	if askPhone == "" {
		t.Fatal("no phone question in the catalog")
	}
	inputs := []string{"assalamualaikum", "1", "iya", "Asep Sunandar", "3214012307800003", "Dodol Asep", "1",
		"Wanayasa", "Wanayasa", "Kp. Sukamaju RT 01", "dodol", "2", "2", "7", "1234567890123", "0", "ya"}
	for i, in := range inputs {
		id := fmt.Sprintf("3EB0%X", 1000+i*7)
		deliver(id, in, i%3 == 1)
		if i == 3 {
			// WhatsApp delivers the same message again from the other
			// address: the inbox drops it, nothing is answered twice.
			before := client.count()
			deliver(id, in, true)
			if client.count() != before {
				t.Fatalf("a redelivered message was answered again: %s", client.last())
			}
		}
		if strings.Contains(client.last(), askPhone) {
			t.Fatalf("the bot asked for the phone number it was given: %s", client.last())
		}
	}
	if got := disp.Stats.Duplicates.Load(); got != 1 {
		t.Errorf("duplicates = %d, want 1", got)
	}
	conv := bot.Conversation{Channel: bot.WhatsApp, User: pn}
	r, err := st.RegistrationFor(ctx, region.Code, conv)
	if err != nil {
		t.Fatalf("registration not stored: %v\nlast reply: %s", err, client.last())
	}
	if r.Phone != "+"+pn || r.OwnerName != "Asep Sunandar" || r.BusinessName != "Dodol Asep" {
		t.Errorf("registration phone %q, owner %q, business %q", r.Phone, r.OwnerName, r.BusinessName)
	}
	if !strings.HasPrefix(client.last(), pn+"@s.whatsapp.net: ") {
		t.Errorf("replies go to %q, want the phone id", client.last())
	}
	if ad.Stats.Submitted.Load() != int64(len(inputs)+1) || ad.Stats.SubmitFailed.Load() != 0 {
		t.Errorf("submitted %d, failed %d", ad.Stats.Submitted.Load(), ad.Stats.SubmitFailed.Load())
	}
}
