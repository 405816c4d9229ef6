package phone

import (
	"strings"
	"unicode/utf8"

	"github.com/umkmbot/umkmbot/bot"
)

// Reasons a phone number is refused, carried by *Error.
const (
	Empty     = "empty"      // no digits at all, only spaces, separators or a '+'
	NotDigits = "digits"     // letters or other characters besides digits, a leading '+' and separators
	NotMobile = "not_mobile" // another country, or no Indonesian mobile prefix (8[1-35-9])
	Landline  = "landline"   // an Indonesian landline: an area code (021, 0264) instead of 08
	Two       = "two"        // two numbers in one answer ("0812… / 0813…")
	Length    = "length"     // an Indonesian mobile prefix but too few or too many digits
)

// Error says why Normalize refused its input. Match it with
// errors.As and read Reason, one of the Phone… constants.
type Error struct{ Reason string }

func (e *Error) Error() string { return "invalid phone number: " + e.Reason }

// phonePrefixWords may stand before the number: "HP: 0812…", "no WA 0812…".
var phonePrefixWords = map[string]bool{
	"no": true, "nomor": true, "nmr": true, "nomer": true, "hp": true, "wa": true,
	"whatsapp": true, "telp": true, "tlp": true, "tel": true, "telepon": true,
	"telpon": true, "saya": true, "sy": true, "adalah": true,
}

// Lengths of an Indonesian mobile national number: 8[1-35-9] followed by
// 7–10 digits (libphonenumber).
const (
	minNational = 9
	maxNational = 12
)

// Normalize reads an Indonesian mobile number as people write it and
// returns it in E.164 form, +628…. It accepts 08…, +62…, 62…, 0062…, a bare
// 8…, the common mistake of keeping the trunk 0 after the country code
// (+62 0812…, 620812…, also +0812…), and spaces, dashes, dots and
// parentheses anywhere, after an optional "HP:" or "no WA". Landlines and
// foreign numbers are refused with NotMobile. Errors are *Error.
func Normalize(s string) (string, error) {
	s = bot.StripPrefixWords(s, phonePrefixWords)
	if twoNumbers(s) {
		return "", &Error{Reason: Two}
	}
	digits := make([]byte, 0, 16)
	plus := false
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits = append(digits, byte(r))
		case r >= '０' && r <= '９':
			digits = append(digits, byte(r-'０'+'0'))
		case (r == '+' || r == '＋') && !plus && len(digits) == 0:
			plus = true
		case r == '(' || r == ')' || bot.IsNumberSeparator(r):
		default:
			return "", &Error{Reason: NotDigits}
		}
		if len(digits) > 20 {
			return "", &Error{Reason: Length}
		}
	}
	if len(digits) == 0 {
		return "", &Error{Reason: Empty}
	}
	d := string(digits)
	var national string
	switch {
	case strings.HasPrefix(d, "62"):
		national = trunk(d[2:])
	case plus && strings.HasPrefix(d, "0") && !strings.HasPrefix(d, "00"):
		national = d[1:] // +0812…: a stray plus before the national form
	case plus:
		return "", &Error{Reason: NotMobile}
	case strings.HasPrefix(d, "0062"):
		national = trunk(d[4:])
	case strings.HasPrefix(d, "00"):
		return "", &Error{Reason: NotMobile} // another country
	case strings.HasPrefix(d, "0"):
		national = d[1:]
	default:
		national = d
	}
	switch {
	case national == "":
		return "", &Error{Reason: Length}
	case national[0] >= '2' && national[0] <= '7' && len(national) >= 8 && len(national) <= 11:
		return "", &Error{Reason: Landline} // 021-5551234, (0264) 200123
	case national[0] != '8':
		return "", &Error{Reason: NotMobile}
	case len(national) < 2:
		return "", &Error{Reason: Length}
	case national[1] == '0' || national[1] == '4':
		return "", &Error{Reason: NotMobile}
	case len(national) < minNational || len(national) > maxNational:
		return "", &Error{Reason: Length}
	}
	return "+62" + national, nil
}

// orWords turns the words between two numbers into "|" (twoNumbers),
// built once: building a Replacer on every answer was most of its cost.
var orWords = strings.NewReplacer(" atau ", "|", " dan ", "|", " or ", "|", " and ", "|")

// twoNumbers reports an answer holding two phone numbers: two parts of at
// least 9 digits each, apart by "/", ",", ";", "&", "atau", "dan", "or" or
// a space ("08123456789 08134567890").
func twoNumbers(s string) bool {
	s = strings.ToLower(s)
	bySign := strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune("/,;&|", r) })
	var byWord []string
	for _, part := range strings.Split(orWords.Replace(s), "|") {
		byWord = append(byWord, part)
	}
	for _, parts := range [][]string{bySign, byWord, strings.Fields(s)} {
		long := 0
		for _, p := range parts {
			n := 0
			for _, r := range p {
				if r >= '0' && r <= '9' {
					n++
				}
			}
			if n >= 9 {
				long++
			}
		}
		if long >= 2 {
			return true
		}
	}
	return false
}

// trunk drops one trunk 0 kept by mistake after the country code.
func trunk(s string) string {
	if strings.HasPrefix(s, "0") {
		return s[1:]
	}
	return s
}

// Mask hides the middle of a phone number for logs and confirmations:
// +628123457890 → +62812****7890 (the country code, the first three digits
// of the national number and the last four; always four stars, so the
// length does not show). It normalizes first; input that is no valid
// number is replaced by stars except its last two characters (all stars
// when it has four characters or fewer).
func Mask(e164 string) string {
	if p, err := Normalize(e164); err == nil {
		national := p[3:]
		return "+62" + national[:3] + "****" + national[len(national)-4:]
	}
	n := utf8.RuneCountInString(e164)
	if n <= 4 {
		return strings.Repeat("*", n)
	}
	r := []rune(e164)
	return strings.Repeat("*", n-2) + string(r[n-2:])
}

// FromDigits reads the digits of an
// international number (country code first, no plus), as in a WhatsApp id,
// and returns E.164. A whole WhatsApp id (628…@s.whatsapp.net, with or
// without a :device part) is accepted too; an @lid id carries no number
// and is refused with NotMobile, as are other servers and countries.
func FromDigits(d string) (string, error) {
	if user, server, ok := strings.Cut(d, "@"); ok {
		if server != "s.whatsapp.net" && server != "c.us" {
			return "", &Error{Reason: NotMobile}
		}
		user, _, _ = strings.Cut(user, ":")
		user, _, _ = strings.Cut(user, ".")
		d = user
	}
	if d == "" {
		return "", &Error{Reason: Empty}
	}
	for i := 0; i < len(d); i++ {
		if d[i] < '0' || d[i] > '9' {
			return "", &Error{Reason: NotDigits}
		}
	}
	return Normalize("+" + d)
}
