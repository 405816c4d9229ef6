package whatsapp

import (
	"errors"
	"fmt"
	"time"
)

// Config tunes the adapter. Zero values switch a feature off, except where
// a default is named; DefaultConfig has the recommended settings.
type Config struct {
	MaxAge      time.Duration // messages older than this (offline queue after downtime) are logged, not answered; 0: answer all
	AllowGroups bool          // also serve group chats: each group is one conversation

	RatePerMinute int           // messages per minute over all chats; 0: no global limit
	Burst         int           // how many may go out back to back before the per-minute pace applies (default 1)
	ChatGap       time.Duration // least time between two messages to one chat
	Jitter        time.Duration // random extra delay, up to this, before each message

	MarkRead bool          // send read receipts for what was answered
	Typing   time.Duration // show 'typing…' this long before a reply; 0: off

	SendWait      time.Duration // how long a send waits for a lost connection (default 60s)
	TimelockPause time.Duration // how long bulk sending stops after a reach-out time lock (default 24h)
	SubmitTimeout time.Duration // how long the event handler waits for the dispatcher (default 10s)
	MaxChunk      int           // longest piece of text sent (default MaxChunk)
	MaxMediaBytes int64         // largest media Fetch downloads, counted on the bytes received (default 5 MB)

	BanWait      time.Duration // wait after a temporary ban that names no end (default 1h)
	ReplacedWait time.Duration // first wait after another client replaced the connection; doubles while it repeats, up to 6h (default 10m)

	RelayMaxAge time.Duration // relayed replies older than this when the holder takes them are dropped, counted and logged (default 15m)
	RelayMax    int           // most replies kept on the relay; older ones are dropped when it overflows (default 10000)

	LeaseKey string        // Redis key of the connection lease
	LeaseTTL time.Duration // lifetime of the lease without renewal (default 30s)
	Owner    string        // this process's name in the lease
	Account  string        // the paired number (E.164), shown masked in the status
}

// DefaultConfig is conservative enough for a regular WhatsApp number: at
// most 20 messages a minute over all chats (bursts of 3), a second apart in
// one chat, up to 1.5 s of jitter, read receipts and a short 'typing…'.
func DefaultConfig() Config {
	return Config{
		MaxAge:        10 * time.Minute,
		RatePerMinute: 20,
		Burst:         3,
		ChatGap:       time.Second,
		Jitter:        1500 * time.Millisecond,
		MarkRead:      true,
		Typing:        time.Second,
		SendWait:      time.Minute,
		TimelockPause: 24 * time.Hour,
		SubmitTimeout: 10 * time.Second,
		MaxChunk:      MaxChunk,
		MaxMediaBytes: 5 << 20,
		BanWait:       time.Hour,
		ReplacedWait:  10 * time.Minute,
		RelayMaxAge:   15 * time.Minute,
		RelayMax:      10000,
		LeaseTTL:      30 * time.Second,
	}
}

func (c *Config) fill() {
	d := DefaultConfig()
	if c.SendWait <= 0 {
		c.SendWait = d.SendWait
	}
	if c.TimelockPause <= 0 {
		c.TimelockPause = d.TimelockPause
	}
	if c.SubmitTimeout <= 0 {
		c.SubmitTimeout = d.SubmitTimeout
	}
	if c.MaxChunk <= 0 {
		c.MaxChunk = d.MaxChunk
	}
	if c.MaxMediaBytes <= 0 {
		c.MaxMediaBytes = d.MaxMediaBytes
	}
	if c.LeaseTTL <= 0 {
		c.LeaseTTL = d.LeaseTTL
	}
	if c.BanWait <= 0 {
		c.BanWait = d.BanWait
	}
	if c.ReplacedWait <= 0 {
		c.ReplacedWait = d.ReplacedWait
	}
	if c.RelayMaxAge <= 0 {
		c.RelayMaxAge = d.RelayMaxAge
	}
	if c.RelayMax <= 0 {
		c.RelayMax = d.RelayMax
	}
	if c.LeaseKey == "" {
		c.LeaseKey = "whatsapp:connection"
	}
	if c.Owner == "" {
		c.Owner = "local"
	}
}

// ConfigError is one problem of a Config, naming its field so that a
// caller filling the Config from elsewhere (cmd/umkmbot from WHATSAPP_*
// variables) can name its own setting.
type ConfigError struct {
	Field   string // the Config field: "RatePerMinute"
	Value   string // the value as given
	Problem string // "must be more than 0 (e.g. 60s)"
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("whatsapp: %s=%s %s", e.Field, e.Value, e.Problem)
}

// Validate reports every problem of a configuration meant for a real
// number, filled over DefaultConfig, at once (errors.Join of *ConfigError).
// Here zero is a value, not "the default": no global rate limit gets the
// number banned, a relay age or send wait of 0 would drop every reply.
// It is the one place of these rules: cmd/umkmbot calls it on what the
// variables give. (New takes any Config and fills zeros with defaults, for
// tests and embedders.)
func (c Config) Validate() error {
	var errs []error
	bad := func(field string, v any, problem string) {
		errs = append(errs, &ConfigError{Field: field, Value: fmt.Sprint(v), Problem: problem})
	}
	for _, d := range []struct {
		field string
		v     time.Duration
	}{{"MaxAge", c.MaxAge}, {"ChatGap", c.ChatGap}, {"Jitter", c.Jitter}, {"Typing", c.Typing}, {"TimelockPause", c.TimelockPause}} {
		if d.v < 0 {
			bad(d.field, d.v, "is negative (0 for none)")
		}
	}
	if c.RatePerMinute < 1 {
		bad("RatePerMinute", c.RatePerMinute, "must be at least 1: without a limit the number gets banned; use e.g. 20")
	}
	if c.Burst < 1 {
		bad("Burst", c.Burst, "must be at least 1")
	}
	if c.MaxMediaBytes < 1 {
		bad("MaxMediaBytes", c.MaxMediaBytes, "must be at least 1")
	}
	if c.SendWait <= 0 {
		bad("SendWait", c.SendWait, "must be more than 0 (e.g. 60s)")
	}
	if c.RelayMaxAge <= 0 {
		bad("RelayMaxAge", c.RelayMaxAge, "must be more than 0 (e.g. 15m): relayed replies older than this are dropped")
	}
	return errors.Join(errs...)
}
