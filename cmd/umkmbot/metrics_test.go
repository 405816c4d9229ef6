package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"

	"github.com/umkmbot/umkmbot/bot/telegram/telegramtest"
	"github.com/umkmbot/umkmbot/bot/whatsapp"
	"github.com/umkmbot/umkmbot/store/redistest"
)

// The test binary runs the real main when asked, so the healthcheck's
// exit codes are those of the program.
func init() {
	if os.Getenv("UMKMBOT_TEST_MAIN") == "1" {
		os.Args = append([]string{"umkmbot"}, strings.Fields(os.Getenv("UMKMBOT_TEST_ARGS"))...)
		main()
		os.Exit(0)
	}
}

// runMainProcess runs the program (the test binary as main) and returns its exit
// code and output.
func runMainProcess(t *testing.T, env map[string]string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = []string{"UMKMBOT_TEST_MAIN=1", "UMKMBOT_TEST_ARGS=" + strings.Join(args, " "), "PATH=" + os.Getenv("PATH")}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), string(out)
	}
	if err != nil {
		t.Fatalf("run %v: %v", args, err)
	}
	return 0, string(out)
}

// TestServeMetrics runs `umkmbot serve` with METRICS_LISTEN and
// LOG_FORMAT=json against a loopback Bot API server: an owner registers on
// Telegram (one message delivered twice), the Dinas broadcasts to the
// owner's kecamatan while Telegram answers 429, and the scrapes show the
// turn, ingest, queue, broadcast, Telegram and Redis series, with no
// NIK, phone number or name anywhere in the metrics or the logs; the
// log lines are JSON, those about a message with the user masked and the
// message id; /healthz, /readyz and `umkmbot healthcheck` answer while
// serve runs and fail after it stopped.
func TestServeMetrics(t *testing.T) {
	const tok = "4343:AAtest_metrics"
	tg := telegramtest.New(tok)
	defer tg.Close()
	_, prefix := redistest.Client(t)
	env := map[string]string{"REDIS_URL": redistest.URL(), "REDIS_PREFIX": prefix, "TELEGRAM_BOT_TOKEN": tok,
		"TELEGRAM_API_URL": tg.URL, "TELEGRAM_RATE_PER_CHAT": "100", "METRICS_LISTEN": "127.0.0.1:0",
		"LOG_FORMAT": "json", "LOG_LEVEL": "debug", "INSTANCE_ID": "metrics-test"}
	getenv := func(k string) string { return env[k] }
	logs := &waLogBuffer{} // whatsapp_test.go: safe for the logger and the test at once
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"serve"}, getenv, strings.NewReader(""), io.Discard, logs) }()

	wctx, wcancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer wcancel()
	addr := ""
	for addr == "" {
		for line := range strings.Lines(logs.String()) {
			var l struct{ Msg, Addr string }
			if json.Unmarshal([]byte(line), &l) == nil && l.Msg == "metrics serving" {
				addr = l.Addr
			}
		}
		select {
		case err := <-done:
			t.Fatalf("serve ended: %v\n%s", err, logs.String())
		case <-wctx.Done():
			t.Fatalf("no \"metrics serving\" line:\n%s", logs.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	scrape := func() string {
		t.Helper()
		resp, err := http.Get("http://" + addr + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("/metrics: %s\n%s", resp.Status, b)
		}
		return string(b)
	}

	u := telegramtest.User{ID: 880155, Name: "Ani"}
	first := tg.Text(u, "halo")
	if _, err := tg.WaitSent(wctx, u.ID, 1); err != nil {
		t.Fatal(err)
	}
	first.UpdateID = 0 // the same message again in a new update: dropped by the dedupe window
	tg.Push(first)
	lines := strings.Split(strings.TrimSpace(registration), "\n")
	for _, text := range lines[1:] {
		n := len(tg.Sent(u.ID))
		tg.Text(u, text)
		if _, err := tg.WaitSent(wctx, u.ID, n+1); err != nil {
			t.Fatalf("after %q: %v", text, err)
		}
	}
	registered := func() bool {
		for _, s := range tg.Sent(u.ID) {
			if strings.Contains(s.Text, "UMKM-3214-000001") {
				return true
			}
		}
		return false
	}
	for !registered() {
		if wctx.Err() != nil {
			t.Fatalf("no registration number sent; the chat: %+v", tg.Sent(u.ID))
		}
		time.Sleep(10 * time.Millisecond)
	}

	// A broadcast to the owner's kecamatan, held by two 429 answers of a
	// second each, so it is running while we scrape.
	tg.Fail429(2, 1)
	textFile := filepath.Join(t.TempDir(), "pengumuman.txt")
	os.WriteFile(textFile, []byte("Pelatihan kemasan tanggal 1 Desember di aula Dinas."), 0o600)
	var out bytes.Buffer
	if err := run(wctx, []string{"broadcast", "create", "--text-file", textFile, "--kecamatan", "Plered"}, getenv,
		strings.NewReader(""), &out, io.Discard); err != nil {
		t.Fatalf("broadcast create: %v\n%s", err, out.String())
	}
	var running string
	for !strings.Contains(running, `umkmbot_broadcast_recipients{broadcast="1",state="remaining"} 1`) {
		if wctx.Err() != nil {
			t.Fatalf("the running broadcast never showed:\n%s", running)
		}
		time.Sleep(20 * time.Millisecond)
		running = scrape()
	}
	n := len(tg.Sent(u.ID))
	if _, err := tg.WaitSent(wctx, u.ID, n+1); err != nil {
		t.Fatalf("broadcast not delivered: %v", err)
	}
	var body string
	// Settled: the 429s counted, the broadcast done, the last turn's
	// message taken off the inbox (its replies may have met the 429s).
	for !strings.Contains(body, "umkmbot_telegram_rate_limited_total 2\n") || strings.Contains(body, "umkmbot_broadcast_recipients") ||
		!strings.Contains(body, "umkmbot_inbox_depth 0\n") {
		if wctx.Err() != nil {
			t.Fatalf("429s not counted, the finished broadcast still shown or the inbox not empty:\n%s", grep(body, "umkmbot_"))
		}
		time.Sleep(20 * time.Millisecond)
		body = scrape()
	}
	for _, series := range []string{
		`umkmbot_turns_total{channel="telegram",flow="daftar",outcome="ok"} `,
		`umkmbot_turn_duration_seconds_bucket{channel="telegram",flow="daftar",le="+Inf"} `,
		`umkmbot_turns_total{channel="telegram",flow="",outcome="ok"} `,
		`umkmbot_ingest_total{channel="telegram",result="queued"} `,
		`umkmbot_ingest_total{channel="telegram",result="direct"} `,
		`umkmbot_ingest_total{channel="telegram",result="duplicate"} 1` + "\n",
		`umkmbot_inbox_depth 0`,
		`umkmbot_inbox_oldest_seconds 0`,
		`umkmbot_outbox_depth `, // acknowledgements are batched: a reply may still count for a moment
		`umkmbot_queues_up 1`,
		`umkmbot_broadcasts_up 1`,
		`umkmbot_telegram_poll_errors_total `,
		`umkmbot_lease_takeovers_total 0`,
		`go_goroutines `,
	} {
		if !strings.Contains(body, series) {
			t.Errorf("series %s missing:\n%s", series, grep(body, "umkmbot_"))
		}
	}
	// Every message was taken once: queued first, or its turn committed
	// in the step that took it (after the first, most are).
	if taken := counter(body, `umkmbot_ingest_total{channel="telegram",result="queued"}`) +
		counter(body, `umkmbot_ingest_total{channel="telegram",result="direct"}`); taken != len(lines) {
		t.Errorf("%d messages counted queued or direct, want %d:\n%s", taken, len(lines), grep(body, "umkmbot_ingest"))
	}
	for _, series := range []string{
		`umkmbot_broadcast_audience{broadcast="1"} 1`,
		`umkmbot_broadcast_recipients{broadcast="1",state="sent"} 0`,
	} {
		if !strings.Contains(running, series) {
			t.Errorf("series %s missing while the broadcast ran:\n%s", series, grep(running, "broadcast"))
		}
	}
	personal := []string{"3214015503900001", "81234567890", "812 3456", "Siti", "Aminah", "Keripik", "Anjun 5", "880155"}
	for _, p := range personal {
		if strings.Contains(body, p) || strings.Contains(running, p) {
			t.Errorf("personal data %q in the metrics", p)
		}
	}

	// /healthz, /readyz and the healthcheck command while serving.
	for _, args := range [][]string{{"healthcheck"}, {"healthcheck", "--ready"}} {
		if code, out := runMainProcess(t, map[string]string{"METRICS_LISTEN": addr}, args...); code != 0 || strings.TrimSpace(out) != "ok" {
			t.Errorf("%v while serving: exit %d\n%s", args, code, out)
		}
	}
	resp, err := http.Get("http://" + addr + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	ready, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(ready), "redis: ok") {
		t.Errorf("/readyz = %s %q", resp.Status, ready)
	}

	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}
	if code, out := runMainProcess(t, map[string]string{"METRICS_LISTEN": addr}, "healthcheck"); code != 1 || !strings.Contains(out, "healthcheck") {
		t.Errorf("healthcheck after serve stopped: exit %d\n%s", code, out)
	}
	if code, out := runMainProcess(t, nil, "healthcheck"); code != 1 || !strings.Contains(out, "METRICS_LISTEN") {
		t.Errorf("healthcheck without METRICS_LISTEN: exit %d\n%s", code, out)
	}

	// The logs: JSON lines; those about a message carry the masked user
	// and the message id; nothing personal in clear.
	all := logs.String()
	turnLines := 0
	sc := bufio.NewScanner(strings.NewReader(all))
	for sc.Scan() {
		var l map[string]any
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("not a JSON line: %s", sc.Text())
		}
		if l["msg"] == "turn" {
			turnLines++
			if l["user"] != "****0155" || l["msg_id"] == nil || l["msg_id"] == "" || l["channel"] != "telegram" {
				t.Errorf("turn line without channel, masked user or message id: %s", sc.Text())
			}
		}
		if user, ok := l["user"].(string); ok && !strings.HasPrefix(user, "****") {
			t.Errorf("user not masked: %s", sc.Text())
		}
	}
	if turnLines < len(lines) {
		t.Errorf("%d turn lines for %d messages", turnLines, len(lines))
	}
	for _, p := range personal[:6] {
		if strings.Contains(all, p) {
			t.Errorf("personal data %q in the logs", p)
		}
	}
}

func grep(body, sub string) string {
	var b strings.Builder
	for line := range strings.Lines(body) {
		if strings.Contains(line, sub) && !strings.HasPrefix(line, "#") {
			b.WriteString(line)
		}
	}
	return b.String()
}

func TestOpsConfig(t *testing.T) {
	for _, tc := range []struct {
		env map[string]string
		bad string
	}{
		{map[string]string{}, ""},
		{map[string]string{"METRICS_LISTEN": ":9090", "LOG_FORMAT": "json"}, ""},
		{map[string]string{"METRICS_LISTEN": "127.0.0.1:9090", "LOG_FORMAT": "text"}, ""},
		{map[string]string{"METRICS_LISTEN": "9090"}, "METRICS_LISTEN"},
		{map[string]string{"METRICS_LISTEN": "localhost:http"}, "METRICS_LISTEN"},
		{map[string]string{"LOG_FORMAT": "logfmt"}, "LOG_FORMAT"},
	} {
		_, err := loadConfig(func(k string) string { return tc.env[k] })
		if (tc.bad == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.bad)) {
			t.Errorf("%v: %v, want an error about %q", tc.env, err, tc.bad)
		}
	}
}

// waOffline is a whatsmeow client that never connected.
type waOffline struct{}

func (waOffline) SendMessage(context.Context, types.JID, *waE2E.Message, ...whatsmeow.SendRequestExtra) (whatsmeow.SendResponse, error) {
	return whatsmeow.SendResponse{}, errors.New("offline")
}
func (waOffline) IsConnected() bool { return false }

// TestWhatsAppReadiness follows the real adapter through whatsmeow's
// events: not ready until connected, ready while another process holds
// the connection, not ready during a temporary ban or once logged out;
// the gauges follow.
func TestWhatsAppReadiness(t *testing.T) {
	_, prefix := redistest.Client(t)
	ctx := context.Background()
	a := testApp(ctx, t, map[string]string{"REDIS_URL": redistest.URL(), "REDIS_PREFIX": prefix, "METRICS_LISTEN": "127.0.0.1:0", "INSTANCE_ID": "p1"})
	shared := newRedisStatus(a.Store)
	ad := whatsapp.New(whatsapp.Config{Owner: "p1"}, waOffline{}, a.Dispatcher, whatsapp.Options{Status: shared, Log: a.Log})
	ch := newWAChannel(a.Log)
	if err := watchWhatsApp(a, ch); err != nil {
		t.Fatal(err)
	}
	if err := linkWhatsApp(a, ch, ad); err != nil {
		t.Fatal(err)
	}
	ready := func() string {
		t.Helper()
		res, _ := a.Metrics.Ready(ctx)
		for _, r := range res {
			if r.Name == "whatsapp" {
				if r.Err == nil {
					return "ok"
				}
				return r.Err.Error()
			}
		}
		t.Fatal("no whatsapp check")
		return ""
	}
	scrape := func() string {
		rec := httptest.NewRecorder()
		a.Metrics.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		return rec.Body.String()
	}
	if got := ready(); got != "not connected" {
		t.Fatalf("before connecting: %q", got)
	}
	if err := shared.SaveStatus(ctx, whatsapp.Status{Owner: "p2", Connected: true}); err != nil {
		t.Fatal(err)
	}
	if got := ready(); got != "ok" {
		t.Fatalf("standing by while p2 holds the connection: %q", got)
	}
	ad.HandleEvent(&events.Connected{})
	if got := ready(); got != "ok" || !strings.Contains(scrape(), "umkmbot_whatsapp_connected 1\n") {
		t.Fatalf("connected: %q\n%s", got, grep(scrape(), "whatsapp"))
	}
	ad.HandleEvent(&events.TemporaryBan{Code: events.TempBanSentToTooManyPeople, Expire: time.Hour})
	body := scrape()
	if got := ready(); !strings.HasPrefix(got, "temporary ban until") || !strings.Contains(body, `umkmbot_whatsapp_restricted{restriction="temporary_ban"} 1`) ||
		!strings.Contains(body, "umkmbot_whatsapp_connected 0\n") {
		t.Fatalf("banned: %q\n%s", got, grep(body, "whatsapp"))
	}
	ad.HandleEvent(&events.LoggedOut{})
	if got := ready(); !strings.HasPrefix(got, "logged out") || !strings.Contains(scrape(), "umkmbot_whatsapp_logged_out 1\n") {
		t.Fatalf("logged out: %q", got)
	}
}

// counter reads the value of a counter series from a metrics page (0
// when it is not there).
func counter(body, series string) int {
	for _, line := range strings.Split(body, "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			n, _ := strconv.Atoi(v)
			return n
		}
	}
	return 0
}
