package telegram

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
	"github.com/google/go-cmp/cmp"
)

// Updates as Telegram sends them (and as the bench harness's fake Bot API
// writes them), one per shape the bot serves.
const (
	upText     = `{"update_id":1000,"message":{"message_id":17,"from":{"id":5000,"is_bot":false,"first_name":"Budi","last_name":"Santoso","username":"budi_s","language_code":"id"},"chat":{"id":5000,"first_name":"Budi","last_name":"Santoso","username":"budi_s","type":"private"},"date":1764550000,"text":"Jl. Raya Anjun No. 5"}}`
	upCommand  = `{"update_id":1001,"message":{"message_id":18,"from":{"id":5000,"is_bot":false,"first_name":"Budi"},"chat":{"id":5000,"first_name":"Budi","type":"private"},"date":1764550001,"text":"/start pelatihan_12","entities":[{"offset":0,"length":6,"type":"bot_command"}]}}`
	upContact  = `{"update_id":1002,"message":{"message_id":19,"from":{"id":5000,"is_bot":false,"first_name":"Budi"},"chat":{"id":5000,"first_name":"Budi","type":"private"},"date":1764550002,"reply_to_message":{"message_id":18,"from":{"id":7000000001,"is_bot":true,"first_name":"UMKM Bot","username":"umkm_bot"},"chat":{"id":5000,"first_name":"Budi","type":"private"},"date":1764550001,"text":"Nomor HP?"},"contact":{"phone_number":"6281234567890","first_name":"Budi","last_name":"Santoso","user_id":5000,"vcard":"BEGIN:VCARD\nVERSION:3.0\nEND:VCARD"}}}`
	upLocation = `{"update_id":1003,"message":{"message_id":20,"from":{"id":5000,"is_bot":false,"first_name":"Budi"},"chat":{"id":5000,"first_name":"Budi","type":"private"},"date":1764550003,"location":{"latitude":-6.551776,"longitude":107.443024,"horizontal_accuracy":12.5,"live_period":900,"heading":90}}}`
	upVenue    = `{"update_id":1004,"message":{"message_id":21,"from":{"id":5000,"is_bot":false,"first_name":"Budi"},"chat":{"id":5000,"first_name":"Budi","type":"private"},"date":1764550004,"location":{"latitude":-6.12,"longitude":106.15},"venue":{"location":{"latitude":-6.12,"longitude":106.15},"title":"Alun-alun Kota Serang","address":"Jl. Maulana Hasanudin, Kota Serang","foursquare_id":"4b5","google_place_id":"ChIJ"}}}`
	upPhoto    = `{"update_id":1005,"message":{"message_id":22,"from":{"id":5000,"is_bot":false,"first_name":"Budi"},"chat":{"id":5000,"first_name":"Budi","type":"private"},"date":1764550005,"media_group_id":"1339","photo":[{"file_id":"AgACAgUAAxkBAAIB","file_unique_id":"AQADa","file_size":1453,"width":90,"height":67},{"file_id":"AgACAgUAAxkBAAIC","file_unique_id":"AQADb","file_size":104229,"width":1280,"height":960}],"caption":"Keripik singkong 250 gr","caption_entities":[{"offset":0,"length":7,"type":"bold"}]}}`
	upVoice    = `{"update_id":1006,"message":{"message_id":23,"from":{"id":5000,"is_bot":false,"first_name":"Budi"},"chat":{"id":5000,"first_name":"Budi","type":"private"},"date":1764550006,"voice":{"duration":3,"mime_type":"audio/ogg","file_id":"AwACAgUAAxkBAAID","file_unique_id":"AgADc","file_size":11590}}}`
	upSticker  = `{"update_id":1007,"message":{"message_id":24,"from":{"id":5000,"is_bot":false,"first_name":"Budi"},"chat":{"id":5000,"first_name":"Budi","type":"private"},"date":1764550007,"sticker":{"width":512,"height":512,"emoji":"\ud83d\udc4d","set_name":"HotCherry","is_animated":true,"is_video":false,"type":"regular","thumbnail":{"file_id":"x"},"thumb":{"file_id":"AAMCAgADGQEAAgE","file_unique_id":"AQADd","file_size":5208,"width":128,"height":128},"file_id":"CAACAgIAAxkBAAIE","file_unique_id":"AgADe","file_size":25186}}}`
	upDocument = `{"update_id":1008,"message":{"message_id":25,"from":{"id":5000,"is_bot":false,"first_name":"Budi"},"chat":{"id":5000,"first_name":"Budi","type":"private"},"date":1764550008,"document":{"file_name":"NIB Budi.pdf","mime_type":"application/pdf","thumb":{"file_id":"AAMC","file_unique_id":"AQADf","file_size":1200,"width":226,"height":320},"file_id":"BQACAgUAAxkBAAIF","file_unique_id":"AgADg","file_size":187123}}}`
	upCallback = `{"update_id":1009,"callback_query":{"id":"2147483648123456789","from":{"id":5000,"is_bot":false,"first_name":"Budi","language_code":"en"},"message":{"message_id":26,"from":{"id":7000000001,"is_bot":true,"first_name":"UMKM Bot","username":"umkm_bot"},"chat":{"id":5000,"first_name":"Budi","type":"private"},"date":1764550009,"text":"Pilih sektor usaha:\n1. Kuliner\n2. Kriya","reply_markup":{"inline_keyboard":[[{"text":"1. Kuliner","callback_data":"1"},{"text":"2. Kriya","callback_data":"2"}],[{"text":"Situs Dinas","url":"https:\/\/example.go.id\/umkm"}]]}},"chat_instance":"-3547284728347","data":"1"}}`
	upEdited   = `{"update_id":1010,"edited_message":{"message_id":17,"from":{"id":5000,"is_bot":false,"first_name":"Budi"},"chat":{"id":5000,"first_name":"Budi","type":"private"},"date":1764550000,"edit_date":1764550100,"text":"Jl. Raya Anjun No. 7"}}`
	upUnknown  = `{"update_id":1011,"future_update_kind":{"x":[1,2,{"y":null}]},"message":{"message_id":27,"message_thread_id":3,"from":{"id":5000,"is_bot":false,"is_premium":true,"added_to_attachment_menu":false,"first_name":"Budi"},"chat":{"id":5000,"first_name":"Budi","type":"private","is_forum":false,"active_usernames":["a","b"]},"date":1764550010,"text":"halo","link_preview_options":{"is_disabled":true},"new_field":-1.5e-3}}`
	upEscaped  = `{"update_id":1012,"message":{"message_id":28,"from":{"id":5000,"is_bot":false,"first_name":"\u0411\u0443\u0434\u0438 \"B\"","last_name":"\\ \/ \b\f\n\r\t"},"chat":{"id":5000,"first_name":"Budi","type":"private"},"date":1764550011,"text":"Keripik \u003cpedas\u003e \u0026 manis \ud83c\udf36\ufe0f lone \ud800 end \udc00\u0041"}}`
	upUnicode  = `{"update_id":1013,"message":{"message_id":29,"from":{"id":5000,"is_bot":false,"first_name":"Sití Ämïnah 👋"},"chat":{"id":5000,"first_name":"Sití","type":"private"},"date":1764550012,"text":"Usaha kami: 𝕂𝕣𝕚𝕡𝕚𝕜 — ᮞᮥᮔ᮪ᮓ 🙏🏽"}}`
	upBigIDs   = `{"update_id":2147483647,"message":{"message_id":2147483647,"from":{"id":9223372036854775807,"is_bot":false,"first_name":"Budi"},"chat":{"id":-1009223372036854,"title":"Grup UMKM","type":"supergroup"},"date":1764550013,"text":"1"},"callback_query":null}`
	upSpaced   = " \n\t{ \"update_id\" : 1014 ,\r\n \"message\" : { \"message_id\" : 30 , \"from\" : { \"id\" : 5000 , \"first_name\" : \"Budi\" } , \"chat\" : { \"id\" : 5000 , \"type\" : \"private\" } , \"date\" : 1764550014 , \"text\" : \"ya\" , \"entities\" : [ ] } } \n"
)

// fastShapes must be read by the fast reader; the rest falls back.
var fastShapes = map[string]string{
	"text": upText, "command": upCommand, "contact": upContact, "location": upLocation, "venue": upVenue,
	"photo": upPhoto, "voice": upVoice, "sticker": upSticker, "document": upDocument, "callback_query": upCallback,
	"edited_message": upEdited, "unknown fields": upUnknown, "escaped strings": upEscaped, "unicode": upUnicode,
	"white space":     upSpaced,
	"an escaped name": `{"update_\u0069d":1,"message":{"message_id":1,"chat":{"id":5,"type":"private"},"text":"x"}}`,
	"invalid UTF-8":   "{\"update_id\":1,\"message\":{\"message_id\":1,\"text\":\"a\xffb\xed\xa0\x80c\"}}",
}

// libraryShapes are left to encoding/json (and decode as it says).
var libraryShapes = map[string]string{
	"big ids and a null":     upBigIDs,
	"a forward":              `{"update_id":1,"message":{"message_id":1,"forward_from":{"id":3,"first_name":"A"},"chat":{"id":5,"type":"private"},"text":"x"}}`,
	"a channel post":         `{"update_id":1,"channel_post":{"message_id":1,"chat":{"id":-100,"type":"channel"},"text":"x"}}`,
	"a poll":                 `{"update_id":1,"message":{"message_id":1,"chat":{"id":5,"type":"private"},"poll":{"id":"p","question":"q","options":[]}}}`,
	"a repeated member":      `{"update_id":1,"message":{"message_id":1,"chat":{"id":5,"type":"private"},"chat":{"type":"group"}}}`,
	"a repeated update_id":   `{"update_id":1,"update_id":2}`,
	"a name in other case":   `{"update_id":1,"Message":{"message_id":1,"chat":{"id":5,"type":"private"},"TEXT":"x"}}`,
	"a name not ASCII":       `{"update_id":1,"meſſage":{"message_id":1}}`,
	"a fraction for an int":  `{"update_id":1.0}`,
	"an exponent for an int": `{"update_id":1e3}`,
	"an int out of range":    `{"update_id":1,"message":{"message_id":1,"from":{"id":9223372036854775808}}}`,
	"a string for an int":    `{"update_id":1,"message":{"message_id":"not-a-number"}}`,
	"a number for a string":  `{"update_id":1,"message":{"message_id":1,"text":5}}`,
	"a float out of range":   `{"update_id":1,"message":{"message_id":1,"location":{"latitude":1e400,"longitude":0}}}`,
	"a null message":         `{"update_id":1,"message":null}`,
	"not an object":          `[1]`,
	"trailing data":          `{"update_id":1} {}`,
	"a bad escape":           `{"update_id":1,"message":{"message_id":1,"text":"\x"}}`,
	"a control character":    "{\"update_id\":1,\"message\":{\"message_id\":1,\"text\":\"a\tb\"}}",
	"a leading zero":         `{"update_id":01}`,
	"deep nesting":           `{"update_id":1,"x":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`,
	"a login button":         `{"update_id":1,"callback_query":{"id":"c","message":{"message_id":1,"reply_markup":{"inline_keyboard":[[{"text":"a","login_url":{"url":"u"}}]]}}}}`,
}

// TestDecodeFastShapes: the shapes the bot serves are read by the fast
// reader, exactly as encoding/json reads them (and what the fast reader
// does not read, it leaves to encoding/json, whose result decodeUpdate
// gives).
func TestDecodeFastShapes(t *testing.T) {
	if !fastReadable {
		t.Fatal("a library type read by the fast reader has a field it cannot name (jsonNames): every update goes to encoding/json")
	}
	for name, raw := range fastShapes {
		t.Run(name, func(t *testing.T) {
			got, ok := decodeUpdateFast([]byte(raw))
			if !ok {
				t.Fatal("left to encoding/json; want it read by the fast reader")
			}
			var want tgbotapi.Update
			if err := json.Unmarshal([]byte(raw), &want); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("(-json.Unmarshal +fast):\n%s", diff)
			}
			if !reflect.DeepEqual(want, got) { // also nil against empty
				t.Fatalf("not deeply equal:\n%#v\n%#v", want, got)
			}
		})
	}
	for name, raw := range libraryShapes {
		t.Run(name, func(t *testing.T) {
			if _, ok := decodeUpdateFast([]byte(raw)); ok {
				t.Fatal("read by the fast reader; want it left to encoding/json")
			}
			sameAsLibrary(t, []byte(raw))
		})
	}
}

// TestDecodeFastReadsWhatTheBotUses: a sample of values, so that a shape
// both decoders got wrong the same way would still be caught.
func TestDecodeFastReadsWhatTheBotUses(t *testing.T) {
	u, _ := decodeUpdateFast([]byte(upEscaped))
	if got, want := u.Message.From.FirstName, `Буди "B"`; got != want {
		t.Errorf("first name %q, want %q", got, want)
	}
	if got, want := u.Message.Text, "Keripik <pedas> & manis 🌶️ lone \ufffd end \ufffdA"; got != want {
		t.Errorf("text %q, want %q", got, want)
	}
	u, _ = decodeUpdateFast([]byte(upCallback))
	if cb := u.CallbackQuery; cb.Data != "1" || cb.From.ID != 5000 || cb.Message.Chat.ID != 5000 ||
		*cb.Message.ReplyMarkup.InlineKeyboard[1][0].URL != "https://example.go.id/umkm" || cb.Message.ReplyMarkup.InlineKeyboard[0][0].URL != nil {
		t.Errorf("callback query read as %+v", cb)
	}
	u, _ = decodeUpdateFast([]byte(upLocation))
	if l := u.Message.Location; l.Latitude != -6.551776 || l.Longitude != 107.443024 {
		t.Errorf("location read as %+v", l)
	}
	u, _ = decodeUpdateFast([]byte(upContact))
	if m, ok := ToMessage(u, false); !ok || m.Contact == nil || m.Contact.Phone != "6281234567890" || !m.Contact.Self {
		t.Errorf("contact converted to %+v", m)
	}
}

// sameAsLibrary fails unless decodeUpdate gives for raw what it gave with
// encoding/json alone.
func sameAsLibrary(t *testing.T, raw []byte) {
	t.Helper()
	u, id, err := decodeUpdate(raw)
	wu, wid, werr := decodeUpdateLibrary(raw)
	if werr == nil && wu.UpdateID <= 0 {
		wid, werr = 0, errNoUpdateID
	}
	if (err == nil) != (werr == nil) || err != nil && errorKind(err) != errorKind(werr) {
		t.Fatalf("error %v, want %v", err, werr)
	}
	if id != wid || !reflect.DeepEqual(u, wu) {
		t.Fatalf("decoded %d %#v, want %d %#v", id, u, wid, wu)
	}
}

func fuzzSeeds(f *testing.F) {
	for _, raw := range fastShapes {
		f.Add([]byte(raw))
	}
	for _, raw := range libraryShapes {
		f.Add([]byte(raw))
	}
}

// FuzzDecodeFastMatchesLibrary: for any input, what the fast reader reads
// is what encoding/json reads, and decodeUpdate's result (update, id,
// error) is the one it had with encoding/json alone.
func FuzzDecodeFastMatchesLibrary(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, raw []byte) {
		if got, ok := decodeUpdateFast(raw); ok {
			var want tgbotapi.Update
			if err := json.Unmarshal(raw, &want); err != nil {
				t.Fatalf("fast reader read what encoding/json refuses (%v)", err)
			}
			if !reflect.DeepEqual(want, got) {
				t.Fatalf("(-json.Unmarshal +fast):\n%s", cmp.Diff(want, got))
			}
		}
		sameAsLibrary(t, raw)
	})
}

// FuzzDecodeWholeMatchesLibrary: decodeWhole gives for any getUpdates
// result what it gave with encoding/json alone.
func FuzzDecodeWholeMatchesLibrary(f *testing.F) {
	all := []string{upText, upCommand, upContact, upLocation, upVenue, upPhoto, upVoice, upSticker, upDocument,
		upCallback, upEdited, upUnknown, upEscaped, upUnicode, upSpaced}
	for _, raw := range all { // small seeds: a big one makes the fuzzer minimize for minutes
		f.Add([]byte("["+raw+"]"), 1000)
	}
	f.Add([]byte("["+upText+","+upCallback+"]"), 1005)
	f.Add([]byte("[ ]"), 7)
	f.Add([]byte("null"), 7)
	f.Add([]byte(`{"update_id":1}`), 1)
	for _, raw := range libraryShapes {
		f.Add([]byte("["+upText+","+raw+"]"), 1)
	}
	f.Fuzz(func(t *testing.T, result []byte, offset int) {
		ups, last, ok := decodeWhole(result, offset)
		wups, wlast, wok := decodeWholeLibrary(result, offset)
		if ok != wok || last != wlast || len(ups) != len(wups) {
			t.Fatalf("ok %v last %d %d updates, want ok %v last %d %d updates", ok, last, len(ups), wok, wlast, len(wups))
		}
		for i := range ups {
			if !reflect.DeepEqual(ups[i], wups[i]) {
				t.Fatalf("update %d (-library +decodeWhole):\n%s", i, cmp.Diff(wups[i].u, ups[i].u))
			}
		}
	})
}

// TestDecodeWholeMixed: a batch with updates the fast reader leaves to
// encoding/json is still decoded whole, each of them as encoding/json
// reads it; one update that cannot be decoded refuses the whole list, as
// before.
func TestDecodeWholeMixed(t *testing.T) {
	mixed := "[" + upText + "," + libraryShapes["a forward"] + "," + upCallback + "]"
	mixed = strings.Replace(mixed, `"update_id":1,`, `"update_id":1001,`, 1)
	ups, last, ok := decodeWhole(json.RawMessage(mixed), 1000)
	wups, _, _ := decodeWholeLibrary(json.RawMessage(mixed), 1000)
	if !ok || last != 1009 || len(ups) != 3 || !reflect.DeepEqual(ups, wups) {
		t.Fatalf("ok %v, last %d, %d updates", ok, last, len(ups))
	}
	if ups[1].u.Message.ForwardFrom == nil || ups[1].u.Message.ForwardFrom.ID != 3 {
		t.Fatalf("the forward was read as %+v", ups[1].u.Message)
	}
	bad := "[" + upText + "," + libraryShapes["a string for an int"] + "]"
	if _, _, ok := decodeWhole(json.RawMessage(bad), 1); ok {
		t.Fatal("a list with an undecodable update decoded whole")
	}
}

// realisticBatch is a getUpdates answer of 100 updates as a registration
// under load brings them: mostly text answers from private chats, some
// commands, callback queries, contacts, locations and photos.
func realisticBatch() json.RawMessage {
	var sb strings.Builder
	sb.WriteByte('[')
	for i := range 100 {
		if i > 0 {
			sb.WriteByte(',')
		}
		var up string
		switch i % 20 {
		case 3:
			up = upCommand
		case 7, 13:
			up = upCallback
		case 11:
			up = upContact
		case 17:
			up = upLocation
		case 19:
			up = upPhoto
		default:
			up = upText
		}
		up = strings.Replace(up, `"update_id":10`, fmt.Sprintf(`"update_id":%d`, 2000+i), 1)
		sb.WriteString(strings.ReplaceAll(up, "5000", fmt.Sprint(5000+i)))
	}
	sb.WriteByte(']')
	return json.RawMessage(sb.String())
}

// BenchmarkDecodeRealisticBatch: decodeWhole on a realistic batch of 100,
// against encoding/json alone (what decodeWhole was).
func BenchmarkDecodeRealisticBatch(b *testing.B) {
	result := realisticBatch()
	if ups, _, ok := decodeWhole(result, 2000); !ok || len(ups) != 100 {
		b.Fatalf("batch not decoded whole: %v, %d", ok, len(ups))
	}
	b.Run("fast", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			decodeWhole(result, 2000)
		}
	})
	b.Run("library", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			decodeWholeLibrary(result, 2000)
		}
	})
}

// TestDecodeFastMatchesLibraryOnVariants: updates of the real shapes
// changed at random where the fuzzer rarely goes (a member renamed in
// another case, removed, or given null or a value of another type; an
// unknown member added; a number made fractional, huge or negative) decode
// as encoding/json decodes them, whichever way the fast reader takes.
func TestDecodeFastMatchesLibraryOnVariants(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	values := []any{nil, 1.5, 1e20, -7, 0, "x", "\u2028<&>\"\\", true, false, map[string]any{}, []any{}, []any{1, "a"},
		map[string]any{"id": 1}, float64(1 << 53), -9.223372036854775808e18}
	var shapes []any
	for _, raw := range fastShapes {
		var v any
		if err := json.Unmarshal([]byte(raw), &v); err != nil {
			t.Fatal(err)
		}
		shapes = append(shapes, v)
	}
	var mutate func(v any, depth int) any
	mutate = func(v any, depth int) any {
		switch x := v.(type) {
		case map[string]any:
			m := make(map[string]any, len(x)+1)
			for k, e := range x {
				switch n := r.IntN(40); {
				case n == 0:
					continue // removed
				case n == 1:
					k = strings.ToUpper(k[:1]) + k[1:]
				case n == 2:
					e = values[r.IntN(len(values))]
				case n == 3:
					m["zz_new_"+k] = values[r.IntN(len(values))]
				}
				m[k] = mutate(e, depth+1)
			}
			return m
		case []any:
			out := make([]any, 0, len(x))
			for _, e := range x {
				out = append(out, mutate(e, depth+1))
			}
			if r.IntN(30) == 0 {
				out = append(out, values[r.IntN(len(values))])
			}
			return out
		}
		return v
	}
	fast := 0
	for range 5000 {
		raw, err := json.Marshal(mutate(shapes[r.IntN(len(shapes))], 0))
		if err != nil {
			t.Fatal(err)
		}
		if got, ok := decodeUpdateFast(raw); ok {
			fast++
			var want tgbotapi.Update
			if err := json.Unmarshal(raw, &want); err != nil || !reflect.DeepEqual(want, got) {
				t.Fatalf("%s: fast reader read %s (library: %v)", raw, cmp.Diff(want, got), err)
			}
		}
		sameAsLibrary(t, raw)
	}
	if fast < 1000 || fast > 4000 {
		t.Fatalf("%d of 5000 variants took the fast way; want both ways tried", fast)
	}
}
