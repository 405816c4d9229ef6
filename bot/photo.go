package bot

import (
	"context"
	"errors"
	"sync"
)

// Uploaded is the source of a picture uploaded on the web console for a
// broadcast: Media.Ref names it in the store (see MediaSource), not in a
// chat channel.
const Uploaded ChannelID = "upload"

// Photo is a picture to send. A channel sends Ref as its own file
// reference when From is itself (a Telegram file_id to Telegram), else
// the bytes in Data.
type Photo struct {
	Media
	From ChannelID
	Data []byte // the picture, when From is another channel or Uploaded
}

// PhotoSender is an optional capability of a channel's Sender: sending a
// picture with caption's text under it (a channel whose captions are
// shorter sends the text after the picture).
type PhotoSender interface {
	SendPhoto(ctx context.Context, to Conversation, p Photo, caption Reply) error
}

// MediaSource gives the bytes of a picture by its source and reference: a
// channel's download for a file a user sent, the store for one uploaded
// on the console (from Uploaded).
type MediaSource interface {
	FetchMedia(ctx context.Context, from ChannelID, ref string) ([]byte, error)
}

// ErrNoMediaSource is returned by NotifyPhoto when a picture must be sent
// as bytes and the outbox has no MediaSource.
var ErrNoMediaSource = errors.New("no source for the picture's bytes")

var _ PhotoNotifier = (*Outbox)(nil)

// SetMediaSource makes the outbox able to send pictures across channels
// (and uploaded ones); without it only a channel's own file references go
// out as pictures.
func (o *Outbox) SetMediaSource(m MediaSource) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.media = m
}

// NotifyPhoto sends photo with caption rendered in the recipient's
// language. A channel that cannot send pictures, or a picture that is no
// longer kept, gets the caption as text.
// The bytes of the last picture are kept, so a broadcast to thousands
// reads them once.
func (o *Outbox) NotifyPhoto(ctx context.Context, to Conversation, photo Media, from ChannelID, caption Out) error {
	r := o.cat.Out(o.Lang(ctx, to), caption)
	photo.Type = AttachPhoto
	r.Attach = &Attachment{Media: photo, From: from}
	return o.Send(ctx, to, r)
}

// photoCache keeps the bytes of the last picture read.
type photoCache struct {
	mu   sync.Mutex
	key  string
	data []byte
}

func (c *photoCache) get(ctx context.Context, m MediaSource, from ChannelID, ref string) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	key := string(from) + "|" + ref
	if c.key == key {
		return c.data, nil
	}
	b, err := m.FetchMedia(ctx, from, ref)
	if err != nil {
		return nil, err
	}
	c.key, c.data = key, b
	return b, nil
}
