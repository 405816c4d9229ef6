package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/umkmbot/umkmbot/bot/whatsapp"
)

// waConfig is the WhatsApp channel's configuration (WHATSAPP_* variables).
type waConfig struct {
	Enabled bool   // WHATSAPP_ENABLED=true, or WHATSAPP_DB_DSN set
	DSN     string // WHATSAPP_DB_DSN (or _FILE): postgres://… or a SQLite path; default $DATA_DIR/whatsapp.db
	// DeviceName (WHATSAPP_DEVICE_NAME) is how the bot's phone lists the
	// linked device; WhatsApp takes it at pairing.
	DeviceName string
	Adapter    whatsapp.Config
}

// loadWhatsAppConfig reads the WhatsApp settings over the recommended
// defaults (whatsapp.DefaultConfig). It checks here how each is written
// (a duration, a number, true/false); the rules of the values are the
// adapter's (whatsapp.Config.Validate), reported under the variables'
// names.
func loadWhatsAppConfig(getenv func(string) string, cfg Config) (waConfig, error) {
	w := waConfig{DSN: secret(getenv, "WHATSAPP_DB_DSN"), DeviceName: whatsapp.DefaultDeviceName, Adapter: whatsapp.DefaultConfig()}
	var errs []string
	boolean := func(name string, def bool) bool { return envBool(getenv, name, def, &errs) }
	dur := func(name string, def time.Duration) time.Duration {
		v := getenv(name)
		if v == "" {
			return def
		}
		d, err := time.ParseDuration(v)
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s=%q is not a duration (e.g. 10m, 1s, 0 for none)", name, v))
			return def
		}
		return d
	}
	integer := func(name string, def int) int {
		v := getenv(name)
		if v == "" {
			return def
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s=%q is not a whole number", name, v))
			return def
		}
		return n
	}
	w.Enabled = boolean("WHATSAPP_ENABLED", w.DSN != "")
	a := &w.Adapter
	a.MaxAge = dur("WHATSAPP_MAX_AGE", a.MaxAge)
	a.AllowGroups = boolean("WHATSAPP_ALLOW_GROUPS", false)
	a.RatePerMinute = integer("WHATSAPP_RATE_PER_MINUTE", a.RatePerMinute)
	a.Burst = integer("WHATSAPP_BURST", a.Burst)
	a.ChatGap = dur("WHATSAPP_CHAT_GAP", a.ChatGap)
	a.Jitter = dur("WHATSAPP_JITTER", a.Jitter)
	a.MarkRead = boolean("WHATSAPP_MARK_READ", a.MarkRead)
	if v := getenv("WHATSAPP_TYPING"); v != "" {
		if _, err := time.ParseDuration(v); err == nil {
			a.Typing = dur("WHATSAPP_TYPING", a.Typing)
		} else if !boolean("WHATSAPP_TYPING", true) {
			a.Typing = 0
		}
	}
	a.SendWait = dur("WHATSAPP_SEND_WAIT", a.SendWait)
	a.TimelockPause = dur("WHATSAPP_TIMELOCK_PAUSE", a.TimelockPause)
	a.MaxMediaBytes = int64(integer("WHATSAPP_MAX_MEDIA_BYTES", int(a.MaxMediaBytes)))
	a.RelayMaxAge = dur("WHATSAPP_RELAY_MAX_AGE", a.RelayMaxAge)
	if v := getenv("WHATSAPP_DEVICE_NAME"); v != "" {
		w.DeviceName = strings.TrimSpace(v)
		if w.DeviceName == "" || len(w.DeviceName) > 50 {
			errs = append(errs, fmt.Sprintf("WHATSAPP_DEVICE_NAME=%q: give a name of 1 to 50 characters, e.g. %q", v, whatsapp.DefaultDeviceName))
		}
	}
	a.Owner = cfg.Instance
	errs = append(errs, namedProblems(a.Validate(), whatsappVars, getenv, func(e error) (string, string, bool) {
		var ce *whatsapp.ConfigError
		if !errors.As(e, &ce) {
			return "", "", false
		}
		return ce.Field, ce.Problem, true
	})...)
	if len(errs) > 0 {
		return w, fmt.Errorf("configuration:\n  %s", strings.Join(errs, "\n  "))
	}
	return w, nil
}

// whatsappVars names the variable of each whatsapp.Config field.
var whatsappVars = map[string]string{
	"MaxAge": "WHATSAPP_MAX_AGE", "RatePerMinute": "WHATSAPP_RATE_PER_MINUTE", "Burst": "WHATSAPP_BURST",
	"ChatGap": "WHATSAPP_CHAT_GAP", "Jitter": "WHATSAPP_JITTER", "Typing": "WHATSAPP_TYPING",
	"SendWait": "WHATSAPP_SEND_WAIT", "TimelockPause": "WHATSAPP_TIMELOCK_PAUSE",
	"MaxMediaBytes": "WHATSAPP_MAX_MEDIA_BYTES", "RelayMaxAge": "WHATSAPP_RELAY_MAX_AGE",
}
