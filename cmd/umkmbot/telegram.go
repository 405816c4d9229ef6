package main

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/telegram"
)

func init() { addChannel("telegram", startTelegram) }

// telegramConfig is the Telegram channel's part of the configuration.
type telegramConfig struct {
	Token         string  // TELEGRAM_BOT_TOKEN (or _FILE); empty: the channel is off
	APIURL        string  // TELEGRAM_API_URL (default https://api.telegram.org)
	WebhookURL    string  // TELEGRAM_WEBHOOK_URL: webhook mode when set
	WebhookListen string  // TELEGRAM_WEBHOOK_LISTEN (default :8443)
	WebhookSecret string  // TELEGRAM_WEBHOOK_SECRET (or _FILE); default derived from the token
	AllowGroups   bool    // TELEGRAM_ALLOW_GROUPS
	Keyboard      string  // TELEGRAM_KEYBOARD: reply (default) or inline
	RatePerSecond float64 // TELEGRAM_RATE_PER_SECOND (default 30)
	RatePerChat   float64 // TELEGRAM_RATE_PER_CHAT (default 1)
}

var (
	tokenRE  = regexp.MustCompile(`^[0-9]+:[A-Za-z0-9_-]+$`)
	secretRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)
)

// loadTelegramConfig reads and checks the TELEGRAM_* variables.
func loadTelegramConfig(getenv func(string) string) (telegramConfig, error) {
	c := telegramConfig{
		Token:         secret(getenv, "TELEGRAM_BOT_TOKEN"),
		APIURL:        or(getenv("TELEGRAM_API_URL"), telegram.DefaultAPIURL),
		WebhookURL:    getenv("TELEGRAM_WEBHOOK_URL"),
		WebhookListen: or(getenv("TELEGRAM_WEBHOOK_LISTEN"), ":8443"),
		WebhookSecret: secret(getenv, "TELEGRAM_WEBHOOK_SECRET"),
		Keyboard:      or(getenv("TELEGRAM_KEYBOARD"), string(telegram.ReplyKeyboard)),
		RatePerSecond: 30,
		RatePerChat:   1,
	}
	var errs []string
	if c.Token != "" && !tokenRE.MatchString(c.Token) {
		errs = append(errs, "TELEGRAM_BOT_TOKEN does not look like a bot token (<digits>:<letters>, from @BotFather)")
	}
	if u, err := url.Parse(c.APIURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		errs = append(errs, fmt.Sprintf("TELEGRAM_API_URL=%q is not an http(s) URL", c.APIURL))
	}
	if c.WebhookURL != "" {
		if u, err := url.Parse(c.WebhookURL); err != nil || u.Scheme != "https" || u.Host == "" {
			errs = append(errs, fmt.Sprintf("TELEGRAM_WEBHOOK_URL=%q must be an https URL (Telegram only calls https)", c.WebhookURL))
		}
	} else if c.WebhookSecret != "" {
		errs = append(errs, "TELEGRAM_WEBHOOK_SECRET is set but TELEGRAM_WEBHOOK_URL is not")
	}
	if s := c.WebhookSecret; s != "" && !secretRE.MatchString(s) {
		errs = append(errs, "TELEGRAM_WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
	}
	if v := getenv("TELEGRAM_ALLOW_GROUPS"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Sprintf("TELEGRAM_ALLOW_GROUPS=%q: use true or false", v))
		}
		c.AllowGroups = b
	}
	if c.Keyboard != string(telegram.ReplyKeyboard) && c.Keyboard != string(telegram.InlineKeyboard) {
		errs = append(errs, fmt.Sprintf("TELEGRAM_KEYBOARD=%q: use reply or inline", c.Keyboard))
	}
	rate := func(name string, def float64) float64 {
		v := getenv(name)
		if v == "" {
			return def
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f <= 0 {
			errs = append(errs, fmt.Sprintf("%s=%q must be a positive number of messages per second", name, v))
			return def
		}
		return f
	}
	c.RatePerSecond = rate("TELEGRAM_RATE_PER_SECOND", 30)
	c.RatePerChat = rate("TELEGRAM_RATE_PER_CHAT", 1)
	if len(errs) > 0 {
		return c, fmt.Errorf("telegram configuration:\n  %s", strings.Join(errs, "\n  "))
	}
	return c, nil
}

var commandRE = regexp.MustCompile(`^[a-z0-9_]{1,32}$`)

// telegramCommands is the command menu in the default language: /start and
// /menu, one command per flow of the main menu that a command can start
// (its id, "_" for a space, is one of its triggers), then /batal and
// /bantuan. A flow's description is its "telegram.command.<id>" message,
// else its menu label.
func telegramCommands(a *App) []telegram.Command {
	lang := a.Cfg.DefaultLang
	desc := func(name, fallback string) string {
		if id := "telegram.command." + name; a.Catalog.Has(lang, id) || fallback == "" {
			return a.Catalog.Render(lang, bot.T(id))
		}
		return a.Catalog.Render(lang, bot.T(fallback))
	}
	cmds := []telegram.Command{{Name: "start", Description: desc("start", "")}, {Name: "menu", Description: desc("menu", "")}}
	for _, f := range a.Flows.Flows() {
		if f.Menu > 0 && commandRE.MatchString(f.ID) && startsByCommand(f) {
			cmds = append(cmds, telegram.Command{Name: f.ID, Description: desc(f.ID, f.Title)})
		}
	}
	return append(cmds, telegram.Command{Name: "batal", Description: desc("batal", "")},
		telegram.Command{Name: "bantuan", Description: desc("bantuan", "")})
}

// startsByCommand reports whether "/<flow id>" starts the flow.
func startsByCommand(f *bot.Flow) bool {
	word := bot.Normalize(strings.ReplaceAll(f.ID, "_", " "))
	for _, t := range f.Triggers {
		if bot.Normalize(t) == word {
			return true
		}
	}
	return false
}

// startTelegram builds the Telegram channel when TELEGRAM_BOT_TOKEN is set:
// it checks the token (getMe), registers the adapter as the Telegram
// sender and returns its Run.
func startTelegram(ctx context.Context, a *App, env *Env) (func(context.Context) error, bool, error) {
	c, err := loadTelegramConfig(env.Getenv)
	if err != nil {
		return nil, false, err
	}
	if c.Token == "" {
		return nil, false, nil
	}
	botID, _, _ := strings.Cut(c.Token, ":") // the public part of the token
	lang := a.Cfg.DefaultLang
	adapter, err := telegram.New(ctx, telegram.Config{
		Token:       c.Token,
		APIURL:      c.APIURL,
		AllowGroups: c.AllowGroups,
		Keyboard:    telegram.Keyboard(c.Keyboard),
		Labels: telegram.Labels{
			ShareContact:  a.Catalog.Render(lang, bot.T("telegram.share_contact")),
			ShareLocation: a.Catalog.Render(lang, bot.T("telegram.share_location")),
		},
		Commands:      telegramCommands(a),
		Leaser:        a.Store,
		LeaseKey:      a.Store.Key("tg:"+botID, "poll-lease"),
		Owner:         a.Cfg.Instance,
		WebhookURL:    c.WebhookURL,
		WebhookListen: c.WebhookListen,
		WebhookSecret: c.WebhookSecret,
		RatePerSecond: c.RatePerSecond,
		RatePerChat:   c.RatePerChat,
		Log:           a.Log,
	})
	if err != nil {
		return nil, false, err
	}
	a.Outbox.Register(bot.Telegram, adapter)
	a.observeChannel(bot.Telegram, adapter)
	mode := "long polling"
	if c.WebhookURL != "" {
		mode = "webhook on " + c.WebhookListen
	}
	a.Log.Info("telegram channel ready", "bot", "@"+adapter.Username(), "mode", mode)
	return func(ctx context.Context) error {
		err := adapter.Run(ctx, a.Dispatcher)
		s := &adapter.Stats
		a.Log.Info("telegram channel stopped", "updates", s.Updates.Load(), "not_taken", s.SubmitFailed.Load(),
			"sent", s.Sent.Load(), "send_failed", s.SendFailed.Load(), "unreachable", s.Unreachable.Load(),
			"retried", s.Retried.Load(), "rate_limited", s.Waited.Load(), "poll_errors", s.PollErrors.Load(), "conflicts", s.Conflicts.Load())
		return err
	}, true, nil
}
