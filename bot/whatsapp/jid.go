package whatsapp

import (
	"errors"
	"fmt"
	"strings"

	"go.mau.fi/whatsmeow/types"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/phone"
)

// lidPrefix marks a conversation user that is an unresolved @lid id rather
// than phone digits (see ConvUser).
const lidSuffix = "@" + types.HiddenUserServer

// groupSuffix marks a group conversation: "<group id>@g.us".
const groupSuffix = "@" + types.GroupServer

// PhoneJID returns the WhatsApp user id of an Indonesian mobile number
// written any way people write it: 0812…, +62 812-…, 62812…, 0062…, or a
// whole id 62812…@s.whatsapp.net (a :device part is dropped). Anything
// else, @lid ids included, is refused with the *phone.Error of
// phone.Normalize.
func PhoneJID(s string) (types.JID, error) {
	var e164 string
	var err error
	if strings.Contains(s, "@") {
		e164, err = phone.FromDigits(strings.TrimSpace(s))
	} else {
		e164, err = phone.Normalize(s)
	}
	if err != nil {
		return types.JID{}, err
	}
	return types.NewJID(e164[1:], types.DefaultUserServer), nil
}

// PairJID returns the WhatsApp id of the bot's own number, for pairing
// with a code: an Indonesian mobile number as PhoneJID reads it, or a
// landline with its area code, since WhatsApp Business also runs on
// landlines: 0264 201234, (021) 1234-5678, +62 21 12345678, 6221….
// A landline's national number is the area code without its 0 (21 for
// Jakarta, 264 for Purwakarta, 328 for Sumenep; it starts with 2–7 or 9)
// and the subscriber number, 7 to 11 digits in all.
func PairJID(s string) (types.JID, error) {
	jid, err := PhoneJID(s)
	if err == nil {
		return jid, nil
	}
	var pe *phone.Error
	if !errors.As(err, &pe) || (pe.Reason != phone.NotMobile && pe.Reason != phone.Landline) {
		return types.JID{}, err
	}
	national, ok := landline(s)
	if !ok {
		return types.JID{}, err
	}
	return types.NewJID("62"+national, types.DefaultUserServer), nil
}

// landline reads an Indonesian landline number and returns its national
// number (area code without the trunk 0, then the subscriber number).
func landline(s string) (string, bool) {
	s = strings.TrimSpace(s)
	plus := strings.HasPrefix(s, "+")
	digits := make([]byte, 0, 16)
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits = append(digits, byte(r))
		case r == '+' && i == 0, r == ' ', r == '-', r == '.', r == '(', r == ')':
		default:
			return "", false
		}
	}
	d := string(digits)
	switch {
	case strings.HasPrefix(d, "62"):
		d = strings.TrimPrefix(d[2:], "0")
	case plus:
		return "", false // another country
	case strings.HasPrefix(d, "0062"):
		d = strings.TrimPrefix(d[4:], "0")
	case strings.HasPrefix(d, "0") && !strings.HasPrefix(d, "00"):
		d = d[1:]
	default:
		return "", false // without its area code's 0 a landline cannot be told apart
	}
	if len(d) < 7 || len(d) > 11 || !strings.ContainsRune("2345679", rune(d[0])) {
		return "", false
	}
	return d, true
}

// AccountOf is the bot's own number in E.164 (+62…), mobile or landline;
// "" for an id that is not a phone number.
func AccountOf(jid types.JID) string {
	if !isPhoneServer(jid.Server) || !isDigits(jid.User) {
		return ""
	}
	return "+" + jid.User
}

// PhoneOf returns the E.164 number of a phone-number id (s.whatsapp.net or
// the legacy c.us), "" for an @lid id, a group, a foreign or a non-mobile
// number.
func PhoneOf(jid types.JID) string {
	if !isPhoneServer(jid.Server) {
		return ""
	}
	p, err := phone.FromDigits(jid.User)
	if err != nil {
		return ""
	}
	return p
}

func isPhoneServer(server string) bool {
	return server == types.DefaultUserServer || server == types.LegacyUserServer
}

// ConvUser is the WhatsApp id of a sender, which the adapter turns into
// the conversation user (a pseudonym, when Options.Users is set): the
// digits of its phone number (6281234567890, also for foreign numbers, which carry no
// Indonesian phone), or, when only an @lid id is known, "<lid>@lid". The
// same person arriving as phone number or as @lid therefore maps to one
// conversation as soon as the @lid can be resolved.
func ConvUser(jid types.JID) (string, error) {
	switch {
	case isPhoneServer(jid.Server) && isDigits(jid.User):
		return jid.User, nil
	case jid.Server == types.HiddenUserServer && isDigits(jid.User):
		return jid.User + lidSuffix, nil
	}
	return "", fmt.Errorf("no conversation for %s", jid.Server)
}

// ChatJID is the inverse of ConvUser: the id replies to a conversation user
// go to.
func ChatJID(user string) (types.JID, error) {
	if lid, ok := strings.CutSuffix(user, lidSuffix); ok && isDigits(lid) {
		return types.NewJID(lid, types.HiddenUserServer), nil
	}
	if g, ok := strings.CutSuffix(user, groupSuffix); ok && g != "" && !strings.ContainsAny(g, "@:") {
		return types.NewJID(g, types.GroupServer), nil
	}
	if isDigits(user) {
		return types.NewJID(user, types.DefaultUserServer), nil
	}
	return types.JID{}, fmt.Errorf("whatsapp conversation user %q: %w", maskUser(user), errBadUser)
}

// isDigits reports whether s can be the number part of a JID.
func isDigits(s string) bool { return len(s) <= 20 && bot.AllDigits(s) }

// maskUser hides a conversation user (a phone number) for logs.
func maskUser(u string) string {
	if p, err := phone.FromDigits(u); err == nil {
		return phone.Mask(p)
	}
	return bot.MaskUser(u)
}

// maskAccount hides the bot's own number in the status.
func maskAccount(e164 string) string {
	if e164 == "" {
		return ""
	}
	return phone.Mask(e164)
}
