package bot

import (
	"strings"
	"unicode/utf8"
)

// Reasons a phone number is refused, carried by *PhoneError.
const (
	PhoneEmpty     = "empty"      // no digits at all, only spaces, separators or a '+'
	PhoneNotDigits = "digits"     // letters or other characters besides digits, a leading '+' and separators
	PhoneNotMobile = "not_mobile" // another country, or no Indonesian mobile prefix (8[1-35-9])
	PhoneLandline  = "landline"   // an Indonesian landline: an area code (021, 0264) instead of 08
	PhoneTwo       = "two"        // two numbers in one answer ("0812… / 0813…")
	PhoneLength    = "length"     // an Indonesian mobile prefix but too few or too many digits
)

// PhoneError says why NormalizePhone refused its input. Match it with
// errors.As and read Reason, one of the Phone… constants.
type PhoneError struct{ Reason string }

func (e *PhoneError) Error() string { return "invalid phone number: " + e.Reason }

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

// NormalizePhone reads an Indonesian mobile number as people write it and
// returns it in E.164 form, +628…. It accepts 08…, +62…, 62…, 0062…, a bare
// 8…, the common mistake of keeping the trunk 0 after the country code
// (+62 0812…, 620812…, also +0812…), and spaces, dashes, dots and
// parentheses anywhere, after an optional "HP:" or "no WA". Landlines and
// foreign numbers are refused with PhoneNotMobile. Errors are *PhoneError.
func NormalizePhone(s string) (string, error) {
	s = stripPrefixWords(s, phonePrefixWords)
	if twoNumbers(s) {
		return "", &PhoneError{Reason: PhoneTwo}
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
		case r == '(' || r == ')' || isNumberSeparator(r):
		default:
			return "", &PhoneError{Reason: PhoneNotDigits}
		}
		if len(digits) > 20 {
			return "", &PhoneError{Reason: PhoneLength}
		}
	}
	if len(digits) == 0 {
		return "", &PhoneError{Reason: PhoneEmpty}
	}
	d := string(digits)
	var national string
	switch {
	case strings.HasPrefix(d, "62"):
		national = trunk(d[2:])
	case plus && strings.HasPrefix(d, "0") && !strings.HasPrefix(d, "00"):
		national = d[1:] // +0812…: a stray plus before the national form
	case plus:
		return "", &PhoneError{Reason: PhoneNotMobile}
	case strings.HasPrefix(d, "0062"):
		national = trunk(d[4:])
	case strings.HasPrefix(d, "00"):
		return "", &PhoneError{Reason: PhoneNotMobile} // another country
	case strings.HasPrefix(d, "0"):
		national = d[1:]
	default:
		national = d
	}
	switch {
	case national == "":
		return "", &PhoneError{Reason: PhoneLength}
	case national[0] >= '2' && national[0] <= '7' && len(national) >= 8 && len(national) <= 11:
		return "", &PhoneError{Reason: PhoneLandline} // 021-5551234, (0264) 200123
	case national[0] != '8':
		return "", &PhoneError{Reason: PhoneNotMobile}
	case len(national) < 2:
		return "", &PhoneError{Reason: PhoneLength}
	case national[1] == '0' || national[1] == '4':
		return "", &PhoneError{Reason: PhoneNotMobile}
	case len(national) < minNational || len(national) > maxNational:
		return "", &PhoneError{Reason: PhoneLength}
	}
	return "+62" + national, nil
}

// twoNumbers reports an answer holding two phone numbers: two parts of at
// least 9 digits each, apart by "/", ",", ";", "&", "atau", "dan", "or" or
// a space ("08123456789 08134567890").
func twoNumbers(s string) bool {
	s = strings.ToLower(s)
	bySign := strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune("/,;&|", r) })
	var byWord []string
	for _, part := range strings.Split(strings.NewReplacer(" atau ", "|", " dan ", "|", " or ", "|", " and ", "|").Replace(s), "|") {
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

// MaskPhone hides the middle of a phone number for logs and confirmations:
// +628123457890 → +62812****7890 (the country code, the first three digits
// of the national number and the last four; always four stars, so the
// length does not show). It normalizes first; input that is no valid
// number is replaced by stars except its last two characters (all stars
// when it has four characters or fewer).
func MaskPhone(e164 string) string {
	if p, err := NormalizePhone(e164); err == nil {
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

// PhoneDigits returns the digits of a phone number without the plus,
// 628123456789, as the user part of a WhatsApp id. It normalizes first and
// returns "" for anything that is no valid Indonesian mobile number.
func PhoneDigits(e164 string) string {
	p, err := NormalizePhone(e164)
	if err != nil {
		return ""
	}
	return p[1:]
}

// PhoneFromDigits is the inverse of PhoneDigits: it reads the digits of an
// international number (country code first, no plus), as in a WhatsApp id,
// and returns E.164. A whole WhatsApp id (628…@s.whatsapp.net, with or
// without a :device part) is accepted too; an @lid id carries no number
// and is refused with PhoneNotMobile, as are other servers and countries.
func PhoneFromDigits(d string) (string, error) {
	if user, server, ok := strings.Cut(d, "@"); ok {
		if server != "s.whatsapp.net" && server != "c.us" {
			return "", &PhoneError{Reason: PhoneNotMobile}
		}
		user, _, _ = strings.Cut(user, ":")
		user, _, _ = strings.Cut(user, ".")
		d = user
	}
	if d == "" {
		return "", &PhoneError{Reason: PhoneEmpty}
	}
	for i := 0; i < len(d); i++ {
		if d[i] < '0' || d[i] > '9' {
			return "", &PhoneError{Reason: PhoneNotDigits}
		}
	}
	return NormalizePhone("+" + d)
}
