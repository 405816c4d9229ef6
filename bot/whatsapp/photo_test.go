package whatsapp

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"google.golang.org/protobuf/proto"

	"github.com/umkmbot/umkmbot/bot"
)

var jpegBytes = []byte("\xff\xd8\xff\xe0 a jpeg")

// An uploaded picture is uploaded once and sent as an image with its
// caption to each recipient.
func TestSendPhotoUploadsOnce(t *testing.T) {
	a, client, _ := newTestAdapter(t, quiet())
	p := bot.Photo{Media: bot.Media{Type: "photo", Ref: "img-1", Mime: "image/jpeg"}, From: bot.Uploaded, Data: jpegBytes}
	other := bot.Conversation{Channel: bot.WhatsApp, User: "6281298765432"}
	for _, to := range []bot.Conversation{sitiConv, other} {
		if err := a.SendPhoto(context.Background(), to, p, bot.Reply{Text: "Pelatihan kemasan Senin"}); err != nil {
			t.Fatal(err)
		}
	}
	if len(client.uploads) != 1 || !bytes.Equal(client.uploads[0], jpegBytes) {
		t.Fatalf("uploads = %d, want the picture once", len(client.uploads))
	}
	got := client.Sends()
	if len(got) != 2 {
		t.Fatalf("sends = %+v, want two pictures", got)
	}
	for _, s := range got {
		im := s.Image
		if im == nil || im.GetCaption() != "Pelatihan kemasan Senin" || im.GetMimetype() != "image/jpeg" ||
			im.GetURL() != "https://mmg.whatsapp.net/up1" || im.GetFileLength() != uint64(len(jpegBytes)) {
			t.Fatalf("sent %+v, want the uploaded image with its caption", s)
		}
	}
	if a.Stats.Sent.Load() != 2 {
		t.Errorf("Sent = %d, want 2", a.Stats.Sent.Load())
	}
}

// A picture a WhatsApp user sent goes on as it is, without uploading; a
// long caption follows the picture as text.
func TestSendPhotoFromWhatsAppLongCaption(t *testing.T) {
	a, client, _ := newTestAdapter(t, quiet())
	orig := &waE2E.ImageMessage{URL: proto.String("https://mmg.whatsapp.net/orig"), DirectPath: proto.String("/v/orig"), MediaKey: []byte("k"),
		Mimetype: proto.String("image/jpeg"), Caption: proto.String("caption of the sender")}
	ref := imageRef(orig)
	long := strings.Repeat("Pengumuman penting. ", 60)
	if err := a.SendPhoto(context.Background(), sitiConv, bot.Photo{Media: bot.Media{Ref: ref}, From: bot.WhatsApp}, bot.Reply{Text: long}); err != nil {
		t.Fatal(err)
	}
	got := client.Sends()
	if len(client.uploads) != 0 || len(got) < 2 || got[0].Image.GetURL() != "https://mmg.whatsapp.net/orig" || got[0].Image.Caption != nil {
		t.Fatalf("sends = %+v, uploads %d: want the original picture without caption, then text", got, len(client.uploads))
	}
	var text strings.Builder
	for _, s := range got[1:] {
		text.WriteString(s.Text)
	}
	if !strings.Contains(text.String(), "Pengumuman penting.") {
		t.Fatalf("the caption did not follow: %+v", got[1:])
	}
}

// A bad reference is refused for good, not retried.
func TestSendPhotoBadRef(t *testing.T) {
	a, _, _ := newTestAdapter(t, quiet())
	err := a.SendPhoto(context.Background(), sitiConv, bot.Photo{Media: bot.Media{Ref: "nonsense"}, From: bot.WhatsApp}, bot.Reply{Text: "x"})
	if !errors.Is(err, bot.ErrRejected) {
		t.Fatalf("err = %v, want rejected", err)
	}
}

// mediaSource serves one uploaded picture and counts reads.
type mediaSource struct {
	mu    sync.Mutex
	reads int
}

func (m *mediaSource) FetchMedia(_ context.Context, from bot.ChannelID, ref string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.reads++
	if from != bot.Uploaded || ref != "img-1" {
		return nil, bot.ErrNotFound
	}
	return jpegBytes, nil
}

// A process without the connection relays the picture's reference, not
// its bytes; the holder reads the picture once, uploads it once and sends
// it to each recipient as an image.
func TestSendPhotoRelayed(t *testing.T) {
	relay := &memRelay{ch: make(chan []byte, 10)}
	standby := New(Config{}, &connClient{}, nil, Options{Relay: relay, Clock: newFakeClock()})
	p := bot.Photo{Media: bot.Media{Type: "photo", Ref: "img-1"}, From: bot.Uploaded, Data: jpegBytes}
	other := bot.Conversation{Channel: bot.WhatsApp, User: "6281298765432"}
	for _, to := range []bot.Conversation{sitiConv, other} {
		if err := standby.SendPhoto(context.Background(), to, p, bot.Reply{Text: "Pelatihan kemasan"}); err != nil {
			t.Fatal(err)
		}
	}
	if len(relay.ch) != 2 {
		t.Fatalf("relayed %d items, want 2", len(relay.ch))
	}
	item := <-relay.ch
	if bytes.Contains(item, []byte("a jpeg")) || bytes.Contains(item, []byte(base64.StdEncoding.EncodeToString(jpegBytes))) {
		t.Fatal("the relay carries the picture's bytes")
	}
	relay.ch <- item

	src := &mediaSource{}
	holderClient := &connClient{}
	holder := New(Config{SendWait: 5 * time.Second, RelayMaxAge: time.Hour}, holderClient, nil,
		Options{Relay: relay, Clock: newFakeClock(), Media: src})
	run(t, holder)
	eventually(t, "both pictures are sent", func() bool { return len(holderClient.Sends()) == 2 })
	for _, s := range holderClient.Sends() {
		if s.Image == nil || s.Image.GetCaption() != "Pelatihan kemasan" {
			t.Fatalf("holder sent %+v, want a captioned image", s)
		}
	}
	holderClient.mu.Lock()
	uploads := len(holderClient.uploads)
	holderClient.mu.Unlock()
	src.mu.Lock()
	reads := src.reads
	src.mu.Unlock()
	if uploads != 1 || reads != 1 {
		t.Errorf("uploads %d, reads %d; want 1, 1", uploads, reads)
	}
}
