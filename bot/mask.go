package bot

import (
	"strings"
	"unicode"
)

// This file holds the one helper per masking concept: a user id in logs
// (MaskUser), numbers inside free text (MaskNumbers), and what counts as a
// separator between the digits people type. The domain's MaskNIK and
// MaskPhone (bot/umkm) build on these.

// MaskUser hides all but the last 4 characters of a user id in logs (a
// WhatsApp id is a phone number): "****7890".
func MaskUser(s string) string {
	if len(s) <= 4 {
		return "****"
	}
	return "****" + s[len(s)-4:]
}

// maskRun is the number of digits from which a run is taken for a NIK or
// a phone number.
const maskRun = 9

// MaskNumbers hides every run of 9 or more digits (spaces, dots and
// dashes between them allowed, a leading + kept) but its last two:
// "NIK saya 3214015503900001" → "NIK saya **************01". Shorter
// numbers (prices, house numbers, dates like 12-12-2026) stay.
func MaskNumbers(s string) string {
	r := []rune(s)
	var b strings.Builder
	for i := 0; i < len(r); {
		if !unicode.IsDigit(r[i]) {
			b.WriteRune(r[i])
			i++
			continue
		}
		j, digits := i, 0
		last := i
		for j < len(r) && (unicode.IsDigit(r[j]) || (digits > 0 && IsNumberSeparator(r[j]) && j+1 < len(r) && unicode.IsDigit(r[j+1]))) {
			if unicode.IsDigit(r[j]) {
				digits++
				last = j
			}
			j++
		}
		run := r[i : last+1]
		if digits < maskRun {
			b.WriteString(string(run))
		} else {
			kept := 0
			masked := make([]rune, len(run))
			for k := len(run) - 1; k >= 0; k-- {
				switch {
				case !unicode.IsDigit(run[k]):
					masked[k] = run[k]
				case kept < 2:
					masked[k] = run[k]
					kept++
				default:
					masked[k] = '*'
				}
			}
			b.WriteString(string(masked))
		}
		i = last + 1
	}
	return b.String()
}

// IsNumberSeparator reports whether r may stand between the digits of a
// number people type: spaces (any kind), dots, dashes.
func IsNumberSeparator(r rune) bool {
	switch r {
	case '.', '-', '‐', '‑', '‒', '–', '—', '−', '_', '\u200b', '\u2060', '\ufeff':
		return true
	}
	return unicode.IsSpace(r)
}

// StripPrefixWords removes leading words from set (compared in lower case,
// with trailing ':' or '.' ignored), such as the "NIK:" in "NIK: 3214…".
// It stops at the first word that is not in set.
func StripPrefixWords(s string, set map[string]bool) string {
	s = strings.TrimSpace(s)
	for s != "" {
		end := strings.IndexFunc(s, func(r rune) bool {
			return !unicode.IsLetter(r) && r != '-'
		})
		if end < 0 {
			end = len(s)
		}
		word := strings.TrimRight(s[:end], "-")
		if word == "" || !set[strings.ToLower(word)] {
			return s
		}
		rest := s[len(word):]
		rest = strings.TrimLeftFunc(rest, func(r rune) bool {
			return r == ':' || r == '.' || r == '=' || unicode.IsSpace(r)
		})
		s = rest
	}
	return s
}
