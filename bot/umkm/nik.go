package umkm

import (
	"strings"
	"unicode/utf8"

	"github.com/umkmbot/umkmbot/bot"
)

// Reasons a NIK is refused, carried by *NIKError. The engine maps them to
// locale message ids; they are never shown as they are.
const (
	NIKLength    = "length"   // not 16 digits once separators are removed
	NIKNotDigits = "digits"   // letters or other characters besides digits and separators
	NIKProvince  = "province" // the first two digits are no province code
	NIKRegion    = "region"   // kabupaten/kota 00 or 70, or kecamatan 00
	NIKDate      = "date"     // digits 7–12 are no real birth date (women: day+40)
	NIKSerial    = "serial"   // the last four digits are 0000
)

// NIKError says why ParseNIK refused its input. Match it with errors.As and
// read Reason, one of the NIK… constants.
type NIKError struct{ Reason string }

func (e *NIKError) Error() string { return "invalid NIK: " + e.Reason }

// nikProvinces are the province codes a NIK may start with.
var nikProvinces = map[string]bool{
	"11": true, "12": true, "13": true, "14": true, "15": true, "16": true, "17": true, "18": true, "19": true,
	"21": true,
	"31": true, "32": true, "33": true, "34": true, "35": true, "36": true,
	"51": true, "52": true, "53": true,
	"61": true, "62": true, "63": true, "64": true, "65": true,
	"71": true, "72": true, "73": true, "74": true, "75": true, "76": true,
	"81": true, "82": true,
	"91": true, "92": true, "93": true, "94": true, "95": true, "96": true,
}

// nikPrefixWords may stand before the number: "NIK: …", "no. NIK …",
// "NIK saya …", "KTP …".
var nikPrefixWords = map[string]bool{
	"nik": true, "no": true, "nomor": true, "nmr": true, "nomer": true,
	"ktp": true, "e-ktp": true, "ektp": true, "saya": true, "sy": true, "adalah": true,
}

// ParseNIK reads a NIK (Nomor Induk Kependudukan) as a user types it and
// returns its 16 digits. Spaces, dots and dashes between the digits are
// tolerated, and so is a leading "NIK" or "NIK:". The check is structural
// only (there is no public checksum): a province code from the list, a
// kabupaten/kota code other than 00 and 70, a kecamatan other than 00, a
// birth date that exists (40 added to the day for women; two-digit year, so
// 29 February needs a leap year in 19xx or 20xx), a serial other than 0000.
// A NIK from any region is accepted: the region is where it was issued.
// Errors are *NIKError.
func ParseNIK(s string) (string, error) {
	s = bot.StripPrefixWords(s, nikPrefixWords)
	digits := make([]byte, 0, 16)
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits = append(digits, byte(r))
		case r >= '０' && r <= '９':
			digits = append(digits, byte(r-'０'+'0'))
		case bot.IsNumberSeparator(r):
		default:
			return "", &NIKError{Reason: NIKNotDigits}
		}
		if len(digits) > 16 {
			return "", &NIKError{Reason: NIKLength}
		}
	}
	if len(digits) != 16 {
		return "", &NIKError{Reason: NIKLength}
	}
	nik := string(digits)
	if !nikProvinces[nik[0:2]] {
		return "", &NIKError{Reason: NIKProvince}
	}
	if kk := nik[2:4]; kk == "00" || kk == "70" {
		return "", &NIKError{Reason: NIKRegion}
	}
	if nik[4:6] == "00" {
		return "", &NIKError{Reason: NIKRegion}
	}
	if !nikDateValid(num2(nik[6:8]), num2(nik[8:10]), num2(nik[10:12])) {
		return "", &NIKError{Reason: NIKDate}
	}
	if nik[12:16] == "0000" {
		return "", &NIKError{Reason: NIKSerial}
	}
	return nik, nil
}

// nikDateValid reports whether day (40 added for women), month and
// two-digit year make a date that exists in 19yy or 20yy.
func nikDateValid(day, month, yy int) bool {
	if day > 40 {
		day -= 40
	}
	if day < 1 || day > 31 || month < 1 || month > 12 {
		return false
	}
	return day <= daysIn(month, 1900+yy) || day <= daysIn(month, 2000+yy)
}

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// num2 reads two ASCII digits.
func num2(s string) int { return int(s[0]-'0')*10 + int(s[1]-'0') }

// MaskNIK hides the middle of a NIK for logs and confirmations:
// 3214015503900001 → 3214********0001. Anything that is not 16 characters
// long is replaced by as many stars, so a malformed value never leaks.
func MaskNIK(nik string) string {
	n := utf8.RuneCountInString(nik)
	if n != 16 {
		return strings.Repeat("*", n)
	}
	r := []rune(nik)
	return string(r[:4]) + "********" + string(r[12:])
}
