package telegram

import (
	"bufio"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/umkmbot/umkmbot/bot"
)

const testToken = "123456789:AAH-internal_test-token"

// postAdapter is an adapter that sends on its own connections to url (an
// API base URL).
func postAdapter(t testing.TB, url string) *Adapter {
	t.Helper()
	p := newPoster(url + "/bot" + testToken + "/sendMessage")
	if p == nil {
		t.Fatalf("no own connections for %s", url)
	}
	t.Cleanup(p.closeIdle)
	return &Adapter{post: p, obs: bot.NopObserver{}, cfg: Config{Token: testToken}}
}

func (p *poster) idleConns() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.idle)
}

// rawServer is a loopback server that answers each request with raw bytes.
type rawServer struct {
	url   string
	conns atomic.Int32 // connections accepted
	reqs  atomic.Int32 // requests read in full
}

// rawAnswer is what rawServer does with a request: write resp, then close
// the connection if close. An empty resp with close drops the connection
// unanswered; without close it hangs until the client goes.
type rawAnswer struct {
	resp  string
	close bool
}

// newRawServer serves with answer, given the request's index on its
// connection and its form.
func newRawServer(t *testing.T, answer func(n int, form string) rawAnswer) *rawServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &rawServer{url: "http://" + ln.Addr().String()}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var open []net.Conn
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range open {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.conns.Add(1)
			mu.Lock()
			open = append(open, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				br := bufio.NewReader(c)
				for n := 0; ; n++ {
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					form, err := io.ReadAll(req.Body)
					if err != nil {
						return
					}
					s.reqs.Add(1)
					a := answer(n, string(form))
					if a.resp == "" && !a.close {
						io.Copy(io.Discard, br) // hang until the client closes
						return
					}
					if _, err := io.WriteString(c, a.resp); err != nil || a.close {
						return
					}
				}
			}()
		}
	}()
	return s
}

// answer is an HTTP/1.1 answer with a Content-Length.
func answer(status, body string, headers ...string) string {
	h := ""
	for _, x := range headers {
		h += x + "\r\n"
	}
	return fmt.Sprintf("HTTP/1.1 %s\r\nContent-Type: application/json\r\n%sContent-Length: %d\r\n\r\n%s", status, h, len(body), body)
}

const okAnswer = `{"ok":true,"result":{"message_id":5,"chat":{"id":42,"type":"private"},"date":1,"text":"x"}}`

// chunked is body as a chunked 200 answer: two chunks (one with an
// extension) and a trailer.
func chunked(body string) string {
	h := len(body) / 2
	return fmt.Sprintf("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n%x;x=1\r\n%s\r\n%X\r\n%s\r\n0\r\nX-Trailer: 1\r\n\r\n", h, body[:h], len(body)-h, body[h:])
}

// kindOf names what the adapter makes of a send's error.
func kindOf(err error) string {
	if err == nil {
		return "ok"
	}
	pe, isAPI := apiError(err)
	return [...]string{sendRetry: "retry", sendWait: "wait", sendUnreachable: "unreachable", sendRejected: "rejected"}[classify(pe, isAPI)]
}

// TestPostAnswers: every shape of answer the Bot API (or a proxy in front
// of it) gives is read as net/http would have it read, classified as
// before, and the connection is kept only after an answer read in full on
// a connection the server keeps.
func TestPostAnswers(t *testing.T) {
	tests := []struct {
		name       string
		answer     rawAnswer
		want       string
		retryAfter int
		keep       bool
	}{
		{"200 with Content-Length", rawAnswer{resp: answer("200 OK", okAnswer)}, "ok", 0, true},
		{"200 chunked", rawAnswer{resp: chunked(okAnswer)}, "ok", 0, true},
		{"200 without result", rawAnswer{resp: answer("200 OK", `{"ok":true}`)}, "ok", 0, true},
		{"100 Continue first", rawAnswer{resp: "HTTP/1.1 100 Continue\r\n\r\n" + answer("200 OK", okAnswer)}, "ok", 0, true},
		{"200 Connection: close", rawAnswer{resp: answer("200 OK", okAnswer, "Connection: close"), close: true}, "ok", 0, false},
		{"HTTP/1.0 to the end", rawAnswer{resp: "HTTP/1.0 200 OK\r\n\r\n" + okAnswer, close: true}, "ok", 0, false},
		{"400 chat not found", rawAnswer{resp: answer("400 Bad Request", `{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}`)}, "unreachable", 0, true},
		{"400 bad markup", rawAnswer{resp: chunked(`{"ok":false,"error_code":400,"description":"Bad Request: can't parse entities"}`)}, "rejected", 0, true},
		{"403 blocked", rawAnswer{resp: answer("403 Forbidden", `{"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"}`)}, "unreachable", 0, true},
		{"429 retry after 7", rawAnswer{resp: answer("429 Too Many Requests", `{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 7","parameters":{"retry_after":7}}`)}, "wait", 7, true},
		{"502 HTML", rawAnswer{resp: answer("502 Bad Gateway", `<html>bad gateway</html>`, "Content-Type: text/html")}, "retry", 0, true},
		{"200 cut short", rawAnswer{resp: "HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n" + okAnswer, close: true}, "retry", 0, false},
		{"chunked cut short", rawAnswer{resp: chunked(okAnswer)[:60], close: true}, "retry", 0, false},
		{"not HTTP", rawAnswer{resp: "SSH-2.0-OpenSSH\r\n", close: true}, "retry", 0, false},
		{"Transfer-Encoding gzip", rawAnswer{resp: "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n"}, "retry", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newRawServer(t, func(int, string) rawAnswer { return tc.answer })
			a := postAdapter(t, s.url)
			sent, err := a.postMessage(context.Background(), tgbotapi.NewMessage(42, "Halo"))
			if got := kindOf(err); got != tc.want {
				t.Fatalf("err = %v: %s, want %s", err, got, tc.want)
			}
			if pe, _ := apiError(err); tc.retryAfter != 0 && (pe == nil || pe.RetryAfter != tc.retryAfter) {
				t.Errorf("err = %v, want retry after %d", err, tc.retryAfter)
			}
			if !sent {
				t.Error("the request was written, sent = false")
			}
			if kept := a.post.idleConns() == 1; kept != tc.keep {
				t.Errorf("connection kept: %v, want %v", kept, tc.keep)
			}
			if a.Stats.MaybeDoubled.Load() != 0 {
				t.Error("an answered send counted as maybe doubled")
			}
		})
	}
}

// TestPostReusesConnection: sends one after the other share a connection.
func TestPostReusesConnection(t *testing.T) {
	s := newRawServer(t, func(int, string) rawAnswer { return rawAnswer{resp: answer("200 OK", okAnswer)} })
	a := postAdapter(t, s.url)
	for i := range 5 {
		if _, err := a.postMessage(context.Background(), tgbotapi.NewMessage(42, "Halo "+strconv.Itoa(i))); err != nil {
			t.Fatal(err)
		}
	}
	if n := s.conns.Load(); n != 1 {
		t.Fatalf("5 sends used %d connections, want 1", n)
	}
}

// countingServer starts a loopback server (TLS offering HTTP/2 too, if
// tls) that counts the connections it accepted.
func countingServer(t *testing.T, tls bool, h http.HandlerFunc) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	if tls {
		srv.EnableHTTP2 = true
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	return srv, &conns
}

// TestPostServerClosedIdle: a server that closed a kept connection while
// it idled costs a new connection, and the next send succeeds, arriving
// once. A connection idle for peekAfter is checked before use, so nothing
// counts as maybe doubled; one reused sooner is not, so the request goes
// out on it, gets EOF and is sent again at once, counted as maybe doubled
// (the client cannot tell it from a server that died after delivering).
func TestPostServerClosedIdle(t *testing.T) {
	for _, tc := range []struct {
		name    string
		idle    time.Duration
		doubled int64
	}{{"idle long enough to be checked", peekAfter, 0}, {"reused at once", 0, 1}} {
		t.Run(tc.name, func(t *testing.T) {
			var got atomic.Int32
			srv, conns := countingServer(t, false, func(w http.ResponseWriter, r *http.Request) {
				got.Add(1)
				io.WriteString(w, okAnswer)
			})
			a := postAdapter(t, srv.URL)
			if _, err := a.postMessage(context.Background(), tgbotapi.NewMessage(42, "satu")); err != nil {
				t.Fatal(err)
			}
			srv.CloseClientConnections()
			// Wait until the server's FIN is there to see (loopback: at once).
			deadline := time.Now().Add(10 * time.Second)
			for {
				a.post.mu.Lock()
				closed := len(a.post.idle) == 1 && a.post.idle[0].peek.peerClosed()
				if closed {
					a.post.idle[0].used = time.Now().Add(-tc.idle)
				}
				a.post.mu.Unlock()
				if closed {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("the closed connection never looked closed")
				}
				time.Sleep(time.Millisecond)
			}
			sent, err := a.postMessage(context.Background(), tgbotapi.NewMessage(42, "dua"))
			if err != nil || !sent {
				t.Fatalf("send after the server closed the idle connection: sent %v, %v", sent, err)
			}
			if got.Load() != 2 || conns.Load() != 2 {
				t.Errorf("server got %d requests on %d connections, want 2 on 2", got.Load(), conns.Load())
			}
			if n := a.Stats.MaybeDoubled.Load(); n != tc.doubled {
				t.Errorf("%d sends counted as maybe doubled, want %d", n, tc.doubled)
			}
		})
	}
}

// TestPostClosedAsRequestWentOut: a server that closes a reused
// connection after it took the request, without answering, gets it once
// more at once on a new connection; that the person may get it twice is
// counted.
func TestPostClosedAsRequestWentOut(t *testing.T) {
	var forms []string
	var mu sync.Mutex
	s := newRawServer(t, func(n int, form string) rawAnswer {
		mu.Lock()
		forms = append(forms, form)
		mu.Unlock()
		if n == 1 { // the second request on a connection
			return rawAnswer{close: true}
		}
		return rawAnswer{resp: answer("200 OK", okAnswer)}
	})
	a := postAdapter(t, s.url)
	for _, text := range []string{"satu", "dua"} {
		if sent, err := a.postMessage(context.Background(), tgbotapi.NewMessage(42, text)); err != nil || !sent {
			t.Fatalf("send %s: sent %v, %v", text, sent, err)
		}
	}
	if n := a.Stats.MaybeDoubled.Load(); n != 1 {
		t.Errorf("%d sends counted as maybe doubled, want 1", n)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(forms) != 3 || forms[1] != forms[2] || !strings.Contains(forms[2], "text=dua") {
		t.Errorf("server got %q; want satu, then dua twice", forms)
	}
	if s.conns.Load() != 2 {
		t.Errorf("%d connections, want 2", s.conns.Load())
	}
}

// TestPostHangs: a server that takes the request and never answers holds
// the send only until its context ends (deadline or cancel) or
// RequestTimeout passes; the request
// counts as sent and the connection is not used again.
func TestPostHangs(t *testing.T) {
	var hang, hangs atomic.Int32
	cctx, cancelSecond := context.WithCancel(context.Background())
	defer cancelSecond()
	s := newRawServer(t, func(int, string) rawAnswer {
		if hang.Add(-1) >= 0 {
			if hangs.Add(1) == 2 {
				cancelSecond() // the second hang is cancelled, not timed out
			}
			return rawAnswer{}
		}
		return rawAnswer{resp: answer("200 OK", okAnswer)}
	})
	a := postAdapter(t, s.url)

	hang.Store(1)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	sent, err := a.postMessage(ctx, tgbotapi.NewMessage(42, "Halo"))
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) || !sent {
		t.Fatalf("hung send: sent %v, %v; want sent and context.DeadlineExceeded", sent, err)
	}
	if a.post.idleConns() != 0 {
		t.Fatal("the hung connection was kept")
	}

	hang.Store(1)
	sent, err = a.postMessage(cctx, tgbotapi.NewMessage(42, "Halo"))
	if !errors.Is(err, context.Canceled) || !sent {
		t.Fatalf("cancelled send: sent %v, %v; want sent and context.Canceled", sent, err)
	}
	if a.post.idleConns() != 0 {
		t.Fatal("the cancelled connection was kept")
	}

	// No deadline on the context: RequestTimeout alone ends the send.
	hang.Store(1)
	a.cfg.RequestTimeout = 100 * time.Millisecond
	sent, err = a.postMessage(context.Background(), tgbotapi.NewMessage(42, "Halo"))
	if !errors.Is(err, context.DeadlineExceeded) || !sent {
		t.Fatalf("hung send under RequestTimeout: sent %v, %v; want sent and context.DeadlineExceeded", sent, err)
	}

	if _, err := a.postMessage(context.Background(), tgbotapi.NewMessage(42, "Halo")); err != nil {
		t.Fatal(err)
	}
	if n := s.conns.Load(); n != 4 {
		t.Errorf("%d connections, want 4 (none reused after a hang)", n)
	}
}

// TestPostTLS: https on its own connections verifies the server's
// certificate (an unknown one fails), speaks HTTP/1.1 even to a server
// that offers HTTP/2, and keeps the connection.
func TestPostTLS(t *testing.T) {
	var proto atomic.Value
	srv, conns := countingServer(t, true, func(w http.ResponseWriter, r *http.Request) {
		proto.Store(r.Proto)
		io.WriteString(w, okAnswer)
	})

	a := postAdapter(t, srv.URL)
	_, err := a.postMessage(context.Background(), tgbotapi.NewMessage(42, "Halo"))
	var unknown x509.UnknownAuthorityError
	if !errors.As(err, &unknown) {
		t.Fatalf("send to a server of an unknown authority = %v, want x509.UnknownAuthorityError", err)
	}

	a = postAdapter(t, srv.URL)
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())
	a.post.tls.RootCAs = roots // test only: the server's certificate
	for range 3 {
		if _, err := a.postMessage(context.Background(), tgbotapi.NewMessage(42, "Halo")); err != nil {
			t.Fatal(err)
		}
	}
	if p := proto.Load(); p != "HTTP/1.1" {
		t.Errorf("spoke %v, want HTTP/1.1", p)
	}
	if n := conns.Load(); n != 2 { // the refused one, then one kept for all
		t.Errorf("%d connections, want 2", n)
	}
}

// TestPostConcurrent: many senders at once through one pool: every
// message arrives once, no more connections than senders.
func TestPostConcurrent(t *testing.T) {
	const senders, each = 40, 25
	var mu sync.Mutex
	got := map[string]int{}
	srv, conns := countingServer(t, false, func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		mu.Lock()
		got[r.Form.Get("chat_id")+" "+r.Form.Get("text")]++
		mu.Unlock()
		io.WriteString(w, okAnswer)
	})
	a := postAdapter(t, srv.URL)
	var wg sync.WaitGroup
	for g := range senders {
		wg.Go(func() {
			for i := range each {
				m := tgbotapi.NewMessage(int64(1000+g), fmt.Sprintf("Pesan %d & 100%%", i))
				m.ReplyMarkup = tgbotapi.NewReplyKeyboard(tgbotapi.NewKeyboardButtonRow(tgbotapi.NewKeyboardButton(strconv.Itoa(i))))
				if _, err := a.postMessage(context.Background(), m); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if len(got) != senders*each {
		t.Errorf("server got %d different messages, want %d", len(got), senders*each)
	}
	for m, n := range got {
		if n != 1 {
			t.Errorf("%q arrived %d times", m, n)
		}
	}
	if n := conns.Load(); n > senders {
		t.Errorf("%d connections for %d senders", n, senders)
	}
	if n := a.post.idleConns(); n > maxIdleConns || n == 0 {
		t.Errorf("%d idle connections kept", n)
	}
}

// TestPostMessageWire: on the wire, a message on the adapter's own
// connections is the library's request (method, path, Host, User-Agent,
// Content-Type, Content-Length, body), for every message Render builds.
func TestPostMessageWire(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		seen = append(seen, fmt.Sprintf("%s %s %s\nHost: %s\nUser-Agent: %s\nContent-Type: %s\nContent-Length: %d %q\n\n%s",
			r.Method, r.RequestURI, r.Proto, r.Host, r.UserAgent(), r.Header.Get("Content-Type"), r.ContentLength, r.TransferEncoding, b))
		mu.Unlock()
		io.WriteString(w, okAnswer)
	}))
	defer srv.Close()
	api, err := tgbotapi.NewBotAPIWithClient(testToken, srv.URL+"/bot%s/%s", &http.Client{})
	if err != nil {
		t.Fatal(err)
	}
	a := postAdapter(t, srv.URL)
	n := 0
	for _, kb := range []Keyboard{ReplyKeyboard, InlineKeyboard} {
		for _, r := range formReplies {
			for _, m := range Render(42, r, kb, Labels{}) {
				mu.Lock()
				seen = nil
				mu.Unlock()
				if _, err := api.Request(m); err != nil {
					t.Fatal(err)
				}
				if _, err := a.postMessage(context.Background(), m); err != nil {
					t.Fatal(err)
				}
				mu.Lock()
				if len(seen) != 2 || seen[0] != seen[1] {
					t.Errorf("keyboard %v, reply %q:\nlib %s\nown %s", kb, r.Text, seen[0], seen[len(seen)-1])
				}
				mu.Unlock()
				n++
			}
		}
	}
	if n == 0 {
		t.Fatal("no message compared")
	}
}

// TestKeepDeadline: a reused connection keeps its deadline only when that
// bounds the send by its own deadline and leaves it nine tenths of its
// time.
func TestKeepDeadline(t *testing.T) {
	now := time.Unix(1000, 0)
	dl := now.Add(30 * time.Second)
	for _, tc := range []struct {
		name     string
		prev, dl time.Time
		want     bool
	}{
		{"none and none", time.Time{}, time.Time{}, true},
		{"a deadline, the send has none", dl, time.Time{}, false},
		{"none, the send has one", time.Time{}, dl, false},
		{"the same", dl, dl, true},
		{"a moment earlier", dl.Add(-time.Second), dl, true},
		{"a tenth earlier", dl.Add(-3 * time.Second), dl, true},
		{"more than a tenth earlier", dl.Add(-3*time.Second - time.Millisecond), dl, false},
		{"later than the send's own", dl.Add(time.Millisecond), dl, false},
		{"already past", now.Add(-time.Second), dl, false},
	} {
		if got := keepDeadline(tc.prev, tc.dl, now); got != tc.want {
			t.Errorf("%s: keepDeadline = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestPostReusedConnectionBoundedBySendDeadline: a connection reused
// after sends with a long deadline does not keep that deadline for a send
// due sooner: a hung send ends by its own.
func TestPostReusedConnectionBoundedBySendDeadline(t *testing.T) {
	var hang atomic.Int32
	s := newRawServer(t, func(int, string) rawAnswer {
		if hang.Add(-1) >= 0 {
			return rawAnswer{}
		}
		return rawAnswer{resp: answer("200 OK", okAnswer)}
	})
	a := postAdapter(t, s.url)
	a.cfg.RequestTimeout = time.Minute
	for i := 0; i < 3; i++ { // the connection's deadline is a minute away
		if _, err := a.postMessage(context.Background(), tgbotapi.NewMessage(42, "Halo")); err != nil {
			t.Fatal(err)
		}
	}
	a.cfg.RequestTimeout = 200 * time.Millisecond
	hang.Store(1)
	began := time.Now()
	_, err := a.postMessage(context.Background(), tgbotapi.NewMessage(42, "Halo"))
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(began) > 20*time.Second {
		t.Fatalf("hung send under a 200 ms RequestTimeout on a reused connection: %v after %v", err, time.Since(began))
	}
	if n := s.conns.Load(); n != 1 {
		t.Fatalf("%d connections: the sends were not on one reused connection", n)
	}
}
