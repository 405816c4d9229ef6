package whatsapp

import (
	"errors"
	"strings"
	"testing"

	"github.com/umkmbot/umkmbot/bot/phone"
	"go.mau.fi/whatsmeow/types"
)

func TestPhoneJID(t *testing.T) {
	tests := []struct {
		in, want string // want "" means refused
	}{
		{"081234567890", "6281234567890@s.whatsapp.net"},
		{"+62 812-3456-7890", "6281234567890@s.whatsapp.net"},
		{"62812 3456 7890", "6281234567890@s.whatsapp.net"},
		{"0062 812 3456 7890", "6281234567890@s.whatsapp.net"},
		{"+62 0812 3456 7890", "6281234567890@s.whatsapp.net"},
		{"6281234567890@s.whatsapp.net", "6281234567890@s.whatsapp.net"},
		{"6281234567890:12@s.whatsapp.net", "6281234567890@s.whatsapp.net"},
		{"6281234567890@c.us", "6281234567890@s.whatsapp.net"},
		{" 6281234567890@s.whatsapp.net ", "6281234567890@s.whatsapp.net"},
		{"123456789012345@lid", ""},
		{"120363025246125888@g.us", ""},
		{"14155550100@s.whatsapp.net", ""},
		{"022-1234567", ""},
		{"halo", ""},
		{"", ""},
	}
	for _, tt := range tests {
		got, err := PhoneJID(tt.in)
		if tt.want == "" {
			var pe *phone.Error
			if err == nil || !errors.As(err, &pe) {
				t.Errorf("PhoneJID(%q) = %v, %v; want a *phone.Error", tt.in, got, err)
			}
			continue
		}
		if err != nil || got.String() != tt.want {
			t.Errorf("PhoneJID(%q) = %v, %v; want %s", tt.in, got, err, tt.want)
		}
	}
}

func TestPhoneOfAndConvUser(t *testing.T) {
	tests := []struct {
		jid         types.JID
		phone, user string
	}{
		{pnJID(siti), sitiPhone, siti},
		{types.NewADJID(siti, 0, 7), sitiPhone, siti},
		{types.NewJID(siti, types.LegacyUserServer), sitiPhone, siti},
		{lidJID(sitiLID), "", sitiLID + "@lid"},
		{pnJID("14155550100"), "", "14155550100"},
		{types.NewJID("120363025246125888", types.GroupServer), "", ""},
		{types.NewJID("12ab", types.DefaultUserServer), "", ""},
	}
	for _, tt := range tests {
		if got := PhoneOf(tt.jid); got != tt.phone {
			t.Errorf("PhoneOf(%s) = %q, want %q", tt.jid, got, tt.phone)
		}
		got, err := ConvUser(tt.jid.ToNonAD())
		if got != tt.user || (err == nil) != (tt.user != "") {
			t.Errorf("ConvUser(%s) = %q, %v; want %q", tt.jid, got, err, tt.user)
			continue
		}
		if tt.user == "" {
			continue
		}
		back, err := ChatJID(got)
		if err != nil || back != tt.jid.ToNonAD() && !(tt.jid.Server == types.LegacyUserServer && back == pnJID(tt.jid.User)) {
			t.Errorf("ChatJID(%q) = %v, %v; want %v", got, back, err, tt.jid.ToNonAD())
		}
	}
	for _, bad := range []string{"", "abc", "@lid", "12@lid@lid", strings.Repeat("1", 30)} {
		if _, err := ChatJID(bad); err == nil {
			t.Errorf("ChatJID(%q) accepted", bad)
		}
	}
}

// FuzzPhoneJID checks that whatever PhoneJID accepts is an Indonesian
// mobile id that survives every round trip: JID → string → JID, JID →
// phone → JID, JID → conversation user → JID.
func FuzzPhoneJID(f *testing.F) {
	for _, s := range []string{"081234567890", "+62 812-3456-7890", "6281234567890@s.whatsapp.net",
		"6281234567890:3@s.whatsapp.net", "123@lid", "0062812345678901", "+62 0812 3456 7890", "８１２３４５６７８９０"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		jid, err := PhoneJID(s)
		if err != nil {
			return
		}
		if jid.Server != types.DefaultUserServer || jid.Device != 0 || !strings.HasPrefix(jid.User, "628") || !isDigits(jid.User) {
			t.Fatalf("PhoneJID(%q) = %v: not an Indonesian mobile id", s, jid)
		}
		if again, err := PhoneJID(jid.String()); err != nil || again != jid {
			t.Fatalf("PhoneJID(%q) = %v, %v; want %v", jid.String(), again, err, jid)
		}
		phone := PhoneOf(jid)
		if phone != "+"+jid.User {
			t.Fatalf("PhoneOf(%v) = %q", jid, phone)
		}
		if again, err := PhoneJID(phone); err != nil || again != jid {
			t.Fatalf("PhoneJID(%q) = %v, %v; want %v", phone, again, err, jid)
		}
		user, err := ConvUser(jid)
		if err != nil || user != jid.User {
			t.Fatalf("ConvUser(%v) = %q, %v", jid, user, err)
		}
		if back, err := ChatJID(user); err != nil || back != jid {
			t.Fatalf("ChatJID(%q) = %v, %v", user, back, err)
		}
	})
}

// W10: the bot's own number may be a WhatsApp Business landline; pairing
// by code takes it with its area code, as well as every mobile form.
func TestPairJID(t *testing.T) {
	ok := map[string]string{
		"081234567890":      siti,
		"+62 812-3456-7890": siti,
		"0264 201234":       "62264201234",
		"(0264) 20-1234":    "62264201234",
		"(021) 1234-5678":   "622112345678",
		"+62 21 12345678":   "622112345678",
		"62 0328 662345":    "62328662345",
		"0062 901 123456":   "62901123456",
	}
	for in, want := range ok {
		jid, err := PairJID(in)
		if err != nil || jid.User != want || jid.Server != types.DefaultUserServer {
			t.Errorf("PairJID(%q) = %v, %v; want %s", in, jid, err, want)
		}
		if AccountOf(jid) != "+"+want {
			t.Errorf("AccountOf(%v) = %q", jid, AccountOf(jid))
		}
	}
	for _, in := range []string{"", "123", "264201234", "0123 456789", "0812", "+1 415 555 0100", "0021 1234567", "0264 2012345678", "telp 0264x"} {
		if jid, err := PairJID(in); err == nil {
			t.Errorf("PairJID(%q) = %v, want an error", in, jid)
		}
	}
}
