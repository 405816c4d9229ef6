package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mau.fi/whatsmeow"

	"github.com/umkmbot/umkmbot/bot/whatsapp"
	"github.com/umkmbot/umkmbot/store"
	"github.com/umkmbot/umkmbot/store/redistest"
)

func TestLoadWhatsAppConfig(t *testing.T) {
	env := func(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }
	cfg := Config{Instance: "serve-1"}

	w, err := loadWhatsAppConfig(env(nil), cfg)
	if err != nil {
		t.Fatal(err)
	}
	def := whatsapp.DefaultConfig()
	def.Owner = "serve-1"
	if w.Enabled || w.DSN != "" || w.Adapter != def || w.DeviceName != "UMKM Dinas" {
		t.Errorf("defaults: %+v", w)
	}
	w, err = loadWhatsAppConfig(env(map[string]string{"WHATSAPP_DEVICE_NAME": " Dinas KUKM Purwakarta ", "WHATSAPP_RELAY_MAX_AGE": "5m"}), cfg)
	if err != nil || w.DeviceName != "Dinas KUKM Purwakarta" || w.Adapter.RelayMaxAge != 5*time.Minute {
		t.Errorf("device name %q, relay max age %v, %v", w.DeviceName, w.Adapter.RelayMaxAge, err)
	}
	for _, bad := range []map[string]string{{"WHATSAPP_DEVICE_NAME": "   "}, {"WHATSAPP_DEVICE_NAME": strings.Repeat("x", 51)}} {
		if _, err := loadWhatsAppConfig(env(bad), cfg); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
	// The rules of the values are the adapter's (whatsapp.TestConfigValidate);
	// here: they are reported under the variables' names, as written.
	if _, err := loadWhatsAppConfig(env(map[string]string{"WHATSAPP_RELAY_MAX_AGE": "0"}), cfg); err == nil ||
		!strings.Contains(err.Error(), `WHATSAPP_RELAY_MAX_AGE="0" must be more than 0`) {
		t.Errorf("relay max age 0: %v", err)
	}

	w, err = loadWhatsAppConfig(env(map[string]string{
		"WHATSAPP_DB_DSN": "postgres://wa@db/wa", "WHATSAPP_MAX_AGE": "0", "WHATSAPP_RATE_PER_MINUTE": "12",
		"WHATSAPP_BURST": "1", "WHATSAPP_CHAT_GAP": "2s", "WHATSAPP_JITTER": "0", "WHATSAPP_MARK_READ": "false",
		"WHATSAPP_TYPING": "off", "WHATSAPP_SEND_WAIT": "30s",
	}), cfg)
	if err != nil {
		t.Fatal(err)
	}
	a := w.Adapter
	if !w.Enabled || a.MaxAge != 0 || a.RatePerMinute != 12 || a.Burst != 1 || a.ChatGap != 2*time.Second ||
		a.Jitter != 0 || a.MarkRead || a.Typing != 0 || a.SendWait != 30*time.Second {
		t.Errorf("overrides: enabled %v, %+v", w.Enabled, a)
	}
	if w, _ := loadWhatsAppConfig(env(map[string]string{"WHATSAPP_TYPING": "2500ms", "WHATSAPP_DB_DSN": "x", "WHATSAPP_ENABLED": "false"}), cfg); w.Adapter.Typing != 2500*time.Millisecond || w.Enabled {
		t.Errorf("typing %v, enabled %v", w.Adapter.Typing, w.Enabled)
	}

	_, err = loadWhatsAppConfig(env(map[string]string{"WHATSAPP_ENABLED": "ya", "WHATSAPP_RATE_PER_MINUTE": "0",
		"WHATSAPP_JITTER": "sebentar", "WHATSAPP_BURST": "0"}), cfg)
	if err == nil {
		t.Fatal("bad settings accepted")
	}
	for _, name := range []string{"WHATSAPP_ENABLED", "WHATSAPP_RATE_PER_MINUTE", "WHATSAPP_JITTER", "WHATSAPP_BURST"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error does not name %s:\n%v", name, err)
		}
	}
}

func TestPairLoop(t *testing.T) {
	ctx := context.Background()
	items := func(it ...whatsmeow.QRChannelItem) <-chan whatsmeow.QRChannelItem {
		ch := make(chan whatsmeow.QRChannelItem, len(it))
		for _, i := range it {
			ch <- i
		}
		close(ch)
		return ch
	}
	code := func(c string) whatsmeow.QRChannelItem {
		return whatsmeow.QRChannelItem{Event: whatsmeow.QRChannelEventCode, Code: c, Timeout: 20 * time.Second}
	}
	noPhone := func(context.Context, string, bool, whatsmeow.PairClientType, string) (string, error) {
		t.Error("PairPhone called when pairing by QR")
		return "", nil
	}

	var out bytes.Buffer
	if err := pairLoop(ctx, &out, items(code("2@abc"), code("2@def"), whatsmeow.QRChannelSuccess), "", noPhone); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(out.String(), "Linked devices"); n != 2 || !strings.ContainsAny(out.String(), "▀▄█") {
		t.Errorf("want two QR codes with instructions, got:\n%s", out.String())
	}

	out.Reset()
	calls := 0
	pair := func(_ context.Context, phone string, _ bool, _ whatsmeow.PairClientType, name string) (string, error) {
		calls++
		if phone != "6281234567890" || name != "Chrome (Linux)" {
			t.Errorf("PairPhone(%q, %q)", phone, name)
		}
		return "ABCD-EFGH", nil
	}
	if err := pairLoop(ctx, &out, items(code("2@abc"), code("2@def"), whatsmeow.QRChannelSuccess), "6281234567890", pair); err != nil {
		t.Fatal(err)
	}
	if calls != 1 || !strings.Contains(out.String(), "ABCD-EFGH") || strings.Contains(out.String(), "81234567890") {
		t.Errorf("PairPhone called %d times; output:\n%s", calls, out.String())
	}

	if err := pairLoop(ctx, &out, items(code("2@abc"), whatsmeow.QRChannelTimeout), "", noPhone); err == nil || !strings.Contains(err.Error(), "again") {
		t.Errorf("timeout: %v", err)
	}
	boom := errors.New("boom")
	if err := pairLoop(ctx, &out, items(whatsmeow.QRChannelItem{Event: whatsmeow.QRChannelEventError, Error: boom}), "", noPhone); !errors.Is(err, boom) {
		t.Errorf("error event: %v", err)
	}
	if err := pairLoop(ctx, &out, items(), "", noPhone); err == nil {
		t.Error("a closed channel must be an error")
	}
}

// whatsapp status reads the pairing from the device store and the
// connection, ban and lease from Redis.
func TestWhatsAppStatusCommand(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	env := map[string]string{"REDIS_URL": redistest.URL(), "REDIS_PREFIX": prefix, "DATA_DIR": t.TempDir(), "WHATSAPP_ENABLED": "true"}
	out := umkmbot(t, env, "", "whatsapp", "status")
	for _, want := range []string{"enabled:     true", "paired:      no", "not held", "restriction: none"} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}

	st := store.New(rdb, store.Options{Prefix: prefix})
	ctx := context.Background()
	until := time.Now().Add(3 * time.Hour)
	if err := newRedisStatus(st).SaveStatus(ctx, whatsapp.Status{Owner: "serve-2", Connected: false, Since: time.Now(),
		Restriction: whatsapp.RestrictionTempBan, RestrictedUntil: until, RestrictionCode: 101, Updated: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := rdb.Set(ctx, waLeaseKey(st), "serve-2", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	out = umkmbot(t, env, "", "whatsapp", "status")
	for _, want := range []string{"held by serve-2, not connected", "temporary ban until", "broadcasts are stopped"} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}

	// W9: a permanent ban says so, and that pairing again does not help;
	// W3: a replacement pause is shown.
	if err := newRedisStatus(st).SaveStatus(ctx, whatsapp.Status{LoggedOut: true, Restriction: whatsapp.RestrictionBanned,
		RestrictionCode: 406, Replaced: 2, ReplacedUntil: time.Now().Add(20 * time.Minute), Updated: time.Now()}); err != nil {
		t.Fatal(err)
	}
	out = umkmbot(t, env, "", "whatsapp", "status")
	for _, want := range []string{"banned the number (code 406)", "pairing again does not help", "PERMANENT BAN", "request a review", "another client took the connection (2 times"} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "run `umkmbot whatsapp pair`") {
		t.Errorf("status advises pairing again after a permanent ban:\n%s", out)
	}
}

func TestRedisRelay(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	r := redisRelay{rdb: rdb, key: store.New(rdb, store.Options{Prefix: prefix}).Key("wa", "relay")}
	ctx := context.Background()
	for _, s := range []string{"a", "b"} {
		if dropped, err := r.Push(ctx, []byte(s), 3); err != nil || dropped != 0 {
			t.Fatalf("Push = %d, %v", dropped, err)
		}
	}
	for _, want := range []string{"a", "b", ""} {
		got, err := r.Pop(ctx, time.Second)
		if err != nil || string(got) != want {
			t.Errorf("Pop = %q, %v; want %q", got, err, want)
		}
	}
	// Bounded: the oldest items go when it overflows, and are counted.
	var dropped int64
	for _, s := range []string{"1", "2", "3", "4", "5"} {
		n, err := r.Push(ctx, []byte(s), 3)
		if err != nil {
			t.Fatal(err)
		}
		dropped += n
	}
	if n, _ := rdb.LLen(ctx, r.key).Result(); n != 3 || dropped != 2 {
		t.Errorf("relay holds %d, dropped %d; want 3, 2", n, dropped)
	}
	for _, want := range []string{"3", "4", "5", ""} {
		got, err := r.Pop(ctx, time.Second)
		if err != nil || string(got) != want {
			t.Errorf("Pop = %q, %v; want %q", got, err, want)
		}
	}
	// Retention: a list nobody drains expires its max age after the last push.
	r.ttl = 15 * time.Minute
	if _, err := r.Push(ctx, []byte("x"), 3); err != nil {
		t.Fatal(err)
	}
	if ttl := rdb.PTTL(ctx, r.key).Val(); ttl <= 14*time.Minute || ttl > r.ttl {
		t.Errorf("relay expires in %s, want %s", ttl, r.ttl)
	}
}

// serve with WhatsApp enabled but no number paired says how to pair and
// keeps serving (here: until it is stopped).
func TestServeWithUnpairedWhatsApp(t *testing.T) {
	_, prefix := redistest.Client(t)
	env := map[string]string{"REDIS_URL": redistest.URL(), "REDIS_PREFIX": prefix, "DATA_DIR": t.TempDir(), "WHATSAPP_ENABLED": "true"}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr waLogBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve"}, func(k string) string { return env[k] }, strings.NewReader(""), &bytes.Buffer{}, &stderr)
	}()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(stderr.String(), "umkmbot whatsapp pair") {
		if time.Now().After(deadline) {
			t.Fatalf("serve did not explain how to pair:\n%s", stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case err := <-done:
		t.Fatalf("serve stopped by itself: %v", err)
	default:
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}
}

type waLogBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *waLogBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *waLogBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
