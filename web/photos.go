package web

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
)

// Products reads an owner's saved products (their photos are media
// references of the chat they were sent in).
type Products interface {
	Products(ctx context.Context, c bot.Conversation) ([]umkm.Product, error)
}

// MediaFetcher downloads a file a user sent, by its reference, through the
// channel it came from (Telegram getFile, WhatsApp's media download), with
// the channel's size cap.
type MediaFetcher interface {
	FetchMedia(ctx context.Context, ch bot.ChannelID, ref string) ([]byte, error)
}

// maxPhoto is the largest photo the console passes on (Telegram's Bot API
// serves files up to 20 MB; a product photo is far smaller).
const maxPhoto = 10 << 20

// photoTypes are the pictures a browser is given; anything else a user
// sent as a "photo" is refused rather than served.
var photoTypes = map[string]bool{"image/jpeg": true, "image/png": true, "image/gif": true, "image/webp": true}

// appProduct is one product of an application as the review page shows it.
type appProduct struct {
	Name    string
	Checked bool  // the owner's products were read (else names only)
	Found   bool  // the owner still keeps a product of that name
	Photos  []int // indexes for /curation/{id}/photos/{n}
}

// applicationPhotos lists the owner's photos of the products an
// application names, in the order the page shows them.
func (s *Server) applicationPhotos(ctx context.Context, a *umkm.Application) ([]appProduct, []bot.Media, error) {
	out := make([]appProduct, len(a.Products))
	for i, name := range a.Products {
		out[i].Name = name
	}
	if s.deps.Products == nil || s.deps.Media == nil || a.Conv.User == "" {
		return out, nil, nil
	}
	ps, err := s.deps.Products.Products(ctx, a.Conv)
	if err != nil {
		return out, nil, err
	}
	var photos []bot.Media
	for i := range out {
		out[i].Checked = true
		for _, p := range ps {
			if p.Name != out[i].Name {
				continue
			}
			out[i].Found = true
			for _, m := range p.Photos {
				if m.Ref == "" {
					continue
				}
				out[i].Photos = append(out[i].Photos, len(photos))
				photos = append(photos, m)
			}
			break
		}
	}
	return out, photos, nil
}

// curationPhoto serves one product photo of an application to a signed-in
// officer, fetched from the channel: only pictures, never cached on the way.
func (s *Server) curationPhoto(w http.ResponseWriter, r *http.Request) {
	a, ok := s.loadApplication(w, r)
	if !ok {
		return
	}
	n, err := strconv.Atoi(r.PathValue("n"))
	_, photos, perr := s.applicationPhotos(r.Context(), a)
	if perr != nil {
		s.unavailable(w, r, "load products", perr, "app", a.ID)
		return
	}
	if err != nil || n < 0 || n >= len(photos) {
		http.NotFound(w, r)
		return
	}
	b, err := s.deps.Media.FetchMedia(r.Context(), a.Conv.Channel, photos[n].Ref)
	if errors.Is(err, bot.ErrNotFound) {
		http.NotFound(w, r)
		return
	}
	if err != nil {
		s.cfg.Log.Warn("web: fetch product photo", "app", a.ID, "channel", a.Conv.Channel, "err", err)
		http.Error(w, http.StatusText(http.StatusBadGateway), http.StatusBadGateway)
		return
	}
	s.servePicture(w, r, b, maxPhoto)
}
