package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/umkmbot/umkmbot/bot"
	"github.com/umkmbot/umkmbot/bot/phone"
	"github.com/umkmbot/umkmbot/bot/umkm"
	"github.com/umkmbot/umkmbot/flows"
	"github.com/umkmbot/umkmbot/store"
)

// Config is the whole configuration, from environment variables (secrets
// also from NAME_FILE) and flags, validated before anything starts.
type Config struct {
	RedisURL    string         // REDIS_URL; empty (and no cluster/sentinel): the embedded store
	Redis       store.Endpoint // REDIS_URL, or REDIS_CLUSTER_ADDRS, or REDIS_SENTINEL_MASTER + REDIS_SENTINEL_ADDRS
	RedisPrefix string         // REDIS_PREFIX
	DataDir     string         // DATA_DIR
	Region      string         // REGION: embedded region name or code, or a .toml path
	MarketFile  string         // MARKETPLACE_FILE: marketplace rules and permit facts; empty: the embedded ones
	FAQFile     string         // FAQ_FILE: the FAQ, a path with {lang} (faq.{lang}.toml); empty: the region's embedded one
	DefaultLang string         // DEFAULT_LANG
	StateTTL    time.Duration  // STATE_TTL
	ResumeAfter time.Duration  // RESUME_AFTER
	MaxPerNIK   int            // MAX_REGISTRATIONS_PER_NIK
	LogLevel    slog.Level     // LOG_LEVEL
	Instance    string         // INSTANCE_ID: this process's name in leases; empty: <host>-<N> (turnconfig.go)
	Turn        TurnConfig     // FLOOD_*, OUTBOX_RETRY_MAX, OUTBOX_RESEND_AFTER, SHARE_TURNS_ABOVE (turnconfig.go)
	Tickets     TicketConfig   // TICKET_TTL, TICKET_REMIND_AFTER (tickets.go)

	// Who may broadcast and how fast: ADMIN_TELEGRAM_IDS,
	// ADMIN_WHATSAPP_NUMBERS, BROADCAST_* (broadcast.go).
	Broadcast BroadcastConfig

	Telegram telegramConfig // TELEGRAM_* (telegram.go)
	WhatsApp waConfig       // WHATSAPP_* (whatsapp_config.go)
	// Observability: METRICS_LISTEN, LOG_FORMAT (metrics.go).
	Ops opsConfig
	// Personal data: DATA_KEY(_FILE), AUDIT_TTL, BROADCAST_RECORD_TTL (privacy.go).
	Privacy PrivacyConfig
	// The web console: ADMIN_LISTEN, ADMIN_SECURE_COOKIES, ADMIN_TRUST_PROXY (admin.go).
	Admin AdminConfig

	// What REGION, MARKETPLACE_FILE and FAQ_FILE name, loaded by
	// loadConfig: reading them is their check (flows.LoadRegion,
	// LoadMarket, LoadFAQ own the rules), so `config check` reports them
	// with the rest and openApp does not read them again.
	region umkm.Region
	market *flows.Market
	faq    map[string]*bot.FAQ
}

// secretNames are the settings that may also come from a file named by
// NAME_FILE (Docker and Kubernetes secrets). A test keeps every secret()
// call in this list, so that loadConfig checks each file.
var secretNames = []string{"REDIS_URL", "REDIS_PASSWORD", "TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET", "WHATSAPP_DB_DSN", "DATA_KEY"}

// loadConfig reads the whole configuration from getenv and validates it in
// one place: every problem is reported at once, each naming its variable.
// A NAME_FILE that is set must be readable and not empty: a secret that
// silently went missing would, for REDIS_URL, put production data in the
// embedded store.
func loadConfig(getenv func(string) string) (Config, error) {
	c := Config{
		RedisURL:    secret(getenv, "REDIS_URL"),
		RedisPrefix: or(getenv("REDIS_PREFIX"), "umkm"),
		DataDir:     or(getenv("DATA_DIR"), "./data"),
		Region:      or(getenv("REGION"), "purwakarta"),
		MarketFile:  getenv("MARKETPLACE_FILE"),
		FAQFile:     getenv("FAQ_FILE"),
		DefaultLang: or(getenv("DEFAULT_LANG"), "id"),
		Instance:    getenv("INSTANCE_ID"),
	}
	var errs []string
	for _, name := range secretNames {
		if _, err := readSecret(getenv, name); err != nil {
			errs = append(errs, err.Error())
		}
	}
	c.Redis = store.Endpoint{
		URL:            c.RedisURL,
		ClusterAddrs:   list(getenv("REDIS_CLUSTER_ADDRS")),
		SentinelAddrs:  list(getenv("REDIS_SENTINEL_ADDRS")),
		SentinelMaster: getenv("REDIS_SENTINEL_MASTER"),
		Username:       getenv("REDIS_USERNAME"),
		Password:       secret(getenv, "REDIS_PASSWORD"),
	}
	if c.RedisURL != "" && (c.Redis.Username != "" || c.Redis.Password != "") {
		u, err := withCredentials(c.RedisURL, c.Redis.Username, c.Redis.Password)
		if err != nil {
			errs = append(errs, err.Error())
		}
		c.Redis.URL = u
	}
	kinds := 0
	for _, set := range []bool{c.RedisURL != "", len(c.Redis.ClusterAddrs) > 0, c.Redis.SentinelMaster != ""} {
		if set {
			kinds++
		}
	}
	if kinds > 1 {
		errs = append(errs, "set only one of REDIS_URL, REDIS_CLUSTER_ADDRS and REDIS_SENTINEL_MASTER")
	}
	if c.Redis.SentinelMaster != "" && len(c.Redis.SentinelAddrs) == 0 {
		errs = append(errs, "REDIS_SENTINEL_MASTER needs REDIS_SENTINEL_ADDRS (host:port,host:port)")
	}
	dur := func(name string, def time.Duration) time.Duration { return envDuration(getenv, name, def, &errs) }
	c.StateTTL = dur("STATE_TTL", 7*24*time.Hour)
	c.ResumeAfter = dur("RESUME_AFTER", time.Hour)
	c.MaxPerNIK = 1
	if v := getenv("MAX_REGISTRATIONS_PER_NIK"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			errs = append(errs, fmt.Sprintf("MAX_REGISTRATIONS_PER_NIK=%q must be a whole number of at least 1", v))
		}
		c.MaxPerNIK = n
	}
	c.LogLevel = slog.LevelInfo
	if v := getenv("LOG_LEVEL"); v != "" {
		if err := c.LogLevel.UnmarshalText([]byte(v)); err != nil {
			errs = append(errs, fmt.Sprintf("LOG_LEVEL=%q: use debug, info, warn or error", v))
		}
	}
	c.Broadcast = loadBroadcastConfig(getenv, &errs)
	c.Ops = loadOpsConfig(getenv, &errs)
	c.Privacy = loadPrivacyConfig(getenv, dur, &errs)
	c.Turn = loadTurnConfig(getenv, &errs)
	c.Tickets = loadTicketConfig(getenv, &errs)
	c.Admin = loadAdminConfig(getenv, &errs)
	if c.DefaultLang != "id" && c.DefaultLang != "en" {
		errs = append(errs, fmt.Sprintf("DEFAULT_LANG=%q: use id or en", c.DefaultLang))
	}
	var err error
	if c.region, err = flows.LoadRegion(c.Region); err != nil {
		errs = append(errs, err.Error())
	} else if c.faq, err = flows.LoadFAQ(c.FAQFile, c.region); err != nil {
		errs = append(errs, err.Error())
	}
	if c.market, err = flows.LoadMarket(c.MarketFile); err != nil {
		errs = append(errs, err.Error())
	}
	if c.Telegram, err = loadTelegramConfig(getenv); err != nil {
		errs = append(errs, err.Error())
	}
	if c.WhatsApp, err = loadWhatsAppConfig(getenv, c); err != nil {
		errs = append(errs, err.Error())
	}
	if len(errs) > 0 {
		return c, fmt.Errorf("configuration:\n  %s", strings.Join(errs, "\n  "))
	}
	return c, nil
}

// readSecret reads NAME, or the contents of the file NAME_FILE names. A
// file that is set but cannot be read or is empty, or both NAME and
// NAME_FILE set, is an error naming the variable.
func readSecret(getenv func(string) string, name string) (string, error) {
	v, path := getenv(name), getenv(name+"_FILE")
	switch {
	case path == "":
		return v, nil
	case v != "":
		return "", fmt.Errorf("%s and %s_FILE are both set: set only one", name, name)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("%s_FILE=%s cannot be read: %w", name, path, err)
	}
	v = strings.TrimSpace(string(b))
	if v == "" {
		return "", fmt.Errorf("%s_FILE=%s is empty: put the %s in it", name, path, name)
	}
	return v, nil
}

// secret is readSecret for code that runs after loadConfig, which has
// already reported a bad NAME_FILE (NAME must be in secretNames).
func secret(getenv func(string) string, name string) string {
	v, _ := readSecret(getenv, name)
	return v
}

// withCredentials puts REDIS_USERNAME and REDIS_PASSWORD into a REDIS_URL
// that has none, so that the password can come from a secret file while
// the address stays in plain configuration.
func withCredentials(raw, user, pass string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return raw, fmt.Errorf("REDIS_URL is not a URL (redis://host:6379/0)")
	}
	if u.User != nil {
		return raw, fmt.Errorf("REDIS_URL has credentials and REDIS_USERNAME or REDIS_PASSWORD is set too: give them in one place")
	}
	if pass == "" {
		u.User = url.User(user)
	} else {
		u.User = url.UserPassword(user, pass)
	}
	return u.String(), nil
}

// UsesRedis reports whether a real Redis is configured (else the embedded store).
func (c Config) UsesRedis() bool {
	return c.RedisURL != "" || len(c.Redis.ClusterAddrs) > 0 || c.Redis.SentinelMaster != ""
}

// namedProblems turns a component's configuration errors (errors.Join of
// its own ConfigError type, whose field and problem parts gives) into lines
// naming the variables of vars (field -> variable), with the value as
// written unless it is a secret: the component owns the rules, the
// command line only their names. Errors parts does not take (!ok) are
// left out: problems the caller tolerates.
func namedProblems(err error, vars map[string]string, getenv func(string) string, parts func(error) (field, problem string, ok bool)) []string {
	var each []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		each = j.Unwrap()
	} else if err != nil {
		each = []error{err}
	}
	var out []string
	for _, e := range each {
		field, problem, ok := parts(e)
		if !ok {
			continue
		}
		name := vars[field]
		if name == "" {
			out = append(out, e.Error())
			continue
		}
		problem = fieldNames(vars).Replace(problem)
		if v := getenv(name); v != "" && !slices.Contains(secretNames, name) {
			name += fmt.Sprintf("=%q", v)
		}
		out = append(out, name+" "+problem)
	}
	return out
}

// fieldNames replaces field names with their variables, longer names
// first ("RelayMaxAge" before "MaxAge").
func fieldNames(vars map[string]string) *strings.Replacer {
	fields := make([]string, 0, len(vars))
	for f := range vars {
		fields = append(fields, f)
	}
	slices.SortFunc(fields, func(a, b string) int { return len(b) - len(a) })
	var pairs []string
	for _, f := range fields {
		pairs = append(pairs, f, vars[f])
	}
	return strings.NewReplacer(pairs...)
}

// envBool reads a true/false variable, the same way for every one: 1, t,
// true, yes, on or 0, f, false, no, off, in any case; empty gives def.
// Anything else is appended to errs and gives def.
func envBool(getenv func(string) string, name string, def bool, errs *[]string) bool {
	switch v := strings.ToLower(strings.TrimSpace(getenv(name))); v {
	case "":
		return def
	case "1", "t", "true", "yes", "on":
		return true
	case "0", "f", "false", "no", "off":
		return false
	}
	*errs = append(*errs, fmt.Sprintf("%s=%q: use true or false", name, getenv(name)))
	return def
}

// envDuration reads a positive duration ("168h", "30m"); empty gives def.
// Anything else is appended to errs and gives def.
func envDuration(getenv func(string) string, name string, def time.Duration, errs *[]string) time.Duration {
	v := getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		*errs = append(*errs, fmt.Sprintf("%s=%q is not a positive duration (e.g. 168h, 30m, 15s)", name, v))
		return def
	}
	return d
}

// list splits "a, b,c" into its non-empty parts.
func list(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func init() {
	addGroup("config", "the configuration: check it and print the effective values",
		leaf("check", "", "validate the configuration and print the effective values, secrets redacted; exit 1 naming every problem", runConfigCheck))
}

func runConfigCheck(ctx context.Context, env *Env, args []string) error {
	fs := flagSet("config check", env)
	if _, err := parseArgs(fs, args, 0, 0); err != nil {
		return err
	}
	cfg, err := loadConfig(env.Getenv)
	if err != nil {
		return err
	}
	for _, kv := range cfg.effective(env.Getenv) {
		fmt.Fprintf(env.Stdout, "%-28s %s\n", kv[0], kv[1])
	}
	return nil
}

// effective lists every setting with the value in use, secrets redacted:
// a secret shows only whether it is set and where it came from.
func (c Config) effective(getenv func(string) string) [][2]string {
	hidden := func(name, v string) string {
		if v == "" {
			return "(not set)"
		}
		from := ""
		if p := getenv(name + "_FILE"); p != "" {
			from = ", from " + p
		}
		return fmt.Sprintf("(redacted, %d characters%s)", len(v), from)
	}
	val := func(v, unset string) string {
		if v == "" {
			return unset
		}
		return v
	}
	var admins []string
	for id := range c.Broadcast.AdminTelegram {
		admins = append(admins, id)
	}
	var waAdmins []string
	for n := range c.Broadcast.AdminWhatsApp {
		waAdmins = append(waAdmins, phone.Mask("+"+n))
	}
	backend := "embedded, snapshot in " + c.DataDir
	if c.UsesRedis() {
		backend = "redis"
	}
	t, w := c.Telegram, c.WhatsApp
	telegram := "off (no TELEGRAM_BOT_TOKEN)"
	if t.Token != "" {
		telegram = "on, long polling"
		if t.WebhookURL != "" {
			telegram = "on, webhook"
		}
	}
	return [][2]string{
		{"store", backend},
		{"REDIS_URL", redactURL(c.Redis.URL, "(not set)")},
		{"REDIS_CLUSTER_ADDRS", val(strings.Join(c.Redis.ClusterAddrs, ","), "(not set)")},
		{"REDIS_SENTINEL_MASTER", val(c.Redis.SentinelMaster, "(not set)")},
		{"REDIS_SENTINEL_ADDRS", val(strings.Join(c.Redis.SentinelAddrs, ","), "(not set)")},
		{"REDIS_USERNAME", val(c.Redis.Username, "(not set)")},
		{"REDIS_PASSWORD", hidden("REDIS_PASSWORD", c.Redis.Password)},
		{"REDIS_PREFIX", c.RedisPrefix},
		{"DATA_DIR", c.DataDir},
		{"REGION", c.Region},
		{"MARKETPLACE_FILE", val(c.MarketFile, "(embedded flows/data/marketplaces.toml)")},
		{"FAQ_FILE", val(c.FAQFile, "(embedded flows/data/faq)")},
		{"DEFAULT_LANG", c.DefaultLang},
		{"STATE_TTL", c.StateTTL.String()},
		{"RESUME_AFTER", c.ResumeAfter.String()},
		{"MAX_REGISTRATIONS_PER_NIK", strconv.Itoa(c.MaxPerNIK)},
		{"LOG_LEVEL", strings.ToLower(c.LogLevel.String())},
		{"INSTANCE_ID", c.Instance},
		{"ADMIN_TELEGRAM_IDS", val(strings.Join(sorted(admins), ","), "(none)")},
		{"ADMIN_WHATSAPP_NUMBERS", val(strings.Join(sorted(waAdmins), ","), "(none)")},
		{"BROADCAST_RATE_TELEGRAM", c.Broadcast.RateTelegram.String()},
		{"BROADCAST_RATE_WHATSAPP", c.Broadcast.RateWhatsApp.String()},
		{"BROADCAST_WORKERS", strconv.Itoa(c.Broadcast.Workers)},
		{"telegram", telegram},
		{"TELEGRAM_BOT_TOKEN", hidden("TELEGRAM_BOT_TOKEN", t.Token)},
		{"TELEGRAM_API_URL", t.APIURL},
		{"TELEGRAM_WEBHOOK_URL", val(t.WebhookURL, "(not set: long polling)")},
		{"TELEGRAM_WEBHOOK_LISTEN", t.WebhookListen},
		{"TELEGRAM_WEBHOOK_SECRET", hidden("TELEGRAM_WEBHOOK_SECRET", t.WebhookSecret)},
		{"TELEGRAM_KEYBOARD", t.Keyboard},
		{"TELEGRAM_ALLOW_GROUPS", strconv.FormatBool(t.AllowGroups)},
		{"TELEGRAM_RATE_PER_SECOND", strconv.FormatFloat(t.RatePerSecond, 'g', -1, 64)},
		{"TELEGRAM_RATE_PER_CHAT", strconv.FormatFloat(t.RatePerChat, 'g', -1, 64)},
		{"WHATSAPP_ENABLED", strconv.FormatBool(w.Enabled)},
		{"WHATSAPP_DB_DSN", redactDSN(w.DSN, "(default: $DATA_DIR/whatsapp.db)")},
		{"WHATSAPP_ALLOW_GROUPS", strconv.FormatBool(w.Adapter.AllowGroups)},
		{"WHATSAPP_RATE_PER_MINUTE", strconv.Itoa(w.Adapter.RatePerMinute)},
		{"WHATSAPP_BURST", strconv.Itoa(w.Adapter.Burst)},
		{"WHATSAPP_CHAT_GAP", w.Adapter.ChatGap.String()},
		{"WHATSAPP_JITTER", w.Adapter.Jitter.String()},
		{"WHATSAPP_MAX_AGE", w.Adapter.MaxAge.String()},
		{"WHATSAPP_MARK_READ", strconv.FormatBool(w.Adapter.MarkRead)},
		{"WHATSAPP_TYPING", w.Adapter.Typing.String()},
		{"WHATSAPP_SEND_WAIT", w.Adapter.SendWait.String()},
		{"WHATSAPP_TIMELOCK_PAUSE", w.Adapter.TimelockPause.String()},
		{"WHATSAPP_MAX_MEDIA_BYTES", strconv.FormatInt(w.Adapter.MaxMediaBytes, 10)},
	}
}

func sorted(s []string) []string {
	slices.Sort(s)
	return s
}

// redactURL hides the password of a URL (redis://user:xxxxx@host).
func redactURL(v, unset string) string {
	if v == "" {
		return unset
	}
	u, err := url.Parse(v)
	if err != nil {
		return "(redacted: not a URL)"
	}
	return u.Redacted()
}

var dsnPassword = regexp.MustCompile(`(?i)(password=)(\S+)`)

// redactDSN hides the password of a postgres URL or key=value DSN.
func redactDSN(v, unset string) string {
	if strings.Contains(v, "://") {
		return redactURL(v, unset)
	}
	if v == "" {
		return unset
	}
	return dsnPassword.ReplaceAllString(v, "${1}xxxxx")
}
