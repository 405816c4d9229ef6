package bot

import (
	"context"
	"errors"
	"fmt"
)

// Attachment is a picture or a document sent with a message's text (an
// officer's reply with a photo or a PDF). It travels by reference through
// the durable outbox: Ref names the file where From keeps it (Uploaded: the
// console's store; a channel: a file a user sent there), and the bytes are
// read only when the message is sent.
type Attachment struct {
	Media           // Type "photo" or "document"; Ref, Mime, Size, Name
	From  ChannelID `json:"from"`
}

// Attachment types (Media.Type).
const (
	AttachPhoto    = "photo"
	AttachDocument = "document"
)

// Document is a file to send as a document.
type Document struct {
	Name string
	Mime string
	Data []byte
}

// DocumentSender is an optional capability of a channel's Sender: sending
// a file as a document with caption's text (a channel whose captions are
// shorter sends the text after the file).
type DocumentSender interface {
	SendDocument(ctx context.Context, to Conversation, d Document, caption Reply) error
}

// sendAttached sends a reply with an attachment through s: a picture
// through PhotoSender, a document through DocumentSender. A channel without
// the capability, or a file no longer kept, gets the text alone (the
// attachment is dropped with a warning): the message still arrives.
func (o *Outbox) sendAttached(ctx context.Context, s Sender, to Conversation, r Reply) error {
	a, full := *r.Attach, r
	r.Attach = nil
	ps, photo := s.(PhotoSender)
	ds, doc := s.(DocumentSender)
	photo = photo && a.Type == AttachPhoto
	doc = doc && a.Type == AttachDocument
	if !photo && !doc {
		o.log.Debug("channel cannot send this attachment; sending the text alone", "channel", to.Channel, "type", a.Type)
		return s.Send(ctx, to, r)
	}
	var data []byte
	if a.From != to.Channel || doc {
		o.mu.RLock()
		media := o.media
		o.mu.RUnlock()
		if media == nil {
			return fmt.Errorf("send %s to %s: %w", a.Type, to.Channel, ErrNoMediaSource)
		}
		b, err := o.photos.get(ctx, media, a.From, a.Ref)
		if errors.Is(err, ErrNotFound) {
			o.log.Warn("attachment not found; sending the text alone", "from", a.From, "type", a.Type)
			return s.Send(ctx, to, r)
		}
		if err != nil {
			return fmt.Errorf("send %s to %s: read it: %w", a.Type, to.Channel, err)
		}
		data = b
	}
	if doc {
		// full keeps Attach: a channel relaying to another process names the bytes so
		return ds.SendDocument(ctx, to, Document{Name: a.Name, Mime: a.Mime, Data: data}, full)
	}
	return ps.SendPhoto(ctx, to, Photo{Media: a.Media, From: a.From, Data: data}, r)
}
