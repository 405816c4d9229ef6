package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/umkmbot/umkmbot/bot"
)

// TurnConfig tunes the turn path: FLOOD_BURST, FLOOD_PER_MINUTE,
// OUTBOX_RETRY_MAX, OUTBOX_RESEND_AFTER, SHARE_TURNS_ABOVE.
type TurnConfig struct {
	Flood        bot.FloodLimit
	SendRetryMax time.Duration // longest wait between attempts while a platform is down
	ResendAfter  time.Duration // how long a committed reply may go unacknowledged before any process resends it
	ShareAbove   int           // conversations in work from which new ones are offered to other processes (0: no sharing)
}

func loadTurnConfig(getenv func(string) string, errs *[]string) TurnConfig {
	c := TurnConfig{Flood: bot.FloodLimit{Burst: 30, PerMinute: 60}, SendRetryMax: 5 * time.Minute, ResendAfter: 15 * time.Second}
	num := func(name string, def int) int {
		v := getenv(name)
		if v == "" {
			return def
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			*errs = append(*errs, fmt.Sprintf("%s=%q must be a whole number (0 turns the flood limit off)", name, v))
			return def
		}
		return n
	}
	c.Flood.Burst = num("FLOOD_BURST", c.Flood.Burst)
	c.Flood.PerMinute = num("FLOOD_PER_MINUTE", c.Flood.PerMinute)
	if c.Flood.Burst > 0 && c.Flood.PerMinute == 0 {
		*errs = append(*errs, "FLOOD_PER_MINUTE must be at least 1 when FLOOD_BURST is set")
	}
	if v := getenv("SHARE_TURNS_ABOVE"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			*errs = append(*errs, fmt.Sprintf("SHARE_TURNS_ABOVE=%q must be a whole number (0: no sharing)", v))
		} else {
			c.ShareAbove = n
		}
	}
	c.SendRetryMax = envDuration(getenv, "OUTBOX_RETRY_MAX", c.SendRetryMax, errs)
	c.ResendAfter = envDuration(getenv, "OUTBOX_RESEND_AFTER", c.ResendAfter, errs)
	return c
}

// instanceLock holds DATA_DIR/instance-N.lock for the life of the process.
type instanceLock struct{ f *os.File }

func (l *instanceLock) Close() error {
	if l == nil || l.f == nil {
		return nil
	}
	return l.f.Close() // closing drops the flock
}

// defaultInstance names this process "<host>-<N>", N the first index whose
// lock file DATA_DIR/instance-N.lock it can lock: the same name after a
// restart (so it reclaims its own leases at once), a different one for
// each process running at the same time on the host.
func defaultInstance(dataDir string) (string, *instanceLock, error) {
	host, _ := os.Hostname()
	if host == "" {
		host = "umkmbot"
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return "", nil, fmt.Errorf("instance id: %w", err)
	}
	for n := 0; n < 1024; n++ {
		f, err := os.OpenFile(filepath.Join(dataDir, fmt.Sprintf("instance-%d.lock", n)), os.O_CREATE|os.O_RDWR, 0o600)
		if err != nil {
			return "", nil, fmt.Errorf("instance id: %w", err)
		}
		ok, err := tryLock(f)
		if err != nil {
			f.Close()
			return "", nil, fmt.Errorf("instance id: lock %s: %w", f.Name(), err)
		}
		if ok {
			return fmt.Sprintf("%s-%d", host, n), &instanceLock{f: f}, nil
		}
		f.Close()
	}
	return "", nil, fmt.Errorf("instance id: no free lock file in %s", dataDir)
}
