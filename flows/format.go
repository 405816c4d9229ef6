package flows

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/umkmbot/umkmbot/bot"
)

// when renders a time for users as a nested text: "Senin, 17 Februari 2026
// pukul 09.00 WIB" (in WIB unless t carries another Indonesian zone).
func when(t time.Time) bot.Text {
	if _, off := t.Zone(); off < 7*3600 || off > 9*3600 {
		t = t.In(bot.Jakarta)
	}
	zone := "WIB"
	switch _, off := t.Zone(); off {
	case 8 * 3600:
		zone = "WITA"
	case 9 * 3600:
		zone = "WIT"
	}
	return bot.T("time.datetime",
		"Weekday", bot.T("time.weekday."+strconv.Itoa(int(t.Weekday()))),
		"Day", t.Day(),
		"Month", bot.T("time.month."+strconv.Itoa(int(t.Month()))),
		"Year", t.Year(),
		"Clock", fmt.Sprintf("%02d.%02d", t.Hour(), t.Minute()),
		"Zone", zone)
}

// money renders an amount of rupiah: "Rp1.500.000".
func money(n int64) bot.Text { return bot.Raw(bot.Rupiah(n)) }

// spaced is s with its words one space apart and no space at either end:
// strings.Join(strings.Fields(s), " "), returning s itself when it is so
// already, as most answers are ("Warung Budi", "Jl. Raya Anjun No. 5"):
// the name, business, address and products questions each built the
// words and the line again (two allocations a turn).
func spaced(s string) string {
	for i, r := range s {
		if r == ' ' {
			if i == 0 || i == len(s)-1 || s[i+1] == ' ' {
				return strings.Join(strings.Fields(s), " ")
			}
		} else if unicode.IsSpace(r) {
			return strings.Join(strings.Fields(s), " ")
		}
	}
	return s
}
