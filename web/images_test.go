package web

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/umkmbot/umkmbot/bot"
)

// postMultipart posts fields and, if name is set, a file like a browser's
// form with enctype multipart/form-data.
func (c *client) postMultipart(path string, fields url.Values, file string, data []byte) response {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, vs := range fields {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	if file != "" {
		fw, _ := mw.CreateFormFile("image", file)
		fw.Write(data)
	}
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, c.w.ts.URL+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return c.do(req)
}

// A small PNG's first bytes are enough for the sniffer.
var png = append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 64)...)

func imageWorld(t *testing.T) *world {
	t.Helper()
	w := newWorldDeps(t, func(d *Deps) { d.Images = d.Registrations.(Images) })
	w.register("Siti", "Keripik", "Plered", "kuliner", "mikro", "+6281234567890")
	return w
}

// A broadcast with a picture: the picture is checked, kept, shown in the
// preview above the message, and goes with the broadcast.
func TestComposeWithImage(t *testing.T) {
	w := imageWorld(t)
	off := w.login("petugas")
	page := off.get("/broadcasts/new")
	if !strings.Contains(page.body, `enctype="multipart/form-data"`) || !strings.Contains(page.body, `<label for="image">`) {
		t.Fatal("the compose page offers no picture")
	}
	token := regexp.MustCompile(`name="token" value="([0-9a-f]{32})"`).FindStringSubmatch(page.body)[1]
	form := url.Values{"token": {token}, "text": {"Pelatihan kemasan Senin 09.00 di aula DKUPP."}, "kecamatan": {"Plered"}}

	for name, tc := range map[string]struct {
		file []byte
		want string
	}{
		"not a picture": {[]byte("<!doctype html><p>hi"), "web.compose.error.image_type"},
		"a GIF":         {[]byte("GIF89a......"), "web.compose.error.image_type"},
		"too large":     {append(append([]byte{}, png...), make([]byte, maxImage)...), "web.compose.error.image_large"},
	} {
		res := off.postMultipart("/broadcasts/preview", form, "x.png", tc.file)
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(res.text, w.cfg.Catalog.Render("id", bot.T(tc.want))) {
			t.Errorf("%s: %d, want the message %s", name, res.StatusCode, tc.want)
		}
	}

	res := off.postMultipart("/broadcasts/preview", form, "poster.png", png)
	m := regexp.MustCompile(`<img class="bubble-image" src="/broadcasts/images/([0-9a-f]{32})"`).FindStringSubmatch(res.body)
	if res.StatusCode != http.StatusOK || m == nil || !strings.Contains(res.body, `name="image_ref" value="`+m[1]+`"`) {
		t.Fatalf("preview with a picture: %d\n%s", res.StatusCode, res.body)
	}
	ref := m[1]
	img := off.get("/broadcasts/images/" + ref)
	if img.StatusCode != http.StatusOK || img.Header.Get("Content-Type") != "image/png" || img.body != string(png) ||
		!strings.Contains(img.Header.Get("Cache-Control"), "no-store") {
		t.Fatalf("the kept picture: %d %q", img.StatusCode, img.Header.Get("Content-Type"))
	}
	if res := w.client().get("/broadcasts/images/" + ref); res.StatusCode == http.StatusOK {
		t.Fatal("a signed-out browser gets the picture")
	}

	// Sent from the preview: the picture kept there goes with it.
	send := url.Values{"image_ref": {ref}}
	for k, v := range form {
		send[k] = v
	}
	if res := off.postMultipart("/broadcasts", send, "", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d\n%s", res.StatusCode, res.text)
	}
	all, _ := w.store.Broadcasts(context.Background())
	if len(all) != 1 || all[0].Image == nil || all[0].Image.Ref != ref || all[0].ImageFrom != bot.Uploaded {
		t.Fatalf("broadcast: %+v", all)
	}
	if b, err := w.store.Image(context.Background(), all[0].Image.Ref); err != nil || !bytes.Equal(b, png) {
		t.Fatalf("the picture the broadcast names: %v", err)
	}
}

// Removing the picture at the preview sends text only.
func TestComposeDropImage(t *testing.T) {
	w := imageWorld(t)
	off := w.login("petugas")
	ref, err := w.store.SaveImage(context.Background(), png)
	if err != nil {
		t.Fatal(err)
	}
	form := url.Values{"token": {newToken()}, "text": {"Pelatihan kemasan Senin 09.00."}, "image_ref": {ref}, "drop_image": {"1"}}
	if res := off.postMultipart("/broadcasts", form, "", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d", res.StatusCode)
	}
	all, _ := w.store.Broadcasts(context.Background())
	if len(all) != 1 || all[0].Image != nil {
		t.Fatalf("broadcast: %+v, want no picture", all)
	}
}
