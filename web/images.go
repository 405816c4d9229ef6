package web

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/umkmbot/umkmbot/bot"
)

// Images keeps pictures uploaded for broadcasts where every serve process
// reads them (*store.Store keeps them in Redis).
type Images interface {
	// SaveImage keeps data and returns its reference (32 hex digits).
	SaveImage(ctx context.Context, data []byte) (string, error)
	// Image returns a kept picture; bot.ErrNotFound when there is none.
	Image(ctx context.Context, ref string) ([]byte, error)
}

// maxImage is the largest picture a broadcast takes (both channels show
// it; Telegram takes photos up to 10 MB).
const maxImage = 5 << 20

// imageTypes are the pictures both Telegram and WhatsApp show as photos.
var imageTypes = map[string]bool{"image/jpeg": true, "image/png": true}

// validImageRef reports whether ref looks like an Images reference.
func validImageRef(ref string) bool {
	return len(ref) == 32 && strings.Trim(ref, "0123456789abcdef") == ""
}

// readImage takes the compose form's picture: a new upload (checked and
// kept), else the one kept at the preview, unless the officer removes it.
// It returns the reference, or a message id for the form.
func (s *Server) readImage(r *http.Request) (ref, problem string) {
	if s.deps.Images == nil {
		return "", ""
	}
	if ref = r.PostFormValue("image_ref"); !validImageRef(ref) {
		ref = ""
	}
	if r.MultipartForm != nil {
		if file, hdr, err := r.FormFile("image"); err == nil {
			defer file.Close()
			if hdr.Size > 0 {
				data, err := io.ReadAll(io.LimitReader(file, maxImage+1))
				switch {
				case err != nil:
					return "", "web.compose.error.image"
				case len(data) > maxImage:
					return "", "web.compose.error.image_large"
				case !imageTypes[http.DetectContentType(data)]:
					return "", "web.compose.error.image_type"
				}
				ref, err = s.deps.Images.SaveImage(r.Context(), data)
				if err != nil {
					s.cfg.Log.Error("web: save broadcast picture", "err", err)
					return "", "web.compose.error.image"
				}
			}
		}
	}
	if r.PostFormValue("drop_image") != "" {
		return "", ""
	}
	return ref, ""
}

// broadcastImage shows a broadcast's picture to a signed-in officer.
func (s *Server) broadcastImage(w http.ResponseWriter, r *http.Request) {
	if b, ok := s.keptImage(w, r, r.PathValue("ref"), "broadcast picture"); ok {
		s.servePicture(w, r, b, maxImage)
	}
}

// keptImage reads a file kept in Images by ref for a page; when there is
// none (or no Images) it answers 404, when Redis fails 503, and reports
// false.
func (s *Server) keptImage(w http.ResponseWriter, r *http.Request, ref, what string) ([]byte, bool) {
	if s.deps.Images == nil || !validImageRef(ref) {
		http.NotFound(w, r)
		return nil, false
	}
	b, err := s.deps.Images.Image(r.Context(), ref)
	if errors.Is(err, bot.ErrNotFound) {
		http.NotFound(w, r)
		return nil, false
	}
	if err != nil {
		s.cfg.Log.Error("web: load "+what, "err", err)
		http.Error(w, http.StatusText(http.StatusServiceUnavailable), http.StatusServiceUnavailable)
		return nil, false
	}
	return b, true
}

// servePicture writes a picture fetched or kept elsewhere: only images
// (sniffed, whatever they were called), never cached on the way, and
// sandboxed should a browser open it as a page.
func (s *Server) servePicture(w http.ResponseWriter, r *http.Request, b []byte, max int) {
	ct := http.DetectContentType(b)
	if len(b) > max || !photoTypes[ct] {
		s.cfg.Log.Warn("web: picture refused", "path", r.URL.Path, "type", ct, "bytes", len(b))
		http.Error(w, http.StatusText(http.StatusUnsupportedMediaType), http.StatusUnsupportedMediaType)
		return
	}
	h := w.Header()
	h.Set("Content-Type", ct)
	h.Set("Cache-Control", "private, no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Content-Disposition", "inline")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.Write(b)
}
