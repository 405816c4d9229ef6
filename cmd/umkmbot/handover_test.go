package main

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/telegram/telegramtest"
	"github.com/umkmbot/umkmbot/bot/umkm"
	"github.com/umkmbot/umkmbot/store"
	"github.com/umkmbot/umkmbot/store/redistest"
)

// handoverWorld is `umkmbot serve` with Telegram on the fake Bot API and
// the web console on a loopback port, in a region whose office is open
// every day all day (so the test does not depend on the hour).
type handoverWorld struct {
	t       *testing.T
	tg      *telegramtest.Server
	console string // http://host:port
	store   *store.Store
	officer *http.Client
	cancel  context.CancelFunc
	done    chan error
}

func startHandover(t *testing.T) *handoverWorld {
	t.Helper()
	const tok = "4242:AAtest_handover"
	tg := telegramtest.New(tok)
	t.Cleanup(tg.Close)
	rdb, prefix := redistest.Client(t)
	region := filepath.Join(t.TempDir(), "region.toml")
	err := os.WriteFile(region, []byte(`code = "32.14"
name = "Kabupaten Purwakarta"
office = "DKUPP Kabupaten Purwakarta"
[hours]
days = [1, 2, 3, 4, 5, 6, 7]
open = "00:00"
close = "23:59"
source = "test"
`), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	env := map[string]string{"REDIS_URL": redistest.URL(), "REDIS_PREFIX": prefix, "REGION": region,
		"TELEGRAM_BOT_TOKEN": tok, "TELEGRAM_API_URL": tg.URL, "TELEGRAM_RATE_PER_CHAT": "100",
		"ADMIN_LISTEN": addr, "OUTBOX_RETRY_MAX": "1s"}
	if err := umkmbotStdinErr(env, "sandi-petugas-1\n", "admin", "user", "add", "rina", "--role", "petugas", "--full-name", "Rina"); err != nil {
		t.Fatal(err)
	}
	if err := umkmbotStdinErr(env, "sandi-petugas-2\n", "admin", "user", "add", "budi", "--role", "petugas"); err != nil {
		t.Fatal(err)
	}
	w := &handoverWorld{t: t, tg: tg, console: "http://" + addr, store: store.New(rdb, store.Options{Prefix: prefix}), done: make(chan error, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	w.cancel = cancel
	go func() {
		w.done <- run(ctx, []string{"serve"}, func(k string) string { return env[k] }, strings.NewReader(""), io.Discard, io.Discard)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-w.done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	for i := 0; i < 200; i++ {
		if res, err := http.Get(w.console + "/healthz"); err == nil {
			res.Body.Close()
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	w.officer = w.signIn("rina", "sandi-petugas-1")
	return w
}

func (w *handoverWorld) signIn(name, password string) *http.Client {
	w.t.Helper()
	c, code := signIn(w.t, &httptest.Server{URL: w.console}, name, password)
	if code != http.StatusSeeOther {
		w.t.Fatalf("sign in %s: status %d", name, code)
	}
	return c
}

// post submits a console form like the browser does.
func (w *handoverWorld) post(c *http.Client, path string, form url.Values) (int, string) {
	w.t.Helper()
	return w.send(c, path, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
}

// send posts body as the browser does (same origin).
func (w *handoverWorld) send(c *http.Client, path, contentType string, body io.Reader) (int, string) {
	w.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, w.console+path, body)
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Origin", w.console)
	res, err := c.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func (w *handoverWorld) get(c *http.Client, path string) string {
	w.t.Helper()
	res, err := c.Get(w.console + path)
	if err != nil {
		w.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		w.t.Fatalf("GET %s: %d\n%s", path, res.StatusCode, b)
	}
	return string(b)
}

// say sends text and waits for the owner's nth message in all.
func (w *handoverWorld) wait(chat int64, n int) []telegramtest.Sent {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	got, err := w.tg.WaitSent(ctx, chat, n)
	if err != nil {
		w.t.Fatalf("waiting for message %d to %d: %v (got %d)", n, chat, err, len(w.tg.Sent(chat)))
	}
	return got
}

// ticketOf waits until the conversation has an open ticket with at least
// msgs messages and returns it.
func (w *handoverWorld) ticketOf(chat int64, msgs int) *umkm.Ticket {
	w.t.Helper()
	c := bot.Conversation{Channel: bot.Telegram, User: strconv.FormatInt(chat, 10)}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if id, err := w.store.OpenTicketOf(context.Background(), c); err == nil && id != "" {
			if tk, err := w.store.Ticket(context.Background(), id, true); err == nil && len(tk.Messages) >= msgs {
				return tk
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	w.t.Fatalf("no open ticket with %d messages for %d", msgs, chat)
	return nil
}

// TestHandoverTelegramConsole: an owner on Telegram asks for an officer in
// office hours, sends a photo; an officer claims and answers through the
// console's HTTP handlers; the owner gets the answer on the same chat; the
// photo is in the ticket; "selesai" brings the bot back.
func TestHandoverTelegramConsole(t *testing.T) {
	w := startHandover(t)
	u := telegramtest.User{ID: 9101, Name: "Ani"}
	w.tg.Text(u, "petugas")
	if got := w.wait(u.ID, 1); !strings.Contains(got[0].Text, "tulis pertanyaannya") {
		t.Fatalf("offer: %q", got[0].Text)
	}
	w.tg.Text(u, "Bagaimana cara ikut pameran UMKM?")
	if got := w.wait(u.ID, 2); !strings.Contains(got[1].Text, "Antrean Bapak/Ibu: nomor 1") {
		t.Fatalf("opened: %q", got[1].Text)
	}
	w.tg.Photo(u, "photo-produk-1", "ini produk saya")
	tk := w.ticketOf(u.ID, 2)
	if m := tk.Messages[1]; m.Kind != bot.KindPhoto || m.Media == nil || m.Media.Ref != "photo-produk-1" || m.Text != "ini produk saya" {
		t.Fatalf("photo in the ticket: %+v", m)
	}
	if n := len(w.tg.Sent(u.ID)); n != 2 {
		t.Fatalf("the bot spoke while the ticket was open: %d messages", n)
	}

	inbox := w.get(w.officer, "/tickets?view=waiting")
	if !strings.Contains(inbox, tk.ID) {
		t.Fatalf("ticket %s not in the waiting inbox", tk.ID)
	}
	if code, _ := w.post(w.officer, "/tickets/"+tk.ID+"/claim", nil); code != http.StatusSeeOther {
		t.Fatalf("claim: %d", code)
	}
	// The other officer sees who holds it and cannot answer.
	budi := w.signIn("budi", "sandi-petugas-2")
	if code, body := w.post(budi, "/tickets/"+tk.ID+"/reply", url.Values{"text": {"saya juga jawab"}}); code != http.StatusConflict || !strings.Contains(body, "rina") {
		t.Fatalf("second officer's reply: %d", code)
	}
	page := w.get(w.officer, "/tickets/"+tk.ID)
	if !strings.Contains(page, "Foto") || !strings.Contains(page, "ini produk saya") || !strings.Contains(page, "Bagaimana cara ikut pameran UMKM?") {
		t.Fatalf("ticket page lacks the owner's messages:\n%s", page)
	}
	// A ready reply goes into the box by a link.
	if page := w.get(w.officer, "/tickets/"+tk.ID+"?canned=1"); !strings.Contains(page, "terima kasih sudah menghubungi Dinas. Kami bantu cek dulu ya.</textarea>") {
		t.Fatalf("canned reply not in the reply box")
	}
	if code, _ := w.post(w.officer, "/tickets/"+tk.ID+"/reply", url.Values{"text": {"Pameran berikutnya tanggal 10 Desember di alun-alun."}}); code != http.StatusSeeOther {
		t.Fatalf("reply: %d", code)
	}
	got := w.wait(u.ID, 3)
	if !strings.Contains(got[2].Text, "Petugas Dinas (Rina)") || !strings.Contains(got[2].Text, "10 Desember") {
		t.Fatalf("officer's reply on the owner's chat: %q", got[2].Text)
	}
	w.tg.Text(u, "selesai")
	if got := w.wait(u.ID, 5); !strings.Contains(got[3].Text, "percakapan dengan petugas sudah selesai") || !strings.Contains(got[4].Text, "Ada lagi") {
		t.Fatalf("selesai: %q, %q", got[3].Text, got[4].Text)
	}
	w.tg.Text(u, "/menu")
	got = w.wait(u.ID, 6)
	if last := got[len(got)-1].Text; !strings.Contains(last, "Menu utama") {
		t.Fatalf("bot not back: %q", last)
	}
	if closed, _ := w.store.Ticket(context.Background(), tk.ID, false); closed.Status != umkm.TicketClosed || closed.ClosedBy != umkm.FromOwner {
		t.Fatalf("ticket after selesai: %+v", closed)
	}
}

// TestHandoverReplyWhileChannelDown: the officer's reply is accepted while
// Telegram fails; the outbox delivers it when Telegram is back, once. The
// officer's close brings the owner back to the bot.
func TestHandoverReplyWhileChannelDown(t *testing.T) {
	w := startHandover(t)
	u := telegramtest.User{ID: 9102, Name: "Budi"}
	w.tg.Text(u, "petugas izin usaha saya belum keluar")
	w.wait(u.ID, 1)
	tk := w.ticketOf(u.ID, 1)
	if tk.Messages[0].Text != "izin usaha saya belum keluar" {
		t.Fatalf("question: %q", tk.Messages[0].Text)
	}
	w.tg.Fail500(12) // Telegram down for the next dozen sends
	if code, _ := w.post(w.officer, "/tickets/"+tk.ID+"/reply", url.Values{"text": {"Sedang kami cek ke DPMPTSP."}}); code != http.StatusSeeOther {
		t.Fatalf("reply while the channel is down: %d", code)
	}
	got := w.wait(u.ID, 2)
	if !strings.Contains(got[1].Text, "DPMPTSP") {
		t.Fatalf("delayed reply: %q", got[1].Text)
	}
	if code, _ := w.post(w.officer, "/tickets/"+tk.ID+"/close", url.Values{"outcome": {"diteruskan ke DPMPTSP"}}); code != http.StatusSeeOther {
		t.Fatalf("close: %d", code)
	}
	got = w.wait(u.ID, 3)
	if !strings.Contains(got[2].Text, "Petugas sudah menutup") {
		t.Fatalf("closed: %q", got[2].Text)
	}
	time.Sleep(1500 * time.Millisecond) // a resend round would have run by now
	n := 0
	for _, s := range w.tg.Sent(u.ID) {
		if strings.Contains(s.Text, "DPMPTSP") {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("the reply arrived %d times, want once", n)
	}
	if fails := len(w.tg.Requests("sendMessage")) - len(w.tg.Sent(u.ID)); fails < 1 {
		t.Fatalf("Telegram never failed (%d failed sends): the test proves nothing", fails)
	}
	if closed, _ := w.store.Ticket(context.Background(), tk.ID, false); closed.Outcome != "diteruskan ke DPMPTSP" || closed.ClosedBy != "rina" {
		t.Fatalf("closed ticket: %+v", closed)
	}
}

// postFile submits the reply form with a file, as the browser does.
func (w *handoverWorld) postFile(c *http.Client, path, text, name string, data []byte) (int, string) {
	w.t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	mw.WriteField("text", text)
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(data)
	mw.Close()
	return w.send(c, path, mw.FormDataContentType(), &b)
}

// TestHandoverPhotoDocumentTransfer: an officer answers with a photo while
// Telegram fails for a while (the photo arrives later, once, with the
// reply as its caption) and with a PDF (a document named as uploaded);
// files of the wrong type or too large are refused with the reason; the
// ticket records each; the officer transfers the ticket to a colleague,
// who then holds it (and finds it under "mine") while the first is
// refused, and the move is in the history and the audit log.
func TestHandoverPhotoDocumentTransfer(t *testing.T) {
	w := startHandover(t)
	u := telegramtest.User{ID: 9103, Name: "Citra"}
	w.tg.Text(u, "petugas contoh label kemasan yang benar seperti apa?")
	w.wait(u.ID, 1)
	tk := w.ticketOf(u.ID, 1)
	pic := testPNG(t)
	pdf := []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")

	// Refused: wrong type, too large. Nothing is sent or recorded.
	if code, body := w.postFile(w.officer, "/tickets/"+tk.ID+"/reply", "lihat ini", "catatan.txt", []byte("teks biasa")); code != http.StatusUnprocessableEntity || !strings.Contains(body, "JPG/PNG") {
		t.Fatalf("text file: %d", code)
	}
	big := append(append([]byte{}, pic...), make([]byte, 5<<20)...)
	if code, body := w.postFile(w.officer, "/tickets/"+tk.ID+"/reply", "besar", "besar.png", big); code != http.StatusUnprocessableEntity || !strings.Contains(body, "5 MB") {
		t.Fatalf("large file: %d", code)
	}
	huge := append(append([]byte{}, pic...), make([]byte, 8<<20)...) // over the body cap: cut off while read
	if code, body := w.postFile(w.officer, "/tickets/"+tk.ID+"/reply", "teks tanpa berkas", "huge.png", huge); code != http.StatusUnprocessableEntity || !strings.Contains(body, "5 MB") {
		t.Fatalf("huge file: %d", code)
	}
	if code, _ := w.post(w.officer, "/tickets/"+tk.ID+"/reply", url.Values{"text": {""}}); code != http.StatusUnprocessableEntity {
		t.Fatalf("empty reply: %d", code)
	}

	w.tg.Fail500(6)
	if code, _ := w.postFile(w.officer, "/tickets/"+tk.ID+"/reply", "Contoh label yang benar:", "label.png", pic); code != http.StatusSeeOther {
		t.Fatalf("photo reply: %d", code)
	}
	got := w.wait(u.ID, 2)
	if p := got[1]; !bytes.Equal(p.Photo, pic) || !strings.Contains(p.Text, "Petugas Dinas (Rina)") || !strings.Contains(p.Text, "Contoh label yang benar:") {
		t.Fatalf("photo on the owner's chat: %d bytes, caption %q", len(p.Photo), p.Text)
	}
	if code, _ := w.postFile(w.officer, "/tickets/"+tk.ID+"/reply", "Formulir P-IRT terlampir.", "C:\\Dokumen\\formulir pirt.pdf", pdf); code != http.StatusSeeOther {
		t.Fatalf("document reply: %d", code)
	}
	deadline := time.Now().Add(30 * time.Second)
	for len(w.tg.Documents()) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if docs := w.tg.Documents(); len(docs) != 1 || docs[0].Chat != u.ID || docs[0].Name != "formulir pirt.pdf" || !bytes.Equal(docs[0].Data, pdf) {
		t.Fatalf("document on the owner's chat: %+v", docs)
	}
	time.Sleep(1500 * time.Millisecond) // a resend round would have run by now
	photos := 0
	for _, s := range w.tg.Sent(u.ID) {
		if s.Photo != nil || s.PhotoID != "" {
			photos++
		}
	}
	if photos != 1 || len(w.tg.Documents()) != 1 {
		t.Fatalf("sent %d photos and %d documents, want one each", photos, len(w.tg.Documents()))
	}
	if fails := len(w.tg.Requests("sendPhoto")) - photos; fails < 1 {
		t.Fatalf("sendPhoto never failed (%d): the outage proved nothing", fails)
	}
	tk, _ = w.store.Ticket(context.Background(), tk.ID, true)
	if n := len(tk.Messages); n != 3 || tk.Messages[1].Kind != bot.KindPhoto || tk.Messages[1].Media == nil ||
		tk.Messages[2].Kind != bot.KindDocument || tk.Messages[2].Media.Name != "formulir pirt.pdf" || tk.Messages[2].Officer != "rina" {
		t.Fatalf("ticket messages: %+v", tk.Messages)
	}
	page := w.get(w.officer, "/tickets/"+tk.ID)
	if !strings.Contains(page, "/tickets/"+tk.ID+"/files/"+tk.Messages[1].Media.Ref) || !strings.Contains(page, "formulir pirt.pdf") {
		t.Fatalf("ticket page lacks the reply's files")
	}
	if b := w.get(w.officer, "/tickets/"+tk.ID+"/files/"+tk.Messages[2].Media.Ref); b != string(pdf) {
		t.Fatalf("document download: %q", b)
	}

	// Transfer to budi: budi holds it, rina is refused, both see the move.
	if code, _ := w.post(w.officer, "/tickets/"+tk.ID+"/transfer", url.Values{"to": {"nobody"}}); code != http.StatusUnprocessableEntity {
		t.Fatalf("transfer to an unknown account: %d", code)
	}
	if code, _ := w.post(w.officer, "/tickets/"+tk.ID+"/transfer", url.Values{"to": {"budi"}}); code != http.StatusSeeOther {
		t.Fatalf("transfer: %d", code)
	}
	budi := w.signIn("budi", "sandi-petugas-2")
	if mine := w.get(budi, "/tickets?view=mine"); !strings.Contains(mine, tk.ID) {
		t.Fatalf("budi's inbox lacks the transferred ticket")
	}
	if code, body := w.post(w.officer, "/tickets/"+tk.ID+"/reply", url.Values{"text": {"masih saya"}}); code != http.StatusConflict || !strings.Contains(body, "budi") {
		t.Fatalf("rina's reply after the transfer: %d", code)
	}
	for _, c := range []*http.Client{w.officer, budi} {
		if page := w.get(c, "/tickets/"+tk.ID); !strings.Contains(page, "Dialihkan dari rina ke budi") {
			t.Fatalf("the transfer is not in the history")
		}
	}
	if code, _ := w.post(budi, "/tickets/"+tk.ID+"/reply", url.Values{"text": {"Saya lanjutkan, Bu."}}); code != http.StatusSeeOther {
		t.Fatalf("budi's reply: %d", code)
	}
	got = w.wait(u.ID, 3)
	if !strings.Contains(got[2].Text, "Saya lanjutkan") {
		t.Fatalf("budi's reply on the owner's chat: %q", got[2].Text)
	}
	entries, err := w.store.AuditLog(time.Hour).Recent(context.Background(), 50)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range entries {
		found = found || (e.Action == "ticket_transfer" && e.Subject == tk.ID && e.Actor == "web:rina" && e.Detail == "from rina to budi")
	}
	if !found {
		t.Fatalf("no audit entry for the transfer: %+v", entries)
	}
}
