package whatsapp

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"unicode/utf8"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"google.golang.org/protobuf/proto"

	"github.com/umkmbot/umkmbot/bot"
)

var _ bot.DocumentSender = (*Adapter)(nil)

// SendDocument uploads a file and sends it as a document with caption's
// text (a longer text follows it as a message). A process that does not
// hold the connection relays the reply, whose Attach names the file, to
// the holder, which reads the bytes from Options.Media.
func (a *Adapter) SendDocument(ctx context.Context, to bot.Conversation, d bot.Document, caption bot.Reply) error {
	if a.relay != nil && !a.holding.Load() {
		return a.relayItem(ctx, to, relayed{To: to.User, Reply: caption, At: a.clock.Now(),
			Doc: &relayedDoc{Name: d.Name, Mime: d.Mime}})
	}
	return a.sendDocumentDirect(ctx, to, d, caption)
}

type relayedDoc struct {
	Name string `json:"name"`
	Mime string `json:"mime"`
}

// sendRelayedDocument sends a document another process relayed: the
// reply's Attach says where the bytes are.
func (a *Adapter) sendRelayedDocument(ctx context.Context, to bot.Conversation, it relayed) error {
	r := it.Reply
	att := r.Attach
	r.Attach = nil
	if att == nil || a.media == nil {
		a.log.Warn("whatsapp document sent as text: nothing to read it from")
		return a.sendDirect(ctx, to, r)
	}
	b, err := a.media.FetchMedia(ctx, att.From, att.Ref)
	if err != nil {
		return fmt.Errorf("read relayed document: %w", err)
	}
	return a.sendDocumentDirect(ctx, to, bot.Document{Name: it.Doc.Name, Mime: it.Doc.Mime, Data: b}, r)
}

func (a *Adapter) sendDocumentDirect(ctx context.Context, to bot.Conversation, d bot.Document, caption bot.Reply) error {
	caption.Attach = nil
	text := caption.PlainText()
	jid, err := ChatJID(to.User)
	if err != nil || len(d.Data) == 0 {
		a.Stats.SendFailed.Add(1)
		a.obs.Send(bot.WhatsApp, "rejected")
		return fmt.Errorf("%w: a document for %s: %w", bot.ErrRejected, maskUser(to.User), errors.Join(err, errors.New("no bytes")))
	}
	up, ok := a.client.(uploader)
	if !ok {
		a.Stats.SendFailed.Add(1)
		return fmt.Errorf("send whatsapp document to %s: %w", maskUser(to.User), errors.New("whatsapp client cannot upload media"))
	}
	deadline := a.clock.Now().Add(a.cfg.SendWait)
	if err := a.waitConnected(ctx, deadline); err != nil {
		a.Stats.SendFailed.Add(1)
		return err
	}
	res, err := up.Upload(ctx, d.Data, whatsmeow.MediaDocument)
	if err != nil {
		a.Stats.SendFailed.Add(1)
		return fmt.Errorf("send whatsapp document to %s: upload: %w", maskUser(to.User), err)
	}
	mime, name := d.Mime, d.Name
	if mime == "" {
		mime = http.DetectContentType(d.Data)
	}
	if name == "" {
		name = "dokumen"
	}
	dm := &waE2E.DocumentMessage{URL: proto.String(res.URL), DirectPath: proto.String(res.DirectPath), MediaKey: res.MediaKey,
		FileEncSHA256: res.FileEncSHA256, FileSHA256: res.FileSHA256, FileLength: proto.Uint64(uint64(len(d.Data))),
		Mimetype: proto.String(mime), FileName: proto.String(name), Title: proto.String(name)}
	long := utf8.RuneCountInString(text) > maxCaption
	if !long {
		dm.Caption = proto.String(text)
	}
	return a.sendCaptioned(ctx, to, jid, &waE2E.Message{DocumentMessage: dm}, "document", long, text, deadline)
}
