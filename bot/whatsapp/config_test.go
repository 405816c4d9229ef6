package whatsapp

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// TestConfigValidate holds the rules of the WhatsApp configuration (the
// command line reports the same errors under its variables' names).
func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("the defaults are refused: %v", err)
	}
	tests := []struct {
		field string
		set   func(*Config)
	}{
		{"RatePerMinute", func(c *Config) { c.RatePerMinute = 0 }}, // no limit: a ban
		{"Burst", func(c *Config) { c.Burst = 0 }},
		{"MaxMediaBytes", func(c *Config) { c.MaxMediaBytes = 0 }},
		{"SendWait", func(c *Config) { c.SendWait = 0 }},
		{"RelayMaxAge", func(c *Config) { c.RelayMaxAge = 0 }},
		{"MaxAge", func(c *Config) { c.MaxAge = -time.Second }},
		{"ChatGap", func(c *Config) { c.ChatGap = -time.Second }},
		{"Jitter", func(c *Config) { c.Jitter = -time.Second }},
		{"Typing", func(c *Config) { c.Typing = -time.Second }},
		{"TimelockPause", func(c *Config) { c.TimelockPause = -time.Hour }},
	}
	all := DefaultConfig()
	for _, tc := range tests {
		c := DefaultConfig()
		tc.set(&c)
		tc.set(&all)
		var ce *ConfigError
		if err := c.Validate(); !errors.As(err, &ce) || ce.Field != tc.field {
			t.Errorf("%s: %v, want a ConfigError of %s", tc.field, err, tc.field)
		}
	}
	// Zero means none where the field says so.
	c := DefaultConfig()
	c.MaxAge, c.ChatGap, c.Jitter, c.Typing = 0, 0, 0, 0
	if err := c.Validate(); err != nil {
		t.Errorf("zero delays refused: %v", err)
	}
	// Every problem at once.
	err := all.Validate()
	for _, tc := range tests {
		if err == nil || !strings.Contains(err.Error(), tc.field+"=") {
			t.Errorf("%v does not name %s", err, tc.field)
		}
	}
}
