package whatsapp

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"

	"github.com/umkmbot/umkmbot/bot"
)

var t0 = time.Date(2026, 11, 25, 9, 0, 0, 0, bot.Jakarta)

func pnJID(u string) types.JID  { return types.NewJID(u, types.DefaultUserServer) }
func lidJID(u string) types.JID { return types.NewJID(u, types.HiddenUserServer) }

// dm is a direct message from sender, as whatsmeow delivers it.
func dm(id string, sender types.JID, m *waE2E.Message) *events.Message {
	return &events.Message{
		Info: types.MessageInfo{
			MessageSource: types.MessageSource{Chat: sender, Sender: sender},
			ID:            id, Timestamp: t0, PushName: "Siti", Type: "text",
		},
		Message: m,
	}
}

func text(s string) *waE2E.Message { return &waE2E.Message{Conversation: proto.String(s)} }

// lidStore is a fake whatsmeow LID store.
type lidStore map[types.JID]types.JID

func (s lidStore) GetPNForLID(ctx context.Context, lid types.JID) (types.JID, error) {
	if pn, ok := s[lid]; ok {
		return pn, nil
	}
	return types.JID{}, errors.New("no mapping")
}

const (
	siti      = "6281234567890"
	sitiPhone = "+6281234567890"
	sitiLID   = "123456789012345"
)

var sitiConv = bot.Conversation{Channel: bot.WhatsApp, User: siti}

func TestConvert(t *testing.T) {
	vcard := "BEGIN:VCARD\nVERSION:3.0\nN:;Asep;;;\nFN:Asep Sunandar\nitem1.TEL;waid=6285712345678:+62 857-1234-5678\nitem1.X-ABLabel:Ponsel\nEND:VCARD"
	selfCard := "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Siti\r\nTEL;type=CELL:0812-3456-7890\r\nEND:VCARD"
	img := &waE2E.ImageMessage{
		Caption: proto.String("Dodol Asep 250 g"), Mimetype: proto.String("image/jpeg"), FileLength: proto.Uint64(153_000),
		Width: proto.Uint32(800), Height: proto.Uint32(600), DirectPath: proto.String("/v/t62.7118-24/abc"),
		MediaKey: []byte("0123456789abcdef0123456789abcdef"), FileSHA256: []byte("sha"), FileEncSHA256: []byte("enc"),
		JPEGThumbnail: make([]byte, 4000),
	}
	base := func(kind bot.Kind) bot.Message {
		return bot.Message{ID: "M1", Conv: sitiConv, Time: t0, Kind: kind, Phone: sitiPhone, Name: "Siti"}
	}
	with := func(m bot.Message, f func(*bot.Message)) bot.Message { f(&m); return m }
	group := dm("M1", pnJID(siti), text("halo"))
	group.Info.Chat, group.Info.IsGroup = types.NewJID("120363025246125888", types.GroupServer), true
	status := dm("M1", pnJID(siti), text("promo"))
	status.Info.Chat = types.StatusBroadcastJID
	status.Info.IsGroup = true
	newsletter := dm("M1", pnJID(siti), text("berita"))
	newsletter.Info.Chat = types.NewJID("120363144038483540", types.NewsletterServer)
	self := dm("M1", pnJID("6289900000000"), text("tes"))
	self.Info.IsFromMe = true
	lidAlt := dm("M1", lidJID(sitiLID), text("halo"))
	lidAlt.Info.SenderAlt = types.NewADJID(siti, 0, 3)
	lidAlt.Info.AddressingMode = types.AddressingModeLID
	lidStored := dm("M1", lidJID(sitiLID), text("halo"))
	lidUnknown := dm("M1", lidJID("999999999999999"), text("halo"))
	device := dm("M1", types.NewADJID(siti, 0, 12), text("halo"))
	old := dm("M1", pnJID(siti), text("halo"))
	old.Info.Timestamp = t0.Add(-11 * time.Minute)
	edit := dm("M1", pnJID(siti), text("2"))
	edit.IsEdit = true
	foreign := dm("M1", pnJID("14155550100"), text("hi"))
	broadcastList := dm("M1", pnJID(siti), text("info"))
	broadcastList.Info.Chat, broadcastList.Info.IsGroup = types.NewJID("1700000000", types.BroadcastServer), true

	tests := []struct {
		name string
		evt  *events.Message
		want bot.Message
		skip Skip
		how  string
	}{
		{"conversation", dm("M1", pnJID(siti), text("daftar")), with(base(bot.KindText), func(m *bot.Message) { m.Text = "daftar" }), Take, "pn"},
		{"extended text", dm("M1", pnJID(siti), &waE2E.Message{ExtendedTextMessage: &waE2E.ExtendedTextMessage{Text: proto.String("2")}}),
			with(base(bot.KindText), func(m *bot.Message) { m.Text = "2" }), Take, "pn"},
		{"location", dm("M1", pnJID(siti), &waE2E.Message{LocationMessage: &waE2E.LocationMessage{DegreesLatitude: proto.Float64(-6.5569), DegreesLongitude: proto.Float64(107.4433)}}),
			with(base(bot.KindLocation), func(m *bot.Message) { m.Location = &bot.Location{Lat: -6.5569, Lon: 107.4433} }), Take, "pn"},
		{"named location", dm("M1", pnJID(siti), &waE2E.Message{LocationMessage: &waE2E.LocationMessage{DegreesLatitude: proto.Float64(-6.13), DegreesLongitude: proto.Float64(106.18),
			Name: proto.String("Warung Bu Siti"), Address: proto.String("Kec. Cipocok Jaya, Kota Serang")}}),
			with(base(bot.KindLocation), func(m *bot.Message) {
				m.Location = &bot.Location{Lat: -6.13, Lon: 106.18, Name: "Warung Bu Siti", Address: "Kec. Cipocok Jaya, Kota Serang"}
			}), Take, "pn"},
		{"contact of someone else", dm("M1", pnJID(siti), &waE2E.Message{ContactMessage: &waE2E.ContactMessage{DisplayName: proto.String("Asep"), Vcard: proto.String(vcard)}}),
			with(base(bot.KindContact), func(m *bot.Message) { m.Contact = &bot.Contact{Phone: "+6285712345678", Name: "Asep"} }), Take, "pn"},
		{"own contact", dm("M1", pnJID(siti), &waE2E.Message{ContactMessage: &waE2E.ContactMessage{Vcard: proto.String(selfCard)}}),
			with(base(bot.KindContact), func(m *bot.Message) { m.Contact = &bot.Contact{Phone: "0812-3456-7890", Name: "Siti", Self: true} }), Take, "pn"},
		{"image with caption", dm("M1", pnJID(siti), &waE2E.Message{ImageMessage: img}),
			with(base(bot.KindPhoto), func(m *bot.Message) {
				m.Text = "Dodol Asep 250 g"
				m.Media = &bot.Media{Type: "photo", Mime: "image/jpeg", Size: 153_000, W: 800, H: 600, Ref: imageRef(img)}
			}), Take, "pn"},
		{"document", dm("M1", pnJID(siti), &waE2E.Message{DocumentMessage: &waE2E.DocumentMessage{Mimetype: proto.String("application/pdf"), FileLength: proto.Uint64(90_000), FileName: proto.String("nib.pdf")}}),
			with(base(bot.KindDocument), func(m *bot.Message) { m.Media = &bot.Media{Type: "document", Mime: "application/pdf", Size: 90_000} }), Take, "pn"},
		{"sticker", dm("M1", pnJID(siti), &waE2E.Message{StickerMessage: &waE2E.StickerMessage{Mimetype: proto.String("image/webp")}}),
			with(base(bot.KindUnsupported), func(m *bot.Message) { m.Media = &bot.Media{Type: "sticker", Mime: "image/webp"} }), Take, "pn"},
		{"voice note", dm("M1", pnJID(siti), &waE2E.Message{AudioMessage: &waE2E.AudioMessage{PTT: proto.Bool(true), Mimetype: proto.String("audio/ogg; codecs=opus"), FileLength: proto.Uint64(8000)}}),
			with(base(bot.KindUnsupported), func(m *bot.Message) { m.Media = &bot.Media{Type: "voice", Mime: "audio/ogg; codecs=opus", Size: 8000} }), Take, "pn"},
		{"video", dm("M1", pnJID(siti), &waE2E.Message{VideoMessage: &waE2E.VideoMessage{Caption: proto.String("lihat"), Mimetype: proto.String("video/mp4")}}),
			with(base(bot.KindUnsupported), func(m *bot.Message) { m.Text = "lihat"; m.Media = &bot.Media{Type: "video", Mime: "video/mp4"} }), Take, "pn"},
		{"sender with a device part", device, with(base(bot.KindText), func(m *bot.Message) { m.Text = "halo" }), Take, "pn"},
		{"@lid sender with phone alternate", lidAlt, with(base(bot.KindText), func(m *bot.Message) { m.Text = "halo" }), Take, "alt"},
		{"@lid sender in the LID store", lidStored, with(base(bot.KindText), func(m *bot.Message) { m.Text = "halo" }), Take, "store"},
		{"@lid sender nobody knows", lidUnknown, bot.Message{ID: "M1", Time: t0, Kind: bot.KindText, Text: "halo", Name: "Siti",
			Conv: bot.Conversation{Channel: bot.WhatsApp, User: "999999999999999@lid"}}, Take, ""},
		{"foreign number: no phone", foreign, bot.Message{ID: "M1", Time: t0, Kind: bot.KindText, Text: "hi", Name: "Siti",
			Conv: bot.Conversation{Channel: bot.WhatsApp, User: "14155550100"}}, Take, "pn"},
		{"broadcast list message answers the sender", broadcastList, with(base(bot.KindText), func(m *bot.Message) { m.Text = "info" }), Take, "pn"},
		{"WhatsApp's announcements", dm("M1", types.PSAJID, text("Pembaruan keamanan")), bot.Message{ID: "M1", Time: t0, Conv: bot.Conversation{Channel: bot.WhatsApp}}, SkipServer, ""},
		{"group", group, bot.Message{ID: "M1", Time: t0, Conv: bot.Conversation{Channel: bot.WhatsApp}}, SkipGroup, ""},
		{"status broadcast", status, bot.Message{ID: "M1", Time: t0, Conv: bot.Conversation{Channel: bot.WhatsApp}}, SkipStatus, ""},
		{"newsletter", newsletter, bot.Message{ID: "M1", Time: t0, Conv: bot.Conversation{Channel: bot.WhatsApp}}, SkipNewsletter, ""},
		{"from self", self, bot.Message{ID: "M1", Time: t0, Conv: bot.Conversation{Channel: bot.WhatsApp}}, SkipSelf, ""},
		{"older than MaxAge", old, bot.Message{ID: "M1", Time: t0.Add(-11 * time.Minute), Conv: sitiConv, Phone: sitiPhone, Name: "Siti"}, SkipOld, "pn"},
		{"edit", edit, with(base(bot.KindText), func(m *bot.Message) { m.Text = "2" }), SkipNoContent, "pn"},
		{"reaction", dm("M1", pnJID(siti), &waE2E.Message{ReactionMessage: &waE2E.ReactionMessage{Text: proto.String("👍")}}),
			with(base(""), func(m *bot.Message) {}), SkipNoContent, "pn"},
	}
	c := Converter{MaxAge: 10 * time.Minute, Now: func() time.Time { return t0.Add(30 * time.Second) },
		LIDs: lidStore{lidJID(sitiLID): pnJID(siti)}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, who, skip := c.Convert(context.Background(), tt.evt)
			if skip != tt.skip {
				t.Fatalf("skip = %q, want %q", skip, tt.skip)
			}
			if skip == SkipNoContent {
				got.Kind, got.Text = tt.want.Kind, tt.want.Text // content is not read for what is skipped
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("message (-want +got):\n%s", diff)
			}
			if who.Resolved != tt.how {
				t.Errorf("resolved = %q, want %q", who.Resolved, tt.how)
			}
		})
	}
}

// The same message delivered once from the @lid address and once from the
// phone number maps to one conversation and one id, so the inbox dedupes it.
func TestConvertLIDAndPhoneAreOnePerson(t *testing.T) {
	c := Converter{}
	a := dm("3EB0AA", lidJID(sitiLID), text("1"))
	a.Info.SenderAlt = pnJID(siti)
	b := dm("3EB0AA", pnJID(siti), text("1"))
	b.Info.SenderAlt = lidJID(sitiLID)
	ma, _, _ := c.Convert(context.Background(), a)
	mb, _, _ := c.Convert(context.Background(), b)
	if ma.Conv != mb.Conv || ma.ID != mb.ID || ma.Phone != sitiPhone {
		t.Fatalf("lid delivery %v/%s/%s, phone delivery %v/%s/%s: want one conversation, one id and the phone", ma.Conv, ma.ID, ma.Phone, mb.Conv, mb.ID, mb.Phone)
	}
}

func TestImageRefRoundTrip(t *testing.T) {
	im := &waE2E.ImageMessage{DirectPath: proto.String("/v/x"), MediaKey: []byte("k"), FileSHA256: []byte("s"),
		FileEncSHA256: []byte("e"), FileLength: proto.Uint64(10), Mimetype: proto.String("image/jpeg"), JPEGThumbnail: []byte("big")}
	ref := imageRef(im)
	got, err := parseRef(ref)
	if err != nil {
		t.Fatal(err)
	}
	if got.GetDirectPath() != "/v/x" || string(got.GetMediaKey()) != "k" || got.GetFileLength() != 10 || got.JPEGThumbnail != nil {
		t.Errorf("round trip lost or kept the wrong fields: %v", got)
	}
	if imageRef(&waE2E.ImageMessage{}) != "" {
		t.Error("an image without a media key must have no reference")
	}
	for _, bad := range []string{"", "console-photo", refPrefix + "!!"} {
		if _, err := parseRef(bad); err == nil {
			t.Errorf("parseRef(%q) accepted", bad)
		}
	}
}

// With AllowGroups a group chat is one conversation, answered in the group,
// with no phone (so registration asks for one); without it groups are skipped.
func TestConvertAllowedGroup(t *testing.T) {
	g := dm("G1", pnJID(siti), text("halo"))
	g.Info.Chat, g.Info.IsGroup = types.NewJID("120363025246125888", types.GroupServer), true
	if _, _, skip := (Converter{}).Convert(context.Background(), g); skip != SkipGroup {
		t.Fatalf("group without AllowGroups: skip = %q", skip)
	}
	got, who, skip := (Converter{AllowGroups: true}).Convert(context.Background(), g)
	want := bot.Conversation{Channel: bot.WhatsApp, User: "120363025246125888@g.us"}
	if skip != Take || got.Conv != want || got.Phone != "" || got.Text != "halo" || who.Resolved != "group" {
		t.Fatalf("allowed group = %+v, %+v, %q", got, who, skip)
	}
	jid, err := ChatJID(got.Conv.User)
	if err != nil || jid != g.Info.Chat {
		t.Fatalf("replies go to %v, %v; want the group %v", jid, err, g.Info.Chat)
	}
}
