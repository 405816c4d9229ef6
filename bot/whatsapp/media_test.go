package whatsapp

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/util/cbcutil"
	"go.mau.fi/whatsmeow/util/hkdfutil"
	"google.golang.org/protobuf/proto"
)

// encryptImage encrypts a picture as WhatsApp's media servers hold it
// (AES-CBC with keys derived from the media key, a 10-byte HMAC after it)
// and returns the body to serve and the message that points to it.
func encryptImage(t *testing.T, url string, picture []byte, declared uint64) ([]byte, *waE2E.ImageMessage) {
	t.Helper()
	mediaKey := make([]byte, 32)
	rand.Read(mediaKey)
	k := hkdfutil.SHA256(mediaKey, nil, []byte(whatsmeow.MediaImage), 112)
	iv, cipherKey, macKey := k[:16], k[16:48], k[48:80]
	ciphertext, err := cbcutil.Encrypt(cipherKey, iv, picture)
	if err != nil {
		t.Fatal(err)
	}
	h := hmac.New(sha256.New, macKey)
	h.Write(iv)
	h.Write(ciphertext)
	body := append(ciphertext, h.Sum(nil)[:10]...)
	encHash, plainHash := sha256.Sum256(body), sha256.Sum256(picture)
	return body, &waE2E.ImageMessage{
		URL: proto.String(url), DirectPath: proto.String("/v/t62/x"), Mimetype: proto.String("image/jpeg"),
		MediaKey: mediaKey, FileEncSHA256: encHash[:], FileSHA256: plainHash[:], FileLength: proto.Uint64(declared),
	}
}

// W8: the media cap holds on the bytes actually downloaded, whatever size
// the sender declared. Through whatsmeow's real download and decryption,
// against a loopback media server.
func TestFetchCapsDownloadedBytes(t *testing.T) {
	var served atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Write(served.Load().([]byte))
	}))
	defer srv.Close()
	ds, err := OpenDeviceStore(context.Background(), SQLitePath(t.TempDir()), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ds.Close()
	cli := whatsmeow.NewClient(ds.NewDevice(), nil)
	cli.SetMediaHTTPClient(srv.Client())
	a := New(Config{MaxMediaBytes: 1000}, cli, nil, Options{})

	honest := make([]byte, 900)
	rand.Read(honest)
	body, im := encryptImage(t, srv.URL+"/honest", honest, uint64(len(honest)))
	served.Store(body)
	got, err := a.Fetch(context.Background(), imageRef(im))
	if err != nil || string(got) != string(honest) {
		t.Fatalf("a 900-byte photo under a 1000-byte cap: %d bytes, %v", len(got), err)
	}

	big := make([]byte, 50_000)
	rand.Read(big)
	for _, declared := range []uint64{100, 0} { // a lie, and no size at all
		body, im := encryptImage(t, srv.URL+"/big", big, declared)
		served.Store(body)
		got, err := a.Fetch(context.Background(), imageRef(im))
		if !errors.Is(err, ErrTooLarge) || got != nil {
			t.Errorf("a 50 kB photo declared as %d bytes: %d bytes, %v; want ErrTooLarge", declared, len(got), err)
		}
	}
}

// BenchmarkFetchOversized: memory per Fetch of a 4 MB photo declared as
// 100 bytes under a 64 kB cap. The download stops at the cap, so B/op
// stays near the cap, not the file.
func BenchmarkFetchOversized(b *testing.B) {
	big := make([]byte, 4<<20)
	rand.Read(big)
	t := &testing.T{}
	var body []byte
	var im *waE2E.ImageMessage
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write(body) }))
	defer srv.Close()
	body, im = encryptImage(t, srv.URL+"/big", big, 100)
	ds, err := OpenDeviceStore(context.Background(), SQLitePath(b.TempDir()), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer ds.Close()
	cli := whatsmeow.NewClient(ds.NewDevice(), nil)
	cli.SetMediaHTTPClient(srv.Client())
	a := New(Config{MaxMediaBytes: 64 << 10}, cli, nil, Options{})
	ref := imageRef(im)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.Fetch(context.Background(), ref); !errors.Is(err, ErrTooLarge) {
			b.Fatal(err)
		}
	}
}
