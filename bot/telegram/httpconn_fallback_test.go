package telegram

// When sends stay on net/http: a configured client, a proxy.

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/telegram/telegramtest"
)

// countingTransport counts the Bot API methods called through it.
type countingTransport struct {
	mu    sync.Mutex
	calls map[string]int
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.calls[r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]]++
	c.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

// TestConfiguredClientUsesNetHTTP: with Config.HTTPClient, plain messages
// go through it as every other call; without, on the adapter's own
// connections.
func TestConfiguredClientUsesNetHTTP(t *testing.T) {
	tg := telegramtest.New(testToken)
	defer tg.Close()
	ct := &countingTransport{calls: map[string]int{}}
	ctx := context.Background()
	a, err := New(ctx, Config{Token: testToken, APIURL: tg.URL, HTTPClient: &http.Client{Transport: ct}})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Send(ctx, bot.Conversation{Channel: bot.Telegram, User: "42"}, bot.Reply{Text: "Halo"}); err != nil {
		t.Fatal(err)
	}
	if ct.calls["sendMessage"] != 1 || a.post != nil {
		t.Errorf("configured client: %d sendMessage calls through it (own connections: %v), want 1", ct.calls["sendMessage"], a.post != nil)
	}
	a, err = New(ctx, Config{Token: testToken, APIURL: tg.URL})
	if err != nil {
		t.Fatal(err)
	}
	if a.post == nil {
		t.Error("no client configured: plain messages not on the adapter's own connections")
	}
}

// TestProxyUsesNetHTTP: with a proxy in the environment for the API URL,
// sends go through it (the proxy here is the fake Bot API, and the API
// host does not resolve: a direct connection fails). net/http reads the
// environment once per process, so the send runs in a child process.
func TestProxyUsesNetHTTP(t *testing.T) {
	if os.Getenv("TELEGRAM_PROXY_CHILD") == "1" {
		ctx := context.Background()
		a, err := New(ctx, Config{Token: testToken, APIURL: "http://api.telegram.invalid", MaxAttempts: 1})
		if err != nil {
			t.Fatal(err)
		}
		if a.post != nil {
			t.Error("a proxy applies, yet plain messages go on own connections")
		}
		if err := a.Send(ctx, bot.Conversation{Channel: bot.Telegram, User: "42"}, bot.Reply{Text: "lewat proxy"}); err != nil {
			t.Fatal(err)
		}
		return
	}
	tg := telegramtest.New(testToken)
	defer tg.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^TestProxyUsesNetHTTP$", "-test.count=1")
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); !strings.HasSuffix(strings.ToUpper(k), "_PROXY") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "TELEGRAM_PROXY_CHILD=1", "REDISTEST_EMBEDDED=1", "HTTP_PROXY="+tg.URL)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if sent := tg.Sent(42); len(sent) != 1 || sent[0].Text != "lewat proxy" {
		t.Fatalf("through the proxy: %+v, want the one message", sent)
	}
}
