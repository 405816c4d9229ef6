package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
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
	"github.com/umkmbot/umkmbot/store"
	"github.com/umkmbot/umkmbot/store/redistest"
)

// waPhone is a connected WhatsApp client that records where replies go.
type waPhone struct {
	mu   sync.Mutex
	sent []string
}

func (p *waPhone) SendMessage(ctx context.Context, to types.JID, msg *waE2E.Message, extra ...whatsmeow.SendRequestExtra) (whatsmeow.SendResponse, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sent = append(p.sent, to.String()+": "+msg.GetConversation())
	return whatsmeow.SendResponse{}, nil
}

func (p *waPhone) IsConnected() bool { return true }

// find returns the first reply that contains s, "" if none.
func (p *waPhone) find(s string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, m := range p.sent {
		if strings.Contains(m, s) {
			return m
		}
	}
	return ""
}

// waNumber is the WhatsApp number that registers in these tests.
const waNumber = "6281234567890"

// waRegistration is registration's answers over WhatsApp: the number
// comes with every message, so the phone question is not asked.
func waRegistration() []string {
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(registration), "\n") {
		if l != "0812 3456 7890" {
			out = append(out, l)
		}
	}
	return out
}

// waApp is the real program's parts with a WhatsApp adapter wired as serve
// wires it, on a fake connection.
type waApp struct {
	*App
	ad    *whatsapp.Adapter
	phone *waPhone
	n     int
}

func openWAApp(t *testing.T, env map[string]string) *waApp {
	t.Helper()
	cfg, err := loadConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	a, err := openApp(context.Background(), cfg, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	w := &waApp{App: a, phone: &waPhone{}}
	w.ad = whatsapp.New(whatsapp.Config{SendWait: time.Minute}, w.phone, a.Dispatcher, whatsapp.Options{Users: a.Store})
	a.Outbox.Register(bot.WhatsApp, w.ad)
	return w
}

func (w *waApp) close(t *testing.T) {
	t.Helper()
	w.Dispatcher.Close()
	if err := w.App.Close(); err != nil {
		t.Fatal(err)
	}
}

// say delivers one message from waNumber and waits for its turn.
func (w *waApp) say(t *testing.T, text string) {
	t.Helper()
	w.n++
	jid := types.NewJID(waNumber, types.DefaultUserServer)
	evt := &events.Message{
		Info: types.MessageInfo{MessageSource: types.MessageSource{Chat: jid, Sender: jid},
			ID: fmt.Sprintf("3EB0%06X", w.n), Timestamp: time.Now(), PushName: "Siti"},
		Message: &waE2E.Message{Conversation: proto.String(text)},
	}
	if !w.ad.HandleEvent(evt) {
		t.Fatalf("message %q not acknowledged", text)
	}
	if err := w.Dispatcher.Idle(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// noClearIn fails on every key whose name or value holds the NIK or the
// WhatsApp number in clear.
func noClearIn(t *testing.T, when string, keys map[string]string) {
	t.Helper()
	for k, v := range keys {
		for _, c := range []string{clearValues[0], waNumber[3:]} {
			if strings.Contains(k, c) {
				t.Errorf("%s: key name %s holds %s in clear", when, k, c)
			}
			if strings.Contains(v, c) {
				t.Errorf("%s: %s holds %s in clear: %s", when, k, c, v)
			}
		}
	}
}

// TestWhatsAppRegistrationHoldsNoClearData: a whole registration over
// WhatsApp (the adapter as serve wires it, the real dispatcher, engine
// and store), on a real Redis and on the embedded store: after every
// message, no key name and no value holds the number or the NIK in clear
// (the conversation user is a pseudonym, the number sealed in the map),
// and neither does the embedded snapshot; replies reach the number; the
// registration carries the number WhatsApp gave; hapus data's
// confirmation reaches the number.
func TestWhatsAppRegistrationHoldsNoClearData(t *testing.T) {
	_, prefix := redistest.Client(t)
	dir := t.TempDir()
	for name, env := range map[string]map[string]string{
		"redis":    {"REDIS_URL": redistest.URL(), "REDIS_PREFIX": prefix},
		"embedded": {"DATA_DIR": dir},
	} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			w := openWAApp(t, env)
			for _, in := range waRegistration() {
				w.say(t, in)
				noClearIn(t, "after "+in, regionKeys(t, w.Redis, w.Cfg.RedisPrefix))
			}
			if got := w.phone.find("UMKM-3214-000001"); !strings.HasPrefix(got, waNumber+"@s.whatsapp.net: ") {
				t.Fatalf("reply with the registration number %q: want it sent to the number", got)
			}
			user, err := w.Store.WhatsAppPseudonym(ctx, waNumber)
			if err != nil || !store.IsWhatsAppPseudonym(user) {
				t.Fatalf("pseudonym %q, %v", user, err)
			}
			r, err := w.Store.RegistrationFor(ctx, w.Region.Code, bot.Conversation{Channel: bot.WhatsApp, User: user})
			if err != nil || r.Phone != "+"+waNumber || r.NIK != clearValues[0] {
				t.Fatalf("registration of the pseudonym: %+v, %v", r, err)
			}
			// hapus data over WhatsApp: its confirmation still reaches the
			// number (the map keeps it until the state expired).
			w.say(t, "hapus data")
			w.say(t, "HAPUS")
			if got := w.phone.find("sudah dihapus"); !strings.HasPrefix(got, waNumber+"@s.whatsapp.net: ") {
				t.Fatalf("erasure confirmation %q: want it sent to the number", got)
			}
			noClearIn(t, "after hapus data", regionKeys(t, w.Redis, w.Cfg.RedisPrefix))
			if w.Embedded != nil {
				if err := w.Embedded.Snapshot(); err != nil {
					t.Fatal(err)
				}
			}
			w.close(t)
		})
	}
	// The embedded store's snapshot, written at close.
	b, err := os.ReadFile(filepath.Join(dir, store.EmbeddedSnapshotFile))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "{wa}:ids") {
		t.Fatalf("snapshot without the pseudonym map:\n%.2000s", b)
	}
	for _, c := range []string{clearValues[0], waNumber[3:]} {
		if i := strings.Index(string(b), c); i >= 0 {
			t.Errorf("snapshot holds %s in clear: …%s…", c, b[max(i-200, 0):min(i+100, len(b))])
		}
	}
}

// TestWhatsAppAdminByPseudonym: an ADMIN_WHATSAPP_NUMBERS number is an
// admin under its pseudonym, before and after it first wrote; another
// number is not.
func TestWhatsAppAdminByPseudonym(t *testing.T) {
	_, prefix := redistest.Client(t)
	env := map[string]string{"REDIS_URL": redistest.URL(), "REDIS_PREFIX": prefix, "ADMIN_WHATSAPP_NUMBERS": "0812 3456 7890"}
	w := openWAApp(t, env)
	defer w.close(t)
	ctx := context.Background()
	user, err := w.Store.WhatsAppUser(ctx, waNumber)
	if err != nil {
		t.Fatal(err)
	}
	other, err := w.Store.WhatsAppUser(ctx, "6281299990000")
	if err != nil {
		t.Fatal(err)
	}
	if !w.Channels.IsAdmin(bot.Conversation{Channel: bot.WhatsApp, User: user}) {
		t.Error("the admin number's pseudonym is not an admin")
	}
	if w.Channels.IsAdmin(bot.Conversation{Channel: bot.WhatsApp, User: other}) {
		t.Error("another number is an admin")
	}
	w.say(t, "siaran") // from the admin number: the compose flow starts
	if w.phone.find("Tulis isi siaran") == "" {
		t.Fatalf("the admin number was not let into siaran: %v", w.phone.sent)
	}
}

// TestMigrateWhatsAppCommand: a registration made over WhatsApp before
// pseudonyms (the adapter without the map, as serve ran it) stops serve
// until `umkmbot migrate whatsapp` ran (counts reported; a second run has
// nothing to do); afterwards nothing names the number, and the same
// person writing again is the registered owner, under the pseudonym.
func TestMigrateWhatsAppCommand(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	env := map[string]string{"REDIS_URL": redistest.URL(), "REDIS_PREFIX": prefix, "TELEGRAM_BOT_TOKEN": "1:x"}
	w := openWAApp(t, env)
	w.ad = whatsapp.New(whatsapp.Config{SendWait: time.Minute}, w.phone, w.Dispatcher, whatsapp.Options{}) // before pseudonyms
	w.Outbox.Register(bot.WhatsApp, w.ad)
	for _, in := range waRegistration() {
		w.say(t, in)
	}
	w.say(t, "produk saya")
	w.close(t)
	before := regionKeys(t, rdb, prefix)
	if !strings.Contains(fmt.Sprint(before), "whatsapp:"+waNumber) {
		t.Fatal("the old adapter stored no number")
	}

	if _, _, err := runUmkmbot(env, "", "serve"); err == nil || !strings.Contains(err.Error(), "umkmbot migrate whatsapp") {
		t.Fatalf("serve over numbers: err = %v", err)
	}
	out := umkmbot(t, env, "", "migrate", "whatsapp")
	if !strings.Contains(out, "1 WhatsApp conversations given their pseudonym") {
		t.Fatalf("migrate whatsapp said %q", out)
	}
	if out := umkmbot(t, env, "", "migrate", "whatsapp"); !strings.Contains(out, "0 WhatsApp conversations") || !strings.Contains(out, "0 keys renamed, 0 rewritten") {
		t.Fatalf("second migrate whatsapp said %q", out)
	}
	noClearIn(t, "after the migration", regionKeys(t, rdb, prefix))
	if list := umkmbot(t, env, "", "audit", "list"); !strings.Contains(list, "whatsapp conversations") {
		t.Fatalf("the migration is not in the audit log:\n%s", list)
	}

	w = openWAApp(t, env)
	defer w.close(t)
	w.n = 1000 // new message ids: the state remembers the old ones
	w.say(t, "profil")
	if got := w.phone.find("UMKM-3214-000001"); !strings.HasPrefix(got, waNumber+"@s.whatsapp.net: ") {
		t.Fatalf("after the migration the owner's profile is not theirs: %v", w.phone.sent)
	}
	noClearIn(t, "after writing again", regionKeys(t, rdb, prefix))
}
