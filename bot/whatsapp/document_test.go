package whatsapp

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"go.mau.fi/whatsmeow"

	"github.com/umkmbot/umkmbot/bot"
)

// uploadingClient is a fake client that can upload media, as whatsmeow's.
type uploadingClient struct {
	*fakeClient
	mu      sync.Mutex
	uploads []string
}

// noUpload hides the fake client's Upload.
type noUpload struct{ Client }

func (u *uploadingClient) Upload(ctx context.Context, data []byte, typ whatsmeow.MediaType) (whatsmeow.UploadResponse, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.uploads = append(u.uploads, string(typ)+":"+string(data))
	return whatsmeow.UploadResponse{URL: "https://mmg.example/x", DirectPath: "/x", MediaKey: []byte("k")}, nil
}

// TestSendFileAsDocument: a reply with a file goes out as its text, then
// as an uploaded document; a client that cannot upload sends the text
// only.
func TestSendFileAsDocument(t *testing.T) {
	clock := newFakeClock()
	client := &uploadingClient{fakeClient: &fakeClient{clock: clock, connected: true}}
	a := New(quiet(), client, nil, Options{Clock: clock})
	r := bot.Reply{Text: "Data Anda", File: &bot.ReplyFile{Name: "data-saya.txt", Text: "NIK: 3214********0001"}}
	if err := a.Send(context.Background(), sitiConv, r); err != nil {
		t.Fatal(err)
	}
	if len(client.uploads) != 1 || client.uploads[0] != string(whatsmeow.MediaDocument)+":NIK: 3214********0001" {
		t.Fatalf("uploads = %q, want the file as a document", client.uploads)
	}
	if got := client.Sends(); len(got) != 2 || got[0].Text != "Data Anda" {
		t.Fatalf("sends = %+v, want the text then the document", got)
	}

	// A client that cannot upload: the text already sent is the copy.
	fc := &fakeClient{clock: clock, connected: true}
	plain := New(quiet(), noUpload{fc}, nil, Options{Clock: clock})
	if err := plain.Send(context.Background(), sitiConv, r); err != nil {
		t.Fatal(err)
	}
	if got := fc.Sends(); len(got) != 1 || got[0].Text != "Data Anda" {
		t.Fatalf("sends without upload = %+v, want the text only", got)
	}
}

var pdfBytes = []byte("%PDF-1.4 formulir")

// TestSendDocumentCaptioned: an officer's PDF goes out as an uploaded
// document with its name, type and the reply as caption. A process
// without the connection relays the reply (which names the file), never
// the bytes; the holder reads, uploads and sends it.
func TestSendDocumentCaptioned(t *testing.T) {
	a, client, _ := newTestAdapter(t, quiet())
	d := bot.Document{Name: "formulir.pdf", Mime: "application/pdf", Data: pdfBytes}
	if err := a.SendDocument(context.Background(), sitiConv, d, bot.Reply{Text: "Petugas Dinas (Rina):\nFormulir terlampir."}); err != nil {
		t.Fatal(err)
	}
	got := client.Sends()
	if len(got) != 1 || got[0].Doc == nil || got[0].Doc.GetFileName() != "formulir.pdf" || got[0].Doc.GetMimetype() != "application/pdf" ||
		got[0].Doc.GetCaption() != "Petugas Dinas (Rina):\nFormulir terlampir." || got[0].Doc.GetFileLength() != uint64(len(pdfBytes)) {
		t.Fatalf("sends = %+v, want the captioned document", got)
	}
	if len(client.uploads) != 1 || !bytes.Equal(client.uploads[0], pdfBytes) {
		t.Fatalf("uploads = %q", client.uploads)
	}

	relay := &memRelay{ch: make(chan []byte, 10)}
	standby := New(Config{}, &connClient{}, nil, Options{Relay: relay, Clock: newFakeClock()})
	caption := bot.Reply{Text: "Formulir", Attach: &bot.Attachment{Media: bot.Media{Type: bot.AttachDocument, Ref: "doc-1", Name: "formulir.pdf"}, From: bot.Uploaded}}
	if err := standby.SendDocument(context.Background(), sitiConv, d, caption); err != nil {
		t.Fatal(err)
	}
	item := <-relay.ch
	if bytes.Contains(item, pdfBytes) {
		t.Fatal("the relay carries the document's bytes")
	}
	relay.ch <- item
	holderClient := &connClient{}
	holder := New(Config{SendWait: 5 * time.Second, RelayMaxAge: time.Hour}, holderClient, nil,
		Options{Relay: relay, Clock: newFakeClock(), Media: docSource{}})
	run(t, holder)
	eventually(t, "the relayed document is sent", func() bool { return len(holderClient.Sends()) == 1 })
	if s := holderClient.Sends()[0]; s.Doc == nil || s.Doc.GetFileName() != "formulir.pdf" || s.Doc.GetCaption() != "Formulir" {
		t.Fatalf("holder sent %+v", s)
	}
}

type docSource struct{}

func (docSource) FetchMedia(_ context.Context, from bot.ChannelID, ref string) ([]byte, error) {
	if from != bot.Uploaded || ref != "doc-1" {
		return nil, bot.ErrNotFound
	}
	return pdfBytes, nil
}
