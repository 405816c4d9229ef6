package web

import (
	"io"
	"net/http"
	"path"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
)

// The files officers attach to their replies: reading an upload, its
// name, and serving it back to signed-in officers.

// ticketUpload reports whether path takes a reply's file (a larger body).
func ticketUpload(path string) bool {
	return strings.HasPrefix(path, "/tickets/") && strings.HasSuffix(path, "/reply")
}

// maxAttachment is the largest picture or document a reply takes; both
// channels send it (kept in Redis like a broadcast picture).
const maxAttachment = maxImage

// attachmentTypes are the files a reply may carry, by sniffed type: the
// pictures both Telegram and WhatsApp show as photos, and PDF documents
// (forms, letters, brochures), which every phone opens.
var attachmentTypes = map[string]string{"image/jpeg": bot.AttachPhoto, "image/png": bot.AttachPhoto, "application/pdf": bot.AttachDocument}

// readAttachment takes the reply form's file: checked, kept in Images, and
// described for the ticket and the owner's message. It returns nil without
// a file, or a message id when the file is refused.
func (s *Server) readAttachment(r *http.Request) (*bot.Media, string) {
	if r.MultipartForm == nil {
		return nil, ""
	}
	file, hdr, err := r.FormFile("file")
	if err != nil || hdr.Size == 0 {
		return nil, ""
	}
	defer file.Close()
	if s.deps.Images == nil {
		return nil, "web.tickets.error.file_off"
	}
	data, err := io.ReadAll(io.LimitReader(file, maxAttachment+1))
	switch {
	case err != nil:
		return nil, "web.tickets.error.file"
	case len(data) > maxAttachment:
		return nil, "web.tickets.error.file_large"
	}
	mime := http.DetectContentType(data)
	kind := attachmentTypes[mime]
	if kind == "" {
		return nil, "web.tickets.error.file_type"
	}
	ref, err := s.deps.Images.SaveImage(r.Context(), data)
	if err != nil {
		s.cfg.Log.Error("web: save ticket attachment", "err", err)
		return nil, "web.tickets.error.file"
	}
	m := &bot.Media{Type: kind, Ref: ref, Mime: mime, Size: int64(len(data))}
	if kind == bot.AttachDocument {
		m.Name = attachmentName(hdr.Filename)
	}
	return m, ""
}

// attachmentName is the document's file name as the owner sees it: the
// uploaded name's last element, cleaned, ending in .pdf.
func attachmentName(name string) string {
	name = path.Base(strings.ReplaceAll(bot.CleanText(name), "\\", "/"))
	name = strings.Map(func(r rune) rune {
		if r == '/' || r == '"' || r < ' ' {
			return -1
		}
		return r
	}, strings.TrimSpace(name))
	if utf8.RuneCountInString(name) > 80 {
		name = string([]rune(name)[:80])
	}
	if name == "" || name == "." {
		name = "dokumen"
	}
	if !strings.HasSuffix(strings.ToLower(name), ".pdf") {
		name += ".pdf"
	}
	return name
}

// ticketAttachment shows a picture or document an officer sent with a
// reply, to a signed-in officer.
func (s *Server) ticketFile(w http.ResponseWriter, r *http.Request) {
	t, ok := s.loadTicket(w, r)
	if !ok {
		return
	}
	ref := r.PathValue("ref")
	found := false
	for _, m := range t.Messages {
		found = found || (m.From == umkm.FromOfficer && m.Media != nil && m.Media.Ref == ref)
	}
	if !found {
		http.NotFound(w, r)
		return
	}
	b, ok := s.keptImage(w, r, ref, "ticket attachment")
	if !ok {
		return
	}
	if http.DetectContentType(b) == "application/pdf" {
		h := w.Header()
		h.Set("Content-Type", "application/pdf")
		h.Set("Cache-Control", "private, no-store")
		h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
		h.Set("Content-Disposition", "attachment")
		h.Set("Content-Length", strconv.Itoa(len(b)))
		w.Write(b)
		return
	}
	s.servePicture(w, r, b, maxAttachment)
}
