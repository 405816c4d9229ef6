package embedded

// The LOCK file: one process writes the data directory, others read it.

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

func (d *DB) takeLock() error {
	name := filepath.Join(d.dir, LockFile)
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("open embedded store: lock %s: %w", name, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			d.readOnly = true
			d.holder = "another process"
			if b, err := os.ReadFile(name); err == nil && len(bytes.TrimSpace(b)) > 0 {
				d.holder = strings.TrimSpace(string(b))
			}
			d.roMsg = fmt.Sprintf("ERR read-only: the embedded store in %s is in use by %s; stop it to run commands that change data (or use REDIS_URL)", d.dir, d.holder)
			return nil
		}
		return fmt.Errorf("open embedded store: lock %s: %w", name, err)
	}
	d.lock = f
	f.Truncate(0)
	f.WriteAt([]byte(holderName()+"\n"), 0)
	// Temp files of a snapshot interrupted by a crash; the lock makes them ours.
	stale, _ := filepath.Glob(filepath.Join(d.dir, SnapshotFile+".*.tmp"))
	for _, s := range stale {
		os.Remove(s)
	}
	return nil
}

// holderName is how this process names itself in the lock file: the
// program and its command, not its other arguments.
func holderName() string {
	name := filepath.Base(os.Args[0])
	if len(os.Args) > 1 && !strings.HasPrefix(os.Args[1], "-") {
		name += " " + os.Args[1]
	}
	return fmt.Sprintf("%s (pid %d)", name, os.Getpid())
}

func (d *DB) releaseLock() {
	if d.lock != nil {
		d.lock.Truncate(0)
		d.lock.Close() // closing the descriptor drops the flock
		d.lock = nil
	}
}
