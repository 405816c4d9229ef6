package flows

import (
	"strconv"
	"strings"
	"time"

	"github.com/umkmbot/umkmbot/bot"
)

var monthWords = map[string]time.Month{
	"januari": 1, "january": 1, "jan": 1, "februari": 2, "february": 2, "feb": 2, "pebruari": 2,
	"maret": 3, "march": 3, "mar": 3, "april": 4, "apr": 4, "mei": 5, "may": 5,
	"juni": 6, "june": 6, "jun": 6, "juli": 7, "july": 7, "jul": 7, "agustus": 8, "august": 8, "agu": 8, "agt": 8, "aug": 8,
	"september": 9, "sep": 9, "sept": 9, "oktober": 10, "october": 10, "okt": 10, "oct": 10,
	"november": 11, "nov": 11, "nopember": 11, "desember": 12, "december": 12, "des": 12, "dec": 12,
}

// ParseBroadcastTime reads a moment in WIB as an officer writes it:
// "2026-12-01 09:00", "1/12/2026 09.00", "1 Desember 2026 pukul 9.00",
// "1 des 09.00" (this year, or next if passed), "besok 08.30", "hari ini
// 15.00", "lusa 7.00" or a bare "15.00" (today). ok is false for anything
// else, including impossible dates and clock times.
func ParseBroadcastTime(s string, now time.Time) (time.Time, bool) {
	now = now.In(bot.Jakarta)
	var ws []string
	for _, w := range strings.Fields(strings.ToLower(strings.ReplaceAll(s, ",", " "))) {
		switch w {
		case "pukul", "jam", "pkl", "pkl.", "wib", "at", "tanggal", "tgl", "tgl.":
			continue
		}
		ws = append(ws, w)
	}
	if len(ws) == 0 {
		return time.Time{}, false
	}
	h, m, ok := clock(ws[len(ws)-1])
	if !ok {
		return time.Time{}, false
	}
	y, mo, d, ok := date(ws[:len(ws)-1], now)
	if !ok {
		return time.Time{}, false
	}
	t := time.Date(y, mo, d, h, m, 0, 0, bot.Jakarta)
	if t.Day() != d || t.Month() != mo {
		return time.Time{}, false // 31 February
	}
	return t, true
}

// clock reads "09:00", "9.00", "0900" is not taken (ambiguous with years).
func clock(w string) (h, m int, ok bool) {
	hs, ms, found := strings.Cut(w, ":")
	if !found {
		hs, ms, found = strings.Cut(w, ".")
	}
	if !found || len(hs) < 1 || len(hs) > 2 || len(ms) != 2 {
		return 0, 0, false
	}
	h, err1 := strconv.Atoi(hs)
	m, err2 := strconv.Atoi(ms)
	if err1 != nil || err2 != nil || h < 0 || h > 23 || m < 0 || m > 59 || !digits(hs) || !digits(ms) {
		return 0, 0, false
	}
	return h, m, true
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// date reads the date words before the clock.
func date(ws []string, now time.Time) (int, time.Month, int, bool) {
	y, mo, d := now.Date()
	switch strings.Join(ws, " ") {
	case "", "hari ini", "today", "hr ini":
		return y, mo, d, true
	case "besok", "bsk", "tomorrow":
		t := now.AddDate(0, 0, 1)
		return t.Year(), t.Month(), t.Day(), true
	case "lusa":
		t := now.AddDate(0, 0, 2)
		return t.Year(), t.Month(), t.Day(), true
	}
	var parts []string
	if len(ws) == 1 {
		sep := "-"
		if strings.Contains(ws[0], "/") {
			sep = "/"
		}
		parts = strings.Split(ws[0], sep)
	} else {
		parts = ws
	}
	if len(parts) < 2 || len(parts) > 3 {
		return 0, 0, 0, false
	}
	num := func(s string, lo, hi int) (int, bool) {
		if !digits(s) || len(s) > 4 {
			return 0, false
		}
		n, _ := strconv.Atoi(s)
		return n, n >= lo && n <= hi
	}
	var ok bool
	if len(parts) == 3 && len(parts[0]) == 4 { // 2026-12-01
		y, ok = num(parts[0], 2000, 2100)
		m, ok2 := num(parts[1], 1, 12)
		d2, ok3 := num(parts[2], 1, 31)
		return y, time.Month(m), d2, ok && ok2 && ok3
	}
	if d, ok = num(parts[0], 1, 31); !ok {
		return 0, 0, 0, false
	}
	if m, ok := monthWords[parts[1]]; ok {
		mo = m
	} else if n, ok := num(parts[1], 1, 12); ok {
		mo = time.Month(n)
	} else {
		return 0, 0, 0, false
	}
	if len(parts) == 3 {
		if y, ok = num(parts[2], 2000, 2100); !ok {
			return 0, 0, 0, false
		}
		return y, mo, d, true
	}
	// No year: the next such date.
	if time.Date(y, mo, d, 23, 59, 0, 0, bot.Jakarta).Before(now) {
		y++
	}
	return y, mo, d, true
}
