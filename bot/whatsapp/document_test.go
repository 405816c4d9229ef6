package whatsapp

import (
	"context"
	"sync"
	"testing"

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
