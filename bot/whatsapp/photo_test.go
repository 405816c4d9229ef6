package whatsapp

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

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
