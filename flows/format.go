package flows

import (
	"fmt"
	"strconv"
	"time"

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
