package main

import (
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

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
	DefaultLang string         // DEFAULT_LANG
	StateTTL    time.Duration  // STATE_TTL
	ResumeAfter time.Duration  // RESUME_AFTER
	MaxPerNIK   int            // MAX_REGISTRATIONS_PER_NIK
	LogLevel    slog.Level     // LOG_LEVEL
	Instance    string         // INSTANCE_ID: this process's name in leases

	// Who may broadcast and how fast: ADMIN_TELEGRAM_IDS,
	// ADMIN_WHATSAPP_NUMBERS, BROADCAST_* (broadcast.go).
	Broadcast BroadcastConfig

	// The web console: ADMIN_LISTEN, ADMIN_SECURE_COOKIES, ADMIN_TRUST_PROXY (admin.go).
	Admin AdminConfig
}

// loadConfig reads the configuration from getenv.
func loadConfig(getenv func(string) string) (Config, error) {
	host, _ := os.Hostname()
	c := Config{
		RedisURL:    secret(getenv, "REDIS_URL"),
		RedisPrefix: or(getenv("REDIS_PREFIX"), "umkm"),
		DataDir:     or(getenv("DATA_DIR"), "./data"),
		Region:      or(getenv("REGION"), "purwakarta"),
		MarketFile:  getenv("MARKETPLACE_FILE"),
		DefaultLang: or(getenv("DEFAULT_LANG"), "id"),
		Instance:    or(getenv("INSTANCE_ID"), fmt.Sprintf("%s-%d", host, os.Getpid())),
	}
	var errs []string
	c.Redis = store.Endpoint{
		URL:            c.RedisURL,
		ClusterAddrs:   list(getenv("REDIS_CLUSTER_ADDRS")),
		SentinelAddrs:  list(getenv("REDIS_SENTINEL_ADDRS")),
		SentinelMaster: getenv("REDIS_SENTINEL_MASTER"),
		Username:       getenv("REDIS_USERNAME"),
		Password:       secret(getenv, "REDIS_PASSWORD"),
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
	dur := func(name string, def time.Duration) time.Duration {
		v := getenv(name)
		if v == "" {
			return def
		}
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Sprintf("%s=%q is not a positive duration (e.g. 168h, 30m)", name, v))
			return def
		}
		return d
	}
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
	c.Admin = loadAdminConfig(getenv, &errs)
	if c.DefaultLang != "id" && c.DefaultLang != "en" {
		errs = append(errs, fmt.Sprintf("DEFAULT_LANG=%q: use id or en", c.DefaultLang))
	}
	if len(errs) > 0 {
		return c, fmt.Errorf("configuration:\n  %s", strings.Join(errs, "\n  "))
	}
	return c, nil
}

// secret reads NAME, or the contents of the file NAME_FILE names.
func secret(getenv func(string) string, name string) string {
	if v := getenv(name); v != "" {
		return v
	}
	if path := getenv(name + "_FILE"); path != "" {
		b, err := os.ReadFile(path)
		if err == nil {
			return strings.TrimSpace(string(b))
		}
	}
	return ""
}

// UsesRedis reports whether a real Redis is configured (else the embedded store).
func (c Config) UsesRedis() bool {
	return c.RedisURL != "" || len(c.Redis.ClusterAddrs) > 0 || c.Redis.SentinelMaster != ""
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

// flagSet is a FlagSet that reports errors instead of exiting.
func flagSet(name string, env *Env) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	return fs
}
