package embedded

// Opening: the snapshot, then the journals after it replayed.

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/alicebob/miniredis/v2/server"
)

// load builds the server from the snapshot and the journals after it. It
// returns the number for a new journal file, how many records it replayed
// and the journal files found. A read-only store may find a journal gone,
// compacted away by the writer meanwhile: it loads again.
func (d *DB) load() (next uint64, replayed int, files []uint64, err error) {
	for attempt := 1; ; attempt++ {
		next, replayed, files, err = d.loadOnce()
		if err == nil || !d.readOnly || !errors.Is(err, fs.ErrNotExist) || attempt == 5 {
			return next, replayed, files, err
		}
		d.m.Close()
	}
}

func (d *DB) loadOnce() (next uint64, replayed int, files []uint64, err error) {
	d.m = miniredis.NewMiniRedis()
	c, err := d.m.Dial() // starts the server without a listener: clients come through ours
	if err != nil {
		return 0, 0, nil, fmt.Errorf("open embedded store: start server: %w", err)
	}
	c.Close()
	d.srv = d.m.Server()

	now := time.Now()
	var f embFile
	data, err := os.ReadFile(d.path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		// No snapshot: the clock starts at the first record's.
	case err != nil:
		return 0, 0, nil, fmt.Errorf("load snapshot %s: %w", d.path, err)
	default:
		var n int
		if f, n, err = embLoad(d.m, data, now); err != nil {
			return 0, 0, nil, fmt.Errorf("load snapshot %s: %w (the store will not start over data it cannot read: repair the file or move it away)", d.path, err)
		}
		d.log.Info("snapshot loaded", "file", d.path, "keys", n)
	}
	if !f.Clock.IsZero() {
		d.clock = f.Clock.UnixNano()
	}
	next = max(f.Journal, 1)

	if files, err = journalFiles(d.dir); err != nil {
		return 0, 0, nil, fmt.Errorf("open embedded store: list journals: %w", err)
	}
	var buf bytes.Buffer
	w := bufio.NewWriter(&buf)
	peer := server.NewPeer(w)
	failed := 0
	for _, n := range files {
		next = max(next, n+1)
		if n < f.Journal {
			continue // already in the snapshot; removed after a crash during compaction
		}
		name := journalName(d.dir, n)
		torn, err := readJournal(name, func(r record) {
			replayed++
			if d.clock == 0 {
				d.clock = r.V
			}
			if r.V > d.clock {
				d.m.FastForward(time.Duration(r.V - d.clock))
				d.clock = r.V
			}
			d.m.SetTime(time.Unix(0, r.T))
			for _, c := range r.Cmds {
				d.srv.Dispatch(peer, c)
				w.Flush()
				if buf.Len() > 0 && buf.Bytes()[0] == '-' {
					failed++ // as it failed when it ran (a script's call that raised)
				}
				buf.Reset()
			}
		})
		if err != nil {
			return 0, 0, nil, fmt.Errorf("open embedded store: replay %s: %w", name, err)
		}
		if torn > 0 {
			d.log.Warn("journal ends in an incomplete record (a crash while writing it); it is ignored",
				"file", name, "bytes", torn)
		}
	}
	d.m.SetTime(time.Time{})
	if t := time.Now().UnixNano(); t > d.clock {
		d.m.FastForward(time.Duration(t - d.clock))
		d.clock = t
	}
	if replayed > 0 {
		d.log.Info("journal replayed", "records", replayed, "failed_commands", failed)
	}
	return next, replayed, files, nil
}
