package telegram

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/umkmbot/umkmbot/bot"
)

// update decodes a Bot API update from its JSON, as Telegram sends it.
func update(t *testing.T, js string) tgbotapi.Update {
	t.Helper()
	var u tgbotapi.Update
	if err := json.Unmarshal([]byte(js), &u); err != nil {
		t.Fatalf("bad test update: %v", err)
	}
	return u
}

const (
	from    = `"from":{"id":5001,"is_bot":false,"first_name":"Siti","last_name":"Aminah","language_code":"id"}`
	private = `"chat":{"id":5001,"type":"private","first_name":"Siti"}`
)

func msgJSON(body string) string {
	return `{"update_id":10,"message":{"message_id":42,"date":1760000000,` + from + `,` + private + `,` + body + `}}`
}

func TestToMessage(t *testing.T) {
	me := bot.Conversation{Channel: bot.Telegram, User: "5001"}
	base := bot.Message{ID: "m42", Conv: me, Name: "Siti Aminah", LangHint: "id"}
	with := func(f func(m *bot.Message)) bot.Message { m := base; f(&m); return m }
	tests := []struct {
		name   string
		js     string
		groups bool
		want   bot.Message
		ok     bool
	}{
		{"text", msgJSON(`"text":"halo"`), false, with(func(m *bot.Message) { m.Kind, m.Text = bot.KindText, "halo" }), true},
		{"command", msgJSON(`"text":"/daftar"`), false, with(func(m *bot.Message) { m.Kind, m.Text, m.Command = bot.KindText, "daftar", true }), true},
		{"command with bot name and args", msgJSON(`"text":"/Profil@umkm_bot ubah 3"`), false,
			with(func(m *bot.Message) { m.Kind, m.Text, m.Command = bot.KindText, "profil ubah 3", true }), true},
		{"start deep link", msgJSON(`"text":"/start pelatihan_12"`), false,
			with(func(m *bot.Message) {
				m.Kind, m.Text, m.Command, m.StartArg = bot.KindText, "start", true, "pelatihan_12"
			}), true},
		{"underscore stands for a space", msgJSON(`"text":"/pelatihan_saya"`), false,
			with(func(m *bot.Message) { m.Kind, m.Text, m.Command = bot.KindText, "pelatihan saya", true }), true},
		{"plain start", msgJSON(`"text":"/start"`), false,
			with(func(m *bot.Message) { m.Kind, m.Text, m.Command = bot.KindText, "start", true }), true},
		{"slash alone is text", msgJSON(`"text":"/"`), false, with(func(m *bot.Message) { m.Kind, m.Text = bot.KindText, "/" }), true},
		{"own contact", msgJSON(`"contact":{"phone_number":"6281234567890","first_name":"Siti","user_id":5001}`), false,
			with(func(m *bot.Message) {
				m.Kind = bot.KindContact
				m.Contact = &bot.Contact{Phone: "6281234567890", Name: "Siti", UserID: "5001", Self: true}
			}), true},
		{"someone else's contact", msgJSON(`"contact":{"phone_number":"+6285700001111","first_name":"Budi","user_id":6002}`), false,
			with(func(m *bot.Message) {
				m.Kind = bot.KindContact
				m.Contact = &bot.Contact{Phone: "+6285700001111", Name: "Budi", UserID: "6002"}
			}), true},
		{"contact without account", msgJSON(`"contact":{"phone_number":"0812","first_name":"Ani"}`), false,
			with(func(m *bot.Message) { m.Kind, m.Contact = bot.KindContact, &bot.Contact{Phone: "0812", Name: "Ani"} }), true},
		{"location", msgJSON(`"location":{"latitude":-6.55,"longitude":107.44}`), false,
			with(func(m *bot.Message) { m.Kind, m.Location = bot.KindLocation, &bot.Location{Lat: -6.55, Lon: 107.44} }), true},
		{"venue: a place picked on the map, with its name and address", msgJSON(`"location":{"latitude":-6.13,"longitude":106.18},"venue":{"location":{"latitude":-6.13,"longitude":106.18},"title":"Warung Bu Siti","address":"Kec. Cipocok Jaya, Kota Serang"}`), false,
			with(func(m *bot.Message) {
				m.Kind, m.Location = bot.KindLocation, &bot.Location{Lat: -6.13, Lon: 106.18, Name: "Warung Bu Siti", Address: "Kec. Cipocok Jaya, Kota Serang"}
			}), true},
		{"photo picks the largest", msgJSON(`"caption":"keripik","photo":[{"file_id":"s","file_unique_id":"a","width":90,"height":90,"file_size":1000},{"file_id":"L","file_unique_id":"b","width":1280,"height":960,"file_size":150000},{"file_id":"m","file_unique_id":"c","width":320,"height":240,"file_size":9000}]`), false,
			with(func(m *bot.Message) {
				m.Kind, m.Text = bot.KindPhoto, "keripik"
				m.Media = &bot.Media{Type: "photo", Ref: "L", Mime: "image/jpeg", Size: 150000, W: 1280, H: 960}
			}), true},
		{"document", msgJSON(`"document":{"file_id":"D","file_unique_id":"d","file_name":"ktp.pdf","mime_type":"application/pdf","file_size":2048}`), false,
			with(func(m *bot.Message) {
				m.Kind, m.Media = bot.KindDocument, &bot.Media{Type: "document", Ref: "D", Mime: "application/pdf", Size: 2048}
			}), true},
		{"sticker", msgJSON(`"sticker":{"file_id":"S","file_unique_id":"s","width":512,"height":512,"is_animated":false}`), false,
			with(func(m *bot.Message) {
				m.Kind, m.Media = bot.KindUnsupported, &bot.Media{Type: "sticker", Ref: "S", W: 512, H: 512}
			}), true},
		{"voice", msgJSON(`"voice":{"file_id":"V","file_unique_id":"v","duration":3,"mime_type":"audio/ogg","file_size":5000}`), false,
			with(func(m *bot.Message) {
				m.Kind, m.Media = bot.KindUnsupported, &bot.Media{Type: "voice", Ref: "V", Mime: "audio/ogg", Size: 5000}
			}), true},
		{"audio", msgJSON(`"audio":{"file_id":"A","file_unique_id":"a","duration":3}`), false,
			with(func(m *bot.Message) { m.Kind, m.Media = bot.KindUnsupported, &bot.Media{Type: "audio", Ref: "A"} }), true},
		{"video", msgJSON(`"video":{"file_id":"X","file_unique_id":"x","width":640,"height":480,"duration":3}`), false,
			with(func(m *bot.Message) {
				m.Kind, m.Media = bot.KindUnsupported, &bot.Media{Type: "video", Ref: "X", W: 640, H: 480}
			}), true},
		{"video note", msgJSON(`"video_note":{"file_id":"N","file_unique_id":"n","length":240,"duration":3}`), false,
			with(func(m *bot.Message) { m.Kind, m.Media = bot.KindUnsupported, &bot.Media{Type: "video_note", Ref: "N"} }), true},
		{"gif sets animation and document", msgJSON(`"animation":{"file_id":"G","file_unique_id":"g","width":1,"height":1,"duration":1},"document":{"file_id":"G","file_unique_id":"g"}`), false,
			with(func(m *bot.Message) { m.Kind, m.Media = bot.KindUnsupported, &bot.Media{Type: "animation", Ref: "G"} }), true},
		{"callback query", `{"update_id":11,"callback_query":{"id":"cbq9","chat_instance":"x","data":"2",` + from +
			`,"message":{"message_id":41,"date":1760000000,"from":{"id":777,"is_bot":true,"first_name":"Bot"},` + private + `,"text":"Setuju?"}}}`, false,
			bot.Message{ID: "ccbq9", Conv: me, Kind: bot.KindText, Text: "2", Name: "Siti Aminah", LangHint: "id"}, true},
		{"group ignored", `{"update_id":12,"message":{"message_id":1,"date":1,` + from + `,"chat":{"id":-100,"type":"group","title":"UMKM"},"text":"halo"}}`, false,
			bot.Message{}, false},
		{"group served when allowed", `{"update_id":12,"message":{"message_id":1,"date":1760000000,` + from + `,"chat":{"id":-100,"type":"supergroup","title":"UMKM"},"text":"/daftar@umkm_bot"}}`, true,
			bot.Message{ID: "m1", Conv: bot.Conversation{Channel: bot.Telegram, User: "-100"}, Kind: bot.KindText, Text: "daftar", Command: true, Name: "Siti Aminah", LangHint: "id"}, true},
		{"channel post ignored", `{"update_id":13,"channel_post":{"message_id":1,"date":1,"chat":{"id":-200,"type":"channel"},"text":"x"}}`, true,
			bot.Message{}, false},
		{"channel chat ignored", `{"update_id":13,"message":{"message_id":1,"date":1,` + from + `,"chat":{"id":-200,"type":"channel"},"text":"x"}}`, true,
			bot.Message{}, false},
		{"edit ignored", `{"update_id":14,"edited_message":{"message_id":1,"date":1,` + from + `,` + private + `,"text":"x"}}`, false,
			bot.Message{}, false},
		{"callback from a group message ignored", `{"update_id":15,"callback_query":{"id":"q","chat_instance":"x","data":"1",` + from +
			`,"message":{"message_id":41,"date":1,"chat":{"id":-100,"type":"group"},"text":"?"}}}`, false, bot.Message{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := ToMessage(update(t, tc.js), tc.groups)
			if ok != tc.ok {
				t.Fatalf("ok = %v, want %v", ok, tc.ok)
			}
			if !ok {
				return
			}
			if diff := cmp.Diff(tc.want, got, cmpopts.IgnoreFields(bot.Message{}, "Time")); diff != "" {
				t.Errorf("message (-want +got):\n%s", diff)
			}
			if got.Time.IsZero() {
				t.Errorf("message has no time")
			}
		})
	}
}

func TestParseCommand(t *testing.T) {
	tests := []struct {
		in, cmd, args string
		ok            bool
	}{
		{"/daftar", "daftar", "", true},
		{"/DAFTAR@Umkm_Bot  ", "daftar", "", true},
		{"/start pelatihan_12", "start", "pelatihan_12", true},
		{"/start\npelatihan_12", "start", "pelatihan_12", true},
		{"/batal sekarang juga", "batal", "sekarang juga", true},
		{"daftar", "", "", false},
		{"/", "", "", false},
		{"/ daftar", "", "", false},
		{"/12/2025", "", "", false},
		{"/jl.raya", "", "", false},
	}
	for _, tc := range tests {
		cmd, args, ok := ParseCommand(tc.in)
		if cmd != tc.cmd || args != tc.args || ok != tc.ok {
			t.Errorf("ParseCommand(%q) = %q, %q, %v; want %q, %q, %v", tc.in, cmd, args, ok, tc.cmd, tc.args, tc.ok)
		}
	}
}

func FuzzParseCommand(f *testing.F) {
	f.Add("/start pelatihan_12")
	f.Add("/daftar@bot")
	f.Fuzz(func(t *testing.T, s string) {
		cmd, _, ok := ParseCommand(s)
		if ok && (cmd == "" || strings.ContainsAny(cmd, " @/\n")) {
			t.Fatalf("ParseCommand(%q) gave command %q", s, cmd)
		}
		if !ok && cmd != "" {
			t.Fatalf("not a command but %q", cmd)
		}
	})
}

// markupJSON renders a request's reply_markup as Telegram receives it.
func markupJSON(t *testing.T, m tgbotapi.MessageConfig) string {
	t.Helper()
	b, err := json.Marshal(m.ReplyMarkup)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestRender(t *testing.T) {
	labels := Labels{ShareContact: "Kirim nomor", ShareLocation: "Kirim lokasi"}
	yesNo := []bot.ReplyOption{{Key: "1", Label: "Ya"}, {Key: "2", Label: "Tidak"}}
	long := []bot.ReplyOption{{Key: "1", Label: "Sampai Rp1 miliar"}, {Key: "2", Label: "Di atas Rp1 miliar sampai Rp5 miliar"}, {Key: "3", Label: "Jasa"}}
	tests := []struct {
		name   string
		r      bot.Reply
		kb     Keyboard
		markup string
	}{
		{"no options removes the keyboard", bot.Reply{Text: "Siapa nama Anda?"}, ReplyKeyboard, `{"remove_keyboard":true}`},
		{"reply keyboard in rows of two", bot.Reply{Text: "Setuju?", Options: yesNo}, ReplyKeyboard,
			`{"keyboard":[[{"text":"1. Ya"},{"text":"2. Tidak"}]],"resize_keyboard":true,"one_time_keyboard":true}`},
		{"long labels get their own row", bot.Reply{Text: "Modal?", Options: long}, ReplyKeyboard,
			`{"keyboard":[[{"text":"1. Sampai Rp1 miliar"}],[{"text":"2. Di atas Rp1 miliar sampai Rp5 miliar"}],[{"text":"3. Jasa"}]],"resize_keyboard":true,"one_time_keyboard":true}`},
		{"inline keyboard sends the key", bot.Reply{Text: "Setuju?", Options: yesNo}, InlineKeyboard,
			`{"inline_keyboard":[[{"text":"1. Ya","callback_data":"1"},{"text":"2. Tidak","callback_data":"2"}]]}`},
		{"key too long for callback data falls back to reply", bot.Reply{Text: "?", Options: []bot.ReplyOption{{Key: strings.Repeat("k", 65), Label: "x"}}}, InlineKeyboard,
			`{"keyboard":[[{"text":"` + strings.Repeat("k", 65) + `. x"}]],"resize_keyboard":true,"one_time_keyboard":true}`},
		{"contact button", bot.Reply{Text: "Nomor HP?", Ask: bot.AskContact}, InlineKeyboard,
			`{"keyboard":[[{"text":"Kirim nomor","request_contact":true}]],"resize_keyboard":true,"one_time_keyboard":true}`},
		{"location button with options", bot.Reply{Text: "Lokasi?", Ask: bot.AskLocation, Options: yesNo[:1]}, ReplyKeyboard,
			`{"keyboard":[[{"text":"Kirim lokasi","request_location":true}],[{"text":"1. Ya"}]],"resize_keyboard":true,"one_time_keyboard":true}`},
		{"photo ask has no button", bot.Reply{Text: "Kirim foto", Ask: bot.AskPhoto}, ReplyKeyboard, `{"remove_keyboard":true}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ms := Render(5001, tc.r, tc.kb, labels)
			if len(ms) != 1 {
				t.Fatalf("%d messages, want 1", len(ms))
			}
			want := tc.r.PlainText()
			if tc.kb == InlineKeyboard && !strings.Contains(tc.markup, `"keyboard"`) {
				want = tc.r.Text // the buttons stay on the message
			}
			if ms[0].ChatID != 5001 || ms[0].Text != want || ms[0].ParseMode != "" {
				t.Errorf("message = chat %d text %q parse mode %q", ms[0].ChatID, ms[0].Text, ms[0].ParseMode)
			}
			if got := markupJSON(t, ms[0]); got != tc.markup {
				t.Errorf("markup\n got %s\nwant %s", got, tc.markup)
			}
		})
	}
}

func TestRenderLongTextKeyboardOnLastPart(t *testing.T) {
	text := strings.Repeat("Pelatihan pengemasan produk di aula Dinas.\n", 200) // 8,600 characters
	ms := Render(1, bot.Reply{Text: text, Options: []bot.ReplyOption{{Key: "1", Label: "Daftar"}}}, ReplyKeyboard, Labels{})
	if len(ms) != 3 {
		t.Fatalf("%d parts, want 3", len(ms))
	}
	for i, m := range ms[:len(ms)-1] {
		if m.ReplyMarkup != nil {
			t.Errorf("part %d has a keyboard", i)
		}
	}
	if ms[2].ReplyMarkup == nil {
		t.Errorf("last part has no keyboard")
	}
}

func TestSplitText(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		limit int
		want  []string
	}{
		{"short", "halo", 10, []string{"halo"}},
		{"empty", "", 10, []string{""}},
		{"exact", "abcde", 5, []string{"abcde"}},
		{"at a space", "satu dua tiga", 8, []string{"satu dua", "tiga"}},
		{"prefers a line break", "baris satu\nbaris dua x", 16, []string{"baris satu", "baris dua x"}},
		{"long word cut", "abcdefghij", 4, []string{"abcd", "efgh", "ij"}},
		{"runes not bytes", "ééééé ééé", 5, []string{"ééééé", "ééé"}},
		{"emoji count two", "😀😀😀 😀", 6, []string{"😀😀😀", "😀"}},
		{"an emoji is not cut in half", "a😀😀", 2, []string{"a", "😀", "😀"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, SplitText(tc.in, tc.limit)); diff != "" {
				t.Errorf("SplitText (-want +got):\n%s", diff)
			}
		})
	}
}

func FuzzSplitText(f *testing.F) {
	f.Add("satu dua tiga", 5)
	f.Add("baris\nbaris\n\n  x", 3)
	f.Fuzz(func(t *testing.T, s string, limit int) {
		if limit < 2 || limit > 5000 || !utf8.ValidString(s) {
			return
		}
		parts := SplitText(s, limit)
		var words []string
		for _, p := range parts {
			if n := len(utf16.Encode([]rune(p))); n > limit {
				t.Fatalf("part of %d UTF-16 units > %d", n, limit)
			}
			words = append(words, strings.Fields(p)...)
		}
		// No text is lost: the words come back in order (a word cut in
		// the middle comes back in pieces).
		if strings.Join(words, "") != strings.Join(strings.Fields(s), "") {
			t.Fatalf("SplitText(%q, %d) = %q loses text", s, limit, parts)
		}
	})
}

func TestRedact(t *testing.T) {
	const token = "123456:ABC-def_ghi"
	err := "Post \"https://api.telegram.org/bot123456:ABC-def_ghi/getUpdates\": dial tcp: timeout; also 123456%3AABC-def_ghi"
	got := Redact(err, token)
	if strings.Contains(got, "ABC-def_ghi") {
		t.Fatalf("token left in %q", got)
	}
	if !strings.Contains(got, "/bot<token>/getUpdates") {
		t.Fatalf("redacted text lost its shape: %q", got)
	}
}

func TestDeriveSecret(t *testing.T) {
	a, b := DeriveSecret("1:a"), DeriveSecret("1:b")
	if a == b || a != DeriveSecret("1:a") || !validSecret(a) {
		t.Fatalf("DeriveSecret: %q %q", a, b)
	}
	if validSecret("bad secret!") || validSecret("") || validSecret(strings.Repeat("a", 257)) {
		t.Fatal("validSecret accepts a bad secret")
	}
}

func BenchmarkToMessage(b *testing.B) {
	var u tgbotapi.Update
	if err := json.Unmarshal([]byte(msgJSON(`"text":"/start pelatihan_12"`)), &u); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		ToMessage(u, false)
	}
}

func BenchmarkRender(b *testing.B) {
	r := bot.Reply{Text: strings.Repeat("Di kecamatan mana usaha Bapak/Ibu? ", 4), Options: make([]bot.ReplyOption, 17)}
	for i := range r.Options {
		r.Options[i] = bot.ReplyOption{Key: strconv.Itoa(i + 1), Label: "Babakancikao"}
	}
	for b.Loop() {
		Render(5001, r, ReplyKeyboard, Labels{})
	}
}

// FuzzToMessage feeds updates as Telegram could send them: whatever the
// JSON holds, the converter does not panic and a served message is
// addressed and identified.
func FuzzToMessage(f *testing.F) {
	f.Add(msgJSON(`"text":"/start pelatihan_12"`))
	f.Add(msgJSON(`"photo":[{"file_id":"a","file_unique_id":"b","width":1,"height":1}]`))
	f.Add(`{"update_id":1,"callback_query":{"id":"q","from":{"id":1,"first_name":"A"},"data":"1"}}`)
	f.Fuzz(func(t *testing.T, js string) {
		var u tgbotapi.Update
		if json.Unmarshal([]byte(js), &u) != nil {
			return
		}
		for _, groups := range []bool{false, true} {
			m, ok := ToMessage(u, groups)
			if !ok {
				continue
			}
			if m.ID == "" || m.Conv.User == "" || m.Conv.Channel != bot.Telegram || m.Kind == "" {
				t.Fatalf("served message without id, conversation or kind: %+v", m)
			}
			if (m.Kind == bot.KindPhoto || m.Kind == bot.KindDocument || m.Kind == bot.KindUnsupported) && m.Media == nil {
				t.Fatalf("%s without media", m.Kind)
			}
		}
	})
}
