package telegram

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// ConfigError is one problem of a Config. It names the field, so that a
// caller that fills the Config from elsewhere (cmd/umkmbot from
// TELEGRAM_* variables) can name its own setting: Problem may name other
// fields too ("is set but WebhookURL is not").
type ConfigError struct {
	Field   string // the Config field: "WebhookURL"
	Value   string // the value, for the message; empty for secrets
	Problem string // "must be an https URL (Telegram only calls https)"
}

func (e *ConfigError) Error() string {
	if e.Value != "" {
		return fmt.Sprintf("telegram: %s %q %s", e.Field, e.Value, e.Problem)
	}
	return "telegram: " + e.Field + " " + e.Problem
}

// ErrNoToken is the ConfigError of a Config without a token (errors.Is).
var ErrNoToken = &ConfigError{Field: "Token", Problem: "is not set (from @BotFather)"}

func (e *ConfigError) Is(target error) bool {
	t, ok := target.(*ConfigError)
	return ok && *t == *e
}

var tokenRE = regexp.MustCompile(`^[0-9]+:[A-Za-z0-9_-]+$`)

// Validate reports every problem of the configuration at once, each a
// *ConfigError (errors.Join): a missing or malformed token, an API URL
// that is not http(s), a webhook URL that is not https (Telegram calls
// only https), a webhook secret Telegram would refuse or one without a
// webhook, an unknown keyboard, a lease without a key, a group rate out of
// range. Zero values are valid where a default is noted on Config. It is
// the one place of these rules: New calls it, and so does the command
// line's configuration check.
func (cfg Config) Validate() error {
	var errs []error
	bad := func(field, value, problem string) {
		errs = append(errs, &ConfigError{Field: field, Value: value, Problem: problem})
	}
	switch {
	case cfg.Token == "":
		errs = append(errs, ErrNoToken)
	case !tokenRE.MatchString(cfg.Token):
		bad("Token", "", "does not look like a bot token (<digits>:<letters>, from @BotFather)")
	}
	if api := strings.TrimRight(or(cfg.APIURL, DefaultAPIURL), "/"); !isURL(api, "http", "https") {
		bad("APIURL", cfg.APIURL, "is not an http(s) URL")
	}
	if cfg.Keyboard != "" && cfg.Keyboard != ReplyKeyboard && cfg.Keyboard != InlineKeyboard {
		bad("Keyboard", string(cfg.Keyboard), "is not a keyboard: use reply or inline")
	}
	if cfg.Leaser != nil && cfg.LeaseKey == "" {
		bad("LeaseKey", "", "is not set: a lease needs a key")
	}
	switch {
	case cfg.WebhookURL != "" && !isURL(cfg.WebhookURL, "https"):
		bad("WebhookURL", cfg.WebhookURL, "must be an https URL (Telegram only calls https)")
	case cfg.WebhookURL == "" && cfg.WebhookSecret != "":
		bad("WebhookSecret", "", "is set but WebhookURL is not")
	}
	if cfg.WebhookSecret != "" && !validSecret(cfg.WebhookSecret) {
		bad("WebhookSecret", "", "must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
	}
	if n := cfg.RatePerGroup; n > 0 && (n < 2 || n > 1000) {
		bad("RatePerGroup", fmt.Sprint(n), "must be a whole number of messages a minute, 2 to 1000 (Telegram allows 20)")
	}
	return errors.Join(errs...)
}

// isURL reports whether s is an absolute URL of one of the schemes.
func isURL(s string, schemes ...string) bool {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return false
	}
	for _, sc := range schemes {
		if u.Scheme == sc {
			return true
		}
	}
	return false
}
