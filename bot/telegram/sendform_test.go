package telegram

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/umkmbot/umkmbot/bot"
)

// capture is an http.Client transport that records request bodies and
// answers with body.
type capture struct {
	bodies []string
	urls   []string
	status int
	body   string
}

func (c *capture) RoundTrip(r *http.Request) (*http.Response, error) {
	b, _ := io.ReadAll(r.Body)
	c.bodies = append(c.bodies, r.Header.Get("Content-Type")+" "+string(b))
	c.urls = append(c.urls, r.URL.String())
	return &http.Response{StatusCode: c.status, Body: io.NopCloser(strings.NewReader(c.body)), Header: http.Header{}}, nil
}

// formReplies are replies whose messages must go out as the library sends
// them: text with spaces, symbols and non-ASCII, keyboards of every kind.
var formReplies = []bot.Reply{
	{Text: "Halo Bapak/Ibu 👋\nKetik *1* & lanjut: 100% ~ok~ + = ?"},
	{Text: "Pilih kecamatan:", Options: []bot.ReplyOption{{Key: "1", Label: "Plered"}, {Key: "2", Label: "Bojong Timur"}}},
	{Text: "Kirim nomor HP", Ask: bot.AskContact},
}

// TestSendMessageForm: the hand-encoded sendMessage is the very request
// the library makes for the messages Render builds (text with spaces,
// symbols and non-ASCII, keyboards of every kind), and a refusal comes back
// as the library's *tgbotapi.Error.
func TestSendMessageForm(t *testing.T) {
	for _, kb := range []Keyboard{ReplyKeyboard, InlineKeyboard} {
		for _, r := range formReplies {
			for _, m := range Render(42, r, kb, Labels{}) {
				lib := &capture{status: 200, body: `{"ok":true,"result":{}}`}
				api, err := tgbotapi.NewBotAPIWithClient("T0K", "http://api.test/bot%s/%s", &http.Client{Transport: lib})
				if err != nil {
					t.Fatal(err)
				}
				lib.bodies, lib.urls = nil, nil // getMe
				if _, err := api.Request(m); err != nil {
					t.Fatal(err)
				}
				own := &capture{status: 200, body: `{"ok":true,"result":{}}`}
				a := &Adapter{http: &http.Client{Transport: own}, sendURL: "http://api.test/botT0K/sendMessage"}
				if !plainMessage(m) {
					t.Fatalf("Render built a message sendMessage does not encode: %+v", m)
				}
				if err := a.sendMessage(context.Background(), m); err != nil {
					t.Fatal(err)
				}
				if own.bodies[0] != lib.bodies[0] || own.urls[0] != lib.urls[0] {
					t.Errorf("keyboard %v, reply %q:\nown %s %s\nlib %s %s", kb, r.Text, own.urls[0], own.bodies[0], lib.urls[0], lib.bodies[0])
				}
			}
		}
	}
	refused := &capture{status: 429, body: `{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 7","parameters":{"retry_after":7}}`}
	a := &Adapter{http: &http.Client{Transport: refused}, sendURL: "http://api.test/botT0K/sendMessage"}
	err := a.sendMessage(context.Background(), tgbotapi.NewMessage(42, "x"))
	var pe *tgbotapi.Error
	if !errors.As(err, &pe) || pe.Code != 429 || pe.RetryAfter != 7 {
		t.Fatalf("refusal = %v; want a *tgbotapi.Error with code 429, retry after 7", err)
	}
	garbled := &capture{status: 502, body: `<html>bad gateway</html>`}
	a = &Adapter{http: &http.Client{Transport: garbled}, sendURL: "http://api.test/botT0K/sendMessage"}
	if err := a.sendMessage(context.Background(), tgbotapi.NewMessage(42, "x")); err == nil {
		t.Fatal("a 502 HTML answer counted as sent")
	} else if _, isAPI := apiError(err); isAPI {
		t.Fatalf("a 502 HTML answer = %v; want a plain (retried) error", err)
	}
}

// BenchmarkSendMessage: one sendMessage to a loopback server (whose work
// is counted too): on the adapter's own connections (post), hand-encoded
// through net/http (own), through the library (lib); the parallel ones
// with 16 senders a core. Run: go test ./bot/telegram -run XXX -bench
// SendMessage -benchmem
func BenchmarkSendMessage(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"ok":true,"result":{"message_id":1,"chat":{"id":42,"type":"private"},"date":1,"text":"ok"}}`)
	}))
	defer srv.Close()
	ms := Render(42, bot.Reply{Text: "Pilih kecamatan:", Options: []bot.ReplyOption{{Key: "1", Label: "Plered"}, {Key: "2", Label: "Bojong Timur"}}}, ReplyKeyboard, Labels{})
	m := ms[len(ms)-1]
	// As New makes it.
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns, t.MaxIdleConnsPerHost = 256, 128
	hc := &http.Client{Transport: t}
	defer t.CloseIdleConnections()
	own := func(b testing.TB) func(context.Context) error {
		a := &Adapter{http: hc, sendURL: srv.URL + "/botT0K/sendMessage"}
		return func(ctx context.Context) error { return a.sendMessage(ctx, m) }
	}
	post := func(b testing.TB) func(context.Context) error {
		a := postAdapter(b, srv.URL)
		return func(ctx context.Context) error { _, err := a.postMessage(ctx, m); return err }
	}
	for _, v := range []struct {
		name string
		send func(testing.TB) func(context.Context) error
	}{{"post", post}, {"own", own}} {
		b.Run(v.name, func(b *testing.B) {
			send := v.send(b)
			for b.Loop() {
				if err := send(context.Background()); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(v.name+"-parallel", func(b *testing.B) {
			send := v.send(b)
			b.SetParallelism(16)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := send(context.Background()); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
	b.Run("lib", func(b *testing.B) {
		api := &tgbotapi.BotAPI{Token: "T0K", Client: okClient{ctx: context.Background(), c: hc}}
		api.SetAPIEndpoint(srv.URL + "/bot%s/%s")
		for b.Loop() {
			if _, err := api.Request(m); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkSendMessageTLS: sendMessage over https, as to the real Bot API:
// on the adapter's own HTTP/1.1 connections (post) and through net/http,
// which speaks HTTP/2 there (h2: one connection for every sender). The
// loopback server's work is counted too, and Go's HTTP/2 server costs more
// than its HTTP/1.1 one.
func BenchmarkSendMessageTLS(b *testing.B) {
	var protos sync.Map
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		protos.Store(r.Proto, true)
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"ok":true,"result":{"message_id":1,"chat":{"id":42,"type":"private"},"date":1,"text":"ok"}}`)
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	defer srv.Close()
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())
	ms := Render(42, bot.Reply{Text: "Pilih kecamatan:", Options: []bot.ReplyOption{{Key: "1", Label: "Plered"}, {Key: "2", Label: "Bojong Timur"}}}, ReplyKeyboard, Labels{})
	m := ms[len(ms)-1]
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns, t.MaxIdleConnsPerHost = 256, 128
	t.TLSClientConfig = &tls.Config{RootCAs: roots}
	defer t.CloseIdleConnections()
	h2 := &Adapter{http: &http.Client{Transport: t}, sendURL: srv.URL + "/botT0K/sendMessage"}
	post := postAdapter(b, srv.URL)
	post.post.tls.RootCAs = roots
	for _, v := range []struct {
		name string
		send func(context.Context) error
	}{
		{"post", func(ctx context.Context) error { _, err := post.postMessage(ctx, m); return err }},
		{"h2", func(ctx context.Context) error { return h2.sendMessage(ctx, m) }},
	} {
		b.Run(v.name+"-parallel", func(b *testing.B) {
			b.SetParallelism(16)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := v.send(context.Background()); err != nil {
						b.Error(err)
						return
					}
				}
			})
			if _, h2 := protos.Load("HTTP/2.0"); v.name == "h2" && !h2 {
				b.Error("net/http did not speak HTTP/2")
			}
		})
	}
}
