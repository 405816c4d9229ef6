package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/telegram"
	"github.com/umkmbot/umkmbot/ops"
	"github.com/umkmbot/umkmbot/store"
)

func init() {
	wh := root.add(&command{name: "telegram", summary: "the Telegram bot's webhook"}).
		add(&command{name: "webhook", summary: "what Telegram knows of the webhook, and removing it (e.g. before going back to long polling)"})
	wh.add(leaf("info", "", "the webhook URL, updates waiting, the last error", telegramWebhookInfo))
	wh.add(leaf("delete", "", "delete the webhook (every serve process takes webhook requests, so stopping one keeps it)", telegramWebhookDelete))
}

// telegramConfig is the Telegram channel's part of the configuration.
type telegramConfig struct {
	Token         string  // TELEGRAM_BOT_TOKEN (or _FILE); empty: the channel is off
	APIURL        string  // TELEGRAM_API_URL (default https://api.telegram.org)
	WebhookURL    string  // TELEGRAM_WEBHOOK_URL: webhook mode when set
	WebhookListen string  // TELEGRAM_WEBHOOK_LISTEN (default :8443)
	WebhookSecret string  // TELEGRAM_WEBHOOK_SECRET (or _FILE); default derived from the token
	AllowGroups   bool    // TELEGRAM_ALLOW_GROUPS
	Keyboard      string  // TELEGRAM_KEYBOARD: reply (default) or inline
	RatePerSecond float64 // TELEGRAM_RATE_PER_SECOND (default 30): all processes of the bot together
	RatePerChat   float64 // TELEGRAM_RATE_PER_CHAT (default 1)
	RatePerGroup  int     // TELEGRAM_RATE_PER_GROUP (default 20): messages a minute to one group chat
	// DeleteWebhookOnStop is TELEGRAM_WEBHOOK_DELETE_ON_STOP (default
	// false): every process takes webhook requests, so one stopping must
	// not remove the webhook of all (`umkmbot telegram webhook delete`).
	DeleteWebhookOnStop bool
}

// loadTelegramConfig reads the TELEGRAM_* variables. It checks here only
// how each is written (a number, true/false); the rules of the values are
// the adapter's (telegram.Config.Validate), reported under the variables'
// names.
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
		RatePerGroup:  20,
	}
	var errs []string
	c.AllowGroups = envBool(getenv, "TELEGRAM_ALLOW_GROUPS", false, &errs)
	c.DeleteWebhookOnStop = envBool(getenv, "TELEGRAM_WEBHOOK_DELETE_ON_STOP", false, &errs)
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
	if v := getenv("TELEGRAM_RATE_PER_GROUP"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			errs = append(errs, fmt.Sprintf("TELEGRAM_RATE_PER_GROUP=%q must be a whole number of messages a minute (Telegram allows 20)", v))
		} else {
			c.RatePerGroup = n
		}
	}
	errs = append(errs, telegramProblems(c.adapterConfig().Validate(), getenv)...)
	if len(errs) > 0 {
		return c, fmt.Errorf("telegram configuration:\n  %s", strings.Join(errs, "\n  "))
	}
	return c, nil
}

// telegramVars names the variable of each telegram.Config field.
var telegramVars = map[string]string{
	"Token": "TELEGRAM_BOT_TOKEN", "APIURL": "TELEGRAM_API_URL", "Keyboard": "TELEGRAM_KEYBOARD",
	"WebhookURL": "TELEGRAM_WEBHOOK_URL", "WebhookSecret": "TELEGRAM_WEBHOOK_SECRET",
	"RatePerGroup": "TELEGRAM_RATE_PER_GROUP",
}

// telegramProblems are the adapter's configuration errors named by their
// variables. No token is no problem here: the channel is off.
func telegramProblems(err error, getenv func(string) string) []string {
	return namedProblems(err, telegramVars, getenv, func(e error) (string, string, bool) {
		var ce *telegram.ConfigError
		if errors.Is(e, telegram.ErrNoToken) || !errors.As(e, &ce) {
			return "", "", false
		}
		return ce.Field, ce.Problem, true
	})
}

// adapterConfig is the part of the adapter's configuration that comes from
// the variables.
func (c telegramConfig) adapterConfig() telegram.Config {
	return telegram.Config{
		Token:         c.Token,
		APIURL:        c.APIURL,
		AllowGroups:   c.AllowGroups,
		Keyboard:      telegram.Keyboard(c.Keyboard),
		WebhookURL:    c.WebhookURL,
		WebhookListen: c.WebhookListen,
		WebhookSecret: c.WebhookSecret,
		RatePerSecond: c.RatePerSecond,
		RatePerChat:   c.RatePerChat,
		RatePerGroup:  c.RatePerGroup,

		DeleteWebhookOnStop: c.DeleteWebhookOnStop,
	}
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

// telegramChannel describes Telegram: its admins are ADMIN_TELEGRAM_IDS,
// its broadcasts go at BROADCAST_RATE_TELEGRAM with BROADCAST_WORKERS
// senders per process.
func telegramChannel(c Config) bot.Channel {
	ch, admins := telegram.Channel(), c.Broadcast.AdminTelegram
	ch.IsAdmin = func(user string) bool { return admins[user] }
	ch.Admins = func() []string { return slices.Sorted(maps.Keys(admins)) }
	ch.Rate, ch.Workers = botRate(c.Broadcast.RateTelegram), max(c.Broadcast.Workers, 1)
	return ch
}

// startTelegram builds the Telegram channel when TELEGRAM_BOT_TOKEN is set:
// it checks the token (getMe), registers the adapter as the Telegram
// sender and returns its Run.
func startTelegram(ctx context.Context, a *App, env *Env) (func(context.Context) error, bool, error) {
	c := a.Cfg.Telegram
	if c.Token == "" {
		return nil, false, nil
	}
	botID, _, _ := strings.Cut(c.Token, ":") // the public part of the token
	lang := a.Cfg.DefaultLang
	// The bot's limit of all chats holds for all processes together: a
	// sliding window in Redis (the broadcasts' limiter, under this bot's
	// own key), which Telegram's 429 answers also slow down.
	shared := a.Store.Limiter(map[bot.ChannelID]store.Rate{telegram.LimitKey(c.Token): perSecond(c.RatePerSecond)})
	tc := c.adapterConfig()
	tc.Labels = telegram.Labels{
		ShareContact:  a.Catalog.Render(lang, bot.T("telegram.share_contact")),
		ShareLocation: a.Catalog.Render(lang, bot.T("telegram.share_location")),
	}
	tc.Commands = telegramCommands(a)
	tc.Leaser, tc.LeaseKey, tc.Owner = a.Store, a.Store.Key("tg:"+botID, "poll-lease"), a.Cfg.Instance
	tc.Journal = redisJournal{rdb: a.Store.Client(), key: a.Store.Key("tg:"+botID, "poll-journal")}
	tc.Shared, tc.Observer, tc.Log = shared, a.Observer, a.Log
	adapter, err := telegram.New(ctx, tc)
	if err != nil {
		return nil, false, err
	}
	if err := a.linkChannel(bot.Telegram, bot.Link{Sender: adapter, Ready: adapter.Ready,
		Fetch: readCapped(adapter.Download, maxFetchedMedia)}); err != nil {
		return nil, false, err
	}
	a.watchMetrics("telegram", func(m *ops.Metrics) error {
		return m.WatchTelegram(ops.TelegramFunc(func() ops.TelegramCounts {
			s := &adapter.Stats
			return ops.TelegramCounts{RateLimited: s.Waited.Load(), PollErrors: s.PollErrors.Load(), Conflicts: s.Conflicts.Load()}
		}))
	})
	mode := "long polling"
	if c.WebhookURL != "" {
		mode = "webhook on " + c.WebhookListen
	}
	a.Log.Info("telegram channel ready", "bot", "@"+adapter.Username(), "mode", mode)
	return func(ctx context.Context) error {
		err := adapter.Run(ctx, a.Dispatcher)
		s := &adapter.Stats
		a.Log.Info("telegram channel stopped", "updates", s.Updates.Load(), "not_taken", s.SubmitFailed.Load(),
			"undecodable", s.Undecodable.Load(), "sent", s.Sent.Load(), "send_failed", s.SendFailed.Load(),
			"unreachable", s.Unreachable.Load(), "rejected", s.Rejected.Load(), "retried", s.Retried.Load(),
			"maybe_doubled", s.MaybeDoubled.Load(), "rate_limited", s.Waited.Load(),
			"poll_errors", s.PollErrors.Load(), "conflicts", s.Conflicts.Load())
		return err
	}, true, nil
}

// perSecond is a messages-per-second limit as a shared limiter rate.
func perSecond(r float64) store.Rate {
	if r >= 1 {
		return store.Rate{N: int(r), Per: time.Second}
	}
	return store.Rate{N: 1, Per: time.Duration(float64(time.Second) / r)}
}

// redisJournal is the Telegram poll journal: a hash of fetched batches by
// their first update id, at <prefix>:{tg:<bot id>}:poll-journal (the
// poll lease's hash slot).
type redisJournal struct {
	rdb redis.UniversalClient
	key string
}

var _ telegram.Journal = redisJournal{}

func (j redisJournal) Keep(ctx context.Context, id int, batch []byte) error {
	if err := j.rdb.HSet(ctx, j.key, strconv.Itoa(id), batch).Err(); err != nil {
		return fmt.Errorf("keep telegram updates: %w", err)
	}
	return nil
}

func (j redisJournal) Drop(ctx context.Context, id int) error {
	if err := j.rdb.HDel(ctx, j.key, strconv.Itoa(id)).Err(); err != nil {
		return fmt.Errorf("drop telegram updates: %w", err)
	}
	return nil
}

func (j redisJournal) Kept(ctx context.Context) ([][]byte, error) {
	m, err := j.rdb.HGetAll(ctx, j.key).Result()
	if err != nil {
		return nil, fmt.Errorf("read telegram poll journal: %w", err)
	}
	ids := make([]int, 0, len(m))
	for f := range m {
		if id, err := strconv.Atoi(f); err == nil {
			ids = append(ids, id)
		}
	}
	sort.Ints(ids)
	out := make([][]byte, len(ids))
	for i, id := range ids {
		out[i] = []byte(m[strconv.Itoa(id)])
	}
	return out, nil
}

func telegramWebhookInfo(ctx context.Context, env *Env, args []string) error {
	if _, err := parseArgs(flagSet("telegram webhook info", env), args, 0, 0); err != nil {
		return err
	}
	adapter, err := webhookAdapter(ctx, env)
	if err != nil {
		return err
	}
	info, err := adapter.WebhookInfo(ctx)
	if err != nil {
		return err
	}
	writeWebhookInfo(env.Stdout, adapter.Username(), info)
	return nil
}

func telegramWebhookDelete(ctx context.Context, env *Env, args []string) error {
	fs := flagSet("telegram webhook delete", env)
	drop := fs.Bool("drop-pending", false, "also discard the updates waiting for the bot")
	if _, err := parseArgs(fs, args, 0, 0); err != nil {
		return err
	}
	adapter, err := webhookAdapter(ctx, env)
	if err != nil {
		return err
	}
	if err := adapter.DeleteWebhook(ctx, *drop); err != nil {
		return err
	}
	waiting := "kept for long polling"
	if *drop {
		waiting = "discarded"
	}
	fmt.Fprintf(env.Stdout, "webhook of @%s deleted; updates waiting: %s\n", adapter.Username(), waiting)
	return nil
}

// webhookAdapter is a Telegram adapter for one Bot API call from the CLI.
func webhookAdapter(ctx context.Context, env *Env) (*telegram.Adapter, error) {
	cfg, err := loadConfig(env.Getenv)
	if err != nil {
		return nil, err
	}
	c := cfg.Telegram
	if c.Token == "" {
		return nil, errors.New("TELEGRAM_BOT_TOKEN (or TELEGRAM_BOT_TOKEN_FILE) is not set")
	}
	log := slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	return telegram.New(ctx, telegram.Config{Token: c.Token, APIURL: c.APIURL, Log: log})
}

func writeWebhookInfo(w io.Writer, username string, info telegram.WebhookStatus) {
	fmt.Fprintf(w, "bot:         @%s\n", username)
	if info.URL == "" {
		fmt.Fprintf(w, "webhook:     none (updates wait for long polling)\n")
	} else {
		fmt.Fprintf(w, "webhook:     %s\n", info.URL)
	}
	fmt.Fprintf(w, "pending:     %d updates\n", info.Pending)
	if info.LastError != "" {
		fmt.Fprintf(w, "last error:  %s (%s)\n", info.LastError, info.LastErrorAt.Format(time.RFC3339))
	}
}
