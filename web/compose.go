package web

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/umkm"
)

// Broadcast text limits, as `umkmbot broadcast create` checks them.
const (
	minBroadcastText = 5
	maxBroadcastText = 3500
)

// composeForm is the broadcast being written: the text, the audience and
// the start, kept as typed between the form and its preview.
type composeForm struct {
	Text      string
	At        string // datetime-local, WIB; empty: now
	Kecamatan []string
	Sectors   []string
	Sizes     []string
	Trainings []string
	Channels  []string
	Token     string // idempotency key: sending the same form twice creates one broadcast
	Image     string // the picture's Images reference; "" for none
	CanImage  bool   // pictures can be attached (Deps.Images is set)
	Errors    map[string]string

	AllKecamatan, AllSectors, AllSizes []string
	AllChannels                        []channelName // the registered channels
	AllTrainings                       []*umkm.Training

	// Filled on the preview.
	Preview    string
	Counts     map[string]int // channel → recipients
	PerChannel []channelCount // every registered channel
	Total      int
	Previewing bool
}

// channelName is a channel as the page shows it: its id (the form value)
// and the message id of its name.
type channelName struct {
	ID, Label string
}

type channelCount struct {
	channelName
	N int
}

// perChannel orders the counts for the page: the registered channels in
// their order (count only counts on them).
func perChannel(counts map[string]int, registered []channelName) []channelCount {
	out := make([]channelCount, len(registered))
	for i, c := range registered {
		out[i] = channelCount{c, counts[c.ID]}
	}
	return out
}

// Has reports whether list holds v (for checked boxes).
func (f *composeForm) Has(list []string, v string) bool { return slices.Contains(list, v) }

// Error returns the message id of field's error, or "".
func (f *composeForm) Error(field string) string { return f.Errors[field] }

func (s *Server) composeChoices(r *http.Request, f *composeForm) error {
	f.AllSectors, f.AllSizes = s.sectors, umkm.SizeClasses
	f.AllChannels = nil
	for _, c := range s.deps.Channels.All() {
		f.AllChannels = append(f.AllChannels, channelName{string(c.ID), c.Label})
	}
	f.AllKecamatan = nil
	for _, k := range s.cfg.Region.Kecamatan {
		f.AllKecamatan = append(f.AllKecamatan, k.Name)
	}
	all, err := s.deps.Trainings.AllTrainings(r.Context())
	if err != nil {
		return err
	}
	now := s.cfg.Now()
	f.AllTrainings = nil
	for _, t := range all {
		if t.End.After(now.AddDate(0, -3, 0)) { // upcoming, or ended in the last three months
			f.AllTrainings = append(f.AllTrainings, t)
		}
	}
	return nil
}

func newToken() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func (s *Server) broadcastCompose(w http.ResponseWriter, r *http.Request) {
	f := &composeForm{Token: newToken(), CanImage: s.deps.Images != nil}
	if err := s.composeChoices(r, f); err != nil {
		s.unavailable(w, r, "compose choices", err)
		return
	}
	s.render(w, r, http.StatusOK, "compose", "web.compose.title", f)
}

// readCompose reads the posted form into f and the broadcast it describes.
func (s *Server) readCompose(r *http.Request) (*composeForm, *umkm.Broadcast, error) {
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		r.ParseMultipartForm(maxImage + 64<<10) // in memory: the body is capped (securityHeaders)
	} else {
		r.ParseForm()
	}
	f := &composeForm{CanImage: s.deps.Images != nil, Text: strings.TrimSpace(strings.ReplaceAll(r.PostForm.Get("text"), "\r\n", "\n")),
		At: strings.TrimSpace(r.PostForm.Get("at")), Token: r.PostForm.Get("token"), Errors: map[string]string{}}
	if err := s.composeChoices(r, f); err != nil {
		return nil, nil, err
	}
	var trainingIDs []string
	for _, t := range f.AllTrainings {
		trainingIDs = append(trainingIDs, t.ID)
	}
	f.Kecamatan = allowedValues(r.PostForm["kecamatan"], f.AllKecamatan)
	f.Sectors = allowedValues(r.PostForm["sectors"], f.AllSectors)
	f.Sizes = allowedValues(r.PostForm["sizes"], f.AllSizes)
	f.Trainings = allowedValues(r.PostForm["trainings"], trainingIDs)
	var channelIDs []string
	for _, c := range f.AllChannels {
		channelIDs = append(channelIDs, c.ID)
	}
	f.Channels = allowedValues(r.PostForm["channels"], channelIDs)
	if len(f.Token) != 32 || strings.Trim(f.Token, "0123456789abcdef") != "" {
		f.Token = newToken()
	}
	if n := utf8.RuneCountInString(f.Text); n < minBroadcastText || n > maxBroadcastText {
		f.Errors["text"] = "web.compose.error.text"
	}
	now := s.cfg.Now()
	at := now
	if f.At != "" {
		t, err := time.ParseInLocation(formTime, f.At, bot.Jakarta)
		switch {
		case err != nil:
			f.Errors["at"] = "web.training.error.time"
		case t.Before(now.Add(-time.Minute)):
			f.Errors["at"] = "web.compose.error.past"
		default:
			at = t
		}
	}
	b := &umkm.Broadcast{Token: f.Token, Region: s.cfg.Region.Code, Text: f.Text, CreatedAt: now, At: at,
		Audience: umkm.Audience{Kecamatan: f.Kecamatan, Sectors: f.Sectors, Sizes: f.Sizes, Trainings: f.Trainings}}
	var problem string
	if f.Image, problem = s.readImage(r); problem != "" {
		f.Errors["image"] = problem
	}
	if f.Image != "" {
		b.Image, b.ImageFrom = &bot.Media{Type: "photo", Ref: f.Image}, bot.Uploaded
	}
	for _, c := range f.Channels {
		b.Audience.Channels = append(b.Audience.Channels, bot.ChannelID(c))
	}
	return f, b, nil
}

// count returns the recipients of a per channel: the registrations it
// matches, narrowed to the confirmed and attended participants of its
// trainings.
func (s *Server) count(r *http.Request, a umkm.Audience) (map[string]int, int, error) {
	var in map[bot.Conversation]bool
	if len(a.Trainings) > 0 {
		in = map[bot.Conversation]bool{}
		for _, id := range a.Trainings {
			ps, err := s.deps.Participants.Participants(r.Context(), id)
			if err != nil {
				return nil, 0, err
			}
			for _, p := range ps {
				if p.Status == umkm.StatusConfirmed || p.Status == umkm.StatusAttended {
					in[p.Conv] = true
				}
			}
		}
	}
	if len(a.Channels) == 0 {
		a.Channels = s.deps.Channels.IDs() // everyone: on every registered channel
	}
	counts := map[string]int{}
	total := 0
	for _, u := range s.cfg.Region.Served() { // each kabupaten/kota of a province
		if c, ok := s.deps.Registrations.(umkm.AudienceCounter); ok && in == nil {
			n, err := c.CountAudience(r.Context(), u.Code, a) // from the index: a province counts in milliseconds
			if err == nil {
				for ch, k := range n {
					counts[string(ch)] += k
					total += k
				}
				continue
			}
			if !errors.Is(err, umkm.ErrNoIndex) {
				return nil, 0, err
			}
		}
		err := s.deps.Registrations.EachRegistration(r.Context(), u.Code, func(reg *umkm.Registration) error {
			if a.Match(reg) && (in == nil || in[reg.Conv]) {
				counts[string(reg.Conv.Channel)]++
				total++
			}
			return nil
		})
		if err != nil {
			return nil, 0, err
		}
	}
	return counts, total, nil
}

// broadcastPreview shows the message exactly as an Indonesian reader gets
// it, with the recipients per channel, and offers to send it.
func (s *Server) broadcastPreview(w http.ResponseWriter, r *http.Request) {
	f, b, err := s.readCompose(r)
	if err != nil {
		s.unavailable(w, r, "compose", err)
		return
	}
	if len(f.Errors) > 0 {
		s.render(w, r, http.StatusUnprocessableEntity, "compose", "web.compose.title", f)
		return
	}
	if f.Counts, f.Total, err = s.count(r, b.Audience); err != nil {
		s.unavailable(w, r, "count recipients", err)
		return
	}
	f.PerChannel = perChannel(f.Counts, f.AllChannels)
	f.Preview = s.cfg.Catalog.Out(bot.DefaultLang, umkm.BroadcastMessage(b)).Text
	f.Previewing = true
	s.render(w, r, http.StatusOK, "compose", "web.compose.title", f)
}

// broadcastCreate schedules the previewed broadcast. The audience is
// counted again: nobody matching creates nothing.
func (s *Server) broadcastCreate(w http.ResponseWriter, r *http.Request) {
	f, b, err := s.readCompose(r)
	if err != nil {
		s.unavailable(w, r, "compose", err)
		return
	}
	if len(f.Errors) == 0 {
		if f.Counts, f.Total, err = s.count(r, b.Audience); err != nil {
			s.unavailable(w, r, "count recipients", err)
			return
		}
		if f.Total == 0 {
			f.Errors["audience"] = "web.compose.error.nobody"
		}
	}
	if len(f.Errors) > 0 {
		s.render(w, r, http.StatusUnprocessableEntity, "compose", "web.compose.title", f)
		return
	}
	if err := s.deps.Broadcasts.CreateBroadcast(r.Context(), b); err != nil {
		s.unavailable(w, r, "create broadcast", err)
		return
	}
	s.audit(r, "broadcast.create", b.ID, "recipients="+strconv.Itoa(f.Total)+" at="+b.At.In(bot.Jakarta).Format("2006-01-02 15:04"))
	http.Redirect(w, r, "/broadcasts?created="+url.QueryEscape(b.ID)+"#b-"+url.QueryEscape(b.ID), http.StatusSeeOther)
}

// allowedValues keeps the values of a multiple choice field that are among
// the allowed ones, each once, in order: a forged form cannot add others.
func allowedValues(vals, allowed []string) []string {
	var out []string
	for _, v := range vals {
		if slices.Contains(allowed, v) && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}
