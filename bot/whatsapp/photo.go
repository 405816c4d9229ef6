package whatsapp

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"
	"unicode/utf8"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"google.golang.org/protobuf/proto"

	"github.com/umkmbot/umkmbot/bot"
)

var _ bot.PhotoSender = (*Adapter)(nil)

// maxCaption is the longest caption put under a picture; a longer text
// follows it as a message (what phones show under a picture is short).
const maxCaption = 1024

// uploadedPhoto remembers the last picture uploaded, so a broadcast
// uploads its picture once and sends the same media to everyone.
type uploadedPhoto struct {
	mu  sync.Mutex
	key string
	im  *waE2E.ImageMessage
}

// has reports whether the picture of key was uploaded last.
func (u *uploadedPhoto) has(key string) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.key == key && u.im != nil
}

// SendPhoto sends a picture with caption's text under it: a picture a
// WhatsApp user sent is sent on as it is (its Media.Ref holds the media
// keys), any other is uploaded from p.Data once. Errors are those of Send.
// A process that does not hold the connection relays the picture's
// reference to the holder, which reads the bytes from Options.Media.
func (a *Adapter) SendPhoto(ctx context.Context, to bot.Conversation, p bot.Photo, caption bot.Reply) error {
	if a.relay != nil && !a.holding.Load() {
		return a.relayItem(ctx, to, relayed{To: to.User, Reply: caption, At: a.clock.Now(),
			Photo: &relayedPhoto{Media: p.Media, From: p.From}})
	}
	return a.sendPhotoDirect(ctx, to, p, caption)
}

// sendRelayedPhoto sends a picture another process relayed, reading its
// bytes unless they were uploaded already; without a media source the
// caption goes out as text.
func (a *Adapter) sendRelayedPhoto(ctx context.Context, to bot.Conversation, it relayed) error {
	p := bot.Photo{Media: it.Photo.Media, From: it.Photo.From}
	if p.From != bot.WhatsApp && !a.photo.has(string(p.From)+"|"+p.Ref) {
		if a.media == nil {
			a.log.Warn("whatsapp picture sent as text: no media source to read it")
			return a.sendDirect(ctx, to, it.Reply)
		}
		b, err := a.media.FetchMedia(ctx, p.From, p.Ref)
		if err != nil {
			return fmt.Errorf("read relayed picture: %w", err)
		}
		p.Data = b
	}
	return a.sendPhotoDirect(ctx, to, p, it.Reply)
}

func (a *Adapter) sendPhotoDirect(ctx context.Context, to bot.Conversation, p bot.Photo, caption bot.Reply) error {
	text := caption.PlainText()
	jid, err := a.chatJID(ctx, to.User)
	if err != nil {
		a.Stats.SendFailed.Add(1)
		if errors.Is(err, bot.ErrRejected) {
			a.obs.Send(bot.WhatsApp, "rejected")
		}
		return err
	}
	im, err := a.photoMessage(ctx, p)
	if err != nil {
		a.Stats.SendFailed.Add(1)
		return fmt.Errorf("send whatsapp picture to %s: %w", maskUser(to.User), err)
	}
	long := utf8.RuneCountInString(text) > maxCaption
	if !long {
		im = proto.CloneOf(im)
		im.Caption = proto.String(text)
	}
	return a.sendCaptioned(ctx, to, jid, &waE2E.Message{ImageMessage: im}, "picture", long, text, a.clock.Now().Add(a.cfg.SendWait))
}

// sendCaptioned sends a picture or document message, then the caption's
// text as a message when it was too long to go under it.
func (a *Adapter) sendCaptioned(ctx context.Context, to bot.Conversation, jid types.JID, msg *waE2E.Message, what string, long bool, text string, deadline time.Time) error {
	if err := a.sendMessage(ctx, jid, msg, deadline); err != nil {
		a.Stats.SendFailed.Add(1)
		return fmt.Errorf("send whatsapp %s to %s: %w", what, maskUser(to.User), err)
	}
	a.Stats.Sent.Add(1)
	if long {
		return a.sendDirect(ctx, to, bot.Reply{Text: text})
	}
	return nil
}

// photoMessage is the picture as a WhatsApp image message, without caption.
func (a *Adapter) photoMessage(ctx context.Context, p bot.Photo) (*waE2E.ImageMessage, error) {
	if p.From == bot.WhatsApp && len(p.Data) == 0 {
		im, err := parseRef(p.Ref)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", bot.ErrRejected, err)
		}
		im.Caption = nil
		return im, nil
	}
	key := string(p.From) + "|" + p.Ref
	a.photo.mu.Lock()
	defer a.photo.mu.Unlock()
	if a.photo.key == key && a.photo.im != nil {
		return a.photo.im, nil
	}
	if len(p.Data) == 0 {
		return nil, fmt.Errorf("%w: a picture without bytes", bot.ErrRejected)
	}
	up, ok := a.client.(uploader)
	if !ok {
		return nil, errors.New("whatsapp client cannot upload media")
	}
	r, err := up.Upload(ctx, p.Data, whatsmeow.MediaImage)
	if err != nil {
		return nil, fmt.Errorf("upload picture: %w", err)
	}
	mime := p.Mime
	if mime == "" {
		mime = http.DetectContentType(p.Data)
	}
	im := &waE2E.ImageMessage{URL: proto.String(r.URL), DirectPath: proto.String(r.DirectPath), MediaKey: r.MediaKey,
		Mimetype: proto.String(mime), FileEncSHA256: r.FileEncSHA256, FileSHA256: r.FileSHA256, FileLength: proto.Uint64(r.FileLength)}
	if p.W > 0 && p.H > 0 {
		im.Width, im.Height = proto.Uint32(uint32(p.W)), proto.Uint32(uint32(p.H))
	}
	a.photo.key, a.photo.im = key, im
	return im, nil
}
